package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// resumeState is what a plan checkpoint keeps of a PlanWriter, with the
// caller's own state.
type resumeState struct {
	Seq    int64         `json:"seq"`
	All    []byte        `json:"all"` // sha256 state of the plan fingerprint
	Totals []resumeTotal `json:"totals"`
	Caller []byte        `json:"caller"`
}

type resumeTotal struct {
	Rule    string `json:"rule"`
	Verdict string `json:"verdict"`
	Items   int64  `json:"items"`
	Bytes   int64  `json:"bytes"`
	Hash    []byte `json:"hash"`
	// The items not in an open batch (RuleTotal.New*).
	NewItems int64  `json:"new_items"`
	NewBytes int64  `json:"new_bytes"`
	NewHash  []byte `json:"new_hash"`
}

// Checkpoint makes everything added so far durable, together with the
// containers finished since the last checkpoint and the caller's state, so
// that ResumePlan can continue the plan after a crash. Call it only between
// containers: every item of done must have been added, and no item of a
// container that is not done. scope identifies the source's settings; a
// plan resumes only under the same scope.
func (w *PlanWriter) Checkpoint(ctx context.Context, scope string, done []string, caller []byte) error {
	w.sealPending()
	st := resumeState{Seq: w.seq, Caller: caller}
	var err error
	if st.All, err = hashState(w.all); err != nil {
		return err
	}
	keys := slices.Collect(maps.Keys(w.totals))
	slices.SortFunc(keys, func(a, b totalKey) int { return cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.verdict, b.verdict)) })
	for _, k := range keys {
		acc := w.totals[k]
		h, err := hashState(acc.h)
		if err != nil {
			return err
		}
		hNew, err := hashState(acc.hNew)
		if err != nil {
			return err
		}
		st.Totals = append(st.Totals, resumeTotal{Rule: acc.Rule, Verdict: acc.Verdict, Items: acc.Items, Bytes: acc.Bytes, Hash: h,
			NewItems: acc.NewItems, NewBytes: acc.NewBytes, NewHash: hNew})
	}
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("checkpoint plan: %w", err)
	}
	err = w.s.Write(ctx, func(tx *Tx) error {
		if err := tx.insertChunks(w.plan.ID, w.queue); err != nil {
			return err
		}
		for _, c := range done {
			if _, err := tx.tx.ExecContext(ctx, `INSERT OR IGNORE INTO plan_done(plan_id, container) VALUES (?, ?)`, w.plan.ID, c); err != nil {
				return fmt.Errorf("checkpoint plan: %w", err)
			}
		}
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO plan_resume(plan_id, scope, seq, state) VALUES (?, ?, ?, ?)
			ON CONFLICT(plan_id) DO UPDATE SET scope = excluded.scope, seq = excluded.seq, state = excluded.state`, w.plan.ID, scope, st.Seq, data)
		if err != nil {
			return fmt.Errorf("checkpoint plan: %w", err)
		}
		return nil
	})
	w.queue = w.queue[:0]
	return err
}

// ResumePlan continues the unfinished plan of p.Source made for the same
// day, policies, planner and kind (dry run or not) under the same scope,
// from its last checkpoint: chunks written after it are dropped. It
// returns the writer, the caller's state and the containers already done,
// or a nil writer when there is no such plan.
func (s *Store) ResumePlan(ctx context.Context, p Plan, scope string) (*PlanWriter, []byte, map[string]bool, error) {
	var row struct {
		Plan
		Seq   int64  `db:"resume_seq"`
		State []byte `db:"resume_state"`
	}
	err := s.r.GetContext(ctx, &row, `SELECT plan.*, plan_resume.seq AS resume_seq, plan_resume.state AS resume_state FROM plan JOIN plan_resume ON plan_resume.plan_id = plan.id
		WHERE plan.source = ? AND plan.state = 'listing' AND plan.today = ? AND plan.policy_digest = ? AND plan.planner = ?
		AND plan.dry_run = ? AND plan_resume.scope = ? ORDER BY plan.id DESC LIMIT 1`,
		p.Source, p.Today, p.PolicyDigest, p.Planner, p.DryRun, scope)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read unfinished plan: %w", err)
	}
	var st resumeState
	if err := json.Unmarshal(row.State, &st); err != nil {
		return nil, nil, nil, fmt.Errorf("read checkpoint of plan %d: %w", row.ID, err)
	}
	w := &PlanWriter{s: s, plan: row.Plan, seq: st.Seq, pending: map[chunkKey]*pendingChunk{}, all: sha256.New(), totals: map[totalKey]*ruleAcc{}}
	if err := restoreHash(w.all, st.All); err != nil {
		return nil, nil, nil, fmt.Errorf("read checkpoint of plan %d: %w", row.ID, err)
	}
	for _, t := range st.Totals {
		acc := &ruleAcc{RuleTotal: RuleTotal{Rule: t.Rule, Verdict: t.Verdict, Items: t.Items, Bytes: t.Bytes, NewItems: t.NewItems, NewBytes: t.NewBytes},
			h: sha256.New(), hNew: sha256.New()}
		if err := restoreHash(acc.h, t.Hash); err != nil {
			return nil, nil, nil, fmt.Errorf("read checkpoint of plan %d: %w", row.ID, err)
		}
		if t.NewHash == nil {
			// A checkpoint written before open batches were kept: every
			// item was new.
			t.NewItems, t.NewBytes, t.NewHash = t.Items, t.Bytes, t.Hash
			acc.NewItems, acc.NewBytes = t.Items, t.Bytes
		}
		if err := restoreHash(acc.hNew, t.NewHash); err != nil {
			return nil, nil, nil, fmt.Errorf("read checkpoint of plan %d: %w", row.ID, err)
		}
		w.totals[totalKey{t.Rule, t.Verdict}] = acc
	}
	done := map[string]bool{}
	var containers []string
	if err := s.r.SelectContext(ctx, &containers, `SELECT container FROM plan_done WHERE plan_id = ?`, row.ID); err != nil {
		return nil, nil, nil, fmt.Errorf("read unfinished plan: %w", err)
	}
	for _, c := range containers {
		done[c] = true
	}
	// Chunks flushed after the checkpoint hold items of containers that
	// will be listed again.
	err = s.Write(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `DELETE FROM plan_chunk WHERE plan_id = ? AND seq > ?`, row.ID, st.Seq)
		return err
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("resume plan %d: %w", row.ID, err)
	}
	return w, st.Caller, done, nil
}

func hashState(h any) ([]byte, error) {
	m, ok := h.(encoding.BinaryMarshaler)
	if !ok {
		return nil, errors.New("checkpoint plan: the hash cannot save its state")
	}
	return m.MarshalBinary()
}

func restoreHash(h any, state []byte) error {
	u, ok := h.(encoding.BinaryUnmarshaler)
	if !ok {
		return errors.New("the hash cannot restore its state")
	}
	return u.UnmarshalBinary(state)
}
