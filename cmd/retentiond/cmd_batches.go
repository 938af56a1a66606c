package main

import (
	"fmt"
	"strconv"

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
