package main

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
)

func (a *app) batchesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "batches",
		Short: "List, show, approve, reject and confirm batches of due items",
	}
	cmd.AddCommand(a.batchesListCmd(), a.batchesShowCmd(), a.batchesApproveCmd(), a.batchesRejectCmd(), a.batchesConfirmCmd())
	return cmd
}

func parseBatchID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not a batch id: give the number shown by `retentiond batches list`", s)
	}
	return id, nil
}

func (a *app) batchesListCmd() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List batches that wait for approval or execution (--all: every batch)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			statuses := []string{store.StatusGuarded, store.StatusPending, store.StatusApproved, store.StatusExecuting}
			if all {
				statuses = nil
			}
			bs, err := p.Store.Batches(ctx, statuses...)
			if err != nil {
				return err
			}
			if len(bs) == 0 {
				a.printf("no batches wait for approval or execution; run `retentiond plan` to look for due items\n")
				return nil
			}
			tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tSOURCE\tRULE\tITEMS\tSIZE\tPLANNED\tAPPROVALS")
			for i := range bs {
				b := &bs[i]
				appr := "-"
				if b.Status == store.StatusPending || b.Status == store.StatusApproved {
					st, err := p.Approval(ctx, b)
					if err == nil {
						appr = approvalSummary(st)
					}
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", b.ID, b.Status, b.Source, b.Rule, b.Items, humanBytes(b.Bytes),
					b.CreatedAt.In(p.Config.Location).Format("2006-01-02 15:04"), appr)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "list every batch, including done, rejected and superseded")
	return cmd
}

func approvalSummary(st scheduler.ApprovalState) string {
	if len(st.Stages) == 0 {
		return "automatic"
	}
	var parts []string
	for _, s := range st.Stages {
		parts = append(parts, fmt.Sprintf("%s %d/%d", s.Stage.Group, len(s.Approvers), s.Stage.Count))
	}
	out := strings.Join(parts, ", ")
	if st.PlannerOnly {
		out += " (needs someone other than the planner)"
	}
	return out
}

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

var errStop = fmt.Errorf("stop")

func (a *app) batchesApproveCmd() *cobra.Command {
	var fingerprint string
	cmd := &cobra.Command{
		Use:   "approve ID...",
		Short: "Approve batches, as an approver named in the configuration (--as)",
		Long: `Approve records your approval of each batch in the ledger. A batch is approved
when every stage its rule asks for has its approvers and someone other than
the person who planned it has approved. --fingerprint binds the approval to
the exact items you reviewed (as shown by batches show).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			for _, arg := range args {
				id, err := parseBatchID(arg)
				if err != nil {
					return err
				}
				b, st, err := p.Approve(ctx, id, a.as, fingerprint)
				if err != nil {
					return err
				}
				if b.Status == store.StatusApproved {
					a.printf("batch %d approved by %s: it is executed on the next `retentiond execute` or by the daemon\n", id, a.as)
				} else {
					a.printf("batch %d: approval by %s recorded; still waiting: %s\n", id, a.as, approvalSummary(st))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&fingerprint, "fingerprint", "", "refuse unless the batch still has this fingerprint")
	return cmd
}

func (a *app) batchesRejectCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "reject ID",
		Short: "Reject a batch, as an approver (--as), with a reason (--reason)",
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
			res, err := p.Reject(ctx, id, a.as, reason)
			if err != nil {
				return err
			}
			if res.WasExecuting {
				a.printf("batch %d rejected while it was being executed: it stops before its next slice (at most %d items); what it deleted before is in the ledger, see `retentiond batches show %d`\n", id, scheduler.ExecSlice, id)
				return nil
			}
			a.printf("batch %d rejected; nothing in it will be deleted\n", id)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded in the ledger: name no people)")
	return cmd
}

func (a *app) batchesConfirmCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "confirm ID",
		Short: "Confirm the size of a batch held by the blast-radius guard, as an operator (--as)",
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
			b, err := p.Confirm(ctx, id, a.as)
			if err != nil {
				return err
			}
			a.printf("batch %d confirmed: now %s\n", id, b.Status)
			return nil
		},
	}
}
