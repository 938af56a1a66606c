package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"golang.org/x/mod/sumdb/tlog"
)

// The ledger's leaves are the canonical bytes of ledger entries (package
// store/ledger); the store keeps them and the RFC 6962 tree's stored hashes
// (tlog.StoredHashes) so that tree hashes and proofs need no recomputation.

// Append adds leaves to the ledger inside the transaction and returns the
// index of the first.
//
// It reads the roots of the tree's right edge that the leaves complete, in
// one query, computes every stored hash (tlog.StoredHashes) in memory from
// them, and writes leaves and hashes with multi-row INSERTs, so that a
// batch costs a few statements per hundred entries rather than several per
// entry. It also adds the deletion entries among the leaves to the
// dashboard's counts (ledger_deletion_count, see deletionTally), one
// statement per minute and outcome.
func (tx *Tx) Append(leaves ...[]byte) (int64, error) {
	ctx := tx.ctx
	n, err := treeSize(ctx, tx.tx)
	if err != nil {
		return 0, err
	}
	first := n
	if len(leaves) == 0 {
		return first, nil
	}
	edge, err := rightEdge(ctx, tx.tx, n, len(leaves))
	if err != nil {
		return 0, fmt.Errorf("hash ledger entry %d: %w", n, err)
	}
	leafRows := &rowInserter{tx: tx.tx, into: "ledger_entry(idx, data)", what: "append ledger entry", max: min(len(leaves), leafRowsPerInsert)}
	defer leafRows.close()
	hashRows := &rowInserter{tx: tx.tx, into: "tlog_hash(idx, hash)", what: "append ledger hash", max: min(2*len(leaves), hashRowsPerInsert)}
	defer hashRows.close()
	var slab []byte // the stored hashes' bytes for hashRows, kept until it flushes
	var deletions deletionTally
	for _, data := range leaves {
		deletions.add(data)
		if err := leafRows.add(ctx, n, data); err != nil {
			return 0, err
		}
		// As ledger.Tree does: the leaf hash, then one hash for each
		// complete subtree the leaf closes, at consecutive stored indexes.
		h := tlog.RecordHash(data)
		idx := tlog.StoredHashIndex(0, n)
		for m := n; ; m >>= 1 {
			if len(slab)+tlog.HashSize > cap(slab) {
				slab = make([]byte, 0, hashRows.max*tlog.HashSize)
			}
			slab = append(slab, h[:]...)
			if err := hashRows.add(ctx, idx, slab[len(slab)-tlog.HashSize:]); err != nil {
				return 0, err
			}
			if m&1 == 0 {
				break
			}
			last := len(edge) - 1
			h = tlog.NodeHash(edge[last], h)
			edge = edge[:last]
			idx++
		}
		edge = append(edge, h)
		n++
	}
	if err := leafRows.flush(ctx); err != nil {
		return 0, err
	}
	if err := hashRows.flush(ctx); err != nil {
		return 0, err
	}
	if err := deletions.store(ctx, tx.tx); err != nil {
		return 0, err
	}
	return first, nil
}

// deletionTally counts deletion entries per minute and outcome for the
// dashboard's table ledger_deletion_count (migrations 016 and 019). It
// reads them from the canonical bytes as migration 016 did in SQL:
// canonical entries begin with their type and then their time
// ({"type":"deletion","time":"2026-11-22T10:00…), so the minute is the 16
// bytes from the 28th; the key "outcome": appears only as that member
// (quotes inside strings are escaped), and the outcome is the string it
// opens ("" without one). It never fails, whatever the bytes; the counts
// are a view, the entries the evidence.
type deletionTally struct {
	keys  []minuteOutcome // in order of first appearance
	n     []int64
	index map[minuteOutcome]int // into keys
}

type minuteOutcome struct{ minute, outcome string }

var (
	deletionPrefix = []byte(`{"type":"deletion",`)
	outcomeKey     = []byte(`"outcome":"`)
)

func (t *deletionTally) add(data []byte) {
	if !bytes.HasPrefix(data, deletionPrefix) {
		return
	}
	var minute, outcome []byte
	if len(data) > 27 {
		minute = data[27:min(len(data), 43)]
	}
	if i := bytes.Index(data, outcomeKey); i >= 0 {
		rest := data[i+len(outcomeKey):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			outcome = rest[:j]
		}
	}
	// The entries of one call mostly share both: the last key first,
	// compared without allocating.
	if last := len(t.keys) - 1; last >= 0 && t.keys[last].minute == string(minute) && t.keys[last].outcome == string(outcome) {
		t.n[last]++
		return
	}
	k := minuteOutcome{string(minute), string(outcome)}
	if i, ok := t.index[k]; ok {
		t.n[i]++
		return
	}
	if t.index == nil {
		t.index = map[minuteOutcome]int{}
	}
	t.index[k] = len(t.keys)
	t.keys = append(t.keys, k)
	t.n = append(t.n, 1)
}

// store adds the counts to ledger_deletion_count, one statement per
// minute and outcome.
func (t *deletionTally) store(ctx context.Context, tx *sqlx.Tx) error {
	for i, k := range t.keys {
		_, err := tx.ExecContext(ctx, `INSERT INTO ledger_deletion_count(minute, outcome, n) VALUES (?, ?, ?)
			ON CONFLICT (minute, outcome) DO UPDATE SET n = n + excluded.n`, k.minute, k.outcome, t.n[i])
		if err != nil {
			return fmt.Errorf("count deletion entries: %w", err)
		}
	}
	return nil
}

// Rows per multi-row INSERT: large enough that the per-statement cost
// vanishes, small enough to stay far below SQLite's limit on parameters.
const (
	leafRowsPerInsert = 64
	hashRowsPerInsert = 256
)

// rowInserter writes (idx, value) rows, max rows per statement. The values
// it is given must stay unchanged until it flushes.
type rowInserter struct {
	tx   *sqlx.Tx
	into string // table(idx column, value column)
	what string // for errors
	max  int
	args []any
	full *sql.Stmt // the statement for max rows, prepared on first use
}

func (r *rowInserter) add(ctx context.Context, idx int64, value []byte) error {
	if r.args == nil {
		r.args = make([]any, 0, 2*r.max)
	}
	r.args = append(r.args, idx, value)
	if len(r.args) < 2*r.max {
		return nil
	}
	if r.full == nil {
		st, err := r.tx.PrepareContext(ctx, r.query(r.max))
		if err != nil {
			return fmt.Errorf("%s: %w", r.what, err)
		}
		r.full = st
	}
	_, err := r.full.ExecContext(ctx, r.args...)
	clear(r.args)
	r.args = r.args[:0]
	if err != nil {
		return fmt.Errorf("%s: %w", r.what, err)
	}
	return nil
}

// flush writes the rows not written yet.
func (r *rowInserter) flush(ctx context.Context) error {
	if len(r.args) == 0 {
		return nil
	}
	_, err := r.tx.ExecContext(ctx, r.query(len(r.args)/2), r.args...)
	clear(r.args)
	r.args = r.args[:0]
	if err != nil {
		return fmt.Errorf("%s: %w", r.what, err)
	}
	return nil
}

func (r *rowInserter) close() {
	if r.full != nil {
		r.full.Close()
	}
}

func (r *rowInserter) query(rows int) string {
	return "INSERT INTO " + r.into + " VALUES (?, ?)" + strings.Repeat(",(?, ?)", rows-1)
}

// rightEdge returns the roots of the complete subtrees along the right edge
// of the tree of size n, largest first, one for each set bit of n, as
// ledger.Tree keeps them. It reads, in one query, only those that appending
// k leaves merges: the root of 2^j leaves is merged once the leaves after
// it reach 2^j, completing a subtree of 2^(j+1). The others are left zero;
// they stay on the edge untouched.
func rightEdge(ctx context.Context, q queryer, n int64, k int) ([]tlog.Hash, error) {
	var (
		pos     []int   // in edge
		indexes []int64 // their stored hash indexes
		start   int64   // the first leaf under the root at bit j
		bits    int
	)
	for j := 62; j >= 0; j-- {
		if n&(1<<j) == 0 {
			continue
		}
		if n&(1<<j-1)+int64(k) >= 1<<j {
			pos = append(pos, bits)
			indexes = append(indexes, tlog.StoredHashIndex(j, start>>j))
		}
		start += 1 << j
		bits++
	}
	edge := make([]tlog.Hash, bits, bits+64)
	if len(indexes) == 0 {
		return edge, nil
	}
	args := make([]any, len(indexes))
	for i, idx := range indexes {
		args[i] = idx
	}
	rows, err := q.QueryxContext(ctx, `SELECT idx, hash FROM tlog_hash WHERE idx IN (?`+strings.Repeat(", ?", len(indexes)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read ledger hashes: %w", err)
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var (
			idx int64
			b   []byte
		)
		if err := rows.Scan(&idx, &b); err != nil {
			return nil, fmt.Errorf("read ledger hashes: %w", err)
		}
		i := slices.Index(indexes, idx)
		if i < 0 {
			continue
		}
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("ledger hash %d is corrupt", idx)
		}
		copy(edge[pos[i]][:], b)
		found++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read ledger hashes: %w", err)
	}
	if found != len(indexes) {
		return nil, fmt.Errorf("ledger hashes of the tree of size %d: %w", n, ErrNotFound)
	}
	return edge, nil
}

// Entries calls fn with each ledger leaf in order. data is valid only until
// fn returns: fn must copy what it keeps (ledger.Parse does).
//
// A second goroutine reads the leaves while fn runs: stepping SQLite
// through its pages costs about as much per leaf as hashing and parsing it,
// so on two cores reading overlaps with what fn does. They pass a few
// reused chunks of leaves between them, so memory stays flat. The reader
// reads in one read transaction (one snapshot), a chunk's range of indexes
// per query and only the leaves' bytes: the index column of every row cost
// the driver as much again. A chunk with fewer rows than its range (a
// missing entry), or a ledger with an index below 0, is read on from there
// a row at a time with its indexes, so that the fault is named as before.
func (s *Store) Entries(ctx context.Context, fn func(index int64, data []byte) error) error {
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") //nolint:errcheck // a read transaction; nothing to undo
	var low, high sql.NullInt64
	if err := conn.QueryRowContext(ctx, leafBoundsQuery).Scan(&low, &high); err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	r := &leafReader{ctx: ctx, conn: conn, out: make(chan *leafChunk, leafChunks-2), free: make(chan *leafChunk, leafChunks), stop: make(chan struct{})}
	switch {
	case !low.Valid:
		r.end = 0
	case low.Int64 < 0:
		r.end, r.from = 0, math.MinInt64
	default:
		r.end = high.Int64 + 1
	}
	go r.run()
	defer func() {
		close(r.stop)
		for range r.out {
			// The reader ends at its next send and closes out.
		}
	}()
	var want int64
	for c := range r.out {
		// The reader may be chunks ahead of a cancellation.
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("read ledger: %w", err)
		}
		start := 0
		for k, end := range c.ends {
			if c.idx[k] != want {
				return fmt.Errorf("read ledger: entry %d is missing", want)
			}
			want++
			if err := fn(c.idx[k], c.data[start:end:end]); err != nil {
				return err
			}
			start = end
		}
		if c.err != nil {
			return fmt.Errorf("read ledger: %w", c.err)
		}
		r.free <- c // never blocks: free holds every chunk
	}
	return nil
}

// leafBoundsQuery reads the lowest and highest index of ledger_entry. Each
// bound is a subquery of its own: SQLite answers a lone min() or max() of
// the primary key from one end of the tree, but `SELECT min(idx),
// max(idx)` scans the whole table, which read every page of the ledger
// once more before the leaves themselves (half of verify's reads).
const leafBoundsQuery = `SELECT (SELECT min(idx) FROM ledger_entry), (SELECT max(idx) FROM ledger_entry)`

// The reader hands over chunks of up to leafChunkSize leaves or about
// leafChunkBytes, whichever comes first; there are leafChunks chunks: one
// being filled, one being read and the rest waiting on the channel.
const (
	leafChunkSize  = 512
	leafChunkBytes = 1 << 20
	leafChunks     = 4
)

// leafChunk is consecutive rows of ledger_entry: leaf k is
// data[ends[k-1]:ends[k]] with index idx[k]. err, if set, ends the rows.
type leafChunk struct {
	idx  []int64
	data []byte
	ends []int
	err  error
}

// leafReader reads leaves into chunks on its own goroutine, until they end
// or stop is closed. It makes leafChunks chunks and then reuses those it
// gets back on free.
type leafReader struct {
	ctx  context.Context
	conn *sql.Conn // in a read transaction
	// end is one past the last index; leaves from 0 to end are read by
	// ranges, then from from on a row at a time.
	end, from int64
	out       chan *leafChunk // closed when the reader ends
	free      chan *leafChunk
	stop      chan struct{}
	made      int
}

// chunk returns an empty chunk, or nil if stop was closed first.
func (r *leafReader) chunk() *leafChunk {
	if r.made < leafChunks {
		r.made++
		return &leafChunk{idx: make([]int64, 0, leafChunkSize), ends: make([]int, 0, leafChunkSize),
			data: make([]byte, 0, leafChunkBytes+leafChunkBytes/4)}
	}
	select {
	case c := <-r.free:
		c.idx, c.data, c.ends = c.idx[:0], c.data[:0], c.ends[:0]
		return c
	case <-r.stop:
		return nil
	}
}

// send hands c over, and reports false if stop was closed first.
func (r *leafReader) send(c *leafChunk) bool {
	select {
	case r.out <- c:
		return true
	case <-r.stop:
		return false
	}
}

// fail hands over err in a chunk of its own.
func (r *leafReader) fail(err error) {
	if c := r.chunk(); c != nil {
		c.err = err
		r.send(c)
	}
}

func (r *leafReader) run() {
	defer close(r.out)
	next, ok := r.ranges()
	if !ok {
		return
	}
	switch {
	case r.from < 0:
		r.rows(r.from)
	case next < r.end:
		r.rows(next)
	}
}

// ranges reads the leaves from 0 up to r.end a range per query, and
// returns where to go on a row at a time: r.end, or the start of a range
// that lacks a row. It reports false if it handed over an error or was
// stopped.
func (r *leafReader) ranges() (int64, bool) {
	if r.end == 0 {
		return 0, true
	}
	st, err := r.conn.PrepareContext(r.ctx, `SELECT data FROM ledger_entry WHERE idx >= ? AND idx < ? ORDER BY idx`)
	if err != nil {
		r.fail(err)
		return 0, false
	}
	defer st.Close()
	var data sql.RawBytes // the driver's bytes, copied into the chunk at once
	for lo := int64(0); lo < r.end; {
		c := r.chunk()
		if c == nil {
			return 0, false
		}
		hi := min(lo+leafChunkSize, r.end)
		rows, err := st.QueryContext(r.ctx, lo, hi)
		if err != nil {
			c.err = err
			r.send(c)
			return 0, false
		}
		k := lo
		for rows.Next() && len(c.data) < leafChunkBytes {
			if err := rows.Scan(&data); err != nil {
				c.err = err
				break
			}
			c.idx = append(c.idx, k)
			c.data = append(c.data, data...)
			c.ends = append(c.ends, len(c.data))
			k++
		}
		if err := rows.Close(); err != nil && c.err == nil {
			c.err = err
		}
		if err := rows.Err(); err != nil && c.err == nil {
			c.err = err
		}
		if c.err != nil {
			r.send(c)
			return 0, false
		}
		if k < hi && len(c.data) < leafChunkBytes {
			// A row is missing from [lo, hi): read on from lo with the
			// indexes, which name it.
			r.free <- c // never blocks: free holds every chunk
			return lo, true
		}
		if !r.send(c) {
			return 0, false
		}
		lo = k
	}
	return r.end, true
}

// rows reads the leaves from index from on, a row at a time.
func (r *leafReader) rows(from int64) {
	rows, err := r.conn.QueryContext(r.ctx, `SELECT idx, data FROM ledger_entry WHERE idx >= ? ORDER BY idx`, from)
	if err != nil {
		r.fail(err)
		return
	}
	defer rows.Close()
	var (
		c    *leafChunk
		idx  int64
		data sql.RawBytes // the driver's bytes, copied into the chunk at once
	)
	for rows.Next() {
		if c == nil {
			if c = r.chunk(); c == nil {
				return
			}
		}
		if err := rows.Scan(&idx, &data); err != nil {
			c.err = err
			r.send(c)
			return
		}
		c.idx = append(c.idx, idx)
		c.data = append(c.data, data...)
		c.ends = append(c.ends, len(c.data))
		if len(c.ends) == leafChunkSize || len(c.data) >= leafChunkBytes {
			if !r.send(c) {
				return
			}
			c = nil
		}
	}
	if err := rows.Err(); err != nil {
		if c == nil {
			if c = r.chunk(); c == nil {
				return
			}
		}
		c.err = err
	}
	if c != nil {
		r.send(c)
	}
}

type queryer interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error)
}

func treeSize(ctx context.Context, q queryer) (int64, error) {
	var n int64
	if err := q.GetContext(ctx, &n, `SELECT coalesce(max(idx) + 1, 0) FROM ledger_entry`); err != nil {
		return 0, fmt.Errorf("read ledger size: %w", err)
	}
	return n, nil
}

type hashReader struct {
	ctx context.Context
	q   queryer
}

func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	// One query per few hundred indexes: a proof or a tree hash asks for
	// a few dozen at once, and a query each cost most of a proof.
	const perQuery = 500
	found := make(map[int64]tlog.Hash, len(indexes))
	for start := 0; start < len(indexes); start += perQuery {
		part := indexes[start:min(len(indexes), start+perQuery)]
		args := make([]any, len(part))
		for i, idx := range part {
			args[i] = idx
		}
		rows, err := r.q.QueryxContext(r.ctx, `SELECT idx, hash FROM tlog_hash WHERE idx IN (?`+strings.Repeat(", ?", len(part)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read ledger hashes: %w", err)
		}
		for rows.Next() {
			var (
				idx int64
				b   []byte
			)
			if err := rows.Scan(&idx, &b); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read ledger hashes: %w", err)
			}
			if len(b) != tlog.HashSize {
				rows.Close()
				return nil, fmt.Errorf("ledger hash %d is corrupt", idx)
			}
			found[idx] = tlog.Hash(b)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read ledger hashes: %w", err)
		}
	}
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, ok := found[idx]
		if !ok {
			return nil, fmt.Errorf("ledger hash %d: %w", idx, ErrNotFound)
		}
		out[i] = h
	}
	return out, nil
}
