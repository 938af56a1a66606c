package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"
)

// deletionEntry is a deletion entry with every field a deletion entry
// carries, as the executor writes it.
func deletionEntry(k *RefKey, i int) Entry {
	digest := sha256.Sum256([]byte("policy text"))
	plan := sha256.Sum256([]byte("plan"))
	folder := fmt.Sprintf("Elever/elev-%06d", i/10)
	return Entry{
		Type: TypeDeletion, Time: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond),
		Source: "admin-share", SourceKind: "fileshare",
		Item:      k.Ref("item:fileshare:admin-share", fmt.Sprintf("%s/dokument-%d.pdf", folder, i%10)),
		Container: k.Ref("container:fileshare:admin-share", folder),
		Subject:   k.Ref("subject", fmt.Sprintf("elev-%06d", i/10)),
		Size:      123456, Policy: "fileshare-defaults", PolicyDigest: "sha256:" + hex.EncodeToString(digest[:]),
		Rule: "ELEV-1", Period: "P30D", Basis: "subject.left", Anchor: "2026-09-01", Due: "2026-10-01",
		Batch: 42, Plan: "sha256:" + hex.EncodeToString(plan[:]), Approvals: []string{"anna", "bo"}, Actor: "it",
		Outcome: "deleted", Method: "delete", Verified: true, Host: "fileserver01", Software: "retentiond/1.0.0",
	}
}

// deletionLeaves returns the canonical bytes of n deletion entries.
func deletionLeaves(tb testing.TB, n int) [][]byte {
	tb.Helper()
	k := testRefKey(tb)
	leaves := make([][]byte, n)
	for i := range leaves {
		b, err := deletionEntry(k, i).Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		leaves[i] = b
	}
	return leaves
}

func BenchmarkDeletionMarshal(b *testing.B) {
	e := deletionEntry(testRefKey(b), 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeletionParse(b *testing.B) {
	data := deletionLeaves(b, 1)[0]
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTreeAppend(b *testing.B) {
	data := deletionLeaves(b, 1)[0]
	var t Tree
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		t.Append(data)
	}
}

// BenchmarkVerifyDeletions verifies 100,000 deletion entries from memory
// against one checkpoint at the end: parsing, hashing and the signature,
// without the database.
func BenchmarkVerifyDeletions(b *testing.B) {
	const n = 100000
	leaves := deletionLeaves(b, n)
	s := newSignerT(b, "bench")
	var t Tree
	for _, l := range leaves {
		t.Append(l)
	}
	cp := signT(b, s, Checkpoint{Origin: s.Name(), N: n, Hash: t.Hash()})
	source := src(b, leaves, [][]byte{cp}, s)
	b.ReportAllocs()
	for b.Loop() {
		rep, err := Verify(context.Background(), source)
		if err != nil || rep.Entries != n {
			b.Fatal(rep, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/entry")
}
