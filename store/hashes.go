package store

import (
	"context"
	"fmt"
	"iter"

	"golang.org/x/mod/sumdb/tlog"
)

// StoredHashes yields the ledger tree's stored hashes in index order, for
// ledger.Source.StoredHashes. A missing index, or a hash of the wrong
// length, is yielded as an error.
func (s *Store) StoredHashes(ctx context.Context) iter.Seq2[tlog.Hash, error] {
	return func(yield func(tlog.Hash, error) bool) {
		rows, err := s.r.QueryContext(ctx, `SELECT idx, hash FROM tlog_hash ORDER BY idx`)
		if err != nil {
			yield(tlog.Hash{}, fmt.Errorf("read ledger hashes: %w", err))
			return
		}
		defer rows.Close()
		var (
			want int64
			idx  int64
			b    []byte
		)
		for rows.Next() {
			if err := rows.Scan(&idx, &b); err != nil {
				yield(tlog.Hash{}, fmt.Errorf("read ledger hashes: %w", err))
				return
			}
			if idx != want {
				yield(tlog.Hash{}, fmt.Errorf("ledger hash %d is missing (the next stored is %d)", want, idx))
				return
			}
			if len(b) != tlog.HashSize {
				yield(tlog.Hash{}, fmt.Errorf("ledger hash %d is %d bytes, not %d", idx, len(b), tlog.HashSize))
				return
			}
			want++
			if !yield(tlog.Hash(b), nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(tlog.Hash{}, fmt.Errorf("read ledger hashes: %w", err))
		}
	}
}
