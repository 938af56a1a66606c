package scheduler

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// ownerNotices applies the owner_notice of rules while a source is
// planned: an item such a rule makes due goes into a batch only once a
// notice to its owner about its current version is that old, and every
// item due, or due within the notice period, is recorded for the notifier
// to tell its owner about.
type ownerNotices struct {
	source string
	today  policies.Date
	loc    *time.Location
	now    time.Time
	known  map[string]store.OwnerNotice // by ref: what earlier plans recorded
	found  []store.OwnerNotice
	// Deferred counts the due items kept for their notice.
	Deferred int64
}

func (p *Pipeline) ownerNotices(ctx context.Context, source string, today policies.Date) (*ownerNotices, error) {
	known, err := p.Store.OwnerNotices(ctx, source)
	if err != nil {
		return nil, err
	}
	return &ownerNotices{source: source, today: today, loc: p.Config.Policies.Location, now: p.Clock.Now(), known: known}, nil
}

// check looks at an item and its decision. When the decision is Due but
// the owner has not had the rule's notice period, it changes the verdict
// to Keep and returns why; otherwise it returns "".
func (o *ownerNotices) check(it *connectors.Item, d *policies.Decision) string {
	r := d.Rule
	if r == nil || r.OwnerNotice.IsZero() || d.Due.IsZero() {
		return ""
	}
	switch {
	case d.Verdict == policies.Due:
	case d.Verdict == policies.Keep && d.Exemption == nil && d.Retain == nil && d.Unknown == "" && d.Hold == nil &&
		!o.today.Add(r.OwnerNotice).Before(d.Due):
		// Due within the notice period: the owner is told now.
	default:
		return ""
	}
	o.found = append(o.found, store.OwnerNotice{Source: o.source, Ref: it.Ref, Version: it.Version, Rule: r.ID,
		Due: d.Due.String(), FoundAt: store.Time{Time: o.now}})
	if d.Verdict != policies.Due {
		return ""
	}
	why := ""
	if n, ok := o.known[it.Ref]; ok && n.Version == it.Version && n.NoticedAt != nil {
		told := policies.DateOf(n.NoticedAt.Time, o.loc)
		until := told.Add(r.OwnerNotice)
		if !o.today.Before(until) {
			return ""
		}
		why = fmt.Sprintf("due since %s under rule %s, kept until %s: its owner was told on %s, and the rule gives owners %s to ask for a hold (owner_notice)",
			d.Due, r.ID, until, told, r.OwnerNotice.Human())
	} else {
		why = fmt.Sprintf("due since %s under rule %s, kept until its owner has been told and has had %s to ask for a hold (owner_notice)",
			d.Due, r.ID, r.OwnerNotice.Human())
	}
	d.Verdict = policies.Keep
	o.Deferred++
	return why
}

// record names the owner of each item found and records the notices.
// Owners already known for an item's version are not looked up again. An
// owner that cannot be read is unknown: the operators are told instead.
// With complete (the whole source was listed in one go), notices of items
// no longer found are removed.
func (p *Pipeline) recordOwnerNotices(ctx context.Context, conn connectors.Connector, o *ownerNotices, complete bool, log *zap.Logger) error {
	owners, _ := conn.(connectors.Owners)
	notify := p.Config.Notify
	found := o.found[:0]
	unreadable := 0
	for _, n := range o.found {
		if k, ok := o.known[n.Ref]; ok && k.Version == n.Version && k.Owner != "" {
			n.Owner = k.Owner
		} else if owners != nil {
			owner, err := owners.Owner(ctx, n.Ref)
			switch {
			case ctx.Err() != nil:
				return fmt.Errorf("read the owners of %s: %w", o.source, ctx.Err())
			case connectors.IsNotFound(err):
				continue // gone since it was listed
			case err != nil:
				unreadable++
				if unreadable == 1 {
					log.Warn("owner of an item could not be read; its notice goes to the operators", zap.Error(err))
				}
			}
			n.Owner = owner
		}
		n.Email = notify.OwnerAddress(n.Owner)
		found = append(found, n)
	}
	if unreadable > 1 {
		log.Warn("owners could not be read; their notices go to the operators", zap.Int("items", unreadable))
	}
	return p.Store.SyncOwnerNotices(ctx, o.source, found, complete)
}

// OwnerNoticeEnd is the first day the item of no may go if its owner is
// told on today: its due date, or the end of its rule's notice period.
func (p *Pipeline) OwnerNoticeEnd(no store.OwnerNotice, today policies.Date) string {
	from := no.Due
	if r := p.Config.Policies.Rule(no.Rule); r != nil {
		if end := today.Add(r.OwnerNotice).String(); end > from {
			from = end
		}
	}
	return from
}

// RecordOwnerNotices records that the notices were given now, to their
// owners (role "owner") or to the operators, and puts one owner_notice
// entry per item in the ledger: the item's reference (the same one its
// deletion entry will carry), its rule and the first day it may go, so
// that an auditor can see that the owner was told before it was deleted.
// Notices whose item changed since, or recorded before, are left out.
func (p *Pipeline) RecordOwnerNotices(ctx context.Context, ns []store.OwnerNotice, role string) error {
	now := p.Clock.Now()
	today := p.Config.Policies.Today(now)
	err := p.Store.Write(ctx, func(tx *store.Tx) error {
		marked, err := tx.MarkOwnerNoticed(ns, store.Time{Time: now})
		if err != nil {
			return err
		}
		entries := make([]ledger.Entry, 0, len(marked))
		for _, no := range marked {
			e := p.entry(ledger.TypeOwnerNotice)
			e.Source, e.Rule, e.Due, e.Role = no.Source, no.Rule, p.OwnerNoticeEnd(no, today), role
			kind := ""
			if src, ok := p.Config.Source(no.Source); ok {
				kind = src.Kind.Name
			}
			e.SourceKind = kind
			e.Item = p.Refs.Ref("item:"+kind+":"+no.Source, no.Ref)
			if r := p.Config.Policies.Rule(no.Rule); r != nil {
				e.Policy, e.Period = r.Policy.ID, r.OwnerNotice.String()
			}
			entries = append(entries, e)
		}
		return appendEntries(tx, entries...)
	})
	if err != nil {
		return fmt.Errorf("record owner notices: %w", err)
	}
	return p.Checkpoint(ctx)
}
