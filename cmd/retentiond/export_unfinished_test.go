package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportRemovesUnfinished: what a killed `ledger export` left beside
// its destination (.NAME.tmp-N) is removed by the next export to it, which
// says so.
func TestExportRemovesUnfinished(t *testing.T) {
	_, cfg := demoRun(t)
	parent := t.TempDir()
	left := filepath.Join(parent, ".bundle.tmp-2817")
	os.MkdirAll(filepath.Join(left, "checkpoints"), 0o700)
	os.WriteFile(filepath.Join(left, "entries.jsonl"), []byte("{}\n"), 0o600)
	out := filepath.Join(parent, "bundle")
	exp := mustRun(t, "ledger", "export", "--config", cfg, "--out", out)
	if !strings.Contains(exp, "removed "+left+": an earlier export to "+out+" that did not finish") {
		t.Errorf("export:\n%s", exp)
	}
	if _, err := os.Stat(left); err == nil {
		t.Errorf("%s is still there", left)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 1 || ents[0].Name() != "bundle" {
		t.Errorf("beside the bundle: %v", ents)
	}
}
