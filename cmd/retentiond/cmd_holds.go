package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/scheduler"
)

func (a *app) holdsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "holds",
		Short: "Add, list and release holds: records that keep items whatever the rules say",
	}
	cmd.AddCommand(a.holdsAddCmd(), a.holdsListCmd(), a.holdsReleaseCmd())
	return cmd
}

func (a *app) holdsAddCmd() *cobra.Command {
	var h scheduler.HoldSpec
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Add a hold (a pending case, police evidence, an access request), as an operator (--as)",
		Long: `Add a hold. It keeps every item it covers from being deleted, from the next
plan on and also in batches already approved. Give at least one of --source,
--path, --ref and --subject; an item is covered when it matches all that are
given. The reason goes into the ledger: describe the case, do not name people.

Police evidence (CCTV, RULES.md C1a): name the camera with --source and
--path and the incident with --recorded-from and --recorded-until, and add
--evidence. The footage is kept past its 30 days; when the hold is released
(the footage handed to the police) it is due at once, even if younger.

  retentiond holds add --as it --evidence --source nvr --path "Kamera-1 Indgang/**" \
    --recorded-from "2026-11-03 14:00" --recorded-until "2026-11-03 16:00" \
    --reason "police case 2026-1234" --owner "school leader"

A --path hold that covers nothing is refused unless --force: no file under the
pattern in the source now (file shares, recorders and exports are listed
under the pattern's folder) and no item in the source's latest plan. Without
--source every source is checked. Mailboxes cannot be listed by folder, so
only their latest plan is checked, and a plan holds only items that are due,
to review, held or to archive: a hold over mail that is all kept needs
--force.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			id, err := p.AddHold(ctx, a.as, h)
			if err != nil {
				return err
			}
			a.printf("hold %s added\n", id)
			if h.Subject != "" || h.Path != "" {
				a.printf("deletion instructions: no line is issued for what it covers; lines already issued and not yet confirmed are withdrawn by the next `retentiond instructions --as OPERATOR`\n")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&h.Reason, "reason", "", "why, e.g. \"work-injury case 2026-14 pending\" (required)")
	f.StringVar(&h.Owner, "owner", "", "who is responsible for releasing it, e.g. the DPO (required)")
	f.StringVar(&h.Source, "source", "", "only items of this source")
	f.StringVar(&h.Path, "path", "", "only items whose path matches this pattern, e.g. \"Personale/Fratrådte/Eva Olsen/**\"")
	f.StringVar(&h.Ref, "ref", "", "only this item")
	f.StringVar(&h.Subject, "subject", "", "only items about this subject, as kind:id (e.g. staff:1234)")
	f.StringVar(&h.Until, "until", "", "the hold ends on this date (YYYY-MM-DD); default: until released")
	f.StringVar(&h.RecordedFrom, "recorded-from", "", "only recordings made from this time, e.g. \"2026-11-03 14:00\"")
	f.StringVar(&h.RecordedUntil, "recorded-until", "", "only recordings made before this time")
	f.BoolVar(&h.Evidence, "evidence", false, "police evidence (C1a): when the hold is released, what it covered is deleted at once")
	f.BoolVar(&h.Force, "force", false, "place a --path hold even though it covers no item now or in the latest plan")
	return cmd
}

func (a *app) holdsListCmd() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List active holds (--all: released ones too)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			hs, err := p.Store.Holds(ctx, all)
			if err != nil {
				return err
			}
			if len(hs) == 0 {
				a.printf("no holds\n")
				return nil
			}
			tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tREASON\tOWNER\tSCOPE\tUNTIL\tSTATE")
			for _, h := range hs {
				var scope []string
				for _, kv := range [][2]string{{"source", h.Source}, {"path", h.Path}, {"ref", h.Ref}, {"subject", h.Subject}} {
					if kv[1] != "" {
						v := esc(kv[1])
						if kv[0] == "path" {
							v = escPattern(kv[1])
						}
						scope = append(scope, kv[0]+"="+v)
					}
				}
				state := "active"
				if h.ReleasedAt != nil {
					state = "released " + h.ReleasedAt.In(p.Config.Location).Format("2006-01-02")
				}
				until := h.Until
				if until == "" {
					until = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, esc(h.Reason), esc(h.Owner), strings.Join(scope, " "), until, state)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include released holds")
	return cmd
}

func (a *app) holdsReleaseCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "release ID",
		Short: "Release a hold, as an operator (--as)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			if err := p.ReleaseHold(ctx, a.as, args[0]); err != nil {
				return err
			}
			a.printf("hold %s released; its items are decided by the rules again from the next plan\n", args[0])
			return nil
		},
	}
}
