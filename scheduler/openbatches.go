package scheduler

import (
	"context"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
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
//
// A source may have hundreds of thousands of items in open batches, and a
// plan looks up every item it lists: items are found by a 128-bit hash of
// their ref and hold a 64-bit hash of their version, no strings, so that
// the set costs about 40 bytes an item and nothing for the garbage
// collector to scan. The refs and versions of the items a plan withdraws
// are read again before they are recorded (resolve).
type openSet struct {
	index map[refKey]int32 // -> items
	// filter has the bit key[0]&mask set for every item: most refs that
	// are in no open batch are told apart without a lookup in index.
	filter       []uint64
	mask         uint64
	items        []openItem
	seed1, seed2 maphash.Seed
	// batches are the open batches, by openItem.b.
	batches []store.Batch
	// refs and versions of withdrawn items, by index in items (resolve).
	refs, versions map[int32]string
	// decided are the items retention decisions (not revoked) cover.
	decided map[string]*store.RetentionDecision
	// stale are the open batches that cannot run under the policies in
	// force: superseded by the plan.
	stale []store.Batch
}

// refKey is a 128-bit hash of a ref: two refs of one source share one
// with a chance of about 2^-128 per pair.
type refKey [2]uint64

func (o *openSet) key(ref string) refKey {
	return refKey{maphash.String(o.seed1, ref), maphash.String(o.seed2, ref)}
}

// openItem is an item of an open batch.
type openItem struct {
	version uint64 // maphash of its version, under seed1
	b       int32  // the batch: batches[b]
	seen    bool
	// withdraw is why the plan withdraws the item, or 0 (see
	// withdrawalCode).
	withdraw uint8
	// newVersion is set when the item changed and its new version is due
	// under the same rule: it went into the plan's new batch.
	newVersion bool
}

// Why a plan withdraws an item: 1 + its index in ledger.WithdrawalCodes.
var (
	wChanged = withdrawal("changed")
	wAbsent  = withdrawal("absent")
	wHeld    = withdrawal("held")
	wNotDue  = withdrawal("not_due")
	wKept    = withdrawal("kept_by_decision")
)

func withdrawal(code string) uint8 {
	i := slices.Index(ledger.WithdrawalCodes, code)
	if i < 0 {
		panic("scheduler: " + code + " is not one of ledger.WithdrawalCodes")
	}
	return uint8(i + 1)
}

// withdrawalCode is the ledger's code for openItem.withdraw.
func withdrawalCode(w uint8) string { return ledger.WithdrawalCodes[w-1] }

// loadOpenSet reads the open batches and the retention decisions of a
// source.
func (p *Pipeline) loadOpenSet(ctx context.Context, source string) (*openSet, error) {
	o := &openSet{decided: map[string]*store.RetentionDecision{}, seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed()}
	bs, err := p.Store.OpenBatches(ctx, source)
	if err != nil {
		return nil, fmt.Errorf("read the open batches of %s: %w", source, err)
	}
	n := int64(0)
	for _, b := range bs {
		n += b.Items - b.Withdrawn
	}
	o.index, o.items, o.batches = make(map[refKey]int32, n), make([]openItem, 0, n), bs
	bits := uint64(64)
	for bits < uint64(n)*16 { // 16 bits an item: 2 bytes, about 6% false positives
		bits <<= 1
	}
	o.filter, o.mask = make([]uint64, bits/64), bits-1
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
			it := openItem{version: maphash.String(o.seed1, version), b: int32(i)}
			k := o.key(ref)
			if at, ok := o.index[k]; ok {
				// In two open batches (an executing one, and one cut
				// before items in open batches were kept out of new
				// ones): the newer one counts.
				o.items[at] = it
				return
			}
			o.index[k] = int32(len(o.items))
			o.items = append(o.items, it)
			o.filter[(k[0]&o.mask)/64] |= 1 << (k[0] & 63)
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

// resolve reads again the refs and versions of the items the plan
// withdraws, from the batches they are in.
func (o *openSet) resolve(ctx context.Context, st *store.Store) error {
	o.refs, o.versions = map[int32]string{}, map[int32]string{}
	has := map[int32]bool{}
	for i := range o.items {
		if o.items[i].withdraw != 0 {
			has[o.items[i].b] = true
		}
	}
	for bi := range has {
		b := &o.batches[bi]
		err := st.BatchRefs(ctx, b, func(ref, version string) {
			if i, ok := o.index[o.key(ref)]; ok && o.items[i].b == bi && o.items[i].withdraw != 0 {
				o.refs[i], o.versions[i] = strings.Clone(ref), strings.Clone(version)
			}
		})
		if err != nil {
			return fmt.Errorf("read the items withdrawn from batch %d: %w", b.ID, err)
		}
	}
	return nil
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
	if len(o.items) == 0 {
		return 0
	}
	h := maphash.String(o.seed1, ref)
	if o.filter[(h&o.mask)/64]&(1<<(h&63)) == 0 {
		return 0
	}
	i, ok := o.index[refKey{h, maphash.String(o.seed2, ref)}]
	if !ok {
		return 0
	}
	oi := &o.items[i]
	oi.seen = true
	b := &o.batches[oi.b]
	want := policies.Due
	if b.Method == store.MethodArchive {
		want = policies.Archive
	}
	due := !kept && verdict == want
	switch {
	case oi.version != maphash.String(o.seed1, version):
		oi.withdraw, oi.newVersion = wChanged, due
	case due:
		return b.ID
	case kept:
		oi.withdraw = wKept
	case verdict == policies.Held:
		oi.withdraw = wHeld
	default:
		oi.withdraw = wNotDue
	}
	return 0
}
