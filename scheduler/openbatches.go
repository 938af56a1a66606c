package scheduler

import (
	"context"
	"fmt"
	"hash/maphash"

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
	// index finds an item by a hash of its ref (see find); refs whose
	// hash another ref has already are in more.
	index map[uint64]int32
	more  map[string]int32
	seed  maphash.Seed
	items []openItem
	// batches are the open batches, by openItem.b.
	batches []store.Batch
	// decided are the items retention decisions (not revoked) cover.
	decided map[string]*store.RetentionDecision
	// stale are the open batches that cannot run under the policies in
	// force: superseded by the plan.
	stale []store.Batch
}

// openItem is an item of an open batch.
type openItem struct {
	ref, version string
	b            int32 // the batch: batches[b]
	seen         bool
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
	o := &openSet{decided: map[string]*store.RetentionDecision{}}
	bs, err := p.Store.OpenBatches(ctx, source)
	if err != nil {
		return nil, fmt.Errorf("read the open batches of %s: %w", source, err)
	}
	n := int64(0)
	for _, b := range bs {
		n += b.Items - b.Withdrawn
	}
	o.index, o.more, o.seed = make(map[uint64]int32, n), map[string]int32{}, maphash.MakeSeed()
	o.batches = bs
	o.items = make([]openItem, 0, n)
	for i := range bs {
		b := &bs[i]
		if _, err := p.batchRule(b); err != nil {
			// It cannot run under the policies in force.
			if b.Status != store.StatusExecuting {
				o.stale = append(o.stale, *b)
			}
			continue
		}
		err := p.Store.BatchRefs(ctx, b, func(ref, version string) {
			it := openItem{ref: ref, version: version, b: int32(i)}
			if k, ok := o.find(ref); ok {
				// In two open batches (an executing one, and one cut
				// before items in open batches were kept out of new
				// ones): the newer one counts.
				o.items[k] = it
				return
			}
			k := int32(len(o.items))
			o.items = append(o.items, it)
			h := maphash.String(o.seed, ref)
			if _, taken := o.index[h]; taken {
				o.more[ref] = k
				return
			}
			o.index[h] = k
		})
		if err != nil {
			return nil, fmt.Errorf("read the open batches of %s: %w", source, err)
		}
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

// find returns the index in o.items of the open item with ref. (A map
// keyed by a 64-bit hash is much cheaper than one keyed by paths, for the
// million lookups of a large plan; the ref is compared on a hit.)
func (o *openSet) find(ref string) (int32, bool) {
	if k, ok := o.index[maphash.String(o.seed, ref)]; ok && o.items[k].ref == ref {
		return k, true
	}
	if len(o.more) > 0 {
		k, ok := o.more[ref]
		return k, ok
	}
	return 0, false
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
	i, ok := o.find(ref)
	if !ok {
		return 0
	}
	oi := &o.items[i]
	oi.seen = true
	want := policies.Due
	b := &o.batches[oi.b]
	if b.Method == store.MethodArchive {
		want = policies.Archive
	}
	due := !kept && verdict == want
	switch {
	case oi.version != version:
		oi.withdraw, oi.newVersion = "changed", due
	case due:
		return b.ID
	case kept:
		oi.withdraw = "kept_by_decision"
	case verdict == policies.Held:
		oi.withdraw = "held"
	default:
		oi.withdraw = "not_due"
	}
	return 0
}
