// Package systemd holds the systemd unit; its test checks the unit with
// systemd-analyze, as a packager would.
package systemd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/retentiond/retentiond/store/testtool"
)

// maxExposure is the highest `systemd-analyze security` exposure the unit
// may have (0 is fully locked down, 10 is not at all).
const maxExposure = 2.0

func analyze(t *testing.T) string {
	t.Helper()
	return testtool.Require(t, "systemd-analyze", "systemd")
}

var (
	buildOnce sync.Once
	bin       string
	buildErr  error
)

// unit copies the unit with ExecStart pointing at a freshly built binary,
// which systemd-analyze verify requires to exist.
func unit(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "retentiond-unit-")
		if err != nil {
			buildErr = err
			return
		}
		bin = filepath.Join(dir, "retentiond")
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/retentiond/retentiond/cmd/retentiond").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build retentiond: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	dir := t.TempDir()
	b, err := os.ReadFile("retentiond.service")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "/usr/bin/retentiond", bin)
	p := filepath.Join(dir, "retentiond.service")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUnitVerifies(t *testing.T) {
	sa := analyze(t)
	out, err := exec.Command(sa, "verify", unit(t)).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestUnitExposure(t *testing.T) {
	sa := analyze(t)
	out, err := exec.Command(sa, "security", "--offline=true", "--no-pager", unit(t)).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for retentiond\.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("systemd-analyze security: exposure %.1f", score)
	if score > maxExposure {
		t.Errorf("exposure %.1f, want at most %.1f:\n%s", score, maxExposure, out)
	}
	for _, want := range []string{"Type=notify", "WatchdogSec=", "User=retentiond", "StateDirectory=retentiond", "ConfigurationDirectory=retentiond",
		"ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes", "PrivateTmp=yes", "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service"} {
		b, _ := os.ReadFile("retentiond.service")
		if !strings.Contains(string(b), want) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bin != "" {
		os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}
