package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
)

// batchStatuses are the statuses --status accepts, in their life's order.
var batchStatuses = []string{store.StatusGuarded, store.StatusPending, store.StatusApproved, store.StatusExecuting,
	store.StatusDone, store.StatusRejected, store.StatusSuperseded, store.StatusWithdrawn}

func (a *app) batchesListCmd() *cobra.Command {
	var (
		all        bool
		statusList []string
		waitingFor string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List batches that wait for approval or execution (--all: every batch)",
		Long: `List shows the batches that wait for approval or execution, with the approval
progress per stage ("leaders 1/1, dpo 0/1") and the items still in each batch
(items withdrawn by later plans are counted apart: "12 (-3 withdrawn)").

--status S,... lists the batches in these statuses (` + strings.Join(batchStatuses, ", ") + `).
--waiting-for PERSON lists the pending batches PERSON can approve now: the
first stage still open is one of PERSON's groups (or the group the batch was
escalated to), and PERSON has not approved it yet.`,
		Example: `  retentiond batches list
  retentiond batches list --waiting-for anna
  retentiond batches list --status done,rejected`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			statuses := []string{store.StatusGuarded, store.StatusPending, store.StatusApproved, store.StatusExecuting}
			if all {
				statuses = nil
			}
			if len(statusList) > 0 {
				if all {
					return fmt.Errorf("--all and --status: give one of them")
				}
				statuses = nil
				for _, s := range statusList {
					s = strings.ToLower(strings.TrimSpace(s))
					if !slices.Contains(batchStatuses, s) {
						return fmt.Errorf("--status %q is not a batch status: use %s", esc(s), strings.Join(batchStatuses, ", "))
					}
					statuses = append(statuses, s)
				}
			}
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			var bs []store.Batch
			if waitingFor != "" {
				if _, ok := p.Config.Person(waitingFor); !ok {
					return fmt.Errorf("--waiting-for %q is not a person in %s", esc(waitingFor), p.Config.File)
				}
				ws, err := p.WaitingFor(ctx, waitingFor)
				if err != nil {
					return err
				}
				for _, w := range ws {
					if len(statusList) > 0 && !slices.Contains(statuses, w.Batch.Status) {
						continue
					}
					bs = append(bs, w.Batch)
				}
			} else if bs, err = p.Store.Batches(ctx, statuses...); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			shown := 0
			for i := range bs {
				b := &bs[i]
				appr := "-"
				if b.Status == store.StatusPending || b.Status == store.StatusApproved {
					if st, err := p.Approval(ctx, b); err == nil {
						appr = approvalSummary(st)
					}
				}
				if shown == 0 {
					fmt.Fprintln(tw, "ID\tSTATUS\tSOURCE\tRULE\tITEMS\tSIZE\tPLANNED\tAPPROVALS")
				}
				shown++
				items := fmt.Sprintf("%d", b.Items-b.Withdrawn)
				if b.Withdrawn > 0 {
					items += fmt.Sprintf(" (-%d withdrawn)", b.Withdrawn)
				}
				status := b.Status
				if b.Successor > 0 {
					status += fmt.Sprintf(" (now %d)", b.Successor)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.ID, status, b.Source, b.Rule, items, humanBytes(b.Bytes),
					b.CreatedAt.In(p.Config.Location).Format("2006-01-02 15:04"), appr)
			}
			if shown == 0 {
				switch {
				case waitingFor != "":
					a.printf("no batch waits for %s's approval\n", esc(waitingFor))
				case len(statusList) > 0:
					a.printf("no batches are %s\n", strings.Join(statuses, " or "))
				default:
					a.printf("no batches wait for approval or execution; run `retentiond plan` to look for due items\n")
				}
				return nil
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "list every batch, including done, rejected, superseded and withdrawn")
	cmd.Flags().StringSliceVar(&statusList, "status", nil, "list the batches in these statuses ("+strings.Join(batchStatuses, ",")+")")
	cmd.Flags().StringVar(&waitingFor, "waiting-for", "", "list the pending batches this person can approve now and has not approved")
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
