package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
)

func (a *app) batchesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "batches",
		Short: "List, show, approve, reject, exclude from and confirm batches of due items",
	}
	cmd.AddCommand(a.batchesListCmd(), a.batchesShowCmd(), a.batchesApproveCmd(), a.batchesRejectCmd(), a.batchesExcludeCmd(), a.batchesConfirmCmd())
	return cmd
}

func parseBatchID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not a batch id: give the number shown by `retentiond batches list`", s)
	}
	return id, nil
}

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
	var flags decisionFlags
	cmd := &cobra.Command{
		Use:   "reject ID",
		Short: "Reject a batch and keep its items until a date, as an approver (--as), with a reason (--reason)",
		Long: `Reject records that you do not want the batch's items deleted now, and your
decision to keep them until a date: plans show them as "kept by decision" and
do not propose them again before that date; after it, they come back in a new
batch, and the approvers see this decision.

The date is --keep-until DATE, or today plus --review-after PERIOD (P1M, P6M,
P1Y), or today plus the rule's review_after (six months unless the rule says
otherwise). Revoke a decision early with ` + "`retentiond decisions revoke`" + `.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := parseBatchID(args[0])
			if err != nil {
				return err
			}
			opts, err := flags.options()
			if err != nil {
				return err
			}
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			res, err := p.Reject(ctx, id, a.as, opts)
			if err != nil {
				return err
			}
			if res.WasExecuting {
				a.printf("batch %d rejected while it was being executed: it stops once the slices being deleted now are done (no new slice starts); what it deleted is in the ledger, see `retentiond batches show %d`\n", id, id)
			} else {
				a.printf("batch %d rejected; nothing in it will be deleted\n", id)
			}
			a.printf("decision %s: its %d items are kept through %s; plans propose them again after that (revoke earlier: retentiond decisions revoke %s --as %s)\n",
				res.Decision, res.Items, res.Until, res.Decision, esc(a.as))
			return nil
		},
	}
	flags.register(cmd)
	return cmd
}

// decisionFlags are the flags of a retention decision (reject, exclude).
type decisionFlags struct{ reason, keepUntil, reviewAfter string }

func (f *decisionFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.reason, "reason", "", "why (recorded in the ledger: name no people)")
	cmd.Flags().StringVar(&f.keepUntil, "keep-until", "", "keep the items through this day (YYYY-MM-DD)")
	cmd.Flags().StringVar(&f.reviewAfter, "review-after", "", "keep the items for this period from today (P1M, P6M, P1Y); default: the rule's review_after, else P6M")
}

// options reads the flags.
func (f *decisionFlags) options() (scheduler.DecisionOptions, error) {
	opts := scheduler.DecisionOptions{Reason: f.reason}
	if f.keepUntil != "" {
		d, err := policies.ParseDate(f.keepUntil)
		if err != nil {
			return opts, fmt.Errorf("--keep-until: %w", err)
		}
		opts.KeepUntil = d
	}
	if f.reviewAfter != "" {
		per, err := policies.ParsePeriod(f.reviewAfter)
		if err != nil {
			return opts, fmt.Errorf("--review-after: %w", err)
		}
		if per.IsZero() {
			return opts, fmt.Errorf("--review-after %s is no time at all: give a period such as P1M or P6M", f.reviewAfter)
		}
		opts.ReviewAfter = per
	}
	return opts, nil
}

func (a *app) batchesExcludeCmd() *cobra.Command {
	var (
		flags decisionFlags
		path  string
	)
	cmd := &cobra.Command{
		Use:   "exclude ID [ITEM...]",
		Short: "Take items out of a batch and keep them until a date, as an approver (--as); the rest stays approved",
		Long: `Exclude takes items out of a batch that has not run yet — a case still open, a
photo the archive wants — and records your decision to keep them until a
date (as reject does). Name the items by their paths as ` + "`batches show`" + ` prints
them, or with --path PATTERN (the pattern syntax of policies and holds). The
approvals already given stand for the items left: approving a set covers
every subset of it. A batch left with no items is withdrawn.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := parseBatchID(args[0])
			if err != nil {
				return err
			}
			opts, err := flags.options()
			if err != nil {
				return err
			}
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			res, err := p.Exclude(ctx, id, a.as, scheduler.ExcludeSpec{Refs: args[1:], Path: path, DecisionOptions: opts})
			if err != nil {
				return err
			}
			a.printf("decision %s: %d items taken out of batch %d and kept through %s\n", res.Decision, res.Items, id, res.Until)
			if res.Emptied {
				a.printf("batch %d has no items left: it is withdrawn\n", id)
			} else {
				a.printf("batch %d: %d items left, still %s; the approvals given stand for them\n", id, res.Left, res.Status)
			}
			return nil
		},
	}
	flags.register(cmd)
	cmd.Flags().StringVar(&path, "path", "", "exclude every item of the batch whose path matches this pattern")
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
