package store

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"math"

	"golang.org/x/mod/sumdb/tlog"
)

// hashChunk is how many stored hashes StoredHashes reads per query.
const hashChunk = 4096

// StoredHashes yields the ledger tree's stored hashes in index order, for
// ledger.Source.StoredHashes. A missing index, or a hash of the wrong
// length, is yielded as an error.
//
// It reads them in one read transaction (one snapshot of the database,
// taken at the first read) a chunk of hashChunk at a time, each chunk
// concatenated by SQLite into one value: a row per hash cost more in the
// driver than SQLite spends finding it. A chunk that is not exactly the
// hashes of its range, of the right length (a gap, a foreign row), and the
// last chunk, are read again a row at a time from the chunk's start, so
// that a fault is named as before.
func (s *Store) StoredHashes(ctx context.Context) iter.Seq2[tlog.Hash, error] {
	return func(yield func(tlog.Hash, error) bool) {
		fail := func(err error) { yield(tlog.Hash{}, fmt.Errorf("read ledger hashes: %w", err)) }
		conn, err := s.r.Conn(ctx)
		if err != nil {
			fail(err)
			return
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
			fail(err)
			return
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") //nolint:errcheck // a read transaction; nothing to undo
		var low sql.NullInt64
		if err := conn.QueryRowContext(ctx, `SELECT min(idx) FROM tlog_hash`).Scan(&low); err != nil {
			fail(err)
			return
		}
		want := int64(0)
		if !low.Valid || low.Int64 >= 0 {
			// The subquery's ORDER BY keeps SQLite from flattening it into
			// the aggregate, whose input is then in index order.
			chunk, err := conn.PrepareContext(ctx, `SELECT count(*), coalesce(min(idx), -1), coalesce(max(idx), -1), coalesce(sum(length(hash) = 32), 0), group_concat(hash, '')
				FROM (SELECT idx, hash FROM tlog_hash WHERE idx >= ? AND idx < ? ORDER BY idx)`)
			if err != nil {
				fail(err)
				return
			}
			defer chunk.Close()
			var (
				n, first, last, full int64
				cat                  []byte
			)
			for {
				if err := chunk.QueryRowContext(ctx, want, want+hashChunk).Scan(&n, &first, &last, &full, &cat); err != nil {
					fail(err)
					return
				}
				if n != hashChunk || first != want || last != want+hashChunk-1 || full != n || len(cat) != hashChunk*tlog.HashSize {
					break // the last chunk, or one to read a row at a time
				}
				for k := 0; k < hashChunk; k++ {
					if !yield(tlog.Hash(cat[k*tlog.HashSize:(k+1)*tlog.HashSize]), nil) {
						return
					}
				}
				want += hashChunk
			}
		}
		from := want
		if low.Valid && low.Int64 < 0 {
			from = math.MinInt64 // read the foreign rows too, to name them
		}
		rows, err := conn.QueryContext(ctx, `SELECT idx, hash FROM tlog_hash WHERE idx >= ? ORDER BY idx`, from)
		if err != nil {
			fail(err)
			return
		}
		defer rows.Close()
		var (
			idx int64
			b   []byte
		)
		for rows.Next() {
			if err := rows.Scan(&idx, &b); err != nil {
				fail(err)
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
			fail(err)
		}
	}
}
