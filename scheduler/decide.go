package scheduler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// Retention decisions: a person who may approve a batch may instead decide
// to keep its items — all of them (a rejection) or some (an exclusion) —
// until a date. Plans show such items as kept by decision and propose
// them again only after that date; the approver then sees the earlier
// decision. A decision can be revoked by the same people.

// DecisionOptions are what a rejection or an exclusion records.
type DecisionOptions struct {
	// Reason is why; it goes into the ledger, so it names no people.
	Reason string
	// KeepUntil is the last day the items are kept; zero means today plus
	// ReviewAfter.
	KeepUntil policies.Date
	// ReviewAfter is how long the items are kept when KeepUntil is zero;
	// zero means the rule's review_after (six months by default).
	ReviewAfter policies.Period
}

// until is the last day a decision taken today under rule keeps its items.
func (o DecisionOptions) until(today policies.Date, rule *policies.Rule) (policies.Date, error) {
	switch {
	case !o.KeepUntil.IsZero() && !o.ReviewAfter.IsZero():
		return policies.Date{}, errors.New("give either --keep-until or --review-after, not both")
	case !o.KeepUntil.IsZero():
		if !o.KeepUntil.After(today) {
			return policies.Date{}, fmt.Errorf("--keep-until %s is not after today (%s): a decision keeps items until a later day", o.KeepUntil, today)
		}
		return o.KeepUntil, nil
	case !o.ReviewAfter.IsZero():
		return today.Add(o.ReviewAfter), nil
	case rule != nil && !rule.ReviewAfter.IsZero():
		return today.Add(rule.ReviewAfter), nil
	}
	return today.Add(policies.DefaultReviewAfter), nil
}

// mayDecide checks that who may decide about batch b now: a member of the
// group of the stage the batch waits for (or, once every stage is
// complete, of any of its stages; after escalation, of the rule's
// escalate_to group). A batch of a rule that needs no approval is decided
// by operators.
func (p *Pipeline) mayDecide(tx *store.Tx, who configs.Person, b *store.Batch, rule *policies.Rule) error {
	if rule == nil || rule.Approval.Automatic() {
		if who.Has(configs.RoleOperator) {
			return nil
		}
		return fmt.Errorf("batch %d needs no approval, so operators decide about it, and %s is not an operator: %w", b.ID, who.ID, ErrNotAllowed)
	}
	if !who.Has(configs.RoleApprover) {
		return fmt.Errorf("%s does not have the approver role: %w", who.ID, ErrNotAllowed)
	}
	as, err := tx.Approvals(b.ID)
	if err != nil {
		return err
	}
	st := approvalState(rule, b, as)
	var groups []string
	for _, ss := range st.Stages {
		groups = append(groups, ss.Stage.Group)
		if !ss.Done() {
			break
		}
	}
	if !b.EscalatedAt.IsZero() && rule.EscalateTo != "" {
		groups = append(groups, rule.EscalateTo)
	}
	for _, g := range groups {
		if slices.Contains(who.Groups, g) {
			return nil
		}
	}
	return fmt.Errorf("batch %d is decided by group %s, and %s is in none of them: %w", b.ID, strings.Join(groups, " or "), who.ID, ErrNotAllowed)
}

// decider looks up the person deciding: an approver, or an operator for
// batches of rules that need no approval (checked by mayDecide).
func (p *Pipeline) decider(ctx context.Context, person string) (configs.Person, error) {
	if person == "" {
		return configs.Person{}, fmt.Errorf("say who you are with --as (a person in %s): %w", p.Config.File, ErrNotAllowed)
	}
	who, ok := p.Person(ctx, person)
	if !ok {
		return configs.Person{}, fmt.Errorf("%q is not a person in %s: %w", person, p.Config.File, ErrNotAllowed)
	}
	return who, nil
}

// Reject records that person rejected batch id, and their decision to keep
// its items until a date (opts): no plan proposes them again before it. A
// batch that has not begun will never be executed; a batch being executed
// stops before its next slice (RejectResult.WasExecuting): what it deleted
// stays deleted, and at most the slice in flight still completes.
func (p *Pipeline) Reject(ctx context.Context, id int64, person string, opts DecisionOptions) (RejectResult, error) {
	who, err := p.decider(ctx, person)
	if err != nil {
		return RejectResult{}, err
	}
	if strings.TrimSpace(opts.Reason) == "" {
		return RejectResult{}, fmt.Errorf("say why the batch is rejected (--reason); it goes into the ledger, so name no people")
	}
	var out RejectResult
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		b, err := tx.Batch(id)
		if err != nil {
			return err
		}
		open := []string{store.StatusPending, store.StatusGuarded, store.StatusApproved, store.StatusExecuting}
		if !slices.Contains(open, b.Status) {
			return fmt.Errorf("batch %d is %s: %w", id, b.Status, ErrState)
		}
		rule := p.Config.Policies.Rule(b.Rule)
		if err := p.mayDecide(tx, who, b, rule); err != nil {
			return err
		}
		until, err := opts.until(p.today(), rule)
		if err != nil {
			return err
		}
		out.WasExecuting = b.Status == store.StatusExecuting
		now := p.Clock.Now()
		// An executing batch stops before its next slice: the executor
		// reads the status again, in the transaction that would open it.
		if err := tx.ChangeStatus(id, open, store.StatusRejected, "rejected by "+who.ID+": "+opts.Reason, now); err != nil {
			return err
		}
		refs, err := batchRefs(tx, b)
		if err != nil {
			return err
		}
		did, err := tx.NextDecisionID()
		if err != nil {
			return err
		}
		d := store.RetentionDecision{ID: did, Kind: store.DecisionRejected, Source: b.Source, Rule: b.Rule, BatchID: b.ID,
			Reason: opts.Reason, Actor: who.ID, Auth: p.identity(ctx).Method, At: store.Time{Time: now}, Until: until.String()}
		if err := tx.AddDecision(d, refs); err != nil {
			return err
		}
		out.Decision, out.Until, out.Items = did, until, int64(len(refs))
		e := p.entry(ledger.TypeRejection)
		e.Batch, e.Rule, e.Plan, e.Actor, e.Role, e.Reason = id, b.Rule, b.Fingerprint, who.ID, roleOf(rule), opts.Reason
		p.signed(ctx, &e)
		r := p.entry(ledger.TypeRetentionDecision)
		r.Batch, r.Source, r.Rule, r.Plan, r.Items = id, b.Source, b.Rule, b.Fingerprint, int64(len(refs))
		r.Decision, r.Code, r.Until, r.Reason = did, store.DecisionRejected, until.String(), opts.Reason
		r.Actor, r.Role = who.ID, roleOf(rule)
		p.signed(ctx, &r)
		return appendEntries(tx, e, r)
	})
	if err != nil {
		return RejectResult{}, err
	}
	p.Log.Info("batch rejected", zap.Int64("batch", id), zap.String("decision", out.Decision), zap.String("until", out.Until.String()))
	return out, p.Checkpoint(ctx)
}

// RejectResult says what a rejection did.
type RejectResult struct {
	// WasExecuting is set when the batch was being executed: the items
	// it deleted before stay deleted (they are in the ledger), at most the
	// slice in flight completes, and nothing after it is touched.
	WasExecuting bool
	// Decision is the retention decision recorded, keeping Items items
	// through Until.
	Decision string
	Until    policies.Date
	Items    int64
}

// roleOf is the role in which a person decides about a rule's batches.
func roleOf(rule *policies.Rule) string {
	if rule == nil || rule.Approval.Automatic() {
		return configs.RoleOperator
	}
	return configs.RoleApprover
}

// batchRefs returns the refs of a batch's items that are still in it.
func batchRefs(tx *store.Tx, b *store.Batch) ([]string, error) {
	var gone map[string]string
	if b.Withdrawn > 0 {
		var err error
		if gone, err = tx.Withdrawn(b.ID); err != nil {
			return nil, err
		}
	}
	refs := make([]string, 0, b.Items-b.Withdrawn)
	err := tx.BatchChunks(b.ID, func(c store.Chunk) error {
		for i := range c.Items {
			if _, ok := gone[c.Items[i].Ref]; !ok {
				refs = append(refs, c.Items[i].Ref)
			}
		}
		return nil
	})
	return refs, err
}

// ExcludeSpec names the items to take out of a batch: exact refs (the
// paths batches show prints) and a path pattern (as in holds), or both.
type ExcludeSpec struct {
	Refs []string
	Path string
	DecisionOptions
}

// ExcludeResult says what an exclusion did.
type ExcludeResult struct {
	Decision string
	Until    policies.Date
	Items    int64 // excluded now
	// Left is how many items remain in the batch; Emptied is set when
	// none do (the batch is withdrawn).
	Left    int64
	Emptied bool
	Status  string // the batch's status after the exclusion
}

// ErrNoMatch is returned by Exclude when the items named are not in the
// batch.
var ErrNoMatch = errors.New("no such item in the batch")

// Exclude takes items out of batch id, which must not have begun to run,
// and records person's decision to keep them until a date. The approvals
// given stand for the items left (approving a set covers every subset of
// it); a batch left empty is withdrawn.
func (p *Pipeline) Exclude(ctx context.Context, id int64, person string, spec ExcludeSpec) (ExcludeResult, error) {
	who, err := p.decider(ctx, person)
	if err != nil {
		return ExcludeResult{}, err
	}
	if strings.TrimSpace(spec.Reason) == "" {
		return ExcludeResult{}, fmt.Errorf("say why the items are kept (--reason); it goes into the ledger, so name no people")
	}
	if len(spec.Refs) == 0 && spec.Path == "" {
		return ExcludeResult{}, fmt.Errorf("name the items to exclude: their paths as `batches show %d` prints them, or --path PATTERN", id)
	}
	var pat *policies.Pattern
	if spec.Path != "" {
		// Case-insensitive, as holds: excluding too much keeps too much,
		// never deletes.
		if pat, err = policies.CompilePattern(spec.Path, true); err != nil {
			return ExcludeResult{}, fmt.Errorf("--path: %w", err)
		}
	}
	var out ExcludeResult
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		b, err := tx.Batch(id)
		if err != nil {
			return err
		}
		if !slices.Contains(store.WithdrawableStatuses, b.Status) {
			return fmt.Errorf("batch %d is %s: items can only be excluded before a batch runs: %w", id, b.Status, ErrState)
		}
		rule := p.Config.Policies.Rule(b.Rule)
		if err := p.mayDecide(tx, who, b, rule); err != nil {
			return err
		}
		until, err := spec.until(p.today(), rule)
		if err != nil {
			return err
		}
		in, err := batchItems(tx, b)
		if err != nil {
			return err
		}
		var picked []store.PlanItem
		seen := map[string]bool{}
		var missing []string
		for _, ref := range spec.Refs {
			it, ok := in[ref]
			if !ok {
				missing = append(missing, ref)
				continue
			}
			if !seen[ref] {
				seen[ref] = true
				picked = append(picked, it)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("batch %d holds no item %q (withdrawn already, or not in it; see `retentiond batches show %d`); nothing was excluded: %w", id, missing[0], id, ErrNoMatch)
		}
		if pat != nil {
			n := 0
			for _, ref := range slices.Sorted(maps.Keys(in)) {
				if pat.Matches(ref) {
					n++
					if !seen[ref] {
						seen[ref] = true
						picked = append(picked, in[ref])
					}
				}
			}
			if n == 0 {
				return fmt.Errorf("--path %q matches no item of batch %d; nothing was excluded: %w", spec.Path, id, ErrNoMatch)
			}
		}
		now := p.Clock.Now()
		did, err := tx.NextDecisionID()
		if err != nil {
			return err
		}
		refs := make([]string, len(picked))
		for i := range picked {
			refs[i] = picked[i].Ref
		}
		d := store.RetentionDecision{ID: did, Kind: store.DecisionExcluded, Source: b.Source, Rule: b.Rule, BatchID: b.ID,
			Reason: spec.Reason, Actor: who.ID, Auth: p.identity(ctx).Method, At: store.Time{Time: now}, Until: until.String()}
		if err := tx.AddDecision(d, refs); err != nil {
			return err
		}
		src, _ := p.Config.Source(b.Source)
		entries := make([]ledger.Entry, 0, len(picked))
		for _, it := range picked {
			if _, err := tx.Withdraw(store.Withdrawal{BatchID: b.ID, Ref: it.Ref, Version: it.Version, Code: "excluded", At: store.Time{Time: now}}); err != nil {
				return err
			}
			e := p.entry(ledger.TypeRetentionDecision)
			e.Batch, e.Source, e.Rule, e.Plan = b.ID, b.Source, b.Rule, b.Fingerprint
			e.Item = p.Refs.Ref("item:"+src.Kind.Name+":"+b.Source, it.Ref)
			e.Decision, e.Code, e.Until, e.Reason = did, store.DecisionExcluded, until.String(), spec.Reason
			e.Actor, e.Role = who.ID, roleOf(rule)
			p.signed(ctx, &e)
			entries = append(entries, e)
		}
		out = ExcludeResult{Decision: did, Until: until, Items: int64(len(picked)), Left: int64(len(in) - len(picked)), Status: b.Status}
		if out.Left == 0 {
			note := fmt.Sprintf("every item was excluded by %s (decision %s)", who.ID, did)
			if err := tx.ChangeStatus(b.ID, store.WithdrawableStatuses, store.StatusWithdrawn, note, now); err != nil {
				return err
			}
			out.Emptied, out.Status = true, store.StatusWithdrawn
		}
		return appendEntries(tx, entries...)
	})
	if err != nil {
		return ExcludeResult{}, err
	}
	p.Log.Info("items excluded from batch", zap.Int64("batch", id), zap.String("decision", out.Decision), zap.Int64("items", out.Items))
	return out, p.Checkpoint(ctx)
}

// batchItems returns the items still in a batch, by ref.
func batchItems(tx *store.Tx, b *store.Batch) (map[string]store.PlanItem, error) {
	gone, err := tx.Withdrawn(b.ID)
	if err != nil {
		return nil, err
	}
	in := map[string]store.PlanItem{}
	err = tx.BatchChunks(b.ID, func(c store.Chunk) error {
		for _, it := range c.Items {
			if _, ok := gone[it.Ref]; !ok {
				in[it.Ref] = it
			}
		}
		return nil
	})
	return in, err
}

// RevokeDecision revokes a retention decision before its date: the next
// plan proposes its items again if they are due. The same people who may
// take such a decision may revoke it: an approver of a group of the rule's
// stages (an operator for a rule that needs no approval).
func (p *Pipeline) RevokeDecision(ctx context.Context, id, person string) (*store.RetentionDecision, error) {
	who, err := p.decider(ctx, person)
	if err != nil {
		return nil, err
	}
	var out *store.RetentionDecision
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		d, err := tx.RetentionDecision(id)
		if err != nil {
			return err
		}
		if d.RevokedAt != "" {
			return fmt.Errorf("decision %s was revoked by %s at %s already: %w", id, d.RevokedBy, d.RevokedAt, ErrState)
		}
		rule := p.Config.Policies.Rule(d.Rule)
		allowed := false
		switch {
		case rule == nil || rule.Approval.Automatic():
			allowed = who.Has(configs.RoleOperator)
		case who.Has(configs.RoleApprover):
			for _, st := range rule.Approval.Stages {
				allowed = allowed || slices.Contains(who.Groups, st.Group)
			}
		}
		if !allowed {
			return fmt.Errorf("%s may not revoke decision %s: only the people who may decide about rule %s's batches may: %w", who.ID, id, d.Rule, ErrNotAllowed)
		}
		now := p.Clock.Now()
		if err := tx.RevokeDecision(id, who.ID, now); err != nil {
			return err
		}
		e := p.entry(ledger.TypeDecisionRevoked)
		e.Decision, e.Batch, e.Source, e.Rule, e.Actor, e.Role = id, d.BatchID, d.Source, d.Rule, who.ID, roleOf(rule)
		p.signed(ctx, &e)
		out = d
		return appendEntries(tx, e)
	})
	if err != nil {
		return nil, err
	}
	return out, p.Checkpoint(ctx)
}
