package store

import (
	"context"
	"fmt"
)

// Anchor records that the checkpoint of size n was delivered to target.
func (s *Store) AddAnchor(ctx context.Context, n int64, target string, at Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `INSERT OR IGNORE INTO anchor(n, target, at) VALUES (?, ?, ?)`, n, target, at); err != nil {
			return fmt.Errorf("record anchor: %w", err)
		}
		return nil
	})
}

// AnchoredSizes returns the sizes of the checkpoints delivered to at least
// one target.
func (s *Store) AnchoredSizes(ctx context.Context) (map[int64]bool, error) {
	var ns []int64
	if err := s.r.SelectContext(ctx, &ns, `SELECT DISTINCT n FROM anchor`); err != nil {
		return nil, fmt.Errorf("read anchors: %w", err)
	}
	out := make(map[int64]bool, len(ns))
	for _, n := range ns {
		out[n] = true
	}
	return out, nil
}

// LastAnchored returns the size of the largest checkpoint delivered to
// target, or 0 if none was.
func (s *Store) LastAnchored(ctx context.Context, target string) (int64, error) {
	var n int64
	if err := s.r.GetContext(ctx, &n, `SELECT coalesce(max(n), 0) FROM anchor WHERE target = ?`, target); err != nil {
		return 0, fmt.Errorf("read anchors: %w", err)
	}
	return n, nil
}

// KeyRotation mirrors a key_rotation ledger entry.
type KeyRotation struct {
	Index        int64  `db:"idx"`
	Method       string `db:"method"`
	NewKey       string `db:"new_key"`
	OldKey       string `db:"old_key"`
	At           Time   `db:"at"`
	OverlapUntil Time   `db:"overlap_until"`
}

// AddKeyRotation records a rotation whose ledger entry is at r.Index, in
// the same transaction as the entry.
func (tx *Tx) AddKeyRotation(r KeyRotation) error {
	ctx := tx.ctx
	_, err := tx.tx.NamedExecContext(ctx, `INSERT INTO key_rotation(idx, method, new_key, old_key, at, overlap_until)
		VALUES (:idx, :method, :new_key, :old_key, :at, :overlap_until)`, r)
	if err != nil {
		return fmt.Errorf("record key rotation: %w", err)
	}
	return nil
}

// KeyRotations returns every recorded rotation, oldest first.
func (s *Store) KeyRotations(ctx context.Context) ([]KeyRotation, error) {
	var rs []KeyRotation
	if err := s.r.SelectContext(ctx, &rs, `SELECT * FROM key_rotation ORDER BY idx`); err != nil {
		return nil, fmt.Errorf("read key rotations: %w", err)
	}
	return rs, nil
}

// PolicyText is a stored policy text.
type PolicyText struct {
	Digest string `db:"digest"`
	ID     string `db:"id"`
	Text   []byte `db:"text"`
}

// PolicyTexts returns every stored policy text.
func (s *Store) PolicyTexts(ctx context.Context) ([]PolicyText, error) {
	var pts []PolicyText
	if err := s.r.SelectContext(ctx, &pts, `SELECT digest, id, text FROM policy_text ORDER BY digest`); err != nil {
		return nil, fmt.Errorf("read policy texts: %w", err)
	}
	return pts, nil
}
