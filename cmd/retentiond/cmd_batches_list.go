package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
)

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
