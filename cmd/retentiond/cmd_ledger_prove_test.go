package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// demoWithDeletion runs the demo through deletion and returns its
// directory, its configuration file and an item it deleted, named as the
// file share connector names it.
func demoWithDeletion(t *testing.T) (dir, cfg, item string) {
	t.Helper()
	dir = t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	// A recording older than the 30 days of the demo's rule C1.
	days, _ := filepath.Glob(filepath.Join(dir, "nvr", "Kamera-1 Indgang", "2026-10-1*"))
	if len(days) == 0 {
		t.Fatal("no old recordings in the demo")
	}
	files, _ := filepath.Glob(filepath.Join(days[0], "*.mp4"))
	if len(files) == 0 {
		t.Fatalf("no recordings in %s", days[0])
	}
	rel, err := filepath.Rel(filepath.Join(dir, "nvr"), files[0])
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, "demo", "--dir", dir, "--yes")
	if _, err := os.Stat(files[0]); err == nil {
		t.Fatalf("the demo did not delete %s", files[0])
	}
	return dir, filepath.Join(dir, demoConfigName), filepath.ToSlash(rel)
}

// runErr runs a command line that must fail, and returns its error text.
func runErr(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run(t, args...)
	if err == nil {
		t.Fatalf("retentiond %s succeeded:\n%s", strings.Join(args, " "), out)
	}
	return err.Error()
}

func wantIn(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not say %q:\n%s", what, w, got)
		}
	}
}

func TestLedgerProveDeletedItem(t *testing.T) {
	dir, cfg, item := demoWithDeletion(t)
	pub := filepath.Join(dir, "keys", "ledger.key.pub")

	// Without --out the proof goes to the current directory.
	t.Chdir(t.TempDir())
	out := mustRun(t, "ledger", "prove", "--config", cfg, "--source", "nvr", "--item", item)
	wantIn(t, "prove", out,
		"1 ledger entries for \""+item+"\" in source nvr:",
		"deletion: deleted, rule C1, batch ", "approved automatically (the rule needs no approval)",
		"written to nvr-entry-", "check it with: retentiond ledger verify-proof nvr-entry-")
	// The time, in the configured zone.
	if !regexp.MustCompile(`entry \d+  2026-11-22 11:\d\d CET  deletion`).MatchString(out) {
		t.Errorf("prove does not show when the entry was made:\n%s", out)
	}
	proofs, _ := filepath.Glob("nvr-entry-*.tlog-proof")
	if len(proofs) != 1 {
		t.Fatalf("proof files in the current directory: %q", proofs)
	}
	proof := proofs[0]
	b, err := os.ReadFile(proof)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("c2sp.org/tlog-proof@v1\nextra ")) || !bytes.Contains(b, []byte("\n\ndemo.retentiond.invalid/ledger\n")) {
		t.Fatalf("not a tlog-proof of the demo's ledger:\n%s", b)
	}

	// Verified with an explicit key, with the configured key, and as
	// being about the item.
	v := mustRun(t, "ledger", "verify-proof", "--key", pub, proof)
	wantIn(t, "verify-proof", v, "proof OK: entry ", "of ledger demo.retentiond.invalid/ledger", "deletion: deleted, rule C1", "UTC")
	v = mustRun(t, "ledger", "verify-proof", "--config", cfg, proof)
	wantIn(t, "verify-proof with the configured key", v, "proof OK")
	v = mustRun(t, "ledger", "verify-proof", "--config", cfg, "--source", "nvr", "--item", item, proof)
	wantIn(t, "verify-proof --item", v, "proof OK", "the entry is about \""+item+"\" in source nvr")
	v = mustRun(t, "ledger", "verify-proof", "--key", pub, "--config", cfg, "--origin", "demo.retentiond.invalid/ledger", "--source", "nvr", "--item", item, proof)
	wantIn(t, "verify-proof --key --item", v, "proof OK", "the entry is about")

	// Another item, or half of the question.
	wantIn(t, "verify-proof for another item", runErr(t, "ledger", "verify-proof", "--config", cfg, "--source", "nvr", "--item", item+"x", proof),
		"proof verification FAILED: the proven entry is not about \""+item+"x\" in source nvr")
	wantIn(t, "verify-proof --item without --source", runErr(t, "ledger", "verify-proof", "--key", pub, "--item", item, proof), "give both --item and --source")
	// No key and no configuration.
	wantIn(t, "verify-proof without a key", runErr(t, "ledger", "verify-proof", "--config", filepath.Join(t.TempDir(), "none.yaml"), proof),
		"give the verifier key to trust with --key")
}

func TestLedgerVerifyProofTampered(t *testing.T) {
	dir, cfg, item := demoWithDeletion(t)
	pub := filepath.Join(dir, "keys", "ledger.key.pub")
	proof := filepath.Join(t.TempDir(), "item.tlog-proof")
	mustRun(t, "ledger", "prove", "--config", cfg, "--source", "nvr", "--item", item, "--out", proof)
	orig, err := os.ReadFile(proof)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(orig), "\n")
	blank := 3
	for lines[blank] != "" {
		blank++
	}
	entry, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(lines[1], "extra "))
	if err != nil {
		t.Fatal(err)
	}
	zero := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, tc := range []struct {
		name string
		edit func(l []string) []string
		want string
	}{
		{"entry outcome", func(l []string) []string {
			l[1] = "extra " + base64.StdEncoding.EncodeToString(bytes.Replace(entry, []byte(`"outcome":"deleted"`), []byte(`"outcome":"failed"`), 1))
			return l
		}, "is not in the signed tree"},
		{"entry byte", func(l []string) []string {
			l[1] = "extra " + base64.StdEncoding.EncodeToString(bytes.Replace(entry, []byte(`"rule":"C1"`), []byte(`"rule":"C2"`), 1))
			return l
		}, "is not in the signed tree"},
		{"entry form", func(l []string) []string {
			l[1] = "extra " + base64.StdEncoding.EncodeToString(bytes.Replace(entry, []byte(`,"rule"`), []byte(`, "rule"`), 1))
			return l
		}, "proof's entry (its extra line) is not a valid ledger entry"},
		{"index", func(l []string) []string { l[2] = "index 1"; return l }, "entry 1 is not in the signed tree"},
		{"index beyond", func(l []string) []string { l[2] = "index 99999"; return l }, "proof's index 99999 is not covered by its checkpoint"},
		{"hash", func(l []string) []string { l[3] = zero; return l }, "is not in the signed tree"},
		{"hash dropped", func(l []string) []string { return append(l[:3], l[4:]...) }, "hashes, not"},
		{"checkpoint size", func(l []string) []string { l[blank+2] += "0"; return l }, "proof's checkpoint was altered: the signature by the trusted key demo.retentiond.invalid/ledger+"},
		{"checkpoint root", func(l []string) []string { l[blank+3] = zero; return l }, "proof's checkpoint was altered"},
		{"header", func(l []string) []string { l[0] = "c2sp.org/tlog-proof@v0"; return l }, "proof does not parse: tlog proof missing expected header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := append([]string(nil), lines...)
			l = tc.edit(l)
			bad := filepath.Join(t.TempDir(), "bad.tlog-proof")
			if err := os.WriteFile(bad, []byte(strings.Join(l, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
			wantIn(t, "verify-proof of a proof with a changed "+tc.name, runErr(t, "ledger", "verify-proof", "--key", pub, bad),
				"proof verification FAILED: ", tc.want)
		})
	}
	// Every single bit flipped anywhere in the proof is detected.
	for i := range orig {
		bad := bytes.Clone(orig)
		bad[i] ^= 1
		vs, err := ledger.NewVerifiers(strings.TrimSpace(string(mustRead(t, pub))))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ledger.VerifyProof(bad, vs, "demo.retentiond.invalid/ledger"); err == nil {
			t.Fatalf("flipping a bit of byte %d (%q) went undetected", i, orig[i])
		}
	}

	// Another demo's key: the same origin, another key.
	other := t.TempDir()
	mustRun(t, "demo", "--dir", other, "--yes")
	wantIn(t, "verify-proof with another ledger's key",
		runErr(t, "ledger", "verify-proof", "--key", filepath.Join(other, "keys", "ledger.key.pub"), proof),
		"proof verification FAILED: proof's checkpoint is not signed by a trusted key: it is signed only by demo.retentiond.invalid/ledger+")
	wantIn(t, "verify-proof with another demo's configuration",
		runErr(t, "ledger", "verify-proof", "--config", filepath.Join(other, demoConfigName), proof),
		"not signed by a trusted key")
}

func TestLedgerVerifyProofOtherOrigin(t *testing.T) {
	dir, cfg, _ := demoWithDeletion(t)
	pub := filepath.Join(dir, "keys", "ledger.key.pub")
	// A proof from another ledger, made as prove makes one.
	keys := t.TempDir()
	s, err := ledger.CreateSigner(filepath.Join(keys, "other.key"), "other.example/ledger", nil)
	if err != nil {
		t.Fatal(err)
	}
	var (
		tree   ledger.Tree
		hashes memHashReader
		leaves [][]byte
	)
	for i := range 3 {
		e := ledger.Entry{Type: ledger.TypeDeletion, Time: fixedNow.Add(time.Duration(i) * time.Second), Source: "skoledrev", Outcome: "deleted"}
		leaf, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		hs, err := tlog.StoredHashes(int64(i), leaf, hashes)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
		leaves = append(leaves, leaf)
		tree.Append(leaf)
	}
	cp, err := ledger.SignCheckpoint(ledger.Checkpoint{Origin: s.Name(), N: tree.Size(), Hash: tree.Hash()}, s)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := ledger.MakeProof(1, leaves[1], cp, tree.Size(), hashes)
	if err != nil {
		t.Fatal(err)
	}
	proof := filepath.Join(t.TempDir(), "other.tlog-proof")
	if err := os.WriteFile(proof, pf, 0o644); err != nil {
		t.Fatal(err)
	}
	// It is a good proof of its own ledger.
	v := mustRun(t, "ledger", "verify-proof", "--key", filepath.Join(keys, "other.key.pub"), proof)
	wantIn(t, "verify-proof of the other ledger's proof with its key", v, "proof OK: entry 1 of ledger other.example/ledger is in the signed tree of size 3")
	// But not of the configured one, even trusting both keys.
	wantIn(t, "verify-proof of another ledger's proof",
		runErr(t, "ledger", "verify-proof", "--config", cfg, proof),
		`proof verification FAILED: proof's checkpoint is for ledger "other.example/ledger", not "demo.retentiond.invalid/ledger"`)
	wantIn(t, "verify-proof of another ledger's proof, trusting its key too",
		runErr(t, "ledger", "verify-proof", "--key", pub, "--key", filepath.Join(keys, "other.key.pub"), "--origin", "demo.retentiond.invalid/ledger", proof),
		`proof's checkpoint is for ledger "other.example/ledger", not "demo.retentiond.invalid/ledger"`)
}

func TestLedgerProveErrors(t *testing.T) {
	dir, cfg, item := demoWithDeletion(t)

	// An item retentiond never touched.
	wantIn(t, "prove of an unknown item",
		runErr(t, "ledger", "prove", "--config", cfg, "--source", "skoledrev", "--item", "no/such/file.txt"),
		"no ledger entry for this item in source skoledrev", `"no/such/file.txt"`)
	wantIn(t, "prove in an unknown source",
		runErr(t, "ledger", "prove", "--config", cfg, "--source", "mail", "--item", item), `no source "mail"`)
	wantIn(t, "prove without --item", runErr(t, "ledger", "prove", "--config", cfg, "--source", "skoledrev"), "--source NAME --item PATH_OR_ID")

	// prove only reads: with no database it creates none.
	noDB := filepath.Join(dir, "nodb.yaml")
	missing := filepath.Join(t.TempDir(), "none.db")
	conf := bytes.Replace(mustRead(t, cfg), []byte("database: retentiond.db"), []byte("database: "+missing), 1)
	if err := os.WriteFile(noDB, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	wantIn(t, "prove without a database", runErr(t, "ledger", "prove", "--config", noDB, "--source", "nvr", "--item", item), "database does not exist")
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("prove created a database")
	}

	// A hold placed on the item after its deletion is listed, and the proof
	// is still of the deletion.
	mustRun(t, "holds", "add", "--config", cfg, "--as", "it", "--source", "nvr", "--ref", item, "--reason", "case 2026-14", "--owner", "bo")
	proof := filepath.Join(t.TempDir(), "p.tlog-proof")
	out := mustRun(t, "ledger", "prove", "--config", cfg, "--source", "nvr", "--item", item, "--out", proof)
	wantIn(t, "prove after a hold", out, "2 ledger entries", "hold_added, hold ", "came after it", "(deletion: deleted) against the checkpoint")
	v := mustRun(t, "ledger", "verify-proof", "--config", cfg, "--source", "nvr", "--item", item, proof)
	wantIn(t, "verify-proof after a hold", v, "deletion: deleted")

	// Entries about the item that no checkpoint covers yet: first a hold,
	// then a deletion.
	ring, err := ledger.LoadRefKeyRing(filepath.Join(dir, "keys", "references.key"))
	if err != nil {
		t.Fatal(err)
	}
	ref := ring.Current.Ref("item:cctv:nvr", item)
	appendUncovered := func(e ledger.Entry) {
		t.Helper()
		ctx := context.Background()
		st, err := store.Open(ctx, filepath.Join(dir, "retentiond.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		leaf, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Write(ctx, func(tx *store.Tx) error { _, err := tx.Append(leaf); return err }); err != nil {
			t.Fatal(err)
		}
	}
	appendUncovered(ledger.Entry{Type: ledger.TypeHoldAdded, Time: fixedNow.Add(time.Hour), Source: "nvr", Item: ref, Hold: "H-9"})
	out = mustRun(t, "ledger", "prove", "--config", cfg, "--source", "nvr", "--item", item, "--out", proof)
	wantIn(t, "prove with an uncovered hold", out, "3 ledger entries", "hold H-9",
		"about this item is newer than the latest signed checkpoint, which covers entries 0 to ", "came after it", "written to")

	appendUncovered(ledger.Entry{Type: ledger.TypeDeletion, Time: fixedNow.Add(2 * time.Hour), Source: "nvr", SourceKind: "cctv",
		Item: ref, Outcome: "absent"})
	out, err = run(t, "ledger", "prove", "--config", cfg, "--source", "nvr", "--item", item, "--out", proof)
	if err == nil {
		t.Fatalf("prove made a proof of an entry no checkpoint covers:\n%s", out)
	}
	wantIn(t, "prove of an uncovered deletion", out, "4 ledger entries", "deletion: absent")
	wantIn(t, "prove of an uncovered deletion", err.Error(), "the latest deletion entry for this item, ", "is newer than the latest signed checkpoint", "no proof can be made yet")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// memHashReader is a tlog.HashReader over stored hashes in memory.
type memHashReader []tlog.Hash

func (m memHashReader) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = m[x]
	}
	return out, nil
}
