package ledger

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const goldenOrigin = "test.invalid/ledger"

// fixedSignerT returns a signing key made from a fixed seed, so that the
// signatures it makes (Ed25519 signatures are deterministic) and so the
// golden proof are stable.
func fixedSignerT(t testing.TB, name string, seed byte) *Signer {
	t.Helper()
	s, err := CreateSigner(filepath.Join(t.TempDir(), "ledger.key"), name, bytes.NewReader(bytes.Repeat([]byte{seed}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goldenLedger is a ledger of 13 entries, its stored hashes, and a
// checkpoint of it signed by s. Entry 6 is the deletion of an item.
type goldenLedger struct {
	leaves [][]byte
	hashes memHashes
	tree   Tree
}

func newGoldenLedger(t testing.TB, n int) *goldenLedger {
	t.Helper()
	k := testRefKey(t)
	l := &goldenLedger{}
	base := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for i := range n {
		e := Entry{Type: TypeDeletion, Time: base.Add(time.Duration(i) * time.Second), Batch: 42, Source: "skoledrev", SourceKind: "fileshare",
			Item: k.Ref("item:fileshare:skoledrev", "CCTV/Kamera-1/"+strconv.Itoa(i)+".mp4"), Rule: "C1", Approvals: []string{"anna", "bo"},
			Outcome: "deleted", Method: "delete", Verified: true}
		if i%5 == 2 {
			e = Entry{Type: TypeApproval, Time: e.Time, Batch: 42, Actor: "anna", Role: "approver", Stage: 1}
		}
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		l.add(t, b)
	}
	return l
}

func (l *goldenLedger) add(t testing.TB, leaf []byte) {
	t.Helper()
	hs, err := tlog.StoredHashes(int64(len(l.leaves)), leaf, l.hashes)
	if err != nil {
		t.Fatal(err)
	}
	l.hashes = append(l.hashes, hs...)
	l.leaves = append(l.leaves, leaf)
	l.tree.Append(leaf)
}

func (l *goldenLedger) checkpoint(t testing.TB, s *Signer) []byte {
	t.Helper()
	return signT(t, s, Checkpoint{Origin: s.Name(), N: l.tree.Size(), Hash: l.tree.Hash()})
}

func (l *goldenLedger) prove(t testing.TB, i int64, cp []byte) []byte {
	t.Helper()
	p, err := MakeProof(i, l.leaves[i], cp, l.tree.Size(), l.hashes)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func verifiersT(t testing.TB, signers ...*Signer) note.Verifiers {
	t.Helper()
	var keys []string
	for _, s := range signers {
		keys = append(keys, s.VerifierKey())
	}
	vs, err := NewVerifiers(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestProofGolden checks that a proof is written byte for byte as before,
// and that the proof in testdata still verifies. Run go test -update to
// rewrite it after an intended change.
func TestProofGolden(t *testing.T) {
	s := fixedSignerT(t, goldenOrigin, 1)
	l := newGoldenLedger(t, 13)
	got := l.prove(t, 6, l.checkpoint(t, s))
	path := filepath.Join("testdata", "proof.golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("proof differs from %s (run go test -update if the change is intended):\n%s", path, got)
	}
	res, err := VerifyProof(want, verifiersT(t, s), goldenOrigin)
	if err != nil {
		t.Fatalf("golden proof: %v", err)
	}
	if res.Index != 6 || res.Checkpoint.N != 13 || res.Checkpoint.Origin != goldenOrigin {
		t.Fatalf("golden proof: index %d, checkpoint %+v", res.Index, res.Checkpoint)
	}
	if e, _ := Parse(l.leaves[6]); res.Entry.Item != e.Item || res.Entry.Outcome != "deleted" || res.Entry.Rule != "C1" {
		t.Fatalf("golden proof's entry: %+v", res.Entry)
	}
	// The layout of https://c2sp.org/tlog-proof.
	lines := strings.Split(string(want), "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" || !strings.HasPrefix(lines[1], "extra ") || lines[2] != "index 6" {
		t.Fatalf("golden proof's header:\n%s", want)
	}
	extra, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(lines[1], "extra "))
	if err != nil || !bytes.Equal(extra, l.leaves[6]) {
		t.Fatalf("extra line is not the entry's canonical bytes: %q, %v", extra, err)
	}
	if n := inclusionProofLen(6, 13); lines[3+n] != "" || lines[4+n] != goldenOrigin {
		t.Fatalf("golden proof: want %d hashes, a blank line and the checkpoint:\n%s", n, want)
	}
}

// TestVerifyProofErrors checks that each way a proof can be wrong is
// refused with an error that names it.
func TestVerifyProofErrors(t *testing.T) {
	s := fixedSignerT(t, goldenOrigin, 1)
	l := newGoldenLedger(t, 13)
	cp := l.checkpoint(t, s)
	good := l.prove(t, 6, cp)
	vs := verifiersT(t, s)
	if _, err := VerifyProof(good, vs, goldenOrigin); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(good), "\n")
	edit := func(f func(l []string) []string) []byte {
		l := f(append([]string(nil), lines...))
		return []byte(strings.Join(l, "\n"))
	}
	blank := 3 + inclusionProofLen(6, 13) // the blank line before the checkpoint
	entry, _ := Parse(l.leaves[6])
	reencode := func(e Entry) string {
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return "extra " + base64.StdEncoding.EncodeToString(b)
	}
	skipped := entry
	skipped.Outcome = "skipped_hold"
	other := fixedSignerT(t, "other.invalid/ledger", 2)
	impostor := fixedSignerT(t, goldenOrigin, 3) // the right name, another key
	l14 := newGoldenLedger(t, 14)

	for _, tc := range []struct {
		name   string
		proof  []byte
		vs     note.Verifiers
		origin string
		want   string
	}{
		{"no header", edit(func(l []string) []string { l[0] = "c2sp.org/tlog-proof@v2"; return l }), vs, "", "proof does not parse: tlog proof missing expected header"},
		{"empty", nil, vs, "", "proof does not parse"},
		{"bad base64 entry", edit(func(l []string) []string { l[1] += "!"; return l }), vs, "", "extra data not base64"},
		{"bad index", edit(func(l []string) []string { l[2] = "index -6"; return l }), vs, "", "index not a valid uint64"},
		{"short hash", edit(func(l []string) []string { l[3] = l[3][:20]; return l }), vs, "", "proof does not parse"},
		{"CRLF", bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")), vs, "", "not in the canonical tlog-proof form"},
		{"trailing bytes", append(bytes.Clone(good), 'x'), vs, "", "not in the canonical tlog-proof form"},
		{"trailing line", append(bytes.Clone(good), '\n'), vs, "", "proof's checkpoint: open checkpoint: malformed note"},
		{"no entry", edit(func(l []string) []string { return append(l[:1], l[2:]...) }), vs, "", "carries no entry"},
		{"another ledger", l.prove(t, 6, l.checkpoint(t, other)), verifiersT(t, s, other), goldenOrigin, `is for ledger "other.invalid/ledger", not "test.invalid/ledger"`},
		{"another origin asked", good, vs, "other.invalid/ledger", `is for ledger "test.invalid/ledger", not "other.invalid/ledger"`},
		{"untrusted key", good, verifiersT(t, impostor), goldenOrigin, "not signed by a trusted key: it is signed only by test.invalid/ledger+"},
		{"untrusted ledger", l.prove(t, 6, l.checkpoint(t, other)), vs, "", "not signed by a trusted key"},
		{"checkpoint size", edit(func(l []string) []string { l[blank+2] = "14"; return l }), vs, "", "checkpoint was altered: the signature by the trusted key test.invalid/ledger+"},
		{"checkpoint hash", edit(func(l []string) []string { l[blank+3] = "A" + l[blank+3][1:]; return l }), vs, "", "checkpoint was altered"},
		{"checkpoint signature", edit(func(l []string) []string {
			sig := strings.Fields(l[blank+5])
			b, _ := base64.StdEncoding.DecodeString(sig[2])
			b[len(b)-1] ^= 1
			l[blank+5] = sig[0] + " " + sig[1] + " " + base64.StdEncoding.EncodeToString(b)
			return l
		}), vs, "", "checkpoint was altered"},
		{"signature padding bits", edit(func(l []string) []string {
			// The character before the '=' carries bits the padding
			// discards: a lenient decoder reads the same signature.
			const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
			line := l[blank+5]
			j := strings.IndexByte(line, '=') - 1
			l[blank+5] = line[:j] + string(std[strings.IndexByte(std, line[j])|1]) + line[j+1:]
			return l
		}), vs, "", "checkpoint was altered: signature 1 (by test.invalid/ledger) is not in canonical base64"},
		{"no checkpoint", edit(func(l []string) []string { return append(l[:blank+1], "") }), vs, "", "proof's checkpoint: open checkpoint: malformed note"},
		{"entry not canonical", edit(func(l []string) []string {
			b, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(l[1], "extra "))
			l[1] = "extra " + base64.StdEncoding.EncodeToString(append(b[:len(b)-1:len(b)-1], ' ', '}'))
			return l
		}), vs, "", "is not a valid ledger entry: parse entry: entry is not in canonical form"},
		{"entry not JSON", edit(func(l []string) []string {
			l[1] = "extra " + base64.StdEncoding.EncodeToString([]byte("deleted"))
			return l
		}), vs, "", "is not a valid ledger entry"},
		{"entry altered", edit(func(l []string) []string { l[1] = reencode(skipped); return l }), vs, "", "entry 6 is not in the signed tree of size 13: the entry, its index or a proof hash differs"},
		{"another entry", edit(func(l []string) []string {
			l[1] = "extra " + base64.StdEncoding.EncodeToString(l14.leaves[7])
			return l
		}), vs, "", "entry 6 is not in the signed tree"},
		{"index moved", edit(func(l []string) []string { l[2] = "index 7"; return l }), vs, "", "entry 7 is not in the signed tree"},
		{"index beyond", edit(func(l []string) []string { l[2] = "index 13"; return l }), vs, "", "index 13 is not covered by its checkpoint of size 13"},
		{"hash altered", edit(func(l []string) []string { l[4] = "A" + l[4][1:]; return l }), vs, "", "entry 6 is not in the signed tree"},
		{"hash missing", edit(func(l []string) []string { return append(l[:3], l[4:]...) }), vs, "", "proof of entry 6 in a tree of size 13 must have 4 hashes, not 3"},
		{"hash added", edit(func(l []string) []string { return append(l[:3], append([]string{l[3]}, l[3:]...)...) }), vs, "", "must have 4 hashes, not 5"},
		{"checkpoint of another tree", l.prove(t, 6, l14.checkpoint(t, s)), vs, "", "entry 6 is not in the signed tree of size 14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := VerifyProof(tc.proof, tc.vs, tc.origin)
			if err == nil {
				t.Fatalf("verified: %+v", res)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to say %q", err, tc.want)
			}
		})
	}
}

// TestProofEveryIndex makes and checks the proof of every entry of trees
// of every size up to 33, against a checkpoint of each size that covers
// the entry.
func TestProofEveryIndex(t *testing.T) {
	s := fixedSignerT(t, goldenOrigin, 1)
	vs := verifiersT(t, s)
	for n := 1; n <= 33; n++ {
		l := newGoldenLedger(t, n)
		cp := l.checkpoint(t, s)
		for i := range int64(n) {
			p := l.prove(t, i, cp)
			res, err := VerifyProof(p, vs, goldenOrigin)
			if err != nil {
				t.Fatalf("entry %d of %d: %v", i, n, err)
			}
			if res.Index != i || res.Checkpoint.N != int64(n) {
				t.Fatalf("entry %d of %d: %+v", i, n, res)
			}
			if b, _ := res.Entry.Marshal(); !bytes.Equal(b, l.leaves[i]) {
				t.Fatalf("entry %d of %d: %s, want %s", i, n, b, l.leaves[i])
			}
		}
	}
}

func TestMakeProofErrors(t *testing.T) {
	s := fixedSignerT(t, goldenOrigin, 1)
	l := newGoldenLedger(t, 5)
	cp := l.checkpoint(t, s)
	for _, tc := range []struct {
		name  string
		index int64
		entry []byte
		want  string
	}{
		{"negative", -1, l.leaves[0], "entry -1 is not covered by a checkpoint of size 5"},
		{"beyond", 5, l.leaves[0], "entry 5 is not covered"},
		{"no entry", 1, nil, "no entry bytes"},
		{"too long", 1, bytes.Repeat([]byte("x"), 50000), "too long for a tlog-proof's extra line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := MakeProof(tc.index, tc.entry, cp, 5, l.hashes); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to say %q", err, tc.want)
			}
		})
	}
	// Hashes the reader cannot read.
	if _, err := MakeProof(1, l.leaves[1], cp, 5, failingHashes{}); err == nil || !strings.Contains(err.Error(), "make proof of entry 1: no hashes here") {
		t.Fatalf("a proof without the hashes: %v", err)
	}
}

// FuzzProofParse feeds arbitrary bytes to VerifyProof: it must not panic,
// and what it accepts must be a proof exactly as MakeProof writes it, of a
// canonical entry at an index its checkpoint covers.
func FuzzProofParse(f *testing.F) {
	s := fixedSignerT(f, goldenOrigin, 1)
	vs := verifiersT(f, s)
	l := newGoldenLedger(f, 13)
	cp := l.checkpoint(f, s)
	for _, i := range []int64{0, 6, 12} {
		f.Add(l.prove(f, i, cp))
	}
	if b, err := os.ReadFile(filepath.Join("testdata", "proof.golden")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("c2sp.org/tlog-proof@v1\nindex 0\n\n"))
	f.Add([]byte("c2sp.org/tlog-proof@v1\nextra \nindex 0\n\n" + goldenOrigin + "\n1\n" + strings.Repeat("A", 43) + "=\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := VerifyProof(b, vs, "")
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if res.Index < 0 || res.Index >= res.Checkpoint.N {
			t.Fatalf("accepted index %d beyond its checkpoint of size %d", res.Index, res.Checkpoint.N)
		}
		entry, err := res.Entry.Marshal()
		if err != nil {
			t.Fatalf("accepted an entry that does not marshal: %v", err)
		}
		if res.Checkpoint.N != l.tree.Size() || res.Checkpoint.Hash != l.tree.Hash() {
			t.Fatalf("accepted a checkpoint the key never signed: %+v", res.Checkpoint)
		}
		if !bytes.Equal(entry, l.leaves[res.Index]) {
			t.Fatalf("accepted entry %d as %s, but it is %s", res.Index, entry, l.leaves[res.Index])
		}
		// Up to the checkpoint, which may carry signatures by keys nobody
		// trusts, the proof is the one MakeProof writes.
		remade := l.prove(t, res.Index, cp)
		head := remade[:bytes.Index(remade, []byte("\n\n"))+2]
		if !bytes.HasPrefix(b, head) {
			t.Fatalf("accepted a proof other than the one MakeProof writes:\n%q\n%q", b, remade)
		}
	})
}

type failingHashes struct{}

func (failingHashes) ReadHashes([]int64) ([]tlog.Hash, error) {
	return nil, errors.New("no hashes here")
}

// TestInclusionProofLen compares inclusionProofLen with the proofs tlog
// makes, and checks that it ends for the largest trees.
func TestInclusionProofLen(t *testing.T) {
	l := newGoldenLedger(t, 70)
	for n := int64(1); n <= 70; n++ {
		for i := range n {
			p, err := tlog.ProveRecord(n, i, l.hashes)
			if err != nil {
				t.Fatal(err)
			}
			if got := inclusionProofLen(i, n); got != len(p) {
				t.Fatalf("leaf %d of %d: %d hashes, tlog makes %d", i, n, got, len(p))
			}
		}
	}
	const maxN = int64(^uint64(0) >> 1)
	// 2^63-1 leaves: the first is in a complete subtree of 2^62 leaves
	// (62 hashes) beside the rest (one more); the last has one sibling at
	// each of the 62 levels of the right edge.
	if got := inclusionProofLen(maxN-1, maxN); got != 62 {
		t.Fatalf("last leaf of the largest tree: %d hashes, want 62", got)
	}
	if got := inclusionProofLen(0, maxN); got != 63 {
		t.Fatalf("first leaf of the largest tree: %d hashes, want 63", got)
	}
}
