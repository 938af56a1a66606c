package ledger

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Source is a ledger to verify: a live database or an auditor's export.
type Source struct {
	// Entries calls fn for leaf 0, 1, 2, … in order with each leaf's stored
	// canonical bytes, and returns the first error fn returns. fn does not
	// retain data, so the caller may reuse its buffer.
	Entries func(ctx context.Context, fn func(index int64, data []byte) error) error
	// Checkpoints are signed checkpoint notes, in any order.
	Checkpoints [][]byte
	// Verifiers are the keys checkpoints may be signed with.
	Verifiers note.Verifiers
	// Origin, if set, is the origin every checkpoint must carry.
	Origin string
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

// Verify checks a ledger offline. It opens every checkpoint with
// src.Verifiers (and checks its origin if src.Origin is set), then streams
// the entries once: each must be in canonical form (Parse), and the RFC
// 6962 tree recomputed over them must have, at every checkpoint's size,
// that checkpoint's root hash. It keeps O(log n) state besides the
// checkpoints.
//
// A ledger that fails returns a *VerifyError (use errors.As):
//   - a checkpoint whose signature does not verify or whose origin is wrong
//     (Checkpoint set);
//   - an entry that does not parse or is not canonical, or an index out of
//     sequence (Index set);
//   - a tree hash that differs from a checkpoint's: "history was rewritten"
//     somewhere after the previous matching checkpoint (Checkpoint set,
//     Index -1);
//   - a checkpoint covering more entries than there are: "entries were
//     removed" (Checkpoint set, Index the first missing entry);
//   - entries but no checkpoint at all (both -1).
//
// Entries after the latest checkpoint are allowed and counted in
// Report.UncheckpointedEntries. An error from src.Entries that is not a
// *VerifyError, or the end of ctx, is returned wrapped.
func Verify(ctx context.Context, src Source) (*Report, error) {
	if src.Entries == nil {
		return nil, errors.New("verify ledger: no entries to read")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("verify ledger: %w", err)
	}
	type checkpoint struct {
		Checkpoint
		idx int // in src.Checkpoints
	}
	cps := make([]checkpoint, 0, len(src.Checkpoints))
	for i, msg := range src.Checkpoints {
		c, err := OpenCheckpoint(msg, src.Verifiers)
		if err != nil {
			return nil, &VerifyError{Index: -1, Checkpoint: i, Reason: "signature does not verify with the trusted keys", Err: err}
		}
		if src.Origin != "" && c.Origin != src.Origin {
			return nil, &VerifyError{Index: -1, Checkpoint: i, Reason: fmt.Sprintf("checkpoint is for ledger %q, not %q", c.Origin, src.Origin)}
		}
		cps = append(cps, checkpoint{c, i})
	}
	slices.SortStableFunc(cps, func(a, b checkpoint) int { return cmp.Compare(a.N, b.N) })

	rep := &Report{Checkpoints: len(cps), Types: map[Type]int64{}}
	var t Tree
	next := 0           // the first checkpoint not yet checked
	matched := int64(0) // the size of the last checkpoint that matched
	check := func() error {
		if next == len(cps) || cps[next].N != t.Size() {
			return nil
		}
		// All checkpoints of this size must carry the tree's hash.
		h := t.Hash()
		end := next
		anyMatch := false
		for ; end < len(cps) && cps[end].N == t.Size(); end++ {
			anyMatch = anyMatch || cps[end].Hash == h
		}
		for _, c := range cps[next:end] {
			if c.Hash == h {
				continue
			}
			var where string
			switch {
			case anyMatch:
				where = "another checkpoint of the same size matches: two different histories were signed"
			case c.N > matched:
				where = fmt.Sprintf("an entry from %d to %d was changed, removed, inserted or moved", matched, c.N-1)
			default:
				where = "it does not carry the hash of the empty ledger"
			}
			return &VerifyError{Index: -1, Checkpoint: c.idx,
				Reason: fmt.Sprintf("tree hash at size %d does not match checkpoint: history was rewritten (%s)", c.N, where)}
		}
		matched, next = t.Size(), end
		return nil
	}
	if err := check(); err != nil {
		return nil, err
	}
	err := src.Entries(ctx, func(i int64, data []byte) error {
		if n := t.Size(); i != n {
			reason := fmt.Sprintf("entry is missing: the next entry read has index %d", i)
			if i < n {
				reason = fmt.Sprintf("entries out of order: index %d read again after entry %d", i, n-1)
			}
			return &VerifyError{Index: n, Checkpoint: -1, Reason: reason}
		}
		if i%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		e, err := Parse(data)
		if err != nil {
			return &VerifyError{Index: i, Checkpoint: -1, Reason: "entry does not parse as a canonical entry", Err: err}
		}
		rep.Types[e.Type]++
		t.Append(data)
		return check()
	})
	if err != nil {
		if ve, ok := errors.AsType[*VerifyError](err); ok {
			return nil, ve
		}
		return nil, fmt.Errorf("verify ledger: read entries: %w", err)
	}
	rep.Entries = t.Size()
	if next < len(cps) {
		c := cps[next]
		return nil, &VerifyError{Index: t.Size(), Checkpoint: c.idx,
			Reason: fmt.Sprintf("checkpoint covers %d entries but the ledger has only %d: entries were removed", c.N, t.Size())}
	}
	if len(cps) == 0 {
		if t.Size() > 0 {
			return nil, &VerifyError{Index: -1, Checkpoint: -1,
				Reason: fmt.Sprintf("the ledger has %d entries and no signed checkpoint", t.Size())}
		}
		return rep, nil
	}
	rep.Latest = cps[len(cps)-1].Checkpoint
	rep.UncheckpointedEntries = t.Size() - rep.Latest.N
	return rep, nil
}
