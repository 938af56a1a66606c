package scheduler

import (
	"fmt"
	"strings"

	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
)

// ExplainIn is Explain in lang (da, sv or en), for the people who approve
// in their own language: the batch page of the console.
//
// An item the plan recorded without a note (nearly every item of a
// batch) is explained from its fields and its rule, which are
// structured: the verdict, the rule's id and title, the date it counts
// from and what that date is, the period kept, the boundaries, the due
// date. Those are put into lang's words here. An item with a note (a
// review, a hold, an archive verdict, an item proposed again after a
// retention decision, and the first items of each rule that a plan keeps
// as samples) is explained by the English sentence the plan stored: the
// facts it rests on were not kept apart from the words, so it cannot be
// translated honestly. en, and any language not known, is Explain.
func (p *Pipeline) ExplainIn(lang string, it store.PlanItem) string {
	w, ok := reasonWords[lang]
	if !ok || it.Note != "" {
		return p.Explain(it)
	}
	r := p.Config.Policies.Rule(it.Rule)
	if r == nil {
		return fmt.Sprintf(w["gone"], verdictWord(w, it.Verdict), it.Rule)
	}
	var b strings.Builder
	kind := r.Subject.Kind // whose leaving: a student is unenrolled, an employee leaves
	if kind == "" {
		kind, _, _ = strings.Cut(it.Subject, ":")
	}
	switch {
	case it.Verdict == policies.Keep.String() && it.Due == "":
		fmt.Fprintf(&b, w["kept"], r.ID)
		if r.Title != "" {
			fmt.Fprintf(&b, " (%s)", r.Title)
		}
		if r.From.Event == "left" {
			fmt.Fprintf(&b, w["not_left"], it.Subject, w["left."+subjectKind(kind)])
		} else {
			fmt.Fprintf(&b, w["no_date"], it.Subject, eventWord(w, r.From.Event))
		}
		return b.String()
	case it.Verdict == policies.Keep.String():
		fmt.Fprintf(&b, w["kept_until"], it.Due, r.ID)
	default:
		fmt.Fprintf(&b, w["due_since"], it.Due, r.ID)
	}
	if r.Title != "" {
		fmt.Fprintf(&b, " (%s)", r.Title)
	}
	fmt.Fprintf(&b, ": %s", anchorIn(w, r.From, kind, it.Anchor))
	if r.FromEndOf != policies.NoBoundary {
		fmt.Fprintf(&b, w["from_end"], w["end."+r.FromEndOf.String()])
	}
	fmt.Fprintf(&b, w["kept_for"], periodIn(w, r.Keep))
	if r.ByEndOf != policies.NoBoundary {
		fmt.Fprintf(&b, w["by_end"], w["end."+r.ByEndOf.String()])
	}
	return b.String()
}

// subjectKind is the kind of subject whose leaving has a word of its own
// (a student is unenrolled, an employee leaves their post), or "other".
func subjectKind(kind string) string {
	switch kind {
	case "student", "staff":
		return kind
	}
	return "other"
}

func verdictWord(w map[string]string, verdict string) string {
	if s, ok := w["verdict."+verdict]; ok {
		return s
	}
	return verdict
}

// eventWord is a subject event in w's words; an event the policy names
// itself (case_closed) is shown as it is named there.
func eventWord(w map[string]string, event string) string {
	if s, ok := w["event."+event]; ok {
		return s
	}
	return strings.ReplaceAll(event, "_", " ")
}

// anchorIn is what the period counts from, and when: "ændret 2020-01-31",
// "udmeldt 2025-06-19", "fyldte 18 år 2026-03-02".
func anchorIn(w map[string]string, a policies.Anchor, kind, date string) string {
	switch {
	case a.IsSubject() && a.Event == "born":
		return fmt.Sprintf(w["birthday"], a.Years, date)
	case a.IsSubject() && a.Event == "left":
		return w["left."+subjectKind(kind)] + " " + date
	case a.IsSubject():
		return fmt.Sprintf(w["event"], eventWord(w, a.Event), date)
	}
	return w["item."+a.Item.String()] + " " + date
}

// periodIn is p in w's words: "3 år", "1 år og 6 måneder".
func periodIn(w map[string]string, p policies.Period) string {
	var parts []string
	for _, c := range []struct {
		n    int
		unit string
	}{{p.Years, "year"}, {p.Months, "month"}, {p.Weeks, "week"}, {p.Days, "day"}} {
		switch {
		case c.n == 1:
			parts = append(parts, fmt.Sprintf(w[c.unit+".one"], c.n))
		case c.n > 1:
			parts = append(parts, fmt.Sprintf(w[c.unit+".other"], c.n))
		}
	}
	switch len(parts) {
	case 0:
		return fmt.Sprintf(w["day.other"], 0)
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " " + w["and"] + " " + parts[len(parts)-1]
}

// reasonWords are ExplainIn's words, the glossary's (skal slettes / ska
// gallras, sletteregel / gallringsregel). English is Explain itself.
var reasonWords = map[string]map[string]string{
	"da": {
		"due_since":         "skal slettes siden %[1]s efter sletteregel %[2]s",
		"kept_until":        "bevares til %[1]s efter sletteregel %[2]s",
		"kept":              "bevares efter sletteregel %[1]s",
		"not_left":          ": %[1]s er ikke %[2]s",
		"no_date":           ": %[1]s har ingen dato for %[2]s",
		"gone":              "%[1]s efter sletteregel %[2]s (findes ikke længere i politikkerne)",
		"from_end":          ", regnet fra udgangen af %[1]s",
		"kept_for":          ", opbevares %[1]s",
		"by_end":            ", dog senest den sidste dag i %[1]s",
		"birthday":          "fyldte %[1]d år %[2]s",
		"event":             "%[1]s %[2]s",
		"left.student":      "udmeldt",
		"left.staff":        "fratrådt",
		"left.other":        "ophørt",
		"event.started":     "startet",
		"event.died":        "død",
		"event.case_closed": "sagen afsluttet",
		"item.modified":     "ændret",
		"item.created":      "oprettet",
		"item.received":     "modtaget",
		"item.recorded":     "optaget",
		"end.month":         "måneden",
		"end.calendar_year": "kalenderåret",
		"end.school_year":   "skoleåret",
		"verdict.due":       "skal slettes",
		"verdict.keep":      "bevares",
		"verdict.archive":   "skal arkiveres",
		"verdict.review":    "skal vurderes",
		"verdict.held":      "sletteblokeret",
		"and":               "og",
		"year.one":          "%d år",
		"year.other":        "%d år",
		"month.one":         "%d måned",
		"month.other":       "%d måneder",
		"week.one":          "%d uge",
		"week.other":        "%d uger",
		"day.one":           "%d dag",
		"day.other":         "%d dage",
	},
	"sv": {
		"due_since":         "ska gallras sedan %[1]s enligt gallringsregel %[2]s",
		"kept_until":        "bevaras till %[1]s enligt gallringsregel %[2]s",
		"kept":              "bevaras enligt gallringsregel %[1]s",
		"not_left":          ": %[1]s har inte %[2]s",
		"no_date":           ": %[1]s har inget datum för %[2]s",
		"gone":              "%[1]s enligt gallringsregel %[2]s (finns inte längre i policyerna)",
		"from_end":          ", räknat från slutet av %[1]s",
		"kept_for":          ", bevaras %[1]s",
		"by_end":            ", dock senast sista dagen av %[1]s",
		"birthday":          "fyllde %[1]d år %[2]s",
		"event":             "%[1]s %[2]s",
		"left.student":      "slutat",
		"left.staff":        "slutat",
		"left.other":        "slutat",
		"event.started":     "började",
		"event.died":        "avliden",
		"event.case_closed": "ärendet avslutat",
		"item.modified":     "ändrad",
		"item.created":      "skapad",
		"item.received":     "mottagen",
		"item.recorded":     "inspelad",
		"end.month":         "månaden",
		"end.calendar_year": "kalenderåret",
		"end.school_year":   "läsåret",
		"verdict.due":       "ska gallras",
		"verdict.keep":      "bevaras",
		"verdict.archive":   "ska arkiveras",
		"verdict.review":    "ska granskas",
		"verdict.held":      "spärrad",
		"and":               "och",
		"year.one":          "%d år",
		"year.other":        "%d år",
		"month.one":         "%d månad",
		"month.other":       "%d månader",
		"week.one":          "%d vecka",
		"week.other":        "%d veckor",
		"day.one":           "%d dag",
		"day.other":         "%d dagar",
	},
}
