package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/retentiond/retentiond/store/ledger"
)

// TestBrowserAuditor drives the auditor's pages in real Chromium, in
// Danish: eva (an auditor) signs in with a one-time link, opens the
// dashboard and sees its three charts (SVG images with a title), opens
// the ledger page and verifies the ledger from the keyboard (the result
// is shown), downloads the proof of a deleted item and looks a former
// student up. Every request the browser made is checked: no path, person
// or name from the share went into a URL.
func TestBrowserAuditor(t *testing.T) {
	ctx := browser(t)
	e, _ := newDashEnv(t, "da")
	fillDash(t, e)
	bg := context.Background()

	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads, EventsEnabled: new(true)}); err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		urls []string
	)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for ev, err := range chromedp.Events(ctx, network.RequestWillBeSent) {
			if err != nil {
				return
			}
			mu.Lock()
			urls = append(urls, ev.Request.URL)
			mu.Unlock()
		}
	}()

	path, err := e.auth.IssueLink(bg, "eva")
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(e.ts.URL+path), chromedp.WaitVisible(chromedp.CSS("h1")))
	if who := text(t, ctx, ".who"); !strings.Contains(who, "Eva <b>Revisor</b>") || !strings.Contains(who, "revisor") {
		t.Fatalf("header %q", who)
	}
	click(t, ctx, `nav a[href="/dashboard"]`)
	if h := text(t, ctx, "h1"); h != "Oversigt" {
		t.Fatalf("dashboard heading %q", h)
	}
	titles, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('svg.bars[role="img"] > title')).map(t => t.textContent)`))
	if err != nil || len(titles) != 3 || !strings.Contains(strings.Join(titles, "|"), "Sletninger pr. måned") {
		t.Fatalf("charts: %q (%v)", titles, err)
	}
	// Each chart is drawn: its bars have a size from the stylesheet's
	// classes (the CSP allows no style attribute).
	if w, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('#h-months').parentElement.querySelector('svg.bars').getBoundingClientRect().width`)); err != nil || w < 200 {
		t.Fatalf("months chart %v wide (%v)", w, err)
	}
	if fill, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('svg.bars rect.bar-a')).fill`)); err != nil || fill != "rgb(20, 50, 79)" {
		t.Fatalf("bar colour %q (%v)", fill, err)
	}
	screenshots(t, ctx, "dashboard")

	click(t, ctx, `main a[href="/ledger"]`)
	if h := text(t, ctx, "h1"); h != "Sletteprotokol" {
		t.Fatalf("ledger heading %q", h)
	}
	// Verify now, from the keyboard.
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	_, err = chromedp.RunResponse(tctx, chromedp.Focus(chromedp.ID("verify-now")), chromedp.KeyEvent("\r"))
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if r := text(t, ctx, "#verify-result"); !strings.Contains(r, "Kontrolleret: i orden.") || !strings.Contains(r, "af Eva <b>Revisor</b>") {
		t.Fatalf("verify result %q", r)
	}
	if n := text(t, ctx, ".notice"); !strings.Contains(n, "Kontrollen er færdig") {
		t.Fatalf("notice %q", n)
	}
	screenshots(t, ctx, "ledger")

	// The proof of a deleted item, posted.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("p-item"), "one/fest/a.jpg"), chromedp.Click(chromedp.ID("proof-download")))
	// Wait for the file (Chromium renames it from .crdownload when done).
	var file string
	for deadline := time.Now().Add(30 * time.Second); file == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m, _ := filepath.Glob(filepath.Join(downloads, "src-entry-*.tlog-proof")); len(m) == 1 {
			file = m[0]
		}
	}
	if file == "" {
		m, _ := filepath.Glob(filepath.Join(downloads, "*"))
		t.Fatalf("the proof was not downloaded: %v", m)
	}
	pf, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	vs, _ := ledger.NewVerifiers(e.p.Signer.VerifierKey())
	if res, err := ledger.VerifyProof(pf, vs, e.p.Config.Origin); err != nil || res.Entry.Outcome != "deleted" {
		t.Fatalf("downloaded proof: %+v (%v)", res, err)
	}

	// A person, looked up by a form.
	click(t, ctx, `a[href="/explain"]`)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("x-key"), "student:1001"))
	click(t, ctx, "#explain-lookup")
	if h := text(t, ctx, "#h-person"); h != "Om student:1001" {
		t.Fatalf("lookup heading %q", h)
	}
	if p := text(t, ctx, "main"); !strings.Contains(p, "students/1001/<i>note</i>.txt") || !strings.Contains(p, "stoppet 2026-06-20") {
		t.Fatalf("lookup page %q", p)
	}
	if u := location(t, ctx); u.Path != "/explain" || u.RawQuery != "" {
		t.Fatalf("lookup at %s", u)
	}
	screenshots(t, ctx, "explain")

	mu.Lock()
	defer mu.Unlock()
	if len(urls) < 6 {
		t.Fatalf("only %d requests seen: %v", len(urls), urls)
	}
	for _, u := range urls {
		for _, secret := range []string{"1001", "student", "fest", "elevplan", "note"} {
			if strings.Contains(u, secret) {
				t.Errorf("a URL holds %q: %s", secret, u)
			}
		}
	}
}
