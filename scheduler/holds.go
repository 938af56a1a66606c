package scheduler

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

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
	// RecordedFrom and RecordedUntil limit the hold to recordings made in
	// that window ("2026-11-03 14:00" in the configured time zone, or RFC
	// 3339); Evidence marks footage kept for the police, deleted at once
	// when the hold is released (RULES.md C1a).
	RecordedFrom, RecordedUntil string
	Evidence                    bool
}

// parseMoment reads a time as operators write it: "2026-11-03 14:00",
// "2026-11-03T14:00:00" (in the configured time zone) or RFC 3339.
func (p *Pipeline) parseMoment(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, p.Config.Location); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (write e.g. \"2026-11-03 14:00\")", s)
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
	var window [2]string
	for i, w := range []struct{ flag, v string }{{"--recorded-from", h.RecordedFrom}, {"--recorded-until", h.RecordedUntil}} {
		if w.v == "" {
			continue
		}
		t, err := p.parseMoment(w.v)
		if err != nil {
			return "", fmt.Errorf("%s: %w", w.flag, err)
		}
		window[i] = t.Format(time.RFC3339)
	}
	if window[0] != "" && window[1] != "" && window[0] >= window[1] {
		return "", fmt.Errorf("--recorded-until %s is not after --recorded-from %s", h.RecordedUntil, h.RecordedFrom)
	}
	if h.Evidence && h.Path == "" && h.Source == "" {
		return "", fmt.Errorf("police evidence needs --source and usually --path (the camera) and --recorded-from/--recorded-until (the incident)")
	}
	var id string
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		var err error
		if id, err = tx.NextHoldID(); err != nil {
			return err
		}
		sh := store.Hold{ID: id, Reason: h.Reason, Owner: h.Owner, Source: h.Source, Ref: h.Ref, Path: h.Path, Subject: h.Subject,
			Until: h.Until, CreatedAt: store.Time{Time: p.Clock.Now()}, RecordedFrom: window[0], RecordedUntil: window[1], Evidence: h.Evidence}
		if err := tx.AddHold(sh); err != nil {
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
		return appendEntries(tx, e)
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
	held, err := p.Store.Holds(ctx, false)
	if err != nil {
		return err
	}
	evidence := slices.ContainsFunc(held, func(h store.Hold) bool { return h.ID == id && h.Evidence })
	err = p.Store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.ReleaseHold(id, who.ID, p.Clock.Now()); err != nil {
			return err
		}
		e := p.entry(ledger.TypeHoldReleased)
		e.Hold, e.Actor, e.Role = id, who.ID, configs.RoleOperator
		if evidence {
			e.Reason = "evidence handed to the police: what the hold covered is due at once"
		}
		return appendEntries(tx, e)
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
