package ledger

import (
	"crypto/sha256"

	"golang.org/x/mod/sumdb/tlog"
)

// Tree computes the RFC 6962 root hash of a growing list of leaves in
// O(log n) memory. It keeps the roots of the complete subtrees along the
// tree's right edge: one for each set bit of the size, largest first. Its
// hashes equal those of tlog.TreeHash over leaves stored with
// tlog.StoredHashes. The zero Tree is empty and ready to use.
type Tree struct {
	n     int64
	roots []tlog.Hash // roots[i] covers 2^k leaves, k the i-th highest set bit of n
}

// Append adds a leaf with the given data (hashed with tlog.RecordHash). It
// does not retain data.
func (t *Tree) Append(leafData []byte) {
	h := tlog.RecordHash(leafData)
	// Each trailing one bit of n is a complete subtree of the same size as
	// the one being carried: merge them, as binary addition carries.
	for m := t.n; m&1 == 1; m >>= 1 {
		last := len(t.roots) - 1
		h = tlog.NodeHash(t.roots[last], h)
		t.roots = t.roots[:last]
	}
	t.roots = append(t.roots, h)
	t.n++
}

// Size is the number of leaves appended.
func (t *Tree) Size() int64 { return t.n }

// Hash is the root hash of the tree. For an empty tree it is SHA-256 of
// nothing, as RFC 6962 defines and tlog.TreeHash(0, r) returns.
func (t *Tree) Hash() tlog.Hash {
	if len(t.roots) == 0 {
		return tlog.Hash(sha256.Sum256(nil))
	}
	h := t.roots[len(t.roots)-1]
	for i := len(t.roots) - 2; i >= 0; i-- {
		h = tlog.NodeHash(t.roots[i], h)
	}
	return h
}
