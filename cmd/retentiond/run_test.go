package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/scheduler"
)

// service is `retentiond run --config cfg` running in this process as
// systemd runs it: with NOTIFY_SOCKET (and whatever else the test set in
// the environment before starting it) pointing at a socket the test reads.
type service struct {
	t      *testing.T
	conn   *net.UnixConn
	cancel context.CancelFunc
	done   chan error
}

func startService(t *testing.T, cfg string, setup ...func(*app)) *service {
	t.Helper()
	freshConsolePort(t, cfg)
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", sock)
	ctx, cancel := context.WithCancel(context.Background())
	s := &service{t: t, conn: conn, cancel: cancel, done: make(chan error, 1)}
	go func() {
		var out bytes.Buffer
		a := newApp(&out, &out)
		a.clock = scheduler.FixedClock{T: fixedNow}
		for _, f := range setup {
			f(a)
		}
		root := a.root()
		root.SetArgs([]string{"run", "--config", cfg})
		s.done <- root.ExecuteContext(ctx)
	}()
	t.Cleanup(func() { s.stop() })
	return s
}

// next returns the next notification the service sent.
func (s *service) next() string {
	s.t.Helper()
	s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := s.conn.Read(buf)
	if err != nil {
		s.t.Fatalf("no notification: %v", err)
	}
	return string(buf[:n])
}

// stop stops the service as systemd does and waits for it; stopping it
// again does nothing.
func (s *service) stop() {
	s.t.Helper()
	s.cancel()
	if s.done == nil {
		return
	}
	if err := <-s.done; err != nil && err != context.Canceled {
		s.t.Fatalf("run: %v", err)
	}
	s.done = nil
}

// TestRunTellsSystemd runs the service as systemd would with Type=notify
// and WatchdogSec=: it reports READY once scheduled, WATCHDOG while it
// runs, and STOPPING when told to stop.
func TestRunTellsSystemd(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	t.Setenv("WATCHDOG_USEC", "200000") // 0.2 s
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))

	svc := startService(t, filepath.Join(dir, "retentiond.yaml"))
	seen := map[string]bool{}
	for !seen["READY=1"] || !seen["WATCHDOG=1"] {
		msg := svc.next()
		seen[strings.SplitN(msg, "\n", 2)[0]] = true
	}
	svc.cancel()
	for msg := svc.next(); msg != "STOPPING=1"; msg = svc.next() {
		if msg != "WATCHDOG=1" {
			t.Fatalf("unexpected notification %q", msg)
		}
	}
	svc.stop()
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

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRunServesMetricsAndHealth runs the service with metrics.listen and
// scrapes it as Prometheus would.
func TestRunServesMetricsAndHealth(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	addr := freePort(t)
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(b, []byte("metrics:\n  listen: \""+addr+"\"\n")...), 0o644)
	svc := startService(t, cfg)
	if msg := svc.next(); !strings.HasPrefix(msg, "READY=1") {
		t.Fatalf("first notification %q", msg)
	}
	if code, body := get(t, "http://"+addr+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get(t, "http://"+addr+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz: %d %q", code, body)
	}
	code, metrics := get(t, "http://"+addr+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`retentiond_items{rule="C1",source="nvr",verdict="due"} 90`,
		`retentiond_items{rule="S3",source="skoledrev",verdict="due"} 4`,
		`retentiond_items{rule="P3",source="skoledrev",verdict="archive"} 2`,
		`retentiond_items_overdue{rule="C1",source="nvr"} 84`, // 90 due, 6 of them due today, not before
		`retentiond_batches_awaiting_approval{rule="O1",source="skoledrev"} 1`,
		`retentiond_deleted_total{rule="O1",source="skoledrev"} 0`,
		`retentiond_instructions_overdue 0`,
		`retentiond_store_up 1`,
		"retentiond_ledger_entries ",
		`retentiond_last_plan_timestamp_seconds{source="nvr"} `,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", metrics)
	}
	svc.stop()

	// The port is taken: the service refuses to start and says why.
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := run(t, "run", "--config", cfg); err == nil || !strings.Contains(err.Error(), "is another process using the port") {
		t.Fatalf("run on a taken port: %v", err)
	}
}
