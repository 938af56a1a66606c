package main

import (
	"bytes"
	"context"
	"net"
	"os"
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
