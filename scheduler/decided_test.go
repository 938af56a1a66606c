package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// Decisions people take while a batch runs take effect at the next slice:
// these tests take them from inside the connector's DeleteBatch, the
// moment a slice is in flight.

// approvedMany returns an environment with n items due under OLD, in
// folders old/a (the first half, in ref order) and old/z, the OLD batch
// planned and approved by anna, and an item outside the batch.
func approvedMany(t *testing.T, n int) (*env, store.Batch) {
	t.Helper()
	e := newEnv(t)
	for i := range n {
		dir := "a"
		if i >= n/2 {
			dir = "z"
		}
		e.put(fmt.Sprintf("old/%s/%04d.txt", dir, i), 40*24*time.Hour)
	}
	e.put("elsewhere/x.txt", 400*24*time.Hour)
	b := e.batch(e.plan(), "OLD")
	if _, _, err := e.p.Approve(context.Background(), b.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	return e, b
}

// types counts ledger entries of each type for batch id.
func (e *env) types(id int64) map[ledger.Type]int {
	out := map[ledger.Type]int{}
	for _, en := range e.entries() {
		if en.Batch == id {
			out[en.Type]++
		}
	}
	return out
}

// remaining counts the items of the source under prefix.
func (e *env) remaining(prefix string, n int) int {
	left := 0
	for i := range n {
		for _, dir := range []string{"a", "z"} {
			if strings.HasPrefix(fmt.Sprintf("old/%s/", dir), prefix) && e.src.Exists(fmt.Sprintf("old/%s/%04d.txt", dir, i)) {
				left++
			}
		}
	}
	return left
}

// A batch rejected while it runs stops after the slice in flight: nothing
// after it is deleted, the stop is in the ledger, and the ledger verifies.
func TestRejectWhileExecutingStopsAfterTheSliceInFlight(t *testing.T) {
	const n = 1000
	e, b := approvedMany(t, n)
	rejected := false
	e.src.SetFaults(memory.Faults{BeforeDelete: func(string) error {
		if !rejected {
			rejected = true
			res, err := e.p.Reject(context.Background(), b.ID, "bo", DecisionOptions{Reason: "a case is still open"})
			if err != nil || !res.WasExecuting {
				t.Errorf("reject during execution: %+v %v", res, err)
			}
		}
		return nil
	}})
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil || len(rs) != 1 || rs[0].Err != nil {
		t.Fatalf("execute: %v %+v", err, rs)
	}
	if rs[0].Stopped == "" || rs[0].Deleted != ExecSlice {
		t.Fatalf("result %+v: want stopped after the slice in flight (%d deleted)", rs[0], ExecSlice)
	}
	if left := e.remaining("old/", n); left != n-ExecSlice {
		t.Fatalf("%d items left, want %d: only the slice in flight may complete after a rejection", left, n-ExecSlice)
	}
	got, _ := e.p.Store.Batch(context.Background(), b.ID)
	if got.Status != store.StatusRejected {
		t.Fatalf("batch is %s, want rejected", got.Status)
	}
	ty := e.types(b.ID)
	if ty[ledger.TypeExecutionStopped] != 1 || ty[ledger.TypeExecutionFinished] != 0 || ty[ledger.TypeExecutionStarted] != 1 {
		t.Fatalf("ledger entries of the batch: %v", ty)
	}
	if len(e.deletions()) != ExecSlice {
		t.Fatalf("%d deletion entries, want %d", len(e.deletions()), ExecSlice)
	}
	// Executing again does nothing more.
	rs, err = e.p.Execute(context.Background(), 0, "it")
	if err != nil || len(rs) != 0 {
		t.Fatalf("execute again: %v %+v", err, rs)
	}
	if left := e.remaining("old/", n); left != n-ExecSlice {
		t.Fatalf("%d items left after a second run, want %d", left, n-ExecSlice)
	}
}

// A batch rejected after Execute listed it, but before it began, is not
// started: its status is read again under the source's lock.
func TestRejectAfterListingIsRespected(t *testing.T) {
	e := newEnv(t)
	for i := range 20 {
		e.put(fmt.Sprintf("old/%02d.txt", i), 40*24*time.Hour)
		e.put(fmt.Sprintf("two/%02d.txt", i), 40*24*time.Hour)
	}
	res := e.plan()
	old, two := e.batch(res, "OLD"), e.batch(res, "TWO")
	ctx := context.Background()
	for _, a := range []struct {
		id  int64
		who string
	}{{old.ID, "anna"}, {two.ID, "anna"}, {two.ID, "bo"}} {
		if _, _, err := e.p.Approve(ctx, a.id, a.who, ""); err != nil {
			t.Fatal(err)
		}
	}
	first, second := old, two
	if two.ID < old.ID {
		first, second = two, old
	}
	rejected := false
	e.src.SetFaults(memory.Faults{BeforeDelete: func(string) error {
		if !rejected {
			rejected = true
			if _, err := e.p.Reject(ctx, second.ID, "bo", DecisionOptions{Reason: "not this one"}); err != nil {
				t.Errorf("reject: %v", err)
			}
		}
		return nil
	}})
	rs, err := e.p.Execute(ctx, 0, "it")
	if err != nil || len(rs) != 2 {
		t.Fatalf("execute: %v %+v", err, rs)
	}
	if rs[1].Batch != second.ID || rs[1].Stopped == "" || rs[1].Deleted != 0 {
		t.Fatalf("second batch: %+v, want stopped before it began", rs[1])
	}
	prefix := strings.ToLower(second.Rule) + "/"
	for i := range 20 {
		if !e.src.Exists(fmt.Sprintf("%s%02d.txt", prefix, i)) {
			t.Fatalf("an item of the rejected batch %d was deleted", second.ID)
		}
	}
	if ty := e.types(second.ID); ty[ledger.TypeExecutionStarted] != 0 || ty[ledger.TypeDeletion] != 0 {
		t.Fatalf("ledger of the rejected batch: %v", ty)
	}
	if ty := e.types(first.ID); ty[ledger.TypeExecutionFinished] != 1 {
		t.Fatalf("ledger of the first batch: %v", ty)
	}
}

// A batch another run executed after this run listed it is not executed a
// second time: no second execution_started or execution_finished.
func TestStaleListingDoesNotExecuteTwice(t *testing.T) {
	e, b := approvedMany(t, 10)
	stale := b
	stale.Status = store.StatusApproved
	if rs, err := e.p.Execute(context.Background(), 0, "it"); err != nil || len(rs) != 1 || rs[0].Deleted != 10 {
		t.Fatalf("execute: %v %+v", err, rs)
	}
	r, ran := e.p.executeBatch(context.Background(), &stale, "it")
	if ran || r.Err != nil || r.Deleted != 0 {
		t.Fatalf("stale execution: ran %v, %+v", ran, r)
	}
	if ty := e.types(b.ID); ty[ledger.TypeExecutionStarted] != 1 || ty[ledger.TypeExecutionFinished] != 1 {
		t.Fatalf("ledger entries of the batch: %v", ty)
	}
	if _, err := e.p.Execute(context.Background(), b.ID, "it"); !errors.Is(err, ErrState) {
		t.Fatalf("execute of a done batch: %v, want ErrState", err)
	}
}

// A hold placed while a batch runs keeps every item it covers that is not
// in the slice in flight.
func TestHoldPlacedWhileExecutingIsRespected(t *testing.T) {
	const n = 1000
	e, b := approvedMany(t, n)
	held := false
	e.src.SetFaults(memory.Faults{BeforeDelete: func(string) error {
		if !held {
			held = true
			if _, err := e.p.AddHold(context.Background(), "it", HoldSpec{Path: "old/z/**", Reason: "complaint", Owner: "dpo"}); err != nil {
				t.Errorf("add hold: %v", err)
			}
		}
		return nil
	}})
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil || len(rs) != 1 || rs[0].Err != nil {
		t.Fatalf("execute: %v %+v", err, rs)
	}
	if left := e.remaining("old/z/", n); left != n/2 {
		t.Fatalf("%d of %d held items left", left, n/2)
	}
	if left := e.remaining("old/a/", n); left != 0 {
		t.Fatalf("%d unheld items left, want 0", left)
	}
	outcomes := map[string]int{}
	for _, os := range e.deletions() {
		for _, o := range os {
			outcomes[o]++
		}
	}
	if outcomes["deleted"] != n/2 || outcomes["skipped_hold"] != n/2 {
		t.Fatalf("ledger outcomes %v", outcomes)
	}
	if got, _ := e.p.Store.Batch(context.Background(), b.ID); got.Status != store.StatusDone {
		t.Fatalf("batch is %s", got.Status)
	}
}

// interruptAfter runs Execute and simulates a crash after k deletions:
// the process dies between deleting and recording.
func (e *env) interruptAfter(k int) {
	e.t.Helper()
	deleted := 0
	e.src.SetFaults(memory.Faults{
		BeforeDelete: func(string) error {
			if deleted == k {
				panic(crash{"before delete"})
			}
			return nil
		},
		AfterDelete: func(string) { deleted++ },
	})
	func() {
		defer func() {
			if _, ok := recover().(crash); !ok {
				e.t.Fatal("expected a crash")
			}
		}()
		e.p.Execute(context.Background(), 0, "it")
	}()
	e.p.Close()
	e.src.SetFaults(memory.Faults{})
	e.reopen()
}

// crashAfterDeletions runs execute until the connector has deleted n
// items and then closes the store under it, so that nothing after is
// recorded (a crash between deleting and recording, with chunks running
// side by side), and reopens it.
func (e *env) crashAfterDeletions(n int) {
	e.t.Helper()
	var (
		mu      sync.Mutex
		deleted int
	)
	dead := e.p
	e.src.SetFaults(memory.Faults{AfterDelete: func(string) {
		mu.Lock()
		defer mu.Unlock()
		if deleted++; deleted == n {
			dead.Store.Close() // nothing after this is recorded
		}
	}})
	if rs, err := e.p.Execute(context.Background(), 0, "it"); err == nil && (len(rs) == 0 || rs[0].Err == nil) {
		e.t.Fatalf("execution went on after the store was gone: %+v", rs)
	}
	e.src.SetFaults(memory.Faults{})
	e.reopen()
}

// An item the interrupted run deleted and someone re-created at the same
// path before the restart: the deletion of the approved version is
// recorded, and the new file, a version nobody approved, is left alone.
func TestReconcileRecordsDeletionOfRecreatedItem(t *testing.T) {
	e, b := approvedMany(t, 10)
	e.interruptAfter(3)
	recreated := "old/a/0001.txt"
	if e.src.Exists(recreated) {
		t.Fatal("test setup: the item was not deleted before the crash")
	}
	e.src.Put(recreated, []byte("a new document"), now.Add(-time.Hour))
	if _, err := e.p.Execute(context.Background(), 0, "it"); err != nil {
		t.Fatal(err)
	}
	if !e.src.Exists(recreated) {
		t.Fatal("the re-created file, a version nobody approved, was deleted")
	}
	d := e.deletions()
	if got := fmt.Sprint(d[e.ref(recreated)]); got != "[deleted]" {
		t.Fatalf("ledger outcomes of the re-created item: %s, want its approved version recorded deleted once", got)
	}
	for ref, os := range d {
		if len(os) != 1 || os[0] != "deleted" {
			t.Fatalf("%s: %v", ref, os)
		}
	}
	if got, _ := e.p.Store.Batch(context.Background(), b.ID); got.Status != store.StatusDone || got.Deleted != 10 {
		t.Fatalf("batch: %+v", got)
	}
}

// A batch interrupted mid-slice and rejected before the restart: the
// reconciliation records what the interrupted run deleted and deletes
// nothing more.
func TestReconcileOfRejectedBatchDeletesNothingMore(t *testing.T) {
	e, b := approvedMany(t, 10)
	e.interruptAfter(4)
	if _, err := e.p.Reject(context.Background(), b.ID, "bo", DecisionOptions{Reason: "stop"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Execute(context.Background(), 0, "it"); err != nil {
		t.Fatal(err)
	}
	if left := e.remaining("old/", 10); left != 6 {
		t.Fatalf("%d items left, want the 6 the interrupted run did not delete", left)
	}
	outcomes := map[string]int{}
	for _, os := range e.deletions() {
		for _, o := range os {
			outcomes[o]++
		}
	}
	if outcomes["deleted"] != 4 || outcomes["skipped_rejected"] != 6 {
		t.Fatalf("ledger outcomes %v", outcomes)
	}
	if open, _ := e.p.Store.OpenIntents(context.Background()); len(open) != 0 {
		t.Fatalf("%d intents left open", len(open))
	}
}

// Cancelling execute (SIGTERM) mid-slice records the deletions made so
// far before it returns: no open intent, no deletion missing from the
// ledger.
func TestCancelledExecuteRecordsTheSliceInFlight(t *testing.T) {
	e, b := approvedMany(t, 40)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deleted := 0
	e.src.SetFaults(memory.Faults{AfterDelete: func(string) {
		if deleted++; deleted == 10 {
			cancel()
		}
	}})
	rs, err := e.p.Execute(ctx, 0, "it")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("execute: %v %+v, want cancelled", err, rs)
	}
	if open, _ := e.p.Store.OpenIntents(context.Background()); len(open) != 0 {
		t.Fatalf("%d intents left open after a cancelled execution", len(open))
	}
	d := e.deletions()
	if len(d) != deleted {
		t.Fatalf("%d deletions in the ledger, %d made", len(d), deleted)
	}
	if got, _ := e.p.Store.Batch(context.Background(), b.ID); got.Deleted != int64(deleted) || got.Status != store.StatusExecuting {
		t.Fatalf("batch: %+v", got)
	}
	// The next run finishes the batch.
	e.src.SetFaults(memory.Faults{})
	if rs, err := e.p.Execute(context.Background(), 0, "it"); err != nil || len(rs) != 1 || rs[0].Deleted != int64(40-deleted) {
		t.Fatalf("resume: %v %+v", err, rs)
	}
}

// A status change is a compare-and-set.
func TestChangeStatusIsCompareAndSet(t *testing.T) {
	e, b := approvedMany(t, 2)
	err := e.p.Store.Write(context.Background(), func(tx *store.Tx) error {
		return tx.ChangeStatus(b.ID, []string{store.StatusPending}, store.StatusRejected, "", now)
	})
	if !errors.Is(err, store.ErrStatusChanged) || !strings.Contains(err.Error(), "approved") {
		t.Fatalf("change from a status the batch no longer has: %v", err)
	}
	if got, _ := e.p.Store.Batch(context.Background(), b.ID); got.Status != store.StatusApproved {
		t.Fatalf("status changed to %s", got.Status)
	}
}

// An approval row inserted with SQL does not make execute delete, and
// execute records nothing for such a batch, not even that it started: the
// ledger still verifies.
func TestExecuteRefusesApprovalNotInTheSignedLedger(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 3 {
		e.put(fmt.Sprintf("two/%d.txt", i), 3*24*time.Hour)
	}
	two := e.batch(e.plan(), "TWO")
	if _, _, err := e.p.Approve(ctx, two.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	db := e.rawDB()
	e.exec(db, `INSERT INTO approval(batch_id, stage, approver, fingerprint, at) VALUES (?, 1, 'bo', ?, '2026-11-22T10:00:00Z')`, two.ID, two.Fingerprint)
	e.exec(db, `UPDATE batch SET status = 'approved' WHERE id = ?`, two.ID)
	rs, err := e.p.Execute(ctx, 0, "it")
	if err != nil || len(rs) != 1 || !errors.Is(rs[0].Err, ErrLedgerTampered) {
		t.Fatalf("execute: %v %+v, want a refusal wrapping ErrLedgerTampered", err, rs)
	}
	for i := range 3 {
		if !e.src.Exists(fmt.Sprintf("two/%d.txt", i)) {
			t.Fatal("an item was deleted on the strength of an approval the ledger does not hold")
		}
	}
	if ty := e.types(two.ID); ty[ledger.TypeExecutionStarted] != 0 || ty[ledger.TypeDeletion] != 0 {
		t.Fatalf("ledger entries of the batch: %v", ty)
	}
}

// Two items of the interrupted slice swapped between the crash and the
// restart: their approved versions still exist, at each other's paths, so
// neither is recorded deleted, and neither is deleted (each path now holds
// a version nobody approved there).
func TestReconcileDoesNotRecordSwappedItemsAsDeleted(t *testing.T) {
	e, _ := approvedMany(t, 10)
	e.interruptAfter(3)
	ctx := context.Background()
	conn := e.src.Connector()
	a, b := "old/a/0004.txt", "old/z/0008.txt"
	ia, err := conn.Stat(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := conn.Stat(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	ia.Ref, ia.Container, ib.Ref, ib.Container = b, "", a, ""
	e.src.PutItem(ia)
	e.src.PutItem(ib)
	if _, err := e.p.Execute(ctx, 0, "it"); err != nil {
		t.Fatal(err)
	}
	e.wantSwappedKept(t, a, b)
	if n := len(e.deletions()); n != 10 {
		t.Fatalf("%d items in the ledger, want 10", n)
	}
}

// wantSwappedKept checks that items a and b, whose approved versions were
// swapped between them, are both still there and that each has exactly one
// outcome in the ledger, changed: its approved version was moved, not
// deleted.
func (e *env) wantSwappedKept(t *testing.T, a, b string) {
	t.Helper()
	if !e.src.Exists(a) || !e.src.Exists(b) {
		t.Fatal("a swapped item was deleted")
	}
	d := e.deletions()
	for _, ref := range []string{a, b} {
		if got := fmt.Sprint(d[e.ref(ref)]); got != "[changed]" {
			t.Errorf("%s: ledger outcomes %s, want [changed]: its approved version was moved, not deleted", ref, got)
		}
	}
}
