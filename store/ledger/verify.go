package ledger

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Source is a ledger to verify: a live database or an auditor's export.
type Source struct {
	// Entries calls fn for leaf 0, 1, 2, … in order with each leaf's stored
	// canonical bytes, and returns the first error fn returns. fn does not
	// retain data, so the caller may reuse its buffer.
	Entries func(ctx context.Context, fn func(index int64, data []byte) error) error
	// StoredHashes, if set, yields the tree's stored hashes in the order of
	// their tlog stored-hash index (tlog.StoredHashIndex), as the database
	// keeps them and an export copies them. Verify recomputes every one: an
	// altered entry is then named by its index even where the signed root
	// alone could only say that something changed.
	StoredHashes iter.Seq2[tlog.Hash, error]
	// Checkpoints are signed checkpoint notes, in any order.
	Checkpoints [][]byte
	// Verifiers are the keys trusted from the start. A key introduced by a
	// key_rotation entry becomes trusted once a checkpoint covering that
	// entry is signed by an already trusted key; from then on every
	// checkpoint must carry the new key's signature.
	Verifiers note.Verifiers
	// Origin, if set, is the origin every checkpoint must carry.
	Origin string
	// Content, if set, checks each parsed entry against the rules of the
	// ledger's content (see NewContentRules); Verify stops at the first
	// entry it refuses.
	Content ContentChecker
}

// ContentChecker checks the meaning of entries in ledger order.
type ContentChecker interface {
	// Check is called once per entry, in order; it returns a reason to
	// refuse the entry, or "" to accept it.
	Check(index int64, e *Entry) string
}

// Report is what a successful verification found.
type Report struct {
	Entries     int64 // entries read, all in canonical form
	Checkpoints int   // checkpoints verified
	Latest      Checkpoint
	// UncheckpointedEntries counts the entries after the latest checkpoint:
	// they are well formed, but no signature vouches for them yet.
	UncheckpointedEntries int64
	Types                 map[Type]int64 // entries by type
	// Auth counts the decisions people took (Decision) by how they were
	// authenticated (Entry.Auth; "" for entries written before entries
	// recorded it).
	Auth map[string]int64
	// Keys are the verifier keys that signed verified checkpoints, in the
	// order they were first seen.
	Keys []string
	// StoredHashes reports whether stored hashes were checked too.
	StoredHashes bool
}

// VerifyError says what verification found wrong and where.
type VerifyError struct {
	Index      int64 // the entry at fault, or -1 if the fault is not in one entry
	Checkpoint int   // the checkpoint at fault, as an index into Source.Checkpoints, or -1
	Reason     string
	Err        error // the underlying error, if any
}

// Error describes the fault, prefixed by the entry and checkpoint it
// concerns.
func (e *VerifyError) Error() string {
	var b strings.Builder
	if e.Index >= 0 {
		fmt.Fprintf(&b, "entry %d", e.Index)
	}
	if e.Checkpoint >= 0 {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "checkpoint %d", e.Checkpoint)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *VerifyError) Unwrap() error { return e.Err }

// ctxCheckEvery is how many entries Verify reads between looks at its
// context.
const ctxCheckEvery = 1024

// Verify checks a ledger offline. It streams the entries once: each must be
// in canonical form (Parse) and, if src.Content is set, pass its checks;
// the RFC 6962 tree recomputed over them must have, at every checkpoint's
// size, that checkpoint's root hash, and every checkpoint must be signed by
// a trusted key (see Source.Verifiers) with the right origin. If
// src.StoredHashes is set, every stored hash must equal the recomputed one.
// It keeps O(log n) state besides the checkpoints and what src.Content
// keeps.
//
// A ledger that fails returns a *VerifyError (use errors.As):
//   - a checkpoint that does not parse, whose signature does not verify
//     with the keys trusted at its size, or whose origin is wrong
//     (Checkpoint set);
//   - an entry that does not parse or is not canonical, is refused by
//     src.Content, whose stored hash differs, or an index out of sequence
//     (Index set);
//   - a tree hash that differs from a checkpoint's: "history was rewritten"
//     (Checkpoint set; Index set too when stored hashes name the entry);
//   - a checkpoint covering more entries than there are: "entries were
//     removed" (Checkpoint set, Index the first missing entry);
//   - entries but no checkpoint at all (both -1).
//
// Entries after the latest checkpoint are allowed and counted in
// Report.UncheckpointedEntries. An error from src.Entries or
// src.StoredHashes that is not a *VerifyError, or the end of ctx, is
// returned wrapped.
func Verify(ctx context.Context, src Source) (*Report, error) {
	if src.Entries == nil {
		return nil, errors.New("verify ledger: no entries to read")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("verify ledger: %w", err)
	}
	v := &verifier{src: src, keys: newKeyRing(src.Verifiers), rep: &Report{Types: map[Type]int64{}, Auth: map[string]int64{}}, suspect: -1}
	for i, msg := range src.Checkpoints {
		c, err := PeekCheckpoint(msg)
		if err != nil {
			return nil, &VerifyError{Index: -1, Checkpoint: i, Reason: "signature does not verify with the trusted keys", Err: err}
		}
		v.cps = append(v.cps, pendingCheckpoint{c, i, msg})
	}
	slices.SortStableFunc(v.cps, func(a, b pendingCheckpoint) int { return cmp.Compare(a.N, b.N) })
	if src.StoredHashes != nil {
		hr := newHashReader(src.StoredHashes)
		defer hr.stop()
		v.nextHash = hr.next
		v.rep.StoredHashes = true
	}
	if err := v.check(); err != nil {
		return nil, err
	}
	pw := newParseWorker(v)
	err := src.Entries(ctx, v.entry(ctx, pw))
	if err != nil {
		if ve, ok := errors.AsType[*VerifyError](err); ok {
			ve = pw.first(ve)
			pw.stop()
			return nil, ve
		}
		pe := pw.sync()
		pw.stop()
		if pe != nil {
			return nil, pe
		}
		return nil, fmt.Errorf("verify ledger: read entries: %w", err)
	}
	pe := pw.sync()
	pw.stop()
	if pe != nil {
		return nil, pe
	}
	return v.finish()
}

type pendingCheckpoint struct {
	Checkpoint
	idx int // in Source.Checkpoints
	msg []byte
}

// PeekCheckpoint parses the body of a signed checkpoint note without
// checking its signatures: to learn its size or origin before trusting it.
func PeekCheckpoint(msg []byte) (Checkpoint, error) {
	i := bytes.Index(msg, []byte("\n\n"))
	if i < 0 {
		return Checkpoint{}, errors.New("not a signed note")
	}
	return ParseCheckpointBody(msg[:i+1])
}

type verifier struct {
	src      Source
	keys     *keyRing
	cps      []pendingCheckpoint
	rep      *Report
	t        Tree
	next     int   // the first checkpoint not yet checked
	matched  int64 // the size of the last checkpoint that matched
	nextHash func() (tlog.Hash, error, bool)
	stored   int64 // stored hashes read
	// suspect is the first entry whose leaf hash differs from its stored
	// hash, or -1: either it or the stored hash was altered, which the
	// next checkpoint decides.
	suspect int64
	e       Entry // the entry parse is checking, on the parse worker
	leaf    leafHasher
}

// entry returns the callback for src.Entries. It hashes each leaf at once
// and hands its bytes to a second goroutine that parses them and applies
// the content rules, so that the two halves of the work use two cores. The
// two meet at every checkpoint (whose keys may depend on rotation entries)
// and at the end, and the fault with the lowest index wins.
func (v *verifier) entry(ctx context.Context, pw *parseWorker) func(int64, []byte) error {
	return func(i int64, data []byte) error {
		if n := v.t.Size(); i != n {
			reason := fmt.Sprintf("entry is missing: the next entry read has index %d", i)
			if i < n {
				reason = fmt.Sprintf("entries out of order: index %d read again after entry %d", i, n-1)
			}
			return pw.first(&VerifyError{Index: n, Checkpoint: -1, Reason: reason})
		}
		if i%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		pw.add(i, data)
		if err := v.append(i, data); err != nil {
			if ve, ok := err.(*VerifyError); ok {
				return pw.first(ve)
			}
			return err
		}
		if v.next < len(v.cps) && v.cps[v.next].N == v.t.Size() {
			if ve := pw.sync(); ve != nil {
				return ve
			}
			return v.check()
		}
		return nil
	}
}

// parseWorker parses entries and applies the content rules on its own
// goroutine, in ledger order.
type parseWorker struct {
	v     *verifier
	in    chan parseMsg
	free  chan *parseChunk
	cur   *parseChunk
	err   *VerifyError // the first fault found; read only after sync
	ended chan struct{}
}

type parseChunk struct {
	first int64
	data  []byte
	ends  []int
}

type parseMsg struct {
	chunk   *parseChunk
	barrier chan struct{}
}

const parseChunkEntries = 256

func newParseWorker(v *verifier) *parseWorker {
	pw := &parseWorker{v: v, in: make(chan parseMsg, 4), free: make(chan *parseChunk, 6), ended: make(chan struct{})}
	go pw.run()
	return pw
}

func (pw *parseWorker) run() {
	defer close(pw.ended)
	for m := range pw.in {
		if m.barrier != nil {
			close(m.barrier)
			continue
		}
		c := m.chunk
		if pw.err == nil {
			start := 0
			for k, end := range c.ends {
				if ve := pw.v.parse(c.first+int64(k), c.data[start:end]); ve != nil {
					pw.err = ve
					break
				}
				start = end
			}
		}
		select {
		case pw.free <- c:
		default:
		}
	}
}

// add queues an entry's bytes, which the caller may reuse afterwards.
func (pw *parseWorker) add(i int64, data []byte) {
	if pw.cur == nil {
		select {
		case pw.cur = <-pw.free:
			pw.cur.data, pw.cur.ends = pw.cur.data[:0], pw.cur.ends[:0]
		default:
			pw.cur = &parseChunk{}
		}
		pw.cur.first = i
	}
	pw.cur.data = append(pw.cur.data, data...)
	pw.cur.ends = append(pw.cur.ends, len(pw.cur.data))
	if len(pw.cur.ends) == parseChunkEntries {
		pw.flush()
	}
}

func (pw *parseWorker) flush() {
	if pw.cur != nil && len(pw.cur.ends) > 0 {
		pw.in <- parseMsg{chunk: pw.cur}
	}
	pw.cur = nil
}

// sync waits until every queued entry is parsed and returns the first
// fault found.
func (pw *parseWorker) sync() *VerifyError {
	pw.flush()
	b := make(chan struct{})
	pw.in <- parseMsg{barrier: b}
	<-b
	return pw.err
}

// first returns the fault with the lower index: ve, found while hashing,
// or one the parser found in an earlier entry.
func (pw *parseWorker) first(ve *VerifyError) *VerifyError {
	if pe := pw.sync(); pe != nil && (ve.Index < 0 || pe.Index <= ve.Index) {
		return pe
	}
	return ve
}

func (pw *parseWorker) stop() {
	close(pw.in)
	<-pw.ended
}

// parse checks one entry: canonical form, content rules, key rotations.
func (v *verifier) parse(i int64, data []byte) *VerifyError {
	// One Entry for every entry: a local one would escape through the
	// ContentChecker interface, an allocation per entry.
	var err error
	v.e, err = Parse(data)
	if err != nil {
		return &VerifyError{Index: i, Checkpoint: -1, Reason: "entry does not parse as a canonical entry", Err: err}
	}
	e := &v.e
	if v.src.Content != nil {
		if reason := v.src.Content.Check(i, e); reason != "" {
			return &VerifyError{Index: i, Checkpoint: -1, Reason: reason}
		}
	}
	if e.Type == TypeKeyRotation && e.Method == KeySigning {
		if err := v.keys.introduce(i, e.Key); err != nil {
			return &VerifyError{Index: i, Checkpoint: -1, Reason: "key rotation names a key that does not parse", Err: err}
		}
	}
	v.rep.Types[e.Type]++
	if Decision(e) {
		v.rep.Auth[e.Auth]++
	}
	return nil
}

// append adds the leaf to the tree and compares the hashes tlog stores for
// it with the stored ones.
func (v *verifier) append(i int64, data []byte) error {
	if v.nextHash == nil {
		v.t.appendLeafHash(v.leaf.sum(data), nil)
		return nil
	}
	var fail error
	v.t.appendLeafHash(v.leaf.sum(data), func(k int, want tlog.Hash) {
		if fail != nil {
			return
		}
		got, err, ok := v.nextHash()
		switch {
		case err != nil:
			fail = fmt.Errorf("verify ledger: read stored hashes: %w", err)
		case !ok:
			fail = &VerifyError{Index: i, Checkpoint: -1, Reason: fmt.Sprintf("stored hashes end at %d: the hashes of this entry are missing", v.stored)}
		case got == want, v.suspect >= 0:
			// Once a leaf differs, the hashes above it differ too; the
			// next checkpoint says whether the entry or its hash changed.
		case k == 0:
			v.suspect = i
		default:
			fail = &VerifyError{Index: i, Checkpoint: -1,
				Reason: fmt.Sprintf("stored tree hash %d, written with this entry, was altered", v.stored)}
		}
		v.stored++
	})
	return fail
}

// check verifies the checkpoints of the tree's current size.
func (v *verifier) check() error {
	if v.next == len(v.cps) || v.cps[v.next].N != v.t.Size() {
		return nil
	}
	h := v.t.Hash()
	end := v.next
	anyMatch := false
	for ; end < len(v.cps) && v.cps[end].N == v.t.Size(); end++ {
		anyMatch = anyMatch || v.cps[end].Hash == h
	}
	for _, c := range v.cps[v.next:end] {
		if err := v.open(c); err != nil {
			return err
		}
		if c.Hash == h {
			continue
		}
		if v.suspect >= 0 {
			return &VerifyError{Index: v.suspect, Checkpoint: c.idx,
				Reason: "entry was altered: its hash differs from the stored one and the tree no longer matches the signed checkpoint"}
		}
		var where string
		switch {
		case anyMatch:
			where = "another checkpoint of the same size matches: two different histories were signed"
		case c.N > v.matched:
			where = fmt.Sprintf("an entry from %d to %d was changed, removed, inserted or moved", v.matched, c.N-1)
		default:
			where = "it does not carry the hash of the empty ledger"
		}
		return &VerifyError{Index: -1, Checkpoint: c.idx,
			Reason: fmt.Sprintf("tree hash at size %d does not match checkpoint: history was rewritten (%s)", c.N, where)}
	}
	if v.suspect >= 0 {
		return &VerifyError{Index: v.suspect, Checkpoint: -1,
			Reason: "stored leaf hash was altered: the entry matches the signed tree but not its stored hash"}
	}
	v.matched, v.next = v.t.Size(), end
	return nil
}

// open checks a checkpoint's signatures with the keys trusted at its size
// and its origin.
func (v *verifier) open(c pendingCheckpoint) error {
	_, n, err := openCheckpoint(c.msg, v.keys)
	if err != nil {
		return &VerifyError{Index: -1, Checkpoint: c.idx, Reason: "signature does not verify with the trusted keys", Err: err}
	}
	if v.src.Origin != "" && c.Origin != v.src.Origin {
		return &VerifyError{Index: -1, Checkpoint: c.idx, Reason: fmt.Sprintf("checkpoint is for ledger %q, not %q", c.Origin, v.src.Origin)}
	}
	if reason := v.keys.signed(c.N, c.msg); reason != "" {
		return &VerifyError{Index: -1, Checkpoint: c.idx, Reason: reason}
	}
	// Keys this checkpoint endorsed have verified their signatures too.
	if again, err := note.Open(c.msg, v.keys); err == nil {
		n = again
	}
	for _, s := range n.Sigs {
		if k := keyName(s.Name, s.Hash); !slices.Contains(v.rep.Keys, k) {
			v.rep.Keys = append(v.rep.Keys, k)
		}
	}
	v.rep.Checkpoints++
	return nil
}

func (v *verifier) finish() (*Report, error) {
	rep := v.rep
	rep.Entries = v.t.Size()
	if v.next < len(v.cps) {
		c := v.cps[v.next]
		return nil, &VerifyError{Index: v.t.Size(), Checkpoint: c.idx,
			Reason: fmt.Sprintf("checkpoint covers %d entries but the ledger has only %d: entries were removed", c.N, v.t.Size())}
	}
	if v.suspect >= 0 {
		return nil, &VerifyError{Index: v.suspect, Checkpoint: -1,
			Reason: "entry or its stored hash was altered after the latest checkpoint: they differ"}
	}
	if v.nextHash != nil {
		if _, err, ok := v.nextHash(); err != nil {
			return nil, fmt.Errorf("verify ledger: read stored hashes: %w", err)
		} else if ok {
			return nil, &VerifyError{Index: -1, Checkpoint: -1,
				Reason: fmt.Sprintf("there are more stored hashes than the %d entries need (%d): hashes were added", v.t.Size(), v.stored)}
		}
	}
	if len(v.cps) == 0 {
		if v.t.Size() > 0 {
			return nil, &VerifyError{Index: -1, Checkpoint: -1,
				Reason: fmt.Sprintf("the ledger has %d entries and no signed checkpoint", v.t.Size())}
		}
		return rep, nil
	}
	rep.Latest = v.cps[len(v.cps)-1].Checkpoint
	rep.UncheckpointedEntries = v.t.Size() - rep.Latest.N
	return rep, nil
}

// hashReader reads Source.StoredHashes on a goroutine of its own, so that
// reading them (a database query) overlaps with hashing the entries, and
// hands them over in reused chunks: a hand-over per hash, as iter.Pull2
// makes, cost a goroutine switch each.
type hashReader struct {
	out   chan *hashChunk
	free  chan *hashChunk
	done  chan struct{} // closed by stop
	ended chan struct{} // closed when the goroutine returns
	cur   *hashChunk
	k     int // the next hash of cur
}

type hashChunk struct {
	hashes []tlog.Hash
	err    error // after hashes, the error the sequence yielded
	end    bool  // after hashes (and err), the sequence ended
}

const (
	hashChunkSize = 4096
	hashChunks    = 4
)

func newHashReader(seq iter.Seq2[tlog.Hash, error]) *hashReader {
	r := &hashReader{out: make(chan *hashChunk, hashChunks-2), free: make(chan *hashChunk, hashChunks),
		done: make(chan struct{}), ended: make(chan struct{})}
	for range hashChunks {
		r.free <- &hashChunk{hashes: make([]tlog.Hash, 0, hashChunkSize)}
	}
	go r.run(seq)
	return r
}

func (r *hashReader) run(seq iter.Seq2[tlog.Hash, error]) {
	defer close(r.ended)
	var c *hashChunk
	get := func() bool {
		select {
		case c = <-r.free:
			c.hashes, c.err, c.end = c.hashes[:0], nil, false
			return true
		case <-r.done:
			return false
		}
	}
	send := func() bool {
		select {
		case r.out <- c:
			c = nil
			return true
		case <-r.done:
			return false
		}
	}
	if !get() {
		return
	}
	for h, err := range seq {
		if err != nil {
			c.err = err
			break
		}
		c.hashes = append(c.hashes, h)
		if len(c.hashes) == hashChunkSize {
			if !send() || !get() {
				return
			}
		}
	}
	c.end = true
	send()
}

// next returns the next stored hash, as the function iter.Pull2 returns.
func (r *hashReader) next() (tlog.Hash, error, bool) {
	for r.cur == nil || r.k == len(r.cur.hashes) {
		if r.cur != nil {
			if r.cur.err != nil {
				return tlog.Hash{}, r.cur.err, true
			}
			if r.cur.end {
				return tlog.Hash{}, nil, false
			}
			r.free <- r.cur
		}
		r.cur, r.k = <-r.out, 0
	}
	r.k++
	return r.cur.hashes[r.k-1], nil, true
}

// stop ends the goroutine and waits for it.
func (r *hashReader) stop() {
	close(r.done)
	<-r.ended
}
