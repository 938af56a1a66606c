package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store/ledger"
)

// benchEntry is a deletion entry with every field a deletion entry
// carries, as the executor writes it.
func benchEntry(k *ledger.RefKey, i int) ledger.Entry {
	digest := sha256.Sum256([]byte("policy text"))
	plan := sha256.Sum256([]byte("plan"))
	folder := fmt.Sprintf("Elever/elev-%06d", i/10)
	return ledger.Entry{
		Type: ledger.TypeDeletion, Time: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond),
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

// benchLeaves returns the canonical bytes of n deletion entries.
func benchLeaves(tb testing.TB, n int) [][]byte {
	tb.Helper()
	k, err := ledger.NewRefKey(make([]byte, 32))
	if err != nil {
		tb.Fatal(err)
	}
	leaves := make([][]byte, n)
	for i := range leaves {
		if leaves[i], err = benchEntry(k, i).Marshal(); err != nil {
			tb.Fatal(err)
		}
	}
	return leaves
}

func benchStore(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(context.Background(), filepath.Join(tb.TempDir(), "r.db"), Options{Create: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// benchAppend appends the leaves, perTx in each transaction, b.N times
// over, and reports entries per second.
func benchAppend(b *testing.B, perTx int) {
	ctx := context.Background()
	s := benchStore(b)
	leaves := benchLeaves(b, perTx)
	b.ReportAllocs()
	for b.Loop() {
		err := s.Write(ctx, func(tx *Tx) error {
			_, err := tx.Append(leaves...)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*perTx)/b.Elapsed().Seconds(), "entries/s")
}

func BenchmarkAppendBatched(b *testing.B) { benchAppend(b, 1000) }

func BenchmarkAppendSingle(b *testing.B) { benchAppend(b, 1) }

// filledStore returns a store with n deletion entries and a checkpoint
// over them signed by the returned signer.
func filledStore(b *testing.B, n int) (*Store, *ledger.Signer) {
	b.Helper()
	ctx := context.Background()
	s := benchStore(b)
	leaves := benchLeaves(b, 1000)
	for i := 0; i < n; i += len(leaves) {
		err := s.Write(ctx, func(tx *Tx) error {
			_, err := tx.Append(leaves[:min(len(leaves), n-i)]...)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	signer, err := ledger.CreateSigner(filepath.Join(b.TempDir(), "ledger.key"), "bench.invalid/ledger", nil)
	if err != nil {
		b.Fatal(err)
	}
	h, err := s.TreeHash(ctx, int64(n))
	if err != nil {
		b.Fatal(err)
	}
	note, err := ledger.SignCheckpoint(ledger.Checkpoint{Origin: signer.Name(), N: int64(n), Hash: h}, signer)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.AddCheckpoint(ctx, int64(n), note, Time{Time: time.Now()}); err != nil {
		b.Fatal(err)
	}
	return s, signer
}

const benchLedgerSize = 100000

func BenchmarkEntries(b *testing.B) {
	s, _ := filledStore(b, benchLedgerSize)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var n int64
		var size int
		err := s.Entries(ctx, func(i int64, data []byte) error {
			n++
			size += len(data)
			return nil
		})
		if err != nil || n != benchLedgerSize {
			b.Fatal(n, err)
		}
		b.SetBytes(int64(size))
	}
	b.ReportMetric(float64(b.N*benchLedgerSize)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkVerifyStore is ledger.Verify over Store.Entries: reading,
// strict parsing, tree hashing and the checkpoint.
func BenchmarkVerifyStore(b *testing.B) {
	s, signer := filledStore(b, benchLedgerSize)
	ctx := context.Background()
	cps, err := s.Checkpoints(ctx)
	if err != nil {
		b.Fatal(err)
	}
	vs, err := ledger.NewVerifiers(signer.VerifierKey())
	if err != nil {
		b.Fatal(err)
	}
	src := ledger.Source{Entries: s.Entries, Checkpoints: [][]byte{cps[0].Note}, Verifiers: vs, Origin: signer.Name()}
	b.ReportAllocs()
	for b.Loop() {
		rep, err := ledger.Verify(ctx, src)
		if err != nil || rep.Entries != benchLedgerSize {
			b.Fatal(rep, err)
		}
	}
	b.ReportMetric(float64(b.N*benchLedgerSize)/b.Elapsed().Seconds(), "entries/s")
}
