package scheduler

import (
	"context"
	"errors"
	"fmt"
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

const testPolicy = `version: 1
id: test
rules:
  - id: OLD
    title: Old files
    type: delete_after
    path: "old/**"
    from: item.modified
    keep: P30D
    approval:
      - {group: leaders, count: 1}
  - id: CAM
    title: Recordings
    type: delete_after
    path: "cam/**"
    from: item.modified
    keep: P30D
    approval: none
    prune_empty_folders: true
  - id: TWO
    title: Two stages
    type: delete_after
    path: "two/**"
    from: item.modified
    keep: P1D
    approval:
      - {group: leaders, count: 1}
      - {group: dpo, count: 1}
    guard: {max_items: 50}
  - id: BOX
    title: Mailboxes
    type: delete_after
    path: "*.mbx/**"
    from: item.modified
    keep: P30D
    approval: none
`

const testConfig = `version: 1
ledger: {origin: test.invalid/ledger}
policies: [policy.yaml]
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: bo, roles: [approver], groups: [leaders, dpo]}
  - {id: it, roles: [operator]}
sources:
  - name: src
    kind: memory
    options: {name: %s}
`

var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

type env struct {
	t   testing.TB
	dir string
	src *memory.Source
	cfg *configs.Config
	p   *Pipeline
}

func newEnv(t *testing.T) *env { return newEnvB(t) }

func newEnvB(t testing.TB) *env { return newEnvWith(t, testPolicy, testConfig) }

// newEnvWith is an env with the given policy file and configuration, whose
// one %s is the name of the memory source the env puts items into; dirs are
// made below the env's directory (for export sources).
func newEnvWith(t testing.TB, policy, config string, dirs ...string) *env {
	t.Helper()
	dir := t.TempDir()
	name := strings.ReplaceAll(t.Name(), "/", "_")
	src := memory.New(name)
	memory.Register(name, src)
	for _, d := range dirs {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "retentiond.yaml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf(config, name)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Load(cfgFile, connectors.NewRegistry(memory.Kind(), exports.Kind()))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, src: src, cfg: cfg}
	e.reopen()
	return e
}

// reopen opens a new pipeline on the same database: a restart.
func (e *env) reopen() {
	e.t.Helper()
	p, err := New(context.Background(), e.cfg, Deps{Clock: FixedClock{now}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.p = p
	e.t.Cleanup(func() { p.Close() })
}

func (e *env) put(ref string, age time.Duration) {
	e.src.Put(ref, []byte(ref), now.Add(-age))
}

func (e *env) plan() *PlanResult {
	e.t.Helper()
	res, err := e.p.Plan(context.Background(), PlanOptions{Source: "src", Planner: "it", Samples: 5})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func (e *env) batch(res *PlanResult, rule string) store.Batch {
	e.t.Helper()
	for _, b := range res.Batches {
		if b.Rule == rule {
			return b
		}
	}
	e.t.Fatalf("no batch for rule %s in %+v", rule, res.Batches)
	return store.Batch{}
}

// entries returns the ledger entries, verifying the ledger on the way.
func (e *env) entries() []ledger.Entry {
	e.t.Helper()
	var es []ledger.Entry
	err := e.p.Store.Entries(context.Background(), func(_ int64, data []byte) error {
		en, err := ledger.Parse(data)
		es = append(es, en)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	cps, _ := e.p.Store.Checkpoints(context.Background())
	var notes [][]byte
	for _, c := range cps {
		notes = append(notes, c.Note)
	}
	vs, _ := ledger.NewVerifiers(e.p.Signer.VerifierKey())
	if _, err := ledger.Verify(context.Background(), ledger.Source{Entries: e.p.Store.Entries, Checkpoints: notes, Verifiers: vs}); err != nil {
		e.t.Fatalf("ledger does not verify: %v", err)
	}
	return es
}

// deletions counts deletion entries per item reference and outcome.
func (e *env) deletions() map[string][]string {
	out := map[string][]string{}
	for _, en := range e.entries() {
		if en.Type == ledger.TypeDeletion {
			out[en.Item] = append(out[en.Item], en.Outcome)
		}
	}
	return out
}

func (e *env) ref(item string) string { return e.p.Refs.Ref("item:memory:src", item) }

func TestPlanApproveExecute(t *testing.T) {
	e := newEnv(t)
	e.put("old/a.txt", 40*24*time.Hour)
	e.put("old/b.txt", 31*24*time.Hour)
	e.put("old/new.txt", 29*24*time.Hour)
	e.put("other/x.txt", 400*24*time.Hour)
	res := e.plan()
	if res.Plan.Listed != 4 || res.Plan.Due != 2 || res.Plan.Keep != 2 {
		t.Fatalf("plan %+v", res.Plan)
	}
	b := e.batch(res, "OLD")
	if b.Status != store.StatusPending || b.Items != 2 {
		t.Fatalf("batch %+v", b)
	}
	// Nothing unapproved is deleted.
	if rs, _ := e.p.Execute(context.Background(), 0, "it"); len(rs) != 0 || e.src.Len() != 4 {
		t.Fatalf("executed unapproved: %+v", rs)
	}
	if _, _, err := e.p.Approve(context.Background(), b.ID, "it", ""); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("operator approved: %v", err)
	}
	if _, _, err := e.p.Approve(context.Background(), b.ID, "anna", "sha256:other"); !errors.Is(err, ErrState) {
		t.Fatalf("approved a different fingerprint: %v", err)
	}
	got, _, err := e.p.Approve(context.Background(), b.ID, "anna", b.Fingerprint)
	if err != nil || got.Status != store.StatusApproved {
		t.Fatalf("approve: %v %+v", err, got)
	}
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil || len(rs) != 1 || rs[0].Deleted != 2 || rs[0].Err != nil {
		t.Fatalf("execute: %v %+v", err, rs)
	}
	if e.src.Exists("old/a.txt") || e.src.Exists("old/b.txt") || !e.src.Exists("old/new.txt") || !e.src.Exists("other/x.txt") {
		t.Fatal("wrong items deleted")
	}
	d := e.deletions()
	if fmt.Sprint(d[e.ref("old/a.txt")]) != "[deleted]" || fmt.Sprint(d[e.ref("old/b.txt")]) != "[deleted]" || len(d) != 2 {
		t.Fatalf("ledger deletions %v", d)
	}
	for _, en := range e.entries() {
		for _, s := range []string{en.Item, en.Container, en.Subject, en.Reason} {
			if strings.Contains(s, "old/") {
				t.Fatalf("a path reached the ledger: %+v", en)
			}
		}
	}
}

func TestPlannerCannotBeOnlyApprover(t *testing.T) {
	e := newEnv(t)
	e.put("old/a.txt", 40*24*time.Hour)
	res, err := e.p.Plan(context.Background(), PlanOptions{Source: "src", Planner: "anna"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.batch(res, "OLD")
	if _, _, err := e.p.Approve(context.Background(), b.ID, "anna", ""); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("planner approved alone: %v", err)
	}
	got, _, err := e.p.Approve(context.Background(), b.ID, "bo", "")
	if err != nil || got.Status != store.StatusApproved {
		t.Fatalf("bo: %v", err)
	}
}

func TestStagesInOrder(t *testing.T) {
	e := newEnv(t)
	e.put("two/a.txt", 5*24*time.Hour)
	b := e.batch(e.plan(), "TWO")
	got, st, err := e.p.Approve(context.Background(), b.ID, "anna", "")
	if err != nil || got.Status != store.StatusPending || !st.Stages[0].Done() || st.Stages[1].Done() {
		t.Fatalf("stage 1: %v %+v %+v", err, got, st)
	}
	if _, _, err := e.p.Approve(context.Background(), b.ID, "anna", ""); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("same approver twice: %v", err)
	}
	got, _, err = e.p.Approve(context.Background(), b.ID, "bo", "")
	if err != nil || got.Status != store.StatusApproved {
		t.Fatalf("stage 2: %v %+v", err, got)
	}
}

func TestAutomaticRuleAndPrune(t *testing.T) {
	e := newEnv(t)
	e.put("cam/1/2026-10-01/a.mp4", 50*24*time.Hour)
	e.put("cam/1/2026-10-01/b.mp4", 50*24*time.Hour)
	e.put("cam/1/2026-11-20/c.mp4", 2*24*time.Hour)
	b := e.batch(e.plan(), "CAM")
	if b.Status != store.StatusApproved {
		t.Fatalf("automatic rule batch is %s", b.Status)
	}
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil || rs[0].Deleted != 2 || rs[0].Pruned != 1 {
		t.Fatalf("execute: %v %+v", err, rs)
	}
	if e.src.DirExists("cam/1/2026-10-01") || !e.src.DirExists("cam/1") || !e.src.DirExists("cam/1/2026-11-20") {
		t.Fatal("wrong folders pruned")
	}
}

func TestGuardHoldsLargeBatch(t *testing.T) {
	e := newEnv(t)
	for i := range 51 {
		e.put(fmt.Sprintf("two/%02d.txt", i), 5*24*time.Hour)
	}
	b := e.batch(e.plan(), "TWO")
	if b.Status != store.StatusGuarded {
		t.Fatalf("batch of 51 with max_items 50 is %s", b.Status)
	}
	if _, _, err := e.p.Approve(context.Background(), b.ID, "anna", ""); !errors.Is(err, ErrState) {
		t.Fatalf("approved a guarded batch: %v", err)
	}
	if _, err := e.p.Confirm(context.Background(), b.ID, "anna"); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("approver confirmed: %v", err)
	}
	got, err := e.p.Confirm(context.Background(), b.ID, "it")
	if err != nil || got.Status != store.StatusPending {
		t.Fatalf("confirm: %v %+v", err, got)
	}
}

func TestGuardAgainstPreviousRun(t *testing.T) {
	if r := guardReason(policiesGuard(0, 10, 100), 1000, 50); r == "" {
		t.Error("1000 after 50 not held")
	}
	if r := guardReason(policiesGuard(0, 10, 100), 99, 1); r != "" {
		t.Errorf("99 below min_items held: %s", r)
	}
	if r := guardReason(policiesGuard(0, 10, 100), 500, 50); r != "" {
		t.Errorf("exactly 10x held: %s", r)
	}
	if r := guardReason(policiesGuard(0, 10, 100), 100000, -1); r != "" {
		t.Errorf("first run held: %s", r)
	}
}

func TestHoldAddedAfterApprovalWins(t *testing.T) {
	e := newEnv(t)
	e.put("old/keep/a.txt", 40*24*time.Hour)
	e.put("old/b.txt", 40*24*time.Hour)
	b := e.batch(e.plan(), "OLD")
	if _, _, err := e.p.Approve(context.Background(), b.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.AddHold(context.Background(), "it", HoldSpec{Reason: "case 7", Owner: "dpo", Path: "old/keep/**"}); err != nil {
		t.Fatal(err)
	}
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil || rs[0].Deleted != 1 || rs[0].Skipped != 1 {
		t.Fatalf("%v %+v", err, rs)
	}
	if !e.src.Exists("old/keep/a.txt") {
		t.Fatal("held item deleted")
	}
	if d := e.deletions(); fmt.Sprint(d[e.ref("old/keep/a.txt")]) != "[skipped_hold]" {
		t.Fatalf("ledger %v", d)
	}
}

func TestChangedItemIsNotDeleted(t *testing.T) {
	e := newEnv(t)
	e.put("old/a.txt", 40*24*time.Hour)
	b := e.batch(e.plan(), "OLD")
	e.p.Approve(context.Background(), b.ID, "anna", "")
	e.src.Modify("old/a.txt")
	rs, _ := e.p.Execute(context.Background(), 0, "it")
	if !e.src.Exists("old/a.txt") || rs[0].Skipped != 1 {
		t.Fatalf("changed item: %+v", rs)
	}
}

func TestListingFailureSavesNothing(t *testing.T) {
	e := newEnv(t)
	e.put("old/a.txt", 40*24*time.Hour)
	e.src.SetFaults(memory.Faults{List: func() error { return errors.New("share unreachable") }})
	if _, err := e.p.Plan(context.Background(), PlanOptions{Source: "src"}); err == nil {
		t.Fatal("plan succeeded on a failing listing")
	}
	if bs, _ := e.p.Store.Batches(context.Background()); len(bs) != 0 {
		t.Fatalf("batches cut from a failed listing: %+v", bs)
	}
}

func TestLookAheadCutsNoBatches(t *testing.T) {
	e := newEnv(t)
	e.put("old/a.txt", 10*24*time.Hour)
	res, err := e.p.Plan(context.Background(), PlanOptions{Source: "src", Today: e.p.today().AddDays(30)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.Due != 1 || len(res.Batches) != 0 || !res.Plan.DryRun {
		t.Fatalf("look-ahead plan: %+v %+v", res.Plan, res.Batches)
	}
}

func TestPolicyChangeBlocksExecution(t *testing.T) {
	e := newEnv(t)
	e.put("old/a.txt", 40*24*time.Hour)
	b := e.batch(e.plan(), "OLD")
	e.p.Approve(context.Background(), b.ID, "anna", "")
	e.cfg.Policies.Rule("OLD").Policy.Digest = "sha256:changed"
	rs, _ := e.p.Execute(context.Background(), 0, "it")
	if len(rs) != 1 || !errors.Is(rs[0].Err, ErrState) || !e.src.Exists("old/a.txt") {
		t.Fatalf("executed under a changed policy: %+v", rs)
	}
}

func policiesGuard(maxItems int, growth float64, minItems int) policies.Guard {
	return policies.Guard{MaxItems: maxItems, MaxGrowth: growth, MinItems: minItems}
}

// TestGuardHoldsFirstAutomaticBatch (#17, finding 7): a rule that needs no
// approval still passes the blast-radius guard: its first batch on a
// source, if large, counts as growth from nothing and waits for an
// operator; confirmed, it is approved (automatically) and executes; later
// batches are measured against it.
func TestGuardHoldsFirstAutomaticBatch(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 5000 {
		e.put(fmt.Sprintf("cam/%04d.mp4", i), 40*24*time.Hour)
	}
	b := e.batch(e.plan(), "CAM")
	if b.Status != store.StatusGuarded || !strings.Contains(b.StatusNote, "first batch of a rule that needs no approval") {
		t.Fatalf("first automatic batch of 5000 is %s (%s)", b.Status, b.StatusNote)
	}
	if _, err := e.p.Execute(ctx, b.ID, "it"); !errors.Is(err, ErrState) {
		t.Fatalf("executed a guarded automatic batch: %v", err)
	}
	if n := len(e.deletions()); n != 0 {
		t.Fatalf("%d deletions before confirmation", n)
	}
	for _, en := range e.entries() {
		if en.Type == ledger.TypeApproval && en.Batch == b.ID {
			t.Fatalf("a guarded batch was approved: %+v", en)
		}
	}
	got, err := e.p.Confirm(ctx, b.ID, "it")
	if err != nil || got.Status != store.StatusApproved {
		t.Fatalf("confirm: %v %+v", err, got)
	}
	if _, err := e.p.Execute(ctx, b.ID, "it"); err != nil {
		t.Fatal(err)
	}
	// The next batch of the rule grows from 5000, not from nothing.
	for i := range 200 {
		e.put(fmt.Sprintf("cam/new/%04d.mp4", i), 40*24*time.Hour)
	}
	if b := e.batch(e.plan(), "CAM"); b.Status != store.StatusApproved {
		t.Fatalf("second automatic batch is %s (%s)", b.Status, b.StatusNote)
	}

	// A small first batch (below min_items) needs no confirmation.
	small := newEnv(t)
	for i := range 99 {
		small.put(fmt.Sprintf("cam/%02d.mp4", i), 40*24*time.Hour)
	}
	if b := small.batch(small.plan(), "CAM"); b.Status != store.StatusApproved {
		t.Fatalf("first automatic batch of 99 is %s (%s)", b.Status, b.StatusNote)
	}
}
