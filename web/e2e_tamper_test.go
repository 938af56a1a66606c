package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/retentiond/retentiond/web/auth"
	"github.com/retentiond/retentiond/web/auth/oidctest"
)

// TestBrowserTamperedTokens: in real Chromium, a sign-in whose ID token
// is signed with another key, names another audience or issuer, has
// expired or carries another nonce ends on the refusal page, in Danish,
// without a session; the same sign-in with an honest token then works.
func TestBrowserTamperedTokens(t *testing.T) {
	ctx := browser(t)
	e := newTestEnvWith(t, "da", true)
	e.idp.SetUser(&oidctest.User{Subject: "sub-anna", OID: "oid-anna"})
	hasSession := func() bool {
		t.Helper()
		res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{e.ts.URL}})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Cookies {
			if c.Name == auth.CookieName {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		name   string
		tamper oidctest.Tamper
	}{
		{"another key", oidctest.Tamper{OtherKey: true}},
		{"another audience", oidctest.Tamper{WrongAudience: true}},
		{"another issuer", oidctest.Tamper{WrongIssuer: true}},
		{"expired", oidctest.Tamper{Expired: true}},
		{"another nonce", oidctest.Tamper{WrongNonce: true}},
		{"issued to another party", oidctest.Tamper{OtherParty: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.idp.SetTamper(tc.tamper)
			do(t, ctx, chromedp.Navigate(e.ts.URL+"/signin"), chromedp.WaitVisible(chromedp.CSS("a.button.primary")))
			click(t, ctx, "a.button.primary")
			if msg := text(t, ctx, ".error"); !strings.Contains(msg, "Login kunne ikke gennemføres") {
				t.Fatalf("after a sign-in with a token of %s: %q", tc.name, msg)
			}
			if hasSession() {
				t.Fatalf("a token of %s started a session", tc.name)
			}
			do(t, ctx, chromedp.Navigate(e.ts.URL+"/waiting"), chromedp.WaitVisible(chromedp.CSS("a.button.primary")))
			if u := location(t, ctx); u.Path != "/signin" {
				t.Fatalf("after the refusal, /waiting led to %s", u)
			}
		})
	}
	e.idp.SetTamper(oidctest.Tamper{})
	do(t, ctx, chromedp.Navigate(e.ts.URL+"/signin?next="+url.QueryEscape("/waiting")), chromedp.WaitVisible(chromedp.CSS("a.button.primary")))
	click(t, ctx, "a.button.primary")
	if u := location(t, ctx); u.Path != "/waiting" || !hasSession() {
		t.Fatalf("an honest token: at %s, session %v", u, hasSession())
	}
}
