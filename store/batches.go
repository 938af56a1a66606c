package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Batch statuses.
const (
	StatusGuarded    = "guarded"    // larger than the blast-radius guard allows: waits for an operator
	StatusPending    = "pending"    // waits for approvals
	StatusApproved   = "approved"   // may be executed
	StatusExecuting  = "executing"  // execution started and has not finished
	StatusDone       = "done"       // executed
	StatusRejected   = "rejected"   // an approver said no
	StatusSuperseded = "superseded" // its policy changed before it ran: a newer plan's batch replaced it (Successor)
	StatusWithdrawn  = "withdrawn"  // every item was withdrawn (changed, gone, held, no longer due, excluded)
)

// Batch is the due items of one plan under one rule: the unit of approval
// and execution.
type Batch struct {
	ID           int64  `db:"id" json:"id"`
	PlanID       int64  `db:"plan_id" json:"plan_id"`
	Source       string `db:"source" json:"source"`
	Rule         string `db:"rule" json:"rule"`
	Policy       string `db:"policy" json:"policy"`
	PolicyDigest string `db:"policy_digest" json:"policy_digest"`
	CreatedAt    Time   `db:"created_at" json:"created_at"`
	Planner      string `db:"planner" json:"planner"`
	Items        int64  `db:"items" json:"items"`
	Bytes        int64  `db:"bytes" json:"bytes"`
	Fingerprint  string `db:"fingerprint" json:"fingerprint"`
	Status       string `db:"status" json:"status"`
	StatusNote   string `db:"status_note" json:"status_note"`
	UpdatedAt    Time   `db:"updated_at" json:"updated_at"`
	Deleted      int64  `db:"deleted" json:"deleted"`
	Skipped      int64  `db:"skipped" json:"skipped"`
	Failed       int64  `db:"failed" json:"failed"`
	// Method is MethodDelete, or MethodArchive for a batch that moves
	// items under archive duty into the rule's archive.
	Method string `db:"method" json:"method"`
	// Withdrawn counts the items withdrawn from the batch before it ran
	// (see the withdrawal table): Items - Withdrawn are still in it.
	Withdrawn int64 `db:"withdrawn" json:"withdrawn"`
	// Successor is the batch that took over a superseded batch's items,
	// or the changed items of a withdrawn one; 0 for none.
	Successor int64 `db:"successor" json:"successor,omitempty"`
	// EscalatedAt is when the batch was offered to its rule's
	// escalate_to group (zero: not escalated).
	EscalatedAt Time `db:"escalated_at" json:"escalated_at,omitzero"`
}

// Batch methods.
const (
	MethodDelete  = "delete"
	MethodArchive = "archive"
)

// Approval is one approver's consent to one batch at one fingerprint.
type Approval struct {
	BatchID     int64  `db:"batch_id" json:"batch_id"`
	Stage       int    `db:"stage" json:"stage"`
	Approver    string `db:"approver" json:"approver"`
	Fingerprint string `db:"fingerprint" json:"fingerprint"`
	At          Time   `db:"at" json:"at"`
	// Auth is how the approver was authenticated (ledger.AuthMethods).
	Auth string `db:"auth" json:"auth"`
}

// CreateBatch inserts b, links the plan's due (or archive) chunks of
// b.Rule that were in no open batch to it, and returns its id.
func (tx *Tx) CreateBatch(b *Batch) (int64, error) {
	ctx := tx.ctx
	if b.Method == "" {
		b.Method = MethodDelete
	}
	res, err := tx.tx.NamedExecContext(ctx, `INSERT INTO batch(plan_id, source, rule, policy, policy_digest, created_at, planner,
		items, bytes, fingerprint, status, status_note, updated_at, method)
		VALUES (:plan_id, :source, :rule, :policy, :policy_digest, :created_at, :planner,
		:items, :bytes, :fingerprint, :status, :status_note, :updated_at, :method)`, b)
	if err != nil {
		return 0, fmt.Errorf("create batch: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("create batch: %w", err)
	}
	verdict := "due"
	if b.Method == MethodArchive {
		verdict = "archive"
	}
	res, err = tx.tx.ExecContext(ctx, `UPDATE plan_chunk SET batch_id = ? WHERE plan_id = ? AND rule = ? AND verdict = ? AND in_batch = 0`, id, b.PlanID, b.Rule, verdict)
	if err != nil {
		return 0, fmt.Errorf("create batch: %w", err)
	}
	b.ID = id
	return id, nil
}

// ErrStatusChanged is returned by ChangeStatus when the batch is no longer
// in a status the change was decided from: someone else decided first.
var ErrStatusChanged = errors.New("the batch's status changed meanwhile")

// ChangeStatus changes a batch's status to status if, and only if, it is
// now one of from: a compare-and-set, so that a decision is never taken on
// a status read earlier and overtaken since. Otherwise it changes nothing
// and returns an error wrapping ErrStatusChanged that names the status
// found.
func (tx *Tx) ChangeStatus(id int64, from []string, status, note string, at time.Time) error {
	ctx := tx.ctx
	q, args, err := sqlxIn(`UPDATE batch SET status = ?, status_note = ?, updated_at = ? WHERE id = ? AND status IN (?)`, status, note, Time{at}, id, from)
	if err != nil {
		return err
	}
	res, err := tx.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("update batch %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update batch %d: %w", id, err)
	} else if n == 1 {
		return nil
	}
	var now string
	if err := tx.tx.GetContext(ctx, &now, `SELECT status FROM batch WHERE id = ?`, id); err != nil {
		return notFound(err, fmt.Sprintf("batch %d", id))
	}
	return fmt.Errorf("batch %d is %s, no longer %s: %w", id, now, strings.Join(from, " or "), ErrStatusChanged)
}

// SetStatus changes a batch's status whatever it is now. Decisions use
// ChangeStatus.
func (tx *Tx) SetStatus(id int64, status, note string, at time.Time) error {
	ctx := tx.ctx
	_, err := tx.tx.ExecContext(ctx, `UPDATE batch SET status = ?, status_note = ?, updated_at = ? WHERE id = ?`, status, note, Time{at}, id)
	if err != nil {
		return fmt.Errorf("update batch %d: %w", id, err)
	}
	return nil
}

// AddCounts adds execution outcomes to a batch's totals.
func (tx *Tx) AddCounts(id, deleted, skipped, failed int64) error {
	ctx := tx.ctx
	_, err := tx.tx.ExecContext(ctx, `UPDATE batch SET deleted = deleted + ?, skipped = skipped + ?, failed = failed + ? WHERE id = ?`, deleted, skipped, failed, id)
	if err != nil {
		return fmt.Errorf("update batch %d: %w", id, err)
	}
	return nil
}

// Batch reads a batch inside the transaction.
func (tx *Tx) Batch(id int64) (*Batch, error) {
	ctx := tx.ctx
	var b Batch
	if err := tx.tx.GetContext(ctx, &b, `SELECT * FROM batch WHERE id = ?`, id); err != nil {
		return nil, notFound(err, fmt.Sprintf("batch %d", id))
	}
	return &b, nil
}

// Approvals reads a batch's approvals inside the transaction.
func (tx *Tx) Approvals(id int64) ([]Approval, error) {
	ctx := tx.ctx
	var as []Approval
	if err := tx.tx.SelectContext(ctx, &as, `SELECT * FROM approval WHERE batch_id = ? ORDER BY at, approver`, id); err != nil {
		return nil, fmt.Errorf("read approvals: %w", err)
	}
	return as, nil
}

// AddApproval records an approval.
func (tx *Tx) AddApproval(a Approval) error {
	ctx := tx.ctx
	_, err := tx.tx.NamedExecContext(ctx, `INSERT INTO approval(batch_id, stage, approver, fingerprint, at, auth) VALUES (:batch_id, :stage, :approver, :fingerprint, :at, :auth)`, &a)
	if err != nil {
		return fmt.Errorf("record approval: %w", err)
	}
	return nil
}

// LastExecuted returns the item count of the newest done batch of source
// and rule, or -1 if there is none.
func (tx *Tx) LastExecuted(source, rule string) (int64, error) {
	ctx := tx.ctx
	var n []int64
	if err := tx.tx.SelectContext(ctx, &n, `SELECT items FROM batch WHERE source = ? AND rule = ? AND status = 'done' ORDER BY id DESC LIMIT 1`, source, rule); err != nil {
		return 0, fmt.Errorf("read previous batch: %w", err)
	}
	if len(n) == 0 {
		return -1, nil
	}
	return n[0], nil
}

// Batch returns the batch with id.
func (s *Store) Batch(ctx context.Context, id int64) (*Batch, error) {
	var b Batch
	if err := s.r.GetContext(ctx, &b, `SELECT * FROM batch WHERE id = ?`, id); err != nil {
		return nil, notFound(err, fmt.Sprintf("batch %d", id))
	}
	return &b, nil
}

// Batches returns batches with one of the given statuses (all when none),
// newest first.
func (s *Store) Batches(ctx context.Context, statuses ...string) ([]Batch, error) {
	q, args, err := sqlxIn(`SELECT * FROM batch WHERE ? OR status IN (?) ORDER BY id DESC`, len(statuses) == 0, append(statuses, ""))
	if err != nil {
		return nil, err
	}
	var bs []Batch
	if err := s.r.SelectContext(ctx, &bs, q, args...); err != nil {
		return nil, fmt.Errorf("read batches: %w", err)
	}
	return bs, nil
}

// Approvals returns a batch's approvals.
func (s *Store) Approvals(ctx context.Context, id int64) ([]Approval, error) {
	var as []Approval
	if err := s.r.SelectContext(ctx, &as, `SELECT * FROM approval WHERE batch_id = ? ORDER BY at, approver`, id); err != nil {
		return nil, fmt.Errorf("read approvals: %w", err)
	}
	return as, nil
}

// Intent is the record that a chunk of a batch was handed to a connector.
type Intent struct {
	ID       int64  `db:"id" json:"id"`
	BatchID  int64  `db:"batch_id" json:"batch_id"`
	Seq      int64  `db:"seq" json:"seq"`
	OpenedAt Time   `db:"opened_at" json:"opened_at"`
	ClosedAt *Time  `db:"closed_at" json:"closed_at"`
	State    string `db:"state" json:"state"`
	Progress int    `db:"progress" json:"progress"`
	// Until is the end of the slice of the chunk the intent covers: items
	// [Progress, Until) of an open intent were handed to the connector. 0
	// means to the end of the chunk.
	Until int `db:"until" json:"until"`
}

// OpenIntent records that items [from, until) of chunk seq of batch are
// about to be deleted. It must be committed before the connector is
// called.
func (tx *Tx) OpenIntent(batch, seq int64, from, until int, at time.Time) (int64, error) {
	ctx := tx.ctx
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO intent(batch_id, seq, opened_at, state, progress, until) VALUES (?, ?, ?, 'open', ?, ?)`, batch, seq, Time{at}, from, until)
	if err != nil {
		return 0, fmt.Errorf("open intent: %w", err)
	}
	return res.LastInsertId()
}

// CloseIntent closes an intent, recording that the chunk's items
// [0, progress) have their outcomes in the ledger.
func (tx *Tx) CloseIntent(id int64, progress int, at time.Time) error {
	ctx := tx.ctx
	res, err := tx.tx.ExecContext(ctx, `UPDATE intent SET state = 'closed', progress = ?, closed_at = ? WHERE id = ? AND state = 'open'`, progress, Time{at}, id)
	if err != nil {
		return fmt.Errorf("close intent: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("close intent %d: it is not open", id)
	}
	return nil
}

// DropIntent removes an open intent whose chunk was provably not touched,
// so that the chunk is attempted again.
func (tx *Tx) DropIntent(id int64) error {
	ctx := tx.ctx
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM intent WHERE id = ? AND state = 'open'`, id); err != nil {
		return fmt.Errorf("drop intent: %w", err)
	}
	return nil
}

// OpenIntents returns intents left open (by a crash), oldest first.
func (s *Store) OpenIntents(ctx context.Context) ([]Intent, error) {
	var is []Intent
	if err := s.r.SelectContext(ctx, &is, `SELECT * FROM intent WHERE state = 'open' ORDER BY id`); err != nil {
		return nil, fmt.Errorf("read intents: %w", err)
	}
	return is, nil
}

// ChunkProgress returns how many items of chunk seq of batch have their
// outcomes recorded (by closed intents).
func (s *Store) ChunkProgress(ctx context.Context, batch, seq int64) (int, error) {
	var n int
	if err := s.r.GetContext(ctx, &n, `SELECT coalesce(max(progress), 0) FROM intent WHERE batch_id = ? AND seq = ? AND state = 'closed'`, batch, seq); err != nil {
		return 0, fmt.Errorf("read intents: %w", err)
	}
	return n, nil
}

// ChunkInfo is what scheduling a batch's chunks needs to know of one,
// without its items: how many it holds, the containers they are in and
// how many have their outcomes recorded.
type ChunkInfo struct {
	Seq   int64
	Items int
	// Containers are the distinct non-empty containers of the chunk's
	// items, in the order they first appear.
	Containers []string
	// Done is the number of items (from the first) whose outcomes closed
	// intents record, as ChunkProgress returns.
	Done int
}

// BatchChunkInfos returns a ChunkInfo for every chunk of a batch, in seq
// order, with the progress of every chunk read in one query. With
// containers it also reads each chunk's containers (walking its encoded
// items without decoding them); otherwise it reads no item data.
func (s *Store) BatchChunkInfos(ctx context.Context, batchID int64, containers bool) ([]ChunkInfo, error) {
	done := map[int64]int{}
	prog, err := s.r.QueryxContext(ctx, `SELECT seq, max(progress) FROM intent WHERE batch_id = ? AND state = 'closed' GROUP BY seq`, batchID)
	if err != nil {
		return nil, fmt.Errorf("read intents: %w", err)
	}
	for prog.Next() {
		var (
			seq int64
			n   int
		)
		if err := prog.Scan(&seq, &n); err != nil {
			prog.Close()
			return nil, fmt.Errorf("read intents: %w", err)
		}
		done[seq] = n
	}
	if err := errors.Join(prog.Err(), prog.Close()); err != nil {
		return nil, fmt.Errorf("read intents: %w", err)
	}
	q := `SELECT seq, n, NULL FROM plan_chunk WHERE batch_id = ? ORDER BY seq`
	if containers {
		q = `SELECT seq, n, data FROM plan_chunk WHERE batch_id = ? ORDER BY seq`
	}
	rows, err := s.r.QueryxContext(ctx, q, batchID)
	if err != nil {
		return nil, fmt.Errorf("read batch chunks: %w", err)
	}
	defer rows.Close()
	var (
		infos []ChunkInfo
		seen  = map[string]bool{}
	)
	for rows.Next() {
		var (
			ci   ChunkInfo
			data []byte
		)
		if err := rows.Scan(&ci.Seq, &ci.Items, &data); err != nil {
			return nil, fmt.Errorf("read batch chunks: %w", err)
		}
		ci.Done = done[ci.Seq]
		if containers {
			clear(seen)
			err := walkChunk(data, ci.Items, func(_ int, it *rawItem) error {
				if len(it.container) > 0 && !seen[string(it.container)] {
					c := string(it.container)
					seen[c] = true
					ci.Containers = append(ci.Containers, c)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("read chunk %d of batch %d: %w", ci.Seq, batchID, err)
			}
		}
		infos = append(infos, ci)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read batch chunks: %w", err)
	}
	return infos, nil
}

// Chunk returns one chunk of a batch.
func (s *Store) Chunk(ctx context.Context, batch, seq int64) (Chunk, error) {
	var (
		n    int
		data []byte
	)
	row := s.r.QueryRowxContext(ctx, `SELECT n, data FROM plan_chunk WHERE batch_id = ? AND seq = ?`, batch, seq)
	if err := row.Scan(&n, &data); err != nil {
		return Chunk{}, notFound(err, fmt.Sprintf("chunk %d of batch %d", seq, batch))
	}
	items, err := decodeItems(data, n)
	if err != nil {
		return Chunk{}, fmt.Errorf("read chunk %d of batch %d: %w", seq, batch, err)
	}
	return Chunk{Seq: seq, Items: items}, nil
}

func sqlxIn(q string, args ...any) (string, []any, error) {
	q, a, err := sqlx.In(q, args...)
	if err != nil {
		return "", nil, fmt.Errorf("build query: %w", err)
	}
	return q, a, nil
}

// Outstanding returns the batches of source and rule that are approved or
// executing, oldest first.
func (tx *Tx) Outstanding(source, rule, method string) ([]Batch, error) {
	ctx := tx.ctx
	var bs []Batch
	if err := tx.tx.SelectContext(ctx, &bs, `SELECT * FROM batch WHERE source = ? AND rule = ? AND method = ? AND status IN ('approved', 'executing') ORDER BY id`, source, rule, method); err != nil {
		return nil, fmt.Errorf("read outstanding batches: %w", err)
	}
	return bs, nil
}
