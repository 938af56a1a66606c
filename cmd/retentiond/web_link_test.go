package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/web/auth"
)

// TestWebLink: an operator prints a one-time link for a person; opening
// it signs that person in (method link), once. Anyone else, an unknown
// person and a configuration without web.links are refused.
func TestWebLink(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfgFile := filepath.Join(dir, "retentiond.yaml")
	b, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	base := string(b)
	if !strings.Contains(base, "\ncli:\n  trust_as: true\n") {
		base += "cli:\n  trust_as: true\n"
	}
	if strings.Contains(base, "\nweb:") {
		base = regexp.MustCompile(`(?m)^  links: \w+\n`).ReplaceAllString(base, "")
		// print_links (the demo's) needs links, which this test turns off.
		base = strings.Replace(base, "  print_links: true\n", "", 1)
		base = strings.Replace(base, "\nweb:\n", "\nweb:\n  links: true\n", 1)
	} else {
		base += "web:\n  listen: 127.0.0.1:8080\n  url: http://127.0.0.1:8080\n  links: true\n"
	}
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(cfgFile, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(base)
	cfg, err := configs.Load(cfgFile, newApp(nil, nil).registry)
	if err != nil {
		t.Fatal(err)
	}

	out := mustRun(t, "web", "link", "bo", "--as", "it", "--config", cfgFile)
	link := regexp.MustCompile(`(?m)^(\S+)(/auth/link/[A-Za-z0-9_-]{43})$`).FindStringSubmatch(out)
	if link == nil || link[1] != cfg.Web.URL || !strings.Contains(out, "once, within 10 minutes") {
		t.Fatalf("web link printed:\n%s", out)
	}

	// The console of the same configuration and database signs bo in
	// with it, once.
	st, err := store.Open(context.Background(), filepath.Join(dir, "retentiond.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	refs, err := ledger.LoadRefKey(cfg.Keys.References)
	if err != nil {
		t.Fatal(err)
	}
	m, err := auth.New(context.Background(), auth.Options{Config: cfg, Store: st, Refs: refs,
		Clock: func() time.Time { return fixedNow.Add(9 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	m.Routes(mux)
	open := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", link[2], nil))
		return rec
	}
	rec := open()
	if rec.Code != http.StatusSeeOther || len(rec.Result().Cookies()) != 1 {
		t.Fatalf("opening the link: %d %v", rec.Code, rec.Result().Cookies())
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(rec.Result().Cookies()[0])
	if s, err := m.Session(req); err != nil || s.Person != "bo" || s.Method != auth.MethodLink {
		t.Fatalf("session %+v, %v", s, err)
	}
	if rec := open(); rec.Code != http.StatusForbidden {
		t.Fatalf("the link opened twice: %d", rec.Code)
	}

	// Refused: an approver, nobody, an unknown person, links off.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"web", "link", "bo", "--as", "anna"}, "a person with the operator role"},
		{[]string{"web", "link", "bo"}, "a person with the operator role"},
		{[]string{"web", "link", "nobody", "--as", "it"}, `"nobody" is not a person in`},
	} {
		out, err := run(t, append(tc.args, "--config", cfgFile)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(out, "/auth/link/") {
			t.Errorf("%v: %v\n%s\nwant %s", tc.args, err, out, tc.want)
		}
		if strings.Contains(tc.want, "operator") && !errors.Is(err, scheduler.ErrNotAllowed) {
			t.Errorf("%v: %v is not ErrNotAllowed", tc.args, err)
		}
	}
	write(strings.Replace(base, "  links: true\n", "  links: false\n  oidc:\n"+
		"    issuer: https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0\n"+
		"    client_id: 11111111-1111-1111-1111-111111111111\n    client_secret_file: secret\n", 1))
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "web", "link", "bo", "--as", "it", "--config", cfgFile); err == nil || !strings.Contains(err.Error(), "sign-in links are off") {
		t.Errorf("links off: %v\n%s", err, out)
	}
}
