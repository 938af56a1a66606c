package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// linesBuffer is a service's stdout, read by the test while it runs.
type linesBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *linesBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *linesBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var printedLink = regexp.MustCompile(`(?m)^console: (http://127\.0\.0\.1:(\d+)/auth/link/\S+) — sign in as (\S+) \(([^)]*)\)$`)

// TestDemoConsolePrintsLinks: a new demo's configuration has a console
// on 127.0.0.1 with print_links, so `run` in it prints a one-time sign-in
// link for anna, bo and it. anna's link signs her in (to Afventer mig,
// naming her); used again, it is refused. The log names no one and
// holds no link.
func TestDemoConsolePrintsLinks(t *testing.T) {
	dir := t.TempDir()
	out := mustRun(t, "demo", "--dir", dir)
	if !strings.Contains(out, "go run ../cmd/retentiond run") {
		t.Errorf("the demo's next steps do not say how to open the console:\n%s", out)
	}
	cfg := filepath.Join(dir, "retentiond.yaml")
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\nweb:\n  listen: 127\.0\.0\.1:(\d+)\n  url: http://127\.0\.0\.1:(\d+)\n  links: true\n  print_links: true\n`).FindSubmatch(text)
	if m == nil || string(m[1]) != string(m[2]) {
		t.Fatalf("the demo's configuration has no loopback console with print_links:\n%s", text)
	}

	stdout := &linesBuffer{}
	core, logs := observer.New(zapcore.DebugLevel)
	svc := startService(t, cfg, func(a *app) { a.out, a.logCores = stdout, []zapcore.Core{core} })
	if err := waitForLinks(svc, stdout); err != nil {
		t.Fatalf("run: %v\n%s", err, stdout)
	}
	// startService moves the console if another test took its port since
	// the demo was created.
	if text, err = os.ReadFile(cfg); err != nil {
		t.Fatal(err)
	}
	port := string(loopbackListen.FindSubmatch(text)[1])

	links := map[string]string{}
	var who []string
	for _, l := range printedLink.FindAllStringSubmatch(stdout.String(), -1) {
		if l[2] != port {
			t.Errorf("link %s is not on the console's port %s", l[1], port)
		}
		links[l[3]] = l[1]
		who = append(who, l[3]+" ("+l[4]+")")
	}
	if got, want := strings.Join(who, ", "), "anna (approver, leaders), bo (approver, dpo, leaders), it (operator)"; got != want {
		t.Fatalf("links printed for %s, want %s:\n%s", got, want, stdout)
	}
	if msg := svc.next(); !strings.HasPrefix(msg, "READY=1") {
		t.Fatalf("first notification %q", msg)
	}

	jar, _ := cookiejar.New(nil)
	anna := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := anna.Get(links["anna"])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/waiting" ||
		!strings.Contains(string(page), "Anna (school leader)") || !strings.Contains(string(page), "Afventer mig") {
		t.Fatalf("anna's link led to %s %s:\n%s", resp.Request.URL, resp.Status, page)
	}
	resp, err = anna.Get("http://127.0.0.1:" + port + "/waiting")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/waiting" {
		t.Fatalf("anna is not signed in: /waiting gave %s %s", resp.Request.URL, resp.Status)
	}

	// Used again (by anyone), the link is refused.
	jar2, _ := cookiejar.New(nil)
	other := &http.Client{Jar: jar2, Timeout: 10 * time.Second}
	resp, err = other.Get(links["anna"])
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || strings.Contains(string(page), "Anna (school leader)") {
		t.Fatalf("anna's link used twice: %s %s\n%s", resp.Request.URL, resp.Status, page)
	}
	svc.stop()

	for _, e := range logs.All() {
		line := fmt.Sprintf("%s %v", e.Message, e.ContextMap())
		for _, personal := range []string{"/auth/link/", "anna", "Anna", "bo@", "leaders"} {
			if strings.Contains(line, personal) {
				t.Errorf("the log holds %q: %s", personal, line)
			}
		}
	}
}

// waitForLinks waits until the service printed its sign-in links, or
// stopped (its error).
func waitForLinks(svc *service, stdout *linesBuffer) error {
	deadline := time.After(30 * time.Second)
	for !strings.Contains(stdout.String(), "console: each link signs in once") {
		select {
		case err := <-svc.done:
			svc.done = nil
			if err == nil {
				err = fmt.Errorf("run stopped")
			}
			return err
		case <-deadline:
			return fmt.Errorf("no sign-in links printed within 30 s")
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

var loopbackListen = regexp.MustCompile(`(?m)^web:\n(?:  .*\n|#.*\n)*?  listen: "?127\.0\.0\.1:(\d+)"?\n`)

// freshConsolePort moves the console of the configuration in file to
// another port if its 127.0.0.1 port (free when a demo was created) has
// been taken since, say by a test running beside this one.
func freshConsolePort(t *testing.T, file string) {
	t.Helper()
	text, err := os.ReadFile(file)
	if err != nil {
		return // the service reports it
	}
	m := loopbackListen.FindSubmatch(text)
	if m == nil {
		return
	}
	addr := "127.0.0.1:" + string(m[1])
	if ln, err := net.Listen("tcp", addr); err == nil {
		ln.Close()
		return
	}
	text = bytes.ReplaceAll(text, []byte(addr), []byte(freePort(t)))
	if err := os.WriteFile(file, text, 0o600); err != nil {
		t.Fatal(err)
	}
}
