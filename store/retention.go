package store

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// OpenStatuses are the statuses of a batch whose items are spoken for: a
// later plan does not batch them again.
var OpenStatuses = []string{StatusGuarded, StatusPending, StatusApproved, StatusExecuting}

// WithdrawableStatuses are the statuses of a batch items may still be
// withdrawn from: it has not begun to run.
var WithdrawableStatuses = []string{StatusGuarded, StatusPending, StatusApproved}

// OpenBatches returns the open batches of source (one of OpenStatuses),
// oldest first.
func (s *Store) OpenBatches(ctx context.Context, source string) ([]Batch, error) {
	q, args, err := sqlxIn(`SELECT * FROM batch WHERE source = ? AND status IN (?) ORDER BY id`, source, OpenStatuses)
	if err != nil {
		return nil, err
	}
	var bs []Batch
	if err := s.r.SelectContext(ctx, &bs, q, args...); err != nil {
		return nil, fmt.Errorf("read open batches: %w", err)
	}
	return bs, nil
}

// BatchRefs calls fn with the ref and version of every item still in
// batch b (withdrawn items left out), in batch order. It reads no other
// field of the items: a plan calls it for every open batch of its source.
func (s *Store) BatchRefs(ctx context.Context, b *Batch, fn func(ref, version string)) error {
	var gone map[string]string
	if b.Withdrawn > 0 {
		var err error
		if gone, err = s.Withdrawn(ctx, b.ID); err != nil {
			return err
		}
	}
	rows, err := s.r.QueryxContext(ctx, `SELECT seq, n, data FROM plan_chunk WHERE batch_id = ? ORDER BY seq`, b.ID)
	if err != nil {
		return fmt.Errorf("read the items of batch %d: %w", b.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq  int64
			n    int
			data []byte
		)
		if err := rows.Scan(&seq, &n, &data); err != nil {
			return fmt.Errorf("read the items of batch %d: %w", b.ID, err)
		}
		err := decodeRefs(data, n, func(ref, version string) {
			if _, ok := gone[ref]; !ok {
				fn(ref, version)
			}
		})
		if err != nil {
			return fmt.Errorf("read chunk %d of batch %d: %w", seq, b.ID, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the items of batch %d: %w", b.ID, err)
	}
	return nil
}

// Withdrawal is an item withdrawn from an open batch before it ran.
type Withdrawal struct {
	BatchID   int64  `db:"batch_id" json:"batch"`
	Ref       string `db:"ref" json:"ref"`
	Version   string `db:"version" json:"version"`
	Code      string `db:"code" json:"code"`           // one of ledger.WithdrawalCodes
	PlanID    int64  `db:"plan_id" json:"plan"`        // the plan that withdrew it; 0 for an exclusion
	Successor int64  `db:"successor" json:"successor"` // the batch its new version went into, or 0
	At        Time   `db:"at" json:"at"`
}

// Withdraw records w unless the item was withdrawn from its batch before,
// and counts it in the batch's withdrawn total. It reports whether it
// recorded w. Nothing is withdrawn from a batch that has begun to run
// (execution reads a batch's withdrawals once, when it starts): unless the
// batch's status is one of WithdrawableStatuses, read in this transaction,
// it returns an error wrapping ErrStatusChanged.
func (tx *Tx) Withdraw(w Withdrawal) (bool, error) {
	ctx := tx.ctx
	q, args, err := sqlxIn(`INSERT OR IGNORE INTO withdrawal(batch_id, ref, version, code, plan_id, successor, at)
		SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM batch WHERE id = ? AND status IN (?))`,
		w.BatchID, w.Ref, w.Version, w.Code, w.PlanID, w.Successor, w.At, w.BatchID, WithdrawableStatuses)
	if err != nil {
		return false, err
	}
	res, err := tx.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("withdraw an item from batch %d: %w", w.BatchID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, fmt.Errorf("withdraw an item from batch %d: %w", w.BatchID, err)
	} else if n == 0 {
		var status string
		if err := tx.tx.GetContext(ctx, &status, `SELECT status FROM batch WHERE id = ?`, w.BatchID); err != nil {
			return false, notFound(err, fmt.Sprintf("batch %d", w.BatchID))
		}
		if !slices.Contains(WithdrawableStatuses, status) {
			return false, fmt.Errorf("withdraw an item from batch %d: the batch is %s: %w", w.BatchID, status, ErrStatusChanged)
		}
		return false, nil // withdrawn before
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE batch SET withdrawn = withdrawn + 1 WHERE id = ?`, w.BatchID); err != nil {
		return false, fmt.Errorf("withdraw an item from batch %d: %w", w.BatchID, err)
	}
	return true, nil
}

// SetSuccessor records the batch that took over batch id's items.
func (tx *Tx) SetSuccessor(id, successor int64) error {
	if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE batch SET successor = ? WHERE id = ?`, successor, id); err != nil {
		return fmt.Errorf("update batch %d: %w", id, err)
	}
	return nil
}

// Withdrawn returns the refs withdrawn from a batch and why.
func (s *Store) Withdrawn(ctx context.Context, batch int64) (map[string]string, error) {
	return withdrawn(ctx, s.r, batch)
}

// Withdrawn returns the refs withdrawn from a batch and why, inside the
// transaction.
func (tx *Tx) Withdrawn(batch int64) (map[string]string, error) {
	return withdrawn(tx.ctx, tx.tx, batch)
}

func withdrawn(ctx context.Context, q queryer, batch int64) (map[string]string, error) {
	rows, err := q.QueryxContext(ctx, `SELECT ref, code FROM withdrawal WHERE batch_id = ?`, batch)
	if err != nil {
		return nil, fmt.Errorf("read withdrawals of batch %d: %w", batch, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var ref, code string
		if err := rows.Scan(&ref, &code); err != nil {
			return nil, fmt.Errorf("read withdrawals of batch %d: %w", batch, err)
		}
		out[ref] = code
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read withdrawals of batch %d: %w", batch, err)
	}
	return out, nil
}

// Withdrawals returns a batch's withdrawals in the order they were made.
func (s *Store) Withdrawals(ctx context.Context, batch int64) ([]Withdrawal, error) {
	var ws []Withdrawal
	if err := s.r.SelectContext(ctx, &ws, `SELECT * FROM withdrawal WHERE batch_id = ? ORDER BY rowid`, batch); err != nil {
		return nil, fmt.Errorf("read withdrawals of batch %d: %w", batch, err)
	}
	return ws, nil
}

// BatchChunks calls fn for each chunk of a batch's items in order, inside
// the transaction.
func (tx *Tx) BatchChunks(batchID int64, fn func(Chunk) error) error {
	rows, err := tx.tx.QueryxContext(tx.ctx, `SELECT seq, n, data, 0 FROM plan_chunk WHERE batch_id = ? ORDER BY seq`, batchID)
	if err != nil {
		return fmt.Errorf("read batch items: %w", err)
	}
	defer rows.Close()
	return scanChunks(rows, fn)
}

// Retention decision kinds (ledger.DecisionCodes).
const (
	DecisionRejected = "rejected" // a rejected batch's items are kept until the date
	DecisionExcluded = "excluded" // items taken out of a batch are kept until the date
)

// RetentionDecision is a person's decision to keep items a batch
// proposed, until a date: no plan proposes them again before it.
type RetentionDecision struct {
	ID        string `db:"id" json:"id"`
	Kind      string `db:"kind" json:"kind"`
	Source    string `db:"source" json:"source"`
	Rule      string `db:"rule" json:"rule"`
	BatchID   int64  `db:"batch_id" json:"batch"`
	Reason    string `db:"reason" json:"reason"`
	Actor     string `db:"actor" json:"actor"`
	Auth      string `db:"auth" json:"auth"`
	At        Time   `db:"at" json:"at"`
	Until     string `db:"until" json:"until"` // YYYY-MM-DD, kept through this day
	RevokedAt string `db:"revoked_at" json:"revoked_at,omitempty"`
	RevokedBy string `db:"revoked_by" json:"revoked_by,omitempty"`
	// Items is how many items the decision covers (filled in by
	// RetentionDecisions).
	Items int64 `db:"items" json:"items"`
}

// AddDecision records d and the items it covers (refs of d.Source).
func (tx *Tx) AddDecision(d RetentionDecision, refs []string) error {
	ctx := tx.ctx
	_, err := tx.tx.NamedExecContext(ctx, `INSERT INTO retention_decision(id, kind, source, rule, batch_id, reason, actor, auth, at, until)
		VALUES (:id, :kind, :source, :rule, :batch_id, :reason, :actor, :auth, :at, :until)`, &d)
	if err != nil {
		return fmt.Errorf("record decision %s: %w", d.ID, err)
	}
	stmt, err := tx.tx.PrepareContext(ctx, `INSERT OR IGNORE INTO decision_item(decision_id, source, ref) VALUES (?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("record decision %s: %w", d.ID, err)
	}
	defer stmt.Close()
	for _, ref := range refs {
		if _, err := stmt.ExecContext(ctx, d.ID, d.Source, ref); err != nil {
			return fmt.Errorf("record decision %s: %w", d.ID, err)
		}
	}
	return nil
}

// NextDecisionID returns the id the next retention decision gets: D1, D2, …
func (tx *Tx) NextDecisionID() (string, error) {
	var n int64
	if err := tx.tx.GetContext(tx.ctx, &n, `SELECT count(*) FROM retention_decision`); err != nil {
		return "", fmt.Errorf("number a decision: %w", err)
	}
	return fmt.Sprintf("D%d", n+1), nil
}

// RetentionDecision reads one decision inside the transaction.
func (tx *Tx) RetentionDecision(id string) (*RetentionDecision, error) {
	var d RetentionDecision
	err := tx.tx.GetContext(tx.ctx, &d, `SELECT d.*, (SELECT count(*) FROM decision_item i WHERE i.decision_id = d.id) AS items
		FROM retention_decision d WHERE d.id = ?`, id)
	if err != nil {
		return nil, notFound(err, "decision "+id)
	}
	return &d, nil
}

// RevokeDecision marks a decision revoked; its items may be proposed
// again by the next plan.
func (tx *Tx) RevokeDecision(id, by string, at time.Time) error {
	res, err := tx.tx.ExecContext(tx.ctx, `UPDATE retention_decision SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at = ''`,
		at.UTC().Format(time.RFC3339), by, id)
	if err != nil {
		return fmt.Errorf("revoke decision %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("revoke decision %s: it is revoked already or does not exist", id)
	}
	return nil
}

// RetentionDecisions returns decisions, newest first: all of them, or
// only those not revoked whose date is today (YYYY-MM-DD) or later.
func (s *Store) RetentionDecisions(ctx context.Context, all bool, today string) ([]RetentionDecision, error) {
	var ds []RetentionDecision
	err := s.r.SelectContext(ctx, &ds, `SELECT d.*, (SELECT count(*) FROM decision_item i WHERE i.decision_id = d.id) AS items
		FROM retention_decision d WHERE ? OR (d.revoked_at = '' AND d.until >= ?) ORDER BY d.at DESC, d.id DESC`, all, today)
	if err != nil {
		return nil, fmt.Errorf("read retention decisions: %w", err)
	}
	return ds, nil
}

// DecidedItem is one item a retention decision covers.
type DecidedItem struct {
	Ref      string
	Decision *RetentionDecision
}

// SourceDecisions calls fn for each item of source that a decision not
// revoked covers, with its decision (shared between its items), latest
// date first for an item several decisions cover.
func (s *Store) SourceDecisions(ctx context.Context, source string, fn func(DecidedItem) error) error {
	var ds []RetentionDecision
	if err := s.r.SelectContext(ctx, &ds, `SELECT *, 0 AS items FROM retention_decision WHERE source = ? AND revoked_at = ''`, source); err != nil {
		return fmt.Errorf("read retention decisions: %w", err)
	}
	byID := make(map[string]*RetentionDecision, len(ds))
	for i := range ds {
		byID[ds[i].ID] = &ds[i]
	}
	rows, err := s.r.QueryContext(ctx, `SELECT i.ref, i.decision_id FROM decision_item i JOIN retention_decision d ON d.id = i.decision_id
		WHERE i.source = ? AND d.revoked_at = '' ORDER BY i.ref, d.until DESC`, source)
	if err != nil {
		return fmt.Errorf("read retention decisions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ref, id string
		if err := rows.Scan(&ref, &id); err != nil {
			return fmt.Errorf("read retention decisions: %w", err)
		}
		if d := byID[id]; d != nil {
			if err := fn(DecidedItem{Ref: ref, Decision: d}); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read retention decisions: %w", err)
	}
	return nil
}
