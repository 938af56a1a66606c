package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

const escalationPolicy = `version: 1
id: esc
rules:
  - id: TWO
    title: Two stages
    type: delete_after
    path: "two/**"
    from: item.modified
    keep: P1D
    approval:
      - {group: leaders, count: 1}
      - {group: dpo, count: 1}
    escalate_to: deputies
  - id: SOLO
    title: No fallback
    type: delete_after
    path: "solo/**"
    from: item.modified
    keep: P1D
    approval:
      - {group: dpo, count: 1}
    escalate_after: P3D
`

const escalationConfig = `version: 1
ledger: {origin: test.invalid/ledger}
policies: [policy.yaml]
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: bo, roles: [approver], groups: [dpo]}
  - {id: dora, roles: [approver], groups: [deputies]}
  - {id: eve, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - name: src
    kind: memory
    options: {name: %s}
`

// newEscalationEnv is newEnv with rules that escalate: TWO (two stages,
// escalate_to deputies after the default P14D) and SOLO (escalate_after
// P3D, no escalate_to).
func newEscalationEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, escalationPolicy, escalationConfig)
}

// at sets the pipeline's clock to days after now.
func (e *env) at(days int) { e.p.Clock = FixedClock{now.Add(time.Duration(days) * 24 * time.Hour)} }

// escalations returns the escalation entries of the (verified) ledger.
func (e *env) escalations() []ledger.Entry {
	var out []ledger.Entry
	for _, en := range e.entries() {
		if en.Type == ledger.TypeEscalation {
			out = append(out, en)
		}
	}
	return out
}

// TestEscalateAfterWaiting: a batch that waits 13 days is not escalated;
// on day 14 it is, once (not again on day 15), with an escalation entry
// naming the group; its fallback approver may then approve the waiting
// stage (the approval records that stage), an approver in neither group
// may not, and nothing is ever approved by waiting.
func TestEscalateAfterWaiting(t *testing.T) {
	e := newEscalationEnv(t)
	ctx := context.Background()
	e.put("two/a.txt", 5*24*time.Hour)
	b := e.batch(e.plan(), "TWO")
	if _, _, err := e.p.Approve(ctx, b.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}

	e.at(13)
	if got, err := e.p.Escalate(ctx); err != nil || len(got) != 0 {
		t.Fatalf("day 13: escalated %+v (%v)", got, err)
	}
	_, _, err := e.p.Approve(ctx, b.ID, "dora", "")
	if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "group deputies may approve in its place once the batch has waited P14D, from 2026-12-06 11:00") {
		t.Fatalf("dora approved before escalation: %v", err)
	}

	e.at(14)
	got, err := e.p.Escalate(ctx)
	if err != nil || len(got) != 1 {
		t.Fatalf("day 14: escalated %+v (%v)", got, err)
	}
	if g := got[0]; g.Batch.ID != b.ID || g.Group != "deputies" || g.Stage != 1 || g.WaitingFor != "dpo" || g.After.String() != "P14D" ||
		g.Batch.EscalatedAt.IsZero() || g.Batch.Status != store.StatusPending {
		t.Fatalf("escalated %+v", g)
	}
	stored, _ := e.p.Store.Batch(ctx, b.ID)
	if !stored.EscalatedAt.Equal(now.Add(14*24*time.Hour)) || stored.Status != store.StatusPending {
		t.Fatalf("stored batch %+v", stored)
	}

	e.at(15)
	if got, err := e.p.Escalate(ctx); err != nil || len(got) != 0 {
		t.Fatalf("day 15: escalated again %+v (%v)", got, err)
	}
	es := e.escalations()
	if len(es) != 1 || es[0].Batch != b.ID || es[0].Rule != "TWO" || es[0].Plan != b.Fingerprint || es[0].Reason != "waited more than P14D; offered to group deputies" {
		t.Fatalf("escalation entries %+v", es)
	}

	// Waiting approved nothing: the batch is pending and does not run.
	if rs, err := e.p.Execute(ctx, 0, "it"); err != nil || len(rs) != 0 || !e.src.Exists("two/a.txt") {
		t.Fatalf("executed an escalated batch nobody approved: %+v %v", rs, err)
	}
	if st, _ := e.p.Approval(ctx, stored); st.Complete || st.Stages[1].Done() {
		t.Fatalf("approval state after escalation %+v", st)
	}

	// eve is in leaders: neither dpo nor deputies.
	_, _, err = e.p.Approve(ctx, b.ID, "eve", "")
	if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "nor in group deputies, to which it was escalated") {
		t.Fatalf("eve approved stage 2: %v", err)
	}

	got2, st, err := e.p.Approve(ctx, b.ID, "dora", b.Fingerprint)
	if err != nil || got2.Status != store.StatusApproved || !st.Complete || fmt.Sprint(st.Stages[1].Approvers) != "[dora]" {
		t.Fatalf("dora: %v %+v %+v", err, got2, st)
	}
	as, _ := e.p.Store.Approvals(ctx, b.ID)
	if len(as) != 2 || as[1].Approver != "dora" || as[1].Stage != 1 {
		t.Fatalf("approvals %+v", as)
	}
	var approvals []ledger.Entry
	for _, en := range e.entries() {
		if en.Type == ledger.TypeApproval && en.Batch == b.ID {
			approvals = append(approvals, en)
		}
	}
	if len(approvals) != 2 || approvals[1].Actor != "dora" || approvals[1].Stage != 2 ||
		approvals[1].Reason != "escalated: for stage 2 (group dpo) as a member of group deputies" || approvals[0].Reason != "" {
		t.Fatalf("approval entries %+v", approvals)
	}
	rs, err := e.p.Execute(ctx, 0, "it")
	if err != nil || len(rs) != 1 || rs[0].Deleted != 1 {
		t.Fatalf("execute: %+v %v", rs, err)
	}
	e.entries() // verifies
}

// TestEscalateWithoutFallback: a rule without escalate_to is escalated
// after its own escalate_after (P3D) to nobody: the operators are told,
// the entry says so, and still only its group can approve.
func TestEscalateWithoutFallback(t *testing.T) {
	e := newEscalationEnv(t)
	ctx := context.Background()
	e.put("solo/a.txt", 5*24*time.Hour)
	e.put("two/a.txt", 5*24*time.Hour)
	res := e.plan()
	solo, two := e.batch(res, "SOLO"), e.batch(res, "TWO")

	e.at(2)
	if got, _ := e.p.Escalate(ctx); len(got) != 0 {
		t.Fatalf("day 2: %+v", got)
	}
	e.at(3)
	got, err := e.p.Escalate(ctx)
	if err != nil || len(got) != 1 || got[0].Batch.ID != solo.ID || got[0].Group != "" || got[0].WaitingFor != "dpo" {
		t.Fatalf("day 3: %+v (%v)", got, err)
	}
	if es := e.escalations(); len(es) != 1 || es[0].Reason != "waited more than P3D; no escalate_to group: operators told" {
		t.Fatalf("entries %+v", es)
	}
	if _, _, err := e.p.Approve(ctx, solo.ID, "dora", ""); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("dora approved a batch of a rule without escalate_to: %v", err)
	}
	// Both escalated by day 20, each once; a decided batch is never
	// escalated.
	if _, _, err := e.p.Approve(ctx, solo.ID, "bo", ""); err != nil {
		t.Fatal(err)
	}
	e.at(20)
	got, err = e.p.Escalate(ctx)
	if err != nil || len(got) != 1 || got[0].Batch.ID != two.ID {
		t.Fatalf("day 20: %+v (%v)", got, err)
	}
	if got, _ := e.p.Escalate(ctx); len(got) != 0 {
		t.Fatalf("escalated twice: %+v", got)
	}
	if es := e.escalations(); len(es) != 2 {
		t.Fatalf("entries %+v", es)
	}
	for _, b := range []int64{solo.ID, two.ID} {
		got, _ := e.p.Store.Batch(ctx, b)
		if b == two.ID && got.Status != store.StatusPending {
			t.Fatalf("batch %d is %s after waiting", b, got.Status)
		}
	}
}

// TestApproveSaysWhy: approving (or confirming) a batch that is not
// waiting for it says why and what to do instead, and stays an ErrState.
func TestApproveSaysWhy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	db := e.rawDB()
	want := func(what string, err error, text string) {
		t.Helper()
		if !errors.Is(err, ErrState) || err.Error() != text {
			t.Errorf("%s:\n got %v\nwant %s", what, err, text)
		}
		var se *StateError
		if !errors.As(err, &se) {
			t.Errorf("%s: %T is not a StateError", what, err)
		}
	}

	// Guarded: an operator must confirm.
	for i := range 51 {
		e.put(fmt.Sprintf("two/%02d.txt", i), 5*24*time.Hour)
	}
	e.put("old/a.txt", 40*24*time.Hour)
	res := e.plan()
	g, old := e.batch(res, "TWO"), e.batch(res, "OLD")
	_, _, err := e.p.Approve(ctx, g.ID, "anna", "")
	want("guarded", err, fmt.Sprintf("batch %d is held by the blast-radius guard (%s): an operator must confirm its size first: retentiond batches confirm %d --as OPERATOR", g.ID, g.StatusNote, g.ID))
	if !strings.Contains(g.StatusNote, "50") {
		t.Errorf("guard note %q", g.StatusNote)
	}
	_, err = e.p.Confirm(ctx, old.ID, "it")
	want("confirm pending", err, fmt.Sprintf("batch %d is not held by the blast-radius guard: it waits for its approvals, and there is nothing to confirm; see retentiond batches show %d", old.ID, old.ID))

	// Fully approved: nothing more is needed.
	if _, _, err := e.p.Approve(ctx, old.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.p.Approve(ctx, old.ID, "bo", "")
	want("approved", err, fmt.Sprintf("batch %d is already approved (by anna): nothing more is needed; it runs at the next execute", old.ID))
	_, err = e.p.Confirm(ctx, old.ID, "it")
	want("confirm approved", err, fmt.Sprintf("batch %d is already approved (by anna): nothing more is needed; it runs at the next execute", old.ID))

	// Executed: says so, with its counts.
	if _, err := e.p.Execute(ctx, old.ID, "it"); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.p.Approve(ctx, old.ID, "bo", "")
	want("done", err, fmt.Sprintf("batch %d was executed on 2026-11-22 11:00 (1 done, 0 skipped, 0 failed): nothing more is needed; see retentiond batches show %d", old.ID, old.ID))

	// Rejected: who and when, and why.
	e.exec(db, `UPDATE batch SET status = 'rejected', status_note = 'rejected by bo: the archive wants them', updated_at = '2026-11-23T14:30:00Z' WHERE id = ?`, g.ID)
	_, _, err = e.p.Approve(ctx, g.ID, "anna", "")
	want("rejected", err, fmt.Sprintf("batch %d was rejected by bo on 2026-11-23 15:30 (the archive wants them): it will not be executed", g.ID))
	_, err = e.p.Confirm(ctx, g.ID, "it")
	want("confirm rejected", err, fmt.Sprintf("batch %d was rejected by bo on 2026-11-23 15:30 (the archive wants them): it will not be executed", g.ID))

	// Superseded: names the successor.
	e.exec(db, `UPDATE batch SET status = 'superseded', status_note = 'its policy changed', successor = 12 WHERE id = ?`, g.ID)
	_, _, err = e.p.Approve(ctx, g.ID, "anna", "")
	want("superseded", err, fmt.Sprintf("batch %d was superseded by batch 12: review and approve that one", g.ID))
	e.exec(db, `UPDATE batch SET successor = 0 WHERE id = ?`, g.ID)
	_, _, err = e.p.Approve(ctx, g.ID, "anna", "")
	want("superseded without successor", err, fmt.Sprintf("batch %d was superseded (its policy changed): its items are planned again; see retentiond batches list", g.ID))

	// Withdrawn: every item was; names the successor when there is one.
	e.exec(db, `UPDATE batch SET status = 'withdrawn', successor = 0 WHERE id = ?`, g.ID)
	_, _, err = e.p.Approve(ctx, g.ID, "anna", "")
	want("withdrawn", err, fmt.Sprintf("every item of batch %d was withdrawn before it ran (changed, gone, held, no longer due or excluded): there is nothing left to approve", g.ID))
	e.exec(db, `UPDATE batch SET successor = 9 WHERE id = ?`, g.ID)
	_, _, err = e.p.Approve(ctx, g.ID, "anna", "")
	want("withdrawn with successor", err, fmt.Sprintf("every item of batch %d was withdrawn before it ran (changed, gone, held, no longer due or excluded): there is nothing left to approve; the changed items are in batch 9: review and approve that one", g.ID))
}
