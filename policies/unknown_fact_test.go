package policies

import (
	"strings"
	"testing"
)

// Issue 17, finding 14: an export row without the fact a rule counts from
// (an empty birth date) puts the item up for review, naming the fact;
// an event that has not happened (no leaving date) keeps it, as before.
func TestMissingFactIsReviewedNotKept(t *testing.T) {
	at18 := &Rule{ID: "S11", Kind: DeleteAfter, Path: MustCompilePattern("Forældre/{student}/**"),
		Subject: SubjectLink{Kind: "student", Capture: "student"}, From: anchor("subject.birthday(18)")}
	started := &Rule{ID: "ST", Kind: DeleteAfter, Path: MustCompilePattern("Start/{student}/**"),
		Subject: SubjectLink{Kind: "student", Capture: "student"}, From: anchor("subject.started"), Keep: period("P10Y")}
	left := &Rule{ID: "S8", Kind: DeleteAfter, Path: MustCompilePattern("Elever/{student}/**"),
		Subject: SubjectLink{Kind: "student", Capture: "student"}, From: anchor("subject.left")}
	s := set(t, at18, started, left)
	none := subjects{"student:1": {Events: map[string]Date{}}}
	for _, c := range []struct {
		name, path string
		verdict    Verdict
		why        string
	}{
		{"no birth date: review", "Forældre/1/x.pdf", Review, "no birth date for student:1"},
		{"no start date: review", "Start/1/x.pdf", Review, "no start date for student:1"},
		{"no leaving date: has not left, kept", "Elever/1/x.pdf", Keep, "has not left"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := s.Evaluate(&Item{Source: "s", Kind: "file", Path: c.path}, &Env{Today: NewDate(2040, 1, 1), Subjects: none})
			if d.Verdict != c.verdict || !strings.Contains(d.Reason(), c.why) {
				t.Fatalf("%v: %s", d.Verdict, d.Reason())
			}
		})
	}
	// Just before deletion, a birth date that has gone from the export stops
	// the deletion and says so.
	if _, why := at18.Recheck("student:1", &Env{Today: NewDate(2040, 1, 1), Subjects: none}, false); !strings.Contains(why, "no birth date") {
		t.Errorf("Recheck: %q", why)
	}
}

// only_if_after: a rule whose anchor must fall after a subject event.
func TestOnlyIfAfter(t *testing.T) {
	r := &Rule{ID: "L2b", Kind: DeleteAfter, Path: MustCompilePattern("Lectio/Forældre/{student}"),
		Subject: SubjectLink{Kind: "student", Capture: "student"}, OnlyIfAfter: "left", From: anchor("subject.birthday(20)")}
	s := set(t, r)
	pupil := func(left, born string) subjects {
		ev := map[string]Date{}
		if left != "" {
			ev["left"], _ = ParseDate(left)
		}
		if born != "" {
			ev["born"], _ = ParseDate(born)
		}
		return subjects{"student:1": {Events: ev}}
	}
	for _, c := range []struct {
		name      string
		subj      subjects
		verdict   Verdict
		rule      bool // the rule decides
		recheckOK bool
	}{
		{"20 after leaving", pupil("2026-06-30", "2007-03-10"), Due, true, true},
		{"20 on the leaving day", pupil("2026-06-30", "2006-06-30"), Keep, false, false},
		{"20 before leaving", pupil("2026-06-30", "2000-01-01"), Keep, false, false},
		{"not left", pupil("", "2007-03-10"), Keep, false, false},
		{"left, birth date unknown", pupil("2026-06-30", ""), Review, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			it := &Item{Source: "s", Kind: "record", Path: "Lectio/Forældre/1"}
			env := &Env{Today: NewDate(2040, 1, 1), Subjects: c.subj}
			d := s.Evaluate(it, env)
			if d.Verdict != c.verdict || (d.Rule != nil || d.UnknownRule != nil) != c.rule {
				t.Fatalf("%v: %s", d.Verdict, d.Reason())
			}
			due, why := r.Recheck("student:1", env, false)
			if (why == "") != c.recheckOK {
				t.Fatalf("Recheck = %v, %q", due, why)
			}
		})
	}
}
