package bundle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/retentiond/retentiond/store/ledger"
)

const origin = "test.invalid/bundle"

var t0 = time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC)

// fixture is a small real ledger: entries as the pipeline writes them, the
// tree's stored hashes, and checkpoints signed by a real key.
type fixture struct {
	signer *ledger.Signer
	leaves [][]byte
	hashes []tlog.Hash
	cps    []Checkpoint
}

type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}

func newFixture(t testing.TB, signer *ledger.Signer, rewrite func(*ledger.Entry)) *fixture {
	t.Helper()
	if signer == nil {
		var err error
		signer, err = ledger.CreateSigner(filepath.Join(t.TempDir(), "ledger.key"), origin, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	refs, err := ledger.NewRefKey(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	text := "version: 1\nid: fileshare\nrules:\n  - id: C1\n    keep: P30D\n"
	sum := sha256.Sum256([]byte(text))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	entries := []ledger.Entry{
		{Type: ledger.TypePolicy, Time: at(0), Policy: "fileshare", PolicyDigest: digest, Text: text},
		{Type: ledger.TypeBatch, Time: at(1), Batch: 1, Source: "share", SourceKind: "fileshare", Policy: "fileshare", PolicyDigest: digest,
			Rule: "C1", Period: "P30D", Basis: "item.modified", Items: 3, Size: 300, Actor: "it", Plan: "sha256:ab"},
		{Type: ledger.TypeApproval, Time: at(2), Batch: 1, Rule: "C1", Actor: "anna", Role: "approver", Stage: 1, Plan: "sha256:ab"},
		{Type: ledger.TypeExecutionStarted, Time: at(50), Batch: 1, Rule: "C1", Items: 3, Actor: "it", Role: "operator"},
	}
	for i, name := range []string{"CCTV/Kamera 1/2026-02-01.mp4", "CCTV/Kamera 1/2026-02-02.mp4", "CCTV/Kamera 1/2026-02-03.mp4"} {
		e := ledger.Entry{Type: ledger.TypeDeletion, Time: at(51 + i), Batch: 1, Source: "share", SourceKind: "fileshare",
			Item: refs.Ref("item:fileshare:share", name), Container: refs.Ref("container:fileshare:share", "CCTV/Kamera 1"), Size: 100,
			Policy: "fileshare", PolicyDigest: digest, Rule: "C1", Period: "P30D", Basis: "item.modified", Anchor: "2026-02-01",
			Due: "2026-03-03", Approvals: []string{"anna"}, Outcome: "deleted", Method: "delete", Verified: true}
		if i == 2 {
			e.Outcome, e.Code, e.Method, e.Verified = "failed", "permission_denied", "", false
		}
		entries = append(entries, e)
	}
	entries = append(entries,
		ledger.Entry{Type: ledger.TypeExecutionFinished, Time: at(60), Batch: 1, Rule: "C1", Items: 2, Actor: "it", Role: "operator"},
		ledger.Entry{Type: ledger.TypeHoldAdded, Time: at(70), Hold: "H-1", Reason: "police case 7", Actor: "it", Role: "operator"})
	f := &fixture{signer: signer}
	var tree ledger.Tree
	for i, e := range entries {
		if rewrite != nil {
			rewrite(&e)
		}
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		hs, err := tlog.StoredHashes(int64(i), b, memHashes(f.hashes))
		if err != nil {
			t.Fatal(err)
		}
		f.hashes = append(f.hashes, hs...)
		f.leaves = append(f.leaves, b)
		tree.Append(b)
		if i == 3 || i == len(entries)-1 {
			msg, err := ledger.SignCheckpoint(ledger.Checkpoint{Origin: origin, N: tree.Size(), Hash: tree.Hash()}, signer)
			if err != nil {
				t.Fatal(err)
			}
			f.cps = append(f.cps, Checkpoint{N: tree.Size(), Note: msg, At: at(i), Anchored: i == 3})
		}
	}
	return f
}

func (f *fixture) input() Input {
	return Input{
		Origin: origin,
		Entries: func(ctx context.Context, fn func(int64, []byte) error) error {
			for i, l := range f.leaves {
				if err := fn(int64(i), l); err != nil {
					return err
				}
			}
			return nil
		},
		StoredHashes: func(yield func(tlog.Hash, error) bool) {
			for _, h := range f.hashes {
				if !yield(h, nil) {
					return
				}
			}
		},
		Checkpoints: f.cps,
		Signer:      f.signer,
		Generated:   t0.Add(100 * time.Hour),
		Software:    "retentiond/test",
		Location:    time.UTC,
		Summary:     &countSummary{},
	}
}

// countSummary is a summarizer for these tests: the real one is tested in
// package summary and, with bundles, in cmd/retentiond.
type countSummary struct{ n map[ledger.Type]int }

func (c *countSummary) Add(_ int64, e ledger.Entry) {
	if c.n == nil {
		c.n = map[ledger.Type]int{}
	}
	c.n[e.Type]++
}

func (c *countSummary) Write(csv, pdf io.Writer, info SummaryInfo) error {
	fmt.Fprintf(csv, "type,count\ndeletion,%d\n", c.n[ledger.TypeDeletion])
	fmt.Fprintf(pdf, "%%PDF-1.4 (not a PDF: %s, %d entries)\n", info.Origin, info.Entries)
	return nil
}

var _ iter.Seq2[tlog.Hash, error] = Input{}.StoredHashes

func export(t testing.TB, f *fixture) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
	if _, err := Write(context.Background(), dir, f.input()); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestWriteVerify(t *testing.T) {
	f := newFixture(t, nil, nil)
	dir := export(t, f)
	rep, err := Verify(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entries != 9 || rep.Checkpoints != 2 || !rep.KeysFromBundle || rep.Policies != 1 || rep.Anchors != 1 {
		t.Fatalf("report %+v %+v", rep, rep.Report)
	}
	// entries.jsonl line i is leaf i.
	b, _ := os.ReadFile(filepath.Join(dir, FileEntries))
	if want := append(bytes.Join(f.leaves, []byte("\n")), '\n'); !bytes.Equal(b, want) {
		t.Fatal("entries.jsonl is not the leaves, one per line")
	}
	// Trusting the key explicitly.
	if _, err := Verify(context.Background(), dir, Options{Keys: []string{f.signer.VerifierKey()}}); err != nil {
		t.Fatal(err)
	}
	// A key the auditor trusts that did not sign the ledger.
	other, _ := ledger.CreateSigner(filepath.Join(t.TempDir(), "k"), origin, nil)
	if _, err := Verify(context.Background(), dir, Options{Keys: []string{other.VerifierKey()}}); err == nil {
		t.Fatal("a bundle verified against a key that did not sign it")
	}
	// The export refuses to overwrite.
	if _, err := Write(context.Background(), dir, f.input()); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("overwrote a bundle: %v", err)
	}
}

// TestEveryByteFlipDetected flips every byte of every file of a small
// bundle, one at a time: every flip must fail verification, and a flip in
// entries.jsonl or hashes.bin must name the entry concerned.
func TestEveryByteFlipDetected(t *testing.T) {
	f := newFixture(t, nil, nil)
	dir := export(t, f)
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	lineOf := func(b []byte, off int) int64 { return int64(bytes.Count(b[:off], []byte("\n"))) }
	flips, named := 0, 0
	for _, name := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		step := 1
		if name == FileSummaryPDF {
			step = 97 // detected by the manifest alone, like any other byte of it
		}
		for off := 0; off < len(orig); off += step {
			mod := bytes.Clone(orig)
			mod[off] ^= 0x01
			if err := os.WriteFile(path, mod, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Verify(context.Background(), dir, Options{})
			flips++
			if err == nil {
				t.Fatalf("%s: flipping byte %d went undetected", name, off)
			}
			var ve *ledger.VerifyError
			switch name {
			case FileEntries:
				if !errors.As(err, &ve) || ve.Index != lineOf(orig, off) {
					t.Fatalf("%s byte %d (line %d): error does not name the entry: %v", name, off, lineOf(orig, off), err)
				}
				named++
			case FileHashes:
				if !errors.As(err, &ve) || ve.Index < 0 {
					t.Fatalf("%s byte %d: error does not name the entry: %v", name, off, err)
				}
				named++
			}
		}
		if err := os.WriteFile(path, orig, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Verify(context.Background(), dir, Options{}); err != nil {
		t.Fatalf("restored bundle: %v", err)
	}
	t.Logf("%d flips in %d files, all detected; %d named their entry", flips, len(files), named)
}

func TestStructuralTampering(t *testing.T) {
	f := newFixture(t, nil, nil)
	dir := export(t, f)
	entries := filepath.Join(dir, FileEntries)
	orig, _ := os.ReadFile(entries)
	lines := strings.SplitAfter(string(orig), "\n")
	lines = lines[:len(lines)-1]
	for name, tt := range map[string]struct {
		content string
		want    string
	}{
		"truncated":       {strings.Join(lines[:6], ""), "entries were removed"},
		"cut mid-line":    {string(orig[:len(orig)-5]), "does not end with a newline"},
		"reordered":       {lines[0] + lines[2] + lines[1] + strings.Join(lines[3:], ""), "entry 1"},
		"duplicated line": {strings.Join(lines[:5], "") + lines[4] + strings.Join(lines[5:], ""), "entry 5"},
		"line appended":   {string(orig) + lines[8], "entry 9"},
		"empty":           {"", "entries were removed"},
	} {
		t.Run(name, func(t *testing.T) {
			os.WriteFile(entries, []byte(tt.content), 0o644)
			defer os.WriteFile(entries, orig, 0o644)
			_, err := Verify(context.Background(), dir, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}

	// A checkpoint from a different log with the same origin name.
	other := export(t, newFixture(t, nil, nil))
	cp, _ := os.ReadFile(filepath.Join(dir, FileCheckpoint))
	foreign, _ := os.ReadFile(filepath.Join(other, FileCheckpoint))
	os.WriteFile(filepath.Join(dir, FileCheckpoint), foreign, 0o644)
	if _, err := Verify(context.Background(), dir, Options{}); err == nil || !strings.Contains(err.Error(), FileCheckpoint) {
		t.Fatalf("foreign checkpoint: %v", err)
	}
	os.WriteFile(filepath.Join(dir, FileCheckpoint), cp, 0o644)
	if _, err := Verify(context.Background(), dir, Options{Anchors: [][]byte{foreign}}); err == nil {
		t.Fatal("an anchor from another log was accepted")
	}

	// A file added to the bundle.
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hi"), 0o644)
	if _, err := Verify(context.Background(), dir, Options{}); err == nil || !strings.Contains(err.Error(), "not in the manifest") {
		t.Fatalf("added file: %v", err)
	}
}

// TestRewriteWithSigningKeyDetectedByAnchor: someone with the signing key
// rewrites an outcome and re-signs everything; the bundle is internally
// consistent, but not with the checkpoint anchored before.
func TestRewriteWithSigningKeyDetectedByAnchor(t *testing.T) {
	f := newFixture(t, nil, nil)
	anchored := f.cps[len(f.cps)-1].Note
	forged := newFixture(t, f.signer, func(e *ledger.Entry) {
		if e.Outcome == "failed" {
			e.Outcome, e.Code, e.Method, e.Verified = "deleted", "", "delete", true
		}
	})
	dir := export(t, forged)
	if _, err := Verify(context.Background(), dir, Options{Keys: []string{f.signer.VerifierKey()}}); err != nil {
		t.Fatalf("the forged bundle should be consistent on its own: %v", err)
	}
	_, err := Verify(context.Background(), dir, Options{Keys: []string{f.signer.VerifierKey()}, Anchors: [][]byte{anchored}})
	var ve *ledger.VerifyError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "two different histories were signed") {
		t.Fatalf("rewrite not detected against the anchor: %v", err)
	}
}

func TestCutAtTo(t *testing.T) {
	f := newFixture(t, nil, nil)
	in := f.input()
	in.To = t0.Add(10 * time.Hour) // after the approval, before execution
	dir := filepath.Join(t.TempDir(), "b")
	res, err := Write(context.Background(), dir, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Entries != 4 || !res.CutAtTo || res.Uncovered != 5 {
		t.Fatalf("result %+v", res)
	}
	rep, err := Verify(context.Background(), dir, Options{Anchors: [][]byte{f.cps[1].Note}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.AnchorsBeyond) != 1 || rep.Entries != 4 {
		t.Fatalf("report %+v", rep)
	}
}

func TestWriteRefusesLedgerWithoutCheckpoint(t *testing.T) {
	f := newFixture(t, nil, nil)
	in := f.input()
	in.Checkpoints = nil
	if _, err := Write(context.Background(), filepath.Join(t.TempDir(), "b"), in); err == nil || !strings.Contains(err.Error(), "no signed checkpoint") {
		t.Fatalf("got %v", err)
	}
}
