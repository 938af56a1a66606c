package ledger

import (
	"crypto/sha256"

	"golang.org/x/mod/sumdb/tlog"
)

// Tree computes the RFC 6962 root of a growing list of leaves in O(log n)
// memory: it keeps the roots of the complete subtrees along the right edge.
type Tree struct {
	n        int64
	frontier []tlog.Hash // frontier[i] is the root of a complete subtree; sizes decrease
	sizes    []int64
}

// Append adds a leaf.
func (t *Tree) Append(leaf []byte) {
	h := tlog.RecordHash(leaf)
	size := int64(1)
	for len(t.sizes) > 0 && t.sizes[len(t.sizes)-1] == size {
		last := len(t.sizes) - 1
		h = tlog.NodeHash(t.frontier[last], h)
		size *= 2
		t.frontier, t.sizes = t.frontier[:last], t.sizes[:last]
	}
	t.frontier = append(t.frontier, h)
	t.sizes = append(t.sizes, size)
	t.n++
}

// Size is the number of leaves.
func (t *Tree) Size() int64 { return t.n }

// Hash is the tree's root hash, equal to tlog.TreeHash for the same leaves
// (SHA-256 of nothing for an empty tree, as RFC 6962 says).
func (t *Tree) Hash() tlog.Hash {
	if len(t.frontier) == 0 {
		return tlog.Hash(sha256.Sum256(nil))
	}
	h := t.frontier[len(t.frontier)-1]
	for i := len(t.frontier) - 2; i >= 0; i-- {
		h = tlog.NodeHash(t.frontier[i], h)
	}
	return h
}
