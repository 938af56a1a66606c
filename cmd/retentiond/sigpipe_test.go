package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputClosedEarly: a command whose reader stops reading (`| head -1`, `| true`)
// still does everything it records: `instructions` recorded every
// instruction in the ledger and, before, wrote the files of the first
// only, being killed by SIGPIPE while printing. Every instruction the
// ledger holds has its four files.
func TestOutputClosedEarly(t *testing.T) {
	bin, err := docsBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	cmd := exec.Command("sh", "-c", `"$0" instructions --as it --config "$1" | true`, bin, cfg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("instructions | true: %v\n%s", err, out)
	}
	list, err := exec.Command(bin, "instructions", "list", "--config", cfg).CombinedOutput()
	if err != nil {
		t.Fatalf("instructions list: %v\n%s", err, list)
	}
	ids := 0
	for _, line := range strings.Split(string(list), "\n") {
		id, _, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(id, "I-") {
			continue
		}
		ids++
		for _, ext := range []string{".md", ".pdf", ".csv", ".note"} {
			m, _ := filepath.Glob(filepath.Join(dir, "*", id+"-*"+ext))
			if len(m) != 1 {
				t.Errorf("instruction %s: %d %s files", id, len(m), ext)
			}
		}
	}
	if ids < 2 {
		t.Fatalf("%d instructions issued, want several:\n%s", ids, list)
	}
}
