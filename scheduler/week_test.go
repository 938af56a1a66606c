package scheduler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// The week of issue 18, simulated with the injected clock: nightly plans,
// a two-stage approval spread over four days, a rejection that comes back
// after a month, an exclusion, a file changed after approval, a hold
// placed between approval and execution, and a re-enrolled student.

const weekPolicy = `version: 1
id: week
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
  - id: OLD
    title: Old files
    type: delete_after
    path: "old/**"
    from: item.modified
    keep: P30D
    approval:
      - {group: leaders, count: 1}
  - id: LOG
    title: Logs
    type: delete_after
    path: "logs/**"
    from: item.modified
    keep: P30D
    review_after: P3M
    approval:
      - {group: leaders, count: 1}
  - id: S3
    title: Folders of students who left
    type: delete_after
    path: "Udmeldte elever/{student}/**"
    subject: {kind: student, capture: student}
    from: subject.left
    keep: P0D
    approval:
      - {group: leaders, count: 1}
`

const weekConfig = `version: 1
ledger: {origin: test.invalid/ledger}
policies: [policy.yaml]
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: dora, roles: [approver], groups: [dpo]}
  - {id: it, roles: [operator]}
sources:
  - name: src
    kind: memory
    options: {name: %s}
  - name: elever
    kind: export
    options: {dir: elever, preset: tea-students}
`

type week struct {
	*env
	day int
}

func newWeek(t *testing.T) *week {
	t.Helper()
	return &week{env: newEnvWith(t, weekPolicy, weekConfig, "elever")}
}

// on moves the clock to the given day of the simulation (day 0 is now).
func (w *week) on(day int) {
	w.day = day
	w.at(day)
}

func (w *week) students(n int, rows string) {
	w.t.Helper()
	p := filepath.Join(w.dir, "elever", fmt.Sprintf("export_%03d.csv", n))
	if err := os.WriteFile(p, []byte("Elevnummer;Navn;Indmeldt;Udmeldt;Fødselsdato\n"+rows), 0o644); err != nil {
		w.t.Fatal(err)
	}
	at := now.Add(time.Duration(n) * time.Hour)
	os.Chtimes(p, at, at)
}

// progress says where a batch stands: "status leaders 1/1, dpo 0/1 (n items)".
func (w *week) progress(id int64) string {
	w.t.Helper()
	b, err := w.p.Store.Batch(context.Background(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	st, err := w.p.Approval(context.Background(), b)
	if err != nil {
		w.t.Fatal(err)
	}
	var parts []string
	for _, s := range st.Stages {
		parts = append(parts, fmt.Sprintf("%s %d/%d", s.Stage.Group, len(s.Approvers), s.Stage.Count))
	}
	return fmt.Sprintf("%s %s (%d items)", b.Status, strings.Join(parts, ", "), b.Items-b.Withdrawn)
}

func (w *week) expect(id int64, want string) {
	w.t.Helper()
	if got := w.progress(id); got != want {
		w.t.Errorf("day %d: batch %d is %q, want %q", w.day, id, got, want)
	}
}

// verdicts maps the items of a plan to "verdict rule [in batch N]".
func (w *week) verdicts(res *PlanResult) map[string]string {
	w.t.Helper()
	out := map[string]string{}
	err := w.p.Store.PlanItems(context.Background(), res.Plan.ID, "", "", func(c store.Chunk) error {
		for _, it := range c.Items {
			v := it.Verdict + " " + it.Rule
			if it.InBatch != 0 {
				v += fmt.Sprintf(" in %d", it.InBatch)
			}
			if strings.HasPrefix(it.Note, "kept by decision") {
				v += " by decision"
			}
			out[it.Ref] = v
		}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

func (w *week) wantVerdicts(res *PlanResult, want map[string]string) {
	w.t.Helper()
	got := w.verdicts(res)
	for ref, v := range want {
		if got[ref] != v {
			w.t.Errorf("day %d: %s is %q in plan %d, want %q", w.day, ref, got[ref], res.Plan.ID, v)
		}
	}
}

func (w *week) cut(res *PlanResult) []string {
	var out []string
	for _, b := range res.Batches {
		out = append(out, fmt.Sprintf("%d %s %d", b.ID, b.Rule, b.Items))
	}
	return out
}

// ledgerTypes verifies the ledger and counts its entries by type (and
// withdrawal code).
func (w *week) ledgerTypes() map[string]int {
	w.t.Helper()
	out := map[string]int{}
	for _, en := range w.entries() {
		k := string(en.Type)
		if en.Type == ledger.TypeWithdrawal || en.Type == ledger.TypeRetentionDecision {
			k += "/" + en.Code
		}
		out[k]++
	}
	return out
}

func TestWeekOfApprovals(t *testing.T) {
	w := newWeek(t)
	ctx := context.Background()
	day := 24 * time.Hour
	for _, f := range []string{"two/a", "two/b", "two/c"} {
		w.put(f, 10*day)
	}
	for _, f := range []string{"old/x1", "old/x2", "old/case"} {
		w.put(f, 40*day)
	}
	w.put("logs/1.log", 40*day)
	w.put("logs/2.log", 40*day)
	w.put("Udmeldte elever/1001/plan.docx", 400*day)
	w.put("old/young", 20*day) // due on day 10
	w.students(1, "1001;A;01-08-2019;20-06-2026;12-05-2010\n")

	// Day 0: the first plan cuts one batch per rule.
	w.on(0)
	res := w.plan()
	if got := w.cut(res); fmt.Sprint(got) != "[1 LOG 2 2 OLD 3 3 S3 1 4 TWO 3]" {
		t.Fatalf("day 0 batches %v", got)
	}
	const LOG, OLD, S3, TWO = 1, 2, 3, 4

	// Day 1: the leader approves stage 1; the nightly plan keeps every id.
	w.on(1)
	if _, _, err := w.p.Approve(ctx, TWO, "anna", ""); err != nil {
		t.Fatal(err)
	}
	res = w.plan()
	if len(res.Batches) != 0 || len(res.Superseded) != 0 || res.InOpenBatches != 9 {
		t.Fatalf("day 1: a re-plan of unchanged items cut %v, superseded %v, kept %d in open batches", w.cut(res), res.Superseded, res.InOpenBatches)
	}
	w.expect(TWO, "pending leaders 1/1, dpo 0/1 (3 items)")
	w.wantVerdicts(res, map[string]string{"two/a": "due TWO in 4", "old/x1": "due OLD in 2"})

	// Day 2: the LOG batch is rejected for a month; a file is taken out of
	// the OLD batch; the nightly plan keeps both decisions.
	w.on(2)
	rej, err := w.p.Reject(ctx, LOG, "anna", DecisionOptions{Reason: "logs are under review", ReviewAfter: policies.Period{Months: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if rej.Until.String() != "2026-12-24" || rej.Items != 2 {
		t.Fatalf("rejection %+v", rej)
	}
	ex, err := w.p.Exclude(ctx, OLD, "anna", ExcludeSpec{Refs: []string{"old/case"}, DecisionOptions: DecisionOptions{Reason: "case still open"}})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Items != 1 || ex.Left != 2 || ex.Until.String() != "2027-05-24" { // OLD has no review_after: six months
		t.Fatalf("exclusion %+v", ex)
	}
	res = w.plan()
	if len(res.Batches) != 0 || res.KeptByDecision != 3 {
		t.Fatalf("day 2: cut %v, kept by decision %d", w.cut(res), res.KeptByDecision)
	}
	w.wantVerdicts(res, map[string]string{"logs/1.log": "keep LOG by decision", "old/case": "keep OLD by decision", "old/x1": "due OLD in 2"})
	w.expect(OLD, "pending leaders 0/1 (2 items)")

	// Day 3: the DPO completes the two-stage batch; the OLD and S3 batches
	// are approved.
	w.on(3)
	for _, a := range []struct {
		id  int64
		who string
	}{{TWO, "dora"}, {OLD, "anna"}, {S3, "anna"}} {
		if _, _, err := w.p.Approve(ctx, a.id, a.who, ""); err != nil {
			t.Fatal(err)
		}
	}
	w.expect(TWO, "approved leaders 1/1, dpo 1/1 (3 items)")

	// Day 4: after approval a file changes, the student re-enrols; the
	// nightly plan withdraws both and puts the new version in a new batch,
	// while the approvals stand for the rest.
	w.on(4)
	w.src.Modify("two/a")
	w.students(2, "1001;A;01-08-2019;;12-05-2010\n")
	res = w.plan()
	if got := w.cut(res); fmt.Sprint(got) != "[5 TWO 1]" {
		t.Fatalf("day 4 batches %v", got)
	}
	if fmt.Sprint(res.Withdrawn) != fmt.Sprint([]WithdrawnCount{{Batch: S3, Code: "not_due", Items: 1, Emptied: true}, {Batch: TWO, Code: "changed", Items: 1, Successor: 5}}) {
		t.Fatalf("day 4 withdrawals %+v", res.Withdrawn)
	}
	w.expect(TWO, "approved leaders 1/1, dpo 1/1 (2 items)")
	w.expect(S3, "withdrawn leaders 1/1 (0 items)")
	w.expect(5, "pending leaders 0/1, dpo 0/1 (1 items)")
	// A hold placed between approval and execution.
	if _, err := w.p.AddHold(ctx, "it", HoldSpec{Reason: "complaint", Owner: "dpo", Source: "src", Ref: "old/x2"}); err != nil {
		t.Fatal(err)
	}

	// Day 5: execution deletes what is left of the approved batches.
	w.on(5)
	rs, err := w.p.Execute(ctx, 0, "it")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, fmt.Sprintf("%d: %d deleted %d skipped %d failed", r.Batch, r.Deleted, r.Skipped, r.Failed))
	}
	if fmt.Sprint(got) != "[2: 1 deleted 2 skipped 0 failed 4: 2 deleted 1 skipped 0 failed]" {
		t.Fatalf("day 5 execution %v", got)
	}
	for _, f := range []string{"two/a", "old/x2", "old/case", "Udmeldte elever/1001/plan.docx", "logs/1.log"} {
		if !w.src.Exists(f) {
			t.Errorf("%s was deleted", f)
		}
	}
	for _, f := range []string{"two/b", "two/c", "old/x1"} {
		if w.src.Exists(f) {
			t.Errorf("%s was not deleted", f)
		}
	}
	outcomes := w.deletions()
	for f, want := range map[string]string{"two/a": "[withdrawn]", "old/case": "[withdrawn]", "old/x2": "[skipped_hold]", "two/b": "[deleted]"} {
		if got := fmt.Sprint(outcomes[w.ref(f)]); got != want {
			t.Errorf("ledger outcome of %s: %s, want %s", f, got, want)
		}
	}

	// Day 10: old/young becomes due and goes into a new batch; the rest is
	// where it was.
	w.on(10)
	res = w.plan()
	if got := w.cut(res); fmt.Sprint(got) != "[6 OLD 1]" {
		t.Fatalf("day 10 batches %v", got)
	}
	w.wantVerdicts(res, map[string]string{"two/a": "due TWO in 5", "logs/1.log": "keep LOG by decision"})

	// Day 32 (24 December): the rejection still holds; day 33 it has
	// expired and the logs are proposed again, with the decision shown.
	w.on(32)
	res = w.plan()
	w.wantVerdicts(res, map[string]string{"logs/1.log": "keep LOG by decision"})
	w.on(33)
	res = w.plan()
	if got := w.cut(res); fmt.Sprint(got) != "[7 LOG 2]" {
		t.Fatalf("day 33 batches %v", got)
	}
	err = w.p.Store.BatchChunks(ctx, 7, func(c store.Chunk) error {
		for _, it := range c.Items {
			if why := w.p.Explain(it); !strings.Contains(why, "proposed again after decision D1: rejected batch 1 by anna") || !strings.Contains(why, "until 2026-12-24") {
				t.Errorf("batch 7 explains %s as %q; the approver must see the earlier decision", it.Ref, why)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	types := w.ledgerTypes()
	for k, want := range map[string]int{
		"withdrawal/changed": 1, "withdrawal/not_due": 1, "retention_decision/rejected": 1, "retention_decision/excluded": 1,
		"batch": 7, "execution_started": 2, "execution_finished": 2,
	} {
		if types[k] != want {
			t.Errorf("ledger has %d %s entries, want %d (all: %v)", types[k], k, want, types)
		}
	}
	if b, _ := w.p.Store.Batch(ctx, S3); b.Status != store.StatusWithdrawn {
		t.Errorf("batch %d is %s, want withdrawn", S3, b.Status)
	}
}
