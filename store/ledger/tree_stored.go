package ledger

import "golang.org/x/mod/sumdb/tlog"

// appendStored adds a leaf as Append does and calls fn with each hash tlog
// stores for it (tlog.StoredHashes), in stored-index order: k = 0 is the
// leaf hash, k > 0 the complete subtree at level k that the leaf closes.
func (t *Tree) appendStored(leafData []byte, fn func(k int, h tlog.Hash)) {
	h := tlog.RecordHash(leafData)
	fn(0, h)
	k := 1
	for m := t.n; m&1 == 1; m >>= 1 {
		last := len(t.roots) - 1
		h = tlog.NodeHash(t.roots[last], h)
		t.roots = t.roots[:last]
		fn(k, h)
		k++
	}
	t.roots = append(t.roots, h)
	t.n++
}
