package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstructionsNowHoldsAndWithdrawals runs #17's findings 12 and 15
// through the command line: --now previews another day without issuing
// anything; a subject hold withholds a person's lines within the
// look-ahead; a hold placed after an instruction was issued withdraws its
// line, which "instructions" announces, "list" and "show" mark, and which
// is never overdue.
func TestInstructionsNowHoldsAndWithdrawals(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")

	out := mustRun(t, "instructions", "--config", cfg, "--as", "it", "--now", "2027-01-05")
	for _, want := range []string{"preview for 2027-01-05: nothing is issued or recorded", "instruction for UNI-login: 3 lines", "delete by 2026-12-31  S13", "person 1004"} {
		if !strings.Contains(out, want) {
			t.Fatalf("--now lacks %q:\n%s", want, out)
		}
	}
	if out := mustRun(t, "instructions", "list", "--config", cfg); !strings.Contains(out, "no instructions issued") {
		t.Fatalf("a preview issued instructions:\n%s", out)
	}
	if _, err := run(t, "instructions", "--config", cfg, "--as", "it", "--now", "1 August"); err == nil || !strings.Contains(err.Error(), "--now") {
		t.Fatalf("a bad --now: %v", err)
	}

	// 1004's line is due 2026-12-31 (S13: by the end of the year), inside a
	// 60-day look-ahead: held, it
	// is not issued.
	mustRun(t, "holds", "add", "--config", cfg, "--as", "it", "--reason", "access request", "--owner", "dpo", "--subject", "student:1004")
	out = mustRun(t, "instructions", "--config", cfg, "--as", "it", "--horizon", "60")
	if !strings.Contains(out, "instruction I-4 for UNI-login: 2 lines") || !strings.Contains(out, "1 line withheld: a hold covers the person or record (H-1)") {
		t.Fatalf("instructions with 1004 held:\n%s", out)
	}
	if csv := readFile(t, filepath.Join(dir, "instructions", "I-4-uni-login.csv")); strings.Contains(csv, "1004") {
		t.Fatalf("a held person's line was issued:\n%s", csv)
	}

	// 1003 is held after I-3 and I-4 were issued: their lines are withdrawn.
	if out := mustRun(t, "holds", "add", "--config", cfg, "--as", "it", "--reason", "police case", "--owner", "dpo", "--subject", "student:1003"); !strings.Contains(out, "withdrawn by the next `retentiond instructions") {
		t.Fatalf("holds add:\n%s", out)
	}
	out = mustRun(t, "instructions", "--config", cfg, "--as", "it", "--horizon", "60")
	for _, want := range []string{"instruction I-5 for SkoleIntra: no new lines (nothing to confirm)", "withdrawn: S2", "person 1003 (line of I-3, due 2026-06-20): hold H-2", "instruction I-6 for UNI-login: no new lines"} {
		if !strings.Contains(out, want) {
			t.Fatalf("withdrawal lacks %q:\n%s", want, out)
		}
	}
	if csv := readFile(t, filepath.Join(dir, "instructions", "I-5-skoleintra.csv")); !strings.Contains(csv, `1003,"withdrawn: do NOT delete (line of I-3, was due 2026-06-20; kept by hold H-2)"`) {
		t.Fatalf("I-5 CSV:\n%s", csv)
	}
	list := mustRun(t, "instructions", "list", "--config", cfg)
	for _, want := range []string{"1 (1 withdrawn)", "withdrawn: a hold covers every line", "withdraws 1 line of earlier instructions (nothing to confirm)"} {
		if !strings.Contains(list, want) {
			t.Fatalf("list lacks %q:\n%s", want, list)
		}
	}
	if show := mustRun(t, "instructions", "show", "I-3", "--config", cfg); !strings.Contains(show, "WITHDRAWN since issue: S2 person 1003, due 2026-06-20: hold H-2, announced in I-5") {
		t.Fatalf("show:\n%s", show)
	}
	if out := mustRun(t, "explain", "student:1003", "--config", cfg); !strings.Contains(out, "Instruction I-3 to SkoleIntra: S2, delete by 2026-06-20 (withdrawn 2026-11-22 by hold H-2, in I-5: not to be carried out)") {
		t.Fatalf("explain lacks the withdrawal:\n%s", out)
	}
	// A month later I-3 (every line withdrawn) is not overdue; I-4 (1005
	// still standing) is.
	late, err := runAt(t, fixedNow.AddDate(0, 1, 10), "instructions", "list", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(late, "\n") {
		if strings.HasPrefix(l, "I-3 ") && strings.Contains(l, "OVERDUE") || strings.HasPrefix(l, "I-4 ") && !strings.Contains(l, "OVERDUE") {
			t.Errorf("overdue wrong in %q:\n%s", l, late)
		}
	}
	if _, err := run(t, "instructions", "confirm", "I-5", "--config", cfg, "--as", "it", "--by", "Ole"); err == nil || !strings.Contains(err.Error(), "nothing to confirm") {
		t.Fatalf("confirmed a withdrawal-only instruction: %v", err)
	}
	if out := mustRun(t, "ledger", "verify", "--config", cfg); !strings.Contains(out, "OK") {
		t.Fatalf("ledger verify:\n%s", out)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
