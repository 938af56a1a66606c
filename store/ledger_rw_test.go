package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestAppendStoresTlogHashes appends leaves in calls and transactions of
// many sizes, crossing the multi-row INSERT sizes, and checks every stored
// hash and tree hash against tlog's own computation.
func TestAppendStoresTlogHashes(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	var (
		want   memHashes
		leaves [][]byte
		hashed int // leaves whose hashes are in want
	)
	leaf := func(i int) []byte { return fmt.Appendf(nil, "leaf %d", i) }
	calls := []int{1, 1, 2, 3, 1, 5, 8, 13, 63, 64, 65, 127, 128, 129, 255, 256, 257, 300, 1, 1000, 2, 7}
	for c, k := range calls {
		err := s.Write(ctx, func(tx *Tx) error {
			// Two calls in one transaction now and then.
			parts := []int{k}
			if c%3 == 2 && k > 1 {
				parts = []int{k / 2, k - k/2}
			}
			for _, p := range parts {
				var batch [][]byte
				for range p {
					batch = append(batch, leaf(len(leaves)+len(batch)))
				}
				got, err := tx.Append(batch...)
				if err != nil {
					return err
				}
				if got != int64(len(leaves)) {
					t.Fatalf("Append returned index %d, want %d", got, len(leaves))
				}
				leaves = append(leaves, batch...)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for ; hashed < len(leaves); hashed++ {
			hs, err := tlog.StoredHashes(int64(hashed), leaves[hashed], want)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, hs...)
		}
		n, err := s.TreeSize(ctx)
		if err != nil || n != int64(len(leaves)) {
			t.Fatalf("tree size %d, %v; want %d", n, err, len(leaves))
		}
		h, err := s.TreeHash(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if wh, _ := tlog.TreeHash(n, want); h != wh {
			t.Fatalf("tree hash at size %d differs from tlog's", n)
		}
	}
	i := 0
	for h, err := range s.StoredHashes(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(want) || h != want[i] {
			t.Fatalf("stored hash %d differs from tlog's", i)
		}
		i++
	}
	if i != len(want) {
		t.Fatalf("%d stored hashes, want %d", i, len(want))
	}
	if err := s.Write(ctx, func(tx *Tx) error {
		got, err := tx.Append()
		if got != int64(len(leaves)) {
			t.Errorf("empty Append returned %d, want %d", got, len(leaves))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestEntriesStreamsEveryLeaf reads a ledger spanning many chunks, with
// leaves of many sizes and some larger than a chunk's byte budget.
func TestEntriesStreamsEveryLeaf(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	var leaves [][]byte
	for i := range 3*leafChunkSize + 7 {
		size := 1 + i%97*13
		switch i {
		case 5, leafChunkSize, 2*leafChunkSize + 1:
			size = leafChunkBytes + 1
		}
		leaves = append(leaves, bytes.Repeat([]byte{byte(i)}, size))
	}
	err := s.Write(ctx, func(tx *Tx) error {
		_, err := tx.Append(leaves...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	err = s.Entries(ctx, func(i int64, data []byte) error {
		if i != n || !bytes.Equal(data, leaves[i]) {
			t.Fatalf("leaf %d (want %d) differs", i, n)
		}
		n++
		return nil
	})
	if err != nil || n != int64(len(leaves)) {
		t.Fatalf("read %d leaves of %d: %v", n, len(leaves), err)
	}

	// Stopping early, by an error or a cancelled context, hands back the
	// reading connection each time: otherwise the pool of four would run
	// out and the final read would hang.
	stop := errors.New("stop")
	for k := range 6 {
		at := int64(k * 300)
		err := s.Entries(ctx, func(i int64, _ []byte) error {
			if i == at {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) {
			t.Fatalf("stopping at %d: %v", at, err)
		}
		cctx, cancel := context.WithCancel(ctx)
		err = s.Entries(cctx, func(i int64, _ []byte) error {
			if i == at {
				cancel()
			}
			return nil
		})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled at %d: %v", at, err)
		}
	}
	n = 0
	if err := s.Entries(ctx, func(int64, []byte) error { n++; return nil }); err != nil || n != int64(len(leaves)) {
		t.Fatalf("read %d leaves of %d after stopping early: %v", n, len(leaves), err)
	}
}
