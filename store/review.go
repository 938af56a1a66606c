package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"

	"github.com/retentiond/retentiond/store/ledger"
)

// Reading for review: what `batches show` and `plan --format jsonl` list.
// Every function here streams: it hands over one chunk or one row at a
// time, so memory stays flat however large the plan or batch is.

// PlanChunk is one stored chunk of plan items with where its items went:
// Batch is the batch this plan cut them into (0: none), InBatch the open
// batch they already were in when the plan was made (0: none).
type PlanChunk struct {
	Seq     int64
	Rule    string
	Verdict string
	Batch   int64
	InBatch int64
	Items   []PlanItem
}

// PlanChunks calls fn for each stored chunk of a plan, in plan order.
func (s *Store) PlanChunks(ctx context.Context, planID int64, fn func(PlanChunk) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, rule, verdict, COALESCE(batch_id, 0), in_batch, n, data
		FROM plan_chunk WHERE plan_id = ? ORDER BY seq`, planID)
	if err != nil {
		return fmt.Errorf("read plan %d: %w", planID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			c    PlanChunk
			n    int
			data []byte
		)
		if err := rows.Scan(&c.Seq, &c.Rule, &c.Verdict, &c.Batch, &c.InBatch, &n, &data); err != nil {
			return fmt.Errorf("read plan %d: %w", planID, err)
		}
		if c.Items, err = decodeItems(data, n); err != nil {
			return fmt.Errorf("read plan %d chunk %d: %w", planID, c.Seq, err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read plan %d: %w", planID, err)
	}
	return nil
}

// WithdrawnItem is one row of the withdrawal table: an item a re-plan (or
// an exclusion, PlanID 0) took out of an open batch before it ran.
type WithdrawnItem struct {
	BatchID   int64  `db:"batch_id" json:"batch"`
	Ref       string `db:"ref" json:"ref"`
	Version   string `db:"version" json:"version"`
	Code      string `db:"code" json:"code"`
	PlanID    int64  `db:"plan_id" json:"plan_id"`
	Successor int64  `db:"successor" json:"successor,omitempty"`
	At        Time   `db:"at" json:"at"`
}

// BatchWithdrawals returns the items withdrawn from a batch, by ref. A
// batch's withdrawals are few next to its items (the items that changed
// between two plans), so they are returned whole.
func (s *Store) BatchWithdrawals(ctx context.Context, batch int64) (map[string]WithdrawnItem, error) {
	rows, err := s.r.QueryxContext(ctx, `SELECT batch_id, ref, version, code, plan_id, successor, at
		FROM withdrawal WHERE batch_id = ?`, batch)
	if err != nil {
		return nil, fmt.Errorf("read the withdrawals of batch %d: %w", batch, err)
	}
	defer rows.Close()
	out := map[string]WithdrawnItem{}
	for rows.Next() {
		var w WithdrawnItem
		if err := rows.StructScan(&w); err != nil {
			return nil, fmt.Errorf("read the withdrawals of batch %d: %w", batch, err)
		}
		out[w.Ref] = w
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the withdrawals of batch %d: %w", batch, err)
	}
	return out, nil
}

// outcomeDeleted is how a canonical entry whose outcome is "deleted" holds
// it: keys appear in canonical entries only as members (quotes inside
// strings are escaped), so an entry holding these bytes has that outcome.
var outcomeDeleted = []byte(`"outcome":"deleted"`)

// BatchDeletions calls fn with each deletion entry of a batch in ledger
// order, found through an index (migration 014) rather than by reading
// the ledger, and returns how many of them have the outcome "deleted".
// Unless withDeleted is set, those are only counted, neither parsed nor
// passed to fn: a batch of a million items executed as planned costs a
// count. It is a lookup for showing outcomes, not evidence: `ledger
// verify` proves the entries.
func (s *Store) BatchDeletions(ctx context.Context, batch int64, withDeleted bool, fn func(index int64, e ledger.Entry) error) (int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT idx, data FROM ledger_entry
		WHERE CAST(substr(data, 1, 19) AS TEXT) = '{"type":"deletion",'
		AND CAST(substr(CAST(data AS TEXT), instr(CAST(data AS TEXT), '"batch":') + 8) AS INTEGER) = ?
		ORDER BY idx`, batch)
	if err != nil {
		return 0, fmt.Errorf("read the deletion entries of batch %d: %w", batch, err)
	}
	defer rows.Close()
	var (
		deleted int64
		idx     int64
		data    sql.RawBytes
	)
	for rows.Next() {
		if err := rows.Scan(&idx, &data); err != nil {
			return deleted, fmt.Errorf("read the deletion entries of batch %d: %w", batch, err)
		}
		if !withDeleted && bytes.Contains(data, outcomeDeleted) {
			deleted++
			continue
		}
		e, err := ledger.Parse(data)
		if err != nil {
			return deleted, fmt.Errorf("read ledger entry %d: %w", idx, err)
		}
		if e.Type != ledger.TypeDeletion || e.Batch != batch {
			continue
		}
		if e.Outcome == "deleted" {
			deleted++
		}
		if err := fn(idx, e); err != nil {
			return deleted, err
		}
	}
	if err := rows.Err(); err != nil {
		return deleted, fmt.Errorf("read the deletion entries of batch %d: %w", batch, err)
	}
	return deleted, nil
}
