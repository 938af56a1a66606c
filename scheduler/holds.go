package scheduler

import (
	"context"
	"fmt"
	"strings"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// HoldSpec is a hold as an operator gives it.
type HoldSpec struct {
	Reason, Owner              string
	Source, Path, Ref, Subject string
	Until                      string // YYYY-MM-DD or ""
}

// AddHold validates and stores a hold and records it in the ledger (by
// reference: the path, item and subject appear only as keyed hashes).
func (p *Pipeline) AddHold(ctx context.Context, person string, h HoldSpec) (string, error) {
	who, err := p.person(person, configs.RoleOperator)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(h.Reason) == "" || strings.TrimSpace(h.Owner) == "" {
		return "", fmt.Errorf("a hold needs --reason and --owner")
	}
	if h.Source == "" && h.Path == "" && h.Ref == "" && h.Subject == "" {
		return "", fmt.Errorf("a hold needs a scope: --source, --path, --ref or --subject")
	}
	if h.Source != "" {
		if _, ok := p.Config.Source(h.Source); !ok {
			return "", fmt.Errorf("--source %q is not a source in %s", h.Source, p.Config.File)
		}
	}
	if h.Path != "" {
		if _, err := policies.CompilePattern(h.Path, true); err != nil {
			return "", fmt.Errorf("--path: %w", err)
		}
	}
	if h.Subject != "" {
		if kind, id, ok := strings.Cut(h.Subject, ":"); !ok || kind == "" || id == "" {
			return "", fmt.Errorf("--subject %q: write kind:id, e.g. staff:1234", h.Subject)
		}
	}
	if h.Until != "" {
		d, err := policies.ParseDate(h.Until)
		if err != nil {
			return "", fmt.Errorf("--until: %w", err)
		}
		if !p.today().Before(d) {
			return "", fmt.Errorf("--until %s is not in the future", h.Until)
		}
	}
	var id string
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		var err error
		if id, err = tx.NextHoldID(ctx); err != nil {
			return err
		}
		sh := store.Hold{ID: id, Reason: h.Reason, Owner: h.Owner, Source: h.Source, Ref: h.Ref, Path: h.Path, Subject: h.Subject,
			Until: h.Until, CreatedAt: store.Time{Time: p.Clock.Now()}}
		if err := tx.AddHold(ctx, sh); err != nil {
			return err
		}
		e := p.entry(ledger.TypeHoldAdded)
		e.Hold, e.Reason, e.Source, e.Actor, e.Role, e.Due = id, h.Reason, h.Source, who.ID, configs.RoleOperator, h.Until
		if h.Ref != "" {
			e.Item = p.Refs.Ref("item:"+p.kindDomain(h.Source), h.Ref)
		}
		if h.Path != "" {
			e.Container = p.Refs.Ref("hold-path", h.Path)
		}
		if h.Subject != "" {
			e.Subject = p.Refs.Ref("subject", h.Subject)
		}
		return appendEntries(ctx, tx, e)
	})
	if err != nil {
		return "", err
	}
	return id, p.Checkpoint(ctx)
}

// ReleaseHold releases a hold and records that in the ledger.
func (p *Pipeline) ReleaseHold(ctx context.Context, person, id string) error {
	who, err := p.person(person, configs.RoleOperator)
	if err != nil {
		return err
	}
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.ReleaseHold(ctx, id, who.ID, p.Clock.Now()); err != nil {
			return err
		}
		e := p.entry(ledger.TypeHoldReleased)
		e.Hold, e.Actor, e.Role = id, who.ID, configs.RoleOperator
		return appendEntries(ctx, tx, e)
	})
	if err != nil {
		return err
	}
	return p.Checkpoint(ctx)
}

// kindDomain is the reference domain of a source's items.
func (p *Pipeline) kindDomain(source string) string {
	src, ok := p.Config.Source(source)
	if !ok {
		return "any:" + source
	}
	return src.Kind.Name + ":" + src.Name
}
