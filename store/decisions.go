package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Leaf is one ledger entry's stored bytes and its index.
type Leaf struct {
	Index int64  `db:"idx"`
	Data  []byte `db:"data"`
}

// DecisionEntries returns the ledger leaves that look like approval or
// rejection entries of batch, in ledger order, found through an index
// (migration 012) rather than by reading the ledger. It is a lookup, not
// evidence: the caller parses each leaf and proves it against a signed
// checkpoint.
func (s *Store) DecisionEntries(ctx context.Context, batch int64) ([]Leaf, error) {
	var ls []Leaf
	err := s.r.SelectContext(ctx, &ls, `SELECT idx, data FROM ledger_entry
		WHERE CAST(substr(data, 1, 19) AS TEXT) IN ('{"type":"approval",', '{"type":"rejection"')
		AND CAST(substr(CAST(data AS TEXT), instr(CAST(data AS TEXT), '"batch":') + 8) AS INTEGER) = ?
		ORDER BY idx`, batch)
	if err != nil {
		return nil, fmt.Errorf("read the ledger entries of batch %d: %w", batch, err)
	}
	return ls, nil
}

// LatestCheckpoint returns the stored checkpoint of the largest tree, and
// false if there is none.
func (s *Store) LatestCheckpoint(ctx context.Context) (Checkpoint, bool, error) {
	var c Checkpoint
	err := s.r.GetContext(ctx, &c, `SELECT * FROM checkpoint ORDER BY n DESC LIMIT 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("read the latest checkpoint: %w", err)
	}
	return c, true, nil
}

// LedgerResets returns the ledger leaves that begin like a
// ledger_started_over or ledger_rolled_back entry, in ledger order. It
// reads the whole ledger; it is called only when the ledger does not
// extend a checkpoint kept outside the database.
func (s *Store) LedgerResets(ctx context.Context) ([]Leaf, error) {
	var ls []Leaf
	err := s.r.SelectContext(ctx, &ls, `SELECT idx, data FROM ledger_entry
		WHERE CAST(substr(data, 1, 16) AS TEXT) = '{"type":"ledger_' ORDER BY idx`)
	if err != nil {
		return nil, fmt.Errorf("read the ledger's resets: %w", err)
	}
	return ls, nil
}

// FirstReference returns the first ledger leaf that holds a keyed
// reference ("h1:<key id>:…"), and false if none does. It reads the
// ledger from the start until it finds one.
func (s *Store) FirstReference(ctx context.Context) (Leaf, bool, error) {
	var ls []Leaf
	err := s.r.SelectContext(ctx, &ls, `SELECT idx, data FROM ledger_entry WHERE instr(CAST(data AS TEXT), '":"h1:') > 0 ORDER BY idx LIMIT 1`)
	if err != nil {
		return Leaf{}, false, fmt.Errorf("read the ledger's first reference: %w", err)
	}
	if len(ls) == 0 {
		return Leaf{}, false, nil
	}
	return ls[0], true, nil
}
