package main

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"

	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/safetext"
)

// Item states of `batches show` besides the ledger's outcomes.
const (
	stateInBatch   = "in_batch"  // waits in the batch
	stateWithdrawn = "withdrawn" // taken out before execution (withdrawal table)
	statePending   = "pending"   // the batch ran in part: no outcome recorded for the item yet
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

var errStopShow = fmt.Errorf("stop")

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

// itemStates tells each item's state: the batch's withdrawals, and after
// execution the outcomes of its deletion entries in the ledger.
//
// Memory: withdrawals are kept whole (they are the items that changed
// between plans). Of the deletion entries only those whose outcome is not
// "deleted" are kept, with a count of the deleted: when every item has an
// entry, an item without a kept one was deleted. Only a batch whose
// execution stopped part way keeps the references of its deleted items too
// (about 100 bytes per deleted item).
type itemStates struct {
	withdrawn map[string]store.WithdrawnItem
	domain    string // the reference domain of the batch's items in the ledger
	refs      *ledger.RefKey
	other     map[string]outcome // outcome other than deleted, by item reference
	deleted   map[string]bool    // nil when every item not in other was deleted
	entries   int64              // deletion entries of distinct items
}

// outcome is what a deletion entry recorded for an item.
type outcome struct{ outcome, code string }

func newItemStates(ctx context.Context, p *scheduler.Pipeline, b *store.Batch) (*itemStates, error) {
	s := &itemStates{refs: p.Refs, other: map[string]outcome{}}
	var err error
	if s.withdrawn, err = p.Store.BatchWithdrawals(ctx, b.ID); err != nil {
		return nil, err
	}
	kind := ""
	if src, ok := p.Config.Source(b.Source); ok {
		kind = src.Kind.Name
	}
	s.domain = "item:" + kind + ":" + b.Source
	deleted, err := p.Store.BatchDeletions(ctx, b.ID, false, func(_ int64, e ledger.Entry) error {
		s.other[e.Item] = outcome{e.Outcome, e.Code}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.entries = deleted + int64(len(s.other))
	if s.entries > 0 && s.entries < b.Items {
		// Execution stopped part way (or left withdrawn items without an
		// entry): remember which items were deleted.
		s.deleted = map[string]bool{}
		_, err = p.Store.BatchDeletions(ctx, b.ID, true, func(_ int64, e ledger.Entry) error {
			if e.Outcome == "deleted" {
				s.deleted[e.Item] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// executed reports whether the batch has deletion entries.
func (s *itemStates) executed() bool { return s.entries > 0 }

// state returns an item's state, the code that says why (withdrawal and
// failure codes) and the batch that took over a withdrawn item.
func (s *itemStates) state(it *store.PlanItem) (state, code string, successor int64) {
	if s.executed() {
		ref := s.refs.Ref(s.domain, it.Ref)
		if o, ok := s.other[ref]; ok {
			if w, ok := s.withdrawn[it.Ref]; ok && o.outcome == stateWithdrawn {
				return stateWithdrawn, w.Code, w.Successor
			}
			return o.outcome, o.code, 0
		}
		if s.deleted == nil || s.deleted[ref] {
			return "deleted", "", 0
		}
	}
	if w, ok := s.withdrawn[it.Ref]; ok {
		return stateWithdrawn, w.Code, w.Successor
	}
	if s.executed() {
		return statePending, "", 0
	}
	return stateInBatch, "", 0
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
type showRow struct {
	Path      string `json:"path"`
	Size      int64  `json:"size"`
	Modified  string `json:"modified,omitempty"`
	Rule      string `json:"rule"`
	Due       string `json:"due,omitempty"`
	Reason    string `json:"reason"`
	Person    string `json:"person,omitempty"`
	State     string `json:"state"`
	Code      string `json:"code,omitempty"`
	Successor int64  `json:"successor,omitempty"`
}

var showHeader = []string{"path", "size", "modified", "rule", "due", "reason", "person", "state", "code", "successor"}

func (r *showRow) cells() []string {
	succ := ""
	if r.Successor > 0 {
		succ = strconv.FormatInt(r.Successor, 10)
	}
	return []string{r.Path, strconv.FormatInt(r.Size, 10), r.Modified, r.Rule, r.Due, r.Reason, r.Person, r.State, r.Code, succ}
}

// eachRow calls fn with the first limit items of the batch (0: all), one
// chunk read at a time. The row is reused: fn must not keep it.
func eachRow(ctx context.Context, p *scheduler.Pipeline, b *store.Batch, st *itemStates, limit int, fn func(*showRow) error) error {
	byModified := false
	if r := p.Config.Policies.Rule(b.Rule); r != nil {
		byModified = r.From.String() == "item.modified"
	}
	n := 0
	var row showRow
	// Items of one rule share their reasons (the same due and anchor
	// dates): a small cache saves building each again.
	type reasonKey struct{ note, rule, verdict, due, anchor, subject string }
	reasons := map[reasonKey]string{}
	err := p.Store.BatchChunks(ctx, b.ID, func(c store.Chunk) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for i := range c.Items {
			if limit > 0 && n >= limit {
				return errStopShow
			}
			it := &c.Items[i]
			k := reasonKey{it.Note, it.Rule, it.Verdict, it.Due, it.Anchor, it.Subject}
			reason, ok := reasons[k]
			if !ok {
				if len(reasons) >= 4096 {
					clear(reasons)
				}
				reason = p.Explain(*it)
				reasons[k] = reason
			}
			row = showRow{Path: it.Ref, Size: it.Size, Rule: it.Rule, Due: it.Due, Reason: reason, Person: it.Subject}
			if byModified {
				row.Modified = it.Anchor
			}
			row.State, row.Code, row.Successor = st.state(it)
			if err := fn(&row); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err == errStopShow {
		return nil
	}
	return err
}

func showCSV(ctx context.Context, w io.Writer, p *scheduler.Pipeline, b *store.Batch, st *itemStates, limit int) error {
	cw := csv.NewWriter(w)
	cw.Write(showHeader)
	cells := make([]string, len(showHeader))
	err := eachRow(ctx, p, b, st, limit, func(r *showRow) error {
		for i, c := range r.cells() {
			cells[i] = safetext.CSV(c)
		}
		return cw.Write(cells)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// xlsxRows is the most rows a worksheet holds; a batch longer than that
// continues on a second sheet, with the header again.
const xlsxRows = excelize.TotalRows

func showXLSX(ctx context.Context, w io.Writer, p *scheduler.Pipeline, b *store.Batch, st *itemStates, limit int) error {
	f := excelize.NewFile()
	defer f.Close()
	// File.Write builds the whole zip in memory before writing it; a zip
	// writer of our own on w streams it instead: the worksheet's rows are
	// copied from excelize's temporary file straight into the archive.
	// (Its zip64 fix-up of the buffer is not needed: a worksheet part of at
	// most xlsxRows rows stays far below 4 GiB.)
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	sheet := fmt.Sprintf("Batch %d", b.ID)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	header := make([]any, len(showHeader))
	for i, h := range showHeader {
		header[i] = h
	}
	var (
		sw     *excelize.StreamWriter
		row    int
		sheets int
	)
	open := func() error {
		sheets++
		name := sheet
		if sheets > 1 {
			name = fmt.Sprintf("%s (%d)", sheet, sheets)
			if _, err := f.NewSheet(name); err != nil {
				return fmt.Errorf("write xlsx: %w", err)
			}
		}
		var err error
		if sw, err = f.NewStreamWriter(name); err != nil {
			return fmt.Errorf("write xlsx: %w", err)
		}
		sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
		row = 1
		return sw.SetRow("A1", header)
	}
	if err := open(); err != nil {
		return err
	}
	vals := make([]any, len(showHeader))
	err := eachRow(ctx, p, b, st, limit, func(r *showRow) error {
		if row >= xlsxRows {
			if err := sw.Flush(); err != nil {
				return fmt.Errorf("write xlsx: %w", err)
			}
			if err := open(); err != nil {
				return err
			}
		}
		row++
		// Cells are typed strings, never formulas; names are escaped so
		// that controls show (and XML can hold them).
		vals[0], vals[1], vals[2], vals[3], vals[4] = safetext.Name(r.Path), r.Size, r.Modified, r.Rule, r.Due
		vals[5], vals[6], vals[7], vals[8] = safetext.Name(r.Reason), safetext.Name(r.Person), r.State, r.Code
		vals[9] = ""
		if r.Successor > 0 {
			vals[9] = r.Successor
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return sw.SetRow(cell, vals)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if err := f.Write(io.Discard); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// showJSONHead is what --format json writes before the items.
type showJSONHead struct {
	Batch     *store.Batch `json:"batch"`
	Approvals string       `json:"approvals,omitempty"`
}

func showJSON(ctx context.Context, w io.Writer, p *scheduler.Pipeline, b *store.Batch, st *itemStates, limit int, lines bool) error {
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

func showText(ctx context.Context, w io.Writer, p *scheduler.Pipeline, b *store.Batch, st *itemStates, limit int) error {
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
	if b.Withdrawn > 0 || len(st.withdrawn) > 0 {
		fmt.Fprintf(w, "  %d withdrawn before execution: %d still in it\n", max(b.Withdrawn, int64(len(st.withdrawn))), b.Items-max(b.Withdrawn, int64(len(st.withdrawn))))
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
	if b.Status == store.StatusDone || b.Status == store.StatusExecuting || st.executed() {
		fmt.Fprintf(w, "  executed: %d deleted, %d skipped, %d failed\n", b.Deleted, b.Skipped, b.Failed)
	}
	// Every item not simply waiting or deleted, with why: after execution
	// the skipped and failed, before it the withdrawn.
	if len(st.other) > 0 || len(st.withdrawn) > 0 || st.deleted != nil {
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
			if st.executed() {
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
