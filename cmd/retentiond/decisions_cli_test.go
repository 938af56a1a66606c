package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDecisionsOnTheDemo walks retention decisions through the command
// line on the demo's dry run: an exclusion and a re-plan that keeps every
// batch id, a rejection that keeps its items for a month, decisions list
// and revoke, and the ledger verifying throughout.
func TestDecisionsOnTheDemo(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	before := mustRun(t, "batches", "list", "--config", cfg)

	out := mustRun(t, "batches", "exclude", "4", "Administration/Udmeldte elever/1003/Elevplan.docx", "--reason", "case still open", "--keep-until", "2027-01-31", "--config", cfg, "--as", "anna")
	for _, want := range []string{"decision D1: 1 items taken out of batch 4 and kept through 2027-01-31", "batch 4: 3 items left, still pending"} {
		if !strings.Contains(out, want) {
			t.Fatalf("exclude output lacks %q:\n%s", want, out)
		}
	}
	if _, err := run(t, "batches", "exclude", "4", "Administration/nothing.docx", "--reason", "x", "--config", cfg, "--as", "anna"); err == nil || !strings.Contains(err.Error(), `holds no item "Administration/nothing.docx"`) {
		t.Fatalf("excluding an item not in the batch: %v", err)
	}
	plan := mustRun(t, "plan", "--config", cfg)
	if !strings.Contains(plan, "1 items kept by people's decisions") {
		t.Fatalf("re-plan:\n%s", plan)
	}
	after := mustRun(t, "batches", "list", "--config", cfg)
	for _, id := range []string{"\n1 ", "\n2 ", "\n3 ", "\n4 ", "\n5 ", "\n7 "} {
		if !strings.Contains(before, id) || !strings.Contains(after, id) {
			t.Fatalf("a batch id changed across the re-plan:\nbefore\n%s\nafter\n%s", before, after)
		}
	}
	if strings.Contains(after, "\n8 ") {
		t.Fatalf("the re-plan cut a new batch of items already in open batches:\n%s", after)
	}

	out = mustRun(t, "batches", "reject", "5", "--reason", "review the drafts first", "--review-after", "P1M", "--config", cfg, "--as", "anna")
	if !strings.Contains(out, "decision D2: its 5 items are kept through 2026-12-22") || !strings.Contains(out, "decisions revoke D2 --as anna") {
		t.Fatalf("reject output:\n%s", out)
	}
	if _, err := run(t, "batches", "reject", "1", "--reason", "x", "--review-after", "P1M", "--keep-until", "2027-01-01", "--config", cfg, "--as", "anna"); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("a rejection with a date and a period: %v", err)
	}
	list := mustRun(t, "decisions", "list", "--config", cfg)
	for _, want := range []string{"D1  excluded  4", "D2  rejected  5", "review the drafts first"} {
		if !strings.Contains(list, want) {
			t.Fatalf("decisions list lacks %q:\n%s", want, list)
		}
	}
	if out := mustRun(t, "decisions", "revoke", "D2", "--config", cfg, "--as", "anna"); !strings.Contains(out, "decision D2 revoked") {
		t.Fatalf("revoke:\n%s", out)
	}
	if list := mustRun(t, "decisions", "list", "--config", cfg); strings.Contains(list, "D2") {
		t.Fatalf("a revoked decision is listed as in force:\n%s", list)
	}
	if all := mustRun(t, "decisions", "list", "--all", "--config", cfg); !strings.Contains(all, "revoked by anna") {
		t.Fatalf("decisions list --all:\n%s", all)
	}
	if v := mustRun(t, "ledger", "verify", "--config", cfg); !strings.Contains(v, "retention_decision=2") || !strings.Contains(v, "decision_revoked=1") {
		t.Fatalf("verify:\n%s", v)
	}
}
