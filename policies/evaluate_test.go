package policies

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

var cph = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		panic(err)
	}
	return loc
}()

// subjects is a Subjects backed by a map keyed "kind:id".
type subjects map[string]Subject

func (s subjects) Lookup(kind, id string) (Subject, bool) {
	v, ok := s[kind+":"+id]
	return v, ok
}

func period(s string) Period {
	p, err := ParsePeriod(s)
	if err != nil {
		panic(err)
	}
	return p
}

func anchor(s string) Anchor {
	a, err := ParseAnchor(s)
	if err != nil {
		panic(err)
	}
	return a
}

func set(t testing.TB, rules ...*Rule) *Set {
	t.Helper()
	s, err := NewSet(cph, &Policy{ID: "test", Digest: DigestOf([]byte("test")), Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// local returns the instant of a Copenhagen wall-clock time.
func local(s string) time.Time {
	ts, err := time.ParseInLocation("2006-01-02 15:04", s, cph)
	if err != nil {
		panic(err)
	}
	return ts
}

var (
	ruleC1 = &Rule{ID: "C1", Kind: DeleteAfter, Path: MustCompilePattern("CCTV/**"),
		From: anchor("item.recorded"), Keep: period("P30D")}
	ruleS3 = &Rule{ID: "S3", Kind: DeleteAfter, Path: MustCompilePattern("Udmeldte elever/{student}/**"),
		Subject: SubjectLink{Kind: "student", Capture: "student"},
		From:    anchor("subject.left"), FromEndOf: EndOfSchoolYear}
	ruleP3 = &Rule{ID: "P3", Kind: DeleteAfter, Path: MustCompilePattern("Personalesager/{staff}/**"),
		Subject: SubjectLink{Kind: "staff", Capture: "staff"},
		From:    anchor("subject.left"), FromEndOf: EndOfCalendarYear, Keep: period("P5Y"),
		Exemptions: []Exemption{
			{When: Condition{Kind: CondBornFirstOfMonth}, Then: ExemptArchive, Note: "archive duty"},
			{When: Condition{Kind: CondSubjectFlag, Flag: "manager"}, Then: ExemptArchive, Note: "archive duty"},
		}}
	ruleAll3Y = &Rule{ID: "ALL3Y", Kind: DeleteAfter, Path: MustCompilePattern("**"),
		From: anchor("item.modified"), Keep: period("P3Y")}
	ruleBook = &Rule{ID: "BOOK", Kind: RetainFor, Path: MustCompilePattern("Regnskab/**"),
		From: anchor("item.modified"), FromEndOf: EndOfCalendarYear, Keep: period("P5Y")}
)

func TestEvaluateBoundaries(t *testing.T) {
	staff := subjects{
		"staff:jens":    {Events: map[string]Date{"left": d("2020-06-15"), "born": d("1970-03-14")}, Flags: map[string]bool{"manager": false}},
		"staff:first":   {Events: map[string]Date{"left": d("2020-06-15"), "born": d("1970-03-01")}, Flags: map[string]bool{"manager": false}},
		"staff:boss":    {Events: map[string]Date{"left": d("2020-06-15"), "born": d("1970-03-14")}, Flags: map[string]bool{"manager": true}},
		"staff:noflag":  {Events: map[string]Date{"left": d("2020-06-15"), "born": d("1970-03-14")}},
		"staff:current": {Events: map[string]Date{"born": d("1980-05-05")}, Flags: map[string]bool{"manager": false}},
		"student:july":  {Events: map[string]Date{"left": d("2026-07-31")}},
		"student:aug":   {Events: map[string]Date{"left": d("2026-08-01")}},
		"student:bad":   {Events: map[string]Date{"left": d("2026-03-01")}, Problem: "leaving date \"31-02-2026\" does not parse"},
		"student:stays": {Events: map[string]Date{}},
	}
	for _, tc := range []struct {
		name  string
		rules []*Rule
		item  Item
		today string
		want  Verdict
		due   string // "" for none
	}{
		// C1: 30 days from recording.
		{"cctv day before", []*Rule{ruleC1}, Item{Path: "CCTV/cam1/a.mp4", Recorded: local("2026-10-01 14:00")}, "2026-10-30", Keep, "2026-10-31"},
		{"cctv on the day", []*Rule{ruleC1}, Item{Path: "CCTV/cam1/a.mp4", Recorded: local("2026-10-01 14:00")}, "2026-10-31", Due, "2026-10-31"},
		{"cctv day after", []*Rule{ruleC1}, Item{Path: "CCTV/cam1/a.mp4", Recorded: local("2026-10-01 14:00")}, "2026-11-01", Due, "2026-10-31"},
		{"cctv recorded just before midnight local", []*Rule{ruleC1}, Item{Path: "CCTV/a.mp4", Recorded: local("2026-10-01 23:59")}, "2026-10-31", Due, "2026-10-31"},
		{"cctv recorded in the repeated DST hour", []*Rule{ruleC1}, Item{Path: "CCTV/a.mp4", Recorded: time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)}, "2026-11-23", Keep, "2026-11-24"},
		{"cctv recorded on leap day", []*Rule{ruleC1}, Item{Path: "CCTV/a.mp4", Recorded: local("2028-02-29 08:00")}, "2028-03-30", Due, "2028-03-30"},
		{"cctv without recording time", []*Rule{ruleC1}, Item{Path: "CCTV/a.mp4", Modified: local("2020-01-01 00:00")}, "2026-11-22", Review, ""},
		{"outside the rule's path", []*Rule{ruleC1}, Item{Path: "Andet/a.mp4", Recorded: local("2020-01-01 00:00")}, "2026-11-22", Keep, ""},

		// S3: at the end of the school year in which the student left.
		{"left 31 July, day before", []*Rule{ruleS3}, Item{Path: "Udmeldte elever/july/a.pdf"}, "2026-07-31", Keep, "2026-08-01"},
		{"left 31 July, on the day", []*Rule{ruleS3}, Item{Path: "Udmeldte elever/july/a.pdf"}, "2026-08-01", Due, "2026-08-01"},
		{"left 1 August: next school year", []*Rule{ruleS3}, Item{Path: "Udmeldte elever/aug/a.pdf"}, "2026-08-02", Keep, "2027-08-01"},
		{"left 1 August, on the day", []*Rule{ruleS3}, Item{Path: "Udmeldte elever/aug/a.pdf"}, "2027-08-01", Due, "2027-08-01"},
		{"student unknown to the exports", []*Rule{ruleS3}, Item{Path: "Udmeldte elever/ghost/a.pdf"}, "2030-01-01", Review, ""},
		{"student with untrusted data", []*Rule{ruleS3}, Item{Path: "Udmeldte elever/bad/a.pdf"}, "2030-01-01", Review, ""},
		{"student who has not left", []*Rule{ruleS3}, Item{Path: "Udmeldte elever/stays/a.pdf"}, "2030-01-01", Keep, ""},

		// P3: 5 years from the end of the calendar year of leaving.
		{"personnel file day before", []*Rule{ruleP3}, Item{Path: "Personalesager/jens/kontrakt.pdf"}, "2025-12-31", Keep, "2026-01-01"},
		{"personnel file on the day", []*Rule{ruleP3}, Item{Path: "Personalesager/jens/kontrakt.pdf"}, "2026-01-01", Due, "2026-01-01"},
		{"born on the 1st: archive", []*Rule{ruleP3}, Item{Path: "Personalesager/first/kontrakt.pdf"}, "2026-01-01", Archive, "2026-01-01"},
		{"born on the 1st: not yet", []*Rule{ruleP3}, Item{Path: "Personalesager/first/kontrakt.pdf"}, "2025-12-31", Keep, "2026-01-01"},
		{"manager: archive", []*Rule{ruleP3}, Item{Path: "Personalesager/boss/kontrakt.pdf"}, "2026-06-01", Archive, "2026-01-01"},
		{"manager flag unknown: review", []*Rule{ruleP3}, Item{Path: "Personalesager/noflag/kontrakt.pdf"}, "2026-01-01", Review, "2026-01-01"},
		{"manager flag unknown, not yet due", []*Rule{ruleP3}, Item{Path: "Personalesager/noflag/kontrakt.pdf"}, "2025-12-31", Keep, "2026-01-01"},
		{"current employee", []*Rule{ruleP3}, Item{Path: "Personalesager/current/kontrakt.pdf"}, "2040-01-01", Keep, ""},
		{"no exports configured", []*Rule{ruleP3}, Item{Path: "Personalesager/jens/kontrakt.pdf"}, "2040-01-01", Review, ""},

		// Minimum against maximum.
		{"bookkeeping outlives the 3-year rule", []*Rule{ruleAll3Y, ruleBook}, Item{Path: "Regnskab/2020/bilag.pdf", Modified: local("2020-03-01 10:00")}, "2024-01-01", Keep, "2026-01-01"},
		{"bookkeeping minimum passed", []*Rule{ruleAll3Y, ruleBook}, Item{Path: "Regnskab/2020/bilag.pdf", Modified: local("2020-03-01 10:00")}, "2026-01-01", Due, "2026-01-01"},
		{"minimum alone never deletes", []*Rule{ruleBook}, Item{Path: "Regnskab/2020/bilag.pdf", Modified: local("2020-03-01 10:00")}, "2040-01-01", Keep, ""},
		{"minimum with unknown date blocks deletion", []*Rule{ruleAll3Y, ruleBook}, Item{Path: "Regnskab/x.pdf", Created: local("2020-03-01 10:00"), Modified: time.Time{}}, "2040-01-01", Review, ""},

		// Earliest of several maxima.
		{"earliest deletion rule wins", []*Rule{ruleAll3Y, ruleC1}, Item{Path: "CCTV/a.mp4", Recorded: local("2026-10-01 12:00"), Modified: local("2026-10-01 12:00")}, "2026-10-31", Due, "2026-10-31"},
		{"known rule decides when another cannot", []*Rule{ruleAll3Y, ruleS3}, Item{Path: "Udmeldte elever/ghost/a.pdf", Modified: local("2020-01-01 12:00")}, "2026-11-22", Due, "2023-01-01"},
		{"unknown rule flags when the known one is not yet due", []*Rule{ruleAll3Y, ruleS3}, Item{Path: "Udmeldte elever/ghost/a.pdf", Modified: local("2026-01-01 12:00")}, "2026-11-22", Review, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := set(t, tc.rules...)
			env := &Env{Today: d(tc.today), Subjects: staff}
			if tc.name == "no exports configured" {
				env.Subjects = nil
			}
			it := tc.item
			got := s.Evaluate(&it, env)
			if got.Verdict != tc.want || got.Due.String() != tc.due {
				t.Errorf("got %v due %q, want %v due %q\nreason: %s", got.Verdict, got.Due, tc.want, tc.due, got.Reason())
			}
			if got.Verdict == Due && got.Today.Before(got.Due) {
				t.Errorf("due before its due date: %s", got.Reason())
			}
		})
	}
}

func TestBirthdayLeapDay(t *testing.T) {
	guardian := &Rule{ID: "S11", Kind: DeleteAfter, Path: MustCompilePattern("Værger/{student}/**"),
		Subject: SubjectLink{Kind: "student", Capture: "student"}, From: anchor("subject.birthday(18)")}
	s := set(t, guardian)
	subj := subjects{"student:leap": {Events: map[string]Date{"born": d("2008-02-29")}}}
	it := Item{Path: "Værger/leap/kontakt.txt"}
	for _, tc := range []struct {
		today string
		want  Verdict
	}{
		{"2026-02-28", Keep}, // 2026 is a common year: the birthday is 1 March
		{"2026-03-01", Due},
	} {
		got := s.Evaluate(&it, &Env{Today: d(tc.today), Subjects: subj})
		if got.Verdict != tc.want || got.Due.String() != "2026-03-01" {
			t.Errorf("on %s: %v due %s; want %v due 2026-03-01", tc.today, got.Verdict, got.Due, tc.want)
		}
	}
}

func TestHolds(t *testing.T) {
	s := set(t, ruleC1)
	it := Item{Source: "nvr", Ref: "CCTV/cam2/a.mp4", Path: "CCTV/cam2/a.mp4", Recorded: local("2026-10-01 12:00")}
	police := &Hold{ID: "H1", Reason: "police case 4711", Owner: "anna", Path: MustCompilePattern("CCTV/cam2/**"), Until: d("2026-12-01")}
	for _, tc := range []struct {
		name  string
		holds []*Hold
		today string
		want  Verdict
	}{
		{"no hold", nil, "2026-11-22", Due},
		{"hold on the camera", []*Hold{police}, "2026-11-22", Held},
		{"hold's last day", []*Hold{police}, "2026-11-30", Held},
		{"hold expired", []*Hold{police}, "2026-12-01", Due},
		{"hold on another camera", []*Hold{{ID: "H2", Path: MustCompilePattern("CCTV/cam9/**")}}, "2026-11-22", Due},
		{"hold on another source", []*Hold{{ID: "H3", Source: "other", Path: MustCompilePattern("**")}}, "2026-11-22", Due},
		{"hold on exactly this item", []*Hold{{ID: "H4", Ref: "CCTV/cam2/a.mp4"}}, "2026-11-22", Held},
		{"hold on the whole source", []*Hold{{ID: "H5", Source: "nvr"}}, "2026-11-22", Held},
		{"hold on an item not yet due", []*Hold{{ID: "H6", Ref: "CCTV/cam2/a.mp4"}}, "2026-10-02", Keep},
	} {
		got := s.Evaluate(&it, &Env{Today: d(tc.today), Holds: tc.holds})
		if got.Verdict != tc.want {
			t.Errorf("%s: got %v, want %v (%s)", tc.name, got.Verdict, tc.want, got.Reason())
		}
	}

	// A hold on a subject keeps everything linked to that subject.
	s3 := set(t, ruleS3)
	sub := subjects{"student:anna": {Events: map[string]Date{"left": d("2024-03-01")}}}
	item := Item{Path: "Udmeldte elever/anna/x.pdf"}
	got := s3.Evaluate(&item, &Env{Today: d("2026-11-22"), Subjects: sub, Holds: []*Hold{{ID: "H7", Subject: "student:anna", Reason: "access request"}}})
	if got.Verdict != Held {
		t.Errorf("subject hold: got %v (%s)", got.Verdict, got.Reason())
	}
	// A hold with an empty scope matches nothing rather than everything.
	got = s.Evaluate(&it, &Env{Today: d("2026-11-22"), Holds: []*Hold{{ID: "H8"}}})
	if got.Verdict != Due {
		t.Errorf("empty-scope hold: got %v", got.Verdict)
	}
}

func TestExemptionProtectsFromBroaderRules(t *testing.T) {
	// A manager's personnel file is also "all files": the 3-year rule
	// must not delete what archive duty protects.
	s := set(t, ruleAll3Y, ruleP3)
	sub := subjects{"staff:boss": {Events: map[string]Date{"left": d("2024-06-15"), "born": d("1970-03-14")}, Flags: map[string]bool{"manager": true}}}
	it := Item{Path: "Personalesager/boss/kontrakt.pdf", Modified: local("2015-01-01 12:00")}
	got := s.Evaluate(&it, &Env{Today: d("2026-11-22"), Subjects: sub})
	if got.Verdict != Keep || got.Exemption == nil {
		t.Fatalf("got %v exemption %v: %s", got.Verdict, got.Exemption, got.Reason())
	}
}

func TestSetRejectsDuplicateRuleIDs(t *testing.T) {
	a := &Policy{ID: "a", Rules: []*Rule{{ID: "X", Kind: DeleteAfter}}}
	b := &Policy{ID: "b", Rules: []*Rule{{ID: "X", Kind: DeleteAfter}}}
	if _, err := NewSet(cph, a, b); err == nil || !strings.Contains(err.Error(), `"X"`) {
		t.Fatalf("duplicate rule id: %v", err)
	}
	if _, err := NewSet(cph, a, &Policy{ID: "a"}); err == nil {
		t.Fatal("duplicate policy id accepted")
	}
}

// TestReasonsGolden pins the wording people read in plans and approvals.
func TestReasonsGolden(t *testing.T) {
	sub := subjects{
		"staff:jens":   {Events: map[string]Date{"left": d("2020-06-15"), "born": d("1970-03-14")}, Flags: map[string]bool{"manager": false}},
		"staff:first":  {Events: map[string]Date{"left": d("2020-06-15"), "born": d("1970-03-01")}},
		"student:anna": {Events: map[string]Date{"left": d("2026-03-10")}},
		"case:sag1":    {Events: map[string]Date{}},
	}
	s := set(t, ruleC1, ruleS3, ruleP3, ruleAll3Y, ruleBook)
	cases := []struct {
		name  string
		item  Item
		today string
		holds []*Hold
	}{
		{"cctv due", Item{Path: "CCTV/cam1/a.mp4", Recorded: local("2026-10-01 14:00"), Modified: local("2026-10-01 15:00"), RecordedFrom: "from the file name"}, "2026-11-22", nil},
		{"cctv not yet", Item{Path: "CCTV/cam1/b.mp4", Recorded: local("2026-11-20 14:00"), Modified: local("2026-11-20 15:00"), RecordedFrom: "from the modification time: the name has no time"}, "2026-11-22", nil},
		{"cctv without a time", Item{Path: "CCTV/cam1/c.mp4", Modified: local("2026-11-20 15:00")}, "2026-11-22", nil},
		{"cctv held", Item{Path: "CCTV/cam1/a.mp4", Recorded: local("2026-10-01 14:00"), Modified: local("2026-10-01 15:00"), RecordedFrom: "from the file name"}, "2026-11-22",
			[]*Hold{{ID: "H1", Reason: "police case 4711", Owner: "anna", Path: MustCompilePattern("CCTV/cam1/**")}}},
		{"student folder", Item{Path: "Udmeldte elever/anna/x.pdf", Modified: local("2026-01-01 12:00")}, "2026-11-22", nil},
		{"student unknown", Item{Path: "Udmeldte elever/ghost/x.pdf", Modified: local("2026-01-01 12:00")}, "2026-11-22", nil},
		{"personnel due", Item{Path: "Personalesager/jens/x.pdf", Modified: local("2025-01-01 12:00")}, "2026-11-22", nil},
		{"personnel archive", Item{Path: "Personalesager/first/x.pdf", Modified: local("2025-01-01 12:00")}, "2026-11-22", nil},
		{"bookkeeping conflict", Item{Path: "Regnskab/bilag.pdf", Modified: local("2022-05-01 12:00")}, "2026-11-22", nil},
		{"bookkeeping only", Item{Path: "Regnskab/bilag.pdf", Modified: local("2026-05-01 12:00")}, "2026-11-22", nil},
		{"bookkeeping conflict, minimum not started", Item{Path: "Regnskab/sag1/bilag.pdf", Modified: local("2026-05-01 12:00")}, "2026-11-22", nil},
		{"no rule", Item{Path: "x"}, "2026-11-22", nil},
	}
	// ruleAll3Y matches everything, so some cases need their own sets.
	own := map[string]*Set{
		"no rule":          set(t, ruleC1),
		"bookkeeping only": set(t, ruleBook),
		"bookkeeping conflict, minimum not started": set(t, ruleAll3Y, &Rule{ID: "BOOK-OPEN", Kind: RetainFor,
			Path: MustCompilePattern("Regnskab/{case}/**"), Subject: SubjectLink{Kind: "case", Capture: "case"}, From: anchor("subject.case_closed")}),
	}
	var out bytes.Buffer
	for _, c := range cases {
		it := c.item
		set := s
		if o, ok := own[c.name]; ok {
			set = o
		}
		dec := set.Evaluate(&it, &Env{Today: d(c.today), Subjects: sub, Holds: c.holds})
		fmt.Fprintf(&out, "%s: %s\n\t%s\n", c.name, dec.Verdict, dec.Reason())
	}
	golden(t, "reasons.golden", out.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (run go test -update if intended):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	s := set(b, ruleC1, ruleS3, ruleP3, ruleAll3Y, ruleBook)
	it := Item{Path: "Lærere/Mette/Kladder/status-2024-okt.docx", Modified: local("2024-10-01 10:00")}
	env := &Env{Today: d("2026-11-22")}
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Evaluate(&it, env)
	}
}
