package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

func (a *app) ledgerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Work with the signed ledger of deletions",
	}
	cmd.AddCommand(a.ledgerVerifyCmd())
	return cmd
}

func (a *app) ledgerVerifyCmd() *cobra.Command {
	var keys []string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Recompute the ledger's tree and check every signed checkpoint",
		Long: `Verify reads every ledger entry, checks that each is in canonical form,
recomputes the RFC 6962 tree and checks every stored checkpoint's signature and
tree hash. A removed, changed or reordered entry, or a checkpoint not signed by
the ledger's key, is reported with its position. The verifier key is read from
the signing key's .pub file, or given with --key (a file holding a verifier
key in note format) to check against a copy you trust.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			st, err := store.Open(ctx, cfg.Database, store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			if len(keys) == 0 {
				keys = []string{cfg.Keys.Signing + ".pub"}
			}
			var vkeys []string
			for _, k := range keys {
				b, err := os.ReadFile(k)
				if err != nil {
					if errors.Is(err, os.ErrNotExist) {
						return fmt.Errorf("verifier key %s is missing: restore it from backup or give the key with --key", k)
					}
					return fmt.Errorf("read verifier key: %w", err)
				}
				vkeys = append(vkeys, strings.TrimSpace(string(b)))
			}
			verifiers, err := ledger.NewVerifiers(vkeys...)
			if err != nil {
				return err
			}
			cps, err := st.Checkpoints(ctx)
			if err != nil {
				return err
			}
			src := ledger.Source{Entries: st.Entries, Verifiers: verifiers, Origin: cfg.Origin}
			for _, c := range cps {
				src.Checkpoints = append(src.Checkpoints, c.Note)
			}
			rep, err := ledger.Verify(ctx, src)
			if err != nil {
				return fmt.Errorf("ledger verification FAILED: %w", err)
			}
			a.printf("ledger %s: OK\n", cfg.Origin)
			a.printf("  %d entries, %d checkpoints, latest covers %d entries\n", rep.Entries, rep.Checkpoints, rep.Latest.N)
			if rep.UncheckpointedEntries > 0 {
				a.printf("  WARNING: the last %d entries are not covered by a checkpoint yet\n", rep.UncheckpointedEntries)
			}
			var types []string
			for t, n := range rep.Types {
				types = append(types, fmt.Sprintf("%s=%d", t, n))
			}
			sort.Strings(types)
			a.printf("  %s\n", strings.Join(types, " "))
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&keys, "key", nil, "verifier key file(s) to trust (default: the signing key's .pub file)")
	return cmd
}
