package scheduler

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// rawDB opens the pipeline's database file as an attacker with sqlite3
// would: plain SQL, no retentiond in between.
func (e *env) rawDB() *sql.DB {
	e.t.Helper()
	db, err := sql.Open("sqlite", "file:"+e.cfg.Database+"?_pragma=busy_timeout(10000)")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	return db
}

func (e *env) exec(db *sql.DB, q string, args ...any) {
	e.t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

// approvedBatch plans an OLD batch and has anna approve it.
func (e *env) approvedBatch() store.Batch {
	e.t.Helper()
	e.put("old/a.txt", 40*24*time.Hour)
	e.put("old/b.txt", 40*24*time.Hour)
	b := e.batch(e.plan(), "OLD")
	got, _, err := e.p.Approve(context.Background(), b.ID, "anna", b.Fingerprint)
	if err != nil || got.Status != store.StatusApproved {
		e.t.Fatalf("approve: %v", err)
	}
	return *got
}

// approvalEntry returns the index and bytes of the approval entry of batch.
func (e *env) approvalEntry(batch int64) (int64, []byte) {
	e.t.Helper()
	ls, err := e.p.Store.DecisionEntries(context.Background(), batch)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, l := range ls {
		if bytes.HasPrefix(l.Data, []byte(`{"type":"approval"`)) {
			return l.Index, l.Data
		}
	}
	e.t.Fatalf("no approval entry of batch %d", batch)
	return 0, nil
}

// forget drops what CheckBatchDecisions proved, as a new process would
// not know it.
func (e *env) forget() {
	c := &e.p.decisions
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches, c.note = nil, ""
}

func wantTampered(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, ErrLedgerTampered) || !strings.Contains(err.Error(), what) {
		t.Fatalf("got %v; want ErrLedgerTampered saying %q", err, what)
	}
}

func TestCheckBatchDecisionsValid(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b := e.approvedBatch()
	got, err := e.p.CheckBatchDecisions(ctx, &b)
	if err != nil || len(got) != 1 || got[0] != "anna" {
		t.Fatalf("approved batch: %v, %v", got, err)
	}
	// Again, from the cache, and after a restart.
	if got, err := e.p.CheckBatchDecisions(ctx, &b); err != nil || len(got) != 1 {
		t.Fatalf("second check: %v, %v", got, err)
	}
	e.reopen()
	if got, err := e.p.CheckBatchDecisions(ctx, &b); err != nil || len(got) != 1 || got[0] != "anna" {
		t.Fatalf("after a restart: %v, %v", got, err)
	}

	// Two stages: the approvers in stage order.
	for i := range 3 {
		e.put("two/"+string(rune('a'+i)), 3*24*time.Hour)
	}
	two := e.batch(e.plan(), "TWO")
	if _, _, err := e.p.Approve(ctx, two.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.CheckBatchDecisions(ctx, &two); !errors.Is(err, ErrLedgerTampered) || !strings.Contains(err.Error(), "do not complete") {
		t.Fatalf("half-approved batch: %v", err)
	}
	if _, _, err := e.p.Approve(ctx, two.ID, "bo", ""); err != nil {
		t.Fatal(err)
	}
	if got, err := e.p.CheckBatchDecisions(ctx, &two); err != nil || strings.Join(got, ",") != "anna,bo" {
		t.Fatalf("two stages: %v, %v", got, err)
	}

	// A rule that needs no approval: its automatic approval entry.
	e.put("cam/1.mp4", 40*24*time.Hour)
	cam := e.batch(e.plan(), "CAM")
	if got, err := e.p.CheckBatchDecisions(ctx, &cam); err != nil || len(got) != 0 {
		t.Fatalf("automatic approval: %v, %v", got, err)
	}
}

// TestCheckBatchDecisionsTamperedEntry (issue 17, finding 6): changing the
// bytes of an approval entry, with or without its stored leaf hash, makes
// the check refuse.
func TestCheckBatchDecisionsTamperedEntry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b := e.approvedBatch()
	idx, data := e.approvalEntry(b.ID)
	db := e.rawDB()
	e.exec(db, `DROP TRIGGER ledger_entry_no_update`)
	forged := bytes.Replace(data, []byte(`"stage":1`), []byte(`"stage":2`), 1)
	if bytes.Equal(forged, data) {
		t.Fatalf("no stage in %s", data)
	}
	e.exec(db, `UPDATE ledger_entry SET data = ? WHERE idx = ?`, forged, idx)
	e.reopen()
	_, err := e.p.CheckBatchDecisions(ctx, &b)
	wantTampered(t, err, "has no approval entry") // the stage no longer matches the row
	// The same bytes, the actor changed: found, but not what was signed.
	forged = bytes.Replace(data, []byte(`"actor":"anna"`), []byte(`"actor":"anne"`), 1)
	e.exec(db, `UPDATE ledger_entry SET data = ? WHERE idx = ?`, forged, idx)
	e.exec(db, `UPDATE approval SET approver = 'anne' WHERE batch_id = ?`, b.ID)
	e.reopen()
	_, err = e.p.CheckBatchDecisions(ctx, &b)
	wantTampered(t, err, "was altered")
	// And with the stored leaf hash rewritten to match: not in the signed tree.
	e.exec(db, `DROP TRIGGER tlog_hash_no_update`)
	h := tlog.RecordHash(forged)
	e.exec(db, `UPDATE tlog_hash SET hash = ? WHERE idx = ?`, h[:], tlog.StoredHashIndex(0, idx))
	e.forget() // a restart is refused outright: the tree no longer extends the marker
	_, err = e.p.CheckBatchDecisions(ctx, &b)
	wantTampered(t, err, "checkpoint") // the stored tree no longer has the signed root
	if _, err := New(ctx, e.cfg, Deps{Clock: FixedClock{now}}); !errors.Is(err, ErrLedgerLost) {
		t.Fatalf("restart on a rewritten tree: %v", err)
	}
}

// TestCheckBatchDecisionsInsertedApproval (issue 17, finding 6): an
// approval row inserted with SQL, with no ledger entry, makes the check
// refuse; so does a batch set to approved without approvals, and a
// rejected batch set back to approved.
func TestCheckBatchDecisionsInsertedApproval(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 3 {
		e.put("two/"+string(rune('a'+i)), 3*24*time.Hour)
	}
	two := e.batch(e.plan(), "TWO")
	if _, _, err := e.p.Approve(ctx, two.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	db := e.rawDB()
	e.exec(db, `INSERT INTO approval(batch_id, stage, approver, fingerprint, at) VALUES (?, 1, 'bo', ?, '2026-11-22T10:00:00Z')`, two.ID, two.Fingerprint)
	e.exec(db, `UPDATE batch SET status = 'approved' WHERE id = ?`, two.ID)
	b, err := e.p.Store.Batch(ctx, two.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := e.p.Approval(ctx, b); !st.Complete {
		t.Fatalf("the inserted row does not complete the approval: %+v", st)
	}
	_, err = e.p.CheckBatchDecisions(ctx, b)
	wantTampered(t, err, "the approval by bo (stage 2) has no approval entry")

	// Set to approved with no approval at all.
	e.put("old/a.txt", 40*24*time.Hour)
	old := e.batch(e.plan(), "OLD")
	e.exec(db, `UPDATE batch SET status = 'approved' WHERE id = ?`, old.ID)
	old.Status = store.StatusApproved
	_, err = e.p.CheckBatchDecisions(ctx, &old)
	wantTampered(t, err, "do not complete its approval")

	// Approved, rejected, and set back to approved.
	if _, _, err := e.p.Approve(ctx, old.ID, "anna", ""); err == nil {
		t.Fatal("approved a batch the database says is approved")
	}
	e.exec(db, `UPDATE batch SET status = 'pending' WHERE id = ?`, old.ID)
	if _, _, err := e.p.Approve(ctx, old.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Reject(ctx, old.ID, "bo", DecisionOptions{Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	e.exec(db, `UPDATE batch SET status = 'approved' WHERE id = ?`, old.ID)
	_, err = e.p.CheckBatchDecisions(ctx, &old)
	wantTampered(t, err, "was rejected or superseded at ledger entry")
}

// TestCheckBatchDecisionsCheckpointSignature (issue 17, finding 6): a
// latest checkpoint whose signature is missing or by another key, or no
// checkpoint at all, makes the check refuse.
func TestCheckBatchDecisionsCheckpointSignature(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b := e.approvedBatch()
	cp, ok, err := e.p.Store.LatestCheckpoint(ctx)
	if err != nil || !ok {
		t.Fatalf("latest checkpoint: %v %v", ok, err)
	}
	db := e.rawDB()
	e.exec(db, `DROP TRIGGER checkpoint_no_update`)
	e.exec(db, `DROP TRIGGER checkpoint_no_delete`)
	// The signature lines cut off.
	body, _, _ := bytes.Cut(cp.Note, []byte("\n\n"))
	e.exec(db, `UPDATE checkpoint SET note = ? WHERE n = ?`, append(body, '\n', '\n'), cp.N)
	e.reopen()
	_, err = e.p.CheckBatchDecisions(ctx, &b)
	wantTampered(t, err, "does not verify with the signing key")
	// Signed by some other key of the same name.
	other, err := ledger.CreateSigner(t.TempDir()+"/other.key", e.cfg.Origin, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ledger.PeekCheckpoint(cp.Note)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := ledger.SignCheckpoint(c, other)
	if err != nil {
		t.Fatal(err)
	}
	e.exec(db, `UPDATE checkpoint SET note = ? WHERE n = ?`, forged, cp.N)
	e.reopen()
	_, err = e.p.CheckBatchDecisions(ctx, &b)
	wantTampered(t, err, "does not verify with the signing key")
	// The approval's checkpoint never signed (the command stopped right
	// after the approval): the check signs one over the stored tree,
	// which extends the signed one, and proves the approval in it.
	e.exec(db, `DELETE FROM checkpoint WHERE n = ?`, cp.N)
	e.reopen()
	if got, err := e.p.CheckBatchDecisions(ctx, &b); err != nil || len(got) != 1 {
		t.Fatalf("approvals not yet covered by a checkpoint: %v, %v", got, err)
	}
	// No checkpoint at all.
	e.exec(db, `DELETE FROM checkpoint`)
	e.reopen()
	_, err = e.p.CheckBatchDecisions(ctx, &b)
	wantTampered(t, err, "no signed checkpoint")
}
