package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// TestBrowserOperatorExecutes drives the operators' page in real
// Chromium, in Danish: anna approves stage 1 and bo stage 2 of a batch
// (each signed in with a one-time link); the operator opens /ops, clicks
// Execute now, and the page (refreshed) shows the batch done; its files
// are gone and the verified ledger records the execution by the operator
// with how they signed in. An auditor sees no operators' page or button,
// and a post forged from the auditor's session with their own CSRF token
// is refused 403 with nothing changed.
func TestBrowserOperatorExecutes(t *testing.T) {
	ctx := browser(t)
	e := newTestEnv(t, "da")
	e.reconfigure(withAuditor, nil)
	bg := context.Background()
	files := []string{"two/Elever/elev-1001/karakterer.pdf", "two/<script>alert(1)</script>\"quote.txt"}
	b := e.plan(files...)
	other := e.planRule("ONE", "one/skolefest-2019/a.jpg")

	signIn := func(person string) {
		t.Helper()
		path, err := e.auth.IssueLink(bg, person)
		if err != nil {
			t.Fatal(err)
		}
		do(t, ctx, chromedp.Navigate(e.ts.URL+path), chromedp.WaitVisible(chromedp.CSS("h1")))
	}
	for _, who := range []string{"anna", "bo"} {
		signIn(who)
		do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/batches/%d", e.ts.URL, b.ID)), chromedp.WaitVisible(chromedp.ID("approve")))
		click(t, ctx, "#approve")
	}
	if got, err := e.p.Store.Batch(bg, b.ID); err != nil || got.Status != store.StatusApproved {
		t.Fatalf("batch after both approvals: %+v (%v)", got, err)
	}

	signIn("it")
	click(t, ctx, `nav a[href="/ops"]`)
	if h := text(t, ctx, "h1"); h != "Drift" {
		t.Fatalf("ops page heading %q", h)
	}
	screenshots(t, ctx, "ops")
	click(t, ctx, fmt.Sprintf("#execute-%d", b.ID))
	if n := text(t, ctx, ".notice"); !strings.Contains(n, fmt.Sprintf("Sletteliste %d udføres nu", b.ID)) {
		t.Fatalf("after Execute now: %q", n)
	}
	waitJobsShown(t, ctx)
	if j := text(t, ctx, "ul.jobs"); !strings.Contains(j, fmt.Sprintf("Sletteliste %d: færdig: 2 slettet, 0 sprunget over, 0 fejlet", b.ID)) {
		t.Fatalf("jobs: %q", j)
	}
	screenshots(t, ctx, "ops-done")
	for _, f := range files {
		if e.src.Exists(f) {
			t.Errorf("%s still exists", f)
		}
	}
	var started, finished int
	for _, en := range verifiedEntries(t, e) {
		if en.Batch != b.ID {
			continue
		}
		switch en.Type {
		case ledger.TypeExecutionStarted:
			started++
		case ledger.TypeExecutionFinished:
			finished++
		default:
			continue
		}
		if en.Actor != "it" || en.Auth != "link" || en.Role != "operator" {
			t.Errorf("%s entry: actor %q auth %q role %q", en.Type, en.Actor, en.Auth, en.Role)
		}
	}
	if started != 1 || finished != 1 {
		t.Fatalf("%d execution_started, %d execution_finished entries", started, finished)
	}

	// An evidence hold from the holds page, as the command line's holds add.
	click(t, ctx, `nav.subnav a[href="/ops/holds"]`)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("hold-reason"), "Politisag 2026-1234"),
		chromedp.SendKeys(chromedp.ID("hold-owner"), "Skoleleder"),
		chromedp.SetValue(chromedp.ID("hold-source"), "src"),
		chromedp.SendKeys(chromedp.ID("hold-path"), "one/**"),
		chromedp.SendKeys(chromedp.ID("hold-from"), "2026-11-03 14:00"),
		chromedp.SendKeys(chromedp.ID("hold-to"), "2026-11-03 16:00"),
		chromedp.Click(chromedp.ID("hold-evidence")))
	click(t, ctx, "#hold-add")
	if n := text(t, ctx, ".notice"); !strings.Contains(n, "Sletteblokering H-1 er oprettet") {
		t.Fatalf("after adding the hold: %q", n)
	}
	if row := text(t, ctx, "tbody"); !strings.Contains(row, "blokering til politiet (bevis)") || !strings.Contains(row, "optaget fra 2026-11-03 14:00 til 2026-11-03 16:00") {
		t.Fatalf("hold row %q", row)
	}
	screenshots(t, ctx, "ops-holds")
	if hs := entriesOf(t, e, ledger.TypeHoldAdded); len(hs) != 1 || hs[0].Actor != "it" || hs[0].Auth != "link" {
		t.Fatalf("hold entries %+v", hs)
	}
	click(t, ctx, "#release-H-1")
	if n := text(t, ctx, ".notice"); !strings.Contains(n, "Sletteblokering H-1 er ophævet") {
		t.Fatalf("after releasing the hold: %q", n)
	}

	// The auditor: no link to the operators' pages, 403 on them, and a
	// forged post with their own session and token changes nothing.
	signIn("eva")
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('a[href^="/ops"]').length`)); err != nil || n != 0 {
		t.Fatalf("%d links to the operators' pages for the auditor (%v)", n, err)
	}
	for _, path := range []string{"/ops", "/ops/holds", "/ops/instructions"} {
		do(t, ctx, chromedp.Navigate(e.ts.URL+path), chromedp.WaitVisible(chromedp.CSS(".error")))
		if msg := text(t, ctx, ".error"); !strings.Contains(msg, "eva does not have the operator role") {
			t.Fatalf("auditor on %s: %q", path, msg)
		}
		if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('form[action^="/ops"], button[id^="execute-"], button[id^="confirm-"]').length`)); err != nil || n != 0 {
			t.Fatalf("auditor sees %d operators' forms on %s (%v)", n, path, err)
		}
	}
	screenshots(t, ctx, "ops-refused")
	tok, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('input[name="csrf"]').value`))
	if err != nil || tok == "" {
		t.Fatalf("auditor's token %q (%v)", tok, err)
	}
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{e.ts.URL}})
	if err != nil || len(cookies.Cookies) == 0 {
		t.Fatalf("cookies %+v (%v)", cookies, err)
	}
	if _, _, err := e.p.Approve(bg, other.ID, "anna", other.Fingerprint); err != nil {
		t.Fatal(err)
	}
	before := ledgerSize(t, e)
	for _, p := range []struct{ path, form string }{
		{fmt.Sprintf("/ops/batches/%d/execute", other.ID), ""},
		{"/ops/holds", "reason=x&owner=y&source=src&force=1"},
		{"/ops/plan", "source=src"},
	} {
		form := "csrf=" + url.QueryEscape(tok)
		if p.form != "" {
			form += "&" + p.form
		}
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+p.path, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.ts.URL)
		for _, c := range cookies.Cookies {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("auditor's forged post to %s: %s", p.path, resp.Status)
		}
	}
	waitJobs(e)
	if after := ledgerSize(t, e); after != before {
		t.Errorf("the auditor's posts changed the ledger: %d entries, then %d", before, after)
	}
	if got, _ := e.p.Store.Batch(bg, other.ID); got.Status != store.StatusApproved || !e.src.Exists("one/skolefest-2019/a.jpg") {
		t.Errorf("the auditor's post executed batch %d: %s", other.ID, got.Status)
	}
	if hs, _ := e.p.Store.Holds(bg, false); len(hs) != 0 {
		t.Errorf("the auditor's post added holds: %+v", hs)
	}
}

// waitJobsShown refreshes /ops until a job started from the console is done or
// failed (or the test's deadline): they run in the background.
func waitJobsShown(t *testing.T, ctx context.Context) {
	t.Helper()
	deadline, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		n, err := chromedp.Run(deadline, chromedp.Evaluate[int](`document.querySelectorAll("ul.jobs li.job-done, ul.jobs li.job-failed").length`))
		if err != nil {
			t.Fatalf("waiting for the job: %v", err)
		}
		if n > 0 {
			return
		}
		if _, err := chromedp.RunResponse(deadline, chromedp.Click(chromedp.ID("refresh"))); err != nil {
			t.Fatalf("refresh: %v", err)
		}
	}
}
