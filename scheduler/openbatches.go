package scheduler

import (
	"context"
	"fmt"

	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
)

// A batch keeps its id until it is decided. A plan therefore does not cut
// the items of a source's open batches (pending, guarded, approved,
// executing) into a new batch: it marks them as already batched, and it
// withdraws from batches that have not begun to run the items that
// changed, vanished, became held, are no longer due or that a person's
// retention decision keeps. The approvals given stand for what is left:
// approving a set covers every subset of it, and the fingerprint the
// approvers saw stays the batch's.
//
// Only a batch whose rule left the policies, or whose policy text changed,
// is superseded: what it was approved under no longer holds.

// openSet is what a plan knows about the source's open batches and
// retention decisions before it lists the source.
type openSet struct {
	items map[string]*openItem // by ref
	// decided are the items retention decisions (not revoked) cover.
	decided map[string]*store.RetentionDecision
	// stale are the open batches that cannot run under the policies in
	// force: superseded by the plan.
	stale []store.Batch
}

// openItem is an item of an open batch.
type openItem struct {
	batch   int64
	status  string
	method  string
	version string
	seen    bool
	// withdraw is why the plan withdraws the item (a ledger.WithdrawalCodes
	// token), or "".
	withdraw string
	// newVersion is set when the item changed and its new version is due
	// under the same rule: it went into the plan's new batch.
	newVersion bool
}

// loadOpenSet reads the open batches and the retention decisions of a
// source.
func (p *Pipeline) loadOpenSet(ctx context.Context, source string) (*openSet, error) {
	o := &openSet{items: map[string]*openItem{}, decided: map[string]*store.RetentionDecision{}}
	staleSeen := map[int64]bool{}
	err := p.Store.OpenBatchItems(ctx, source, func(b *store.Batch, it *store.PlanItem) error {
		if _, err := p.batchRule(b); err != nil {
			if !staleSeen[b.ID] {
				staleSeen[b.ID] = true
				if b.Status != store.StatusExecuting {
					o.stale = append(o.stale, *b)
				}
			}
			return nil
		}
		o.items[it.Ref] = &openItem{batch: b.ID, status: b.Status, method: b.Method, version: it.Version}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the open batches of %s: %w", source, err)
	}
	err = p.Store.SourceDecisions(ctx, source, func(d store.DecidedItem) error {
		if cur := o.decided[d.Ref]; cur == nil || cur.Until < d.Decision.Until {
			o.decided[d.Ref] = d.Decision
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// decision returns the retention decision that keeps ref on today, and the
// latest one whose date has passed (shown to the approver when the item
// is proposed again).
func (o *openSet) decision(ref string, today policies.Date) (active, earlier *store.RetentionDecision) {
	d := o.decided[ref]
	if d == nil {
		return nil, nil
	}
	if until, err := policies.ParseDate(d.Until); err == nil && today.After(until) {
		return nil, d
	}
	return d, nil
}

// decisionWords describes a decision for plans and approvers.
func decisionWords(d *store.RetentionDecision) string {
	what := "rejected batch " + fmt.Sprint(d.BatchID)
	if d.Kind == store.DecisionExcluded {
		what = "excluded from batch " + fmt.Sprint(d.BatchID)
	}
	return fmt.Sprintf("decision %s: %s by %s on %s (%q), until %s", d.ID, what, d.Actor, d.At.Format("2006-01-02"), d.Reason, d.Until)
}

// place decides a listed item's place with respect to the open batches:
// it returns the open batch the item stays in (0: none) and records on
// the open item why it is withdrawn, if it is. kept says a retention
// decision keeps the item. (A batch that has begun to run is not withdrawn
// from; execution decides for itself, slice by slice.)
func (o *openSet) place(ref, version string, verdict policies.Verdict, kept bool) int64 {
	oi := o.items[ref]
	if oi == nil {
		return 0
	}
	oi.seen = true
	want := policies.Due
	if oi.method == store.MethodArchive {
		want = policies.Archive
	}
	due := !kept && verdict == want
	switch {
	case oi.version != version:
		oi.withdraw, oi.newVersion = "changed", due
	case due:
		return oi.batch
	case kept:
		oi.withdraw = "kept_by_decision"
	case verdict == policies.Held:
		oi.withdraw = "held"
	default:
		oi.withdraw = "not_due"
	}
	return 0
}
