package main

import (
	"bufio"
	"context"
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
		all     bool
	)
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Dry run: list the sources and show what is due and why",
		Long: `Plan lists each source (or those given with --source), decides for every item
whether it is due, must be reviewed, is held or is kept, and saves the result.
Nothing is deleted. Planning for today cuts the due items into batches that
wait for approval (rules with approval: none are approved at once).

--now DATE asks what would be due on another day ("what goes on 1 August?");
such a plan is saved for reading only and never produces batches.

The text and json output show --examples items per rule and verdict; --all
shows every item instead, and --format jsonl streams every item of the plans
just made, one JSON object a line, read back from the store (memory stays
flat). Kept items linked to nobody are not stored in a plan, only counted:
jsonl's plan line gives their number (kept_not_stored).`,
		Example: `  retentiond plan
  retentiond plan --now 2027-08-01 --source skoledrev
  retentiond plan --format jsonl > plan.jsonl
  retentiond plan --all --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if format != "text" && format != "json" && format != "jsonl" {
				return fmt.Errorf("--format %q: use text, json or jsonl", format)
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
			switch format {
			case "json":
				return writePlanJSON(ctx, a.out, p, results, all)
			case "jsonl":
				return writePlanJSONL(ctx, a.out, p, results)
			}
			for _, res := range results {
				if err := writePlanTextAll(ctx, a.out, p, res, all); err != nil {
					return err
				}
			}
			writeNextSteps(a.out, a.configFile, results)
			return nil
		},
	}
	cmd.Flags().StringVar(&now, "now", "", "plan for this date (YYYY-MM-DD) instead of today; saved for reading only")
	cmd.Flags().StringSliceVar(&sources, "source", nil, "plan only these sources (repeatable)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json or jsonl (every item, one a line)")
	cmd.Flags().IntVar(&samples, "examples", 3, "example items to show per rule")
	cmd.Flags().BoolVar(&all, "all", false, "show every item of the plan, not --examples per rule")
	return cmd
}

// writePlanText writes a plan with --examples items per rule and verdict.
func writePlanText(w io.Writer, p *scheduler.Pipeline, res *scheduler.PlanResult) {
	writePlanTextAll(context.Background(), w, p, res, false)
}

// writePlanTextAll writes a plan; all: every stored item, read back from
// the store, instead of the examples.
func writePlanTextAll(ctx context.Context, w io.Writer, p *scheduler.Pipeline, res *scheduler.PlanResult, all bool) error {
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
	writePlanChanges(w, res)
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
		if all {
			err := p.Store.PlanChunks(ctx, pl.ID, func(c store.PlanChunk) error {
				if c.Rule != t.Rule || c.Verdict != t.Verdict {
					return nil
				}
				for _, it := range c.Items {
					fmt.Fprintf(w, "          %s\n            %s\n", esc(it.Ref), esc(p.Explain(it)))
					if c.InBatch != 0 {
						fmt.Fprintf(w, "            already in batch %d\n", c.InBatch)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			continue
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
		if b.Successor != 0 {
			fmt.Fprintf(w, "\n  batch %d (rule %s) is superseded: its policy changed; its items due now are in batch %d\n", b.ID, b.Rule, b.Successor)
		} else {
			fmt.Fprintf(w, "\n  batch %d (rule %s) is superseded: its policy changed, and nothing of it is due under the new one\n", b.ID, b.Rule)
		}
	}
	fmt.Fprintln(w)
	return nil
}

// writePlanChanges says what the plan did to open batches and what
// people's decisions kept.
func writePlanChanges(w io.Writer, res *scheduler.PlanResult) {
	if res.InOpenBatches > 0 {
		fmt.Fprintf(w, "  %d due items already in open batches (not batched again)\n", res.InOpenBatches)
	}
	for _, line := range withdrawnLines(res.Withdrawn) {
		fmt.Fprintf(w, "  %s\n", line)
	}
	if res.KeptByDecision > 0 {
		fmt.Fprintf(w, "  %d items kept by people's decisions (see `retentiond decisions list`)\n", res.KeptByDecision)
	}
}

// withdrawnLines renders a plan's withdrawals, one line per batch:
// "withdrawn from batch 7: 3 changed (now in batch 9), 1 absent", and
// "batch 7 is now withdrawn: nothing left in it" for a batch emptied.
func withdrawnLines(ws []scheduler.WithdrawnCount) []string {
	var (
		order   []int64
		parts   = map[int64][]string{}
		emptied = map[int64]bool{}
	)
	for _, wc := range ws {
		if _, ok := parts[wc.Batch]; !ok {
			order = append(order, wc.Batch)
		}
		part := fmt.Sprintf("%d %s", wc.Items, strings.ReplaceAll(wc.Code, "_", " "))
		if wc.Successor > 0 {
			part += fmt.Sprintf(" (now in batch %d)", wc.Successor)
		}
		parts[wc.Batch] = append(parts[wc.Batch], part)
		emptied[wc.Batch] = emptied[wc.Batch] || wc.Emptied
	}
	var out []string
	for _, b := range order {
		out = append(out, fmt.Sprintf("withdrawn from batch %d: %s", b, strings.Join(parts[b], ", ")))
		if emptied[b] {
			out = append(out, fmt.Sprintf("batch %d is now withdrawn: nothing left in it", b))
		}
	}
	return out
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
	// InOpenBatches counts the due items already in open batches (not
	// batched again); Withdrawn what the plan withdrew from open batches;
	// KeptByDecision the items people's retention decisions keep.
	InOpenBatches  int64           `json:"in_open_batches"`
	Withdrawn      []withdrawnJSON `json:"withdrawn,omitempty"`
	KeptByDecision int64           `json:"kept_by_decision"`
}

type withdrawnJSON struct {
	Batch     int64  `json:"batch"`
	Code      string `json:"code"`
	Items     int64  `json:"items"`
	Successor int64  `json:"successor,omitempty"`
	Emptied   bool   `json:"emptied,omitempty"`
}

func withdrawnOf(ws []scheduler.WithdrawnCount) []withdrawnJSON {
	var out []withdrawnJSON
	for _, wc := range ws {
		out = append(out, withdrawnJSON{Batch: wc.Batch, Code: wc.Code, Items: wc.Items, Successor: wc.Successor, Emptied: wc.Emptied})
	}
	return out
}

type itemJSON struct {
	Ref    string `json:"ref"`
	Rule   string `json:"rule"`
	Due    string `json:"due,omitempty"`
	Reason string `json:"reason"`
}

func newPlanJSON(p *scheduler.Pipeline, r *scheduler.PlanResult) planJSON {
	pj := planJSON{Plan: r.Plan, Totals: r.Totals, Batches: r.Batches, Items: map[string][]itemJSON{}, Ignored: r.Ignored, IgnoredFiles: r.IgnoredSamples,
		InOpenBatches: r.InOpenBatches, Withdrawn: withdrawnOf(r.Withdrawn), KeptByDecision: r.KeptByDecision}
	if r.Incomplete != nil {
		pj.Incomplete = r.Incomplete.Error()
	}
	for k, items := range r.Samples {
		for _, it := range items {
			pj.Items[k] = append(pj.Items[k], itemJSON{Ref: it.Ref, Rule: it.Rule, Due: it.Due, Reason: p.Explain(it)})
		}
	}
	return pj
}

func writePlanJSON(ctx context.Context, w io.Writer, p *scheduler.Pipeline, results []*scheduler.PlanResult, all bool) error {
	if !all {
		var out []planJSON
		for _, r := range results {
			out = append(out, newPlanJSON(p, r))
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	// Every item: each plan's object ends in "items", streamed one item a
	// line from the store.
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("[\n")
	for i, r := range results {
		pj := newPlanJSON(p, r)
		pj.Items = nil
		head, err := json.Marshal(pj)
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteString(",\n")
		}
		bw.Write(head[:len(head)-1])
		bw.WriteString(`,"items":[` + "\n")
		first := true
		err = eachPlanItem(ctx, p, r.Plan, func(it *planItemJSON) error {
			if !first {
				bw.WriteString(",\n")
			}
			first = false
			b, err := json.Marshal(it)
			if err != nil {
				return err
			}
			_, err = bw.Write(b)
			return err
		})
		if err != nil {
			return err
		}
		bw.WriteString("\n]}")
	}
	bw.WriteString("\n]\n")
	return bw.Flush()
}

// planItemJSON is one stored plan item as --format jsonl and --all list it.
type planItemJSON struct {
	Type      string `json:"type"` // "item"
	Source    string `json:"source"`
	Plan      int64  `json:"plan"`
	Ref       string `json:"ref"`
	Version   string `json:"version,omitempty"`
	Container string `json:"container,omitempty"`
	Size      int64  `json:"size"`
	Rule      string `json:"rule"`
	Verdict   string `json:"verdict"`
	Due       string `json:"due,omitempty"`
	Anchor    string `json:"anchor,omitempty"`
	Subject   string `json:"subject,omitempty"`
	Note      string `json:"note,omitempty"`
	Reason    string `json:"reason"`
	Batch     int64  `json:"batch,omitempty"`    // the batch this plan cut the item into
	InBatch   int64  `json:"in_batch,omitempty"` // the open batch the item already was in
}

// planHeadJSON is the line that starts a plan in --format jsonl.
type planHeadJSON struct {
	Type string      `json:"type"` // "plan"
	Plan *store.Plan `json:"plan"`
	// KeptNotStored counts the kept items linked to nobody: counted in
	// plan.keep, not stored, so not listed.
	KeptNotStored  int64           `json:"kept_not_stored"`
	InOpenBatches  int64           `json:"in_open_batches"`
	Withdrawn      []withdrawnJSON `json:"withdrawn,omitempty"`
	KeptByDecision int64           `json:"kept_by_decision"`
	Incomplete     string          `json:"incomplete,omitempty"`
}

// eachPlanItem calls fn with every stored item of a plan, one chunk read at
// a time. The item is reused: fn must not keep it.
func eachPlanItem(ctx context.Context, p *scheduler.Pipeline, pl *store.Plan, fn func(*planItemJSON) error) error {
	var row planItemJSON
	return p.Store.PlanChunks(ctx, pl.ID, func(c store.PlanChunk) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for i := range c.Items {
			it := &c.Items[i]
			row = planItemJSON{Type: "item", Source: pl.Source, Plan: pl.ID, Ref: it.Ref, Version: it.Version, Container: it.Container,
				Size: it.Size, Rule: it.Rule, Verdict: it.Verdict, Due: it.Due, Anchor: it.Anchor, Subject: it.Subject, Note: it.Note,
				Reason: p.Explain(*it), Batch: c.Batch, InBatch: c.InBatch}
			if err := fn(&row); err != nil {
				return err
			}
		}
		return nil
	})
}

// writePlanJSONL streams each plan as a line {"type":"plan",…} followed by
// each of its stored items as a line {"type":"item",…}.
func writePlanJSONL(ctx context.Context, w io.Writer, p *scheduler.Pipeline, results []*scheduler.PlanResult) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, r := range results {
		head := planHeadJSON{Type: "plan", Plan: r.Plan, KeptNotStored: r.Plan.Keep, InOpenBatches: r.InOpenBatches,
			Withdrawn: withdrawnOf(r.Withdrawn), KeptByDecision: r.KeptByDecision}
		for _, t := range r.Totals {
			if t.Verdict == "keep" {
				head.KeptNotStored -= t.Items
			}
		}
		head.KeptNotStored = max(head.KeptNotStored, 0)
		if r.Incomplete != nil {
			head.Incomplete = r.Incomplete.Error()
		}
		if err := enc.Encode(head); err != nil {
			return err
		}
		if err := eachPlanItem(ctx, p, r.Plan, func(it *planItemJSON) error { return enc.Encode(it) }); err != nil {
			return err
		}
	}
	return bw.Flush()
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
