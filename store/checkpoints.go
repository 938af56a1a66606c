package store

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// AddPolicyText stores a policy text under its digest unless already there,
// and reports whether it was new.
func (tx *Tx) AddPolicyText(digest, id string, text []byte) (bool, error) {
	ctx := tx.ctx
	res, err := tx.tx.ExecContext(ctx, `INSERT OR IGNORE INTO policy_text(digest, id, text) VALUES (?, ?, ?)`, digest, id, text)
	if err != nil {
		return false, fmt.Errorf("store policy text: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// AddCheckpoint stores a signed checkpoint for tree size n.
func (s *Store) AddCheckpoint(ctx context.Context, n int64, note []byte, at Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `INSERT OR IGNORE INTO checkpoint(n, note, at) VALUES (?, ?, ?)`, n, note, at); err != nil {
			return fmt.Errorf("store checkpoint: %w", err)
		}
		return nil
	})
}

// Checkpoint is a stored signed checkpoint.
type Checkpoint struct {
	N    int64  `db:"n"`
	Note []byte `db:"note"`
	At   Time   `db:"at"`
}

// Checkpoints returns every stored checkpoint, smallest tree first.
func (s *Store) Checkpoints(ctx context.Context) ([]Checkpoint, error) {
	var cs []Checkpoint
	if err := s.r.SelectContext(ctx, &cs, `SELECT * FROM checkpoint ORDER BY n`); err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	return cs, nil
}

// TreeSize returns the number of ledger entries.
func (s *Store) TreeSize(ctx context.Context) (int64, error) { return treeSize(ctx, s.w) }

// TreeHash returns the hash of the ledger tree of size n from the stored
// hashes.
func (s *Store) TreeHash(ctx context.Context, n int64) (tlog.Hash, error) {
	h, err := tlog.TreeHash(n, hashReader{ctx: ctx, q: s.w})
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("compute tree hash: %w", err)
	}
	return h, nil
}

// HashReader returns a tlog.HashReader over the stored hashes, for proofs.
func (s *Store) HashReader(ctx context.Context) tlog.HashReader { return hashReader{ctx: ctx, q: s.r} }
