package scheduler

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkPlanExecute plans, approves and executes b.N items of one rule
// on the in-memory connector: the cost of the pipeline and the ledger
// without any file system.
func BenchmarkPlanExecute(b *testing.B) {
	e := newEnvB(b)
	for i := range b.N {
		e.src.Put(fmt.Sprintf("old/%04d/%d.txt", i/500, i), []byte("x"), now.Add(-40*24*time.Hour))
	}
	b.ReportAllocs()
	b.ResetTimer()
	res, err := e.p.Plan(context.Background(), PlanOptions{Source: "src", Planner: "it"})
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Batches) != 1 {
		b.Fatalf("batches %+v", res.Batches)
	}
	if _, _, err := e.p.Approve(context.Background(), res.Batches[0].ID, "anna", ""); err != nil {
		b.Fatal(err)
	}
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil || rs[0].Deleted != int64(b.N) {
		b.Fatalf("%v %+v", err, rs)
	}
}

// BenchmarkExecuteSlices executes a batch of 20,000 approved items on the
// in-memory connector with the decisions read again before every slice of
// ExecSlice items, against slices as large as a plan's chunks (2048, the
// granularity before decisions were re-read per slice), in one run: the
// ratio is the cost of reading status, approvals, the ledger check and the
// holds before every slice.
//
//	go test ./scheduler -run '^$' -bench ExecuteSlices -benchtime 5x
func BenchmarkExecuteSlices(b *testing.B) {
	const n = 20000
	for _, size := range []int{ExecSlice, 2048} {
		b.Run(fmt.Sprintf("slice=%d", size), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				e := newEnvB(b)
				e.p.slice = size
				for i := range n {
					e.src.Put(fmt.Sprintf("old/%04d/%d.txt", i/500, i), []byte("x"), now.Add(-40*24*time.Hour))
				}
				res, err := e.p.Plan(context.Background(), PlanOptions{Source: "src", Planner: "it"})
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := e.p.Approve(context.Background(), res.Batches[0].ID, "anna", ""); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				rs, err := e.p.Execute(context.Background(), 0, "it")
				if err != nil || rs[0].Deleted != n {
					b.Fatalf("%v %+v", err, rs)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/item")
		})
	}
}
