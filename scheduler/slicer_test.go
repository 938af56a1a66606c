package scheduler

import (
	"context"
	"fmt"
	"testing"

	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/store"
)

// Execution commits once per slice, not twice: a slice's outcomes are
// recorded in the transaction that opens the next slice's intent, and the
// last slice's (of the batch, or of each chunk run in parallel) in one of
// their own. Every slice still has its own intent, every item its
// deletion entry, and the ledger verifies.
func TestExecuteCommitsOncePerSlice(t *testing.T) {
	for _, parallel := range []int{1, 3} {
		t.Run(fmt.Sprintf("parallel_%d", parallel), func(t *testing.T) {
			e, b := approvedOld(t, parallel)
			var chunks, slices int64
			err := e.p.Store.BatchChunks(context.Background(), b.ID, func(c store.Chunk) error {
				chunks++
				slices += int64((len(c.Items) + ExecSlice - 1) / ExecSlice)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if chunks < 3 {
				t.Fatalf("test setup: %d chunks, want 3 or more", chunks)
			}
			before := e.p.execCommits.Load()
			rs, err := e.p.Execute(context.Background(), 0, "it")
			if err != nil || len(rs) != 1 || rs[0].Err != nil || rs[0].Deleted != items {
				t.Fatalf("execute: %v %+v", err, rs)
			}
			want := slices + 1 // one per slice, and the last outcomes
			if parallel > 1 {
				want = slices + chunks // the last outcomes of each chunk
			}
			if got := e.p.execCommits.Load() - before; got != want {
				t.Errorf("%d commits for %d slices in %d chunks, want %d", got, slices, chunks, want)
			}
			db := e.rawDB()
			var intents, open int64
			if err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE state = 'open') FROM intent WHERE batch_id = ?`, b.ID).Scan(&intents, &open); err != nil {
				t.Fatal(err)
			}
			if intents != slices || open != 0 {
				t.Errorf("%d intents (%d open), want one closed intent per slice (%d)", intents, open, slices)
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
			if got, _ := e.p.Store.Batch(context.Background(), b.ID); got.Status != store.StatusDone || got.Deleted != items {
				t.Fatalf("batch: %+v", got)
			}
		})
	}
}

// The process dies at every step of a batch of several slices: before
// each deletion (the previous slice's outcomes and this slice's intent
// were committed together) and after each (the slice's outcomes are not
// recorded; after a slice's last item, the next slice's decisions were
// not taken yet). After a restart exactly one intent was open, every
// approved item is recorded deleted exactly once, nothing else is
// touched, and the ledger verifies.
func TestCrashRecoveryAcrossSlices(t *testing.T) {
	const n, size = 10, 3
	for _, when := range []string{"before", "after"} {
		for step := range n {
			t.Run(fmt.Sprintf("crash_%s_deletion_%d", when, step), func(t *testing.T) {
				e, b := approvedMany(t, n)
				e.p.slice = size
				deleted := 0
				e.src.SetFaults(memory.Faults{
					BeforeDelete: func(string) error {
						if when == "before" && deleted == step {
							panic(crash{"before delete"})
						}
						return nil
					},
					AfterDelete: func(string) {
						if deleted++; when == "after" && deleted == step+1 {
							panic(crash{"after delete"})
						}
					},
				})
				func() {
					defer func() {
						if _, ok := recover().(crash); !ok {
							t.Fatal("expected a crash")
						}
					}()
					e.p.Execute(context.Background(), 0, "it")
				}()
				e.p.Close()
				e.src.SetFaults(memory.Faults{})
				e.reopen()
				open, err := e.p.Store.OpenIntents(context.Background())
				if err != nil || len(open) != 1 {
					t.Fatalf("%d open intents after the crash (%v), want 1", len(open), err)
				}
				if want := int64(step / size); open[0].Progress != int(want)*size {
					t.Errorf("open intent %+v, want the one of slice %d", open[0], want)
				}
				e.p.slice = size
				rs, err := e.p.Execute(context.Background(), 0, "it")
				if err != nil || len(rs) != 1 || rs[0].Err != nil {
					t.Fatalf("execute after restart: %v %+v", err, rs)
				}
				if e.src.Len() != 1 || !e.src.Exists("elsewhere/x.txt") {
					t.Fatalf("%d items left, want only elsewhere/x.txt", e.src.Len())
				}
				d := e.deletions()
				if len(d) != n {
					t.Fatalf("%d items in the ledger, want %d: %v", len(d), n, d)
				}
				for ref, outcomes := range d {
					if len(outcomes) != 1 || outcomes[0] != "deleted" {
						t.Errorf("%s: ledger outcomes %v, want exactly one deletion", ref, outcomes)
					}
				}
				if got, _ := e.p.Store.Batch(context.Background(), b.ID); got.Status != store.StatusDone || got.Deleted != n {
					t.Fatalf("batch after recovery: %+v", got)
				}
			})
		}
	}
}

// A hold placed while a slice is deleted (here: as its last item goes)
// is read before the next slice is decided, although that slice's intent
// is opened in the transaction that records the previous slice: nothing
// after the slice in flight goes.
func TestHoldDuringSliceStopsTheNextSlice(t *testing.T) {
	const n, size = 12, 4
	e, b := approvedMany(t, n)
	e.p.slice = size
	deleted := 0
	e.src.SetFaults(memory.Faults{AfterDelete: func(string) {
		if deleted++; deleted == size {
			if _, err := e.p.AddHold(context.Background(), "it", HoldSpec{Path: "old/**", Reason: "complaint", Owner: "dpo"}); err != nil {
				t.Error(err)
			}
		}
	}})
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil || len(rs) != 1 {
		t.Fatalf("execute: %v %+v", err, rs)
	}
	if deleted != size {
		t.Fatalf("%d items deleted, want the %d of the slice in flight", deleted, size)
	}
	d := e.deletions()
	held := 0
	for _, outcomes := range d {
		if len(outcomes) == 1 && outcomes[0] == outcomeSkippedHold {
			held++
		}
	}
	if len(d) != n || held != n-size {
		t.Fatalf("ledger: %d items, %d skipped_hold, want %d and %d: %v", len(d), held, n, n-size, d)
	}
	if got, _ := e.p.Store.Batch(context.Background(), b.ID); got.Status != store.StatusDone || got.Deleted != size {
		t.Fatalf("batch: %+v", got)
	}
}
