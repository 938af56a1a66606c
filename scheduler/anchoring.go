package scheduler

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler/anchor"
	"github.com/retentiond/retentiond/store"
)

// anchorTarget builds the transport of a configured anchor.
func anchorTarget(a configs.Anchor, log *zap.Logger) anchor.Target {
	if a.SMTP != nil {
		return &anchor.SMTP{SMTPConfig: anchor.SMTPConfig{Relay: a.SMTP.Relay, To: a.SMTP.To, Log: log}}
	}
	return anchor.Dir{Path: a.Dir}
}

// AnchorResult is what Anchor did for one target.
type AnchorResult struct {
	Target string
	N      int64 // the checkpoint size sent; 0 if the target was up to date
	Err    error
}

// Anchor sends the latest checkpoint to every configured anchor that has
// not received it yet, and records each delivery. One failing target does
// not stop the others; the error joins every failure.
func (p *Pipeline) Anchor(ctx context.Context) ([]AnchorResult, error) {
	if len(p.Config.Anchors) == 0 {
		return nil, nil
	}
	cps, err := p.Store.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	if len(cps) == 0 {
		return nil, nil
	}
	latest := cps[len(cps)-1]
	cp := anchor.Checkpoint{Origin: p.Config.Origin, N: latest.N, Note: latest.Note, At: latest.At.Time}
	var (
		out  []AnchorResult
		errs []error
	)
	log := p.Log.Named("anchor")
	for _, a := range p.Config.Anchors {
		t := anchorTarget(a, log)
		done, err := p.Store.LastAnchored(ctx, t.Name())
		if err != nil {
			return out, err
		}
		if done >= latest.N {
			out = append(out, AnchorResult{Target: t.Name()})
			continue
		}
		if err := p.anchorExtends(ctx, t.Name(), a.Dir, latest); err != nil {
			errs = append(errs, err)
			out = append(out, AnchorResult{Target: t.Name(), N: latest.N, Err: err})
			continue
		}
		res := anchor.SendAll(ctx, []anchor.Target{t}, cp, log)[0]
		if res.Err == nil {
			res.Err = p.Store.AddAnchor(ctx, latest.N, t.Name(), store.Time{Time: p.Clock.Now()})
		}
		if res.Err != nil {
			errs = append(errs, res.Err)
		}
		out = append(out, AnchorResult{Target: t.Name(), N: latest.N, Err: res.Err})
	}
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("anchor checkpoint: %w", err)
	}
	p.Log.Debug("anchored", zap.Int64("tree_size", latest.N))
	return out, nil
}
