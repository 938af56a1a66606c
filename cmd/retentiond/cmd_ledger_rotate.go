package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store/ledger"
)

func (a *app) ledgerRotateCmd() *cobra.Command {
	var (
		overlap    time.Duration
		references bool
	)
	cmd := &cobra.Command{
		Use:   "rotate-key [--references]",
		Short: "Replace the checkpoint signing key (or the reference key)",
		Long: `rotate-key creates a new checkpoint signing key, records it in a key_rotation
ledger entry, and signs the next checkpoints with both the old and the new key
for --overlap, so that auditors who trust the old key learn the new one from
the ledger itself. The old key is kept beside the new one as <key>.<key hash>;
every later export carries both verifier keys. Send the new key id to the
auditors and the DPO.

With --references it replaces the reference key that makes item, folder and
subject references instead; the old key is kept as <key>.<key id>, so that
'ledger prove' still answers for entries made with it. The rotation is
recorded in the ledger by key id.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			if references {
				old := p.Refs.ID()
				k, err := p.RotateRefKey(ctx, a.actor())
				if err != nil {
					return err
				}
				a.printf("reference key rotated: %s replaces %s (kept as %s)\n", k.ID(), old, scheduler.RetiredRefPath(p.Config.Keys.References, old))
				return nil
			}
			oldKey, err := ledger.ParseVerifierKey(p.Signer.VerifierKey())
			if err != nil {
				return err
			}
			s, err := p.RotateSigningKey(ctx, a.actor(), overlap)
			if err != nil {
				return err
			}
			newKey, err := ledger.ParseVerifierKey(s.VerifierKey())
			if err != nil {
				return err
			}
			a.printf("signing key rotated: %s replaces %s\n", newKey.ID(), oldKey.ID())
			a.printf("  new verifier key (give it to the auditors): %s\n", newKey.Text)
			a.printf("  checkpoints are signed by both keys until %s\n", a.clock.Now().Add(overlap).Format(time.DateTime))
			return nil
		},
	}
	cmd.Flags().DurationVar(&overlap, "overlap", scheduler.DefaultOverlap, "how long the old key co-signs checkpoints")
	cmd.Flags().BoolVar(&references, "references", false, "rotate the reference key instead of the signing key")
	return cmd
}
