// Package summary makes the human summary of a ledger export: counts per
// rule and month of what was deleted, already gone, failed or held, the
// batches and who approved them, holds and policy versions, as CSV and as a
// PDF report a data protection officer can attach to the annual review.
//
// The summary is not evidence: it is computed from the signed entries,
// which are. It holds no references to items, folders or subjects, only
// counts, rule and batch numbers and the ids of the people who acted.
package summary

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/retentiond/retentiond/store/ledger"
)

// Key is a rule in a month.
type Key struct {
	Policy string // policy id
	Rule   string
	Month  string // YYYY-MM in the summary's time zone
}

// Row counts the deletion entries of one rule in one month.
type Row struct {
	Key
	Deleted     int64
	Absent      int64 // already gone
	Failed      int64
	Held        int64 // kept by the system itself (e.g. a litigation hold)
	SkippedHold int64 // kept because of a retentiond hold
	Changed     int64 // changed since planned; not touched
	NotDue      int64 // no longer due at execution
	Archived    int64
	Bytes       int64 // size of what was deleted
	Codes       map[string]int64
	Batches     int64 // batches of this rule executed this month
}

// Batch is one batch and what happened to it.
type Batch struct {
	ID        int64
	Policy    string
	Rule      string
	Source    string
	Items     int64
	Bytes     int64
	Planned   time.Time
	Planner   string
	Approvals []Approval
	Rejected  string // who, or "superseded"; "" if not rejected
	Executed  time.Time
	Deleted   int64
}

// Approval is one approval of a batch.
type Approval struct {
	By        string // person id; "" for an automatic approval
	Stage     int
	At        time.Time
	Automatic bool
}

// Event is a hold, a policy version or a key rotation.
type Event struct {
	At   time.Time
	What string
}

// Summary accumulates entries. Its memory grows with rules × months and
// batches, not with entries.
type Summary struct {
	loc     *time.Location
	rows    map[Key]*Row
	batches map[int64]*Batch
	events  []Event
	entries int64
}

// New returns an empty summary whose months are in loc (UTC if nil).
func New(loc *time.Location) *Summary {
	if loc == nil {
		loc = time.UTC
	}
	return &Summary{loc: loc, rows: map[Key]*Row{}, batches: map[int64]*Batch{}}
}

// Add counts an entry; entries come in ledger order.
func (s *Summary) Add(_ int64, e ledger.Entry) {
	s.entries++
	at := e.Time.In(s.loc)
	switch e.Type {
	case ledger.TypeDeletion:
		r := s.row(Key{Policy: e.Policy, Rule: e.Rule, Month: at.Format("2006-01")})
		switch e.Outcome {
		case "deleted":
			r.Deleted++
			r.Bytes += e.Size
		case "absent":
			r.Absent++
		case "failed":
			r.Failed++
		case "held":
			r.Held++
		case "skipped_hold":
			r.SkippedHold++
		case "changed":
			r.Changed++
		case "not_due":
			r.NotDue++
		case "archived":
			r.Archived++
		}
		if e.Code != "" {
			r.Codes[e.Code]++
		}
		if b := s.batches[e.Batch]; b != nil && e.Outcome == "deleted" {
			b.Deleted++
		}
	case ledger.TypeBatch:
		s.batches[e.Batch] = &Batch{ID: e.Batch, Policy: e.Policy, Rule: e.Rule, Source: e.Source, Items: e.Items, Bytes: e.Size,
			Planned: at, Planner: e.Actor}
	case ledger.TypeApproval:
		if b := s.batch(e); b != nil {
			b.Approvals = append(b.Approvals, Approval{By: e.Actor, Stage: e.Stage, At: at, Automatic: e.Actor == ""})
		}
	case ledger.TypeRejection:
		if b := s.batch(e); b != nil {
			b.Rejected = e.Actor
			if b.Rejected == "" {
				b.Rejected = "superseded"
			}
		}
	case ledger.TypeExecutionFinished:
		if b := s.batch(e); b != nil {
			b.Executed = at
			s.row(Key{Policy: b.Policy, Rule: b.Rule, Month: at.Format("2006-01")}).Batches++
		}
	case ledger.TypeHoldAdded:
		s.events = append(s.events, Event{at, "hold " + e.Hold + " placed by " + e.Actor})
	case ledger.TypeHoldReleased:
		s.events = append(s.events, Event{at, "hold " + e.Hold + " released by " + e.Actor})
	case ledger.TypePolicy:
		s.events = append(s.events, Event{at, "policy " + e.Policy + " version " + shortDigest(e.PolicyDigest) + " in force"})
	case ledger.TypeKeyRotation:
		s.events = append(s.events, Event{at, strings.ReplaceAll(e.Method, "_", " ") + " rotated by " + e.Actor})
	}
}

func (s *Summary) batch(e ledger.Entry) *Batch { return s.batches[e.Batch] }

func (s *Summary) row(k Key) *Row {
	r, ok := s.rows[k]
	if !ok {
		r = &Row{Key: k, Codes: map[string]int64{}}
		s.rows[k] = r
	}
	return r
}

// Rows returns the counts sorted by policy, rule and month.
func (s *Summary) Rows() []Row {
	out := make([]Row, 0, len(s.rows))
	for _, r := range s.rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Month, b.Month))
	})
	return out
}

// Batches returns the batches by number.
func (s *Summary) Batches() []Batch {
	out := make([]Batch, 0, len(s.batches))
	for _, b := range s.batches {
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b Batch) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Events returns holds, policy versions and key rotations in ledger order.
func (s *Summary) Events() []Event { return slices.Clone(s.events) }

func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}
