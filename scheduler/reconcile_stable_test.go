package scheduler

import (
	"errors"
	"strings"

	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/retentiond/retentiond/connectors"

	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/store"
)

// An item of the slice in flight at a crash, changed before the restart:
// at a path, the approved version may have been deleted and another put
// in its place, so its deletion is recorded and the new version left
// alone; at a stable ref (a message's id) it is the approved item itself,
// changed and not deleted, so it is recorded changed. Either way the
// changed item stays. At stable refs, the items found absent are not
// looked for elsewhere in the source (no listing).
func TestReconcileChangedItemAtStableRef(t *testing.T) {
	for _, tc := range []struct {
		stable  bool
		want    string
		lists   int
		deleted int64
	}{
		{stable: false, want: "[deleted]", lists: 1, deleted: 10},
		{stable: true, want: "[changed]", lists: 0, deleted: 9},
	} {
		t.Run(fmt.Sprint("stable=", tc.stable), func(t *testing.T) {
			e, b := approvedMany(t, 10)
			e.src.SetStableRefs(tc.stable)
			e.interruptAfter(3)
			open, err := e.p.Store.OpenIntents(context.Background())
			if err != nil || len(open) != 1 {
				t.Fatalf("open intents: %v %v", open, err)
			}
			c, err := e.p.Store.Chunk(context.Background(), b.ID, open[0].Seq)
			if err != nil {
				t.Fatal(err)
			}
			changed := ""
			for _, it := range c.Items[open[0].Progress:] {
				if e.src.Exists(it.Ref) {
					changed = it.Ref
					break
				}
			}
			if changed == "" {
				t.Fatal("test setup: every item of the slice was deleted before the crash")
			}
			e.src.Modify(changed)
			var mu sync.Mutex
			lists := 0
			e.src.SetFaults(memory.Faults{List: func() error { mu.Lock(); lists++; mu.Unlock(); return nil }})
			if err := e.p.Reconcile(context.Background()); err != nil {
				t.Fatal(err)
			}
			if lists != tc.lists {
				t.Errorf("%d listings of the source while reconciling, want %d", lists, tc.lists)
			}
			e.src.SetFaults(memory.Faults{})
			if _, err := e.p.Execute(context.Background(), 0, "it"); err != nil {
				t.Fatal(err)
			}
			if !e.src.Exists(changed) {
				t.Fatal("the changed item was deleted")
			}
			d := e.deletions()
			if got := fmt.Sprint(d[e.ref(changed)]); got != tc.want {
				t.Errorf("ledger outcomes of the changed item: %s, want %s", got, tc.want)
			}
			var deleted int64
			for ref, os := range d {
				if ref != e.ref(changed) && (len(os) != 1 || os[0] != "deleted") {
					t.Errorf("%s: %v", ref, os)
				}
				for _, o := range os {
					if o == "deleted" {
						deleted++
					}
				}
			}
			if got, _ := e.p.Store.Batch(context.Background(), b.ID); got.Status != store.StatusDone || got.Deleted != tc.deleted || deleted != tc.deleted {
				t.Fatalf("batch %+v, %d deleted in the ledger", got, deleted)
			}
		})
	}
}

// Items swapped between the crash and the restart, while the source's
// listing is incomplete: the versions are looked for one item at a time
// instead, so the swapped items are still not recorded deleted; and an
// item that cannot be read then keeps the intent open (run again)
// rather than a version the source could not show being taken for
// deleted.
func TestReconcileIncompleteListing(t *testing.T) {
	incomplete := func() error {
		return &connectors.IncompleteError{Skipped: []error{connectors.Errorf(connectors.CodePermission, "list", "old/z", errors.New("access denied"))}}
	}
	swap := func(t *testing.T, e *env, a, b string) {
		t.Helper()
		conn := e.src.Connector()
		ia, err := conn.Stat(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		ib, err := conn.Stat(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		ia.Ref, ia.Container, ib.Ref, ib.Container = b, "", a, ""
		e.src.PutItem(ia)
		e.src.PutItem(ib)
	}
	// a is in the slice in flight (the first ExecSlice items, of which
	// the interrupted run deleted 100), b in a later one: only a search
	// beyond the slice finds a's version.
	a, b := "old/a/0200.txt", "old/z/1500.txt"

	t.Run("found by stat", func(t *testing.T) {
		e, _ := approvedMany(t, 2000)
		e.interruptAfter(100)
		swap(t, e, a, b)
		e.src.SetFaults(memory.Faults{List: incomplete})
		if err := e.p.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.src.SetFaults(memory.Faults{})
		if _, err := e.p.Execute(context.Background(), 0, "it"); err != nil {
			t.Fatal(err)
		}
		e.wantSwappedKept(t, a, b)
	})
	t.Run("unreadable item", func(t *testing.T) {
		e, _ := approvedMany(t, 2000)
		e.interruptAfter(100)
		swap(t, e, a, b)
		e.src.SetFaults(memory.Faults{List: incomplete, Stat: func(ref string) error {
			if ref == b {
				return connectors.Errorf(connectors.CodePermission, "stat", ref, errors.New("access denied"))
			}
			return nil
		}})
		if err := e.p.Reconcile(context.Background()); err == nil || !strings.Contains(err.Error(), "the intent stays open") {
			t.Fatalf("reconcile: %v, want the intent kept open", err)
		}
		if open, _ := e.p.Store.OpenIntents(context.Background()); len(open) != 1 {
			t.Fatalf("%d open intents, want 1", len(open))
		}
		if got := fmt.Sprint(e.deletions()[e.ref(a)]); got != "[]" {
			t.Errorf("%s: ledger outcomes %s before the source could be read", a, got)
		}
	})
}
