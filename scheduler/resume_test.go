package scheduler

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
)

// crashingList is a connector whose listing dies after a number of items,
// as the process would; it counts what it listed.
type crashingList struct {
	connectors.Connector
	after  int // panic when this many items were listed; 0: never
	listed *int
}

func (c crashingList) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	return c.Connector.List(ctx, opts, func(it connectors.Item) error {
		if *c.listed++; *c.listed == c.after {
			panic(crash{"listing"})
		}
		return fn(it)
	})
}

// mailboxes puts 30 mailboxes of 10 due messages each.
func (e *env) mailboxes() {
	for m := range 30 {
		for i := range 10 {
			e.put(fmt.Sprintf("user%02d.mbx/msg%02d", m, i), 40*24*time.Hour)
		}
	}
}

// wrapList makes the pipeline's connectors crash after n listed items and
// count what they list.
func (e *env) wrapList(after int, listed *int) {
	open := e.p.Open
	e.p.Open = func(ctx context.Context, src configs.Source) (connectors.Connector, error) {
		c, err := open(ctx, src)
		if err != nil {
			return nil, err
		}
		return crashingList{Connector: c, after: after, listed: listed}, nil
	}
}

// interrupted returns an environment whose plan of 30 mailboxes,
// checkpointed every 5, died after 175 messages and which was restarted;
// listed counts what its connectors list from then on.
func interrupted(t *testing.T) (e *env, listed *int) {
	e = newEnv(t)
	e.mailboxes()
	e.p.CheckpointContainers = 5
	listed = new(int)
	e.wrapList(175, listed)
	func() {
		defer func() {
			if _, ok := recover().(crash); !ok {
				t.Fatal("the listing did not crash")
			}
		}()
		e.plan()
	}()
	e.p.Close()
	e.reopen()
	e.p.CheckpointContainers = 5
	*listed = 0
	e.wrapList(0, listed)
	return e, listed
}

// A plan whose listing dies after 17½ of 30 mailboxes resumes after the
// last checkpoint (15 mailboxes): the 15 are not listed again, and the
// finished plan is the one an uninterrupted listing makes, down to its
// fingerprint.
func TestPlanResumesAfterInterruptedListing(t *testing.T) {
	whole := newEnv(t)
	whole.mailboxes()
	want := whole.plan()

	e, listed := interrupted(t)
	got := e.plan()
	if *listed != 150 {
		t.Errorf("the resumed listing listed %d items, want the 150 of the 15 mailboxes after the checkpoint", *listed)
	}
	if got.Plan.Listed != 300 || got.Plan.Due != 300 || got.Plan.Fingerprint != want.Plan.Fingerprint {
		t.Fatalf("resumed plan: listed %d, due %d, fingerprint %s; uninterrupted: listed %d, due %d, fingerprint %s",
			got.Plan.Listed, got.Plan.Due, got.Plan.Fingerprint, want.Plan.Listed, want.Plan.Due, want.Plan.Fingerprint)
	}
	if len(got.Batches) != 1 || got.Batches[0].Items != 300 || got.Batches[0].Fingerprint != want.Batches[0].Fingerprint {
		t.Fatalf("batches %+v, want one of 300 items as %+v", got.Batches, want.Batches)
	}
	// The batch runs: everything approved is deleted, exactly once. (As
	// the first batch of a rule that needs no approval, it waits for an
	// operator's confirmation first.)
	if _, err := e.p.Confirm(context.Background(), got.Batches[0].ID, "it"); err != nil {
		t.Fatal(err)
	}
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil || len(rs) != 1 || rs[0].Deleted != 300 {
		t.Fatalf("execute: %v %+v", err, rs)
	}
	if e.src.Len() != 0 {
		t.Fatalf("%d items left", e.src.Len())
	}
	// The next plan starts afresh.
	*listed = 0
	if e.plan(); *listed != 0 {
		t.Errorf("a new plan after the finished one listed %d items of an empty source", *listed)
	}
}

// An interrupted plan is resumed only by a plan for the same day and
// planner; any other starts over and never mixes with it.
func TestPlanDoesNotResumeForAnotherPlanOrDay(t *testing.T) {
	for _, tc := range []struct {
		name    string
		planner string
		day     int
	}{{"another planner", "anna", 0}, {"the next day", "it", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			e, listed := interrupted(t)
			e.p.Clock = FixedClock{now.AddDate(0, 0, tc.day)}
			res, err := e.p.Plan(context.Background(), PlanOptions{Source: "src", Planner: tc.planner, Samples: 5})
			if err != nil {
				t.Fatal(err)
			}
			if *listed != 300 || res.Plan.Listed != 300 || res.Plan.Due != 300 {
				t.Fatalf("listed %d (plan: %d listed, %d due), want all 300", *listed, res.Plan.Listed, res.Plan.Due)
			}
		})
	}
}
