package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retentiond/retentiond/web"
)

// withWeb returns a configuration's text with a web section listening on
// addr (replacing any web section it had).
func withWeb(text, addr string) string {
	if i := strings.Index(text, "\nweb:"); i >= 0 {
		rest := text[i+1:]
		end := len(rest)
		for j, line := range strings.SplitAfter(rest, "\n") {
			if j > 0 && line != "" && line[0] != ' ' && line[0] != '#' && line != "\n" {
				end = strings.Index(rest, line)
				break
			}
		}
		text = text[:i+1] + rest[end:]
	}
	return text + "web:\n  listen: \"" + addr + "\"\n  url: http://" + addr + "\n  links: true\n"
}

// TestRunServesConsole: with a web section, `retentiond run` serves the
// console beside the daemon: a one-time link from `web link` signs anna
// in, she sees the demo's batch waiting for her; stopping the service
// stops the console.
func TestRunServesConsole(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	addr := freePort(t)
	b, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, []byte(withWeb(string(b), addr)), 0o600); err != nil {
		t.Fatal(err)
	}
	svc := startService(t, cfg)
	if msg := svc.next(); !strings.HasPrefix(msg, "READY=1") {
		t.Fatalf("first notification %q", msg)
	}
	resp, err := http.Get("http://" + addr + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != web.ContentSecurityPolicy {
		t.Fatalf("/signin: %s %v", resp.Status, resp.Header)
	}
	link, _, _ := strings.Cut(mustRun(t, "web", "link", "anna", "--as", "it", "--config", cfg), "\n")
	if !strings.HasPrefix(link, "http://"+addr+"/auth/link/") {
		t.Fatalf("web link printed %q", link)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err = c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Path != "/waiting" || !strings.Contains(string(page), "Afventer mig") || !strings.Contains(string(page), `href="/batches/`) {
		t.Fatalf("after signing in: %s %s\n%s", resp.Request.URL, resp.Status, page)
	}
	svc.stop()
	if _, err := http.Get("http://" + addr + "/signin"); err == nil {
		t.Fatal("the console still answers after the service stopped")
	}
}
