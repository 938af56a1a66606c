package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
)

func (a *app) planCmd() *cobra.Command {
	var (
		now     string
		sources []string
		format  string
		samples int
	)
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Dry run: list the sources and show what is due and why",
		Long: `Plan lists each source (or those given with --source), decides for every item
whether it is due, must be reviewed, is held or is kept, and saves the result.
Nothing is deleted. Planning for today cuts the due items into batches that
wait for approval (rules with approval: none are approved at once).

--now DATE asks what would be due on another day ("what goes on 1 August?");
such a plan is saved for reading only and never produces batches.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if format != "text" && format != "json" {
				return fmt.Errorf("--format %q: use text or json", format)
			}
			var day policies.Date
			if now != "" {
				d, err := policies.ParseDate(now)
				if err != nil {
					return fmt.Errorf("--now: %w", err)
				}
				day = d
			}
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			if len(sources) == 0 {
				for _, s := range p.Config.Sources {
					sources = append(sources, s.Name)
				}
			}
			var results []*scheduler.PlanResult
			for _, name := range sources {
				res, err := p.Plan(ctx, scheduler.PlanOptions{Source: name, Today: day, Planner: a.actor(), Samples: samples})
				if err != nil {
					return err
				}
				results = append(results, res)
			}
			if format == "json" {
				return writePlanJSON(a.out, p, results)
			}
			for _, res := range results {
				writePlanText(a.out, p, res)
			}
			writeNextSteps(a.out, a.configFile, results)
			return nil
		},
	}
	cmd.Flags().StringVar(&now, "now", "", "plan for this date (YYYY-MM-DD) instead of today; saved for reading only")
	cmd.Flags().StringSliceVar(&sources, "source", nil, "plan only these sources (repeatable)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().IntVar(&samples, "examples", 3, "example items to show per rule")
	return cmd
}

func writePlanText(w io.Writer, p *scheduler.Pipeline, res *scheduler.PlanResult) {
	pl := res.Plan
	if n := writeImports(w, res.Imports, false); n > 0 || len(res.Imports) > 0 && res.Imports[0].Status != "unchanged" {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Plan %d for source %q on %s", pl.ID, pl.Source, pl.Today)
	if pl.DryRun {
		fmt.Fprintf(w, " (a look ahead: saved for reading only, no batches)")
	}
	fmt.Fprintf(w, "\n  %d items listed: %d due (%s), %d to review, %d held, %d to archive, %d kept\n",
		pl.Listed, pl.Due, humanBytes(pl.DueBytes), pl.Review, pl.Held, pl.Archive, pl.Keep)
	if res.AwaitingNotice > 0 {
		fmt.Fprintf(w, "  %d of the kept are due but wait until their owners have been told (owner_notice; retentiond notify tells them)\n", res.AwaitingNotice)
	}
	if res.Incomplete != nil {
		fmt.Fprintf(w, "  WARNING: parts of the source could not be read; nothing in them is planned:\n    %s\n", strings.ReplaceAll(escLines(res.Incomplete.Error()), "\n", "\n    "))
	}
	writeIgnored(w, "  ", res.Ignored, res.IgnoredSamples)
	batchOf := map[string]store.Batch{}
	for _, b := range res.Batches {
		verdict := "due"
		if b.Method == store.MethodArchive {
			verdict = "archive"
		}
		batchOf[b.Rule+"/"+verdict] = b
	}
	order := map[string]int{"due": 0, "archive": 1, "held": 2, "review": 3}
	totals := append([]store.RuleTotal(nil), res.Totals...)
	sort.SliceStable(totals, func(i, j int) bool { return order[totals[i].Verdict] < order[totals[j].Verdict] })
	for _, t := range totals {
		title := ""
		if r := p.Config.Policies.Rule(t.Rule); r != nil {
			title = r.Title
		}
		fmt.Fprintf(w, "\n  %-7s %-4s %-44s %6d items  %s\n", verdictLabel(t.Verdict), t.Rule, title, t.Items, humanBytes(t.Bytes))
		if b, ok := batchOf[t.Rule+"/"+t.Verdict]; ok {
			fmt.Fprintf(w, "          batch %d: %s", b.ID, b.Status)
			if b.StatusNote != "" {
				fmt.Fprintf(w, " (%s)", esc(b.StatusNote))
			}
			fmt.Fprintln(w)
		}
		sam := res.Samples[t.Rule+"/"+t.Verdict]
		for _, it := range sam {
			fmt.Fprintf(w, "          %s\n            %s\n", esc(it.Ref), esc(p.Explain(it)))
		}
		if more := t.Items - int64(len(sam)); more > 0 && len(sam) > 0 {
			fmt.Fprintf(w, "          … and %d more\n", more)
		}
	}
	for _, b := range res.Superseded {
		fmt.Fprintf(w, "\n  batch %d (rule %s) was still waiting and is replaced by this plan\n", b.ID, b.Rule)
	}
	for _, b := range res.Waiting {
		fmt.Fprintf(w, "\n  batch %d (rule %s) is approved and waits for execution; no new batch is cut for the rule until it has run\n", b.ID, b.Rule)
	}
	fmt.Fprintln(w)
}

func verdictLabel(v string) string {
	switch v {
	case "due":
		return "DUE"
	case "review":
		return "REVIEW"
	case "held":
		return "HELD"
	case "archive":
		return "ARCHIVE"
	}
	return strings.ToUpper(v)
}

func writeNextSteps(w io.Writer, config string, results []*scheduler.PlanResult) {
	pending, approved := 0, 0
	for _, r := range results {
		for _, b := range r.Batches {
			switch b.Status {
			case store.StatusPending, store.StatusGuarded:
				pending++
			case store.StatusApproved:
				approved++
			}
		}
	}
	fmt.Fprintln(w, "Nothing has been deleted.")
	if pending+approved == 0 {
		return
	}
	fmt.Fprintf(w, "Next:\n")
	if pending > 0 {
		fmt.Fprintf(w, "  retentiond batches list --config %s                  # %d batches wait for approval\n", config, pending)
		fmt.Fprintf(w, "  retentiond batches show ID --config %s               # every item and why\n", config)
		fmt.Fprintf(w, "  retentiond batches approve ID --as APPROVER --config %s\n", config)
	}
	fmt.Fprintf(w, "  retentiond execute --as OPERATOR --config %s         # deletes approved batches and records them in the ledger\n", config)
}

type planJSON struct {
	Plan       *store.Plan           `json:"plan"`
	Totals     []store.RuleTotal     `json:"totals"`
	Batches    []store.Batch         `json:"batches"`
	Items      map[string][]itemJSON `json:"examples"`
	Incomplete string                `json:"incomplete,omitempty"`
	// Ignored counts the files left out as not what the source manages
	// (not recordings); IgnoredFiles names the first of them.
	Ignored      int64                   `json:"ignored,omitempty"`
	IgnoredFiles []scheduler.IgnoredFile `json:"ignored_files,omitempty"`
}

type itemJSON struct {
	Ref    string `json:"ref"`
	Rule   string `json:"rule"`
	Due    string `json:"due,omitempty"`
	Reason string `json:"reason"`
}

func writePlanJSON(w io.Writer, p *scheduler.Pipeline, results []*scheduler.PlanResult) error {
	var out []planJSON
	for _, r := range results {
		pj := planJSON{Plan: r.Plan, Totals: r.Totals, Batches: r.Batches, Items: map[string][]itemJSON{}, Ignored: r.Ignored, IgnoredFiles: r.IgnoredSamples}
		if r.Incomplete != nil {
			pj.Incomplete = r.Incomplete.Error()
		}
		for k, items := range r.Samples {
			for _, it := range items {
				pj.Items[k] = append(pj.Items[k], itemJSON{Ref: it.Ref, Rule: it.Rule, Due: it.Due, Reason: p.Explain(it)})
			}
		}
		out = append(out, pj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
