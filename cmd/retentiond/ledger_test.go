package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/testtool"
)

// demoRun runs the demo through execution and returns its directory and
// config file.
func demoRun(t *testing.T) (dir, cfg string) {
	t.Helper()
	dir = t.TempDir()
	mustRun(t, "demo", "--dir", dir, "--yes")
	return dir, filepath.Join(dir, "retentiond.yaml")
}

func TestLedgerExportVerifiesOffline(t *testing.T) {
	dir, cfg := demoRun(t)
	out := filepath.Join(t.TempDir(), "bundle")
	exp := mustRun(t, "ledger", "export", "--config", cfg, "--out", out)
	if !strings.Contains(exp, "exported ledger demo.retentiond.invalid/ledger") {
		t.Fatalf("export:\n%s", exp)
	}
	for _, f := range []string{"README.md", "entries.jsonl", "hashes.bin", "checkpoint", "export.json", "summary.csv", "summary.pdf",
		"MANIFEST.sha256", "MANIFEST.sha256.sig", "keys/allowed_signers", "keys/keys.csv"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("bundle lacks %s", f)
		}
	}
	// On a machine that never saw the database: remove it.
	pub, _ := os.ReadFile(filepath.Join(dir, "keys", "ledger.key.pub"))
	os.RemoveAll(dir)
	keyFile := filepath.Join(t.TempDir(), "ledger.vkey")
	os.WriteFile(keyFile, pub, 0o644)
	v := mustRun(t, "ledger", "verify", out)
	for _, want := range []string{"OK", "files match the signed manifest", "NOTE: trusted the bundle's own initial key", "every stored tree hash recomputed"} {
		if !strings.Contains(v, want) {
			t.Fatalf("verify lacks %q:\n%s", want, v)
		}
	}
	if v := mustRun(t, "ledger", "verify", "--key", keyFile, out); strings.Contains(v, "NOTE: trusted") {
		t.Fatalf("verify with --key still trusted the bundle:\n%s", v)
	}
}

// TestBundleReadmeCommands runs the shell blocks of the bundle's README,
// verbatim, in the bundle: an auditor's sha256sum, ssh-keygen and openssl
// must accept it.
func TestBundleReadmeCommands(t *testing.T) {
	for _, tool := range []struct{ name, pkg string }{{"bash", "bash"}, {"sha256sum", "coreutils"}, {"ssh-keygen", "openssh-client"},
		{"openssl", "openssl"}, {"awk", "gawk"}, {"base64", "coreutils"}} {
		testtool.Require(t, tool.name, tool.pkg)
	}
	_, cfg := demoRun(t)
	out := filepath.Join(t.TempDir(), "bundle")
	mustRun(t, "ledger", "export", "--config", cfg, "--out", out)
	readme, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) < 2 {
		t.Fatalf("README has %d shell blocks:\n%s", len(blocks), readme)
	}
	runBlock := func(script []byte) (string, error) {
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", string(script))
		cmd.Dir = out
		cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	for i, b := range blocks {
		if o, err := runBlock(b[1]); err != nil {
			t.Fatalf("README block %d failed: %v\n%s\n%s", i+1, err, b[1], o)
		}
	}
	// The same commands refuse a changed file and a changed checkpoint.
	cp := filepath.Join(out, "checkpoint")
	orig, _ := os.ReadFile(cp)
	os.WriteFile(cp, bytes.Replace(orig, []byte("\n"), []byte("0\n"), 1), 0o644)
	for i, b := range blocks {
		if o, err := runBlock(b[1]); err == nil {
			t.Errorf("README block %d accepted a changed checkpoint:\n%s", i+1, o)
		}
	}
}

// TestExportHoldsNoPersonalData scans an export of a realistic run for the
// names of the files, folders and people in the demo share.
func TestExportHoldsNoPersonalData(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	names := map[string]bool{}
	share := filepath.Join(dir, "share")
	filepath.WalkDir(share, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(share, p)
		depth := strings.Count(rel, string(filepath.Separator))
		// Files, and the folders of people (Udmeldte elever/<name>, Personale/*/<name>).
		if !d.IsDir() || depth >= 2 && !strings.HasPrefix(rel, "CCTV") && !strings.HasPrefix(rel, "Kommunikation") {
			names[d.Name()] = true
		}
		return nil
	})
	// Folders of people are named by their number in the exports, which
	// hex digests contain by chance: look for the number with the words
	// around it instead, and for the people's names and addresses.
	for n := range names {
		if strings.Trim(n, "0123456789") == "" {
			delete(names, n)
			names["elever/"+n] = true
			names["Fratrådte/"+n] = true
		}
	}
	for _, n := range []string{"Frida", "Gustav", "Karen Skov", "Lars Bech", "karen.skov@demo-skole.invalid", "medarbejdere.csv", "elever_"} {
		names[n] = true
	}
	if len(names) < 20 {
		t.Fatalf("only %d names collected", len(names))
	}
	mustRun(t, "demo", "--dir", dir, "--yes")
	cfg := filepath.Join(dir, "retentiond.yaml")
	mustRun(t, "holds", "add", "--config", cfg, "--as", "it", "--reason", "work-injury case 14", "--owner", "dpo", "--path", "Personale/Fratrådte/**")
	out := filepath.Join(t.TempDir(), "bundle")
	mustRun(t, "ledger", "export", "--config", cfg, "--out", out)
	var texts []string
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			texts = append(texts, p+"\x00"+string(b))
		}
		return err
	})
	if pdftotext, ok := testtool.Optional(t, "pdftotext", "poppler-utils"); ok {
		b, err := exec.Command(pdftotext, filepath.Join(out, "summary.pdf"), "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, "summary.pdf (text)\x00"+string(b))
	}
	for _, text := range texts {
		file, body, _ := strings.Cut(text, "\x00")
		for n := range names {
			if strings.Contains(body, n) {
				t.Errorf("%s contains the name %q", file, n)
			}
		}
	}
}

// TestDatabaseRowTamperingDetected changes every row of the ledger tables,
// one at a time, in a copy of the database: verification must fail every
// time and name the entry or checkpoint concerned.
func TestDatabaseRowTamperingDetected(t *testing.T) {
	dir, cfg := demoRun(t)
	dbFile := filepath.Join(dir, "retentiond.db")
	pub := filepath.Join(dir, "keys", "ledger.key.pub")
	orig, err := os.ReadFile(dbFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dbFile + "-wal"); err == nil && fi.Size() > 0 {
		// The demo's last command closed the database, which empties the
		// WAL (it is kept, empty, beside it: store's driverName); frames
		// left in it would be rows the copy lacks.
		t.Fatalf("the database's WAL holds %d bytes after the demo", fi.Size())
	}
	copyDB := filepath.Join(t.TempDir(), "copy.db")
	type change struct{ table, key, col string }
	var changes []struct {
		change
		id any
	}
	db, err := sql.Open("sqlite", dbFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []change{{"ledger_entry", "idx", "data"}, {"tlog_hash", "idx", "hash"}, {"checkpoint", "n", "note"}, {"policy_text", "digest", "text"}, {"ledger_entry", "idx", "idx"}, {"checkpoint", "n", "n"}} {
		rows, err := db.Query(fmt.Sprintf("SELECT %s FROM %s", c.key, c.table))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id any
			rows.Scan(&id)
			changes = append(changes, struct {
				change
				id any
			}{c, id})
		}
		rows.Close()
	}
	db.Close()
	_ = cfg
	for _, c := range changes {
		os.WriteFile(copyDB, orig, 0o600)
		db, err := sql.Open("sqlite", copyDB)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("DROP TRIGGER " + c.table + "_no_update"); err != nil {
			t.Fatal(err)
		}
		if c.col == c.key {
			_, err = db.Exec(fmt.Sprintf("UPDATE %s SET %s = %s + 1000000 WHERE %s = ?", c.table, c.col, c.col, c.key), c.id)
		} else {
			var b []byte
			if err := db.QueryRow(fmt.Sprintf("SELECT %s FROM %s WHERE %s = ?", c.col, c.table, c.key), c.id).Scan(&b); err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 1
			_, err = db.Exec(fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s = ?", c.table, c.col, c.key), b, c.id)
		}
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		out, err := run(t, "ledger", "verify", "--key", pub, copyDB)
		if err == nil {
			t.Fatalf("changing %s %s of row %v went undetected:\n%s", c.table, c.col, c.id, out)
		}
		if !regexp.MustCompile(`entry \d+|checkpoint \d+`).MatchString(err.Error()) {
			t.Errorf("changing %s %s of row %v: error names no entry or checkpoint: %v", c.table, c.col, c.id, err)
		}
	}
	t.Logf("%d row changes, all detected", len(changes))
}

// TestAnchorDetectsRewriteWithSigningKey: the demo anchors its checkpoint;
// someone with the database and the signing key rewrites an outcome and
// re-signs the whole ledger. The database verifies on its own, but not
// against the anchored checkpoint, nor does an export made from it.
func TestAnchorDetectsRewriteWithSigningKey(t *testing.T) {
	dir, cfg := demoRun(t)
	anchors, _ := filepath.Glob(filepath.Join(dir, "dpo-anchors", "*.checkpoint"))
	if len(anchors) != 1 {
		t.Fatalf("demo anchored %d checkpoints", len(anchors))
	}
	if out := mustRun(t, "ledger", "verify", "--config", cfg, "--anchor", filepath.Join(dir, "dpo-anchors")); !strings.Contains(out, "1 anchored checkpoint(s) given match") {
		t.Fatalf("verify with anchor:\n%s", out)
	}
	if out := mustRun(t, "ledger", "anchor", "--config", cfg); !strings.Contains(out, "already has the latest checkpoint") {
		t.Fatalf("anchor again:\n%s", out)
	}

	// The rewrite: every entry re-appended to a fresh database with one
	// outcome changed, every checkpoint re-signed with the real key.
	rewriteLedger(t, dir, cfg)
	// The marker beside the key holds the last checkpoint really signed.
	if _, err := run(t, "ledger", "verify", "--config", cfg); err == nil || !strings.Contains(err.Error(), "holds a different ledger") {
		t.Fatalf("the rewritten ledger verified against the marker: %v", err)
	}
	// Whoever has the key can rewrite the marker too, but not the
	// configured anchor directory, which verify reads as well.
	rewriteMarker(t, dir)
	if _, err := run(t, "ledger", "verify", "--config", cfg); err == nil || !strings.Contains(err.Error(), "the anchored checkpoint "+filepath.Join(dir, "dpo-anchors")) {
		t.Fatalf("the rewritten ledger verified against the configured anchor: %v", err)
	}
	out, err := run(t, "ledger", "verify", "--config", cfg, "--anchor", filepath.Join(dir, "dpo-anchors"))
	if err == nil || !strings.Contains(err.Error(), "anchored checkpoint 1") || !strings.Contains(err.Error(), "two different histories") {
		t.Fatalf("rewrite not detected against the anchor: %v\n%s", err, out)
	}
	// Every command that opens the pipeline refuses the rewritten ledger:
	// it does not extend the configured anchor directory's checkpoint.
	bundleDir := filepath.Join(t.TempDir(), "b")
	if _, err := run(t, "ledger", "export", "--config", cfg, "--out", bundleDir); err == nil || !strings.Contains(err.Error(), "holds a different ledger") {
		t.Fatalf("exporting the rewritten ledger: %v", err)
	}
	// Anchoring again refuses to replace the anchored checkpoint.
	if _, err := run(t, "ledger", "anchor", "--config", cfg); err == nil || !strings.Contains(err.Error(), "holds a different ledger") {
		t.Fatalf("anchoring the rewritten ledger: %v", err)
	}
}

func TestRotateKeys(t *testing.T) {
	dir, cfg := demoRun(t)
	oldPub := filepath.Join(t.TempDir(), "old.vkey")
	b, _ := os.ReadFile(filepath.Join(dir, "keys", "ledger.key.pub"))
	os.WriteFile(oldPub, b, 0o644)
	out := mustRun(t, "ledger", "rotate-key", "--config", cfg, "--as", "it", "--overlap", "240h")
	if !strings.Contains(out, "signing key rotated") {
		t.Fatalf("rotate-key:\n%s", out)
	}
	if b2, _ := os.ReadFile(filepath.Join(dir, "keys", "ledger.key.pub")); bytes.Equal(b, b2) {
		t.Fatal("the signing key did not change")
	}
	mustRun(t, "ledger", "rotate-key", "--references", "--config", cfg, "--as", "it")
	refs, _ := filepath.Glob(filepath.Join(dir, "keys", "references.key.*"))
	if len(refs) != 1 {
		t.Fatalf("retired reference keys: %v", refs)
	}
	// More history under the new keys.
	mustRun(t, "holds", "add", "--config", cfg, "--as", "it", "--reason", "case 9", "--owner", "dpo", "--path", "CCTV/**", "--force")
	// A verifier who knows only the old key follows the rotation.
	if v := mustRun(t, "ledger", "verify", "--config", cfg, "--key", oldPub); !strings.Contains(v, "key_rotation=2") {
		t.Fatalf("verify with the old key:\n%s", v)
	}
	bundleDir := filepath.Join(t.TempDir(), "b")
	mustRun(t, "ledger", "export", "--config", cfg, "--out", bundleDir)
	v := mustRun(t, "ledger", "verify", "--key", oldPub, bundleDir)
	if !strings.Contains(v, "OK") {
		t.Fatalf("bundle verify with the old key:\n%s", v)
	}
	keys, _ := os.ReadFile(filepath.Join(bundleDir, "keys", "keys.csv"))
	if strings.Count(string(keys), "\n") != 3 {
		t.Fatalf("keys.csv should list both keys:\n%s", keys)
	}
	// Users without the operator role cannot rotate.
	if _, err := run(t, "ledger", "rotate-key", "--config", cfg, "--as", "anna"); err == nil {
		t.Fatal("an approver rotated the signing key")
	}
}

// rewriteLedger replaces the demo's database with one whose ledger has the
// first deletion's outcome changed, appended afresh and re-signed at every
// original checkpoint size with the real signing key.
func rewriteLedger(t *testing.T, dir, cfg string) {
	t.Helper()
	ctx := context.Background()
	dbFile := filepath.Join(dir, "retentiond.db")
	old, err := store.Open(ctx, dbFile, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var leaves [][]byte
	changed := false
	old.Entries(ctx, func(_ int64, data []byte) error {
		b := bytes.Clone(data)
		if !changed && bytes.Contains(b, []byte(`"outcome":"deleted"`)) {
			b = bytes.Replace(b, []byte(`"outcome":"deleted"`), []byte(`"outcome":"absent"`), 1)
			b = bytes.Replace(b, []byte(`,"verified":true`), nil, 1)
			changed = true
		}
		leaves = append(leaves, b)
		return nil
	})
	cps, err := old.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old.Close()
	forged := filepath.Join(dir, "forged.db")
	st, err := store.Open(ctx, forged, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(ctx, func(tx *store.Tx) error { _, err := tx.Append(leaves...); return err }); err != nil {
		t.Fatal(err)
	}
	signer, err := ledger.LoadSigner(filepath.Join(dir, "keys", "ledger.key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cps {
		h, err := st.TreeHash(ctx, c.N)
		if err != nil {
			t.Fatal(err)
		}
		note, err := ledger.SignCheckpoint(ledger.Checkpoint{Origin: signer.Name(), N: c.N, Hash: h}, signer)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddCheckpoint(ctx, c.N, note, c.At); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(dbFile + suffix)
	}
	if err := os.Rename(forged, dbFile); err != nil {
		t.Fatal(err)
	}
}

// rewriteMarker puts the latest checkpoint of the (rewritten) database in
// the marker beside the signing key, as someone with the key could.
func rewriteMarker(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "retentiond.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, ok, err := st.LatestCheckpoint(ctx)
	if err != nil || !ok {
		t.Fatalf("latest checkpoint: %v %v", ok, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "keys", "ledger.key.checkpoint"), c.Note, 0o600); err != nil {
		t.Fatal(err)
	}
}
