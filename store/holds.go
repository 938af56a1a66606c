package store

import (
	"context"
	"fmt"
	"time"
)

// Hold is a stored hold; see policies.Hold for its meaning.
type Hold struct {
	ID         string  `db:"id"`
	Reason     string  `db:"reason"`
	Owner      string  `db:"owner"`
	Source     string  `db:"source"`
	Ref        string  `db:"ref"`
	Path       string  `db:"path"`
	Subject    string  `db:"subject"`
	Until      string  `db:"until"` // civil date, "" for none
	CreatedAt  Time    `db:"created_at"`
	ReleasedAt *Time   `db:"released_at"`
	ReleasedBy *string `db:"released_by"`
	// RecordedFrom and RecordedUntil (RFC 3339, "" for none) limit the
	// hold to recordings made in that window; Evidence marks footage kept
	// for the police, which is due at once when the hold is released.
	RecordedFrom  string `db:"recorded_from"`
	RecordedUntil string `db:"recorded_until"`
	Evidence      bool   `db:"evidence"`
}

// AddHold stores a new hold.
func (tx *Tx) AddHold(h Hold) error {
	ctx := tx.ctx
	_, err := tx.tx.NamedExecContext(ctx, `INSERT INTO hold(id, reason, owner, source, ref, path, subject, until, created_at,
			recorded_from, recorded_until, evidence)
		VALUES (:id, :reason, :owner, :source, :ref, :path, :subject, :until, :created_at,
			:recorded_from, :recorded_until, :evidence)`, &h)
	if err != nil {
		return fmt.Errorf("add hold: %w", err)
	}
	return nil
}

// ReleaseHold releases an active hold.
func (tx *Tx) ReleaseHold(id, by string, at time.Time) error {
	ctx := tx.ctx
	res, err := tx.tx.ExecContext(ctx, `UPDATE hold SET released_at = ?, released_by = ? WHERE id = ? AND released_at IS NULL`, Time{at}, by, id)
	if err != nil {
		return fmt.Errorf("release hold: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("hold %q: %w (or already released)", id, ErrNotFound)
	}
	return nil
}

// Holds returns the holds not released, oldest first; with all, released
// ones too.
func (s *Store) Holds(ctx context.Context, all bool) ([]Hold, error) {
	var hs []Hold
	if err := s.r.SelectContext(ctx, &hs, `SELECT * FROM hold WHERE ? OR released_at IS NULL ORDER BY created_at, id`, all); err != nil {
		return nil, fmt.Errorf("read holds: %w", err)
	}
	return hs, nil
}

// NextHoldID returns an unused hold id of the form H-<n>.
func (tx *Tx) NextHoldID() (string, error) {
	ctx := tx.ctx
	var n int64
	if err := tx.tx.GetContext(ctx, &n, `SELECT count(*) + 1 FROM hold`); err != nil {
		return "", fmt.Errorf("number hold: %w", err)
	}
	return fmt.Sprintf("H-%d", n), nil
}
