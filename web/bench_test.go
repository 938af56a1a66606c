package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/retentiond/retentiond/store"
)

// benchItems is the size of the batch BenchmarkBatchPage pages through:
// RETENTIOND_BENCH_ITEMS, 1,000,000 by default.
func benchItems() int {
	if n, err := strconv.Atoi(os.Getenv("RETENTIOND_BENCH_ITEMS")); err == nil && n > 0 {
		return n
	}
	return 1000000
}

func benchPath(i int) string {
	return fmt.Sprintf("two/Elever/elev-%06d/dokument-%d.pdf", i/10, i%10)
}

// BenchmarkBatchPage measures the server time of a batch page of a
// 1,000,000-item batch: the first page, the page in its middle, a search
// whose page fills at once, and a search that finds one item at the end
// (every chunk is read). The batch is written to the store directly, as
// the planner stores it (bench/batchshowbench does the same).
//
//	go test ./web -run '^$' -bench BatchPage -benchtime 20x
func BenchmarkBatchPage(b *testing.B) {
	e := newTestEnv(b, "da")
	ctx := context.Background()
	n := benchItems()
	rule := e.p.Config.Policies.Rule("TWO")
	now := start
	w, err := e.p.Store.NewPlan(ctx, store.Plan{Source: "src", SourceKind: "memory", CreatedAt: store.Time{Time: now}, Today: "2026-11-22",
		Planner: "it", PolicyDigest: rule.Policy.Digest})
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		it := store.PlanItem{Ref: benchPath(i), Version: fmt.Sprintf("v%d", i), Container: fmt.Sprintf("two/Elever/elev-%06d", i/10),
			Size: 123456, Verdict: "due", Rule: "TWO", Anchor: "2026-09-01", Due: "2026-09-02"}
		if err := w.Add(ctx, it); err != nil {
			b.Fatal(err)
		}
	}
	var batch store.Batch
	_, _, err = w.Finish(ctx, store.Plan{Listed: int64(n)}, func(tx *store.Tx, p *store.Plan, totals []store.RuleTotal) error {
		batch = store.Batch{PlanID: p.ID, Source: "src", Rule: "TWO", Policy: rule.Policy.ID, PolicyDigest: rule.Policy.Digest,
			CreatedAt: store.Time{Time: now}, Planner: "it", Items: totals[0].Items, Bytes: totals[0].Bytes,
			Fingerprint: totals[0].Fingerprint, Status: store.StatusPending, UpdatedAt: store.Time{Time: now}}
		if batch.ID, err = tx.CreateBatch(&batch); err != nil {
			return err
		}
		// The summary and search index, as the planner writes them.
		return tx.IndexBatch(batch.ID)
	})
	if err != nil {
		b.Fatal(err)
	}
	client := e.signIn("anna")
	u, _ := url.Parse(e.ts.URL)
	cookies := client.Jar.Cookies(u)
	last := benchPath(n - 1)
	da := Locale{Lang: "da"}
	mid := max(1, n/(2*PageSize))
	get := func(b *testing.B, query, want string) {
		req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/batches/%d%s", batch.ID, query), nil)
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
			b.Errorf("%s: %d, want %q in:\n%.3000s", query, rec.Code, want, rec.Body.String())
		}
	}
	// 20 sessions page through the batch at once (each its own pages, and
	// a search): peak RSS (VmHWM, reset first) stays flat.
	b.Run("20_sessions", func(b *testing.B) {
		resetPeakRSS()
		for b.Loop() {
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Go(func() {
					for p := 1; p <= 5; p++ {
						get(b, fmt.Sprintf("?page=%d", i*5+p), "Viser")
					}
					get(b, "?q=elev-"+fmt.Sprintf("%06d", i), "fund")
				})
			}
			wg.Wait()
		}
		if mb := peakRSSMB(); mb > 0 {
			b.ReportMetric(mb, "peak-RSS-MB")
		}
	})
	for _, c := range []struct{ name, query, want string }{
		{"first", "", "Viser 1–100 af"},
		{"middle", fmt.Sprintf("?page=%d", mid), fmt.Sprintf("Viser %s–%s af", da.Number(int64((mid-1)*PageSize+1)), da.Number(int64(mid*PageSize)))},
		{"search_fills", "?q=dokument-3", "Viser 1–100 af flere fund"},
		{"search_one_at_end", "?q=" + url.QueryEscape(strings.TrimPrefix(last, "two/")), "Viser 1–1 af 1 fund"},
		{"search_short_query", "?q=" + url.QueryEscape("æ"), "Ingen stier"}, // two bytes: no trigram, every chunk's bytes read
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/batches/%d%s", batch.ID, c.query), nil)
				for _, ck := range cookies {
					req.AddCookie(ck)
				}
				rec := httptest.NewRecorder()
				e.srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), c.want) {
					b.Fatalf("%s: %d, want %q in:\n%.3000s", c.name, rec.Code, c.want, rec.Body.String())
				}
			}
		})
	}
	// The summary computed again after a withdrawal (each iteration
	// withdraws one item, then loads the first page).
	b.Run("first_after_withdrawal", func(b *testing.B) {
		benchWithdrawn(b, e, batch.ID, func(b *testing.B) { get(b, "", "Viser 1–100 af") })
	})
}

// BenchmarkBatchPage's last case: after a withdrawal the page computes
// the summary again (one pass over the batch's chunks) and stores it; the
// views after that read it. Each iteration withdraws one more item.
func benchWithdrawn(b *testing.B, e *testEnv, batch int64, get func(*testing.B)) {
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		err := e.p.Store.Write(context.Background(), func(tx *store.Tx) error {
			_, err := tx.Withdraw(store.Withdrawal{BatchID: batch, Ref: benchPath(i), Version: fmt.Sprintf("v%d", i), Code: "changed", At: store.Time{Time: start}})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		get(b)
	}
}

// resetPeakRSS resets the process's peak resident set (Linux: VmHWM).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMB is the process's peak resident set since resetPeakRSS, in MB
// (0 where /proc does not tell).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}
