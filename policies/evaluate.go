package policies

import (
	"fmt"
	"slices"
	"strings"
)

// Verdict is what should happen to an item today.
type Verdict int

const (
	// Keep: nothing is due (not yet, or never under the rules that match).
	Keep Verdict = iota
	// Due: the item must be deleted.
	Due
	// Archive: an exemption says the item goes to a restricted archive
	// instead of being deleted, and that is now due.
	Archive
	// Review: a rule might make the item due, but a fact it needs is
	// unknown. The item is kept and flagged for a person to look at.
	Review
	// Held: the item would be due or flagged, but a hold keeps it.
	Held
)

var verdictNames = [...]string{Keep: "keep", Due: "due", Archive: "archive", Review: "review", Held: "held"}

func (v Verdict) String() string {
	if v >= 0 && int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// ParseVerdict is the inverse of Verdict.String.
func ParseVerdict(s string) (Verdict, bool) {
	for v, name := range verdictNames {
		if name == s {
			return Verdict(v), true
		}
	}
	return 0, false
}

// Decision is the engine's answer for one item, with everything needed to
// explain it. Reason renders it for people; the fields are recorded.
type Decision struct {
	Verdict Verdict
	Today   Date

	// Rule is the rule the verdict rests on; nil when no rule matched.
	Rule *Rule
	// Subject is "kind:id" of the subject Rule links the item to, if any.
	Subject string
	// Anchor is the date Rule counts from (before rounding), and Due the
	// first day on which the item may go; zero when it never will.
	Anchor Date
	Due    Date
	// RecordedFrom is where the recording time came from, for item.recorded.
	RecordedFrom string

	// Retain and RetainUntil are set when a retention minimum keeps the
	// item past Rule's deletion date (a reported conflict) or keeps it
	// although no rule deletes it. RetainForever is set when that minimum
	// has not started running (its event has not happened).
	Retain        *Rule
	RetainUntil   Date
	RetainForever bool
	// DeleteDue is what Rule alone would have given when Retain postponed it.
	DeleteDue Date

	// Exemption, with the rule it belongs to, when one applies.
	Exemption  *Exemption
	ExemptRule *Rule

	// Unknown explains the missing fact behind a Review verdict, or a rule
	// that could not be evaluated while another rule decided.
	Unknown     string
	UnknownRule *Rule

	// Hold is the hold that applies, if any.
	Hold *Hold
	// HandedOver is the released evidence hold that made the item due
	// before its rule's date: the footage was handed to the police.
	HandedOver *Hold

	// Never is set when Rule matches but its event has not happened (a
	// student who has not left).
	Never string

	// InArchive is the archive folder the item is in, if any: archived
	// data is kept and no rule applies to it.
	InArchive string
}

// Conflict reports whether a deletion rule and a retention minimum
// disagreed about this item.
func (d *Decision) Conflict() bool {
	return d.Retain != nil && d.Rule != nil && d.Rule.Kind == DeleteAfter
}

// ruleEval is one matching rule's view of an item.
type ruleEval struct {
	rule    *Rule
	subject string // "kind:id"
	anchor  Date
	due     Date
	never   string // the anchor event has not happened: why
	unknown string // the anchor could not be determined: why

	exempt        *Exemption
	exemptUnknown string

	skip bool // the subject lacks the rule's OnlyIfEvent: the rule does not apply
}

// maxMatches bounds the matching rules kept on the stack for one item; more
// spill to the heap.
const maxMatches = 8

// Evaluate decides what should happen to it on env.Today. It is pure: the
// same item, environment and policies always give the same decision.
func (s *Set) Evaluate(it *Item, env *Env) Decision {
	for _, r := range s.Rules {
		// The archive is where data under archive duty goes to be kept:
		// no rule selects what is in it, or the archived copy would be
		// archived again.
		if r.ArchiveTo != "" && inFolder(it.Path, r.ArchiveTo) && (len(r.Sources) == 0 || slices.Contains(r.Sources, it.Source)) {
			return Decision{Verdict: Keep, Today: env.Today, InArchive: r.ArchiveTo}
		}
	}
	var buf [maxMatches]ruleEval
	evals := buf[:0]
	for _, r := range s.Rules {
		captures, ok := r.selects(it)
		if !ok {
			continue
		}
		if e := s.evalRule(r, it, env, captures); !e.skip {
			evals = append(evals, e)
		}
	}
	d := combine(evals, env.Today)
	d.Today = env.Today
	if d.Rule != nil && d.Rule.From.Item == Recorded {
		d.RecordedFrom = it.RecordedFrom
	}
	if h := findHold(env, it, evals); h != nil {
		d.Hold = h
		if d.Verdict != Keep {
			d.Verdict = Held
		}
		return d
	}
	if d.Verdict == Keep && d.Rule != nil && d.Rule.Kind == DeleteAfter && d.Exemption == nil && d.Retain == nil && len(env.Released) > 0 {
		// Footage handed to the police goes at once (C1a).
		for _, h := range env.Released {
			if h.Evidence && h.Matches(it, nil) && !env.Today.Before(h.Released) {
				d.Verdict, d.Due, d.HandedOver = Due, h.Released, h
				break
			}
		}
	}
	return d
}

// inFolder reports whether path is folder or lies below it, compared in
// Unicode NFC.
func inFolder(path, folder string) bool {
	path, folder = nfc(path), nfc(folder)
	return path == folder || strings.HasPrefix(path, folder+"/")
}

// selects reports whether r applies to it, with the path captures.
func (r *Rule) selects(it *Item) ([]string, bool) {
	if len(r.Sources) > 0 && !slices.Contains(r.Sources, it.Source) {
		return nil, false
	}
	if len(r.ItemKinds) > 0 && !slices.Contains(r.ItemKinds, it.Kind) {
		return nil, false
	}
	if len(r.Labels) > 0 && !slices.ContainsFunc(r.Labels, func(l string) bool { return slices.Contains(it.Labels, l) }) {
		return nil, false
	}
	if r.Path == nil {
		return nil, true
	}
	return r.Path.Match(it.Path)
}

func (s *Set) evalRule(r *Rule, it *Item, env *Env, captures []string) ruleEval {
	e := ruleEval{rule: r}

	var subj Subject
	subjKnown := false
	var subjUnknown string
	if !r.Subject.IsZero() {
		id := ""
		for i, n := range r.Path.Names() {
			if n == r.Subject.Capture {
				id = captures[i]
			}
		}
		e.subject = r.Subject.Kind + ":" + id
		if r.Subject.By == "email" {
			es, _ := env.Subjects.(EmailSubjects)
			if es == nil {
				e.skip = true
				return e
			}
			key, ok := es.ByEmail(id)
			if !ok || !strings.HasPrefix(key, r.Subject.Kind+":") {
				e.skip = true
				return e
			}
			e.subject, id = key, strings.TrimPrefix(key, r.Subject.Kind+":")
		}
		switch {
		case env.Subjects == nil:
			subjUnknown = fmt.Sprintf("no school-system export is configured, so nothing is known about %s %q", r.Subject.Kind, id)
		default:
			subj, subjKnown = env.Subjects.Lookup(r.Subject.Kind, id)
			switch {
			case !subjKnown:
				subjUnknown = fmt.Sprintf("%s %q is not in the school-system exports", r.Subject.Kind, id)
			case subj.Problem != "":
				subjKnown = false
				subjUnknown = fmt.Sprintf("the exports' data about %s %q cannot be trusted: %s", r.Subject.Kind, id, subj.Problem)
			}
		}
	}

	if r.OnlyIfEvent != "" && subjKnown {
		if _, has := subj.Events[r.OnlyIfEvent]; !has {
			e.skip = true
			return e
		}
	}
	if r.OnlyIfAfter != "" && subjKnown {
		if _, has := subj.Events[r.OnlyIfAfter]; !has {
			e.skip = true // e.g. a student who has not left
			return e
		}
	}

	// The anchor.
	switch {
	case r.From.Item != noItemDate:
		t := it.date(r.From.Item)
		if t.IsZero() {
			e.unknown = fmt.Sprintf("the item has no %s date", r.From.Item)
			if r.From.Item == Recorded && it.RecordedFrom != "" {
				e.unknown = "the recording time cannot be trusted: " + it.RecordedFrom
			}
			break
		}
		e.anchor = DateOf(t, s.Location)
	case r.Subject.IsZero():
		e.unknown = fmt.Sprintf("rule counts from %s but links no subject", r.From)
	case !subjKnown:
		e.unknown = subjUnknown
	default:
		e.anchor, e.never, e.unknown = r.subjectAnchor(subj, e.subject)
	}
	if r.OnlyIfAfter != "" && subjKnown && e.unknown == "" && e.never == "" && !e.anchor.After(subj.Events[r.OnlyIfAfter]) {
		// "From the day the student turns 20" speaks of a day after
		// leaving: a birthday on or before it does not count.
		e.skip = true
		return e
	}
	if e.unknown == "" && e.never == "" {
		e.due = r.dueFrom(e.anchor)
	}

	// Exemptions.
	for i := range r.Exemptions {
		x := &r.Exemptions[i]
		holds, why := x.When.test(it, subj, subjKnown, subjUnknown)
		switch {
		case why != "" && e.exemptUnknown == "":
			e.exemptUnknown = fmt.Sprintf("cannot tell whether exemption %q applies: %s", x.When, why)
		case holds && e.exempt == nil:
			e.exempt = x
		}
	}
	return e
}

// knownEvents are the events every person has had: when the export gives
// no date for one, the fact is unknown (an empty birth date), not an event
// that has not happened (a student who has not left).
var knownEvents = map[string]string{"born": "birth date", "started": "start date"}

// subjectAnchor is the date r counts from for subject key, or why there is
// none yet (never: the event has not happened), or why it cannot be told
// (unknown: the export does not give a fact every person has).
func (r *Rule) subjectAnchor(subj Subject, key string) (anchor Date, never, unknown string) {
	ev, ok := subj.Events[r.From.Event]
	if !ok {
		if what, ok := knownEvents[r.From.Event]; ok {
			return Date{}, "", fmt.Sprintf("the school-system export gives no %s for %s, so %s cannot be computed", what, key, r.From.describe())
		}
		if r.From.Event == "left" {
			return Date{}, fmt.Sprintf("%s has not left", key), ""
		}
		return Date{}, fmt.Sprintf("%s has no %s date", key, r.From.Event), ""
	}
	if r.From.Years > 0 {
		// NewDate normalises: someone born on 29 February has the
		// birthday on 1 March in common years, the later of the two
		// candidates, so that nothing is deleted a day early.
		ev = NewDate(ev.Year+r.From.Years, ev.Month, ev.Day)
	}
	return ev, "", ""
}

// Recheck answers, just before an item planned as due under r is deleted,
// whether the facts about its subject (key "kind:id") still say so: the
// exports may have changed since the plan (a leaving date withdrawn on
// re-enrolment, a person gone from the export, a new manager). It returns
// the due date under the current facts, zero when r does not count from a
// subject event, or why the item must not go now. With archive, the item
// is to be archived rather than deleted, and an archive exemption must
// still apply.
func (r *Rule) Recheck(key string, env *Env, archive bool) (Date, string) {
	kind, id, _ := strings.Cut(key, ":")
	if env.Subjects == nil {
		return Date{}, "no school-system export is configured"
	}
	subj, ok := env.Subjects.Lookup(kind, id)
	switch {
	case !ok:
		return Date{}, fmt.Sprintf("%s is not in the school-system exports", key)
	case subj.Problem != "":
		return Date{}, fmt.Sprintf("the exports' data about %s cannot be trusted: %s", key, subj.Problem)
	}
	archived := false // an archive exemption still applies
	for i := range r.Exemptions {
		x := &r.Exemptions[i]
		if !x.When.needsSubject() {
			continue
		}
		holds, why := x.When.test(nil, subj, true, "")
		switch {
		case why != "":
			return Date{}, fmt.Sprintf("cannot tell whether exemption %q applies: %s", x.When, why)
		case holds && archive && x.Then == ExemptArchive:
			archived = true
		case holds:
			return Date{}, fmt.Sprintf("exemption %q applies", x.When)
		}
	}
	if archive && !archived {
		return Date{}, "no archive exemption applies any more"
	}
	if !r.From.IsSubject() {
		return Date{}, ""
	}
	anchor, never, unknown := r.subjectAnchor(subj, key)
	switch {
	case unknown != "":
		return Date{}, unknown
	case never != "":
		return Date{}, never
	}
	if r.OnlyIfAfter != "" {
		if ev, ok := subj.Events[r.OnlyIfAfter]; !ok || !anchor.After(ev) {
			return Date{}, fmt.Sprintf("the rule applies only when %s falls after subject event %s", r.From.describe(), strings.ReplaceAll(r.OnlyIfAfter, "_", " "))
		}
	}
	return r.dueFrom(anchor), ""
}

// test evaluates c; why is non-empty when a needed fact is unknown.
func (c Condition) test(it *Item, subj Subject, subjKnown bool, subjUnknown string) (holds bool, why string) {
	if c.needsSubject() && !subjKnown {
		if subjUnknown == "" {
			subjUnknown = "the rule links no subject"
		}
		return false, subjUnknown
	}
	switch c.Kind {
	case CondPath:
		return c.Path.Matches(it.Path), ""
	case CondLabel:
		return slices.Contains(it.Labels, c.Label), ""
	case CondBornFirstOfMonth:
		born, ok := subj.Events["born"]
		if !ok {
			return false, "the birth date is unknown"
		}
		return born.Day == 1, ""
	case CondSubjectFlag:
		v, ok := subj.Flags[c.Flag]
		if !ok {
			return false, fmt.Sprintf("whether the subject is %s is unknown", strings.ReplaceAll(c.Flag, "_", " "))
		}
		return v, ""
	}
	return false, "unknown condition"
}

func combine(evals []ruleEval, today Date) Decision {
	if len(evals) == 0 {
		return Decision{Verdict: Keep}
	}
	var (
		// del is the deletion rule with the earliest date; it includes
		// rules whose exemption cannot be tested (they may still delete).
		del, retain, exempt, exemptUnknown *ruleEval
		unknownDel, unknownRetain, never   *ruleEval
		retainForever                      bool
	)
	for i := range evals {
		e := &evals[i]
		switch {
		case e.exempt != nil:
			// Archive beats keep: it is the stronger statement of duty.
			if exempt == nil || (e.exempt.Then == ExemptArchive && exempt.exempt.Then != ExemptArchive) {
				exempt = e
			}
		case e.exemptUnknown != "" && exemptUnknown == nil:
			exemptUnknown = e
		}
		switch {
		case e.unknown != "" && e.rule.Kind == RetainFor:
			if unknownRetain == nil {
				unknownRetain = e
			}
		case e.unknown != "":
			if unknownDel == nil {
				unknownDel = e
			}
		case e.rule.Kind == RetainFor && e.never != "":
			retain, retainForever = e, true
		case e.rule.Kind == RetainFor:
			if !retainForever && (retain == nil || e.due.After(retain.due)) {
				retain = e
			}
		case e.never != "":
			if never == nil {
				never = e
			}
		case e.exempt == nil:
			if del == nil || e.due.Before(del.due) {
				del = e
			}
		}
	}

	var d Decision
	set := func(e *ruleEval) {
		d.Rule, d.Subject, d.Anchor, d.Due = e.rule, e.subject, e.anchor, e.due
	}
	review := func(e *ruleEval, why string) Decision {
		d.Verdict = Review
		d.Unknown, d.UnknownRule = why, e.rule
		return d
	}

	if exempt != nil {
		// An exemption protects the item from every rule.
		set(exempt)
		d.Exemption, d.ExemptRule = exempt.exempt, exempt.rule
		d.Never = exempt.never
		switch {
		case exempt.exempt.Then == ExemptKeep || exempt.rule.Kind != DeleteAfter:
			d.Due = Date{}
		case exempt.unknown != "":
			return review(exempt, exempt.unknown)
		case exempt.never == "" && !today.Before(exempt.due):
			d.Verdict = Archive
		}
		return d
	}

	if del != nil {
		set(del)
		if retain != nil && (retainForever || retain.due.After(del.due)) {
			// The minimum wins; the conflict is reported.
			d.Retain, d.RetainUntil, d.RetainForever = retain.rule, retain.due, retainForever
			d.DeleteDue = del.due
			d.Due = retain.due
			if retainForever {
				d.Due = Date{}
			}
		}
		due := !d.Due.IsZero() && !today.Before(d.Due)
		switch {
		case due && exemptUnknown != nil:
			return review(exemptUnknown, exemptUnknown.exemptUnknown)
		case due && unknownRetain != nil:
			return review(unknownRetain, "the retention minimum cannot be computed: "+unknownRetain.unknown)
		case due:
			d.Verdict = Due
		case unknownDel != nil:
			// Another deletion rule might already be due.
			d.Rule, d.Due, d.Anchor, d.Subject = unknownDel.rule, Date{}, Date{}, unknownDel.subject
			return review(unknownDel, unknownDel.unknown)
		}
		if unknownDel != nil {
			d.Unknown, d.UnknownRule = unknownDel.unknown, unknownDel.rule
		}
		return d
	}

	switch {
	case unknownDel != nil:
		set(unknownDel)
		return review(unknownDel, unknownDel.unknown)
	case exemptUnknown != nil:
		// Its event has not happened; nothing is due yet anyway.
		set(exemptUnknown)
		d.Never = exemptUnknown.never
	case retain != nil:
		set(retain)
		d.Retain, d.RetainUntil, d.RetainForever = retain.rule, retain.due, retainForever
		d.Due = Date{}
		if never != nil {
			d.Never = never.never
		}
	case never != nil:
		set(never)
		d.Never = never.never
	case unknownRetain != nil:
		set(unknownRetain)
		d.Due = Date{}
		d.Unknown, d.UnknownRule = unknownRetain.unknown, unknownRetain.rule
	}
	return d
}

func findHold(env *Env, it *Item, evals []ruleEval) *Hold {
	if len(env.Holds) == 0 {
		return nil
	}
	var subjects []string
	for _, e := range evals {
		if e.subject != "" {
			subjects = append(subjects, e.subject)
		}
	}
	for _, h := range env.Holds {
		if h.ActiveOn(env.Today) && h.Matches(it, subjects) {
			return h
		}
	}
	return nil
}
