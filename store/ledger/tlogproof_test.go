package ledger

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func proofFixture(t testing.TB) (proof []byte, s *Signer) {
	s = newSignerT(t, "test.invalid/ledger")
	leaves, _ := ledgerOf(t, s, 13)
	var hashes memHashes
	var tree Tree
	for i, l := range leaves {
		hs, err := tlog.StoredHashes(int64(i), l, hashes)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
		tree.Append(l)
	}
	cp := signT(t, s, Checkpoint{Origin: s.Name(), N: tree.Size(), Hash: tree.Hash()})
	proof, err := MakeProof(6, leaves[6], cp, tree.Size(), hashes)
	if err != nil {
		t.Fatal(err)
	}
	return proof, s
}

func TestProof(t *testing.T) {
	proof, s := proofFixture(t)
	vs, _ := NewVerifiers(s.VerifierKey())
	res, err := VerifyProof(proof, vs, s.Name())
	if err != nil {
		t.Fatal(err)
	}
	if res.Index != 6 || res.Checkpoint.N != 13 || res.Entry.Batch != 6 {
		t.Fatalf("result %+v", res)
	}
	if !strings.HasPrefix(string(proof), "c2sp.org/tlog-proof@v1\nextra ") {
		t.Fatalf("not a tlog-proof:\n%s", proof)
	}
	other := newSignerT(t, s.Name())
	ovs, _ := NewVerifiers(other.VerifierKey())
	if _, err := VerifyProof(proof, ovs, ""); err == nil {
		t.Fatal("verified with another key")
	}
	for i := range proof {
		bad := bytes.Clone(proof)
		bad[i] ^= 1
		if _, err := VerifyProof(bad, vs, s.Name()); err == nil {
			t.Fatalf("flipping byte %d of the proof went undetected", i)
		}
	}
	if _, err := MakeProof(13, nil, nil, 13, nil); err == nil {
		t.Fatal("a proof of an entry beyond the checkpoint was made")
	}
}

func FuzzVerifyProof(f *testing.F) {
	proof, s := proofFixture(f)
	vs, _ := NewVerifiers(s.VerifierKey())
	f.Add(proof)
	f.Add([]byte("c2sp.org/tlog-proof@v1\nindex 0\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := VerifyProof(b, vs, "")
		if err == nil && res.Index >= res.Checkpoint.N {
			t.Fatalf("accepted an index beyond its checkpoint: %+v", res)
		}
	})
}
