package scheduler

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/store"
)

// items is more than two chunks of a plan, so that a batch of it has
// three chunks to run side by side.
const items = 5000

// approvedOld returns an environment whose source allows parallel
// DeleteBatch calls and holds items due under rule OLD, a recent item under
// old/ and one elsewhere, with the OLD batch planned and approved.
func approvedOld(t *testing.T, parallel int) (*env, store.Batch) {
	e := newEnv(t)
	e.src.SetDeleteConcurrency(parallel)
	for i := range items {
		e.put(fmt.Sprintf("old/%04d.txt", i), 40*24*time.Hour)
	}
	e.put("old/recent.txt", time.Hour)
	e.put("elsewhere/x.txt", 400*24*time.Hour)
	b := e.batch(e.plan(), "OLD")
	if _, _, err := e.p.Approve(context.Background(), b.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	return e, b
}

// A connector that allows concurrent DeleteBatch calls gets up to that
// many chunks at once, never more, and every item is recorded once.
func TestExecuteRunsChunksConcurrently(t *testing.T) {
	e, b := approvedOld(t, 2)
	var (
		mu             sync.Mutex
		inFlight, most int
	)
	e.src.SetFaults(memory.Faults{BeforeDelete: func(string) error {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		overlapped := most > 1
		mu.Unlock()
		if !overlapped {
			time.Sleep(time.Millisecond) // give the next chunk time to start
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
		return nil
	}})
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil || len(rs) != 1 || rs[0].Err != nil || rs[0].Deleted != items {
		t.Fatalf("execute: %v %+v", err, rs)
	}
	if most != 2 {
		t.Errorf("at most %d deletions were in flight at once, want 2 (DeleteConcurrency)", most)
	}
	if e.src.Len() != 2 || !e.src.Exists("old/recent.txt") || !e.src.Exists("elsewhere/x.txt") {
		t.Fatalf("%d items left, want old/recent.txt and elsewhere/x.txt", e.src.Len())
	}
	d := e.deletions()
	if len(d) != items {
		t.Fatalf("%d items in the ledger, want %d", len(d), items)
	}
	for ref, outcomes := range d {
		if len(outcomes) != 1 || outcomes[0] != "deleted" {
			t.Fatalf("%s: ledger outcomes %v, want exactly one deletion", ref, outcomes)
		}
	}
	got, _ := e.p.Store.Batch(context.Background(), b.ID)
	if got.Status != store.StatusDone || got.Deleted != items {
		t.Fatalf("batch: %+v", got)
	}
}

// The process dies while several chunks are being deleted: the store is
// gone mid-flight, so several intents stay open and outcomes of items
// already deleted are lost. After a restart every approved item is
// recorded as deleted exactly once, nothing else is touched, and the
// ledger verifies.
func TestCrashRecoveryConcurrentChunks(t *testing.T) {
	for _, after := range []int{1, 2100, 4500} {
		t.Run(fmt.Sprintf("crash_after_%d_deletions", after), func(t *testing.T) {
			e, b := approvedOld(t, 3)
			e.crashAfterDeletions(after)
			open, err := e.p.Store.OpenIntents(context.Background())
			if err != nil || len(open) == 0 {
				t.Fatalf("open intents after the crash: %v %v", open, err)
			}
			rs, err := e.p.Execute(context.Background(), 0, "it")
			if err != nil || len(rs) != 1 || rs[0].Err != nil {
				t.Fatalf("execute after restart: %v %+v", err, rs)
			}
			if e.src.Len() != 2 || !e.src.Exists("old/recent.txt") || !e.src.Exists("elsewhere/x.txt") {
				t.Fatalf("%d items left, want old/recent.txt and elsewhere/x.txt", e.src.Len())
			}
			d := e.deletions()
			if len(d) != items {
				t.Fatalf("%d items in the ledger, want %d", len(d), items)
			}
			for i := range items {
				if got := fmt.Sprint(d[e.ref(fmt.Sprintf("old/%04d.txt", i))]); got != "[deleted]" {
					t.Fatalf("item %d: ledger outcomes %s, want exactly one deletion", i, got)
				}
			}
			got, _ := e.p.Store.Batch(context.Background(), b.ID)
			if got.Status != store.StatusDone || got.Deleted != items {
				t.Fatalf("batch after recovery: %+v", got)
			}
		})
	}
}
