package store

import (
	"context"
	"fmt"
	"strings"
)

// EntriesMentioning calls fn, in ledger order, with every ledger entry whose
// bytes contain one of refs (references are fixed-length tokens, so this
// finds exactly the entries that carry them in some field). Callers parse
// the entries to see which field.
func (s *Store) EntriesMentioning(ctx context.Context, refs []string, fn func(index int64, data []byte) error) error {
	if len(refs) == 0 {
		return nil
	}
	conds := make([]string, len(refs))
	args := make([]any, len(refs))
	for i, r := range refs {
		conds[i] = "instr(data, ?) > 0"
		args[i] = []byte(r)
	}
	rows, err := s.r.QueryxContext(ctx, `SELECT idx, data FROM ledger_entry WHERE `+strings.Join(conds, " OR ")+` ORDER BY idx`, args...)
	if err != nil {
		return fmt.Errorf("search ledger: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			idx  int64
			data []byte
		)
		if err := rows.Scan(&idx, &data); err != nil {
			return fmt.Errorf("search ledger: %w", err)
		}
		if err := fn(idx, data); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("search ledger: %w", err)
	}
	return nil
}
