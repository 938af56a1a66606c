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
