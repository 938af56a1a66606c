package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/policies"
)

func (a *app) decisionsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "decisions",
		Short: "List and revoke retention decisions: items people decided to keep until a date",
	}
	cmd.AddCommand(a.decisionsListCmd(), a.decisionsRevokeCmd())
	return cmd
}

func (a *app) decisionsListCmd() *cobra.Command {
	var (
		all    bool
		format string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the retention decisions in force (--all: also expired and revoked ones)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("--format %q: use text or json", format)
			}
			ctx := cmd.Context()
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			today := policies.DateOf(p.Clock.Now(), p.Config.Location)
			ds, err := p.Store.RetentionDecisions(ctx, all, today.String())
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(a.out)
				enc.SetIndent("", "  ")
				return enc.Encode(ds)
			}
			if len(ds) == 0 {
				a.printf("no retention decisions in force (`retentiond batches reject` and `batches exclude` make them)\n")
				return nil
			}
			tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tBATCH\tSOURCE\tRULE\tITEMS\tUNTIL\tBY\tAT\tSTATE\tREASON")
			for _, d := range ds {
				state := "in force"
				switch {
				case d.RevokedAt != "":
					state = "revoked by " + d.RevokedBy
				case d.Until < today.String():
					state = "expired"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Kind, d.BatchID, esc(d.Source), d.Rule, d.Items, d.Until,
					esc(d.Actor), d.At.In(p.Config.Location).Format("2006-01-02"), esc(state), esc(d.Reason))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "also list expired and revoked decisions")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func (a *app) decisionsRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a retention decision before its date, as one who may take it (--as): the next plan proposes its items again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			d, err := p.RevokeDecision(ctx, args[0], a.as)
			if err != nil {
				return err
			}
			a.printf("decision %s revoked: its %d items are proposed again by the next plan if they are due\n", d.ID, d.Items)
			return nil
		},
	}
}
