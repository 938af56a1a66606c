package scheduler

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// TestConsoleOpsCheckTheOperatorRole: PlanNow and ExecuteNow refuse a
// person without the operator role before doing anything; as the
// operator, the plan names them as its planner and the execution's
// entries name them with how they signed in (the context's identity).
func TestConsoleOpsCheckTheOperatorRole(t *testing.T) {
	e := newEnv(t)
	ref := e.p.Refs.Ref("oidc", "https://login.example/ it-subject")
	ctx := WithIdentity(context.Background(), Identity{Method: "oidc", Subject: ref})
	e.put("old/a.txt", 40*24*time.Hour)
	before, _ := e.p.Store.TreeSize(ctx)
	if _, err := e.p.PlanNow(ctx, "anna", "src"); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("an approver planned: %v", err)
	}
	if after, _ := e.p.Store.TreeSize(ctx); after != before {
		t.Fatalf("a refused plan wrote %d entries", after-before)
	}
	res, err := e.p.PlanNow(ctx, "it", "src")
	if err != nil || len(res.Batches) != 1 || res.Plan.Planner != "it" {
		t.Fatalf("plan %+v (%v)", res, err)
	}
	b := res.Batches[0]
	if _, _, err := e.p.Approve(context.Background(), b.ID, "anna", b.Fingerprint); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.ExecuteNow(ctx, "anna", b.ID); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("an approver executed: %v", err)
	}
	if got, _ := e.p.Store.Batch(ctx, b.ID); got.Status != store.StatusApproved {
		t.Fatalf("batch %s after a refused execution", got.Status)
	}
	r, err := e.p.ExecuteNow(ctx, "it", b.ID)
	if err != nil || r.Deleted != 1 {
		t.Fatalf("execute %+v (%v)", r, err)
	}
	if _, err := e.p.ExecuteNow(ctx, "it", b.ID); !errors.Is(err, ErrState) {
		t.Fatalf("executed twice: %v", err)
	}
	n := 0
	err = e.p.Store.Entries(ctx, func(_ int64, data []byte) error {
		en, err := ledger.Parse(data)
		if err == nil && (en.Type == ledger.TypeExecutionStarted || en.Type == ledger.TypeExecutionFinished) {
			n++
			if en.Actor != "it" || en.Auth != "oidc" || en.Identity != ref {
				t.Errorf("%s: actor %q auth %q identity %q", en.Type, en.Actor, en.Auth, en.Identity)
			}
		}
		return err
	})
	if err != nil || n != 2 {
		t.Fatalf("%d execution entries (%v)", n, err)
	}
}

// TestForJobKeepsItsConfiguration: a job's pipeline keeps the
// configuration in force when it started, whatever SetConfig does later.
func TestForJobKeepsItsConfiguration(t *testing.T) {
	e := newEnv(t)
	job := e.p.ForJob()
	other := *e.cfg
	e.p.SetConfig(&other)
	if job.Config != e.cfg || e.p.CurrentConfig() != &other || job.Store != e.p.Store {
		t.Fatal("the job's pipeline follows SetConfig")
	}
}
