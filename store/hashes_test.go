package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// storedHashesLedger appends n leaves in one transaction and returns the
// store and the stored hashes tlog computes for them.
func storedHashesLedger(t *testing.T, n int) (*Store, []tlog.Hash) {
	t.Helper()
	s := open(t)
	ctx := context.Background()
	var (
		leaves [][]byte
		want   memHashes
	)
	for i := range n {
		leaves = append(leaves, fmt.Appendf(nil, "leaf %d", i))
	}
	if err := s.Write(ctx, func(tx *Tx) error { _, err := tx.Append(leaves...); return err }); err != nil {
		t.Fatal(err)
	}
	for i, l := range leaves {
		hs, err := tlog.StoredHashes(int64(i), l, want)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, hs...)
	}
	return s, want
}

// readStoredHashes reads every stored hash, stopping at the first error.
func readStoredHashes(s *Store) ([]tlog.Hash, error) {
	var got []tlog.Hash
	for h, err := range s.StoredHashes(context.Background()) {
		if err != nil {
			return got, err
		}
		got = append(got, h)
	}
	return got, nil
}

// TestStoredHashesChunks reads stored hashes spanning several chunks read
// whole (hashChunk at a time, concatenated by SQLite) and a tail read a row
// at a time: every byte of every hash comes back, in order, whatever its
// bytes (a SHA-256 hash holds zero bytes and bytes that are not UTF-8).
func TestStoredHashesChunks(t *testing.T) {
	s, want := storedHashesLedger(t, 2*hashChunk+100)
	got, err := readStoredHashes(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d stored hashes, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("stored hash %d differs from tlog's", i)
		}
	}
	// Stopping early stops the reading.
	n := 0
	for range s.StoredHashes(context.Background()) {
		if n++; n == hashChunk+1 {
			break
		}
	}
}

// TestStoredHashesFaults: a gap inside a chunk, a row before index 0, a
// hash of the wrong length and rows after the last one are each named as
// a row-by-row reading names them.
func TestStoredHashesFaults(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		sql   []string
		count int // hashes yielded before the error
		err   string
	}{
		{"gap", []string{`DROP TRIGGER tlog_hash_no_delete`, `DELETE FROM tlog_hash WHERE idx = 100`}, 100, "ledger hash 100 is missing (the next stored is 101)"},
		{"gap in a later chunk", []string{`DROP TRIGGER tlog_hash_no_delete`, fmt.Sprintf(`DELETE FROM tlog_hash WHERE idx = %d`, hashChunk+7)}, hashChunk + 7, fmt.Sprintf("ledger hash %d is missing", hashChunk+7)},
		{"before the first", []string{`INSERT INTO tlog_hash(idx, hash) VALUES (-1, zeroblob(32))`}, 0, "ledger hash 0 is missing (the next stored is -1)"},
		{"short", []string{`DROP TRIGGER tlog_hash_no_update`, `UPDATE tlog_hash SET hash = x'0102' WHERE idx = 5`}, 5, "ledger hash 5 is 2 bytes, not 32"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, want := storedHashesLedger(t, hashChunk+50)
			for _, q := range c.sql {
				if _, err := s.w.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			got, err := readStoredHashes(s)
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("error %v, want one saying %q", err, c.err)
			}
			if len(got) != c.count {
				t.Fatalf("%d hashes before the error, want %d", len(got), c.count)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("stored hash %d differs from tlog's", i)
				}
			}
		})
	}
	// Hashes after the last are yielded: the verifier says they are
	// more than the entries need.
	s, want := storedHashesLedger(t, hashChunk+50)
	if _, err := s.w.ExecContext(ctx, `INSERT INTO tlog_hash(idx, hash) VALUES (?, zeroblob(32))`, len(want)); err != nil {
		t.Fatal(err)
	}
	got, err := readStoredHashes(s)
	if err != nil || len(got) != len(want)+1 {
		t.Fatalf("%d hashes, %v; want %d", len(got), err, len(want)+1)
	}
}
