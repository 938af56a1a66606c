package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/scheduler/review"
	"github.com/retentiond/retentiond/store"
)

// Item states of `batches show` besides the ledger's outcomes.
const (
	stateInBatch   = review.StateInBatch
	stateWithdrawn = review.StateWithdrawn
	statePending   = review.StatePending
)

func (a *app) batchesShowCmd() *cobra.Command {
	var (
		limit  int
		format string
		output string
	)
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a batch: its rule, approvals, and every item with the reason it is due",
		Long: `Show lists a batch and its items: the path as the share shows it, size, the
modified date (for rules counted from item.modified), rule, due date, reason,
the person's number where the rule links one, and the item's state: in the
batch, withdrawn (with the reason and the batch its new version went into) or,
after execution, its outcome from the ledger (deleted, or skipped/failed with
the reason: changed, absent, held, not_due, failed (permission_denied), …).

--format text (the default) shows the first --limit items (50; 0 for all) and,
after execution, every item that was not deleted. csv, xlsx, json and jsonl
list every item, streamed: memory stays flat however large the batch.
Names are escaped in text, csv and xlsx (control and bidi characters shown as
\xNN / \uNNNN, a CSV cell starting with = + - @ gets a leading ').
json and jsonl hold the names as they are (JSON escapes controls).`,
		Example: `  retentiond batches show 7
  retentiond batches show 7 --format csv --output batch-7.csv
  retentiond batches show 7 --format xlsx --output batch-7.xlsx
  retentiond batches show 7 --format jsonl | jq -r 'select(.state != "deleted") | .path'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := parseBatchID(args[0])
			if err != nil {
				return err
			}
			switch format {
			case "text", "csv", "json", "jsonl":
			case "xlsx":
				if output == "" {
					return fmt.Errorf("--format xlsx writes a file: give it with --output FILE.xlsx")
				}
			default:
				return fmt.Errorf("--format %q: use text, csv, xlsx, json or jsonl", format)
			}
			if limit < 0 {
				return fmt.Errorf("--limit %d: give a number of items, 0 for all", limit)
			}
			if format != "text" && !cmd.Flags().Changed("limit") {
				limit = 0
			}
			p, err := a.pipeline(ctx, nil)
			if err != nil {
				return err
			}
			defer p.Close()
			b, err := p.Store.Batch(ctx, id)
			if err != nil {
				return err
			}
			st, err := newItemStates(ctx, p, b)
			if err != nil {
				return err
			}
			return writeTo(a.out, output, func(w io.Writer) error {
				switch format {
				case "csv":
					return showCSV(ctx, w, p, b, st, limit)
				case "xlsx":
					return showXLSX(ctx, w, p, b, st, limit)
				case "json", "jsonl":
					return showJSON(ctx, w, p, b, st, limit, format == "jsonl")
				}
				return showText(ctx, w, p, b, st, limit)
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "items to show; 0 for all (text: 50 unless given; other formats: all unless given)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, csv, xlsx, json or jsonl")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file (created owner-only: it names people's files) instead of standard output")
	return cmd
}

// writeTo runs fn on standard output, or on a new owner-only file that
// replaces path only when fn succeeded.
func writeTo(stdout io.Writer, path string, fn func(io.Writer) error) error {
	if path == "" {
		bw := bufio.NewWriterSize(stdout, 64<<10)
		if err := fn(bw); err != nil {
			bw.Flush()
			return err
		}
		return bw.Flush()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 256<<10)
	if err := fn(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok = true
	return nil
}

// newItemStates tells each item's state (review.New).
func newItemStates(ctx context.Context, p *scheduler.Pipeline, b *store.Batch) (*review.ItemStates, error) {
	return review.New(ctx, p, b)
}

// stateWords is how text output names a state: "" for an item waiting in
// the batch, "deleted", "skipped (changed)", "failed (permission_denied)",
// "withdrawn (changed), now in batch 9".
func stateWords(state, code string, successor int64) string {
	var s string
	switch state {
	case stateInBatch:
		return ""
	case "deleted":
		return "deleted"
	case statePending:
		return "not executed yet"
	case "failed", stateWithdrawn:
		s = state
		if code != "" {
			s += " (" + code + ")"
		}
	case "archived":
		return "archived"
	default:
		s = "skipped (" + state
		if code != "" {
			s += ": " + code
		}
		s += ")"
	}
	if successor > 0 {
		s += fmt.Sprintf(", now in batch %d", successor)
	}
	return s
}

// showRow is one item as the review formats list it.
type showRow = review.Row

var showHeader = review.Header

// eachRow calls fn with the first limit items of the batch (0: all).
func eachRow(ctx context.Context, p *scheduler.Pipeline, b *store.Batch, st *review.ItemStates, limit int, fn func(*showRow) error) error {
	return review.EachRow(ctx, p, b, st, limit, fn)
}

func showCSV(ctx context.Context, w io.Writer, p *scheduler.Pipeline, b *store.Batch, st *review.ItemStates, limit int) error {
	return review.WriteCSV(ctx, w, p, b, st, limit)
}

// showXLSX writes the batch as XLSX (review.WriteXLSX, which the
// console's download uses too).
func showXLSX(ctx context.Context, w io.Writer, p *scheduler.Pipeline, b *store.Batch, st *review.ItemStates, limit int) error {
	return review.WriteXLSX(ctx, w, p, b, st, limit)
}

// showJSONHead is what --format json writes before the items.
type showJSONHead struct {
	Batch     *store.Batch `json:"batch"`
	Approvals string       `json:"approvals,omitempty"`
}

func showJSON(ctx context.Context, w io.Writer, p *scheduler.Pipeline, b *store.Batch, st *review.ItemStates, limit int, lines bool) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if lines {
		return eachRow(ctx, p, b, st, limit, func(r *showRow) error { return enc.Encode(r) })
	}
	head := showJSONHead{Batch: b}
	if as, err := p.Approval(ctx, b); err == nil {
		head.Approvals = approvalSummary(as)
	}
	hb, err := json.Marshal(head)
	if err != nil {
		return err
	}
	// {"batch":…,"approvals":…,"items":[ one item a line ]}
	if _, err := fmt.Fprintf(w, "%s,\"items\":[\n", hb[:len(hb)-1]); err != nil {
		return err
	}
	first := true
	err = eachRow(ctx, p, b, st, limit, func(r *showRow) error {
		if !first {
			if _, err := io.WriteString(w, ",\n"); err != nil {
				return err
			}
		}
		first = false
		rb, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = w.Write(rb)
		return err
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n]}\n")
	return err
}

func showText(ctx context.Context, w io.Writer, p *scheduler.Pipeline, b *store.Batch, st *review.ItemStates, limit int) error {
	fmt.Fprintf(w, "Batch %d: %s\n", b.ID, b.Status)
	if b.StatusNote != "" {
		fmt.Fprintf(w, "  %s\n", esc(b.StatusNote))
	}
	if b.Successor > 0 {
		fmt.Fprintf(w, "  its items went on in batch %d: see `retentiond batches show %d`\n", b.Successor, b.Successor)
	}
	title := ""
	if r := p.Config.Policies.Rule(b.Rule); r != nil {
		title = r.Title
	}
	fmt.Fprintf(w, "  source %s, rule %s (%s), policy %s %s\n", b.Source, b.Rule, title, b.Policy, b.PolicyDigest)
	fmt.Fprintf(w, "  %d items, %s, planned %s by %s\n", b.Items, humanBytes(b.Bytes), b.CreatedAt.In(p.Config.Location).Format("2006-01-02 15:04"), b.Planner)
	if b.Withdrawn > 0 || len(st.Withdrawn()) > 0 {
		fmt.Fprintf(w, "  %d withdrawn before execution: %d still in it\n", max(b.Withdrawn, int64(len(st.Withdrawn()))), b.Items-max(b.Withdrawn, int64(len(st.Withdrawn()))))
	}
	fmt.Fprintf(w, "  fingerprint %s\n", b.Fingerprint)
	if as, err := p.Approval(ctx, b); err == nil {
		fmt.Fprintf(w, "  approvals: %s\n", approvalSummary(as))
		for i, s := range as.Stages {
			if len(s.Approvers) > 0 {
				fmt.Fprintf(w, "    stage %d (%s): %s\n", i+1, s.Stage.Group, strings.Join(s.Approvers, ", "))
			}
		}
	} else {
		fmt.Fprintf(w, "  approvals: %s\n", esc(err.Error()))
	}
	if b.Status == store.StatusDone || b.Status == store.StatusExecuting || st.Executed() {
		fmt.Fprintf(w, "  executed: %d deleted, %d skipped, %d failed\n", b.Deleted, b.Skipped, b.Failed)
	}
	// Every item not simply waiting or deleted, with why: after execution
	// the skipped and failed, before it the withdrawn.
	if st.NotDeleted() > 0 || len(st.Withdrawn()) > 0 || st.PartlyExecuted() {
		var lines []string
		n := 0
		err := eachRow(ctx, p, b, st, 0, func(r *showRow) error {
			words := stateWords(r.State, r.Code, r.Successor)
			if words == "" || r.State == "deleted" {
				return nil
			}
			n++
			if limit == 0 || len(lines) < limit {
				lines = append(lines, fmt.Sprintf("  %s\n    %s\n", esc(r.Path), words))
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n > 0 {
			what := "withdrawn"
			if st.Executed() {
				what = "not deleted"
			}
			fmt.Fprintf(w, "\n%s %s:\n", plural(n, "item"), what)
			for _, l := range lines {
				io.WriteString(w, l)
			}
			if n > len(lines) {
				fmt.Fprintf(w, "  … and %d more (--limit 0 shows all)\n", n-len(lines))
			}
		}
	}
	fmt.Fprintf(w, "\n")
	n := 0
	err := eachRow(ctx, p, b, st, limit, func(r *showRow) error {
		fmt.Fprintf(w, "  %s\n    %s", esc(r.Path), humanBytes(r.Size))
		if r.Person != "" {
			fmt.Fprintf(w, ", %s", esc(r.Person))
		}
		fmt.Fprintf(w, ": %s\n", esc(r.Reason))
		if words := stateWords(r.State, r.Code, r.Successor); words != "" {
			fmt.Fprintf(w, "    %s\n", words)
		}
		n++
		return nil
	})
	if err != nil {
		return err
	}
	if int64(n) < b.Items {
		fmt.Fprintf(w, "  … and %d more (--limit 0 shows all)\n", b.Items-int64(n))
	}
	return nil
}
