package scheduler

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/store"
)

// Waiting is a pending batch that waits for one person's approval, with
// how far its approval has come.
type Waiting struct {
	Batch store.Batch
	State ApprovalState
}

// WaitingFor returns the pending batches person can approve now and has
// not approved, oldest first: the first stage still open (or, when only
// the planner approved, the last stage) is of one of the person's groups,
// or of the group the batch was escalated to. It is what `batches list
// --waiting-for` and the console's "Waiting for me" show. A person who is
// not configured, or not an approver, waits for nothing.
func (p *Pipeline) WaitingFor(ctx context.Context, person string) ([]Waiting, error) {
	who, ok := p.Person(ctx, person)
	if !ok {
		return nil, fmt.Errorf("%q is not a person in %s: %w", person, p.Config.File, ErrNotAllowed)
	}
	if !who.Has(configs.RoleApprover) {
		return nil, nil
	}
	bs, err := p.Store.Batches(ctx, store.StatusPending)
	if err != nil {
		return nil, err
	}
	var out []Waiting
	for i := range bs {
		b := &bs[i]
		st, err := p.Approval(ctx, b)
		if err != nil {
			continue // its rule is gone: nobody can approve it
		}
		if p.WaitsFor(b, st, who) {
			out = append(out, Waiting{Batch: *b, State: st})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Batch, out[j].Batch
		if !a.CreatedAt.Time.Equal(b.CreatedAt.Time) {
			return a.CreatedAt.Time.Before(b.CreatedAt.Time)
		}
		return a.ID < b.ID
	})
	return out, nil
}

// WaitsFor reports whether batch b, whose approval state is st, waits for
// who's approval: b is pending, the first stage still open (or, when only
// the planner approved, the last stage) is of one of who's groups or of the
// group the batch was escalated to, and who has not approved it.
func (p *Pipeline) WaitsFor(b *store.Batch, st ApprovalState, who configs.Person) bool {
	if b.Status != store.StatusPending || !who.Has(configs.RoleApprover) || st.Complete {
		return false
	}
	for _, s := range st.Stages {
		if slices.Contains(s.Approvers, who.ID) {
			return false
		}
	}
	group := ""
	for _, s := range st.Stages {
		if !s.Done() {
			group = s.Stage.Group
			break
		}
	}
	if group == "" && st.PlannerOnly && len(st.Stages) > 0 {
		group = st.Stages[len(st.Stages)-1].Stage.Group
	}
	if group == "" {
		return false
	}
	if slices.Contains(who.Groups, group) {
		return true
	}
	if r := p.Config.Policies.Rule(b.Rule); r != nil && r.EscalateTo != "" && !b.EscalatedAt.IsZero() {
		return slices.Contains(who.Groups, r.EscalateTo)
	}
	return false
}
