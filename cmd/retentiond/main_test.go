package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/scheduler"
)

var update = flag.Bool("update", false, "rewrite golden files")

var fixedNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// run runs the command line in-process with a fixed clock and returns its
// output and error.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return runAt(t, fixedNow, args...)
}

// runAt is run with the clock at now.
func runAt(t *testing.T, now time.Time, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	a := newApp(&out, &out)
	a.clock = scheduler.FixedClock{T: now}
	root := a.root()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("retentiond %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(path, []byte(got), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("output differs from %s (run go test -update if the change is intended):\n%s", path, got)
	}
}

func TestDemoPlanGolden(t *testing.T) {
	dir := t.TempDir()
	out := mustRun(t, "demo", "--dir", dir)
	golden(t, "demo-plan.golden", strings.ReplaceAll(out, dir, "DIR"))
	for _, f := range []string{"retentiond.yaml", "policies/fileshare.yaml", "policies/exports.yaml", "exports/personale/medarbejdere.csv", "nvr/Kamera-1 Indgang", "nvr-backup/Kamera-1 Indgang", "keys/ledger.key", "keys/ledger.key.pub", "keys/references.key", "retentiond.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("demo did not create %s", f)
		}
	}
	// Nothing is deleted by a dry run.
	n := countFiles(t, filepath.Join(dir, "share"))
	if n != 43 {
		t.Fatalf("share has %d files after a dry run, want 43", n)
	}
	cfg := filepath.Join(dir, "retentiond.yaml")
	look := mustRun(t, "plan", "--config", cfg, "--now", "2027-08-01")
	if !strings.Contains(look, "a look ahead") || !strings.Contains(look, "Nothing has been deleted.") {
		t.Fatalf("look-ahead plan:\n%s", look)
	}
	js := mustRun(t, "plan", "--config", cfg, "--format", "json")
	if !strings.HasPrefix(js, "[") || !strings.Contains(js, `"rule": "C1"`) {
		t.Fatalf("json plan:\n%s", js)
	}
}

func countFiles(t *testing.T, root string) int {
	n := 0
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

func TestDemoYesAndVerbs(t *testing.T) {
	dir := t.TempDir()
	out := mustRun(t, "demo", "--dir", dir, "--yes")
	for _, want := range []string{"approved by anna", "90 deleted", "ledger demo.retentiond.invalid/ledger: OK"} {
		if !strings.Contains(out, want) {
			t.Fatalf("demo --yes output lacks %q:\n%s", want, out)
		}
	}
	if n := countFiles(t, filepath.Join(dir, "share")); n != 43-17 {
		t.Fatalf("%d files left, want %d", n, 43-17)
	}
	// C1 took 30 days of recordings of both cameras and of the backup.
	if n := countFiles(t, filepath.Join(dir, "nvr")) + countFiles(t, filepath.Join(dir, "nvr-backup")); n != 178+89-90 {
		t.Fatalf("%d recordings left, want %d", n, 178+89-90)
	}
	if _, err := os.Stat(filepath.Join(dir, "share", "Personale", "Arkiv", "Personale", "Fratrådte", "4712", "MUS-referat.docx")); err != nil || !strings.Contains(out, "2 archived") {
		t.Fatalf("the personnel file under archive duty was not archived (%v):\n%s", err, out)
	}
	if n := countFiles(t, filepath.Join(dir, "exports", "elever")); n != 3 {
		t.Fatalf("%d student exports left, want the newest 3", n)
	}
	cfg := filepath.Join(dir, "retentiond.yaml")
	list := mustRun(t, "batches", "list", "--all", "--config", cfg)
	if !strings.Contains(list, "done") {
		t.Fatalf("batches list:\n%s", list)
	}
	mustRun(t, "batches", "show", "1", "--config", cfg)
	mustRun(t, "check", "--config", cfg)
	mustRun(t, "holds", "add", "--config", cfg, "--as", "it", "--reason", "work-injury case 14", "--owner", "dpo", "--path", "Personale/Fratrådte/**")
	if h := mustRun(t, "holds", "list", "--config", cfg); !strings.Contains(h, "H-1") {
		t.Fatalf("holds list:\n%s", h)
	}
	mustRun(t, "holds", "release", "H-1", "--config", cfg, "--as", "it")
	if v := mustRun(t, "ledger", "verify", "--config", cfg); !strings.Contains(v, "hold_added=1") || !strings.Contains(v, "hold_released=1") {
		t.Fatalf("verify:\n%s", v)
	}
	// Approving needs a configured approver.
	if _, err := run(t, "batches", "approve", "1", "--config", cfg, "--as", "mallory"); err == nil {
		t.Fatal("unknown person approved")
	}
	if _, err := run(t, "execute", "--config", cfg); err == nil {
		t.Fatal("execute without --as succeeded")
	}
}

func TestTamperedLedgerFailsVerification(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir, "--yes")
	db, err := sql.Open("sqlite", filepath.Join(dir, "retentiond.db"))
	if err != nil {
		t.Fatal(err)
	}
	// Someone with write access to the database drops the guard and
	// rewrites one outcome.
	for _, q := range []string{"DROP TRIGGER ledger_entry_no_update",
		`UPDATE ledger_entry SET data = replace(data, '"outcome":"deleted"', '"outcome":"absent"') WHERE idx = (SELECT min(idx) FROM ledger_entry WHERE instr(data, '"type":"deletion"') > 0)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	out, err := run(t, "ledger", "verify", "--config", filepath.Join(dir, "retentiond.yaml"))
	if err == nil || !strings.Contains(err.Error(), "entry was altered") {
		t.Fatalf("tampered ledger verified: %v\n%s", err, out)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	orig, _ := os.ReadFile(cfg)
	write := func(s string) { os.WriteFile(cfg, []byte(s), 0o644) }

	write(strings.Replace(string(orig), "ledger:", "ledgr:", 1))
	if _, err := run(t, "check", "--config", cfg); err == nil || !strings.Contains(err.Error(), "retentiond.yaml:8: ledgr: unknown field") {
		t.Fatalf("unknown key: %v", err)
	}
	write(strings.Replace(string(orig), "root: share", "root: no-such-share", 1))
	if _, err := run(t, "check", "--config", cfg); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing root: %v", err)
	}
	if _, err := run(t, "plan", "--config", cfg); err == nil {
		t.Fatal("planned a missing root")
	}
	write(strings.Replace(string(orig), "database: retentiond.db", "database: policies/fileshare.yaml", 1))
	if _, err := run(t, "plan", "--config", cfg); err == nil || !strings.Contains(err.Error(), "not a retentiond database") {
		t.Fatalf("foreign database: %v", err)
	}
	write(string(orig))
	os.Rename(filepath.Join(dir, "keys", "ledger.key"), filepath.Join(dir, "ledger.key.moved"))
	if _, err := run(t, "plan", "--config", cfg); err == nil || !strings.Contains(err.Error(), "restore it from backup") {
		t.Fatalf("missing signing key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keys", "ledger.key")); err == nil {
		t.Fatal("a missing signing key was silently replaced")
	}
	if n := countFiles(t, filepath.Join(dir, "share")); n != 43 {
		t.Fatalf("bad input deleted files: %d left", n)
	}
}
