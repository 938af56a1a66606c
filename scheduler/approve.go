package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// ErrNotAllowed is returned when a person may not do what they asked.
var ErrNotAllowed = errors.New("not allowed")

// ErrState is returned when a batch is not in a state that allows the
// action.
var ErrState = errors.New("batch is not in a state that allows this")

// ApprovalState is how far a batch's approval has come.
type ApprovalState struct {
	Stages   []StageState
	Complete bool
	// PlannerOnly is set when every stage is complete but the only approver
	// is the person who planned the batch.
	PlannerOnly bool
}

// StageState is one stage of approval.
type StageState struct {
	Stage     policies.Stage
	Approvers []string
}

// Done reports whether the stage has its approvals.
func (s StageState) Done() bool { return len(s.Approvers) >= s.Stage.Count }

// approvalState derives the state of a batch's approval from the rule and
// the approvals recorded.
func approvalState(rule *policies.Rule, b *store.Batch, approvals []store.Approval) ApprovalState {
	st := ApprovalState{}
	for i, stage := range rule.Approval.Stages {
		ss := StageState{Stage: stage}
		for _, a := range approvals {
			if a.Stage == i && a.Fingerprint == b.Fingerprint {
				ss.Approvers = append(ss.Approvers, a.Approver)
			}
		}
		st.Stages = append(st.Stages, ss)
	}
	st.Complete = true
	others := false
	for _, ss := range st.Stages {
		if !ss.Done() {
			st.Complete = false
		}
		for _, a := range ss.Approvers {
			if a != b.Planner {
				others = true
			}
		}
	}
	if st.Complete && len(st.Stages) > 0 && !others {
		st.Complete, st.PlannerOnly = false, true
	}
	return st
}

// Approval returns the approval state of a batch.
func (p *Pipeline) Approval(ctx context.Context, b *store.Batch) (ApprovalState, error) {
	rule := p.Config.Policies.Rule(b.Rule)
	if rule == nil {
		return ApprovalState{}, fmt.Errorf("batch %d: rule %s is no longer in the policies", b.ID, b.Rule)
	}
	as, err := p.Store.Approvals(ctx, b.ID)
	if err != nil {
		return ApprovalState{}, err
	}
	return approvalState(rule, b, as), nil
}

// Approve records person's approval of batch id, which must still have the
// fingerprint the approver reviewed (empty: the current one). The approval
// counts toward the first unfinished stage, and the person must be in its
// group or, once the batch was escalated (Escalate), in its rule's
// escalate_to group: the approval then records the stage it counts for.
// The batch becomes approved when every stage is complete and someone other
// than its planner has approved. A batch that is not pending is refused
// with a StateError saying why and what to do instead.
func (p *Pipeline) Approve(ctx context.Context, id int64, person, fingerprint string) (*store.Batch, ApprovalState, error) {
	who, err := p.person(ctx, person, configs.RoleApprover)
	if err != nil {
		return nil, ApprovalState{}, err
	}
	var (
		out       *store.Batch
		state     ApprovalState
		escalated bool // the approval counts for a stage of another group
	)
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		b, err := tx.Batch(id)
		if err != nil {
			return err
		}
		if b.Status != store.StatusPending {
			return p.stateError(tx, b, "approve")
		}
		if fingerprint != "" && fingerprint != b.Fingerprint {
			return fmt.Errorf("batch %d has fingerprint %s, not the %s you reviewed: %w", id, b.Fingerprint, fingerprint, ErrState)
		}
		rule, err := p.batchRule(b)
		if err != nil {
			return err
		}
		as, err := tx.Approvals(id)
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.Approver == who.ID {
				return fmt.Errorf("%s has already approved batch %d: %w", who.ID, id, ErrNotAllowed)
			}
		}
		st := approvalState(rule, b, as)
		stage := -1
		escalated = false
		for i, ss := range st.Stages {
			if ss.Done() {
				continue
			}
			if !slices.Contains(who.Groups, ss.Stage.Group) {
				if !escalatedTo(rule, b, who) {
					return fmt.Errorf("batch %d waits for stage %d (group %s), and %s is not in that group%s: %w", id, i+1, ss.Stage.Group, who.ID, p.escalationHint(rule, b), ErrNotAllowed)
				}
				escalated = true
			}
			stage = i
			break
		}
		if stage < 0 {
			// Every stage has its count, but only the planner approved.
			if st.PlannerOnly {
				stage = len(st.Stages) - 1
				if !slices.Contains(who.Groups, st.Stages[stage].Stage.Group) {
					if !escalatedTo(rule, b, who) {
						return fmt.Errorf("batch %d needs an approver other than its planner %s from group %s%s: %w", id, b.Planner, st.Stages[stage].Stage.Group, p.escalationHint(rule, b), ErrNotAllowed)
					}
					escalated = true
				}
			} else {
				return &StateError{Batch: id, Status: b.Status, Msg: fmt.Sprintf("batch %d has every approval it needs (by %s): nothing more is needed", id, strings.Join(approvers(as), ", "))}
			}
		}
		if who.ID == b.Planner && len(as) == 0 && len(st.Stages) == 1 && st.Stages[0].Stage.Count == 1 {
			return fmt.Errorf("%s planned batch %d and cannot be its only approver: ask another approver of group %s: %w", who.ID, id, st.Stages[0].Stage.Group, ErrNotAllowed)
		}
		now := p.Clock.Now()
		a := store.Approval{BatchID: id, Stage: stage, Approver: who.ID, Fingerprint: b.Fingerprint, At: store.Time{Time: now}, Auth: p.identity(ctx).Method}
		if err := tx.AddApproval(a); err != nil {
			return err
		}
		as = append(as, a)
		state = approvalState(rule, b, as)
		e := p.entry(ledger.TypeApproval)
		e.Batch, e.Rule, e.Plan, e.Actor, e.Role, e.Stage = id, b.Rule, b.Fingerprint, who.ID, configs.RoleApprover, stage+1
		p.signed(ctx, &e)
		if escalated {
			e.Reason = fmt.Sprintf("escalated: for stage %d (group %s) as a member of group %s", stage+1, st.Stages[stage].Stage.Group, rule.EscalateTo)
		}
		entries := []ledger.Entry{e}
		if state.Complete {
			if err := tx.ChangeStatus(id, []string{store.StatusPending}, store.StatusApproved, "approved by "+strings.Join(approvers(as), ", "), now); err != nil {
				return err
			}
			b.Status = store.StatusApproved
		}
		out = b
		return appendEntries(tx, entries...)
	})
	if err != nil {
		return nil, ApprovalState{}, err
	}
	p.Log.Info("batch approved", zap.Int64("batch", id), zap.String("approver", who.ID), zap.Bool("complete", state.Complete), zap.Bool("escalated", escalated))
	return out, state, p.Checkpoint(ctx)
}

func approvers(as []store.Approval) []string {
	var ids []string
	for _, a := range as {
		ids = append(ids, a.Approver)
	}
	return ids
}

// Confirm lets an operator release a batch held by the blast-radius guard:
// it then waits for its approvals like any other (or is approved at once if
// its rule needs none). A batch that is not guarded is refused with a
// StateError saying why.
func (p *Pipeline) Confirm(ctx context.Context, id int64, person string) (*store.Batch, error) {
	who, err := p.person(ctx, person, configs.RoleOperator)
	if err != nil {
		return nil, err
	}
	var out *store.Batch
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		b, err := tx.Batch(id)
		if err != nil {
			return err
		}
		if b.Status != store.StatusGuarded {
			return p.stateError(tx, b, "confirm")
		}
		rule, err := p.batchRule(b)
		if err != nil {
			return err
		}
		status, note := store.StatusPending, "size confirmed by "+who.ID
		entries := []ledger.Entry{}
		e := p.entry(ledger.TypeConfirmation)
		e.Batch, e.Rule, e.Plan, e.Actor, e.Role, e.Items = id, b.Rule, b.Fingerprint, who.ID, configs.RoleOperator, b.Items
		p.signed(ctx, &e)
		entries = append(entries, e)
		if rule.Approval.Automatic() {
			status = store.StatusApproved
			a := p.entry(ledger.TypeApproval)
			a.Batch, a.Rule, a.Plan, a.Reason = id, b.Rule, b.Fingerprint, "automatic: the rule needs no approval"
			entries = append(entries, a)
		}
		if err := tx.ChangeStatus(id, []string{store.StatusGuarded}, status, note, p.Clock.Now()); err != nil {
			return err
		}
		b.Status, b.StatusNote = status, note
		out = b
		return appendEntries(tx, entries...)
	})
	if err != nil {
		return nil, err
	}
	return out, p.Checkpoint(ctx)
}

// person looks up a configured person who must hold role.
func (p *Pipeline) person(ctx context.Context, id, role string) (configs.Person, error) {
	if id == "" {
		return configs.Person{}, fmt.Errorf("say who you are with --as (a person in %s): %w", p.Config.File, ErrNotAllowed)
	}
	who, ok := p.Person(ctx, id)
	if !ok {
		return configs.Person{}, fmt.Errorf("%q is not a person in %s: %w", id, p.Config.File, ErrNotAllowed)
	}
	if !who.Has(role) {
		return configs.Person{}, fmt.Errorf("%s does not have the %s role: %w", id, role, ErrNotAllowed)
	}
	return who, nil
}

// batchRule returns the rule a batch was cut under, refusing a batch whose
// policy changed since: what was approved must be what runs.
func (p *Pipeline) batchRule(b *store.Batch) (*policies.Rule, error) {
	rule := p.Config.Policies.Rule(b.Rule)
	if rule == nil {
		return nil, fmt.Errorf("batch %d: rule %s is no longer in the policies; plan again: %w", b.ID, b.Rule, ErrState)
	}
	if rule.Policy.Digest != b.PolicyDigest {
		return nil, fmt.Errorf("batch %d: policy %s changed since the batch was planned; plan again: %w", b.ID, rule.Policy.ID, ErrState)
	}
	return rule, nil
}

// Authorize returns the configured person id acting under ctx if they hold
// role, else an error wrapping ErrNotAllowed that says why. It is the one
// check of a role that callers outside the Pipeline's decisions (the
// command line's execute, the console's operators' pages) use.
func (p *Pipeline) Authorize(ctx context.Context, id, role string) (configs.Person, error) {
	return p.person(ctx, id, role)
}
