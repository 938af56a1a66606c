package web

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/retentiond/retentiond/store/testtool"
)

// axeTags are the rules axe-core checks: WCAG 2.0 and 2.1, levels A and
// AA, which Danish public bodies must meet (webtilgængelighedsloven).
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// axeSource is axe-core (deque's accessibility engine, the checker
// accessibility audits use), which .ci/run fetches from the npm registry
// and names in RETENTIOND_AXE.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("RETENTIOND_AXE")
	if path == "" {
		testtool.Unavailable(t, "the accessibility check needs axe-core: npm pack axe-core@4.14.1, unpack it and set RETENTIOND_AXE to its package/axe.min.js (.ci/run does)")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("RETENTIOND_AXE: %v", err)
	}
	return string(b)
}

type axeResult struct {
	Violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	} `json:"violations"`
}

// TestAccessibility signs in as each role (approver, DPO, operator,
// auditor) in real Chromium and visits every page of the console it can
// reach by following links from its start pages — pages added later are
// checked without changing this test — at desktop and phone width, and
// runs axe-core's WCAG 2.1 A and AA rules on each. Any violation fails
// the test with the rule, its impact and the elements.
func TestAccessibility(t *testing.T) {
	axe := axeSource(t)
	ctx := browser(t)
	e := newTestEnvEdit(t, "da", false, func(s string) string {
		return strings.Replace(s, "  - {id: it, roles: [operator]}\n", "  - {id: it, roles: [operator]}\n  - {id: cy, name: Cy Revisor, roles: [auditor]}\n", 1)
	})
	e.plan(hostile, "two/Elever/elev-1001/karakterer.pdf")
	e.planRule("ONE", "one/skolefest-2019/a.jpg")

	checked := map[string]bool{}
	check := func(who, p string) {
		t.Helper()
		for _, w := range []int64{1280, 390} {
			do(t, ctx, chromedp.EmulateViewport(w, 844))
			res := runAxe(t, ctx, axe)
			for _, v := range res.Violations {
				var nodes []string
				for _, n := range v.Nodes {
					nodes = append(nodes, fmt.Sprint(n.Target...))
				}
				t.Errorf("%s at %dpx, %s: %s (%s): %s — %s", p, w, who, v.ID, v.Impact, v.Help, strings.Join(nodes, "; "))
			}
		}
		do(t, ctx, chromedp.EmulateViewport(1280, 800))
		checked[p] = true
	}
	// Signed out: the sign-in page and a refusal.
	do(t, ctx, chromedp.Navigate(e.ts.URL+"/signin"), chromedp.WaitReady(chromedp.CSS("body")))
	check("signed out", "/signin")
	do(t, ctx, chromedp.Navigate(e.ts.URL+"/auth/link/not-a-link"), chromedp.WaitReady(chromedp.CSS("body")))
	check("signed out", "/auth/link/(refused)")
	for _, person := range []string{"anna", "bo", "it", "cy"} {
		path, err := e.auth.IssueLink(context.Background(), person)
		if err != nil {
			t.Fatal(err)
		}
		do(t, ctx, chromedp.Navigate(e.ts.URL+path))
		queue := []string{"/waiting", "/dashboard", "/ops", "/no/such/page"}
		seen := map[string]bool{}
		for len(queue) > 0 && len(seen) < 40 {
			p := queue[0]
			queue = queue[1:]
			if seen[p] {
				continue
			}
			seen[p] = true
			do(t, ctx, chromedp.Navigate(e.ts.URL+p), chromedp.WaitReady(chromedp.CSS("body")))
			if u := location(t, ctx); u.Path == "/signin" && p != "/signin" {
				t.Fatalf("%s: %s led to the sign-in page", person, p)
			}
			check(person, p)
			links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
				`Array.from(document.querySelectorAll('a[href]:not([download])')).map(a => a.href)`))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range links {
				u, err := url.Parse(l)
				if err != nil || u.Host != strings.TrimPrefix(e.ts.URL, "http://") || !consolePage(u.Path) {
					continue
				}
				queue = append(queue, u.Path)
			}
		}
	}
	var pages []string
	for p := range checked {
		pages = append(pages, p)
	}
	sort.Strings(pages)
	t.Logf("checked %d pages: %s", len(pages), strings.Join(pages, " "))
	if len(pages) < 3 {
		t.Fatalf("only %d pages reached: %v", len(pages), pages)
	}
}

// consolePage reports whether path is a page to check (not sign-in
// machinery, an asset or a download).
func consolePage(path string) bool {
	if strings.HasPrefix(path, "/auth/") || strings.HasPrefix(path, "/static/") {
		return false
	}
	for _, ext := range []string{".csv", ".xlsx", ".zip", ".gz", ".tlog-proof", ".pdf", ".json", ".jsonl"} {
		if strings.HasSuffix(path, ext) {
			return false
		}
	}
	return true
}

func runAxe(t *testing.T, ctx context.Context, axe string) axeResult {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := chromedp.Run(tctx, chromedp.Evaluate[bool](axe+";true")); err != nil {
		t.Fatalf("load axe-core: %v", err)
	}
	tags := `["` + strings.Join(axeTags, `","`) + `"]`
	res, err := chromedp.Run(tctx, chromedp.Evaluate[axeResult](
		`axe.run(document, {runOnly: {type: "tag", values: `+tags+`}, resultTypes: ["violations"]})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	return res
}
