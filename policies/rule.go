package policies

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RuleKind says whether a rule sets a maximum or a minimum.
type RuleKind int

const (
	// DeleteAfter rules set a maximum: the data must go once the period has
	// passed ("all mail goes after 3 years").
	DeleteAfter RuleKind = iota + 1
	// RetainFor rules set a minimum the law requires ("bookkeeping is kept
	// 5 years"). When both kinds match an item, the minimum wins and the
	// conflict is reported.
	RetainFor
)

func (k RuleKind) String() string {
	switch k {
	case DeleteAfter:
		return "delete_after"
	case RetainFor:
		return "retain_for"
	}
	return fmt.Sprintf("RuleKind(%d)", int(k))
}

// Rule is one retention rule from a policy file.
type Rule struct {
	ID    string
	Title string
	Kind  RuleKind

	// Selection: an item matches when every non-empty selector matches.
	Sources   []string // configured source names
	ItemKinds []string // "file", "message", "recording", "record"
	Path      *Pattern // nil: any path
	Labels    []string // the item carries at least one of these labels

	// Subject, when set, names the capture of Path that identifies the
	// person the item is about, and what kind of person that is.
	Subject SubjectLink
	// OnlyIfEvent, when set, limits the rule to items whose subject has
	// that event: "3 years after the case closed" applies only to people
	// who had a case. Whether the subject has it must be known.
	OnlyIfEvent string
	// OnlyIfAfter, when set, limits the rule to items whose subject has
	// that event and whose anchor (before rounding) falls after it: Lectio's
	// "from the day the student turns 20" counts only for a 20th birthday
	// after the end date.
	OnlyIfAfter string

	// The period: Keep counted from From, rounded up to the end of
	// FromEndOf when set.
	From      Anchor
	FromEndOf Boundary
	Keep      Period
	// ByEndOf, when set, makes the rule due on the last day of that period
	// of the date it would otherwise give: "at the latest by the end of
	// the calendar year" is 31 December, not the first day after it.
	ByEndOf Boundary

	// Exemptions turn deletion into keeping or archiving. An applicable
	// exemption protects the item from every rule, not only this one: data
	// under archive duty must not be deleted by a broader rule either.
	Exemptions []Exemption

	// Workflow, carried for the scheduler; Evaluate ignores these.
	Approval   Approval
	Guard      Guard
	PruneEmpty bool   // remove folders this rule empties (below Path.Base)
	ArchiveTo  string // where archive exemptions move items, if any
	// OwnerNotice, when set, is how long before deletion the owner of an
	// item is told (FSRM-style): an item is deleted only once a notice
	// about its current version is that old, so that the owner can ask
	// for a hold.
	OwnerNotice Period
	// ReviewAfter is how long a rejection that names no date keeps a
	// batch's items before they are proposed again (review_after;
	// DefaultReviewAfter when not set).
	ReviewAfter Period
	// EscalateAfter is how long a batch may wait for approval before it is
	// offered to EscalateTo and the operators are told (escalate_after;
	// DefaultEscalateAfter when not set). A batch is never approved by
	// waiting.
	EscalateAfter Period
	// EscalateTo is the group that may approve a waiting stage of a batch
	// that waited longer than EscalateAfter; "" offers it to nobody else
	// (the operators are still told).
	EscalateTo string

	// Policy is the policy file the rule came from.
	Policy *Policy
}

// SubjectLink says which capture of a rule's path names the subject.
type SubjectLink struct {
	Kind    string // "student", "staff"
	Capture string
	// By is what the capture holds: "" for the subject's id, "email" for
	// an e-mail address (a mailbox). A rule linked by address applies only
	// to addresses the exports list: a shared mailbox is no person.
	By string
}

// IsZero reports whether no subject is linked.
func (l SubjectLink) IsZero() bool { return l == SubjectLink{} }

// Exemption is a typed condition under which a rule does not delete.
type Exemption struct {
	When Condition
	Then ExemptAction
	// Note explains the exemption in reasons ("archive duty: born on the
	// 1st of a month").
	Note string
}

// ExemptAction is what happens to an exempted item.
type ExemptAction int

const (
	// ExemptKeep keeps the item where it is.
	ExemptKeep ExemptAction = iota + 1
	// ExemptArchive moves the item to a restricted archive once the rule's
	// period has passed, instead of deleting it.
	ExemptArchive
)

func (a ExemptAction) String() string {
	switch a {
	case ExemptKeep:
		return "keep"
	case ExemptArchive:
		return "archive"
	}
	return ""
}

// ConditionKind enumerates the facts an exemption can test.
type ConditionKind int

const (
	// CondPath: the item's path matches Condition.Path.
	CondPath ConditionKind = iota + 1
	// CondLabel: the item carries Condition.Label.
	CondLabel
	// CondBornFirstOfMonth: the subject was born on the 1st of a month
	// (Danish archive duty for personnel files).
	CondBornFirstOfMonth
	// CondSubjectFlag: the subject has Condition.Flag set, e.g. "manager".
	CondSubjectFlag
)

// Condition is the test of an exemption.
type Condition struct {
	Kind  ConditionKind
	Path  *Pattern
	Label string
	Flag  string
}

// String describes c as written in policy files.
func (c Condition) String() string {
	switch c.Kind {
	case CondPath:
		return "path " + c.Path.String()
	case CondLabel:
		return "label " + c.Label
	case CondBornFirstOfMonth:
		return "subject born on the 1st of a month"
	case CondSubjectFlag:
		return "subject " + strings.ReplaceAll(c.Flag, "_", " ")
	}
	return "?"
}

func (c Condition) needsSubject() bool {
	return c.Kind == CondBornFirstOfMonth || c.Kind == CondSubjectFlag
}

// Approval is what a batch cut under a rule needs before it may be executed.
// No stages means the rule runs without approval (CCTV's 30 days are
// automatic by law).
type Approval struct {
	Stages []Stage
}

// Automatic reports whether no approval is needed.
func (a Approval) Automatic() bool { return len(a.Stages) == 0 }

// Stage is one step of approval: Count distinct approvers from Group.
// Stages are given in order; a later stage can only approve after the
// earlier ones are complete.
type Stage struct {
	Group string
	Count int
}

// Guard limits the blast radius of a batch: a batch larger than MaxItems,
// or more than MaxGrowth times the rule's previous executed batch (and at
// least MinItems), waits for an operator's confirmation.
type Guard struct {
	MaxItems  int
	MaxGrowth float64
	MinItems  int
}

// DefaultReviewAfter and DefaultEscalateAfter are used when a rule does
// not set review_after or escalate_after.
var (
	DefaultReviewAfter   = Period{Months: 6}
	DefaultEscalateAfter = Period{Days: 14}
)

// DefaultGuard is used when a rule does not set one.
var DefaultGuard = Guard{MaxGrowth: 10, MinItems: 100}

// Policy is one policy file: a set of rules with an identity and a digest of
// its exact text, which the ledger records with every deletion.
type Policy struct {
	ID     string
	Title  string
	File   string // for messages only
	Text   []byte
	Digest string // "sha256:<hex>" of Text
	Rules  []*Rule
}

// DigestOf returns the digest recorded for a policy text.
func DigestOf(text []byte) string {
	sum := sha256.Sum256(text)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Set is every policy in force, evaluated together.
type Set struct {
	Policies []*Policy
	Rules    []*Rule
	Location *time.Location
	byID     map[string]*Rule
}

// NewSet combines policies. Rule IDs must be unique across all of them.
func NewSet(loc *time.Location, policies ...*Policy) (*Set, error) {
	if loc == nil {
		return nil, fmt.Errorf("policy set needs a time zone")
	}
	s := &Set{Location: loc, byID: map[string]*Rule{}}
	ids := map[string]bool{}
	for _, p := range policies {
		if ids[p.ID] {
			return nil, fmt.Errorf("policy id %q is used by two policy files", p.ID)
		}
		ids[p.ID] = true
		s.Policies = append(s.Policies, p)
		for _, r := range p.Rules {
			if prev, dup := s.byID[r.ID]; dup {
				return nil, fmt.Errorf("rule id %q is defined in policy %q and again in %q", r.ID, prev.Policy.ID, p.ID)
			}
			r.Policy = p
			s.byID[r.ID] = r
			s.Rules = append(s.Rules, r)
		}
	}
	return s, nil
}

// Rule returns the rule with the given id, or nil.
func (s *Set) Rule(id string) *Rule { return s.byID[id] }

// Digest identifies the whole set: a digest over its policies' digests.
func (s *Set) Digest() string {
	var ds []string
	for _, p := range s.Policies {
		ds = append(ds, p.ID+"="+p.Digest)
	}
	slices.Sort(ds)
	return DigestOf([]byte(strings.Join(ds, "\n")))
}

// Today returns the policy date of now.
func (s *Set) Today(now time.Time) Date { return DateOf(now, s.Location) }

// ReceivedCutoff returns an instant such that no message of the source
// received at or after it can be due on today under any rule: connectors
// that can filter on receipt then list only older mail. It is
// conservative: a period counts as its shortest possible length, and two
// days of slack cover time zones. For a rule with owner_notice, mail that
// becomes due within the notice period (at its longest) is listed too, so
// that its owner is told ahead. ok is false when some delete_after rule
// that may select the source's messages counts from anything but
// item.received, so that every message must be listed.
func (s *Set) ReceivedCutoff(source string, today Date) (cutoff time.Time, ok bool) {
	found := false
	for _, r := range s.Rules {
		if r.Kind != DeleteAfter {
			continue // retain_for rules only ever keep
		}
		if len(r.Sources) > 0 && !slices.Contains(r.Sources, source) {
			continue
		}
		if len(r.ItemKinds) > 0 && !slices.Contains(r.ItemKinds, "message") {
			continue
		}
		if r.From.IsSubject() || r.From.Item != Received {
			return time.Time{}, false
		}
		p := r.Keep
		n := r.OwnerNotice
		days := p.Years*365 + p.Months*28 + p.Weeks*7 + p.Days - 2 - (n.Years*366 + n.Months*31 + n.Weeks*7 + n.Days)
		c := today.AddDays(-days)
		t := time.Date(c.Year, c.Month, c.Day, 0, 0, 0, 0, time.UTC)
		if !found || t.After(cutoff) {
			cutoff, found = t, true
		}
	}
	return cutoff, found
}

// dueFrom is the first day on which r makes an item due, counting from
// anchor.
func (r *Rule) dueFrom(anchor Date) Date {
	due := r.FromEndOf.After(anchor).Add(r.Keep)
	if r.ByEndOf != NoBoundary {
		due = r.ByEndOf.After(due).AddDays(-1)
	}
	return due
}
