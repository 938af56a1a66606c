package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLostDatabaseRefused (issue 17, finding 5), as an operator meets it:
// after `: > retentiond.db` (or rm) plan refuses to start a new ledger,
// ledger verify fails and ledger anchor writes nothing; an explicit
// --start-new-ledger starts one that records it started over, and the
// anchored old checkpoint does not block it afterwards.
func TestLostDatabaseRefused(t *testing.T) {
	dir, cfg := demoRun(t)
	db := filepath.Join(dir, "retentiond.db")
	anchors := filepath.Join(dir, "dpo-anchors")
	before, _ := filepath.Glob(filepath.Join(anchors, "*.checkpoint"))
	for _, lose := range []func(){
		func() { os.WriteFile(db, nil, 0o600); os.Remove(db + "-wal"); os.Remove(db + "-shm") },
		func() { os.Remove(db); os.Remove(db + "-wal"); os.Remove(db + "-shm") },
	} {
		lose()
		err := runErr(t, "plan", "--config", cfg)
		wantIn(t, "plan on a lost database", err, "holds no ledger", "Restore it from backup", "--start-new-ledger")
		err = runErr(t, "ledger", "anchor", "--config", cfg)
		wantIn(t, "anchor on a lost database", err, "holds no ledger")
		err = runErr(t, "ledger", "verify", "--config", cfg)
		wantIn(t, "verify on a lost database", err, db) // FAILED: holds no ledger; or: does not exist
		if after, _ := filepath.Glob(filepath.Join(anchors, "*.checkpoint")); len(after) != len(before) {
			t.Fatalf("anchored %v beside %v", after, before)
		}
	}
	os.Remove(db)
	os.Remove(db + "-wal")
	os.Remove(db + "-shm")
	mustRun(t, "batches", "list", "--config", cfg, "--start-new-ledger", "--as", "it")
	out := mustRun(t, "ledger", "verify", "--config", cfg)
	wantIn(t, "verify of the new ledger", out, "OK", "ledger_started_over=1")
	mustRun(t, "plan", "--config", cfg)
	if out := mustRun(t, "ledger", "anchor", "--config", cfg); !strings.Contains(out, "sent checkpoint") {
		t.Fatalf("anchor the new ledger:\n%s", out)
	}
}
