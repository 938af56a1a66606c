package policies

import (
	"slices"
	"time"
)

// Item is what the engine knows about one item: the facts a connector
// reported, in connector-neutral terms.
type Item struct {
	Source string // configured source name
	Kind   string // "file", "message", "recording", or "record": one category of a person's data in a system without a deletion API (Lectio), for deletion instructions
	Ref    string // the connector's ref; holds can name it
	Path   string // '/'-separated path that rules match against
	Size   int64
	Labels []string

	// The item's own dates; zero when unknown.
	Modified, Created, Received, Recorded time.Time
	// RecordedFrom says where Recorded came from, as a phrase for reasons:
	// "from the file name", "from the modification time: the name has no
	// time".
	RecordedFrom string
}

func (it *Item) date(d ItemDate) time.Time {
	switch d {
	case Modified:
		return it.Modified
	case Created:
		return it.Created
	case Received:
		return it.Received
	case Recorded:
		return it.Recorded
	}
	return time.Time{}
}

// Subject is what the school-system exports say about one person.
type Subject struct {
	// Events by name: "left", "started", "born", "case_closed". An event
	// that is absent has not happened (a student who has not left has no
	// "left" event).
	Events map[string]Date
	// Flags by name: "manager", "pending_case". A flag that is absent is
	// unknown, not false.
	Flags map[string]bool
	// Problem, when set, says why this subject's facts cannot be trusted
	// (a date that did not parse, conflicting rows). Nothing about the
	// subject is then deleted; items are flagged for review.
	Problem string
}

// Subjects finds subjects by kind and id. Implementations come from the
// school-system exports.
type Subjects interface {
	Lookup(kind, id string) (Subject, bool)
}

// EmailSubjects is implemented by Subjects that can also find a person by
// e-mail address, for rules linked by address (mailboxes).
type EmailSubjects interface {
	// ByEmail returns the "kind:id" of the one person with the address.
	ByEmail(addr string) (string, bool)
}

// Hold keeps items regardless of any rule: litigation, police evidence, an
// open access request. A hold matches an item when every non-empty scope
// field matches it.
type Hold struct {
	ID     string
	Reason string
	Owner  string

	// Scope.
	Source  string   // source name
	Ref     string   // exactly this item
	Path    *Pattern // items whose path matches
	Subject string   // "kind:id": items linked to this subject

	// Until, when set, is the first day on which the hold no longer applies.
	Until Date

	// RecordedFrom and RecordedUntil, when set, limit the hold to items
	// recorded in [RecordedFrom, RecordedUntil): footage of an incident.
	// An item whose recording time is unknown is covered.
	RecordedFrom, RecordedUntil time.Time
	// Evidence marks footage kept for the police (RULES.md C1a). Once
	// released (handed over), what it covered is due at once: Released is
	// the day of release, and such holds are passed in Env.Released.
	Evidence bool
	Released Date
}

// ActiveOn reports whether h applies on day.
func (h *Hold) ActiveOn(day Date) bool { return h.Until.IsZero() || day.Before(h.Until) }

// Matches reports whether h covers it, an item linked to the given
// subjects ("kind:id"); it does not check whether h is active. Paths and
// subjects are compared in Unicode NFC (a hold typed "Fratrådte/**" covers
// a folder a macOS client wrote with a decomposed å); Ref is compared
// byte for byte, as the connector reported it.
func (h *Hold) Matches(it *Item, subjects []string) bool {
	if h.Source != "" && h.Source != it.Source {
		return false
	}
	if h.Ref != "" && h.Ref != it.Ref {
		return false
	}
	if h.Path != nil && !h.Path.Matches(it.Path) {
		return false
	}
	if h.Subject != "" && !slices.ContainsFunc(subjects, func(s string) bool { return nfc(s) == nfc(h.Subject) }) {
		return false
	}
	if !it.Recorded.IsZero() && (!h.RecordedFrom.IsZero() && it.Recorded.Before(h.RecordedFrom) || !h.RecordedUntil.IsZero() && !it.Recorded.Before(h.RecordedUntil)) {
		return false
	}
	return h.Ref != "" || h.Path != nil || h.Subject != "" || h.Source != ""
}

// Env is everything besides the item that a decision depends on.
type Env struct {
	// Today is the date decisions are made for: normally the policy date of
	// the clock, or a date the user asks about ("what will be due on
	// 1 August?").
	Today Date
	// Subjects may be nil when no school-system export is configured; rules
	// that count from subject events then flag their items for review.
	Subjects Subjects
	// Holds in force; inactive ones are ignored.
	Holds []*Hold
	// Released are evidence holds released (footage handed to the
	// police): deletion rules make what they covered due at once.
	Released []*Hold
}
