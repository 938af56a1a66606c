package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// post posts form to path from the batch page's origin, with the CSRF
// token the page carries.
func post(t *testing.T, e *testEnv, c *http.Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	_, page := get(t, c, e.ts.URL+"/waiting")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf token on the page:\n%s", page)
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", m[1])
	}
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.ts.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestSecurityHeaders: every response, page or asset or refusal, carries
// the CSP, nosniff and the referrer policy.
func TestSecurityHeaders(t *testing.T) {
	e := newTestEnv(t, "da")
	c := e.signIn("anna")
	for _, u := range []string{"/signin", "/static/console.css", "/waiting", "/batches/99", "/nothing", "/"} {
		resp, _ := get(t, c, e.ts.URL+u)
		h := resp.Header
		if h.Get("Content-Security-Policy") != ContentSecurityPolicy || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: headers %v", u, h)
		}
	}
	if resp, _ := get(t, c, e.ts.URL+"/batches/99"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown batch: %s", resp.Status)
	}
}

// TestSignInRequired: pages and posts without a session go to the sign-in
// page, which brings the person back to the path (never the query).
func TestSignInRequired(t *testing.T) {
	e := newTestEnv(t, "en")
	b := e.plan("two/a.txt")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, _ := get(t, noRedirect, fmt.Sprintf("%s/batches/%d?q=anna", e.ts.URL, b.ID))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != fmt.Sprintf("/signin?next=%%2Fbatches%%2F%d", b.ID) {
		t.Fatalf("signed out: %s %s", resp.Status, resp.Header.Get("Location"))
	}
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/batches/%d/approve", e.ts.URL, b.ID), strings.NewReader("fingerprint=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin?next=") {
		t.Fatalf("signed-out post: %s %s", resp.Status, resp.Header.Get("Location"))
	}
	_, page := get(t, http.DefaultClient, e.ts.URL+"/signin")
	if !strings.Contains(page, "one-time sign-in link") || strings.Contains(page, "Sign in with Microsoft") {
		t.Errorf("sign-in page with links only:\n%s", page)
	}
	// Signed in, the sign-in page sends you on.
	c := e.signIn("anna")
	if resp, _ := get(t, c, fmt.Sprintf("%s/signin?next=%%2Fbatches%%2F%d", e.ts.URL, b.ID)); resp.Request.URL.Path != fmt.Sprintf("/batches/%d", b.ID) {
		t.Errorf("signed in, /signin led to %s", resp.Request.URL)
	}
	if resp, _ := get(t, c, e.ts.URL+"/signin?next=//evil.example/"); resp.Request.URL.Host != strings.TrimPrefix(e.ts.URL, "http://") || resp.Request.URL.Path != "/waiting" {
		t.Errorf("signed in, /signin?next=//evil.example/ led to %s", resp.Request.URL)
	}
}

// TestHostileNamesEscaped: a name with markup, quotes and a control
// character is shown escaped on the batch page and can still be excluded
// by ticking it.
func TestHostileNamesEscaped(t *testing.T) {
	e := newTestEnv(t, "en")
	b := e.plan(hostile, "two/plain.txt")
	c := e.signIn("anna")
	_, page := get(t, c, fmt.Sprintf("%s/batches/%d", e.ts.URL, b.ID))
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "\x07") {
		t.Fatalf("raw name on the page:\n%s", page)
	}
	if !strings.Contains(page, `&lt;script&gt;alert(1)&lt;/script&gt;&#34;quote&#39;\a.txt`) {
		t.Fatalf("escaped name missing:\n%s", page)
	}
	// The tick box carries the escaped name; the console unescapes it.
	m := regexp.MustCompile(`name="item" value="([^"]*quote[^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no tick box for the hostile item:\n%s", page)
	}
	val := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&amp;", "&").Replace(m[1])
	resp, body := post(t, e, c, fmt.Sprintf("/batches/%d/exclude", b.ID), url.Values{"item": {val}, "reason": {"kept for a case"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "The items are excluded.") {
		t.Fatalf("exclude: %s\n%s", resp.Status, body)
	}
	ws, err := e.p.Store.BatchWithdrawals(context.Background(), b.ID)
	if err != nil || len(ws) != 1 {
		t.Fatalf("withdrawals %v (%v)", ws, err)
	}
	if _, ok := ws[hostile]; !ok {
		t.Fatalf("excluded %v, not the hostile name", ws)
	}
}

// TestApproveFlow: anna approves stage 1 with the fingerprint shown; she
// cannot approve stage 2 (the page says why); bo approves it; the ledger
// records both with auth link. A wrong CSRF token and a post from another
// origin change nothing.
func TestApproveFlow(t *testing.T) {
	e := newTestEnv(t, "en")
	b := e.plan("two/a.txt", "two/b.txt")
	anna := e.signIn("anna")
	_, w := get(t, anna, e.ts.URL+"/waiting")
	if !strings.Contains(w, fmt.Sprintf(`href="/batches/%d"`, b.ID)) || !strings.Contains(w, "leaders 0 of 1") || !strings.Contains(w, "Skolens sletteregler") {
		t.Fatalf("anna's waiting page:\n%s", w)
	}
	path := fmt.Sprintf("/batches/%d/approve", b.ID)
	if resp, body := post(t, e, anna, path, url.Values{"fingerprint": {b.Fingerprint}, "csrf": {"wrong"}}); resp.StatusCode != http.StatusForbidden ||
		!strings.Contains(body, "The form has expired") {
		t.Fatalf("wrong token: %s\n%s", resp.Status, body)
	}
	// Another origin: refused by CrossOriginProtection before anything.
	_, page := get(t, anna, e.ts.URL+"/waiting")
	tok := csrfRE.FindStringSubmatch(page)[1]
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, strings.NewReader(url.Values{"fingerprint": {b.Fingerprint}, "csrf": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := anna.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin post: %s", resp.Status)
	}
	if as, _ := e.p.Store.Approvals(context.Background(), b.ID); len(as) != 0 {
		t.Fatalf("refused posts approved: %+v", as)
	}
	// A stale fingerprint is refused with the reason.
	if resp, body := post(t, e, anna, path, url.Values{"fingerprint": {"sha256:stale"}}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "not the sha256:stale you reviewed") {
		t.Fatalf("stale fingerprint: %s\n%s", resp.Status, body)
	}
	if resp, body := post(t, e, anna, path, url.Values{"fingerprint": {b.Fingerprint}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "waits for its next stage") {
		t.Fatalf("anna approves: %s\n%s", resp.Status, body)
	}
	resp, body := post(t, e, anna, path, url.Values{"fingerprint": {b.Fingerprint}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Not allowed: anna has already approved") {
		t.Fatalf("anna again: %s\n%s", resp.Status, body)
	}
	bo := e.signIn("bo")
	if resp, body := post(t, e, bo, path, url.Values{"fingerprint": {b.Fingerprint}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Batch approved") {
		t.Fatalf("bo approves: %s\n%s", resp.Status, body)
	}
	_, page = get(t, bo, fmt.Sprintf("%s/batches/%d", e.ts.URL, b.ID))
	for _, want := range []string{"Stage 1: leaders", "Anna Leder, 2026-11-22 11:00 (one-time link)", "bo, 2026-11-22 11:00 (one-time link)", ">approved<"} {
		if !strings.Contains(page, want) {
			t.Errorf("batch page lacks %q", want)
		}
	}
	got, err := e.p.Store.Batch(context.Background(), b.ID)
	if err != nil || got.Status != store.StatusApproved {
		t.Fatalf("batch %+v (%v)", got, err)
	}
	n := 0
	err = e.p.Store.Entries(context.Background(), func(_ int64, data []byte) error {
		en, err := ledger.Parse(data)
		if err == nil && en.Type == ledger.TypeApproval {
			n++
			if en.Auth != "link" || en.Identity != "" {
				t.Errorf("approval by %s recorded auth %q identity %q", en.Actor, en.Auth, en.Identity)
			}
		}
		return err
	})
	if err != nil || n != 2 {
		t.Fatalf("%d approval entries (%v)", n, err)
	}
}

// TestRejectAndErrors: a reject without a reason or with a bad date is
// refused on the page (400, no stack); with both it records the decision.
func TestRejectAndErrors(t *testing.T) {
	e := newTestEnv(t, "da")
	b := e.plan("two/a.txt")
	anna := e.signIn("anna")
	path := fmt.Sprintf("/batches/%d/reject", b.ID)
	if resp, body := post(t, e, anna, path, url.Values{"reason": {" "}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Skriv en begrundelse.") {
		t.Fatalf("no reason: %s\n%s", resp.Status, body)
	}
	if resp, body := post(t, e, anna, path, url.Values{"reason": {"sag"}, "keep_until": {"i morgen"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "er ikke en dato") {
		t.Fatalf("bad date: %s\n%s", resp.Status, body)
	}
	if resp, body := post(t, e, anna, path, url.Values{"reason": {"sag"}, "keep_until": {"2020-01-01"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "is not after today") {
		t.Fatalf("past date: %s\n%s", resp.Status, body)
	}
	it := e.signIn("it")
	if resp, body := post(t, e, it, path, url.Values{"reason": {"sag"}}); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Ikke tilladt") {
		t.Fatalf("operator rejects: %s\n%s", resp.Status, body)
	}
	if resp, body := post(t, e, anna, path, url.Values{"reason": {"verserende klagesag"}, "keep_until": {"2027-06-30"}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Sletteliste afvist") {
		t.Fatalf("reject: %s\n%s", resp.Status, body)
	}
	ds, err := e.p.Store.RetentionDecisions(context.Background(), true, "2026-11-22")
	if err != nil || len(ds) != 1 || ds[0].Until != "2027-06-30" || ds[0].Auth != "link" || ds[0].Actor != "anna" {
		t.Fatalf("decisions %+v (%v)", ds, err)
	}
	if _, page := get(t, anna, fmt.Sprintf("%s/batches/%d", e.ts.URL, b.ID)); strings.Contains(page, "på listen") || !strings.Contains(page, "<td data-label=\"Status\">afvist</td>") {
		t.Errorf("items of a rejected batch:\n%s", page)
	}
	if resp, body := post(t, e, anna, path, url.Values{"reason": {"igen"}}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "afvist") {
		t.Fatalf("reject a rejected batch: %s\n%s", resp.Status, body)
	}
}

// TestItemsPagingAndSearch: 250 items page 100 at a time; a search finds
// by substring, case-insensitively, and says how many when it read all.
func TestItemsPagingAndSearch(t *testing.T) {
	e := newTestEnv(t, "en")
	var names []string
	for i := range 250 {
		names = append(names, fmt.Sprintf("two/Class-%03d/report.pdf", i))
	}
	b := e.plan(names...)
	c := e.signIn("anna")
	_, page := get(t, c, fmt.Sprintf("%s/batches/%d", e.ts.URL, b.ID))
	if !strings.Contains(page, "Showing 1–100 of 250") || !strings.Contains(page, fmt.Sprintf(`href="/batches/%d?page=2"`, b.ID)) {
		t.Fatalf("page 1:\n%s", page)
	}
	_, page = get(t, c, fmt.Sprintf("%s/batches/%d?page=3", e.ts.URL, b.ID))
	if !strings.Contains(page, "Showing 201–250 of 250") || strings.Contains(page, "page=4") || strings.Count(page, `class="path"`) != 50 {
		t.Fatalf("page 3:\n%s", page)
	}
	_, page = get(t, c, fmt.Sprintf("%s/batches/%d?q=CLASS-01", e.ts.URL, b.ID))
	if !strings.Contains(page, "Showing 1–10 of 10 matches") || strings.Count(page, `class="path"`) != 10 {
		t.Fatalf("search:\n%s", page)
	}
	_, page = get(t, c, fmt.Sprintf("%s/batches/%d?q=report", e.ts.URL, b.ID))
	if !strings.Contains(page, "Showing 1–100 of more matches") {
		t.Fatalf("search with more:\n%s", page)
	}
	_, page = get(t, c, fmt.Sprintf("%s/batches/%d?q=nothing-like-it", e.ts.URL, b.ID))
	if !strings.Contains(page, "No path contains the search.") {
		t.Fatalf("empty search:\n%s", page)
	}
}

// TestExpiredSession: after the idle time the session is gone and the
// page sends the person to sign in.
func TestExpiredSession(t *testing.T) {
	e := newTestEnv(t, "en")
	c := e.signIn("anna")
	e.clock.Add(31 * time.Minute)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _ := get(t, c, e.ts.URL+"/waiting")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Fatalf("expired session: %s %s", resp.Status, resp.Header.Get("Location"))
	}
}

// TestCatalogComplete: every key is in every language, with the same
// format verbs.
func TestCatalogComplete(t *testing.T) {
	verbs := regexp.MustCompile(`%[a-z]`)
	for key, en := range catalog["en"] {
		for _, lang := range []string{"da", "sv"} {
			s, ok := catalog[lang][key]
			if !ok {
				t.Errorf("%s lacks %q", lang, key)
				continue
			}
			if fmt.Sprint(verbs.FindAllString(s, -1)) != fmt.Sprint(verbs.FindAllString(en, -1)) {
				t.Errorf("%s %q: verbs of %q differ from English %q", lang, key, s, en)
			}
		}
	}
	for _, lang := range []string{"da", "sv"} {
		if len(catalog[lang]) != len(catalog["en"]) {
			t.Errorf("%s has %d keys, English %d", lang, len(catalog[lang]), len(catalog["en"]))
		}
	}
}

// TestLanguage: Danish by default, the browser's choice among da, sv and
// en when the configuration allows it; the glossary's words.
func TestLanguage(t *testing.T) {
	e := newTestEnv(t, "da")
	for _, c := range []struct{ accept, lang, want string }{
		{"", "da", "Afventer mig"},
		{"sv-SE,sv;q=0.9,en;q=0.5", "sv", "Väntar på mig"},
		{"en-GB", "en", "Waiting for me"},
		{"de-DE, en;q=0.3", "en", "Waiting for me"},
		{"fr", "da", "Afventer mig"},
	} {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/signin", nil)
		if c.accept != "" {
			req.Header.Set("Accept-Language", c.accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `<html lang="`+c.lang+`">`) {
			t.Errorf("Accept-Language %q: not %s:\n%s", c.accept, c.lang, b)
		}
	}
	if got := (Locale{Lang: "da"}).Size(1500000); got != "1,5 MB" {
		t.Errorf("Danish size %q", got)
	}
	if got := (Locale{Lang: "da"}).Number(1000000); got != "1.000.000" {
		t.Errorf("Danish number %q", got)
	}
}

// TestRefusedSignInLocalized: a link used twice is refused on a page in
// the console's language, with its headers.
func TestRefusedSignInLocalized(t *testing.T) {
	e := newTestEnv(t, "da")
	path, err := e.auth.IssueLink(context.Background(), "anna")
	if err != nil {
		t.Fatal(err)
	}
	get(t, http.DefaultClient, e.ts.URL+path)
	resp, page := get(t, http.DefaultClient, e.ts.URL+path)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Linket til at logge ind er ikke gyldigt") ||
		!strings.Contains(page, `href="/signin"`) || resp.Header.Get("Content-Security-Policy") != ContentSecurityPolicy {
		t.Fatalf("used link: %s\n%s", resp.Status, page)
	}
}

// TestDownloadCSV: the batch's items as CSV, every one, names escaped for
// a spreadsheet; signed out, the sign-in page.
func TestDownloadCSV(t *testing.T) {
	e := newTestEnv(t, "en")
	b := e.plan(hostile, "two/=cmd.txt", "two/plain.txt")
	c := e.signIn("anna")
	resp, body := get(t, c, fmt.Sprintf("%s/batches/%d/items.csv", e.ts.URL, b.ID))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != fmt.Sprintf(`attachment; filename="batch-%d.csv"`, b.ID) {
		t.Fatalf("download: %s %v", resp.Status, resp.Header)
	}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "path,size,") || !strings.Contains(body, `'two/=cmd.txt`) && !strings.Contains(body, "two/=cmd.txt") ||
		strings.Contains(body, "\x07") || !strings.Contains(body, `\a.txt`) {
		t.Fatalf("csv:\n%s", body)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, _ := get(t, noRedirect, fmt.Sprintf("%s/batches/%d/items.csv", e.ts.URL, b.ID)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signed out: %s", resp.Status)
	}
}
