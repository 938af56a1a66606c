//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// syncBuffer is a bytes.Buffer the service's goroutines may write to
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRefusedReloadLogsOneLine: a reload refused for a configuration with
// two problems logs one entry, without a stack trace, naming both problems
// on one line; systemd's STATUS is one line too.
func TestRefusedReloadLogsOneLine(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logged syncBuffer
	// The service's own logger (production configuration, JSON) also
	// writes here: what the journal would hold.
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&logged), zapcore.DebugLevel)
	svc := startService(t, cfg, func(a *app) { a.logCores = []zapcore.Core{core} })
	if msg := svc.next(); !strings.HasPrefix(msg, "READY=1") {
		t.Fatalf("first notification %q", msg)
	}
	if err := os.WriteFile(cfg, append(append([]byte{}, good...), "ledgr:\n  origin: x\nschedul: daily\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if msg := svc.next(); msg != "RELOADING=1" {
		t.Fatalf("after SIGHUP: %q", msg)
	}
	status := svc.next()
	if !strings.HasPrefix(status, "READY=1\nSTATUS=configuration not reloaded: ") || strings.Count(status, "\n") != 1 ||
		!strings.Contains(status, "ledgr") || !strings.Contains(status, "schedul") {
		t.Fatalf("after the refused reload: %q, want READY and a one-line STATUS naming both fields", status)
	}
	svc.stop()

	var refusals []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logged.String()), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if e["msg"] == "configuration not reloaded; the one in force stays" {
			refusals = append(refusals, e)
		}
	}
	if len(refusals) != 1 {
		t.Fatalf("%d refusals logged, want 1:\n%s", len(refusals), logged.String())
	}
	e := refusals[0]
	msg, _ := e["error"].(string)
	if e["level"] != "error" || e["stacktrace"] != nil || e["errorVerbose"] != nil {
		t.Errorf("the refusal is logged with level %v, stacktrace %v, errorVerbose %v; want error, none, none", e["level"], e["stacktrace"] != nil, e["errorVerbose"] != nil)
	}
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "ledgr") || !strings.Contains(msg, "; ") || !strings.Contains(msg, "schedul") {
		t.Errorf("the refusal's error is not both problems on one line: %q", msg)
	}
}
