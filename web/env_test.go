package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/web/auth"
	"github.com/retentiond/retentiond/web/auth/oidctest"
)

const testPolicy = `version: 1
id: skole
title: Skolens sletteregler (GDPR art. 5, stk. 1, litra e)
rules:
  - id: TWO
    title: Elevsager efter udmeldelse
    type: delete_after
    path: "two/**"
    from: item.modified
    keep: P1D
    approval:
      - {group: leaders, count: 1}
      - {group: dpo, count: 1}
  - id: ONE
    title: Fotos fra arrangementer
    type: delete_after
    path: "one/**"
    from: item.modified
    keep: P1D
    approval:
      - {group: leaders, count: 1}
`

const testConfig = `version: 1
ledger: {origin: test.invalid/ledger}
policies: [policy.yaml]
people:
  - {id: anna, name: Anna Leder, roles: [approver], groups: [leaders]}
  - {id: bo, roles: [approver], groups: [dpo]}
  - {id: it, roles: [operator]}
sources:
  - name: src
    kind: memory
    options: {name: %s}
web:
  listen: 127.0.0.1:8080
  url: http://127.0.0.1:8080
  links: true
  locale: %s
  accept_language: true
`

// hostile is a file name a share may hold: markup, quotes, a control
// character.
const hostile = "two/<script>alert(1)</script>\"quote'\x07.txt"

var start = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// clock is a clock a test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type testEnv struct {
	t     testing.TB
	dir   string
	src   *memory.Source
	p     *scheduler.Pipeline
	auth  *auth.Manager
	srv   *Server
	ts    *httptest.Server
	clock *clock
	idp   *oidctest.Provider // nil without OIDC
}

func newTestEnv(t testing.TB, locale string) *testEnv { return newTestEnvWith(t, locale, false) }

// newTestEnvWith is a console on a test server; withOIDC adds a test
// OIDC provider (oidctest) that anna (oid-anna) and bo (oid-bo) sign in
// with, besides one-time links.
func newTestEnvWith(t testing.TB, locale string, withOIDC bool) *testEnv {
	t.Helper()
	return newTestEnvEdit(t, locale, withOIDC, nil)
}

// newTestEnvEdit is newTestEnvWith with edit applied to the
// configuration's text before it is loaded.
func newTestEnvEdit(t testing.TB, locale string, withOIDC bool, edit func(string) string) *testEnv {
	t.Helper()
	dir := t.TempDir()
	name := "web_" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	src := memory.New(name)
	memory.Register(name, src)
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(testPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: start}
	ts := httptest.NewUnstartedServer(nil)
	t.Cleanup(ts.Close)
	text := fmt.Sprintf(testConfig, name, locale)
	var idp *oidctest.Provider
	if withOIDC {
		idp = oidctest.Start(t, oidctest.Options{Now: c.Now})
		secret := filepath.Join(dir, "client-secret")
		if err := os.WriteFile(secret, []byte(idp.ClientSecret), 0o600); err != nil {
			t.Fatal(err)
		}
		text = strings.Replace(text, "roles: [approver], groups: [leaders]}", "roles: [approver], groups: [leaders], oidc_subject: oid-anna}", 1)
		text = strings.Replace(text, "roles: [approver], groups: [dpo]}", "roles: [approver], groups: [dpo], oidc_subject: oid-bo}", 1)
		text = strings.Replace(text, "{id: it, roles: [operator]}", "{id: it, roles: [operator], oidc_subject: oid-it}", 1)
		text += fmt.Sprintf("  oidc: {issuer: %q, client_id: %q, client_secret_file: %q}\n", idp.Issuer, idp.ClientID, secret)
	}
	text = strings.ReplaceAll(text, "http://127.0.0.1:8080", "http://"+ts.Listener.Addr().String())
	if edit != nil {
		text = edit(text)
	}
	cfgFile := filepath.Join(dir, "retentiond.yaml")
	if err := os.WriteFile(cfgFile, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Load(cfgFile, connectors.NewRegistry(memory.Kind()))
	if err != nil {
		t.Fatal(err)
	}
	p, err := scheduler.New(context.Background(), cfg, scheduler.Deps{Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	o := auth.Options{Config: cfg, Store: p.Store, Refs: p.Refs, Clock: c.Now}
	if idp != nil {
		o.HTTPClient = idp.Client()
	}
	m, err := auth.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Pipeline: p, Auth: m})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = s
	ts.Start()
	return &testEnv{t: t, dir: dir, src: src, p: p, auth: m, srv: s, ts: ts, clock: c, idp: idp}
}

// plan puts items in the source and plans: one pending batch of rule TWO.
func (e *testEnv) plan(names ...string) store.Batch { return e.planRule("TWO", names...) }

// planRule puts items in the source, plans, and returns rule's batch.
func (e *testEnv) planRule(rule string, names ...string) store.Batch {
	e.t.Helper()
	for _, n := range names {
		e.src.Put(n, []byte(n), start.Add(-5*24*time.Hour))
	}
	res, err := e.p.Plan(context.Background(), scheduler.PlanOptions{Source: "src", Planner: "it"})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, b := range res.Batches {
		if b.Rule == rule {
			return b
		}
	}
	e.t.Fatalf("no batch: %+v", res.Batches)
	return store.Batch{}
}

// signIn returns a client signed in as person with a one-time link.
func (e *testEnv) signIn(person string) *http.Client {
	e.t.Helper()
	path, err := e.auth.IssueLink(context.Background(), person)
	if err != nil {
		e.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(e.ts.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	// The first page of the person's roles (TestHomeByRole).
	if !slices.Contains([]string{"/waiting", "/ops", "/dashboard"}, resp.Request.URL.Path) {
		e.t.Fatalf("signing in as %s ended at %s (%s)", person, resp.Request.URL, resp.Status)
	}
	return c
}
