package scheduler

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/retentiond/retentiond/connectors/memory"
)

// A connector that reads many items at once (connectors.BatchStater, as
// mailboxes do) is asked about the interrupted slice in one StatBatch
// call, with the slice's items in order, and not one Stat at a time; the
// reconciliation records the same outcomes either way: the items the
// crashed run deleted, found absent, recorded deleted; one changed since
// (at a path: recorded deleted, the new version left alone); one removed
// behind its back, recorded deleted; the rest deleted now.
func TestReconcileAsksAboutASliceInOneBatch(t *testing.T) {
	const n, crashAfter = 600, 100
	paths := func() []string {
		var ps []string
		for i := range n {
			dir := "a"
			if i >= n/2 {
				dir = "z"
			}
			ps = append(ps, fmt.Sprintf("old/%s/%04d.txt", dir, i))
		}
		return ps
	}()
	changed, removed := paths[150], paths[151]
	run := func(t *testing.T, batch bool) (outcomes []string, stats int, batches [][]string) {
		e, _ := approvedMany(t, n)
		e.src.SetBatchStat(batch)
		e.interruptAfter(crashAfter)
		e.src.Modify(changed)
		e.src.Remove(removed)
		var mu sync.Mutex
		e.src.SetFaults(memory.Faults{
			Stat: func(string) error { mu.Lock(); stats++; mu.Unlock(); return nil },
			StatBatch: func(refs []string) {
				mu.Lock()
				batches = append(batches, slices.Clone(refs))
				mu.Unlock()
			},
		})
		if err := e.p.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.src.SetFaults(memory.Faults{})
		if _, err := e.p.Execute(context.Background(), 0, "it"); err != nil {
			t.Fatal(err)
		}
		d := e.deletions()
		for _, p := range paths {
			outcomes = append(outcomes, p+" "+fmt.Sprint(d[e.ref(p)]))
		}
		if !e.src.Exists(changed) {
			t.Error("the changed item was deleted")
		}
		return outcomes, stats, batches
	}
	one, oneStats, none := run(t, false)
	many, manyStats, batches := run(t, true)
	if len(none) != 0 || oneStats != ExecSlice {
		t.Errorf("without StatBatch: %d Stat calls, %d StatBatch calls; want %d and none", oneStats, len(none), ExecSlice)
	}
	if len(batches) != 1 || !slices.Equal(batches[0], paths[:ExecSlice]) {
		t.Fatalf("StatBatch calls: %d, the first of %d refs; want one with the slice in flight (%d)", len(batches), len(slices.Concat(batches...)), ExecSlice)
	}
	if manyStats != ExecSlice {
		t.Errorf("%d Stat calls besides those StatBatch made", manyStats-ExecSlice)
	}
	if !slices.Equal(one, many) {
		for i := range one {
			if one[i] != many[i] {
				t.Errorf("through Stat: %s; through StatBatch: %s", one[i], many[i])
			}
		}
	}
	for _, o := range []string{changed + " [deleted]", removed + " [deleted]", paths[0] + " [deleted]", paths[599] + " [deleted]"} {
		if !slices.Contains(one, o) {
			t.Errorf("want %s", o)
		}
	}
}
