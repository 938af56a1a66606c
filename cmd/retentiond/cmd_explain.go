package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/scheduler"
)

func (a *app) explainCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "explain student:ID | staff:ID | ADDRESS | SOURCE:PATH",
		Short: "Show why items are kept and when they will go: for a person, or for one item",
		Long: `For a person (student:1001, staff:4711, or an e-mail address from the
exports): what the exports say and how that changed, holds, and every item the
latest plans link to them, with the rule, verdict and due date.

For an item (SOURCE:PATH, e.g. "skoledrev:Administration/Udmeldte elever/1003/Elevplan.docx"):
the item is looked up in its source now and decided as a plan today would.`,
		Args: cobra.ExactArgs(1),
		RunE: a.withPipeline(func(ctx context.Context, p *scheduler.Pipeline, args []string) error {
			arg := args[0]
			if src, ref, ok := strings.Cut(arg, ":"); ok {
				if _, isSource := p.Config.Source(src); isSource {
					r, err := p.ExplainItem(ctx, src, ref)
					if err != nil {
						return err
					}
					a.printf("%s: %s\n", r.Source, esc(r.Item.Ref))
					if r.AwaitingNotice != "" {
						a.printf("  %s\n", esc(r.AwaitingNotice))
					} else {
						a.printf("  %s\n", esc(r.Decision.Reason()))
					}
					if r.Decision.Subject != "" {
						a.printf("  about %s: retentiond explain %s\n", esc(r.Decision.Subject), esc(r.Decision.Subject))
					}
					return nil
				}
			}
			r, err := p.ExplainSubject(ctx, arg)
			if err != nil {
				return err
			}
			a.printf("%s\n", esc(r.Key))
			if len(r.Facts) == 0 {
				a.printf("  not in any school-system export\n")
			}
			for _, f := range r.Facts {
				a.printf("  from %s:", f.Source)
				for _, kv := range [][2]string{{"started", f.Started}, {"left", f.Left}, {"born", f.Born}, {"case closed", f.CaseClosed}, {"e-mail", f.Email}} {
					if kv[1] != "" {
						a.printf(" %s %s;", kv[0], esc(kv[1]))
					}
				}
				if f.Manager != nil {
					a.printf(" manager %s;", yesNo(*f.Manager))
				}
				if f.PendingCase != nil {
					a.printf(" pending case %s;", yesNo(*f.PendingCase))
				}
				a.printf("\n")
			}
			if r.Known && r.Merged.Problem != "" {
				a.printf("  FLAGGED, nothing about them is deleted: %s\n", esc(r.Merged.Problem))
			}
			if len(r.History) > 0 {
				a.printf("History:\n")
				for _, c := range r.History {
					a.printf("  %s  %s (%s): %s\n", c.ImportedAt.Local().Format("2006-01-02 15:04"), c.Source, esc(c.File), esc(change(c.Field, c.Old, c.New)))
				}
			}
			for _, h := range r.Holds {
				a.printf("Hold %s: %s (owner %s)\n", h.ID, esc(h.Reason), esc(h.Owner))
			}
			for _, l := range r.Instructions {
				state := "not confirmed"
				switch {
				case l.WithdrawnAt != nil:
					state = fmt.Sprintf("withdrawn %s by hold %s, in %s: not to be carried out", l.WithdrawnAt.Local().Format("2006-01-02"), deref(l.WithdrawnHold), deref(l.WithdrawnIn))
				case l.ConfirmedAt != nil:
					state = "confirmed " + l.ConfirmedAt.Local().Format("2006-01-02")
				}
				a.printf("Instruction %s to %s: %s, delete by %s (%s)\n", l.Instruction, l.System, l.Rule, l.Due, state)
			}
			if len(r.Items) == 0 {
				a.printf("No planned item is linked to %s.\n", esc(r.Key))
				return nil
			}
			a.printf("Items (%d):\n", len(r.Items))
			for _, it := range r.Items {
				due := it.Due
				if due == "" {
					due = "not yet known"
				}
				a.printf("  %s:%s\n    %s under %s, due %s (plan %d of %s)\n    %s\n", it.Source, esc(it.Ref), strings.ToUpper(it.Verdict), it.Rule, due, it.Plan, it.PlanDay, esc(it.Reason))
			}
			return nil
		}),
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// change describes one change an import made to a person.
func change(field, old, new string) string {
	if field == "listed" {
		switch {
		case old == "":
			return "first listed"
		case new == "no":
			return "no longer listed"
		}
		return "listed again"
	}
	field = strings.ReplaceAll(field, "_", " ")
	switch {
	case old == "":
		return fmt.Sprintf("%s set to %s", field, new)
	case new == "":
		return fmt.Sprintf("%s %s withdrawn", field, old)
	}
	return fmt.Sprintf("%s changed from %s to %s", field, old, new)
}
