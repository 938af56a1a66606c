package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/scheduler"
)

func (a *app) subjectsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subjects",
		Short: "Import the school-system exports (students and staff) and show what was imported",
	}
	cmd.AddCommand(a.subjectsImportCmd(), a.subjectsImportsCmd())
	return cmd
}

func (a *app) subjectsImportCmd() *cobra.Command {
	var opts scheduler.ImportOptions
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Read the newest export of each export source into the store (plan does this too)",
		Long: `Read the newest export file of each source of kind export (or --source) and
make it the source's current facts about students or staff. Every plan does
this first; run it by hand to see the result, or to accept an export that is
much smaller than the previous one (--accept-shrink).

An export that cannot be read whole (a missing or unknown column, a truncated
file, the wrong encoding) or that has fewer than 80% of the previous export's
rows is refused: the facts of the previous import stay in force. A person
whose row has a value that does not parse, who is listed twice with different
facts, who left before starting, was born in the future, or who is missing
from the newest export, is flagged: their data is kept for review.`,
		Args: cobra.NoArgs,
		RunE: a.withPipeline(func(ctx context.Context, p *scheduler.Pipeline, _ []string) error {
			results, err := p.ImportSubjects(ctx, opts)
			if err != nil {
				return err
			}
			if len(results) == 0 {
				a.printf("no source of kind export is configured\n")
				return nil
			}
			refused := writeImports(a.out, results, true)
			if refused > 0 {
				return fmt.Errorf("%d export(s) refused", refused)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&opts.Source, "source", "", "only this export source")
	f.BoolVar(&opts.AcceptShrink, "accept-shrink", false, "apply the export even though it has far fewer rows than the previous one")
	f.BoolVar(&opts.Force, "force", false, "read the export again even if it was imported before")
	return cmd
}

func (a *app) subjectsImportsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "imports",
		Short: "List the imports of exports, newest first, with refusals and why",
		Args:  cobra.NoArgs,
		RunE: a.withPipeline(func(ctx context.Context, p *scheduler.Pipeline, _ []string) error {
			imps, err := p.Store.Imports(ctx)
			if err != nil {
				return err
			}
			if len(imps) == 0 {
				a.printf("no exports imported yet\n")
				return nil
			}
			tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tWHEN\tSOURCE\tFILE\tROWS\tSTATUS\tNOTE")
			for _, i := range imps {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", i.ID, i.ImportedAt.Local().Format("2006-01-02 15:04"), i.Source, esc(i.File), i.Rows, i.Status, esc(strings.ReplaceAll(i.Note, "\n", " ")))
			}
			return tw.Flush()
		}),
	}
}

// writeImports prints what importing exports did; unchanged exports only
// when all is set. It returns the number of refused exports.
func writeImports(w io.Writer, results []scheduler.ImportResult, all bool) int {
	refused := 0
	for _, r := range results {
		switch r.Status {
		case "refused":
			refused++
			fmt.Fprintf(w, "%s: REFUSED %s: %s\n  The facts from the previous import stay in force.\n", r.Source, esc(r.File), esc(r.Why))
		case "unchanged":
			if all {
				fmt.Fprintf(w, "%s: %s was imported before; nothing to do (--force reads it again)\n", r.Source, esc(r.File))
			}
		default:
			s := r.Stats
			fmt.Fprintf(w, "%s: imported %s: %d rows; %d new, %d changed, %d unchanged, %d no longer listed, %d listed again\n",
				r.Source, esc(r.File), r.Rows, s.Added, s.Changed, s.Unchanged, s.Missing, s.Returned)
		}
		for _, warn := range r.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", esc(warn))
		}
	}
	return refused
}
