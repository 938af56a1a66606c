package web

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/web/auth/oidctest"
)

// TestAppRolesInConsole: with web.oidc.app_roles, what anna may do in the
// console follows the roles her ID token carries, not the configuration's:
// as an auditor she sees no Waiting for me and her approval is refused
// (nothing recorded); signed in again with the approver role, she
// approves, recorded as oidc.
func TestAppRolesInConsole(t *testing.T) {
	e := newTestEnvEdit(t, "en", true, func(s string) string {
		return strings.Replace(s, "client_secret_file:", "app_roles: true, client_secret_file:", 1)
	})
	b := e.plan("two/a.txt", "two/b.txt")
	oidcSignIn := func(roles ...string) *http.Client {
		t.Helper()
		e.idp.SetUser(&oidctest.User{Subject: "sub-anna", OID: "oid-anna", Roles: roles})
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		resp, body := get(t, c, e.ts.URL+"/auth/login?next="+url.QueryEscape("/batches/"+strconv.FormatInt(b.ID, 10)))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("sign-in with roles %v: %s\n%s", roles, resp.Status, body)
		}
		return c
	}
	all := func() []ledger.Entry {
		t.Helper()
		var es []ledger.Entry
		err := e.p.Store.Entries(context.Background(), func(_ int64, data []byte) error {
			en, err := ledger.Parse(data)
			es = append(es, en)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	entries := func() int { return len(all()) }

	auditor := oidcSignIn("auditor")
	_, page := get(t, auditor, e.ts.URL+"/batches/"+strconv.FormatInt(b.ID, 10))
	if !strings.Contains(page, "Roles: auditor") || strings.Contains(page, `<a href="/waiting">`) {
		t.Fatalf("an auditor by app role sees:\n%s", page)
	}
	before := entries()
	resp, _ := post(t, e, auditor, "/batches/"+strconv.FormatInt(b.ID, 10)+"/approve", url.Values{"fingerprint": {b.Fingerprint}})
	if resp.StatusCode != http.StatusForbidden || entries() != before {
		t.Fatalf("approval by an auditor by app role: %s, ledger %d → %d entries", resp.Status, before, entries())
	}

	approver := oidcSignIn("approver")
	resp, body := post(t, e, approver, "/batches/"+strconv.FormatInt(b.ID, 10)+"/approve", url.Values{"fingerprint": {b.Fingerprint}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("approval with the approver app role: %s\n%s", resp.Status, body)
	}
	es := all()
	last := es[len(es)-1]
	if last.Type != ledger.TypeApproval || last.Actor != "anna" || last.Auth != "oidc" {
		t.Fatalf("last entry %+v", last)
	}
}
