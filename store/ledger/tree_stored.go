package ledger

import (
	"crypto/sha256"
	"hash"

	"golang.org/x/mod/sumdb/tlog"
)

// appendStored adds a leaf as Append does and calls fn with each hash tlog
// stores for it (tlog.StoredHashes), in stored-index order: k = 0 is the
// leaf hash, k > 0 the complete subtree at level k that the leaf closes.
func (t *Tree) appendStored(leafData []byte, fn func(k int, h tlog.Hash)) {
	t.appendLeafHash(tlog.RecordHash(leafData), fn)
}

// appendLeafHash is appendStored for a leaf whose hash (tlog.RecordHash)
// is h; fn may be nil.
func (t *Tree) appendLeafHash(h tlog.Hash, fn func(k int, h tlog.Hash)) {
	if fn != nil {
		fn(0, h)
	}
	k := 1
	for m := t.n; m&1 == 1; m >>= 1 {
		last := len(t.roots) - 1
		h = tlog.NodeHash(t.roots[last], h)
		t.roots = t.roots[:last]
		if fn != nil {
			fn(k, h)
		}
		k++
	}
	t.roots = append(t.roots, h)
	t.n++
}

// leafHasher computes tlog.RecordHash with one SHA-256 state, reset for
// each leaf: tlog.RecordHash makes a new one each time.
type leafHasher struct{ d hash.Hash }

func (l *leafHasher) sum(data []byte) tlog.Hash {
	if l.d == nil {
		l.d = sha256.New()
	}
	l.d.Reset()
	l.d.Write([]byte{0}) // RFC 6962: SHA-256(0x00 || data)
	l.d.Write(data)
	var h tlog.Hash
	l.d.Sum(h[:0])
	return h
}
