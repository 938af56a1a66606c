package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/scheduler"
)

// TestRunTellsSystemd runs the service as systemd would with Type=notify
// and WatchdogSec=: it reports READY once scheduled, WATCHDOG while it
// runs, and STOPPING when told to stop.
func TestRunTellsSystemd(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "200000") // 0.2 s
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		var out bytes.Buffer
		a := newApp(&out, &out)
		a.clock = scheduler.FixedClock{T: fixedNow}
		root := a.root()
		root.SetArgs([]string{"run", "--config", filepath.Join(dir, "retentiond.yaml")})
		done <- root.ExecuteContext(ctx)
	}()
	next := func() string {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 4096)
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		return string(buf[:n])
	}
	seen := map[string]bool{}
	for !seen["READY=1"] || !seen["WATCHDOG=1"] {
		msg := next()
		seen[strings.SplitN(msg, "\n", 2)[0]] = true
	}
	cancel()
	for msg := next(); msg != "STOPPING=1"; msg = next() {
		if msg != "WATCHDOG=1" {
			t.Fatalf("unexpected notification %q", msg)
		}
	}
	if err := <-done; err != nil && err != context.Canceled {
		t.Fatalf("run: %v", err)
	}
}

// TestVersionOfAPackagedBuild builds the binary as a package would, with
// version, commit and date given to the linker, and asks it.
func TestVersionOfAPackagedBuild(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "retentiond")
	ld := "-X main.buildVersion=v1.2.3 -X main.buildCommit=0123abcd -X main.buildDate=2026-11-23T05:00:00Z"
	if out, err := exec.Command("go", "build", "-ldflags", ld, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	want := "retentiond v1.2.3\ncommit 0123abcd\nbuilt 2026-11-23T05:00:00Z\n"
	if !strings.HasPrefix(string(out), want) {
		t.Errorf("version:\n%s\nwant it to start with\n%s", out, want)
	}
	if out := mustRun(t, "version"); !strings.HasPrefix(out, "retentiond ") || !strings.Contains(out, "\ncommit ") || !strings.Contains(out, "\nbuilt ") {
		t.Errorf("version in a test binary:\n%s", out)
	}
}
