// Package review reads a batch's items for review, as `batches show` and
// the web console list them: each item with the reason it is due and its
// state (in the batch, withdrawn, or after execution its outcome in the
// ledger), streamed one stored chunk at a time.
package review

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/safetext"
)

// Item states besides the ledger's outcomes.
const (
	StateInBatch   = "in_batch"  // waits in the batch
	StateWithdrawn = "withdrawn" // taken out before execution (withdrawal table)
	StatePending   = "pending"   // the batch ran in part: no outcome recorded for the item yet
)

// ItemStates tells each item's state: the batch's withdrawals, and after
// execution the outcomes of its deletion entries in the ledger.
//
// Memory: withdrawals are kept whole (they are the items that changed
// between plans). Of the deletion entries only those whose outcome is not
// "deleted" are kept, with a count of the deleted: when every item has an
// entry, an item without a kept one was deleted. Only a batch whose
// execution stopped part way keeps the references of its deleted items too
// (about 100 bytes per deleted item).
type ItemStates struct {
	withdrawn map[string]store.WithdrawnItem
	domain    string // the reference domain of the batch's items in the ledger
	refs      *ledger.RefKey
	other     map[string]outcome // outcome other than deleted, by item reference
	deleted   map[string]bool    // nil when every item not in other was deleted
	entries   int64              // deletion entries of distinct items
}

// outcome is what a deletion entry recorded for an item.
type outcome struct{ outcome, code string }

func New(ctx context.Context, p *scheduler.Pipeline, b *store.Batch) (*ItemStates, error) {
	s := &ItemStates{refs: p.Refs, other: map[string]outcome{}}
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

// Executed reports whether the batch has deletion entries.
func (s *ItemStates) Executed() bool { return s.entries > 0 }

// State returns an item's state, the code that says why (withdrawal and
// failure codes) and the batch that took over a withdrawn item.
func (s *ItemStates) State(it *store.PlanItem) (state, code string, successor int64) {
	if s.Executed() {
		ref := s.refs.Ref(s.domain, it.Ref)
		if o, ok := s.other[ref]; ok {
			if w, ok := s.withdrawn[it.Ref]; ok && o.outcome == StateWithdrawn {
				return StateWithdrawn, w.Code, w.Successor
			}
			return o.outcome, o.code, 0
		}
		if s.deleted == nil || s.deleted[ref] {
			return "deleted", "", 0
		}
	}
	if w, ok := s.withdrawn[it.Ref]; ok {
		return StateWithdrawn, w.Code, w.Successor
	}
	if s.Executed() {
		return StatePending, "", 0
	}
	return StateInBatch, "", 0
}

// Withdrawn returns the batch's withdrawals, by ref.
func (s *ItemStates) Withdrawn() map[string]store.WithdrawnItem { return s.withdrawn }

// NotDeleted is how many items have a deletion entry whose outcome is not
// "deleted".
func (s *ItemStates) NotDeleted() int { return len(s.other) }

// PartlyExecuted reports whether the batch's execution stopped part way
// (some items have no deletion entry).
func (s *ItemStates) PartlyExecuted() bool { return s.deleted != nil }

var errStop = fmt.Errorf("stop")

// Row is one item as the review formats (batches show, the console) list it.
type Row struct {
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

var Header = []string{"path", "size", "modified", "rule", "due", "reason", "person", "state", "code", "successor"}

func (r *Row) Cells() []string {
	succ := ""
	if r.Successor > 0 {
		succ = strconv.FormatInt(r.Successor, 10)
	}
	return []string{r.Path, strconv.FormatInt(r.Size, 10), r.Modified, r.Rule, r.Due, r.Reason, r.Person, r.State, r.Code, succ}
}

// EachRow calls fn with the first limit items of the batch (0: all), one
// chunk read at a time. The row is reused: fn must not keep it.
func EachRow(ctx context.Context, p *scheduler.Pipeline, b *store.Batch, st *ItemStates, limit int, fn func(*Row) error) error {
	byModified := false
	if r := p.Config.Policies.Rule(b.Rule); r != nil {
		byModified = r.From.String() == "item.modified"
	}
	n := 0
	var row Row
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
				return errStop
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
			row = Row{Path: it.Ref, Size: it.Size, Rule: it.Rule, Due: it.Due, Reason: reason, Person: it.Subject}
			if byModified {
				row.Modified = it.Anchor
			}
			row.State, row.Code, row.Successor = st.State(it)
			if err := fn(&row); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err == errStop {
		return nil
	}
	return err
}

// WriteCSV writes the first limit items of a batch (0: all) as CSV, a
// header line first, names escaped (safetext.CSV), one chunk read at a
// time: memory stays flat however large the batch.
func WriteCSV(ctx context.Context, w io.Writer, p *scheduler.Pipeline, b *store.Batch, st *ItemStates, limit int) error {
	cw := csv.NewWriter(w)
	cw.Write(Header)
	cells := make([]string, len(Header))
	err := EachRow(ctx, p, b, st, limit, func(r *Row) error {
		for i, c := range r.Cells() {
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
