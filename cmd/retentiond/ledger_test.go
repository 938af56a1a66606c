package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
	for _, tool := range []string{"bash", "sha256sum", "ssh-keygen", "openssl", "awk", "base64"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to check the README's commands (.ci/run installs it): %v", tool, err)
		}
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
	if pdftotext, err := exec.LookPath("pdftotext"); err == nil {
		b, err := exec.Command(pdftotext, filepath.Join(out, "summary.pdf"), "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, "summary.pdf (text)\x00"+string(b))
	} else {
		t.Fatal("pdftotext is needed to read the PDF summary (.ci/run installs poppler-utils)")
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
	if _, err := os.Stat(dbFile + "-wal"); err == nil {
		// The demo's last command closed the database; a WAL left behind
		// would hold rows the copy lacks.
		t.Fatal("database has a WAL file after the demo")
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
