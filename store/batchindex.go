package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
)

// The batch page's summary and search index (migration 017).
//
// IndexBatch runs in the transaction that cuts a batch: one pass over the
// batch's chunks counts its items by folder, by person and by month
// (batch_index.summary) and records, for every trigram of the refs
// (lower-cased as the search compares them), which chunks hold it
// (batch_gram). A search then decodes only the chunks that hold every
// trigram of its query (BatchSearch), and the page reads the summary as
// one row (BatchSummary).
//
// A batch's items never change; only withdrawals (a re-plan's, an
// exclusion's) take items out, and they are only ever added. The summary
// records how many withdrawals it counts out; when the batch has more,
// BatchSummary computes it again from the items (one streaming pass, in
// one read transaction) and stores that. The trigrams cover every item,
// withdrawn or not, as the page lists them all.

// SummaryTop is how many folders, people and months a summary keeps,
// largest first; the rest are counted together.
const SummaryTop = 10

// SummaryRow is one folder, person or month of a summary.
type SummaryRow struct {
	Key   string `json:"k"`
	Items int64  `json:"n"`
	Bytes int64  `json:"b"`
}

// SummaryPart is a batch's items counted by one key: the SummaryTop
// largest keys (most items, then most bytes, then by key) and the totals
// over all keys.
type SummaryPart struct {
	Top   []SummaryRow `json:"top"`
	Keys  int64        `json:"keys"`  // distinct keys
	Items int64        `json:"items"` // items with a key
	Bytes int64        `json:"bytes"`
}

// Rest is what the keys after Top hold: how many keys, items and bytes.
func (p SummaryPart) Rest() (keys, items, bytes int64) {
	keys, items, bytes = p.Keys-int64(len(p.Top)), p.Items, p.Bytes
	for _, r := range p.Top {
		items -= r.Items
		bytes -= r.Bytes
	}
	return keys, items, bytes
}

// BatchSummary counts the items still in a batch (withdrawn items left
// out) by folder (the item's container: the folder or mailbox holding it,
// else the folder of its path), by person (the subject the rule links the
// item to, "kind:id" as `batches show` prints it; items without one are
// not in People) and by month (of the item's due date, YYYY-MM; items
// without one are not in Months).
type BatchSummary struct {
	Items     int64       `json:"items"`
	Bytes     int64       `json:"bytes"`
	Folders   SummaryPart `json:"folders"`
	People    SummaryPart `json:"people"`
	Months    SummaryPart `json:"months"`
	Withdrawn int64       `json:"withdrawn"` // withdrawals counted out
}

// rawItem is one encoded item of a chunk, its fields slices of the
// chunk's bytes (in encodeItems' order).
type rawItem struct {
	ref, container, subject, due []byte
	size                         int64
	raw                          []byte // the item's whole encoding
}

// walkChunk calls fn for each item of an encoded chunk, without copying
// its fields: they are valid while data is.
func walkChunk(data []byte, n int, fn func(i int, it *rawItem) error) error {
	if len(data) == 0 || data[0] != codecVersion {
		return fmt.Errorf("%w: unknown encoding", errCorruptChunk)
	}
	b := data[1:]
	var it rawItem
	for i := range n {
		start := b
		for f := range 9 {
			l, k := binary.Uvarint(b)
			if k <= 0 || l > uint64(len(b)-k) {
				return fmt.Errorf("%w: item %d", errCorruptChunk, i)
			}
			v := b[k : k+int(l)]
			switch f {
			case 0:
				it.ref = v
			case 2:
				it.container = v
			case 5:
				it.subject = v
			case 7:
				it.due = v
			}
			b = b[k+int(l):]
		}
		sz, k := binary.Varint(b)
		if k <= 0 {
			return fmt.Errorf("%w: item %d", errCorruptChunk, i)
		}
		it.size = sz
		b = b[k:]
		it.raw = start[:len(start)-len(b)]
		if err := fn(i, &it); err != nil {
			return err
		}
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", errCorruptChunk, len(b))
	}
	return nil
}

// decodeRaw decodes one item walkChunk found.
func decodeRaw(raw []byte) (PlanItem, error) {
	items, err := decodeItems(append([]byte{codecVersion}, raw...), 1)
	if err != nil {
		return PlanItem{}, err
	}
	return items[0], nil
}

// summarizer counts items by folder, person and month.
type summarizer struct {
	items, bytes           int64
	folders, people, month map[string]*SummaryRow
}

func newSummarizer() *summarizer {
	return &summarizer{folders: map[string]*SummaryRow{}, people: map[string]*SummaryRow{}, month: map[string]*SummaryRow{}}
}

func count(m map[string]*SummaryRow, key []byte, size int64) {
	r := m[string(key)] // no copy of key for the lookup
	if r == nil {
		r = &SummaryRow{Key: string(key)}
		m[r.Key] = r
	}
	r.Items++
	r.Bytes += size
}

func (s *summarizer) add(it *rawItem) {
	size := max(it.size, 0)
	s.items++
	s.bytes += size
	folder := it.container
	if len(folder) == 0 {
		folder = []byte(path.Dir(string(it.ref)))
	}
	count(s.folders, folder, size)
	if len(it.subject) > 0 {
		count(s.people, it.subject, size)
	}
	if len(it.due) >= 7 {
		count(s.month, it.due[:7], size)
	}
}

func part(m map[string]*SummaryRow) SummaryPart {
	p := SummaryPart{Keys: int64(len(m))}
	// The SummaryTop largest, kept in order while the rows go by: a
	// batch may have a folder for every ten items.
	top := make([]*SummaryRow, 0, SummaryTop+1)
	for _, r := range m {
		p.Items += r.Items
		p.Bytes += r.Bytes
		if len(top) == SummaryTop && !larger(r, top[SummaryTop-1]) {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, r, func(a, b *SummaryRow) int {
			if larger(a, b) {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, i, r)
		if len(top) > SummaryTop {
			top = top[:SummaryTop]
		}
	}
	for _, r := range top {
		p.Top = append(p.Top, *r)
	}
	return p
}

// larger orders a summary's rows: most items, then most bytes, then by
// key.
func larger(a, b *SummaryRow) bool {
	if a.Items != b.Items {
		return a.Items > b.Items
	}
	if a.Bytes != b.Bytes {
		return a.Bytes > b.Bytes
	}
	return a.Key < b.Key
}

func (s *summarizer) summary(withdrawn int64) *BatchSummary {
	return &BatchSummary{Items: s.items, Bytes: s.bytes, Folders: part(s.folders), People: part(s.people), Months: part(s.month), Withdrawn: withdrawn}
}

// gramIndex collects, per trigram of the refs, the chunks holding it.
type gramIndex struct {
	seen    []uint64 // bit per trigram: in the current chunk
	touched []uint32
	post    map[uint32]*posting
	buf     []byte
}

type posting struct {
	last int64
	seqs []byte
}

func newGramIndex() *gramIndex {
	return &gramIndex{seen: make([]uint64, 1<<24/64), post: map[uint32]*posting{}}
}

// addRef records the trigrams of ref as the search compares it: ASCII
// letters lower-cased (the test for an ASCII query) and, for a ref with
// other bytes, strings.ToLower of it as well (the test for any other
// query). Two NUL bytes end each form, so that every byte of the ref
// starts a trigram: a query of one or two bytes is looked up as the
// trigrams it starts (gramsVersion 2).
func (g *gramIndex) addRef(ref []byte) {
	g.buf = append(lowerASCII(g.buf[:0], ref), 0, 0)
	g.addGrams(g.buf)
	if !isASCII(string(ref)) {
		g.addGrams(append([]byte(strings.ToLower(string(ref))), 0, 0))
	}
}

// gramsVersion is batch_index.grams of an index written by addRef: 1 was
// an index without the NULs at the end (queries of three bytes or more
// only).
const gramsVersion = 2

func (g *gramIndex) addGrams(b []byte) {
	for i := 0; i+3 <= len(b); i++ {
		c := uint32(b[i])<<16 | uint32(b[i+1])<<8 | uint32(b[i+2])
		if w, bit := c/64, uint64(1)<<(c%64); g.seen[w]&bit == 0 {
			g.seen[w] |= bit
			g.touched = append(g.touched, c)
		}
	}
}

// endChunk files the trigrams of the chunk just read under its seq.
func (g *gramIndex) endChunk(seq int64) {
	for _, c := range g.touched {
		g.seen[c/64] &^= uint64(1) << (c % 64)
		p := g.post[c]
		if p == nil {
			p = &posting{}
			g.post[c] = p
		}
		p.seqs = binary.AppendUvarint(p.seqs, uint64(seq-p.last))
		p.last = seq
	}
	g.touched = g.touched[:0]
}

// queryGrams returns the distinct trigrams of the query as the index
// holds them (strings.ToLower of q), or nil when q has fewer than three
// bytes.
func queryGrams(q string) []uint32 {
	b := []byte(strings.ToLower(q))
	var out []uint32
	for i := 0; i+3 <= len(b); i++ {
		out = append(out, uint32(b[i])<<16|uint32(b[i+1])<<8|uint32(b[i+2]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// indexPass reads a batch's chunks through q once: the summary of the
// items not in gone and, with grams, the trigram index.
func indexPass(ctx context.Context, q queryer, batchID int64, gone map[string]bool, grams bool) (*summarizer, *gramIndex, error) {
	rows, err := q.QueryxContext(ctx, `SELECT seq, n, data FROM plan_chunk WHERE batch_id = ? ORDER BY seq`, batchID)
	if err != nil {
		return nil, nil, fmt.Errorf("index batch %d: %w", batchID, err)
	}
	defer rows.Close()
	sum := newSummarizer()
	var g *gramIndex
	if grams {
		g = newGramIndex()
	}
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		var (
			seq  int64
			n    int
			data sql.RawBytes
		)
		if err := rows.Scan(&seq, &n, &data); err != nil {
			return nil, nil, fmt.Errorf("index batch %d: %w", batchID, err)
		}
		err := walkChunk(data, n, func(_ int, it *rawItem) error {
			if g != nil {
				g.addRef(it.ref)
			}
			if len(gone) == 0 || !gone[string(it.ref)] {
				sum.add(it)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("index batch %d chunk %d: %w", batchID, seq, err)
		}
		if g != nil {
			g.endChunk(seq)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("index batch %d: %w", batchID, err)
	}
	return sum, g, nil
}

// writeIndex stores a summary and, when g is not nil, the trigram index.
// A summary never replaces one that counts out more withdrawals.
func writeIndex(ctx context.Context, tx *Tx, batchID int64, sum *BatchSummary, g *gramIndex) error {
	js, err := json.Marshal(sum)
	if err != nil {
		return fmt.Errorf("index batch %d: %w", batchID, err)
	}
	hasGrams := 0
	if g != nil {
		hasGrams = gramsVersion
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM batch_gram WHERE batch_id = ?`, batchID); err != nil {
			return fmt.Errorf("index batch %d: %w", batchID, err)
		}
		stmt, err := tx.tx.PrepareContext(ctx, `INSERT INTO batch_gram(batch_id, gram, seqs) VALUES (?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("index batch %d: %w", batchID, err)
		}
		defer stmt.Close()
		for c, p := range g.post {
			if _, err := stmt.ExecContext(ctx, batchID, int64(c), p.seqs); err != nil {
				return fmt.Errorf("index batch %d: %w", batchID, err)
			}
		}
	}
	_, err = tx.tx.ExecContext(ctx, `INSERT INTO batch_index(batch_id, withdrawn, summary, grams) VALUES (?, ?, ?, ?)
		ON CONFLICT(batch_id) DO UPDATE SET
			summary = CASE WHEN excluded.withdrawn >= withdrawn THEN excluded.summary ELSE summary END,
			withdrawn = max(withdrawn, excluded.withdrawn), grams = max(grams, excluded.grams)`, batchID, sum.Withdrawn, js, hasGrams)
	if err != nil {
		return fmt.Errorf("index batch %d: %w", batchID, err)
	}
	return nil
}

// IndexBatch writes the summary and search index of a batch just cut
// (CreateBatch), in the same transaction: the batch page reads them.
func (tx *Tx) IndexBatch(batchID int64) error {
	gone, err := withdrawnRefs(tx.ctx, tx.tx, batchID)
	if err != nil {
		return err
	}
	sum, g, err := indexPass(tx.ctx, tx.tx, batchID, gone, true)
	if err != nil {
		return err
	}
	return writeIndex(tx.ctx, tx, batchID, sum.summary(int64(len(gone))), g)
}

func withdrawnRefs(ctx context.Context, q queryer, batchID int64) (map[string]bool, error) {
	rows, err := q.QueryxContext(ctx, `SELECT ref FROM withdrawal WHERE batch_id = ?`, batchID)
	if err != nil {
		return nil, fmt.Errorf("read withdrawals of batch %d: %w", batchID, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return nil, fmt.Errorf("read withdrawals of batch %d: %w", batchID, err)
		}
		out[ref] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read withdrawals of batch %d: %w", batchID, err)
	}
	return out, nil
}

// BatchIndexed reports whether a batch has its search index (written
// when it was cut, or on its summary's first computation).
func (s *Store) BatchIndexed(ctx context.Context, batchID int64) (bool, error) {
	var has int
	if err := s.r.GetContext(ctx, &has, `SELECT coalesce(max(grams), 0) FROM batch_index WHERE batch_id = ?`, batchID); err != nil {
		return false, fmt.Errorf("read the index of batch %d: %w", batchID, err)
	}
	return has >= gramsVersion, nil
}

// summaryMu lets one caller at a time compute a summary again, so that
// the sessions looking at a batch right after a withdrawal do not all
// read it.
var summaryMu sync.Mutex

// ErrSummaryNotStored wraps the error of storing a summary that
// BatchSummary computed (and returns all the same).
var ErrSummaryNotStored = errors.New("the summary was computed but not stored")

// BatchSummary returns the summary of the items still in a batch. It is
// the one stored when the batch was cut while no withdrawal has been made
// since; otherwise (or for a batch cut before summaries were stored) it is
// computed again from the batch's items and withdrawals, read in one
// transaction, and stored — with the search index, if the batch had none.
// When only storing it failed, the summary comes with an error wrapping
// ErrSummaryNotStored.
func (s *Store) BatchSummary(ctx context.Context, batchID int64) (*BatchSummary, error) {
	sum, fresh, err := s.storedSummary(ctx, batchID)
	if err != nil || fresh {
		return sum, err
	}
	summaryMu.Lock()
	defer summaryMu.Unlock()
	if sum, fresh, err = s.storedSummary(ctx, batchID); err != nil || fresh {
		return sum, err // computed meanwhile
	}
	var hasGrams int
	if err := s.r.GetContext(ctx, &hasGrams, `SELECT coalesce(max(grams), 0) FROM batch_index WHERE batch_id = ?`, batchID); err != nil {
		return nil, fmt.Errorf("read the summary of batch %d: %w", batchID, err)
	}
	rtx, err := s.r.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read batch %d: %w", batchID, err)
	}
	defer rtx.Rollback()
	gone, err := withdrawnRefs(ctx, rtx, batchID)
	if err != nil {
		return nil, err
	}
	acc, g, err := indexPass(ctx, rtx, batchID, gone, hasGrams == 0)
	if err != nil {
		return nil, err
	}
	rtx.Rollback()
	sum = acc.summary(int64(len(gone)))
	if err := s.Write(ctx, func(tx *Tx) error { return writeIndex(ctx, tx, batchID, sum, g) }); err != nil {
		return sum, fmt.Errorf("%w: %w", ErrSummaryNotStored, err)
	}
	return sum, nil
}

// storedSummary reads a batch's stored summary; fresh says it counts out
// every withdrawal the batch has.
func (s *Store) storedSummary(ctx context.Context, batchID int64) (sum *BatchSummary, fresh bool, err error) {
	var row struct {
		Withdrawn int64  `db:"withdrawn"`
		Summary   []byte `db:"summary"`
		Now       int64  `db:"now"`
	}
	err = s.r.GetContext(ctx, &row, `SELECT i.withdrawn, i.summary,
		(SELECT count(*) FROM withdrawal w WHERE w.batch_id = i.batch_id) AS now
		FROM batch_index i WHERE i.batch_id = ?`, batchID)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.Batch(ctx, batchID); err != nil {
			return nil, false, err
		}
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the summary of batch %d: %w", batchID, err)
	}
	if row.Withdrawn != row.Now {
		return nil, false, nil
	}
	sum = &BatchSummary{}
	if err := json.Unmarshal(row.Summary, sum); err != nil {
		return nil, false, fmt.Errorf("read the summary of batch %d: %w", batchID, err)
	}
	return sum, true, nil
}

// searchCandidates returns the chunks (seqs, ascending) of a batch that
// hold every trigram of q (for q of one or two bytes: a trigram starting
// with it); indexed is false when the batch has no index fit for q (or q
// is empty): then every chunk is a candidate.
func (s *Store) searchCandidates(ctx context.Context, batchID int64, q string) (seqs []int64, indexed bool, err error) {
	lq := strings.ToLower(q)
	if lq == "" {
		return nil, false, nil
	}
	var has int
	if err := s.r.GetContext(ctx, &has, `SELECT coalesce(max(grams), 0) FROM batch_index WHERE batch_id = ?`, batchID); err != nil {
		return nil, false, fmt.Errorf("search batch %d: %w", batchID, err)
	}
	if len(lq) < 3 {
		if has < gramsVersion {
			return nil, false, nil
		}
		return s.shortCandidates(ctx, batchID, lq)
	}
	if has == 0 {
		return nil, false, nil
	}
	grams := queryGrams(q)
	args := make([]any, 0, len(grams)+1)
	args = append(args, batchID)
	for _, c := range grams {
		args = append(args, int64(c))
	}
	rows, err := s.r.QueryContext(ctx, `SELECT seqs FROM batch_gram WHERE batch_id = ? AND gram IN (?`+strings.Repeat(", ?", len(grams)-1)+`)`, args...)
	if err != nil {
		return nil, false, fmt.Errorf("search batch %d: %w", batchID, err)
	}
	defer rows.Close()
	var lists [][]int64
	for rows.Next() {
		var blob []byte
		if err := rows.Scan(&blob); err != nil {
			return nil, false, fmt.Errorf("search batch %d: %w", batchID, err)
		}
		l, err := decodeSeqs(blob)
		if err != nil {
			return nil, false, fmt.Errorf("search batch %d: %w", batchID, err)
		}
		lists = append(lists, l)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("search batch %d: %w", batchID, err)
	}
	if len(lists) < len(grams) {
		return nil, true, nil // a trigram no ref holds
	}
	slices.SortFunc(lists, func(a, b []int64) int { return cmp.Compare(len(a), len(b)) })
	seqs = lists[0]
	for _, l := range lists[1:] {
		seqs = intersect(seqs, l)
	}
	return seqs, true, nil
}

// shortCandidates returns the chunks holding a trigram that starts with
// lq (one or two bytes): every byte of a ref starts one (addRef).
func (s *Store) shortCandidates(ctx context.Context, batchID int64, lq string) ([]int64, bool, error) {
	var lo uint32
	for i := range 3 {
		lo <<= 8
		if i < len(lq) {
			lo |= uint32(lq[i])
		}
	}
	hi := lo + 1<<(8*(3-len(lq))) - 1
	rows, err := s.r.QueryContext(ctx, `SELECT seqs FROM batch_gram WHERE batch_id = ? AND gram BETWEEN ? AND ?`, batchID, int64(lo), int64(hi))
	if err != nil {
		return nil, false, fmt.Errorf("search batch %d: %w", batchID, err)
	}
	defer rows.Close()
	seen := map[int64]bool{}
	var seqs []int64
	for rows.Next() {
		var blob []byte
		if err := rows.Scan(&blob); err != nil {
			return nil, false, fmt.Errorf("search batch %d: %w", batchID, err)
		}
		l, err := decodeSeqs(blob)
		if err != nil {
			return nil, false, fmt.Errorf("search batch %d: %w", batchID, err)
		}
		for _, seq := range l {
			if !seen[seq] {
				seen[seq] = true
				seqs = append(seqs, seq)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("search batch %d: %w", batchID, err)
	}
	slices.Sort(seqs)
	return seqs, true, nil
}

func decodeSeqs(b []byte) ([]int64, error) {
	var out []int64
	var last int64
	for len(b) > 0 {
		d, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, errors.New("corrupt search index")
		}
		last += int64(d)
		out = append(out, last)
		b = b[k:]
	}
	return out, nil
}

// intersect returns the seqs in both ascending lists (reusing a).
func intersect(a, b []int64) []int64 {
	out := a[:0]
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

// indexedSearch is BatchSearch over the candidate chunks the index names.
func (s *Store) indexedSearch(ctx context.Context, batchID int64, q string, seqs []int64, fn func(PlanItem) error) error {
	if len(seqs) == 0 {
		return nil
	}
	match := refMatcherBytes(q)
	stmt, err := s.r.PrepareContext(ctx, `SELECT n, data FROM plan_chunk WHERE batch_id = ? AND seq = ?`)
	if err != nil {
		return fmt.Errorf("search batch items: %w", err)
	}
	defer stmt.Close()
	for _, seq := range seqs {
		if err := ctx.Err(); err != nil {
			return err
		}
		var (
			n    int
			data []byte
		)
		if err := stmt.QueryRowContext(ctx, batchID, seq).Scan(&n, &data); err != nil {
			return fmt.Errorf("search batch items: chunk %d: %w", seq, err)
		}
		err := walkChunk(data, n, func(_ int, it *rawItem) error {
			if !match(it.ref) {
				return nil
			}
			item, err := decodeRaw(it.raw)
			if err != nil {
				return err
			}
			return fn(item)
		})
		if errors.Is(err, ErrStop) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read plan chunk %d: %w", seq, err)
		}
	}
	return nil
}

// refMatcherBytes is RefMatcher for a ref's bytes: the same test, without
// making a string of every ref an ASCII query is tested on.
func refMatcherBytes(q string) func([]byte) bool {
	if q == "" {
		return func([]byte) bool { return true }
	}
	if !isASCII(q) {
		m := RefMatcher(q)
		return func(b []byte) bool { return m(string(b)) }
	}
	lq := []byte(strings.ToLower(q))
	return func(b []byte) bool {
		n := len(lq)
		for i := 0; i+n <= len(b); i++ {
			if equalFoldASCII(b[i:i+n], lq) {
				return true
			}
		}
		return false
	}
}
