package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/scheduler"
)

func (a *app) ledgerAnchorCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "anchor",
		Short: "Send the latest checkpoint to the configured anchors now",
		Long: `Anchor sends the latest signed checkpoint to every target in ledger.anchor
(a directory, e.g. a share the DPO owns, and/or an e-mail address) that has not
received it yet. The daemon does this after every run and on
ledger.anchor.schedule; execute does it after executing. An auditor later checks
the ledger against these copies with 'retentiond ledger verify --anchor'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			if len(p.Config.Anchors) == 0 {
				return errors.New("no anchors configured: add ledger.anchor.dir or ledger.anchor.smtp to the configuration")
			}
			return a.anchor(ctx, p)
		},
	}
}

// anchor sends the latest checkpoint to the configured anchors and says
// what happened.
func (a *app) anchor(ctx context.Context, p *scheduler.Pipeline) error {
	results, err := p.Anchor(ctx)
	for _, r := range results {
		switch {
		case r.Err != nil:
			a.printf("anchor %s: FAILED: %v\n", r.Target, r.Err)
		case r.N == 0:
			a.printf("anchor %s: already has the latest checkpoint\n", r.Target)
		default:
			a.printf("anchor %s: sent checkpoint of size %d\n", r.Target, r.N)
		}
	}
	return err
}
