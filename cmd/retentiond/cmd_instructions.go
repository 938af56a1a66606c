package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
)

func (a *app) instructionsCmd() *cobra.Command {
	var out string
	var horizon int
	var now string
	cmd := &cobra.Command{
		Use:   "instructions",
		Short: "Issue deletion instructions for systems without a deletion API (Lectio, SkoleIntra, processors), as an operator (--as)",
		Long: `Issue deletion instructions. For every person in the school-system exports
and every rule of kind record (Lectio's categories, SkoleIntra, data
processors, user accounts, mailboxes to close), retentiond decides whether
their data in that system is due, or will be within --horizon days. The lines
not issued before go into one instruction per system, written to --out as
PDF, Markdown and CSV with a note signed by the ledger's key, and each line is
recorded in the ledger by reference. People appear by their number in the
export, never by name.

Whoever runs the system deletes the data and the operator confirms it:
  retentiond instructions confirm I-3 --by "Lectio administrator" --as it
Instructions not confirmed by their first date are reported as overdue here
and by "instructions list".

A hold withholds lines: no line is issued for a person a subject hold covers
(or whose record a path hold covers), also within the horizon. A line issued
before the hold, in an instruction not yet confirmed, is withdrawn: recorded
in the ledger, listed as "do NOT delete" in the next instruction to that
system, and no longer counted overdue. Released, the line is issued again.

--now DATE asks what would be issued on another day; nothing is issued,
written or recorded.`,
		Args: cobra.NoArgs,
		RunE: a.withPipeline(func(ctx context.Context, p *scheduler.Pipeline, _ []string) error {
			var day policies.Date
			if now != "" {
				d, err := policies.ParseDate(now)
				if err != nil {
					return fmt.Errorf("--now: %w", err)
				}
				day = d
			}
			res, err := p.IssueInstructions(ctx, scheduler.InstructionOptions{Horizon: horizon, Person: a.as, Today: day})
			if err != nil {
				return err
			}
			if res.IsPreview {
				writeInstructionPreview(a, res)
				return nil
			}
			dir := out
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(p.Config.Dir, dir)
			}
			if len(res.Issued) > 0 {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return fmt.Errorf("create %s: %w", dir, err)
				}
			}
			for _, in := range res.Issued {
				base := filepath.Join(dir, in.ID+"-"+fileSafe(in.System))
				for ext, data := range map[string][]byte{".md": in.Markdown, ".pdf": in.PDF, ".csv": in.CSV, ".note": in.Note} {
					if err := os.WriteFile(base+ext, data, 0o600); err != nil {
						return fmt.Errorf("write instruction %s: %w", in.ID, err)
					}
				}
				if len(in.Lines) > 0 {
					a.printf("instruction %s for %s: %s, first due %s, to be confirmed by %s\n", in.ID, in.System, plural(len(in.Lines), "line"), in.EarliestDue, in.Deadline)
				} else {
					a.printf("instruction %s for %s: no new lines (nothing to confirm)\n", in.ID, in.System)
				}
				for _, w := range in.Withdraws {
					a.printf("  withdrawn: %s %s of person %s (line of %s, due %s): hold %s\n", w.Rule, w.Title, withdrawnPerson(w.Subject), w.Instruction, w.Due, w.Hold)
				}
				a.printf("  %s.pdf, .md, .csv and .note (signed)\n", base)
			}
			if len(res.Issued) == 0 {
				a.printf("no new deletion instructions\n")
			}
			if res.Withheld > 0 {
				a.printf("%s withheld: a hold covers the person or record (%s)\n", plural(res.Withheld, "line"), strings.Join(res.Holds, ", "))
			}
			if res.Flagged > 0 {
				a.printf("%d people have export data that cannot be trusted; their records are in no instruction until it is corrected (retentiond explain)\n", res.Flagged)
			}
			writeOverdue(a, res.Overdue)
			return nil
		}),
	}
	cmd.Flags().StringVar(&out, "out", "instructions", "folder for the documents, relative to the configuration's folder")
	cmd.Flags().IntVar(&horizon, "horizon", scheduler.DefaultInstructionHorizon, "also list deletions due within this many days (-1: only those due now)")
	cmd.Flags().StringVar(&now, "now", "", "show what would be issued on this date (YYYY-MM-DD) instead of issuing today's; issues nothing")
	cmd.AddCommand(a.instructionsListCmd(), a.instructionsConfirmCmd(), a.instructionsShowCmd())
	return cmd
}

// writeInstructionPreview prints what would be issued on another day.
func writeInstructionPreview(a *app, res *scheduler.InstructionResult) {
	a.printf("preview for %s: nothing is issued or recorded\n", res.Today)
	if len(res.Preview) == 0 {
		a.printf("no new deletion instructions\n")
	}
	for _, pv := range res.Preview {
		a.printf("instruction for %s: %s\n", pv.System, plural(len(pv.Lines), "line"))
		for _, l := range pv.Lines {
			a.printf("  delete by %s  %s %s  person %s\n", l.Due, l.Rule, l.Title, withdrawnPerson(l.Subject))
		}
		for _, w := range pv.Withdrawn {
			a.printf("  withdrawn: %s %s of person %s (line of %s, due %s): hold %s\n", w.Rule, w.Title, withdrawnPerson(w.Subject), w.Instruction, w.Due, w.Hold)
		}
	}
	if res.Withheld > 0 {
		a.printf("%s withheld: a hold covers the person or record (%s)\n", plural(res.Withheld, "line"), strings.Join(res.Holds, ", "))
	}
}

// withdrawnPerson is the person's number of a subject "kind:id", as the
// instruction documents give it.
func withdrawnPerson(subject string) string {
	_, id, _ := strings.Cut(subject, ":")
	return esc(id)
}

func writeOverdue(a *app, overdue []store.Instruction) {
	for _, in := range overdue {
		a.printf("OVERDUE: instruction %s for %s (%s) was to be confirmed by %s\n", in.ID, in.System, plural(int(in.Lines), "line"), in.Deadline)
	}
}

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r == ' ' {
			return '-'
		}
		return r
	}, strings.ToLower(s))
}

func (a *app) instructionsListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List issued instructions, whether they were confirmed, and which are overdue",
		Args:  cobra.NoArgs,
		RunE: a.withPipeline(func(ctx context.Context, p *scheduler.Pipeline, _ []string) error {
			all, err := p.Store.Instructions(ctx)
			if err != nil {
				return err
			}
			if len(all) == 0 {
				a.printf("no instructions issued\n")
				return nil
			}
			overdue, err := p.OverdueInstructions(ctx)
			if err != nil {
				return err
			}
			late := map[string]bool{}
			for _, in := range overdue {
				late[in.ID] = true
			}
			tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSYSTEM\tISSUED\tLINES\tFIRST DUE\tCONFIRM BY\tSTATE")
			for _, in := range all {
				state := "waiting"
				lines := fmt.Sprint(in.Lines)
				if in.Withdrawn > 0 {
					lines += fmt.Sprintf(" (%d withdrawn)", in.Withdrawn)
				}
				switch {
				case in.Lines == 0:
					state = fmt.Sprintf("withdraws %s of earlier instructions (nothing to confirm)", plural(int(in.Withdrawals), "line"))
				case in.ConfirmedAt == nil && in.Standing() == 0:
					state = "withdrawn: a hold covers every line"
				case in.ConfirmedAt != nil:
					state = fmt.Sprintf("confirmed %s by %s (recorded by %s)", in.ConfirmedAt.Local().Format("2006-01-02"), esc(deref(in.ConfirmedBy)), deref(in.ConfirmedAs))
				case late[in.ID]:
					state = "OVERDUE"
				}
				if in.Lines > 0 && in.Withdrawals > 0 {
					state += fmt.Sprintf("; withdraws %s of earlier instructions", plural(int(in.Withdrawals), "line"))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.System, in.CreatedAt.Local().Format("2006-01-02"), lines, dash(in.EarliestDue), dash(in.Deadline), state)
			}
			return tw.Flush()
		}),
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (a *app) instructionsConfirmCmd() *cobra.Command {
	var by string
	cmd := &cobra.Command{
		Use:   "confirm ID",
		Short: "Record that an instruction was carried out (--by who did it), as an operator (--as)",
		Args:  cobra.ExactArgs(1),
		RunE: a.withPipeline(func(ctx context.Context, p *scheduler.Pipeline, args []string) error {
			if err := p.ConfirmInstruction(ctx, args[0], by, a.as); err != nil {
				return err
			}
			a.printf("instruction %s confirmed as carried out by %s; recorded in the ledger\n", args[0], by)
			return nil
		}),
	}
	cmd.Flags().StringVar(&by, "by", "", "who carried it out, e.g. \"Lectio administrator\" (required)")
	return cmd
}

func (a *app) instructionsShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Print an instruction's CSV document as issued, and which of its lines a hold withdrew since (on stderr)",
		Args:  cobra.ExactArgs(1),
		RunE: a.withPipeline(func(ctx context.Context, p *scheduler.Pipeline, args []string) error {
			in, err := p.Store.Instruction(ctx, args[0])
			if err != nil {
				return err
			}
			if _, err = a.out.Write(in.Document); err != nil {
				return err
			}
			if in.Withdrawn == 0 {
				return nil
			}
			// The document stays as issued (its digest is signed); what
			// changed since goes beside it.
			lines, err := p.Store.InstructionLines(ctx, in.ID)
			if err != nil {
				return err
			}
			for _, l := range lines {
				if l.WithdrawnAt != nil {
					fmt.Fprintf(a.errOut, "WITHDRAWN since issue: %s person %s, due %s: hold %s, announced in %s; do not carry it out\n",
						l.Rule, withdrawnPerson(l.Subject), l.Due, deref(l.WithdrawnHold), deref(l.WithdrawnIn))
				}
			}
			return nil
		}),
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
