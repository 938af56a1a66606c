package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store/ledger/bundle"
)

func (a *app) ledgerExportCmd() *cobra.Command {
	var out, from, to string
	cmd := &cobra.Command{
		Use:   "export --out DIR [--from DATE] [--to DATE]",
		Short: "Write an auditor's bundle: entries, checkpoints, keys, policies, summary",
		Long: `Export writes a directory an auditor can verify on any machine with
'retentiond ledger verify DIR', or by hand with sha256sum, ssh-keygen and openssl
as its README shows. It holds every entry up to the latest checkpoint (line i of
entries.jsonl is entry i), the stored tree hashes, that checkpoint and every
earlier anchored one, the verifier keys, the policy texts, a signed manifest,
and a human summary (CSV and PDF) that is not authoritative.

--from and --to (dates, YYYY-MM-DD, in the configured time zone; --to is
exclusive) choose the period the summary reports. Entries are always exported
from the first, because later ones cannot be verified without them; --to also
ends the export at the first checkpoint covering every entry before it.
DIR must not exist.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if out == "" {
				return fmt.Errorf("give the directory to write with --out")
			}
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			loc := p.Config.Location
			var fromT, toT time.Time
			if from != "" {
				if fromT, err = time.ParseInLocation(time.DateOnly, from, loc); err != nil {
					return fmt.Errorf("--from %q is not a date YYYY-MM-DD", from)
				}
			}
			if to != "" {
				if toT, err = time.ParseInLocation(time.DateOnly, to, loc); err != nil {
					return fmt.Errorf("--to %q is not a date YYYY-MM-DD", to)
				}
			}
			if !fromT.IsZero() && !toT.IsZero() && !fromT.Before(toT) {
				return fmt.Errorf("--from %s is not before --to %s", from, to)
			}
			in, err := scheduler.ExportInput(ctx, p)
			if err != nil {
				return err
			}
			in.Software, in.Generated, in.From, in.To = software(), a.clock.Now(), fromT, toT
			res, err := bundle.Write(ctx, out, in)
			if err != nil {
				return err
			}
			for _, d := range res.Removed {
				a.printf("removed %s: an earlier export to %s that did not finish (it was interrupted) left it\n", d, res.Dir)
			}
			a.printf("exported ledger %s to %s\n", res.Origin, res.Dir)
			a.printf("  %d entries, covered by the checkpoint of size %d; %d anchored checkpoints; %d policy texts\n",
				res.Entries, res.Checkpoint, len(res.Anchored), res.PolicyFiles)
			if res.Uncovered > 0 {
				a.printf("  %d later entries are not in the export (not yet checkpointed, or after --to)\n", res.Uncovered)
			}
			a.printf("  manifest signed by %s\n", res.ManifestKey)
			a.printf("verify it with: retentiond ledger verify %s\n", res.Dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to create")
	cmd.Flags().StringVar(&from, "from", "", "first day the summary reports (YYYY-MM-DD)")
	cmd.Flags().StringVar(&to, "to", "", "day after the last the summary reports and the export covers (YYYY-MM-DD)")
	return cmd
}
