package store

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"hash"
	"maps"
	"slices"
	"sort"
	"time"
)

// Time is a time.Time stored as RFC 3339 text in UTC.
type Time struct{ time.Time }

// MarshalJSON writes the time in RFC 3339.
func (t Time) MarshalJSON() ([]byte, error) { return t.Time.UTC().MarshalJSON() }

// Value implements driver.Valuer.
func (t Time) Value() (driver.Value, error) {
	if t.IsZero() {
		return "", nil
	}
	return t.UTC().Format(time.RFC3339Nano), nil
}

// Scan implements sql.Scanner.
func (t *Time) Scan(v any) error {
	var s string
	switch v := v.(type) {
	case nil:
		t.Time = time.Time{}
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("scan time from %T", v)
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("scan time: %w", err)
	}
	t.Time = p
	return nil
}

// Plan is one dry run of one source.
type Plan struct {
	ID           int64  `db:"id" json:"id"`
	Source       string `db:"source" json:"source"`
	SourceKind   string `db:"source_kind" json:"source_kind"`
	CreatedAt    Time   `db:"created_at" json:"created_at"`
	Today        string `db:"today" json:"today"`
	Planner      string `db:"planner" json:"planner"`
	PolicyDigest string `db:"policy_digest" json:"policy_digest"`
	Listed       int64  `db:"listed" json:"listed"`
	Keep         int64  `db:"keep" json:"keep"`
	Due          int64  `db:"due" json:"due"`
	Review       int64  `db:"review" json:"review"`
	Held         int64  `db:"held" json:"held"`
	Archive      int64  `db:"archive" json:"archive"`
	DueBytes     int64  `db:"due_bytes" json:"due_bytes"`
	Incomplete   string `db:"incomplete" json:"incomplete"`
	Fingerprint  string `db:"fingerprint" json:"fingerprint"`
	DryRun       bool   `db:"dry_run" json:"dry_run"`
	State        string `db:"state" json:"state"`
}

// RuleTotal is what a plan holds for one rule and verdict.
type RuleTotal struct {
	Rule        string `json:"rule"`
	Verdict     string `json:"verdict"`
	Items       int64  `json:"items"`
	Bytes       int64  `json:"bytes"`
	Fingerprint string `json:"fingerprint"` // over the items of this rule and verdict, in plan order
	// New* are the items not already in an open batch (PlanItem.InBatch
	// 0): what a batch cut from the plan holds.
	NewItems       int64  `json:"new_items"`
	NewBytes       int64  `json:"new_bytes"`
	NewFingerprint string `json:"new_fingerprint"`
}

// chunkSize is the most items one plan_chunk row holds.
const chunkSize = 2048

// chunksPerTx is how many chunks are committed together while a plan is
// being written, so that a long listing does not hold the writer.
const chunksPerTx = 16

// PlanWriter streams the items of a plan into the store. The plan is in
// state "listing" until Finish completes it; plans left in that state by a
// crash are removed by the next NewPlan for the same source. The caller
// must ensure that only one plan per source is written at a time.
type PlanWriter struct {
	s       *Store
	plan    Plan
	seq     int64
	pending map[chunkKey]*pendingChunk
	queue   []chunkRow
	all     hash.Hash
	totals  map[totalKey]*ruleAcc
	buf     []byte
	line    []byte // an item's fingerprint line (Add)
	// containerMin: a chunk holding at least this many items ends where a
	// container ends; 0 is chunkSize/2 (see ChunkAtContainers).
	containerMin int
	// chunkMax: the most items a chunk holds; 0 is chunkSize (see
	// ChunkAtContainers).
	chunkMax int

	// writing is the queue a goroutine of the writer's is committing
	// (flushBehind), written is closed when it is done, with writeErr.
	writing  []chunkRow
	written  chan struct{}
	writeErr error
}

// totalKey is a rule and verdict; chunkKey adds the open batch the items
// already are in (0: none).
type (
	totalKey struct{ rule, verdict string }
	chunkKey struct {
		totalKey
		inBatch int64
	}
)

// less orders chunk keys by rule, verdict and batch.
func (k chunkKey) less(o chunkKey) bool {
	if k.rule != o.rule {
		return k.rule < o.rule
	}
	if k.verdict != o.verdict {
		return k.verdict < o.verdict
	}
	return k.inBatch < o.inBatch
}

type pendingChunk struct {
	rule, verdict string
	inBatch       int64
	items         []PlanItem
}

type chunkRow struct {
	seq           int64
	rule, verdict string
	inBatch       int64
	n             int
	data          []byte
}

type ruleAcc struct {
	RuleTotal
	h, hNew hash.Hash
}

// NewPlan starts writing a plan. The plan's ID is reserved now; its row is
// inserted by Finish.
func (s *Store) NewPlan(ctx context.Context, p Plan) (*PlanWriter, error) {
	err := s.Write(ctx, func(tx *Tx) error {
		// Remove plans of this source that were never finished (a crash mid-plan).
		for _, table := range []string{"plan_chunk", "plan_resume", "plan_done"} {
			if _, err := tx.tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE plan_id IN (SELECT id FROM plan WHERE source = ? AND state = 'listing')`, p.Source); err != nil {
				return fmt.Errorf("remove unfinished plans: %w", err)
			}
		}
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM plan WHERE source = ? AND state = 'listing'`, p.Source); err != nil {
			return fmt.Errorf("remove unfinished plans: %w", err)
		}
		p.State = "listing"
		res, err := tx.tx.NamedExecContext(ctx, `INSERT INTO plan(source, source_kind, created_at, today, planner, policy_digest,
			listed, keep, due, review, held, archive, due_bytes, incomplete, fingerprint, dry_run, state)
			VALUES (:source, :source_kind, :created_at, :today, :planner, :policy_digest,
			0, 0, 0, 0, 0, 0, 0, '', '', :dry_run, :state)`, &p)
		if err != nil {
			return fmt.Errorf("start plan: %w", err)
		}
		p.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, err
	}
	return &PlanWriter{s: s, plan: p, pending: map[chunkKey]*pendingChunk{}, all: sha256.New(), totals: map[totalKey]*ruleAcc{}}, nil
}

// ID returns the plan's id.
func (w *PlanWriter) ID() int64 { return w.plan.ID }

// ChunkAtContainers makes every chunk that holds at least minItems items
// (at least 1, at most chunkSize/2) end where a container ends, for
// sources whose deletions are limited per container (mailboxes): with 1
// every container's items form chunks of their own, which the executor
// runs side by side. Without it a chunk ends at a container boundary only
// once it is half full (chunkSize/2 items). Chunks still hold at most
// chunkSize items, and with callItems (the most items the executor hands
// the connector at once; 0: no such limit) at most the largest multiple
// of it that fits, so that a full chunk is whole calls (2,000 items in
// two calls of 1,000, not 2,048 in three). It applies to the items added
// after it.
func (w *PlanWriter) ChunkAtContainers(minItems, callItems int) {
	w.containerMin = min(max(minItems, 1), chunkSize/2)
	w.chunkMax = chunkSize
	if callItems > 0 && callItems <= chunkSize {
		w.chunkMax = chunkSize / callItems * callItems
	}
}

// Add records one item. Items must be added in a deterministic order (the
// connector's listing order): fingerprints are computed over that order.
func (w *PlanWriter) Add(ctx context.Context, it PlanItem) error {
	// The item's line is written once and hashed into each fingerprint it
	// belongs to (a Write per hash, no copy per field).
	w.line = appendFingerprint(w.line[:0], &it)
	w.all.Write(w.line)
	key := chunkKey{totalKey{it.Rule, it.Verdict}, it.InBatch}
	acc := w.totals[key.totalKey]
	if acc == nil {
		acc = &ruleAcc{RuleTotal: RuleTotal{Rule: it.Rule, Verdict: it.Verdict}, h: sha256.New(), hNew: sha256.New()}
		w.totals[key.totalKey] = acc
	}
	acc.Items++
	acc.Bytes += max(it.Size, 0)
	acc.h.Write(w.line)
	if it.InBatch == 0 {
		acc.NewItems++
		acc.NewBytes += max(it.Size, 0)
		acc.hNew.Write(w.line)
	}

	pc := w.pending[key]
	if pc == nil {
		pc = &pendingChunk{rule: it.Rule, verdict: it.Verdict, inBatch: it.InBatch, items: make([]PlanItem, 0, chunkSize)}
		w.pending[key] = pc
	}
	// A chunk that is at least half full (or holds containerMin items)
	// ends where a container ends, so that chunks executed side by side
	// rarely share a container (a mailbox, whose requests Graph limits).
	cmin := w.containerMin
	if cmin == 0 {
		cmin = chunkSize / 2
	}
	if n := len(pc.items); n >= cmin && pc.items[n-1].Container != it.Container {
		w.seal(pc)
		if len(w.queue) >= chunksPerTx {
			if err := w.flushBehind(ctx); err != nil {
				return err
			}
		}
	}
	pc.items = append(pc.items, it)
	if len(pc.items) == chunkSize || len(pc.items) == w.chunkMax {
		w.seal(pc)
		if len(w.queue) >= chunksPerTx {
			return w.flushBehind(ctx)
		}
	}
	return nil
}

// flushBehind commits the queued chunks in a transaction of their own on
// another goroutine, so that the caller (a listing) goes on while SQLite
// writes and syncs them: with synchronous=FULL every commit waits for the
// disk, which on a busy one takes longer than listing the next thousands
// of files. One such transaction is under way at a time: the next waits
// for it, and so do Checkpoint and Finish (sealPending) before they
// write. A transaction that failed is not lost: its chunks go back to
// the front of the queue, written by the next write (Checkpoint's,
// Finish's) if the caller goes on; Add returns its error.
func (w *PlanWriter) flushBehind(ctx context.Context) error {
	if err := w.wait(); err != nil {
		return err
	}
	rows, done := w.queue, make(chan struct{})
	w.queue, w.writing, w.written = make([]chunkRow, 0, chunksPerTx), rows, done
	go func() {
		defer close(done)
		w.writeErr = w.s.Write(ctx, func(tx *Tx) error { return tx.insertChunks(w.plan.ID, rows) })
	}()
	return nil
}

// wait waits for the transaction flushBehind started, if any, and
// returns its error; the chunks of a failed one are queued again, before
// the ones queued since.
func (w *PlanWriter) wait() error {
	if w.written == nil {
		return nil
	}
	<-w.written
	err, rows := w.writeErr, w.writing
	w.written, w.writing, w.writeErr = nil, nil, nil
	if err != nil {
		w.queue = append(rows, w.queue...)
	}
	return err
}

// Drain waits for the chunks being committed behind the caller's back
// (see Add), so that nothing is written to the store after it returns;
// its error is the commit's, whose chunks are queued again. A caller that
// abandons a plan defers it; Checkpoint and Finish wait by themselves.
func (w *PlanWriter) Drain() error { return w.wait() }

// appendFingerprint appends what one item adds to a fingerprint: ref,
// version, rule and due date, NUL-separated, newline-terminated.
func appendFingerprint(b []byte, it *PlanItem) []byte {
	b = append(b, it.Ref...)
	b = append(b, 0)
	b = append(b, it.Version...)
	b = append(b, 0)
	b = append(b, it.Rule...)
	b = append(b, 0)
	b = append(b, it.Due...)
	return append(b, '\n')
}

// sealPending seals every chunk that holds items, in a fixed order,
// after the chunks being committed behind (flushBehind): a failed commit's
// chunks are queued again, in front, for the caller's own write.
func (w *PlanWriter) sealPending() {
	_ = w.wait() // the chunks stay queued; the caller's write reports a failure again
	keys := slices.Collect(maps.Keys(w.pending))
	slices.SortFunc(keys, func(a, b chunkKey) int {
		switch {
		case a.less(b):
			return -1
		case b.less(a):
			return 1
		}
		return 0
	})
	for _, k := range keys {
		if pc := w.pending[k]; len(pc.items) > 0 {
			w.seal(pc)
		}
	}
}

func (w *PlanWriter) seal(pc *pendingChunk) {
	w.seq++
	w.buf = encodeItems(w.buf, pc.items)
	w.queue = append(w.queue, chunkRow{seq: w.seq, rule: pc.rule, verdict: pc.verdict, inBatch: pc.inBatch, n: len(pc.items), data: append([]byte(nil), w.buf...)})
	pc.items = pc.items[:0]
}

func (tx *Tx) insertChunks(planID int64, rows []chunkRow) error {
	ctx := tx.ctx
	stmt, err := tx.tx.PrepareContext(ctx, `INSERT INTO plan_chunk(plan_id, seq, rule, verdict, in_batch, n, data) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	defer stmt.Close()
	for _, c := range rows {
		if _, err := stmt.ExecContext(ctx, planID, c.seq, c.rule, c.verdict, c.inBatch, c.n, c.data); err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
	}
	return nil
}

// Finish writes the remaining items and, in one transaction, the plan row
// with the given counts (Listed, Keep, Incomplete… from p; the item counts
// and fingerprints are computed here) and whatever then does (cutting
// batches). It returns the totals per rule and verdict, sorted.
func (w *PlanWriter) Finish(ctx context.Context, p Plan, then func(tx *Tx, plan *Plan, totals []RuleTotal) error) (*Plan, []RuleTotal, error) {
	w.sealPending()
	totals := make([]RuleTotal, 0, len(w.totals))
	for _, acc := range w.totals {
		acc.Fingerprint = "sha256:" + hex.EncodeToString(acc.h.Sum(nil))
		acc.NewFingerprint = "sha256:" + hex.EncodeToString(acc.hNew.Sum(nil))
		totals = append(totals, acc.RuleTotal)
	}
	sort.Slice(totals, func(i, j int) bool {
		if totals[i].Rule != totals[j].Rule {
			return totals[i].Rule < totals[j].Rule
		}
		return totals[i].Verdict < totals[j].Verdict
	})
	p.ID, p.Source, p.SourceKind, p.CreatedAt, p.Today, p.Planner, p.PolicyDigest, p.DryRun =
		w.plan.ID, w.plan.Source, w.plan.SourceKind, w.plan.CreatedAt, w.plan.Today, w.plan.Planner, w.plan.PolicyDigest, w.plan.DryRun
	p.Due, p.Review, p.Held, p.Archive, p.DueBytes = 0, 0, 0, 0, 0
	for _, t := range totals {
		switch t.Verdict {
		case "due":
			p.Due += t.Items
			p.DueBytes += t.Bytes
		case "review":
			p.Review += t.Items
		case "held":
			p.Held += t.Items
		case "archive":
			p.Archive += t.Items
		}
	}
	p.Fingerprint = "sha256:" + hex.EncodeToString(w.all.Sum(nil))
	err := w.s.Write(ctx, func(tx *Tx) error {
		if err := tx.insertChunks(p.ID, w.queue); err != nil {
			return err
		}
		for _, table := range []string{"plan_resume", "plan_done"} {
			if _, err := tx.tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE plan_id = ?`, p.ID); err != nil {
				return fmt.Errorf("write plan: %w", err)
			}
		}
		p.State = "complete"
		_, err := tx.tx.NamedExecContext(ctx, `UPDATE plan SET listed = :listed, keep = :keep, due = :due, review = :review,
			held = :held, archive = :archive, due_bytes = :due_bytes, incomplete = :incomplete,
			fingerprint = :fingerprint, state = :state WHERE id = :id`, &p)
		if err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
		if then != nil {
			return then(tx, &p, totals)
		}
		return nil
	})
	w.queue = nil
	if err != nil {
		return nil, nil, err
	}
	return &p, totals, nil
}

// Plan returns the plan with id.
func (s *Store) Plan(ctx context.Context, id int64) (*Plan, error) {
	var p Plan
	if err := s.r.GetContext(ctx, &p, `SELECT * FROM plan WHERE id = ?`, id); err != nil {
		return nil, notFound(err, fmt.Sprintf("plan %d", id))
	}
	return &p, nil
}

// LatestPlans returns the newest plan of each source.
func (s *Store) LatestPlans(ctx context.Context) ([]Plan, error) {
	var ps []Plan
	err := s.r.SelectContext(ctx, &ps, `SELECT * FROM plan WHERE id IN (SELECT max(id) FROM plan WHERE state = 'complete' GROUP BY source) ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("read plans: %w", err)
	}
	return ps, nil
}

// Chunk is one stored chunk of plan items.
type Chunk struct {
	Seq   int64
	Items []PlanItem
}

// PlanItems calls fn for each chunk of the plan's items with the given
// verdict ("" for all) and rule ("" for all), in plan order.
func (s *Store) PlanItems(ctx context.Context, planID int64, verdict, rule string, fn func(Chunk) error) error {
	rows, err := s.r.QueryxContext(ctx, `SELECT seq, n, data, in_batch FROM plan_chunk WHERE plan_id = ?
		AND (? = '' OR verdict = ?) AND (? = '' OR rule = ?) ORDER BY seq`, planID, verdict, verdict, rule, rule)
	if err != nil {
		return fmt.Errorf("read plan items: %w", err)
	}
	defer rows.Close()
	return scanChunks(rows, fn)
}

// BatchChunks calls fn for each chunk of a batch's items in order.
func (s *Store) BatchChunks(ctx context.Context, batchID int64, fn func(Chunk) error) error {
	rows, err := s.r.QueryxContext(ctx, `SELECT seq, n, data, 0 FROM plan_chunk WHERE batch_id = ? ORDER BY seq`, batchID)
	if err != nil {
		return fmt.Errorf("read batch items: %w", err)
	}
	defer rows.Close()
	return scanChunks(rows, fn)
}

type rowScanner interface {
	Next() bool
	Scan(...any) error
	Err() error
}

func scanChunks(rows rowScanner, fn func(Chunk) error) error {
	for rows.Next() {
		var (
			seq, inBatch int64
			n            int
			data         []byte
		)
		if err := rows.Scan(&seq, &n, &data, &inBatch); err != nil {
			return fmt.Errorf("read plan items: %w", err)
		}
		items, err := decodeItems(data, n)
		if err != nil {
			return fmt.Errorf("read plan chunk %d: %w", seq, err)
		}
		for i := range items {
			items[i].InBatch = inBatch
		}
		if err := fn(Chunk{Seq: seq, Items: items}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read plan items: %w", err)
	}
	return nil
}

// Fingerprint recomputes the fingerprint of a batch from its stored items.
func (s *Store) Fingerprint(ctx context.Context, batchID int64) (string, int64, error) {
	h := sha256.New()
	var (
		n    int64
		line []byte
	)
	err := s.BatchChunks(ctx, batchID, func(c Chunk) error {
		for i := range c.Items {
			line = appendFingerprint(line[:0], &c.Items[i])
			h.Write(line)
			n++
		}
		return nil
	})
	if err != nil {
		return "", 0, err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), n, nil
}
