package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/safetext"
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
	// Force places a --path hold that covers no item, now or in the
	// latest plans (see checkCovers); without it such a hold is refused
	// with an *UncoveredHoldError.
	Force bool
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
	who, err := p.person(ctx, person, configs.RoleOperator)
	if err != nil {
		return "", err
	}
	window, err := p.CheckHold(h)
	if err != nil {
		return "", err
	}
	if h.Path != "" && !h.Force {
		if err := p.checkCovers(ctx, h, window); err != nil {
			return "", err
		}
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
		p.signed(ctx, &e)
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

// CheckHold validates a hold as AddHold does before it looks at what the
// hold covers (a refusal here is the person's mistake: the message says
// which field), and returns its recording window in RFC 3339.
func (p *Pipeline) CheckHold(h HoldSpec) (window [2]string, err error) {
	if strings.TrimSpace(h.Reason) == "" || strings.TrimSpace(h.Owner) == "" {
		return window, fmt.Errorf("a hold needs --reason and --owner")
	}
	if h.Source == "" && h.Path == "" && h.Ref == "" && h.Subject == "" {
		return window, fmt.Errorf("a hold needs a scope: --source, --path, --ref or --subject")
	}
	if h.Source != "" {
		if _, ok := p.Config.Source(h.Source); !ok {
			return window, fmt.Errorf("--source %q is not a source in %s", h.Source, p.Config.File)
		}
	}
	if h.Path != "" {
		if _, err := policies.CompilePattern(h.Path, true); err != nil {
			return window, fmt.Errorf("--path: %w", err)
		}
	}
	if h.Subject != "" {
		if kind, id, ok := strings.Cut(h.Subject, ":"); !ok || kind == "" || id == "" {
			return window, fmt.Errorf("--subject %q: write kind:id, e.g. staff:1234", h.Subject)
		}
	}
	if h.Until != "" {
		d, err := policies.ParseDate(h.Until)
		if err != nil {
			return window, fmt.Errorf("--until: %w", err)
		}
		if !p.today().Before(d) {
			return window, fmt.Errorf("--until %s is not in the future", h.Until)
		}
	}
	for i, w := range []struct{ flag, v string }{{"--recorded-from", h.RecordedFrom}, {"--recorded-until", h.RecordedUntil}} {
		if w.v == "" {
			continue
		}
		t, err := p.parseMoment(w.v)
		if err != nil {
			return window, fmt.Errorf("%s: %w", w.flag, err)
		}
		window[i] = t.Format(time.RFC3339)
	}
	if window[0] != "" && window[1] != "" && window[0] >= window[1] {
		return window, fmt.Errorf("--recorded-until %s is not after --recorded-from %s", h.RecordedUntil, h.RecordedFrom)
	}
	if h.Evidence && h.Path == "" && h.Source == "" {
		return window, fmt.Errorf("police evidence needs --source and usually --path (the camera) and --recorded-from/--recorded-until (the incident)")
	}
	return window, nil
}

// ReleaseHold releases a hold and records that in the ledger.
func (p *Pipeline) ReleaseHold(ctx context.Context, person, id string) error {
	who, err := p.person(ctx, person, configs.RoleOperator)
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
		p.signed(ctx, &e)
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

// UncoveredHoldError refuses a --path hold that covers no item: a typo in
// the path would otherwise keep nothing while everyone believes the case
// is protected. Checked says, source by source, what was looked at.
type UncoveredHoldError struct {
	Path    string
	Checked []string
}

func (e *UncoveredHoldError) Error() string {
	return "hold covers no item: " + strings.Join(e.Checked, "; ") + "; check the path, or add --force to place it anyway"
}

// coverLimit is how many files checkCovers lists in one source before it
// gives up looking: a pattern whose folder is the whole share ("**/x")
// must not make `holds add` walk a million files.
var coverLimit int64 = 200_000

// errCovered stops a listing at the first item the hold covers.
var errCovered = errors.New("covered")

// checkCovers refuses (with *UncoveredHoldError) a hold whose --path covers
// no item of its source (or of any source, without --source): none now and
// none in the source's latest plan, and, without --source, no record of
// the deletion instructions. "Now" is a listing of the folder the pattern
// starts with (Pattern.Base) in sources whose connector lists a folder
// tree (connectors.Rooted: file shares, recorders, exports), stopped at
// the first item covered. A plan holds only the items it did not plainly
// keep, so for the other sources (mailboxes), which cannot be listed by
// folder cheaply, a hold over items that are all kept looks as if it
// covered nothing: the message says only the plan was checked. The
// subject scope is not checked (it narrows what the path covers); the
// recording window is checked against the listing, not the plan. A source
// that cannot be checked (unreachable, listing cut off at coverLimit, no
// plan) is not counted as covering nothing: the hold is then placed, with
// a warning in the log.
func (p *Pipeline) checkCovers(ctx context.Context, h HoldSpec, window [2]string) error {
	ph, err := p.policyHold(store.Hold{ID: "new", Source: h.Source, Ref: h.Ref, Path: h.Path, RecordedFrom: window[0], RecordedUntil: window[1]})
	if err != nil {
		return err
	}
	srcs := p.Config.Sources
	if h.Source != "" {
		src, _ := p.Config.Source(h.Source)
		srcs = []configs.Source{src}
	}
	plans, err := p.Store.LatestPlans(ctx)
	if err != nil {
		return err
	}
	latest := map[string]store.Plan{}
	for _, pl := range plans {
		latest[pl.Source] = pl
	}
	shown := `"` + safetext.Text(h.Path) + `"`
	var checked, unknown []string
	for _, src := range srcs {
		if isSubjectKind(src) && h.Source == "" {
			continue // the exports themselves: no one holds them by path
		}
		now, listable := "", false
		if _, ok := src.Options.(connectors.Rooted); ok {
			listable = true
			found, why, err := p.listCovers(ctx, src, ph)
			switch {
			case err != nil:
				return err
			case found:
				return nil
			case why != "":
				unknown = append(unknown, "source "+src.Name+": "+why)
			default:
				now = fmt.Sprintf("no file under %s in source %s now", shown, src.Name)
			}
		}
		pl, planned := latest[src.Name]
		if planned {
			found, err := p.planCovers(ctx, pl.ID, src.Name, ph)
			if err != nil {
				return err
			}
			if found {
				return nil
			}
		}
		switch {
		case listable && now == "":
			// Not listed to the end: already among the unknown.
		case listable && planned:
			checked = append(checked, fmt.Sprintf("%s, and none in its latest plan (plan %d)", now, pl.ID))
		case listable:
			checked = append(checked, now+", and it has no plan yet")
		case planned:
			checked = append(checked, fmt.Sprintf("no item under %s in the latest plan of source %s (plan %d); %s cannot be listed by folder, so only the plan was checked, and a plan holds only items due, to review, held or to archive",
				shown, src.Name, pl.ID, src.Kind.Name))
		default:
			unknown = append(unknown, "source "+src.Name+": it cannot be listed by folder and has no plan yet")
		}
	}
	if h.Source == "" {
		found, n, err := p.recordsCovered(ctx, ph)
		if err != nil {
			return err
		}
		if found {
			return nil
		}
		if n > 0 {
			checked = append(checked, fmt.Sprintf("no record of the deletion instructions matches (%d checked)", n))
		}
	}
	if len(unknown) > 0 {
		p.Log.Warn("could not check that the hold covers anything; placing it", zap.String("path", h.Path), zap.Strings("unchecked", unknown))
		return nil
	}
	if len(checked) == 0 {
		return nil
	}
	return &UncoveredHoldError{Path: h.Path, Checked: checked}
}

// listCovers lists the source under the hold's folder until an item the
// hold covers. why says why the listing could not tell, when it could not.
func (p *Pipeline) listCovers(ctx context.Context, src configs.Source, ph *policies.Hold) (found bool, why string, err error) {
	conn, err := p.Open(ctx, src)
	if err != nil {
		return false, fmt.Sprintf("could not be opened (%v)", err), nil
	}
	defer conn.Close()
	var n int64
	err = conn.List(ctx, connectors.ListOptions{Prefix: ph.Path.Base()}, func(it connectors.Item) error {
		if ph.Matches(&policies.Item{Source: src.Name, Kind: it.Kind, Ref: it.Ref, Path: it.Ref, Recorded: it.Recorded}, nil) {
			return errCovered
		}
		if n++; n >= coverLimit {
			return errLimit
		}
		return nil
	})
	var inc *connectors.IncompleteError
	switch {
	case errors.Is(err, errCovered):
		return true, "", nil
	case errors.Is(err, errLimit):
		return false, fmt.Sprintf("stopped looking after %d files", n), nil
	case errors.As(err, &inc):
		return false, fmt.Sprintf("parts could not be read (%v)", err), nil
	case err != nil && ctx.Err() != nil:
		return false, "", ctx.Err()
	case err != nil:
		return false, fmt.Sprintf("could not be listed (%v)", err), nil
	}
	return false, "", nil
}

// errLimit stops a listing at coverLimit.
var errLimit = errors.New("listing limit")

// planCovers reports whether an item of the plan is covered by the hold.
// Plans do not keep recording times, so a recording window is not checked.
func (p *Pipeline) planCovers(ctx context.Context, planID int64, source string, ph *policies.Hold) (bool, error) {
	err := p.Store.PlanItems(ctx, planID, "", "", func(c store.Chunk) error {
		for _, it := range c.Items {
			if ph.Matches(&policies.Item{Source: source, Ref: it.Ref, Path: it.Ref}, nil) {
				return errCovered
			}
		}
		return nil
	})
	if errors.Is(err, errCovered) {
		return true, nil
	}
	return false, err
}

// recordsCovered reports whether the hold covers a record the deletion
// instructions would list ("Lectio/Stamdata/1004"), and how many records
// it looked at.
func (p *Pipeline) recordsCovered(ctx context.Context, ph *policies.Hold) (bool, int, error) {
	rules, err := recordRules(p.Config.Policies)
	if err != nil || len(rules) == 0 {
		return false, 0, nil // instructions report a bad record rule themselves
	}
	x, err := p.subjects(ctx)
	if err != nil || x == nil {
		return false, 0, err
	}
	n := 0
	for _, rr := range rules {
		tmpl := rr.rule.Path.String()
		for _, key := range x.keys(rr.rule.Subject.Kind) {
			_, id, _ := strings.Cut(key, ":")
			path := strings.Replace(tmpl, "{"+rr.rule.Subject.Capture+"}", id, 1)
			n++
			if ph.Matches(&policies.Item{Source: "instructions", Kind: "record", Ref: path, Path: path}, nil) {
				return true, n, nil
			}
		}
	}
	return false, n, nil
}
