package scheduler

import (
	"context"
	"testing"
	"time"
)

// TestPlanWritesBatchIndex: a plan writes the summary and search index of
// each batch it cuts, in the transaction that cuts it; a re-plan that
// cuts a batch of the new items beside an open one does too.
func TestPlanWritesBatchIndex(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.put("old/a/1.txt", 40*24*time.Hour)
	e.put("old/a/2.txt", 40*24*time.Hour)
	e.put("old/b/3.txt", 40*24*time.Hour)
	first := e.batch(e.plan(), "OLD")
	e.put("old/c/4.txt", 40*24*time.Hour)
	second := e.batch(e.plan(), "OLD")
	if second.ID == first.ID || second.Items != 1 {
		t.Fatalf("re-plan cut %+v beside %+v", second, first)
	}
	for _, b := range []int64{first.ID, second.ID} {
		// Indexed before anything reads a summary: the plan wrote it.
		if ok, err := e.p.Store.BatchIndexed(ctx, b); err != nil || !ok {
			t.Fatalf("batch %d has no index after its plan (%v)", b, err)
		}
	}
	sum, err := e.p.Store.BatchSummary(ctx, first.ID)
	if err != nil || sum.Items != 3 || sum.Folders.Keys != 2 || sum.Folders.Top[0].Key != "old/a" || sum.Folders.Top[0].Items != 2 {
		t.Fatalf("summary %+v (%v)", sum, err)
	}
}
