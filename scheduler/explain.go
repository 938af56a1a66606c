package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
)

// SubjectReport is everything retentiond knows about one person: what the
// exports say, how that changed, the holds on them and every item the
// latest plans link to them.
type SubjectReport struct {
	Key     string          // "kind:id"
	Facts   []store.Subject // one per export source listing them
	Merged  policies.Subject
	Known   bool // the person is in at least one export
	History []store.SubjectChange
	Holds   []*policies.Hold
	Items   []SubjectItem
	// Instructions are the deletion instruction lines about the person.
	Instructions []store.SubjectInstructionLine
}

// SubjectItem is one item of a plan linked to the person.
type SubjectItem struct {
	Source  string
	Plan    int64
	PlanDay string
	store.PlanItem
	Reason string
}

// ErrUnknownSubject is returned by ExplainSubject for a person that is
// neither in the exports nor linked to any planned item.
var ErrUnknownSubject = errors.New("nothing is known about this person")

// ExplainSubject reports on the person key ("student:1001", "staff:4711"),
// or on the person with an e-mail address.
func (p *Pipeline) ExplainSubject(ctx context.Context, key string) (*SubjectReport, error) {
	x, err := p.subjects(ctx) // shared with policyEnv below through the cache
	if err != nil {
		return nil, err
	}
	if strings.Contains(key, "@") && !strings.Contains(key, ":") {
		k, ok := x.ByEmail(key)
		if !ok || k == "" {
			return nil, fmt.Errorf("%s: %w (no export lists that address, or more than one person has it)", key, ErrUnknownSubject)
		}
		key = k
	}
	kind, id, ok := strings.Cut(key, ":")
	if !ok || kind == "" || id == "" {
		return nil, fmt.Errorf("%q: name a person as kind:id (student:1001, staff:4711) or by e-mail address", key)
	}
	r := &SubjectReport{Key: key}
	if r.Facts, err = p.Store.SubjectsByKey(ctx, kind, id); err != nil {
		return nil, err
	}
	r.Merged, r.Known = x.Lookup(kind, id)
	if r.History, err = p.Store.SubjectHistory(ctx, kind, id); err != nil {
		return nil, err
	}
	env, err := p.policyEnv(ctx, p.today())
	if err != nil {
		return nil, err
	}
	for _, h := range env.Holds {
		if h.Subject == key && h.ActiveOn(env.Today) {
			r.Holds = append(r.Holds, h)
		}
	}
	plans, err := p.Store.LatestPlans(ctx)
	if err != nil {
		return nil, err
	}
	for _, pl := range plans {
		err := p.Store.PlanItems(ctx, pl.ID, "", "", func(c store.Chunk) error {
			for _, it := range c.Items {
				if it.Subject == key {
					r.Items = append(r.Items, SubjectItem{Source: pl.Source, Plan: pl.ID, PlanDay: pl.Today, PlanItem: it, Reason: p.Explain(it)})
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if r.Instructions, err = p.Store.SubjectInstructionLines(ctx, key); err != nil {
		return nil, err
	}
	if !r.Known && len(r.Facts) == 0 && len(r.Items) == 0 && len(r.History) == 0 && len(r.Instructions) == 0 {
		return nil, fmt.Errorf("%s: %w", key, ErrUnknownSubject)
	}
	return r, nil
}

// ItemReport is a fresh decision about one item.
type ItemReport struct {
	Source   string
	Item     connectors.Item
	Decision policies.Decision
	// AwaitingNotice, when set, says why the item, due, is kept until its
	// owner has had the notice its rule gives (Decision then says Keep).
	AwaitingNotice string
}

// ExplainItem looks the item up in its source now and decides about it as
// a plan today would: why it is kept, or when it will go.
func (p *Pipeline) ExplainItem(ctx context.Context, source, ref string) (*ItemReport, error) {
	src, ok := p.Config.Source(source)
	if !ok {
		return nil, fmt.Errorf("no source named %q in %s", source, p.Config.File)
	}
	conn, err := p.Open(ctx, src)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	it, err := conn.Stat(ctx, ref)
	if err != nil {
		return nil, err
	}
	env, err := p.policyEnv(ctx, p.today())
	if err != nil {
		return nil, err
	}
	notices, err := p.ownerNotices(ctx, src.Name, env.Today)
	if err != nil {
		return nil, err
	}
	pit := policyItem(src.Name, it)
	r := &ItemReport{Source: src.Name, Item: it, Decision: p.Config.Policies.Evaluate(&pit, env)}
	r.AwaitingNotice = notices.check(&it, &r.Decision)
	return r, nil
}
