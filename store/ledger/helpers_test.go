package ledger

import (
	"bytes"
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// t0 is in a zone other than UTC on purpose: entries must record UTC.
var t0 = time.Date(2026, 11, 22, 9, 30, 0, 123000000, time.FixedZone("CET", 3600))

// testRefKey is a fixed reference key, so that golden files are stable.
func testRefKey(t testing.TB) *RefKey {
	t.Helper()
	k, err := NewRefKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sample returns entries that together use every field, every kind of
// character JSON escapes, and several entry types.
func sample(t testing.TB) []Entry {
	k := testRefKey(t)
	item := k.Ref("item:fileshare:skoledrev", "Elever/Anna Hansen/karakterer.pdf")
	folder := k.Ref("container:fileshare:skoledrev", "Elever/Anna Hansen")
	subject := k.Ref("subject", "anna.hansen")
	return []Entry{
		{Type: TypePolicy, Time: t0, Policy: "fileshare-defaults", PolicyDigest: "sha256:ab12", Text: "version: 1\nrules: <&>\n\t\"quoted\" \\ back\u2028sep\u2029 \x01\x7f æøå 🗑"},
		{Type: TypeBatch, Time: t0, Batch: 7, Source: "skoledrev", SourceKind: "fileshare", Rule: "C1", Period: "P30D",
			Basis: "item.modified", Items: 60, Size: 1800, Actor: "it", Plan: "sha256:cd34"},
		{Type: TypeApproval, Time: t0, Batch: 7, Actor: "anna", Role: "approver", Stage: 1, Plan: "sha256:cd34"},
		{Type: TypeDeletion, Time: t0.Add(1), Batch: 7, Source: "skoledrev", SourceKind: "fileshare", Item: item, Container: folder,
			Subject: subject, Size: 30, Policy: "fileshare-defaults", PolicyDigest: "sha256:ab12", Rule: "C1", Period: "P30D",
			Basis: "subject.left", Anchor: "2026-10-01", Due: "2026-10-31", Approvals: []string{"anna", "bo"}, Outcome: "deleted",
			Method: "delete", Verified: true, Host: "fs01", Software: "retentiond/1.0.0"},
		{Type: TypeDeletion, Time: t0, Batch: 7, Item: item, Outcome: "failed", Code: "permission_denied", Size: -1, Stage: -2},
		{Type: TypeRejection, Time: t0, Batch: 8, Actor: "bo", Role: "approver", Reason: "afvist – “forkert” regel"},
		{Type: TypeHoldAdded, Time: t0, Hold: "H-2026-01", Subject: subject, Reason: "retssag", Actor: "it", Role: "operator"},
		{Type: TypeKeyRotation, Time: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), Key: "example.invalid/log+01234567+AQID"},
		{Type: TypeInstruction, Time: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), Text: "slet alt om elev X", Approvals: []string{""}},
		{Type: TypeAcknowledgement, Time: t0.Truncate(time.Second)},
	}
}

// memHashes is an in-memory tlog.HashReader over stored hashes.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}

func newSignerT(t testing.TB, name string) *Signer {
	t.Helper()
	s, err := CreateSigner(filepath.Join(t.TempDir(), "ledger.key"), name, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func signT(t testing.TB, s *Signer, c Checkpoint) []byte {
	t.Helper()
	msg, err := SignCheckpoint(c, s)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// ledgerOf builds n entries and checkpoints signed by s at the given sizes,
// in the order given.
func ledgerOf(t testing.TB, s *Signer, n int, at ...int) (leaves, cps [][]byte) {
	t.Helper()
	kinds := []Type{TypeDeletion, TypeDeletion, TypeApproval, TypeBatch, TypeDeletion, TypePrune}
	hashes := make(map[int]tlog.Hash)
	var tree Tree
	for i := range n {
		hashes[i] = tree.Hash()
		e := Entry{Type: kinds[i%len(kinds)], Time: t0.Add(time.Duration(i) * time.Second), Batch: int64(i), Source: "skoledrev"}
		if e.Type == TypeDeletion {
			e.Outcome = "deleted"
		}
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, b)
		tree.Append(b)
	}
	hashes[n] = tree.Hash()
	for _, a := range at {
		h, ok := hashes[a]
		if !ok {
			t.Fatalf("no tree of size %d", a)
		}
		cps = append(cps, signT(t, s, Checkpoint{Origin: s.Name(), N: int64(a), Hash: h}))
	}
	return leaves, cps
}

// sliceEntries streams leaves with contiguous indexes through one reused
// buffer, as a database driver may.
func sliceEntries(leaves [][]byte) func(context.Context, func(int64, []byte) error) error {
	return func(ctx context.Context, fn func(int64, []byte) error) error {
		var buf []byte
		for i, l := range leaves {
			buf = append(buf[:0], l...)
			if err := fn(int64(i), buf); err != nil {
				return err
			}
		}
		return nil
	}
}

func src(t testing.TB, leaves, cps [][]byte, trusted ...*Signer) Source {
	t.Helper()
	var keys []string
	for _, s := range trusted {
		keys = append(keys, s.VerifierKey())
	}
	vs, err := NewVerifiers(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return Source{Entries: sliceEntries(leaves), Checkpoints: cps, Verifiers: vs}
}
