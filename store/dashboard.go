package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// The DPO's and auditors' dashboard reads aggregates only: each query
// below sums in SQL, so a page costs the same for ten items as for a
// million.

// DueCount is how many items the latest plan of a source found due (or
// due to be archived) under one rule, by the status of the batch they are
// in now ("" for none).
type DueCount struct {
	Source string `db:"source"`
	Rule   string `db:"rule"`
	Status string `db:"status"`
	Items  int64  `db:"items"`
}

// DueCounts sums the due and archive items of the newest complete plan of
// each source (not a look ahead), by rule and by the status of the batch
// that holds them: the one cut from the plan, or the open batch they were
// already in when it was made.
func (s *Store) DueCounts(ctx context.Context) ([]DueCount, error) {
	var cs []DueCount
	err := s.r.SelectContext(ctx, &cs, `SELECT p.source AS source, c.rule AS rule, coalesce(b.status, '') AS status, sum(c.n) AS items
		FROM plan_chunk c JOIN plan p ON p.id = c.plan_id
		LEFT JOIN batch b ON b.id = coalesce(c.batch_id, nullif(c.in_batch, 0))
		WHERE c.plan_id IN (SELECT max(id) FROM plan WHERE state = 'complete' AND dry_run = 0 GROUP BY source)
		AND c.verdict IN ('due', 'archive')
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`)
	if err != nil {
		return nil, fmt.Errorf("count due items: %w", err)
	}
	return cs, nil
}

// DeletionCount is how many deletion entries of the ledger recorded one
// outcome in one minute (UTC, "2006-01-02T15:04").
type DeletionCount struct {
	Minute  string `db:"minute"`
	Outcome string `db:"outcome"`
	N       int64  `db:"n"`
}

// DeletionCounts counts the ledger's deletion entries per minute and
// outcome, from the minute since on (UTC, "2006-01-02T15:04"; "" for all).
// It reads the counts Tx.Append keeps as entries are appended (migrations
// 016 and 019), not the entries.
func (s *Store) DeletionCounts(ctx context.Context, since string) ([]DeletionCount, error) {
	var cs []DeletionCount
	if err := s.r.SelectContext(ctx, &cs, `SELECT minute, outcome, n FROM ledger_deletion_count WHERE minute >= ? ORDER BY minute, outcome`, since); err != nil {
		return nil, fmt.Errorf("count deletions: %w", err)
	}
	return cs, nil
}

// PeriodCount is how many deletion entries of period i (DeletionsIn's
// bounds[i] to bounds[i+1]) recorded an outcome.
type PeriodCount struct {
	Period  int    `db:"period"`
	Outcome string `db:"outcome"`
	N       int64  `db:"n"`
}

// DeletionsIn sums the deletion entries between consecutive bounds
// (minutes, UTC, "2006-01-02T15:04", ascending; the first inclusive, the
// next exclusive) per period and outcome, in SQL over the counts
// Tx.Append keeps.
func (s *Store) DeletionsIn(ctx context.Context, bounds []string) ([]PeriodCount, error) {
	var out []PeriodCount
	for i := 0; i+1 < len(bounds); i++ {
		var cs []PeriodCount
		err := s.r.SelectContext(ctx, &cs, `SELECT ? AS period, outcome, sum(n) AS n FROM ledger_deletion_count
			WHERE minute >= ? AND minute < ? GROUP BY outcome ORDER BY outcome`, i, bounds[i], bounds[i+1])
		if err != nil {
			return nil, fmt.Errorf("count deletions: %w", err)
		}
		out = append(out, cs...)
	}
	return out, nil
}

// CheckpointCount returns how many checkpoints are stored.
func (s *Store) CheckpointCount(ctx context.Context) (int64, error) {
	var n int64
	if err := s.r.GetContext(ctx, &n, `SELECT count(*) FROM checkpoint`); err != nil {
		return 0, fmt.Errorf("count checkpoints: %w", err)
	}
	return n, nil
}

// AnchorTarget is where checkpoints were anchored: the largest tree sent
// there and when it was sent.
type AnchorTarget struct {
	Target string `db:"target"`
	N      int64  `db:"n"`
	At     Time   `db:"at"`
}

// AnchorTargets returns, per anchoring target, the latest checkpoint sent
// there.
func (s *Store) AnchorTargets(ctx context.Context) ([]AnchorTarget, error) {
	var as []AnchorTarget
	err := s.r.SelectContext(ctx, &as, `SELECT a.target AS target, a.n AS n, a.at AS at FROM anchor a
		WHERE a.n = (SELECT max(n) FROM anchor WHERE target = a.target) ORDER BY a.target`)
	if err != nil {
		return nil, fmt.Errorf("read anchors: %w", err)
	}
	return as, nil
}

// SourcePlan is the newest plan of a source (complete or not) with the
// newest complete one's time and what it could not list.
type SourcePlan struct {
	Source string `db:"source"`
	// Latest is the newest plan's state ("listing": still running, or
	// left by a plan that was stopped) and when it began.
	LatestState string `db:"latest_state"`
	LatestAt    Time   `db:"latest_at"`
	// Complete is the newest complete plan's time (zero: none) and
	// Incomplete the parts of the source it could not list.
	CompleteAt Time   `db:"complete_at"`
	Incomplete string `db:"incomplete"`
}

// SourcePlans returns the newest plan of every source that has one (not
// look aheads).
func (s *Store) SourcePlans(ctx context.Context) ([]SourcePlan, error) {
	var out []SourcePlan
	err := s.r.SelectContext(ctx, &out, `SELECT l.source AS source, l.state AS latest_state, l.created_at AS latest_at,
		coalesce(c.created_at, '') AS complete_at, coalesce(c.incomplete, '') AS incomplete
		FROM plan l LEFT JOIN plan c ON c.id = (SELECT max(id) FROM plan WHERE source = l.source AND state = 'complete' AND dry_run = 0)
		WHERE l.id IN (SELECT max(id) FROM plan WHERE dry_run = 0 GROUP BY source) ORDER BY l.source`)
	if err != nil {
		return nil, fmt.Errorf("read plans: %w", err)
	}
	return out, nil
}

// SourceFailure is how many items of a source's batches could not be
// deleted in the batches executed since a time.
type SourceFailure struct {
	Source  string `db:"source"`
	Batches int64  `db:"batches"`
	Failed  int64  `db:"failed"`
}

// SourceFailures sums the failed items of the batches executed (or
// executing) and last changed at or after since, per source.
func (s *Store) SourceFailures(ctx context.Context, since Time) ([]SourceFailure, error) {
	var out []SourceFailure
	err := s.r.SelectContext(ctx, &out, `SELECT source, count(*) AS batches, sum(failed) AS failed FROM batch
		WHERE status IN ('done', 'executing') AND updated_at >= ? GROUP BY source ORDER BY source`, since)
	if err != nil {
		return nil, fmt.Errorf("count failed deletions: %w", err)
	}
	return out, nil
}

// LedgerVerify is the result of one verification of the ledger from the
// console.
type LedgerVerify struct {
	ID         int64  `db:"id"`
	At         Time   `db:"at"`
	Person     string `db:"person"`
	OK         bool   `db:"ok"`
	Entries    int64  `db:"entries"`
	Checkpoint int64  `db:"checkpoint"`
	Message    string `db:"message"`
}

// AddLedgerVerify records a verification's result.
func (s *Store) AddLedgerVerify(ctx context.Context, v LedgerVerify) error {
	return s.Write(ctx, func(tx *Tx) error {
		_, err := tx.tx.NamedExecContext(ctx, `INSERT INTO ledger_verify(at, person, ok, entries, checkpoint, message)
			VALUES (:at, :person, :ok, :entries, :checkpoint, :message)`, &v)
		if err != nil {
			return fmt.Errorf("record ledger verification: %w", err)
		}
		return nil
	})
}

// LastLedgerVerify returns the newest recorded verification, or nil for
// none.
func (s *Store) LastLedgerVerify(ctx context.Context) (*LedgerVerify, error) {
	var v LedgerVerify
	err := s.r.GetContext(ctx, &v, `SELECT * FROM ledger_verify ORDER BY id DESC LIMIT 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ledger verification: %w", err)
	}
	return &v, nil
}
