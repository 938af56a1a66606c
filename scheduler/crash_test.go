package scheduler

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/store"
)

type crash struct{ at string }

// TestCrashRecovery interrupts execution at every step (before the first
// deletion, after each deletion before it is recorded) and restarts. After
// the restart: every approved item is deleted exactly once in the ledger,
// nothing outside the batch is touched, and the ledger verifies.
func TestCrashRecovery(t *testing.T) {
	const n = 7
	for step := 0; step <= n; step++ {
		t.Run(fmt.Sprintf("crash_after_%d_deletions", step), func(t *testing.T) {
			e := newEnv(t)
			for i := range n {
				e.put(fmt.Sprintf("old/%d.txt", i), 40*24*time.Hour)
			}
			e.put("old/recent.txt", time.Hour)
			e.put("elsewhere/x.txt", 400*24*time.Hour)
			b := e.batch(e.plan(), "OLD")
			if _, _, err := e.p.Approve(context.Background(), b.ID, "anna", ""); err != nil {
				t.Fatal(err)
			}
			deleted := 0
			e.src.SetFaults(memory.Faults{
				BeforeDelete: func(string) error {
					if deleted == step {
						panic(crash{"before delete"})
					}
					return nil
				},
				AfterDelete: func(string) { deleted++ },
			})
			func() {
				defer func() {
					r := recover()
					if _, ok := r.(crash); !ok && step < n {
						t.Fatalf("expected a crash, got %v", r)
					}
				}()
				e.p.Execute(context.Background(), 0, "it")
			}()
			// The process died: its connections are gone, whatever it had
			// not committed is lost.
			e.p.Close()
			e.src.SetFaults(memory.Faults{})
			e.reopen()
			if step < n {
				var open []store.Intent
				open, _ = e.p.Store.OpenIntents(context.Background())
				if len(open) != 1 {
					t.Fatalf("%d open intents after the crash, want 1", len(open))
				}
			}
			rs, err := e.p.Execute(context.Background(), 0, "it")
			if err != nil {
				t.Fatalf("execute after restart: %v %+v", err, rs)
			}
			for i := range n {
				if e.src.Exists(fmt.Sprintf("old/%d.txt", i)) {
					t.Errorf("approved item %d not deleted", i)
				}
			}
			if !e.src.Exists("old/recent.txt") || !e.src.Exists("elsewhere/x.txt") {
				t.Fatal("an item outside the batch was deleted")
			}
			d := e.deletions()
			if len(d) != n {
				t.Fatalf("%d items in the ledger, want %d: %v", len(d), n, d)
			}
			for i := range n {
				if got := fmt.Sprint(d[e.ref(fmt.Sprintf("old/%d.txt", i))]); got != "[deleted]" {
					t.Errorf("item %d: ledger outcomes %s, want exactly one deletion", i, got)
				}
			}
			got, _ := e.p.Store.Batch(context.Background(), b.ID)
			if got.Status != store.StatusDone || got.Deleted != n {
				t.Fatalf("batch after recovery: %+v", got)
			}
		})
	}
}
