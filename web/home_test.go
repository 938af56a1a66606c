package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestHomeByRole: signing in (and /) leads each person to the first page
// of their roles: an approver to Waiting for me, an operator to the
// operators' page, an auditor to the dashboard. A path the console does
// not have is a console page saying so, in the reader's language.
func TestHomeByRole(t *testing.T) {
	e := newTestEnvEdit(t, "en", false, func(s string) string {
		return strings.Replace(s, "  - {id: it, roles: [operator]}\n", "  - {id: it, roles: [operator]}\n  - {id: cy, roles: [auditor]}\n", 1)
	})
	for person, want := range map[string]string{"anna": "/waiting", "it": "/ops", "cy": "/dashboard"} {
		c := e.signIn(person)
		resp, _ := get(t, c, e.ts.URL+"/")
		if resp.Request.URL.Path != want {
			t.Errorf("%s: / led to %s, want %s", person, resp.Request.URL.Path, want)
		}
		resp, page := get(t, c, e.ts.URL+"/no/such/page")
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(page, `<nav`) || !strings.Contains(page, "Sign out") {
			t.Errorf("%s: an unknown path: %s\n%s", person, resp.Status, page)
		}
	}
	resp, _ := get(t, http.DefaultClient, e.ts.URL+"/")
	if resp.Request.URL.Path != "/signin" {
		t.Errorf("signed out, / led to %s", resp.Request.URL.Path)
	}
	resp, page := get(t, http.DefaultClient, e.ts.URL+"/no/such/page")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(page, `lang="en"`) || resp.Header.Get("Content-Security-Policy") != ContentSecurityPolicy {
		t.Errorf("signed out, an unknown path: %s %v\n%s", resp.Status, resp.Header, page)
	}
}
