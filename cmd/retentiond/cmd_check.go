package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/store"
)

func (a *app) checkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and policies, and check that every source can be read",
		Long: `Check loads the configuration and every policy file it names, reporting every
problem with file, line and field, then opens each source (without listing or
changing anything) and the database, if it exists. It exits non-zero on any
problem.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			var errs []error
			for _, src := range cfg.Sources {
				conn, err := src.Open(ctx, connectors.Env{Source: src.Name, BaseDir: cfg.Dir, Logger: a.cliLogger()})
				if err != nil {
					errs = append(errs, err)
					continue
				}
				a.printf("source %s: %s: ok\n", src.Name, conn.Location())
				conn.Close()
			}
			if _, err := os.Stat(cfg.Database); err == nil {
				st, err := store.Open(ctx, cfg.Database, store.Options{})
				if err != nil {
					errs = append(errs, err)
				} else {
					a.printf("database %s: ok\n", cfg.Database)
					st.Close()
				}
			} else {
				a.printf("database %s: not created yet (the first plan creates it)\n", cfg.Database)
			}
			if err := errors.Join(errs...); err != nil {
				return err
			}
			a.printf("%s: ok: %d sources, %d policies, %d rules\n", cfg.File, len(cfg.Sources), len(cfg.Policies.Policies), len(cfg.Policies.Rules))
			return nil
		},
	}
}
