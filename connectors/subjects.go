package connectors

import (
	"context"
	"time"
)

// SubjectSource is implemented by sources that say who the students and
// staff are: the school-system exports (Lectio, TEA/SkoleIntra, HR). The
// scheduler imports their subjects before planning, and rules that count
// from a subject event ("24 months after the student left") use them for
// every other source.
type SubjectSource interface {
	// LatestExport describes the export ReadSubjects would read now,
	// without reading it (Rows is zero), so that an export already
	// imported is not read again. It returns an error if there is none.
	LatestExport(ctx context.Context) (ExportInfo, error)
	// ReadSubjects reads the latest export and calls fn once per data row,
	// in file order. It returns an error, after which the caller must
	// discard every row it was given, when the export as a whole cannot be
	// trusted: it cannot be read, is in an encoding it does not declare,
	// lacks a mapped column, has a column nobody mapped, or ends in a row
	// that is cut short (a truncated file). A value that does not parse is
	// not such an error: the row carries it in Problems and the subject's
	// data is then kept and flagged, never deleted on its strength.
	//
	// If fn returns an error, ReadSubjects stops and returns it.
	ReadSubjects(ctx context.Context, fn func(SubjectRow) error) (ExportInfo, error)
}

// ExportInfo describes the export file ReadSubjects read.
type ExportInfo struct {
	// Ref is the file's ref in the source; Version its version when read.
	Ref     string
	Version string
	// Kind is the kind of subject the export lists: "student" or "staff".
	Kind string
	// Rows is the number of data rows read.
	Rows int
	// Modified is the file's modification time.
	Modified time.Time
}

// SubjectRow is one person in an export. Dates are calendar dates, given as
// midnight UTC of that day; a zero date means the column is empty (the
// event has not happened) or not mapped.
type SubjectRow struct {
	// Line is the row's line number in the file (the header is line 1 of
	// a CSV file, row 1 of a sheet), for messages.
	Line int
	// ID identifies the person within the export's system, as it appears
	// in folder names and holds (a student number, an employee number).
	ID    string
	Email string // lower case; empty when not mapped or empty

	Started, Left, Born time.Time
	// CaseClosed is when a pending case (work injury, lawsuit, labour
	// dispute) was closed.
	CaseClosed time.Time
	// PendingCase, Manager: nil when the export does not say.
	PendingCase *bool
	Manager     *bool

	// Problems lists values in the row that could not be read, in words
	// that name the column. A row with problems flags its subject.
	Problems []string
	// Missing lists facts every person has ("born", "started") whose
	// column the export maps but which are empty in this row: the rules
	// that count from them put the person's data up for review.
	Missing []string
}
