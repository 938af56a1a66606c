package auth_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/web/auth"
)

// TestAppRoles: with web.oidc.app_roles, the roles claim of the ID token
// decides the person's roles in the console: retentiond's role values
// (any case) are taken, others ignored, and a token with none of them is
// refused. The roles last as long as the session, across a restart (they
// are in the database), and a link sign-in keeps the configured roles.
func TestAppRoles(t *testing.T) {
	e := newEnv(t, func(w *configs.Web) { w.OIDC.AppRoles = true })

	u := *anna
	u.Roles = []string{"Operator", "auditor", "Retentiond.Admin", "operator"}
	b := e.browser()
	if status, body := b.signIn(&u, "/"); status != 200 || body != "/: anna by oidc" {
		t.Fatalf("sign-in with app roles: %d %q", status, body)
	}
	s, err := b.session()
	if err != nil {
		t.Fatal(err)
	}
	if !s.AppRoles || !slices.Equal(s.Roles, []string{configs.RoleAuditor, configs.RoleOperator}) {
		t.Fatalf("session roles %v (app roles %v), want [auditor operator]", s.Roles, s.AppRoles)
	}
	// A new Manager on the same database (a restart) reads them back.
	m2, err := auth.New(context.Background(), auth.Options{Config: e.cfg, Store: e.st, Refs: e.refs, Clock: e.clock.Now, HTTPClient: e.idp.Client()})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/", nil)
	req.AddCookie(b.sessionCookie())
	s2, err := m2.Session(req)
	if err != nil || !s2.AppRoles || !slices.Equal(s2.Roles, s.Roles) {
		t.Fatalf("after a restart: %+v %v", s2, err)
	}

	// No retentiond role in the token: refused, no session.
	u.Roles = []string{"Retentiond.Admin"}
	b2 := e.browser()
	if status, _ := b2.signIn(&u, "/"); status != http.StatusForbidden {
		t.Fatalf("sign-in without a retentiond app role: %d, want 403", status)
	}
	if b2.sessionCookie() != nil {
		t.Fatal("a session was started without a retentiond app role")
	}
	if got := e.logs.FilterMessageSnippet("no retentiond app role").All(); len(got) != 1 || got[0].ContextMap()["roles_ignored"] != int64(1) {
		t.Fatalf("refusal log %+v", got)
	}
	u.Roles = nil
	if status, _ := e.browser().signIn(&u, "/"); status != http.StatusForbidden {
		t.Fatalf("sign-in without a roles claim: %d, want 403", status)
	}

	// A link: the configured roles (anna is an approver).
	path, err := e.m.IssueLink(context.Background(), "anna")
	if err != nil {
		t.Fatal(err)
	}
	b3 := e.browser()
	if status, body := b3.get(path); status != 200 || !strings.HasSuffix(body, "anna by link") {
		t.Fatalf("link sign-in: %d %q", status, body)
	}
	if s, err := b3.session(); err != nil || s.AppRoles || len(s.Roles) != 0 {
		t.Fatalf("link session %+v %v, want the configured roles", s, err)
	}
}

// TestAppRolesOff: without app_roles, the roles claim is ignored.
func TestAppRolesOff(t *testing.T) {
	e := newEnv(t, nil)
	u := *anna
	u.Roles = []string{"operator"}
	b := e.browser()
	if status, _ := b.signIn(&u, "/"); status != 200 {
		t.Fatalf("sign-in: %d", status)
	}
	if s, err := b.session(); err != nil || s.AppRoles || len(s.Roles) != 0 {
		t.Fatalf("session %+v %v: the roles claim was taken without app_roles", s, err)
	}
}
