package web

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestReasonsInTheReadersLanguage: the reason each item is due is shown
// in the page's language (Pipeline.ExplainIn), not the plan's English.
func TestReasonsInTheReadersLanguage(t *testing.T) {
	for _, tc := range []struct{ locale, want, not string }{
		{"da", "sletteregel TWO", "rule TWO"},
		{"sv", "gallringsregel TWO", "rule TWO"},
		{"en", "rule TWO", "sletteregel"},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			e := newTestEnv(t, tc.locale)
			b := e.plan("two/a.txt")
			c := e.signIn("anna")
			resp, page := get(t, c, e.ts.URL+"/batches/"+strconv.FormatInt(b.ID, 10))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s", resp.Status)
			}
			items := page[strings.Index(page, `class="cards items"`):]
			if !strings.Contains(items, tc.want) || strings.Contains(items, tc.not) {
				t.Fatalf("reason not in %s (want %q, not %q):\n%s", tc.locale, tc.want, tc.not, items)
			}
		})
	}
}
