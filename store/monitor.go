package store

import (
	"context"
	"fmt"
)

// RuleCount is how many items of a plan one rule gave one verdict.
type RuleCount struct {
	Rule    string `db:"rule"`
	Verdict string `db:"verdict"`
	Items   int64  `db:"items"`
}

// LatestTodayPlans returns the newest plan of each source that was made
// for its own day (not a look ahead).
func (s *Store) LatestTodayPlans(ctx context.Context) ([]Plan, error) {
	var ps []Plan
	err := s.r.SelectContext(ctx, &ps, `SELECT * FROM plan WHERE id IN
		(SELECT max(id) FROM plan WHERE state = 'complete' AND dry_run = 0 GROUP BY source) ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("read plans: %w", err)
	}
	return ps, nil
}

// PlanRuleCounts returns the plan's items per rule and verdict.
func (s *Store) PlanRuleCounts(ctx context.Context, planID int64) ([]RuleCount, error) {
	var cs []RuleCount
	err := s.r.SelectContext(ctx, &cs, `SELECT rule, verdict, sum(n) AS items FROM plan_chunk WHERE plan_id = ?
		GROUP BY rule, verdict ORDER BY rule, verdict`, planID)
	if err != nil {
		return nil, fmt.Errorf("count plan items: %w", err)
	}
	return cs, nil
}

// BatchCount sums the batches of one source, rule and status.
type BatchCount struct {
	Source  string `db:"source"`
	Rule    string `db:"rule"`
	Status  string `db:"status"`
	Batches int64  `db:"batches"`
	Deleted int64  `db:"deleted"`
	Failed  int64  `db:"failed"`
}

// BatchCounts returns the batches and their outcomes per source, rule and
// status.
func (s *Store) BatchCounts(ctx context.Context) ([]BatchCount, error) {
	var cs []BatchCount
	err := s.r.SelectContext(ctx, &cs, `SELECT source, rule, status, count(*) AS batches, sum(deleted) AS deleted, sum(failed) AS failed
		FROM batch GROUP BY source, rule, status ORDER BY source, rule, status`)
	if err != nil {
		return nil, fmt.Errorf("count batches: %w", err)
	}
	return cs, nil
}

// LastCheckpointAt returns when the latest checkpoint was made, and false
// if there is none.
func (s *Store) LastCheckpointAt(ctx context.Context) (Time, bool, error) {
	var ts []Time
	if err := s.r.SelectContext(ctx, &ts, `SELECT at FROM checkpoint ORDER BY n DESC LIMIT 1`); err != nil {
		return Time{}, false, fmt.Errorf("read checkpoints: %w", err)
	}
	if len(ts) == 0 {
		return Time{}, false, nil
	}
	return ts[0], true, nil
}
