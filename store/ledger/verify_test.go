package ledger

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func TestVerify(t *testing.T) {
	s := newSignerT(t, "test.invalid/ledger")
	ctx := context.Background()

	leaves, cps := ledgerOf(t, s, 20, 5, 12, 20)
	rep, err := Verify(ctx, src(t, leaves, cps, s))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entries != 20 || rep.Checkpoints != 3 || rep.Latest.N != 20 || rep.Latest.Origin != s.Name() || rep.UncheckpointedEntries != 0 {
		t.Fatalf("report %+v", rep)
	}
	if rep.Types[TypeDeletion] != 11 || rep.Types[TypeApproval] != 3 || rep.Types[TypeBatch] != 3 || rep.Types[TypePrune] != 3 || len(rep.Types) != 4 {
		t.Fatalf("types %v", rep.Types)
	}

	// Checkpoints in any order, repeated, at size 0, with the origin checked.
	_, more := ledgerOf(t, s, 20, 20, 0, 7, 7, 1)
	source := src(t, leaves, more, s)
	source.Origin = s.Name()
	rep, err = Verify(ctx, source)
	if err != nil || rep.Checkpoints != 5 || rep.Latest.N != 20 {
		t.Fatalf("%v %+v", err, rep)
	}

	// Entries after the latest checkpoint are reported, not refused.
	_, early := ledgerOf(t, s, 20, 12, 3)
	rep, err = Verify(ctx, src(t, leaves, early, s))
	if err != nil || rep.UncheckpointedEntries != 8 || rep.Latest.N != 12 || rep.Entries != 20 {
		t.Fatalf("%v %+v", err, rep)
	}

	// An empty ledger needs no checkpoint.
	rep, err = Verify(ctx, src(t, nil, nil, s))
	if err != nil || rep.Entries != 0 || rep.Checkpoints != 0 {
		t.Fatalf("empty ledger: %v %+v", err, rep)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	const origin = "test.invalid/ledger"
	s := newSignerT(t, origin)
	other := newSignerT(t, origin) // same name, different key
	leaves, cps := ledgerOf(t, s, 20, 10, 20)
	clone := func() [][]byte {
		c := make([][]byte, len(leaves))
		for i, l := range leaves {
			c[i] = bytes.Clone(l)
		}
		return c
	}
	_, foreign := ledgerOf(t, other, 20, 10, 20)
	sig := func(msg []byte) []byte { return msg[bytes.Index(msg, []byte("\n\n"))+1:] }
	body := func(msg []byte) []byte { return bytes.Clone(msg[:bytes.Index(msg, []byte("\n\n"))+1]) }
	forged := func(msg []byte) []byte {
		// The right key's name and hash, but signature bytes that are not its.
		i := bytes.LastIndexByte(msg, ' ') + 1
		raw, err := base64.StdEncoding.DecodeString(string(msg[i : len(msg)-1]))
		if err != nil {
			t.Fatal(err)
		}
		raw[10] ^= 1
		return append(append(bytes.Clone(msg[:i]), base64.StdEncoding.EncodeToString(raw)...), '\n')
	}
	var tr Tree
	for _, l := range leaves {
		tr.Append(l)
	}
	claims25 := signT(t, s, Checkpoint{Origin: origin, N: 25, Hash: tr.Hash()})
	forkLeaves := clone()
	forkLeaves[9] = leaves[11]
	var ft Tree
	for _, l := range forkLeaves[:10] {
		ft.Append(l)
	}
	forkCP := signT(t, s, Checkpoint{Origin: origin, N: 10, Hash: ft.Hash()})

	tests := []struct {
		name       string
		leaves     [][]byte
		cps        [][]byte
		trusted    []*Signer
		origin     string
		index      int64
		checkpoint int
		reason     string
		is         error
		as         any
	}{
		{name: "one byte of an entry changed, still canonical", leaves: func() [][]byte {
			l := clone()
			i := bytes.Index(l[3], []byte(`"batch":3`)) + len(`"batch":`)
			l[3][i] = '4'
			return l
		}(), cps: cps, index: -1, checkpoint: 0, reason: "tree hash at size 10 does not match checkpoint: history was rewritten (an entry from 0 to 9"},
		{name: "entry changed after the first checkpoint", leaves: func() [][]byte {
			l := clone()
			l[13] = bytes.Replace(l[13], []byte(`"skoledrev"`), []byte(`"skoledrew"`), 1)
			return l
		}(), cps: cps, index: -1, checkpoint: 1, reason: "history was rewritten (an entry from 10 to 19"},
		{name: "one byte of an entry changed, not canonical", leaves: func() [][]byte {
			l := clone()
			l[15][bytes.Index(l[15], []byte(`"type"`))+4] = 'E'
			return l
		}(), cps: cps, index: 15, checkpoint: -1, reason: "does not parse", is: ErrNotCanonical},
		{name: "entry made unparsable", leaves: func() [][]byte {
			l := clone()
			l[2] = l[2][:len(l[2])-1]
			return l
		}(), cps: cps, index: 2, checkpoint: -1, reason: "does not parse"},
		{name: "last entry removed", leaves: clone()[:19], cps: cps, index: 19, checkpoint: 1,
			reason: "checkpoint covers 20 entries but the ledger has only 19: entries were removed"},
		{name: "all entries removed", leaves: nil, cps: cps, index: 0, checkpoint: 0,
			reason: "checkpoint covers 10 entries but the ledger has only 0: entries were removed"},
		{name: "middle entry removed", leaves: append(clone()[:5], clone()[6:]...), cps: cps, index: -1, checkpoint: 0,
			reason: "history was rewritten"},
		{name: "entry inserted", leaves: append(append(clone()[:4], leaves[7]), clone()[4:]...), cps: cps, index: -1, checkpoint: 0,
			reason: "history was rewritten"},
		{name: "two entries swapped", leaves: func() [][]byte {
			l := clone()
			l[1], l[2] = l[2], l[1]
			return l
		}(), cps: cps, index: -1, checkpoint: 0, reason: "history was rewritten"},
		{name: "checkpoints signed by another key", leaves: leaves, cps: foreign, index: -1, checkpoint: 0,
			reason: "signature does not verify", as: new(*note.UnverifiedNoteError)},
		{name: "signature swapped for another key's", leaves: leaves, cps: [][]byte{cps[0], append(body(cps[1]), sig(foreign[1])...)},
			index: -1, checkpoint: 1, reason: "signature does not verify", as: new(*note.UnverifiedNoteError)},
		{name: "signature bytes forged", leaves: leaves, cps: [][]byte{forged(cps[0]), cps[1]}, index: -1, checkpoint: 0,
			reason: "signature does not verify", as: new(*note.InvalidSignatureError)},
		{name: "checkpoint body altered", leaves: leaves, cps: [][]byte{cps[0], bytes.Replace(cps[1], []byte("\n20\n"), []byte("\n19\n"), 1)},
			index: -1, checkpoint: 1, reason: "signature does not verify", as: new(*note.InvalidSignatureError)},
		{name: "checkpoint claims more entries", leaves: leaves, cps: [][]byte{cps[0], cps[1], claims25}, index: 20, checkpoint: 2,
			reason: "checkpoint covers 25 entries but the ledger has only 20: entries were removed"},
		{name: "two histories signed", leaves: leaves, cps: [][]byte{cps[1], forkCP, cps[0]}, index: -1, checkpoint: 1,
			reason: "two different histories were signed"},
		{name: "wrong origin", leaves: leaves, cps: cps, origin: "other.invalid/ledger", index: -1, checkpoint: 0,
			reason: `checkpoint is for ledger "test.invalid/ledger", not "other.invalid/ledger"`},
		{name: "no checkpoint", leaves: leaves, cps: nil, index: -1, checkpoint: -1, reason: "the ledger has 20 entries and no signed checkpoint"},
		{name: "garbage checkpoint", leaves: leaves, cps: [][]byte{cps[0], []byte("not a note")}, index: -1, checkpoint: 1,
			reason: "signature does not verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trusted := tt.trusted
			if trusted == nil {
				trusted = []*Signer{s}
			}
			source := src(t, tt.leaves, tt.cps, trusted...)
			source.Origin = tt.origin
			rep, err := Verify(context.Background(), source)
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("Verify = %+v, %v; want a *VerifyError", rep, err)
			}
			if ve.Index != tt.index || ve.Checkpoint != tt.checkpoint || !strings.Contains(ve.Reason, tt.reason) {
				t.Fatalf("got Index %d, Checkpoint %d, Reason %q; want %d, %d, %q", ve.Index, ve.Checkpoint, ve.Reason, tt.index, tt.checkpoint, tt.reason)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if tt.as != nil && !errors.As(err, tt.as) {
				t.Errorf("error %v does not wrap a %T", err, tt.as)
			}
			msg := err.Error()
			if tt.index >= 0 && !strings.Contains(msg, fmt.Sprintf("entry %d", tt.index)) ||
				tt.checkpoint >= 0 && !strings.Contains(msg, fmt.Sprintf("checkpoint %d", tt.checkpoint)) {
				t.Errorf("message %q does not say where", msg)
			}
		})
	}
}

func TestVerifySourceErrors(t *testing.T) {
	s := newSignerT(t, "o")
	leaves, cps := ledgerOf(t, s, 10, 10)
	ctx := context.Background()

	// Indexes out of sequence.
	for name, tt := range map[string]struct {
		order  []int64
		index  int64
		reason string
	}{
		"gap":      {[]int64{0, 1, 2, 4}, 3, "entry is missing: the next entry read has index 4"},
		"repeated": {[]int64{0, 1, 1}, 2, "index 1 read again"},
		"late":     {[]int64{1}, 0, "entry is missing"},
	} {
		source := src(t, leaves, cps, s)
		source.Entries = func(ctx context.Context, fn func(int64, []byte) error) error {
			for _, i := range tt.order {
				if err := fn(i, leaves[i]); err != nil {
					return err
				}
			}
			return nil
		}
		_, err := Verify(ctx, source)
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Index != tt.index || !strings.Contains(ve.Reason, tt.reason) {
			t.Errorf("%s: %v", name, err)
		}
	}

	// A failing source is reported as such, not as tampering.
	broken := errors.New("disk on fire")
	source := src(t, leaves, cps, s)
	source.Entries = func(ctx context.Context, fn func(int64, []byte) error) error {
		if err := fn(0, leaves[0]); err != nil {
			return err
		}
		return fmt.Errorf("read row 1: %w", broken)
	}
	_, err := Verify(ctx, source)
	var ve *VerifyError
	if !errors.Is(err, broken) || errors.As(err, &ve) {
		t.Errorf("source error: %v", err)
	}
	// A source that wraps Verify's own error still yields the *VerifyError.
	source = src(t, [][]byte{leaves[0], leaves[1], leaves[2], []byte("{}")}, cps, s)
	inner := source.Entries
	source.Entries = func(ctx context.Context, fn func(int64, []byte) error) error {
		return fmt.Errorf("export: %w", inner(ctx, fn))
	}
	if _, err := Verify(ctx, source); !errors.As(err, &ve) || ve.Index != 3 {
		t.Errorf("wrapped VerifyError: %v", err)
	}

	// Cancellation.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Verify(cctx, src(t, leaves, cps, s)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	big, bigCPs := ledgerOf(t, s, 3*ctxCheckEvery, 3*ctxCheckEvery)
	cctx, cancel = context.WithCancel(ctx)
	source = src(t, big, bigCPs, s)
	inner = source.Entries
	source.Entries = func(ctx context.Context, fn func(int64, []byte) error) error {
		return inner(ctx, func(i int64, b []byte) error {
			if i == ctxCheckEvery+1 {
				cancel()
			}
			return fn(i, b)
		})
	}
	if _, err := Verify(cctx, source); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled midway: %v", err)
	}
	cancel()

	if _, err := Verify(ctx, Source{}); err == nil {
		t.Error("no entries function accepted")
	}
}

func BenchmarkVerify(b *testing.B) {
	s := newSignerT(b, "bench")
	leaves, cps := ledgerOf(b, s, 100000, 25000, 50000, 100000)
	source := src(b, leaves, cps, s)
	b.ReportAllocs()
	for b.Loop() {
		rep, err := Verify(context.Background(), source)
		if err != nil || rep.Entries != 100000 {
			b.Fatal(rep, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/entry")
}
