package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"golang.org/x/mod/sumdb/tlog"
)

// The ledger's leaves are the canonical bytes of ledger entries (package
// store/ledger); the store keeps them and the RFC 6962 tree's stored hashes
// (tlog.StoredHashes) so that tree hashes and proofs need no recomputation.

// Append adds leaves to the ledger inside the transaction and returns the
// index of the first.
func (tx *Tx) Append(ctx context.Context, leaves ...[]byte) (int64, error) {
	n, err := treeSize(ctx, tx.tx)
	if err != nil {
		return 0, err
	}
	first := n
	insLeaf, err := tx.tx.PrepareContext(ctx, `INSERT INTO ledger_entry(idx, data) VALUES (?, ?)`)
	if err != nil {
		return 0, fmt.Errorf("append ledger entry: %w", err)
	}
	defer insLeaf.Close()
	insHash, err := tx.tx.PrepareContext(ctx, `INSERT INTO tlog_hash(idx, hash) VALUES (?, ?)`)
	if err != nil {
		return 0, fmt.Errorf("append ledger entry: %w", err)
	}
	defer insHash.Close()
	// Hashes written by this call are read back from memory: StoredHashes
	// mostly needs the left siblings it has just stored.
	hr := &cachedHashReader{base: hashReader{ctx: ctx, q: tx.tx}, cache: map[int64]tlog.Hash{}}
	for _, data := range leaves {
		hashes, err := tlog.StoredHashes(n, data, hr)
		if err != nil {
			return 0, fmt.Errorf("hash ledger entry %d: %w", n, err)
		}
		if _, err := insLeaf.ExecContext(ctx, n, data); err != nil {
			return 0, fmt.Errorf("append ledger entry: %w", err)
		}
		base := tlog.StoredHashIndex(0, n)
		for i, h := range hashes {
			if _, err := insHash.ExecContext(ctx, base+int64(i), h[:]); err != nil {
				return 0, fmt.Errorf("append ledger hash: %w", err)
			}
			hr.cache[base+int64(i)] = h
		}
		n++
	}
	return first, nil
}

type cachedHashReader struct {
	base  hashReader
	cache map[int64]tlog.Hash
}

func (r *cachedHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for i, idx := range indexes {
		h, ok := r.cache[idx]
		if !ok {
			missing = append(missing, idx)
			continue
		}
		out[i] = h
	}
	if len(missing) == 0 {
		return out, nil
	}
	got, err := r.base.ReadHashes(missing)
	if err != nil {
		return nil, err
	}
	j := 0
	for i, idx := range indexes {
		if _, ok := r.cache[idx]; !ok {
			out[i] = got[j]
			r.cache[idx] = got[j]
			j++
		}
	}
	return out, nil
}

// AddPolicyText stores a policy text under its digest unless already there,
// and reports whether it was new.
func (tx *Tx) AddPolicyText(ctx context.Context, digest, id string, text []byte) (bool, error) {
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

// Entries calls fn with each ledger leaf in order.
func (s *Store) Entries(ctx context.Context, fn func(index int64, data []byte) error) error {
	rows, err := s.r.QueryxContext(ctx, `SELECT idx, data FROM ledger_entry ORDER BY idx`)
	if err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	defer rows.Close()
	var want int64
	for rows.Next() {
		var (
			idx  int64
			data []byte
		)
		if err := rows.Scan(&idx, &data); err != nil {
			return fmt.Errorf("read ledger: %w", err)
		}
		if idx != want {
			return fmt.Errorf("read ledger: entry %d is missing", want)
		}
		want++
		if err := fn(idx, data); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read ledger: %w", err)
	}
	return nil
}

type queryer interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error)
}

func treeSize(ctx context.Context, q queryer) (int64, error) {
	var n int64
	if err := q.GetContext(ctx, &n, `SELECT coalesce(max(idx) + 1, 0) FROM ledger_entry`); err != nil {
		return 0, fmt.Errorf("read ledger size: %w", err)
	}
	return n, nil
}

type hashReader struct {
	ctx context.Context
	q   queryer
}

func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		var b []byte
		if err := r.q.GetContext(r.ctx, &b, `SELECT hash FROM tlog_hash WHERE idx = ?`, idx); err != nil {
			return nil, notFound(err, fmt.Sprintf("ledger hash %d", idx))
		}
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("ledger hash %d is corrupt", idx)
		}
		copy(out[i][:], b)
	}
	return out, nil
}
