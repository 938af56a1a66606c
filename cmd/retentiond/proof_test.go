package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProveAndVerifyProof(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	// A recording the demo's C1 rule deletes: older than 30 days.
	days, _ := filepath.Glob(filepath.Join(dir, "nvr", "Kamera-1 Indgang", "2026-10-1*"))
	if len(days) == 0 {
		t.Fatal("no old recordings in the demo")
	}
	files, _ := filepath.Glob(filepath.Join(days[0], "*.mp4"))
	rel, _ := filepath.Rel(filepath.Join(dir, "nvr"), files[0])
	item := filepath.ToSlash(rel)
	mustRun(t, "demo", "--dir", dir, "--yes")
	if _, err := os.Stat(files[0]); err == nil {
		t.Fatalf("%s was not deleted by the demo", item)
	}
	cfg := filepath.Join(dir, "retentiond.yaml")
	proof := filepath.Join(t.TempDir(), "item.tlog-proof")
	out := mustRun(t, "ledger", "prove", "--config", cfg, "--source", "nvr", "--item", item, "--out", proof)
	if !strings.Contains(out, "deletion: deleted, rule C1") || !strings.Contains(out, "written to") {
		t.Fatalf("prove:\n%s", out)
	}
	pub := filepath.Join(dir, "keys", "ledger.key.pub")
	if v := mustRun(t, "ledger", "verify-proof", "--key", pub, proof); !strings.Contains(v, "proof OK") {
		t.Fatalf("verify-proof:\n%s", v)
	}
	if v := mustRun(t, "ledger", "verify-proof", "--config", cfg, "--source", "nvr", "--item", item, proof); !strings.Contains(v, "the entry is about") {
		t.Fatalf("verify-proof --item:\n%s", v)
	}
	if _, err := run(t, "ledger", "verify-proof", "--config", cfg, "--source", "nvr", "--item", item+".other", proof); err == nil {
		t.Fatal("a proof was accepted for another item")
	}

	// Tampering with the entry, a proof hash or the checkpoint fails.
	orig, _ := os.ReadFile(proof)
	lines := strings.Split(string(orig), "\n")
	for name, mod := range map[string]func([]string){
		"entry":      func(l []string) { l[1] = "extra " + strings.Replace(strings.TrimPrefix(l[1], "extra "), "A", "B", 1) },
		"index":      func(l []string) { l[2] = "index 24" },
		"hash":       func(l []string) { l[3] = strings.Replace(l[3], l[3][:2], "AA", 1) },
		"checkpoint": func(l []string) { i := indexOf(l, ""); l[i+2] = l[i+2] + "0" },
	} {
		l := append([]string(nil), lines...)
		mod(l)
		bad := filepath.Join(t.TempDir(), name)
		os.WriteFile(bad, []byte(strings.Join(l, "\n")), 0o644)
		if _, err := run(t, "ledger", "verify-proof", "--key", pub, bad); err == nil {
			t.Errorf("a proof with a changed %s verified", name)
		}
	}
	// Another ledger's key, and another ledger's origin.
	other := t.TempDir()
	mustRun(t, "demo", "--dir", other, "--yes")
	if _, err := run(t, "ledger", "verify-proof", "--key", filepath.Join(other, "keys", "ledger.key.pub"), proof); err == nil {
		t.Fatal("a proof verified with another ledger's key")
	}
	if _, err := run(t, "ledger", "verify-proof", "--key", pub, "--origin", "other.invalid/ledger", proof); err == nil {
		t.Fatal("a proof verified for another origin")
	}
	// An item retentiond never touched.
	if _, err := run(t, "ledger", "prove", "--config", cfg, "--source", "skoledrev", "--item", "no/such/file.txt"); err == nil ||
		!strings.Contains(err.Error(), "no ledger entry") {
		t.Fatalf("unknown item: %v", err)
	}
	// After rotating the reference key, the old item is still found.
	mustRun(t, "ledger", "rotate-key", "--references", "--config", cfg, "--as", "it")
	if out := mustRun(t, "ledger", "prove", "--config", cfg, "--source", "nvr", "--item", item, "--out", proof); !strings.Contains(out, "deleted") {
		t.Fatalf("prove after reference key rotation:\n%s", out)
	}
	if b, _ := os.ReadFile(proof); bytes.Equal(b, orig) {
		t.Fatal("the proof did not change although the ledger grew")
	}
}

func indexOf(l []string, s string) int {
	for i, x := range l {
		if x == s {
			return i
		}
	}
	return -1
}
