package ledger

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"golang.org/x/mod/sumdb/note"
)

// Source is a ledger to verify: a live database or an auditor's export.
type Source struct {
	// Entries calls fn for leaf 0, 1, 2, … in order with its stored bytes.
	Entries func(ctx context.Context, fn func(index int64, data []byte) error) error
	// Checkpoints are signed checkpoint notes, in any order.
	Checkpoints [][]byte
	// Verifiers are the keys checkpoints may be signed with.
	Verifiers note.Verifiers
	// Origin, when set, is the origin every checkpoint must name.
	Origin string
}

// Report is what a successful verification found.
type Report struct {
	Entries     int64
	Checkpoints int
	Latest      Checkpoint
	// UncheckpointedEntries are entries after the latest checkpoint.
	UncheckpointedEntries int64
	Types                 map[Type]int64
}

// VerifyError says where verification failed.
type VerifyError struct {
	Index      int64 // the entry at fault, or -1
	Checkpoint int   // the checkpoint at fault (in the order given), or -1
	Reason     string
	Err        error
}

func (e *VerifyError) Error() string {
	msg := e.Reason
	switch {
	case e.Index >= 0:
		msg = fmt.Sprintf("entry %d: %s", e.Index, msg)
	case e.Checkpoint >= 0:
		msg = fmt.Sprintf("checkpoint %d: %s", e.Checkpoint, msg)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *VerifyError) Unwrap() error { return e.Err }

// Verify checks every entry's canonical form, recomputes the tree and
// checks every checkpoint's signature and root hash against it. It streams
// the entries, keeping O(log n) state.
func Verify(ctx context.Context, src Source) (*Report, error) {
	type cp struct {
		Checkpoint
		idx int
	}
	var cps []cp
	for i, msg := range src.Checkpoints {
		c, err := OpenCheckpoint(msg, src.Verifiers)
		if err != nil {
			return nil, &VerifyError{Index: -1, Checkpoint: i, Reason: "signature does not verify with the trusted keys", Err: err}
		}
		if src.Origin != "" && c.Origin != src.Origin {
			return nil, &VerifyError{Index: -1, Checkpoint: i, Reason: fmt.Sprintf("checkpoint is for ledger %q, not %q", c.Origin, src.Origin)}
		}
		cps = append(cps, cp{c, i})
	}
	sort.SliceStable(cps, func(i, j int) bool { return cps[i].N < cps[j].N })
	rep := &Report{Checkpoints: len(cps), Types: map[Type]int64{}}
	var t Tree
	next := 0
	check := func() error {
		for next < len(cps) && cps[next].N == t.Size() {
			if cps[next].Hash != t.Hash() {
				return &VerifyError{Index: -1, Checkpoint: cps[next].idx,
					Reason: fmt.Sprintf("tree hash at size %d does not match the signed checkpoint: history was rewritten", cps[next].N)}
			}
			next++
		}
		return nil
	}
	if err := check(); err != nil {
		return nil, err
	}
	err := src.Entries(ctx, func(i int64, data []byte) error {
		if i != t.Size() {
			return &VerifyError{Index: t.Size(), Checkpoint: -1, Reason: "entry is missing"}
		}
		e, err := Parse(data)
		if err != nil {
			return &VerifyError{Index: i, Checkpoint: -1, Reason: "entry does not parse", Err: err}
		}
		rep.Types[e.Type]++
		t.Append(data)
		return check()
	})
	if err != nil {
		var ve *VerifyError
		if errors.As(err, &ve) {
			return nil, ve
		}
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	rep.Entries = t.Size()
	if next < len(cps) {
		c := cps[next]
		return nil, &VerifyError{Index: -1, Checkpoint: c.idx,
			Reason: fmt.Sprintf("checkpoint covers %d entries but the ledger has only %d: entries were removed", c.N, t.Size())}
	}
	if len(cps) == 0 {
		if t.Size() > 0 {
			return nil, &VerifyError{Index: -1, Checkpoint: -1, Reason: fmt.Sprintf("the ledger has %d entries and no signed checkpoint", t.Size())}
		}
		return rep, nil
	}
	rep.Latest = cps[len(cps)-1].Checkpoint
	rep.UncheckpointedEntries = t.Size() - rep.Latest.N
	return rep, nil
}
