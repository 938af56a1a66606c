package scheduler

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestWaitingFor: a two-stage batch waits for the leaders first (anna and
// bo), then, once anna approved, for the dpo group only (bo), and never for
// an operator; oldest first; an unknown person is refused.
func TestWaitingFor(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.put("two/a.txt", 5*24*time.Hour)
	e.put("old/a.txt", 40*24*time.Hour)
	res := e.plan()
	two, old := e.batch(res, "TWO"), e.batch(res, "OLD")
	ids := func(person string) []int64 {
		t.Helper()
		ws, err := e.p.WaitingFor(ctx, person)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, w := range ws {
			out = append(out, w.Batch.ID)
		}
		return out
	}
	same := func(got []int64, want ...int64) bool {
		if len(got) != len(want) {
			return false
		}
		for i := range got {
			if got[i] != want[i] {
				return false
			}
		}
		return true
	}
	lo, hi := min(two.ID, old.ID), max(two.ID, old.ID)
	if got := ids("anna"); !same(got, lo, hi) {
		t.Fatalf("anna waits for %v, want %d and %d", got, lo, hi)
	}
	if _, _, err := e.p.Approve(ctx, two.ID, "anna", two.Fingerprint); err != nil {
		t.Fatal(err)
	}
	if got := ids("anna"); !same(got, old.ID) {
		t.Fatalf("anna after approving stage 1 waits for %v, want only %d", got, old.ID)
	}
	ws, err := e.p.WaitingFor(ctx, "bo")
	if err != nil || len(ws) != 2 {
		t.Fatalf("bo waits for %+v (%v)", ws, err)
	}
	for _, w := range ws {
		if w.Batch.ID == two.ID && (len(w.State.Stages) != 2 || len(w.State.Stages[0].Approvers) != 1) {
			t.Fatalf("bo's view of batch %d: %+v", two.ID, w.State)
		}
	}
	if got := ids("it"); len(got) != 0 {
		t.Fatalf("an operator waits for %v", got)
	}
	if _, err := e.p.WaitingFor(ctx, "mallory"); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("unknown person: %v", err)
	}
}
