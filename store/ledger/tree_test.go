package ledger

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func TestTreeKnownAnswers(t *testing.T) {
	var tree Tree
	// RFC 6962: the empty tree hashes to SHA-256(""), a single leaf to
	// SHA-256(0x00 || leaf).
	h := tree.Hash()
	if got := hex.EncodeToString(h[:]); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("empty tree: %s", got)
	}
	tree.Append(nil)
	h = tree.Hash()
	if got := hex.EncodeToString(h[:]); got != "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d" {
		t.Fatalf("one empty leaf: %s", got)
	}
	empty, err := tlog.TreeHash(0, memHashes(nil))
	if err != nil || empty != (&Tree{}).Hash() {
		t.Fatalf("tlog.TreeHash(0) = %x, %v", empty, err)
	}
}

func TestTreeMatchesTlog(t *testing.T) {
	const max = 5000
	var tree Tree
	var stored memHashes
	leaf := func(i int64) []byte { return fmt.Appendf(nil, "leaf %d", i) }
	for n := int64(0); n <= max; n++ {
		want, err := tlog.TreeHash(n, stored)
		if err != nil {
			t.Fatal(err)
		}
		if tree.Size() != n || tree.Hash() != want {
			t.Fatalf("size %d (Size %d): hash %x, tlog %x", n, tree.Size(), tree.Hash(), want)
		}
		if len(tree.roots) != bits.OnesCount64(uint64(n)) {
			t.Fatalf("size %d keeps %d hashes, want %d", n, len(tree.roots), bits.OnesCount64(uint64(n)))
		}
		if n == max {
			break
		}
		data := leaf(n)
		hs, err := tlog.StoredHashes(n, data, stored)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		tree.Append(data)
		data[0] = 'X' // Append must not keep the caller's buffer
	}
	// Fresh trees of random sizes agree with tlog too.
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		n := r.Int64N(max + 1)
		var fresh Tree
		for i := range n {
			fresh.Append(leaf(i))
		}
		want, _ := tlog.TreeHash(n, stored)
		if fresh.Hash() != want {
			t.Fatalf("fresh tree of size %d: %x, tlog %x", n, fresh.Hash(), want)
		}
	}
}

func TestTreeOrderMatters(t *testing.T) {
	var a, b Tree
	a.Append([]byte("1"))
	a.Append([]byte("2"))
	b.Append([]byte("2"))
	b.Append([]byte("1"))
	if a.Hash() == b.Hash() {
		t.Fatal("swapped leaves give the same root")
	}
}

// TestLeafHasherIsRecordHash: the reused SHA-256 state gives
// tlog.RecordHash for leaves of every length around the block size, one
// after another.
func TestLeafHasherIsRecordHash(t *testing.T) {
	var l leafHasher
	for n := range 300 {
		data := bytes.Repeat([]byte{byte(n)}, n)
		if got, want := l.sum(data), tlog.RecordHash(data); got != want {
			t.Fatalf("leaf of %d bytes: %x, want %x", n, got, want)
		}
	}
}
