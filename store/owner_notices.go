package store

import (
	"context"
	"fmt"
)

// OwnerNotice is the notice to the owner of one item that a rule with
// owner_notice will delete.
type OwnerNotice struct {
	Source    string `db:"source"`
	Ref       string `db:"ref"`
	Version   string `db:"version"`
	Rule      string `db:"rule"`
	Due       string `db:"due"`   // yyyy-mm-dd
	Owner     string `db:"owner"` // account name; "" when unknown
	Email     string `db:"email"` // "" sends the notice to the operators
	FoundAt   Time   `db:"found_at"`
	NoticedAt *Time  `db:"noticed_at"`
}

// OwnerNotices returns the notices of source, by ref.
func (s *Store) OwnerNotices(ctx context.Context, source string) (map[string]OwnerNotice, error) {
	var ns []OwnerNotice
	if err := s.r.SelectContext(ctx, &ns, `SELECT * FROM owner_notice WHERE source = ?`, source); err != nil {
		return nil, fmt.Errorf("read owner notices of %s: %w", source, err)
	}
	out := make(map[string]OwnerNotice, len(ns))
	for _, n := range ns {
		out[n.Ref] = n
	}
	return out, nil
}

// PendingOwnerNotices returns the notices not sent yet, by address, source
// and ref.
func (s *Store) PendingOwnerNotices(ctx context.Context) ([]OwnerNotice, error) {
	var ns []OwnerNotice
	if err := s.r.SelectContext(ctx, &ns, `SELECT * FROM owner_notice WHERE noticed_at IS NULL
		ORDER BY email, source, ref`); err != nil {
		return nil, fmt.Errorf("read pending owner notices: %w", err)
	}
	return ns, nil
}

// SyncOwnerNotices records what a plan of source found: each notice is
// added, or updated where its item is known. A notice already sent stays
// sent while the item keeps its version; a new version starts over. With
// complete set (the plan listed the whole source), the notices of source
// that found does not name are removed: their items are gone, changed
// out of the rule, or held.
func (s *Store) SyncOwnerNotices(ctx context.Context, source string, found []OwnerNotice, complete bool) error {
	return s.Write(ctx, func(tx *Tx) error {
		for i := range found {
			n := &found[i]
			if n.Source != source {
				return fmt.Errorf("record owner notice: %s is not of source %s", n.Ref, source)
			}
			if _, err := tx.tx.NamedExecContext(ctx, `INSERT INTO owner_notice(source, ref, version, rule, due, owner, email, found_at)
				VALUES (:source, :ref, :version, :rule, :due, :owner, :email, :found_at)
				ON CONFLICT(source, ref) DO UPDATE SET
					noticed_at = CASE WHEN version = excluded.version THEN noticed_at END,
					found_at = CASE WHEN version = excluded.version THEN found_at ELSE excluded.found_at END,
					version = excluded.version, rule = excluded.rule, due = excluded.due,
					owner = excluded.owner, email = excluded.email`, n); err != nil {
				return fmt.Errorf("record owner notice: %w", err)
			}
		}
		if !complete {
			return nil
		}
		var refs []string
		if err := tx.tx.SelectContext(ctx, &refs, `SELECT ref FROM owner_notice WHERE source = ?`, source); err != nil {
			return fmt.Errorf("read owner notices of %s: %w", source, err)
		}
		keep := make(map[string]bool, len(found))
		for _, n := range found {
			keep[n.Ref] = true
		}
		for _, ref := range refs {
			if keep[ref] {
				continue
			}
			if _, err := tx.tx.ExecContext(ctx, `DELETE FROM owner_notice WHERE source = ? AND ref = ?`, source, ref); err != nil {
				return fmt.Errorf("remove owner notice: %w", err)
			}
		}
		return nil
	})
}

// MarkOwnerNoticed records that the notices were sent at t, and returns
// those it marked: a notice whose item has since changed version, or that
// was marked before, is left as it is.
func (tx *Tx) MarkOwnerNoticed(ns []OwnerNotice, t Time) ([]OwnerNotice, error) {
	ctx := tx.ctx
	var marked []OwnerNotice
	for _, n := range ns {
		res, err := tx.tx.ExecContext(ctx, `UPDATE owner_notice SET noticed_at = ?
			WHERE source = ? AND ref = ? AND version = ? AND noticed_at IS NULL`, t, n.Source, n.Ref, n.Version)
		if err != nil {
			return nil, fmt.Errorf("record owner notice sent: %w", err)
		}
		if k, err := res.RowsAffected(); err != nil {
			return nil, fmt.Errorf("record owner notice sent: %w", err)
		} else if k == 1 {
			n.NoticedAt = &t
			marked = append(marked, n)
		}
	}
	return marked, nil
}

// OwnerNoticeCount is how many notices of a source and rule are sent or
// not yet sent.
type OwnerNoticeCount struct {
	Source string `db:"source"`
	Rule   string `db:"rule"`
	Sent   bool   `db:"sent"`
	N      int64  `db:"n"`
}

// OwnerNoticeCounts counts the notices recorded, by source, rule and
// whether they were sent.
func (s *Store) OwnerNoticeCounts(ctx context.Context) ([]OwnerNoticeCount, error) {
	var cs []OwnerNoticeCount
	if err := s.r.SelectContext(ctx, &cs, `SELECT source, rule, noticed_at IS NOT NULL AS sent, count(*) AS n
		FROM owner_notice GROUP BY source, rule, sent ORDER BY source, rule, sent`); err != nil {
		return nil, fmt.Errorf("count owner notices: %w", err)
	}
	return cs, nil
}
