package scheduler

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// Escalated is a batch that Escalate offered to its rule's fallback group
// (escalate_to) because it waited for approval longer than the rule's
// escalate_after.
type Escalated struct {
	// Batch is the batch as it is now, EscalatedAt set.
	Batch store.Batch
	// After is the rule's escalate_after, the wait the batch exceeded.
	After policies.Period
	// Group is the rule's escalate_to group, whose approvers may now
	// approve the waiting stage in place of its group; "" when the rule
	// names none (then only the operators are told).
	Group string
	// Stage is the stage that waits (0-based) and WaitingFor its group.
	Stage      int
	WaitingFor string
	// Reason is what the ledger's escalation entry says.
	Reason string
}

// escalateAfter is the wait after which a batch of rule is escalated.
func escalateAfter(rule *policies.Rule) policies.Period {
	if rule.EscalateAfter.IsZero() {
		return policies.DefaultEscalateAfter
	}
	return rule.EscalateAfter
}

// EscalatesAt is when batch b, cut under rule, is escalated if it is
// still pending: its creation plus the rule's escalate_after, counted in
// the configured location (so that days are days across a change of
// daylight-saving time).
func (p *Pipeline) EscalatesAt(rule *policies.Rule, b *store.Batch) time.Time {
	after := escalateAfter(rule)
	return b.CreatedAt.Time.In(p.Config.Location).AddDate(after.Years, after.Months, 7*after.Weeks+after.Days)
}

// Escalate offers every pending batch that has waited longer than its
// rule's escalate_after, and was not escalated before, to the rule's
// escalate_to group: it sets the batch's EscalatedAt and records an
// escalation entry in the ledger. From then on the approvers of that group
// may approve the stage the batch waits for in place of the stage's group
// (see Approve). Escalation approves nothing: a batch is never approved by
// waiting. A batch is escalated once; the caller tells the operators and
// the fallback approvers (scheduler/notify does, in its pass).
func (p *Pipeline) Escalate(ctx context.Context) ([]Escalated, error) {
	now := p.Clock.Now()
	pending, err := p.Store.Batches(ctx, store.StatusPending)
	if err != nil {
		return nil, err
	}
	var out []Escalated
	for i := len(pending) - 1; i >= 0; i-- { // oldest first
		b := pending[i]
		if !b.EscalatedAt.IsZero() {
			continue
		}
		rule, err := p.batchRule(&b)
		if err != nil || rule.Approval.Automatic() {
			continue // a changed policy cannot be approved anyway; plan again
		}
		if now.Before(p.EscalatesAt(rule, &b)) {
			continue
		}
		state, err := p.Approval(ctx, &b)
		if err != nil {
			return out, err
		}
		esc := Escalated{After: escalateAfter(rule), Group: rule.EscalateTo, Stage: -1}
		for i, ss := range state.Stages {
			if !ss.Done() || state.PlannerOnly && i == len(state.Stages)-1 {
				esc.Stage, esc.WaitingFor = i, ss.Stage.Group
				break
			}
		}
		esc.Reason = fmt.Sprintf("waited more than %s; offered to group %s", esc.After, esc.Group)
		if esc.Group == "" {
			esc.Reason = fmt.Sprintf("waited more than %s; no escalate_to group: operators told", esc.After)
		}
		done := false
		err = p.Store.Write(ctx, func(tx *store.Tx) error {
			ok, err := tx.MarkEscalated(b.ID, now)
			if err != nil || !ok {
				return err // decided or escalated meanwhile
			}
			e := p.entry(ledger.TypeEscalation)
			e.Batch, e.Rule, e.Plan, e.Reason = b.ID, b.Rule, b.Fingerprint, esc.Reason
			done = true
			return appendEntries(tx, e)
		})
		if err != nil {
			return out, fmt.Errorf("escalate batch %d: %w", b.ID, err)
		}
		if !done {
			continue
		}
		b.EscalatedAt = store.Time{Time: now}
		esc.Batch = b
		out = append(out, esc)
		p.Log.Info("batch escalated", zap.Int64("batch", b.ID), zap.String("rule", b.Rule), zap.String("escalate_after", esc.After.String()),
			zap.String("escalate_to", esc.Group), zap.String("waiting_for", esc.WaitingFor))
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, p.Checkpoint(ctx)
}

// escalatedTo reports whether who may approve a waiting stage of batch b
// in place of the stage's group: b was escalated and who is in its rule's
// escalate_to group.
func escalatedTo(rule *policies.Rule, b *store.Batch, who configs.Person) bool {
	return !b.EscalatedAt.IsZero() && rule.EscalateTo != "" && slices.Contains(who.Groups, rule.EscalateTo)
}

// escalationHint completes the refusal of an approver who is not in the
// group a stage waits for: whether, and when, the rule's escalate_to group
// may approve in its place.
func (p *Pipeline) escalationHint(rule *policies.Rule, b *store.Batch) string {
	switch {
	case rule.EscalateTo == "":
		return ""
	case !b.EscalatedAt.IsZero():
		return fmt.Sprintf(" nor in group %s, to which it was escalated", rule.EscalateTo)
	}
	return fmt.Sprintf(" (group %s may approve in its place once the batch has waited %s, from %s)", rule.EscalateTo, escalateAfter(rule),
		p.EscalatesAt(rule, b).Format("2006-01-02 15:04"))
}
