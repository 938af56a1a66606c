//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRunReloadsOnSIGHUP reloads the service as `systemctl reload` does: a
// configuration with an unknown key is refused and the service goes on
// with the old one; a good one is taken.
func TestRunReloadsOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc := startService(t, cfg)
	next := svc.next
	if msg := next(); !strings.HasPrefix(msg, "READY=1") {
		t.Fatalf("first notification %q", msg)
	}
	hup := func(wantStatus string) string {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		if msg := next(); msg != "RELOADING=1" {
			t.Fatalf("after SIGHUP: %q", msg)
		}
		msg := next()
		if !strings.HasPrefix(msg, "READY=1\nSTATUS="+wantStatus) {
			t.Fatalf("after reloading: %q, want status %q", msg, wantStatus)
		}
		return msg
	}

	if err := os.WriteFile(cfg, append(append([]byte{}, good...), "ledgr:\n  origin: x\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg := hup("configuration not reloaded: "); !strings.Contains(msg, "ledgr") {
		t.Errorf("the refusal does not name the field: %q", msg)
	}
	if err := os.WriteFile(cfg, bytes.Replace(good, []byte("execute:\n"), []byte("execute:\n  # hourly from now on\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	hup("configuration reloaded")
	svc.stop()
}
