package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/testtool"
	"github.com/retentiond/retentiond/web/auth/oidctest"
)

// browser starts headless Chromium (apt-get install chromium; CI installs
// it) and returns a tab. Any JavaScript dialog (an alert a hostile name
// would open) fails the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	bin := testtool.Require(t, "chromium", "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.WindowSize(1280, 800),
		chromedp.Flag("accept-lang", "da-DK,da"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	dialogs := chromedp.Events(ctx, cdppage.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			t.Errorf("a JavaScript dialog opened: %q", ev.Message)
			chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return ctx
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// click clicks sel and waits for the page it leads to to load.
func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(tctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func location(t *testing.T, ctx context.Context) *url.URL {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// screenshots saves the page at desktop and phone width into
// testdata/screenshots when RETENTIOND_SCREENSHOTS=1.
func screenshots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("RETENTIOND_SCREENSHOTS") != "1" {
		return
	}
	dir := filepath.Join("testdata", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		suffix string
		w, h   int64
	}{{"desktop", 1280, 800}, {"phone", 390, 844}} {
		do(t, ctx, chromedp.EmulateViewport(v.w, v.h), chromedp.Reload())
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+v.suffix+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	do(t, ctx, chromedp.EmulateViewport(1280, 800), chromedp.Reload())
}

// TestBrowserApproveTwoStages drives the console in real Chromium, in
// Danish: anna signs in with a one-time link and approves stage 1 of a
// two-stage batch that holds a file named with markup (shown as text, no
// script runs); she cannot approve stage 2 and the page says why; bo signs
// in and approves stage 2; the batch is approved and the verified ledger
// holds both approvals with auth link. A post from another origin with
// anna's session cookie is refused; anna excludes one item of another
// batch and rejects the rest with a reason and a keep-until date; once the
// session has been idle too long, the browser is sent to sign in.
func TestBrowserApproveTwoStages(t *testing.T) {
	ctx := browser(t)
	e := newTestEnv(t, "da")
	bg := context.Background()
	two := e.plan("two/<script>alert(1)</script>\"quote.txt", "two/Elever/elev-1001/karakterer.pdf", "two/Elever/elev-1002/fravær.docx")
	one := e.planRule("ONE", "one/skolefest-2019/a.jpg", "one/skolefest-2019/b.jpg")

	signIn := func(person string) {
		t.Helper()
		path, err := e.auth.IssueLink(bg, person)
		if err != nil {
			t.Fatal(err)
		}
		do(t, ctx, chromedp.Navigate(e.ts.URL+path), chromedp.WaitVisible(chromedp.CSS("h1")))
		if u := location(t, ctx); u.Path != "/waiting" {
			t.Fatalf("%s's sign-in ended at %s", person, u)
		}
	}
	signIn("anna")
	if h := text(t, ctx, "h1"); h != "Afventer mig" {
		t.Fatalf("waiting page heading %q", h)
	}
	if who := text(t, ctx, ".who"); !strings.Contains(who, "Logget ind som Anna Leder") || !strings.Contains(who, "godkender") {
		t.Fatalf("header %q", who)
	}
	screenshots(t, ctx, "waiting")

	click(t, ctx, fmt.Sprintf(`a[href="/batches/%d"]`, two.ID))
	if p := text(t, ctx, "table.items tbody"); !strings.Contains(p, `<script>alert(1)</script>"quote.txt`) {
		t.Fatalf("the hostile name is not shown as text: %q", p)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("script").length`)); err != nil || n != 0 {
		t.Fatalf("%d script elements on the page (%v)", n, err)
	}
	screenshots(t, ctx, "batch")

	click(t, ctx, "#approve")
	if n := text(t, ctx, ".notice"); !strings.Contains(n, "Din godkendelse er registreret") {
		t.Fatalf("after anna's approval: %q", n)
	}
	if s := text(t, ctx, "ol.stages"); !strings.Contains(s, "Anna Leder") || !strings.Contains(s, "engangslink") {
		t.Fatalf("stages after anna's approval: %q", s)
	}
	// Stage 2 is the dpo group's: the page says why anna cannot.
	click(t, ctx, "#approve")
	if msg := text(t, ctx, ".error"); !strings.Contains(msg, "Ikke tilladt") || !strings.Contains(msg, "anna has already approved") {
		t.Fatalf("anna's second approval: %q", msg)
	}
	screenshots(t, ctx, "batch-refused")

	// A post from another site, with anna's session cookie, is refused.
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{e.ts.URL}})
	if err != nil || len(cookies.Cookies) == 0 {
		t.Fatalf("cookies %+v (%v)", cookies, err)
	}
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/batches/%d/reject", e.ts.URL, two.ID), strings.NewReader("reason=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	for _, c := range cookies.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin post: %s", resp.Status)
	}

	// Exclude one item of batch ONE by ticking it, then reject the rest.
	do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/batches/%d", e.ts.URL, one.ID)), chromedp.WaitVisible(chromedp.ID("exclude")),
		chromedp.Click(chromedp.CSS(`input[name="item"][value="one/skolefest-2019/a.jpg"]`)),
		chromedp.SendKeys(chromedp.ID("exclude-reason"), "Bruges i jubilæumsskrift"),
		chromedp.SetValue(chromedp.ID("exclude-until"), "2027-12-31"))
	click(t, ctx, "#exclude")
	if n := text(t, ctx, ".notice"); !strings.Contains(n, "undtaget fra sletning") {
		t.Fatalf("after excluding: %q", n)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("reject-reason"), "Afventer klagesag"),
		chromedp.SetValue(chromedp.ID("reject-until"), "2027-06-30"))
	click(t, ctx, "#reject")
	if n := text(t, ctx, ".notice"); !strings.Contains(n, "Sletteliste afvist") {
		t.Fatalf("after rejecting: %q", n)
	}
	ds, err := e.p.Store.RetentionDecisions(bg, true, "2026-11-22")
	if err != nil || len(ds) != 2 {
		t.Fatalf("decisions %+v (%v)", ds, err)
	}
	for _, d := range ds {
		want := map[string]string{store.DecisionExcluded: "2027-12-31", store.DecisionRejected: "2027-06-30"}[d.Kind]
		if d.Until != want || d.Actor != "anna" || d.Auth != "link" {
			t.Errorf("decision %+v", d)
		}
	}

	// bo approves stage 2.
	signIn("bo")
	click(t, ctx, fmt.Sprintf(`a[href="/batches/%d"]`, two.ID))
	click(t, ctx, "#approve")
	if n := text(t, ctx, ".notice"); !strings.Contains(n, "Sletteliste godkendt") {
		t.Fatalf("after bo's approval: %q", n)
	}
	if b, err := e.p.Store.Batch(bg, two.ID); err != nil || b.Status != store.StatusApproved {
		t.Fatalf("batch %+v (%v)", b, err)
	}
	approvals := map[string]string{}
	for _, en := range verifiedEntries(t, e) {
		if en.Type == ledger.TypeApproval && en.Batch == two.ID {
			approvals[en.Actor] = en.Auth
		}
	}
	if approvals["anna"] != "link" || approvals["bo"] != "link" || len(approvals) != 2 {
		t.Fatalf("approval entries: %v", approvals)
	}

	// Idle past web.session.idle: the next page is the sign-in page.
	e.clock.Add(31 * time.Minute)
	do(t, ctx, chromedp.Navigate(e.ts.URL+"/waiting"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if u := location(t, ctx); u.Path != "/signin" || u.Query().Get("next") != "/waiting" {
		t.Fatalf("expired session ended at %s", u)
	}
	if h := text(t, ctx, "h1"); h != "Log ind" {
		t.Fatalf("sign-in page heading %q", h)
	}
	screenshots(t, ctx, "signin")
}

// verifiedEntries returns the ledger's entries after verifying it against
// its signed checkpoints.
func verifiedEntries(t *testing.T, e *testEnv) []ledger.Entry {
	t.Helper()
	ctx := context.Background()
	var es []ledger.Entry
	err := e.p.Store.Entries(ctx, func(_ int64, data []byte) error {
		en, err := ledger.Parse(data)
		es = append(es, en)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cps, err := e.p.Store.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var notes [][]byte
	for _, c := range cps {
		notes = append(notes, c.Note)
	}
	vs, err := ledger.NewVerifiers(e.p.Signer.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Verify(ctx, ledger.Source{Entries: e.p.Store.Entries, Checkpoints: notes, Verifiers: vs}); err != nil {
		t.Fatalf("ledger does not verify: %v", err)
	}
	return es
}

// TestBrowserOIDC: the same two-stage approval signed in through a test
// OpenID Connect provider (discovery, JWKS, authorize, token; ID tokens
// verified by go-oidc): a page opened signed out leads to sign-in and
// back; anna approves stage 1, signs out, bo signs in and approves stage 2;
// the ledger records both with auth oidc and a keyed reference of the
// sign-in. Then the operator signs in the same way and executes the batch
// from the operators' page: the files are gone and the execution is
// recorded as the operator's, signed in with oidc.
func TestBrowserOIDC(t *testing.T) {
	ctx := browser(t)
	e := newTestEnvWith(t, "da", true)
	bg := context.Background()
	two := e.plan("two/a.txt", "two/b.txt")
	batchURL := fmt.Sprintf("%s/batches/%d", e.ts.URL, two.ID)

	e.idp.SetUser(&oidctest.User{Subject: "sub-anna", OID: "oid-anna", PreferredUsername: "anna@skole.example"})
	do(t, ctx, chromedp.Navigate(batchURL), chromedp.WaitVisible(chromedp.CSS("a.button.primary")))
	if u := location(t, ctx); u.Path != "/signin" {
		t.Fatalf("signed out, the batch page led to %s", u)
	}
	if b := text(t, ctx, "a.button.primary"); b != "Log ind med Microsoft" {
		t.Fatalf("sign-in button %q", b)
	}
	screenshots(t, ctx, "signin-oidc")
	click(t, ctx, "a.button.primary")
	if u := location(t, ctx); u.Path != fmt.Sprintf("/batches/%d", two.ID) {
		t.Fatalf("after signing in: %s", u)
	}
	click(t, ctx, "#approve")
	if n := text(t, ctx, ".notice"); !strings.Contains(n, "Din godkendelse er registreret") {
		t.Fatalf("after anna's approval: %q", n)
	}
	if s := text(t, ctx, "ol.stages"); !strings.Contains(s, "Microsoft-login") {
		t.Fatalf("stages: %q", s)
	}
	click(t, ctx, "button.link") // Log ud
	if u := location(t, ctx); u.Path != "/signin" {
		t.Fatalf("after signing out: %s", u)
	}

	e.idp.SetUser(&oidctest.User{Subject: "sub-bo", OID: "oid-bo", PreferredUsername: "bo@skole.example"})
	click(t, ctx, "a.button.primary")
	do(t, ctx, chromedp.Navigate(batchURL), chromedp.WaitVisible(chromedp.ID("approve")))
	click(t, ctx, "#approve")
	if n := text(t, ctx, ".notice"); !strings.Contains(n, "Sletteliste godkendt") {
		t.Fatalf("after bo's approval: %q", n)
	}
	if b, err := e.p.Store.Batch(bg, two.ID); err != nil || b.Status != store.StatusApproved {
		t.Fatalf("batch %+v (%v)", b, err)
	}
	ids := map[string]string{}
	for _, en := range verifiedEntries(t, e) {
		if en.Type == ledger.TypeApproval && en.Batch == two.ID {
			if en.Auth != "oidc" || en.Identity == "" {
				t.Errorf("approval by %s: auth %q identity %q", en.Actor, en.Auth, en.Identity)
			}
			ids[en.Actor] = en.Identity
		}
	}
	if len(ids) != 2 || ids["anna"] == ids["bo"] {
		t.Fatalf("approval identities %v", ids)
	}

	click(t, ctx, "button.link") // Log ud
	e.idp.SetUser(&oidctest.User{Subject: "sub-it", OID: "oid-it", PreferredUsername: "it@skole.example"})
	click(t, ctx, "a.button.primary")
	if u := location(t, ctx); u.Path != "/ops" {
		t.Fatalf("the operator signed in and landed on %s, want /ops", u)
	}
	click(t, ctx, fmt.Sprintf("#execute-%d", two.ID))
	waitJobsShown(t, ctx)
	for _, f := range []string{"two/a.txt", "two/b.txt"} {
		if e.src.Exists(f) {
			t.Errorf("%s still exists after the operator's execution", f)
		}
	}
	execs := 0
	for _, en := range verifiedEntries(t, e) {
		if en.Batch == two.ID && (en.Type == ledger.TypeExecutionStarted || en.Type == ledger.TypeExecutionFinished) {
			execs++
			if en.Actor != "it" || en.Auth != "oidc" || en.Identity == "" || en.Identity == ids["anna"] || en.Identity == ids["bo"] {
				t.Errorf("%s: actor %q auth %q identity %q", en.Type, en.Actor, en.Auth, en.Identity)
			}
		}
	}
	if execs != 2 {
		t.Fatalf("%d execution entries, want started and finished", execs)
	}
}
