package ledger

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

var update = flag.Bool("update", false, "rewrite golden files")

var t0 = time.Date(2026, 11, 22, 9, 30, 0, 123000000, time.FixedZone("CET", 3600))

func sample() []Entry {
	return []Entry{
		{Type: TypePolicy, Time: t0, Policy: "fileshare-defaults", PolicyDigest: "sha256:ab", Text: "version: 1\nrules: <&>\n"},
		{Type: TypeBatch, Time: t0, Batch: 7, Source: "skoledrev", SourceKind: "fileshare", Rule: "C1", Period: "P30D", Basis: "item.modified", Items: 60, Size: 1800, Actor: "it"},
		{Type: TypeApproval, Time: t0, Batch: 7, Actor: "anna", Role: "approver", Stage: 1, Plan: "sha256:cd"},
		{Type: TypeDeletion, Time: t0, Batch: 7, Item: "h1:0a0b0c0d:AAAA", Container: "h1:0a0b0c0d:BBBB", Size: 30, Rule: "C1",
			Anchor: "2026-10-01", Due: "2026-10-31", Approvals: []string{"anna", "bo"}, Outcome: "deleted", Method: "delete", Verified: true},
	}
}

func TestCanonicalRoundTrip(t *testing.T) {
	var golden bytes.Buffer
	for _, e := range sample() {
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(b)
		if err != nil {
			t.Fatalf("Parse(%s): %v", b, err)
		}
		again, _ := back.Marshal()
		if !bytes.Equal(b, again) {
			t.Fatalf("round trip changed bytes:\n%s\n%s", b, again)
		}
		golden.Write(b)
		golden.WriteByte('\n')
	}
	path := filepath.Join("testdata", "entries.golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(path, golden.Bytes(), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(golden.Bytes(), want) {
		t.Fatalf("canonical encoding changed; entries already in ledgers would no longer verify:\n%s\nwant:\n%s", golden.Bytes(), want)
	}
}

func TestParseRejectsNonCanonical(t *testing.T) {
	good, _ := sample()[2].Marshal()
	s := string(good)
	for name, in := range map[string]string{
		"unknown field": strings.Replace(s, `{"type"`, `{"x":1,"type"`, 1),
		"reordered":     `{"time":"2026-11-22T08:30:00.123Z","type":"approval","batch":7}`,
		"whitespace":    strings.Replace(s, `,"batch"`, `, "batch"`, 1),
		"escaped html":  `{"type":"policy","time":"2026-11-22T08:30:00Z","text":"\u003c"}`,
		"duplicate key": strings.Replace(s, `,"batch":7`, `,"batch":7,"batch":7`, 1),
		"trailing data": s + "{}",
		"newline":       s + "\n",
		"local time":    `{"type":"approval","time":"2026-11-22T09:30:00+01:00"}`,
		"zero omitted":  strings.Replace(s, `,"batch":7`, `,"batch":7,"size":0`, 1),
		"unknown type":  `{"type":"rewrite","time":"2026-11-22T08:30:00Z"}`,
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: Parse accepted %s", name, in)
		}
	}
}

func TestMarshalErrors(t *testing.T) {
	for _, e := range []Entry{{Time: t0}, {Type: "nope", Time: t0}, {Type: TypeBatch}, {Type: TypeBatch, Time: t0, Reason: "\xff"}} {
		if _, err := e.Marshal(); err == nil {
			t.Errorf("Marshal(%+v) succeeded", e)
		}
	}
}

func TestRefKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "ref.key")
	if _, err := LoadRefKey(path); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("missing key: %v", err)
	}
	if _, _, err := LoadOrCreateRefKey(path, nil, false); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("created when not allowed: %v", err)
	}
	k, created, err := LoadOrCreateRefKey(path, nil, true)
	if err != nil || !created {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode().Perm())
	}
	k2, err := LoadRefKey(path)
	if err != nil {
		t.Fatal(err)
	}
	a, b := k.Ref("item:fileshare:s", "x/y.pdf"), k2.Ref("item:fileshare:s", "x/y.pdf")
	if a != b || !strings.HasPrefix(a, "h1:"+k.ID()+":") {
		t.Fatalf("refs %q %q", a, b)
	}
	if k.Ref("item:fileshare:t", "x/y.pdf") == a || k.Ref("item:fileshare:s", "x/y.pdf ") == a {
		t.Fatal("different domain or value gave the same ref")
	}
	if strings.Contains(a, "y.pdf") {
		t.Fatal("ref reveals the value")
	}
	if id, mac, err := ParseRef(a); err != nil || id != k.ID() || len(mac) != 32 {
		t.Fatalf("ParseRef: %v", err)
	}
	if _, err := CreateRefKey(path, nil); err == nil {
		t.Fatal("CreateRefKey overwrote a key")
	}
	os.Chmod(path, 0o644)
	if _, err := LoadRefKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key accepted: %v", err)
	}
}

func newSignerT(t *testing.T, name string) *Signer {
	s, err := CreateSigner(filepath.Join(t.TempDir(), "ledger.key"), name, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignerAndCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.key")
	s, err := CreateSigner(path, "example.invalid/log", nil)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadSigner(path)
	if err != nil || loaded.VerifierKey() != s.VerifierKey() {
		t.Fatalf("load: %v", err)
	}
	pub, _ := os.ReadFile(path + ".pub")
	if strings.TrimSpace(string(pub)) != s.VerifierKey() {
		t.Fatal(".pub does not hold the verifier key")
	}
	c := Checkpoint{Origin: "example.invalid/log", N: 5, Hash: tlog.RecordHash([]byte("x"))}
	msg, err := SignCheckpoint(loaded, c)
	if err != nil {
		t.Fatal(err)
	}
	vs, _ := NewVerifiers(string(pub))
	got, err := OpenCheckpoint(msg, vs)
	if err != nil || got != c {
		t.Fatalf("open: %v %+v", err, got)
	}
	other := newSignerT(t, "example.invalid/log")
	ovs, _ := NewVerifiers(other.VerifierKey())
	if _, err := OpenCheckpoint(msg, ovs); err == nil {
		t.Fatal("checkpoint verified with another key")
	}
	tampered := bytes.Replace(msg, []byte("\n5\n"), []byte("\n6\n"), 1)
	if _, err := OpenCheckpoint(tampered, vs); err == nil {
		t.Fatal("tampered checkpoint verified")
	}
	if _, err := SignCheckpoint(loaded, Checkpoint{Origin: "other", N: 1}); err == nil {
		t.Fatal("signed for another origin")
	}
	if _, err := LoadSigner(filepath.Join(t.TempDir(), "none")); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("missing signer: %v", err)
	}
}

func TestCheckpointBody(t *testing.T) {
	c := Checkpoint{Origin: "o", N: 10, Hash: tlog.RecordHash(nil)}
	got, err := ParseCheckpointBody(append(c.Body(), "ext line\n"...))
	if err != nil || got != c {
		t.Fatalf("%v %+v", err, got)
	}
	for _, bad := range []string{"", "o\n10\n", "o\n010\n" + strings.Repeat("A", 43) + "=\n", "o\n-1\nAA==\n", " \n1\nAA==\n", "o\n1\nnot base64\n", string(c.Body()[:len(c.Body())-1])} {
		if _, err := ParseCheckpointBody([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}

func TestTreeMatchesTlog(t *testing.T) {
	var tree Tree
	var stored memHashes
	for n := int64(0); n <= 300; n++ {
		want, err := tlog.TreeHash(n, stored)
		if err != nil {
			t.Fatal(err)
		}
		if tree.Hash() != want || tree.Size() != n {
			t.Fatalf("size %d: hash %x, tlog %x", n, tree.Hash(), want)
		}
		leaf := []byte(fmt.Sprintf("leaf %d", n))
		hs, err := tlog.StoredHashes(n, leaf, stored)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		tree.Append(leaf)
	}
}

// ledgerOf builds n entries and checkpoints at the given sizes.
func ledgerOf(t testing.TB, s *Signer, n int, at ...int) ([][]byte, [][]byte) {
	var leaves, cps [][]byte
	var tree Tree
	sign := func() {
		msg, err := SignCheckpoint(s, Checkpoint{Origin: s.Name(), N: tree.Size(), Hash: tree.Hash()})
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, msg)
	}
	for i := range n {
		for _, a := range at {
			if a == i {
				sign()
			}
		}
		b, _ := Entry{Type: TypeDeletion, Time: t0, Batch: int64(i), Outcome: "deleted"}.Marshal()
		leaves = append(leaves, b)
		tree.Append(b)
	}
	for _, a := range at {
		if a == n {
			sign()
		}
	}
	return leaves, cps
}

func src(leaves, cps [][]byte, vs ...*Signer) Source {
	var keys []string
	for _, v := range vs {
		keys = append(keys, v.VerifierKey())
	}
	verifiers, _ := NewVerifiers(keys...)
	return Source{
		Entries: func(ctx context.Context, fn func(int64, []byte) error) error {
			for i, l := range leaves {
				if err := fn(int64(i), l); err != nil {
					return err
				}
			}
			return nil
		},
		Checkpoints: cps,
		Verifiers:   verifiers,
	}
}

func TestVerify(t *testing.T) {
	s := newSignerT(t, "test.invalid/ledger")
	leaves, cps := ledgerOf(t, s, 20, 5, 12, 20)
	rep, err := Verify(context.Background(), src(leaves, cps, s))
	if err != nil || rep.Entries != 20 || rep.Checkpoints != 3 || rep.Latest.N != 20 || rep.Types[TypeDeletion] != 20 {
		t.Fatalf("%v %+v", err, rep)
	}
	partial, cps2 := ledgerOf(t, s, 20, 12)
	rep, err = Verify(context.Background(), src(partial, cps2, s))
	if err != nil || rep.UncheckpointedEntries != 8 {
		t.Fatalf("%v %+v", err, rep)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	s := newSignerT(t, "test.invalid/ledger")
	other := newSignerT(t, "test.invalid/ledger")
	leaves, cps := ledgerOf(t, s, 20, 10, 20)
	clone := func() [][]byte { return append([][]byte(nil), leaves...) }
	tests := []struct {
		name   string
		src    Source
		reason string
	}{
		{"changed entry", func() Source {
			l := clone()
			l[3] = bytes.Replace(l[3], []byte(`"deleted"`), []byte(`"absent"`), 1)
			return src(l, cps, s)
		}(), "history was rewritten"},
		{"last entry removed", src(clone()[:19], cps, s), "entries were removed"},
		{"middle entry removed", src(append(clone()[:5], clone()[6:]...), cps, s), "history was rewritten"},
		{"entries reordered", func() Source {
			l := clone()
			l[1], l[2] = l[2], l[1]
			return src(l, cps, s)
		}(), "history was rewritten"},
		{"non-canonical entry", func() Source {
			l := clone()
			l[15] = append([]byte(" "), l[15]...)
			return src(l, cps, s)
		}(), "does not parse"},
		{"signed by another key", src(leaves, cps, other), "signature does not verify"},
		{"no checkpoint", src(leaves, nil, s), "no signed checkpoint"},
	}
	for _, tt := range tests {
		_, err := Verify(context.Background(), tt.src)
		var ve *VerifyError
		if !errors.As(err, &ve) || !strings.Contains(ve.Error(), tt.reason) {
			t.Errorf("%s: %v, want a VerifyError with %q", tt.name, err, tt.reason)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, e := range sample() {
		b, _ := e.Marshal()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Parse(b)
		if err != nil {
			return
		}
		again, err := e.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("Parse accepted non-canonical %q (%v)", b, err)
		}
	})
}

func FuzzParseCheckpointBody(f *testing.F) {
	f.Add(Checkpoint{Origin: "o", N: 3, Hash: tlog.RecordHash(nil)}.Body())
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCheckpointBody(b)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(b, c.Body()) {
			t.Fatalf("parsed %q as %+v", b, c)
		}
	})
}

func BenchmarkMarshal(b *testing.B) {
	e := sample()[3]
	b.ReportAllocs()
	for b.Loop() {
		e.Marshal()
	}
}

func BenchmarkVerify(b *testing.B) {
	s, _ := CreateSigner(filepath.Join(b.TempDir(), "k"), "bench", nil)
	leaves, cps := ledgerOf(b, s, 100000, 100000)
	source := src(leaves, cps, s)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(context.Background(), source); err != nil {
			b.Fatal(err)
		}
	}
}
