package scheduler

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store"
)

// BenchmarkPlanBatchIndex plans a source of n files, all due (the plan
// cuts one batch of n items and writes its summary and search index,
// store.Tx.IndexBatch, in the transaction that cuts it), then writes the
// batch's index once more on its own, in the same run: index/plan-without
// is the share of the plan the index costs.
//
//	RETENTIOND_BENCH_ITEMS=1000000 go test ./scheduler -run '^$' -bench PlanBatchIndex -benchtime 2x
func BenchmarkPlanBatchIndex(b *testing.B) {
	n := 100000
	if s := os.Getenv("RETENTIOND_BENCH_ITEMS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("RETENTIOND_BENCH_ITEMS: %v", err)
		}
		n = v
	}
	var plan, index time.Duration
	for range b.N {
		b.StopTimer()
		e := newEnvB(b)
		for i := range n {
			e.src.Put(fmt.Sprintf("old/elev-%05d/dokument-%d.txt", i/10, i%10), []byte("x"), now.Add(-40*24*time.Hour))
		}
		runtime.GC()
		b.StartTimer()
		t0 := time.Now()
		res, err := e.p.Plan(context.Background(), PlanOptions{Source: "src", Planner: "it"})
		if err != nil || len(res.Batches) != 1 || res.Batches[0].Items != int64(n) {
			b.Fatalf("plan: %v %+v", err, res)
		}
		plan += time.Since(t0)
		b.StopTimer()
		runtime.GC()
		t1 := time.Now()
		if err := e.p.Store.Write(context.Background(), func(tx *store.Tx) error { return tx.IndexBatch(res.Batches[0].ID) }); err != nil {
			b.Fatal(err)
		}
		index += time.Since(t1)
		e.p.Close()
	}
	b.ReportMetric(plan.Seconds()/float64(b.N), "s/plan")
	b.ReportMetric(index.Seconds()/float64(b.N), "s/index")
	b.ReportMetric(index.Seconds()/(plan-index).Seconds(), "index/plan-without")
}
