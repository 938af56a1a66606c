package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// Subject is what the latest applied export of a source says about one
// person. Dates are civil dates ("2026-07-31"), "" when absent.
type Subject struct {
	Source      string `db:"source"`
	Kind        string `db:"kind"`
	ID          string `db:"id"`
	Email       string `db:"email"`
	Started     string `db:"started"`
	Left        string `db:"left_on"`
	Born        string `db:"born"`
	CaseClosed  string `db:"case_closed"`
	PendingCase *bool  `db:"pending_case"`
	Manager     *bool  `db:"manager"`
	// Problem says why the facts cannot be trusted; "" if they can.
	Problem string `db:"problem"`
	// ImportID is the last import that listed the person; MissingSince,
	// when set, the first import that no longer did.
	ImportID     int64  `db:"import_id"`
	MissingSince *int64 `db:"missing_since"`
}

// Key is "kind:id".
func (s *Subject) Key() string { return s.Kind + ":" + s.ID }

// SubjectImport is one attempt to import an export.
type SubjectImport struct {
	ID         int64  `db:"id"`
	Source     string `db:"source"`
	Kind       string `db:"kind"`
	File       string `db:"file"`
	Version    string `db:"version"`
	Rows       int64  `db:"rows"`
	ImportedAt Time   `db:"imported_at"`
	Status     string `db:"status"` // applied, refused
	Note       string `db:"note"`
}

// Import statuses.
const (
	ImportApplied = "applied"
	ImportRefused = "refused"
)

// SubjectChange is one field of one person changed by an import.
type SubjectChange struct {
	ImportID   int64  `db:"import_id"`
	ImportedAt Time   `db:"imported_at"`
	File       string `db:"file"`
	Source     string `db:"source"`
	Kind       string `db:"kind"`
	ID         string `db:"id"`
	Field      string `db:"field"`
	Old        string `db:"old"`
	New        string `db:"new"`
}

// ImportStats counts what an applied import did.
type ImportStats struct {
	Added, Changed, Unchanged, Missing, Returned int
}

// LastImport returns the source's latest import with the given status
// ("" for any), or ErrNotFound.
func (s *Store) LastImport(ctx context.Context, source, status string) (SubjectImport, error) {
	var imp SubjectImport
	err := s.r.GetContext(ctx, &imp, `SELECT * FROM subject_import WHERE source = ? AND (? = '' OR status = ?) ORDER BY id DESC LIMIT 1`, source, status, status)
	if err != nil {
		return imp, notFound(err, "import of "+source)
	}
	return imp, nil
}

// LastAppliedImportID returns the id of the latest applied import, 0 if
// none: the stored facts about people change only with it.
func (s *Store) LastAppliedImportID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.r.GetContext(ctx, &id, `SELECT coalesce(max(id), 0) FROM subject_import WHERE status = 'applied'`); err != nil {
		return 0, fmt.Errorf("read imports: %w", err)
	}
	return id, nil
}

// Imports returns every import, newest first.
func (s *Store) Imports(ctx context.Context) ([]SubjectImport, error) {
	var imps []SubjectImport
	if err := s.r.SelectContext(ctx, &imps, `SELECT * FROM subject_import ORDER BY id DESC`); err != nil {
		return nil, fmt.Errorf("read imports: %w", err)
	}
	return imps, nil
}

// RefuseImport records an import that was not applied, and why.
func (tx *Tx) RefuseImport(imp SubjectImport) (int64, error) {
	imp.Status = ImportRefused
	return tx.addImport(imp)
}

func (tx *Tx) addImport(imp SubjectImport) (int64, error) {
	ctx := tx.ctx
	res, err := tx.tx.NamedExecContext(ctx, `INSERT INTO subject_import(source, kind, file, version, rows, imported_at, status, note)
		VALUES (:source, :kind, :file, :version, :rows, :imported_at, :status, :note)`, &imp)
	if err != nil {
		return 0, fmt.Errorf("record import: %w", err)
	}
	return res.LastInsertId()
}

// ApplyImport makes subjects the source's current facts: people not in
// subjects keep their last facts and are marked missing, changes are
// recorded field by field. subjects must not repeat a (kind, id).
func (tx *Tx) ApplyImport(imp SubjectImport, subjects []Subject) (int64, ImportStats, error) {
	ctx := tx.ctx
	var st ImportStats
	imp.Status = ImportApplied
	id, err := tx.addImport(imp)
	if err != nil {
		return 0, st, err
	}
	var old []Subject
	if err := tx.tx.SelectContext(ctx, &old, `SELECT * FROM subject WHERE source = ?`, imp.Source); err != nil {
		return 0, st, fmt.Errorf("read subjects of %s: %w", imp.Source, err)
	}
	prev := make(map[string]*Subject, len(old))
	for i := range old {
		prev[old[i].Key()] = &old[i]
	}
	upsert, err := tx.tx.PrepareNamedContext(ctx, `INSERT INTO subject(source, kind, id, email, started, left_on, born, case_closed, pending_case, manager, problem, import_id, missing_since)
		VALUES (:source, :kind, :id, :email, :started, :left_on, :born, :case_closed, :pending_case, :manager, :problem, :import_id, :missing_since)
		ON CONFLICT (source, kind, id) DO UPDATE SET email = excluded.email, started = excluded.started, left_on = excluded.left_on,
			born = excluded.born, case_closed = excluded.case_closed, pending_case = excluded.pending_case, manager = excluded.manager,
			problem = excluded.problem, import_id = excluded.import_id, missing_since = excluded.missing_since`)
	if err != nil {
		return 0, st, fmt.Errorf("prepare subject upsert: %w", err)
	}
	defer upsert.Close()
	change, err := tx.tx.PrepareContext(ctx, `INSERT INTO subject_change(import_id, source, kind, id, field, old, new) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, st, fmt.Errorf("prepare subject change: %w", err)
	}
	defer change.Close()
	record := func(s *Subject, field, o, n string) error {
		if o == n {
			return nil
		}
		if _, err := change.ExecContext(ctx, id, s.Source, s.Kind, s.ID, field, o, n); err != nil {
			return fmt.Errorf("record change of %s: %w", s.Key(), err)
		}
		return nil
	}
	for i := range subjects {
		s := &subjects[i]
		s.Source, s.ImportID, s.MissingSince = imp.Source, id, nil
		p, known := prev[s.Key()]
		delete(prev, s.Key())
		switch {
		case !known:
			st.Added++
			if err := record(s, "listed", "", "yes"); err != nil {
				return 0, st, err
			}
		default:
			n := 0
			for _, f := range subjectFields(p, s) {
				if f.old != f.new {
					n++
					if err := record(s, f.name, f.old, f.new); err != nil {
						return 0, st, err
					}
				}
			}
			switch {
			case p.MissingSince != nil:
				st.Returned++
				if err := record(s, "listed", "no", "yes"); err != nil {
					return 0, st, err
				}
			case n > 0:
				st.Changed++
			default:
				st.Unchanged++
			}
		}
		if _, err := upsert.ExecContext(ctx, s); err != nil {
			return 0, st, fmt.Errorf("store subject %s: %w", s.Key(), err)
		}
	}
	for _, p := range prev {
		if p.MissingSince != nil {
			continue
		}
		st.Missing++
		if _, err := tx.tx.ExecContext(ctx, `UPDATE subject SET missing_since = ? WHERE source = ? AND kind = ? AND id = ?`, id, p.Source, p.Kind, p.ID); err != nil {
			return 0, st, fmt.Errorf("mark %s missing: %w", p.Key(), err)
		}
		if err := record(p, "listed", "yes", "no"); err != nil {
			return 0, st, err
		}
	}
	return id, st, nil
}

type fieldChange struct{ name, old, new string }

func subjectFields(o, n *Subject) []fieldChange {
	return []fieldChange{
		{"email", o.Email, n.Email}, {"started", o.Started, n.Started}, {"left", o.Left, n.Left},
		{"born", o.Born, n.Born}, {"case_closed", o.CaseClosed, n.CaseClosed},
		{"pending_case", tri(o.PendingCase), tri(n.PendingCase)}, {"manager", tri(o.Manager), tri(n.Manager)},
		{"problem", o.Problem, n.Problem},
	}
}

func tri(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}

// Subjects calls fn for every stored person, ordered by kind, id and
// source.
func (s *Store) Subjects(ctx context.Context, fn func(Subject) error) error {
	rows, err := s.r.QueryxContext(ctx, `SELECT * FROM subject ORDER BY kind, id, source`)
	if err != nil {
		return fmt.Errorf("read subjects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sj Subject
		if err := rows.StructScan(&sj); err != nil {
			return fmt.Errorf("read subject: %w", err)
		}
		if err := fn(sj); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read subjects: %w", err)
	}
	return nil
}

// SubjectCount returns the number of stored rows of people (a person listed
// by several sources has a row for each).
func (s *Store) SubjectCount(ctx context.Context) (int, error) {
	var n int
	if err := s.r.GetContext(ctx, &n, `SELECT count(*) FROM subject`); err != nil {
		return 0, fmt.Errorf("count subjects: %w", err)
	}
	return n, nil
}

// SubjectsByKey returns the stored rows for one person ("kind:id"), one per
// source, or by e-mail address when key contains '@'.
func (s *Store) SubjectsByKey(ctx context.Context, kind, id string) ([]Subject, error) {
	var ss []Subject
	err := s.r.SelectContext(ctx, &ss, `SELECT * FROM subject WHERE kind = ? AND id = ? ORDER BY source`, kind, id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read subject %s:%s: %w", kind, id, err)
	}
	return ss, nil
}

// SubjectHistory returns the changes imports made to one person, oldest
// first.
func (s *Store) SubjectHistory(ctx context.Context, kind, id string) ([]SubjectChange, error) {
	var cs []SubjectChange
	err := s.r.SelectContext(ctx, &cs, `SELECT c.import_id, i.imported_at, i.file, c.source, c.kind, c.id, c.field, c.old, c.new
		FROM subject_change c JOIN subject_import i ON i.id = c.import_id
		WHERE c.kind = ? AND c.id = ? ORDER BY c.import_id, c.rowid`, kind, id)
	if err != nil {
		return nil, fmt.Errorf("read history of %s:%s: %w", kind, id, err)
	}
	return cs, nil
}
