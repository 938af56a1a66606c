package scheduler

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/exports"
	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// TestDecisionsRefuseBadInputAndChangeNothing: an exclusion that names an
// item not in the batch, a date not after today, both a date and a
// period, a person outside the waiting stage's group, or a batch that has
// begun to run, is refused, and nothing is recorded.
func TestDecisionsRefuseBadInputAndChangeNothing(t *testing.T) {
	e := newWeek(t)
	ctx := context.Background()
	e.put("two/a", 10*24*time.Hour)
	e.put("two/b", 10*24*time.Hour)
	e.put("old/x", 40*24*time.Hour)
	res := e.plan()
	two, old := e.batch(res, "TWO"), e.batch(res, "OLD")
	before := len(e.entries())
	cases := []struct {
		name string
		do   func() error
		want string
		is   error
	}{
		{"unknown item", func() error {
			_, err := e.p.Exclude(ctx, two.ID, "anna", ExcludeSpec{Refs: []string{"two/a", "two/zz"}, DecisionOptions: DecisionOptions{Reason: "r"}})
			return err
		}, `holds no item "two/zz"`, ErrNoMatch},
		{"pattern matching nothing", func() error {
			_, err := e.p.Exclude(ctx, two.ID, "anna", ExcludeSpec{Path: "three/**", DecisionOptions: DecisionOptions{Reason: "r"}})
			return err
		}, "matches no item", ErrNoMatch},
		{"nothing named", func() error {
			_, err := e.p.Exclude(ctx, two.ID, "anna", ExcludeSpec{DecisionOptions: DecisionOptions{Reason: "r"}})
			return err
		}, "name the items", nil},
		{"no reason", func() error {
			_, err := e.p.Reject(ctx, two.ID, "anna", DecisionOptions{})
			return err
		}, "--reason", nil},
		{"date not after today", func() error {
			_, err := e.p.Reject(ctx, two.ID, "anna", DecisionOptions{Reason: "r", KeepUntil: policies.NewDate(2026, 11, 22)})
			return err
		}, "not after today", nil},
		{"date and period", func() error {
			_, err := e.p.Reject(ctx, two.ID, "anna", DecisionOptions{Reason: "r", KeepUntil: policies.NewDate(2027, 1, 1), ReviewAfter: policies.Period{Months: 1}})
			return err
		}, "not both", nil},
		{"not the waiting stage's group", func() error {
			_, err := e.p.Reject(ctx, two.ID, "dora", DecisionOptions{Reason: "r"}) // waits for leaders
			return err
		}, "decided by group leaders", ErrNotAllowed},
		{"operator on a batch that needs approvers", func() error {
			_, err := e.p.Exclude(ctx, old.ID, "it", ExcludeSpec{Refs: []string{"old/x"}, DecisionOptions: DecisionOptions{Reason: "r"}})
			return err
		}, "approver role", ErrNotAllowed},
		{"unknown person", func() error {
			_, err := e.p.Reject(ctx, two.ID, "mallory", DecisionOptions{Reason: "r"})
			return err
		}, "not a person", ErrNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.do()
			if err == nil || !strings.Contains(err.Error(), c.want) || (c.is != nil && !errors.Is(err, c.is)) {
				t.Fatalf("got %v, want an error containing %q (%v)", err, c.want, c.is)
			}
		})
	}
	if n := len(e.entries()); n != before {
		t.Errorf("refused decisions wrote %d ledger entries", n-before)
	}
	if ds, _ := e.p.Store.RetentionDecisions(ctx, true, "2026-11-22"); len(ds) != 0 {
		t.Errorf("refused decisions recorded %+v", ds)
	}
	for _, id := range []int64{two.ID, old.ID} {
		if b, _ := e.p.Store.Batch(ctx, id); b.Status != store.StatusPending || b.Withdrawn != 0 {
			t.Errorf("batch %d changed: %+v", id, b)
		}
	}

	// Once a batch runs, nothing can be excluded from it.
	if _, _, err := e.p.Approve(ctx, old.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Execute(ctx, old.ID, "it"); err != nil {
		t.Fatal(err)
	}
	_, err := e.p.Exclude(ctx, old.ID, "anna", ExcludeSpec{Refs: []string{"old/x"}, DecisionOptions: DecisionOptions{Reason: "r"}})
	if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "before a batch runs") {
		t.Errorf("exclusion from an executed batch: %v", err)
	}
}

// TestExcludeEverythingWithdrawsTheBatch: excluding every item leaves
// nothing to approve; the batch is withdrawn and approving it says why.
func TestExcludeEverythingWithdrawsTheBatch(t *testing.T) {
	e := newWeek(t)
	ctx := context.Background()
	e.put("old/x", 40*24*time.Hour)
	e.put("old/y", 40*24*time.Hour)
	b := e.batch(e.plan(), "OLD")
	res, err := e.p.Exclude(ctx, b.ID, "anna", ExcludeSpec{Path: "old/**", DecisionOptions: DecisionOptions{Reason: "archive wants them", KeepUntil: policies.NewDate(2027, 3, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Emptied || res.Items != 2 || res.Status != store.StatusWithdrawn || res.Until.String() != "2027-03-01" {
		t.Fatalf("exclusion %+v", res)
	}
	if _, _, err := e.p.Approve(ctx, b.ID, "anna", ""); !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "withdrawn") {
		t.Errorf("approving a withdrawn batch: %v", err)
	}
	if rs, err := e.p.Execute(ctx, 0, "it"); err != nil || len(rs) != 0 {
		t.Errorf("executed %+v %v", rs, err)
	}
	if !e.src.Exists("old/x") || !e.src.Exists("old/y") {
		t.Error("an excluded file was deleted")
	}
	// The next plans keep them, until the day after the date.
	res2 := e.plan()
	if len(res2.Batches) != 0 || res2.KeptByDecision != 2 {
		t.Fatalf("plan cut %v, kept by decision %d", e.cut(res2), res2.KeptByDecision)
	}
	e.on(99) // 2027-03-01
	if res2 = e.plan(); len(res2.Batches) != 0 {
		t.Fatalf("plan on the decision's last day cut %v", e.cut(res2))
	}
	e.on(100)
	if res2 = e.plan(); len(res2.Batches) != 1 || res2.Batches[0].Items != 2 {
		t.Fatalf("plan after the decision's date cut %v", e.cut(res2))
	}
}

// TestRevokeDecision: a decision is revoked by someone of the rule's
// groups (not by others), once, and the next plan proposes its items.
func TestRevokeDecision(t *testing.T) {
	e := newWeek(t)
	ctx := context.Background()
	e.put("logs/1.log", 40*24*time.Hour)
	b := e.batch(e.plan(), "LOG")
	rej, err := e.p.Reject(ctx, b.ID, "anna", DecisionOptions{Reason: "under review"})
	if err != nil {
		t.Fatal(err)
	}
	if rej.Until.String() != "2027-02-22" { // LOG's review_after is P3M
		t.Errorf("rejection kept until %s, want the rule's review_after", rej.Until)
	}
	if res := e.plan(); len(res.Batches) != 0 {
		t.Fatalf("rejected items proposed again at once: %v", e.cut(res))
	}
	if _, err := e.p.RevokeDecision(ctx, rej.Decision, "dora"); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("revoked by a person outside the rule's groups: %v", err)
	}
	if _, err := e.p.RevokeDecision(ctx, rej.Decision, "anna"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.RevokeDecision(ctx, rej.Decision, "anna"); !errors.Is(err, ErrState) {
		t.Errorf("revoked twice: %v", err)
	}
	if res := e.plan(); len(res.Batches) != 1 {
		t.Fatalf("after the revocation the plan cut %v", e.cut(res))
	}
	types := e.ledgerTypes()
	if types["decision_revoked"] != 1 || types["retention_decision/rejected"] != 1 {
		t.Errorf("ledger %v", types)
	}
	for _, en := range e.entries() {
		if en.Type == ledger.TypeRetentionDecision && (en.Auth != "typed" || en.Until != "2027-02-22" || en.Items != 1) {
			t.Errorf("decision entry %+v", en)
		}
	}
}

// TestPolicyChangeSupersedesAndNamesSuccessor: a batch whose policy
// changed can never run as approved; the plan supersedes it and names the
// batch that took its items.
func TestPolicyChangeSupersedesAndNamesSuccessor(t *testing.T) {
	e := newWeek(t)
	ctx := context.Background()
	e.put("old/x", 40*24*time.Hour)
	b := e.batch(e.plan(), "OLD")
	if _, _, err := e.p.Approve(ctx, b.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	e.rewritePolicy(strings.Replace(weekPolicy, "keep: P30D\n    approval:\n      - {group: leaders, count: 1}\n  - id: LOG", "keep: P31D\n    approval:\n      - {group: leaders, count: 1}\n  - id: LOG", 1))
	res := e.plan()
	if len(res.Superseded) != 1 || res.Superseded[0].ID != b.ID || len(res.Batches) != 1 || res.Superseded[0].Successor != res.Batches[0].ID {
		t.Fatalf("superseded %+v, cut %v", res.Superseded, e.cut(res))
	}
	got, _ := e.p.Store.Batch(ctx, b.ID)
	if got.Status != store.StatusSuperseded || got.Successor != res.Batches[0].ID {
		t.Errorf("batch %+v", got)
	}
	if rs, err := e.p.Execute(ctx, b.ID, "it"); err == nil {
		t.Errorf("executed a superseded batch: %+v", rs)
	}
	if !e.src.Exists("old/x") {
		t.Error("deleted under a superseded approval")
	}
}

// rewritePolicy replaces the policy file and loads the configuration
// again, as a reload does.
func (w *week) rewritePolicy(text string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, "policy.yaml"), []byte(text), 0o644); err != nil {
		w.t.Fatal(err)
	}
	cfg, err := configs.Load(w.cfg.File, connectors.NewRegistry(memory.Kind(), exports.Kind()))
	if err != nil {
		w.t.Fatal(err)
	}
	w.cfg = cfg
	w.p.SetConfig(cfg)
}
