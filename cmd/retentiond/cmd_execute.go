package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
)

func (a *app) executeCmd() *cobra.Command {
	var batch int64
	cmd := &cobra.Command{
		Use:   "execute",
		Short: "Delete the items of approved batches and record every outcome in the ledger",
		Long: `Execute first finishes any execution that was interrupted (a crash or kill),
then executes every approved batch (or only --batch). Before every slice of
256 items it reads again the batch's status, its approvals (which must be in
the signed ledger) and the holds: a batch rejected, or items held, while it
runs stop after the slice in flight. Each item is deleted only if it still
has the version that was planned; every outcome goes into the ledger, and a
signed checkpoint is written after each batch. Run it as an operator (--as).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			who, ok := p.Config.Person(a.as)
			if !ok || !who.Has(configs.RoleOperator) {
				return fmt.Errorf("say who executes with --as: a person with the operator role in %s: %w", p.Config.File, scheduler.ErrNotAllowed)
			}
			results, err := p.Execute(ctx, batch, who.ID)
			var errs []error
			for _, r := range results {
				if r.Err != nil {
					a.printf("batch %d: not executed: %v\n", r.Batch, r.Err)
					errs = append(errs, fmt.Errorf("batch %d: %w", r.Batch, r.Err))
					continue
				}
				if r.Stopped != "" {
					// A person decided otherwise: not a failure of the run.
					a.printf("batch %d: stopped, %s: %d %s before it stopped, %d skipped, %d failed; the rest is not touched\n", r.Batch, r.Stopped, r.Deleted, doneWord(r.Method), r.Skipped, r.Failed)
					continue
				}
				a.printf("batch %d: %d %s, %d skipped, %d failed", r.Batch, r.Deleted, doneWord(r.Method), r.Skipped, r.Failed)
				if r.Pruned > 0 {
					a.printf(", %d emptied folders removed", r.Pruned)
				}
				a.printf("\n")
				if r.Failed > 0 {
					errs = append(errs, fmt.Errorf("batch %d: %d items could not be deleted; see the log and `retentiond batches show %d`", r.Batch, r.Failed, r.Batch))
				}
			}
			if len(results) == 0 && err == nil {
				a.printf("no approved batches to execute\n")
			}
			if len(results) > 0 {
				errs = append(errs, a.anchor(ctx, p))
			}
			if err != nil {
				p.Log.Warn("execution stopped", zap.Error(err))
				errs = append(errs, err)
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().Int64Var(&batch, "batch", 0, "execute only this batch")
	return cmd
}

// doneWord is what a batch with method did to its items.
func doneWord(method string) string {
	if method == store.MethodArchive {
		return "archived"
	}
	return "deleted"
}
