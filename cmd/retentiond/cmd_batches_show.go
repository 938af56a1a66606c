package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/store"
)

func (a *app) batchesShowCmd() *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a batch: its rule, approvals, and every item with the reason it is due",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := parseBatchID(args[0])
			if err != nil {
				return err
			}
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			b, err := p.Store.Batch(ctx, id)
			if err != nil {
				return err
			}
			a.printf("Batch %d: %s\n", b.ID, b.Status)
			if b.StatusNote != "" {
				a.printf("  %s\n", esc(b.StatusNote))
			}
			title := ""
			if r := p.Config.Policies.Rule(b.Rule); r != nil {
				title = r.Title
			}
			a.printf("  source %s, rule %s (%s), policy %s %s\n", b.Source, b.Rule, title, b.Policy, b.PolicyDigest)
			a.printf("  %d items, %s, planned %s by %s\n", b.Items, humanBytes(b.Bytes), b.CreatedAt.In(p.Config.Location).Format("2006-01-02 15:04"), b.Planner)
			a.printf("  fingerprint %s\n", b.Fingerprint)
			if st, err := p.Approval(ctx, b); err == nil {
				a.printf("  approvals: %s\n", approvalSummary(st))
				for i, s := range st.Stages {
					if len(s.Approvers) > 0 {
						a.printf("    stage %d (%s): %s\n", i+1, s.Stage.Group, strings.Join(s.Approvers, ", "))
					}
				}
			} else {
				a.printf("  approvals: %v\n", err)
			}
			if b.Status == store.StatusDone || b.Status == store.StatusExecuting {
				a.printf("  executed: %d deleted, %d skipped, %d failed\n", b.Deleted, b.Skipped, b.Failed)
			}
			a.printf("\n")
			n := 0
			err = p.Store.BatchChunks(ctx, b.ID, func(c store.Chunk) error {
				for _, it := range c.Items {
					if limit > 0 && n >= limit {
						return errStop
					}
					a.printf("  %s\n    %s\n", esc(it.Ref), esc(p.Explain(it)))
					n++
				}
				return nil
			})
			if err != nil && err != errStop {
				return err
			}
			if int64(n) < b.Items {
				a.printf("  … and %d more (--limit 0 shows all)\n", b.Items-int64(n))
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "items to show; 0 for all")
	return cmd
}
