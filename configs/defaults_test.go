package configs

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/policies"
)

// The tests here evaluate the shipped default policies, as loaded from
// their embedded text, against the rows of RULES.md they express.

var cph = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		panic(err)
	}
	return loc
}()

func defaultSet(t testing.TB) *policies.Set {
	t.Helper()
	names := DefaultPolicyNames()
	if len(names) == 0 {
		t.Fatal("no default policies embedded")
	}
	var ps []*policies.Policy
	for _, name := range names {
		b, err := DefaultPolicy(name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParsePolicy(name, b)
		if err != nil {
			t.Fatalf("default policy %s does not load: %v", name, err)
		}
		ps = append(ps, p)
	}
	set, err := policies.NewSet(cph, ps...)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestDefaultPolicies(t *testing.T) {
	set := defaultSet(t)
	var ids []string
	for _, r := range set.Rules {
		ids = append(ids, r.ID)
		anyPath := slices.Equal(r.ItemKinds, []string{"message"}) && r.Subject.IsZero() || len(r.Labels) > 0 ||
			slices.Equal(r.ItemKinds, []string{"recording"})
		if (r.Path == nil) != anyPath || r.From.IsZero() || len(r.ItemKinds) == 0 && len(r.Labels) == 0 {
			t.Errorf("%s: %v rule, kinds %v, path %v, from %v", r.ID, r.Kind, r.ItemKinds, r.Path, r.From)
		}
		if r.Kind == policies.DeleteAfter && r.Approval.Automatic() && r.ID != "C1" {
			t.Errorf("%s deletes without approval", r.ID)
		}
	}
	want := []string{"X1", // exports.yaml
		"S3", "S4", "P3", "C1", "O1", // fileshare.yaml
		"L1", "L2a", "L2b", "L3", "L4", "L5", "L6", "LT1", "LT2", "LT3", // lectio.yaml
		"M1", "M2", // mail.yaml
		"P1a", "P1b", "P2", "P3b", "P4", "P5", "P5m", "M6", // staff.yaml
		"S1", "S2", "S5", "S6", "S7", "S8", "S9", "S10", "S11", "S12a", "S12b", "S13", "S14"} // students.yaml
	if !slices.Equal(ids, want) {
		t.Errorf("default rules %v, want %v", ids, want)
	}
	if _, err := DefaultPolicy("nope.yaml"); err == nil || !strings.Contains(err.Error(), "fileshare.yaml") {
		t.Errorf("unknown default policy: %v", err)
	}
}

// RULES.md cross-cutting duties: the exports themselves are personal data;
// older ones go once newer ones supersede them.
func TestRowX1SupersededExports(t *testing.T) {
	set := defaultSet(t)
	for _, c := range []struct {
		labels  []string
		verdict policies.Verdict
	}{
		{[]string{"export", "superseded-export"}, policies.Due},
		{[]string{"export"}, policies.Keep},
	} {
		it := &policies.Item{Source: "elever", Kind: "file", Path: "elever_2026-01-01.csv", Labels: c.labels, Modified: local(2026, 1, 1, 6, 0)}
		if dec := set.Evaluate(it, &policies.Env{Today: date("2026-01-02")}); dec.Verdict != c.verdict {
			t.Errorf("%v: %v: %s", c.labels, dec.Verdict, dec.Reason())
		}
	}
}

// subjects is a policies.Subjects keyed "kind:id".
type subjects map[string]policies.Subject

func (s subjects) Lookup(kind, id string) (policies.Subject, bool) {
	sub, ok := s[kind+":"+id]
	return sub, ok
}

func date(s string) policies.Date {
	x, err := policies.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return x
}

func local(y int, m time.Month, day, h, min int) time.Time {
	return time.Date(y, m, day, h, min, 0, 0, cph)
}

type rowCase struct {
	name    string
	path    string
	mod     time.Time
	today   string
	subj    subjects // nil: no school-system export configured
	holds   []*policies.Hold
	verdict policies.Verdict
	due     string // checked when not empty; "none" checks that there is no due date
	kind    string // the item's kind; "" is a file
}

// runRow evaluates each case with the default set and checks the verdict,
// the due date and that the reason names rule (for every case that matches
// a rule; rule "" means none may match).
func runRow(t *testing.T, rule string, cases []rowCase) {
	t.Helper()
	set := defaultSet(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kind := c.kind
			if kind == "" {
				kind = "file"
			}
			it := &policies.Item{Source: "share", Kind: kind, Ref: c.path, Path: c.path, Modified: c.mod}
			if kind == "recording" {
				// The cctv connector dates recordings by their start; the
				// copy's modification time is later.
				it.Recorded, it.RecordedFrom, it.Modified = c.mod, "from the file name", c.mod.Add(40*24*time.Hour)
			}
			env := &policies.Env{Today: date(c.today), Holds: c.holds}
			if c.subj != nil {
				env.Subjects = c.subj
			}
			dec := set.Evaluate(it, env)
			reason := dec.Reason()
			if dec.Verdict != c.verdict {
				t.Fatalf("verdict %v, want %v: %s", dec.Verdict, c.verdict, reason)
			}
			switch c.due {
			case "":
			case "none":
				if !dec.Due.IsZero() {
					t.Errorf("due %v, want none: %s", dec.Due, reason)
				}
			default:
				if dec.Due.String() != c.due {
					t.Errorf("due %v, want %s: %s", dec.Due, c.due, reason)
				}
			}
			if rule == "" {
				if dec.Rule != nil || dec.Hold == nil && reason != "no rule applies" {
					t.Errorf("a rule applies: %s", reason)
				}
				return
			}
			if dec.Rule == nil || dec.Rule.ID != rule {
				t.Fatalf("decided by %v, want rule %s: %s", dec.Rule, rule, reason)
			}
			if !strings.Contains(reason, rule+": ") {
				t.Errorf("reason does not name rule %s: %s", rule, reason)
			}
		})
	}
}

// student returns the export's view of one student, who left on left ("":
// has not left).
func student(name, left string) subjects {
	ev := map[string]policies.Date{"started": date("2015-08-10")}
	if left != "" {
		ev["left"] = date(left)
	}
	return subjects{"student:" + name: {Events: ev}}
}

// RULES.md S3: moved to "Udmeldte elever" on leaving; deleted when that
// school year (1 August to 31 July) ends.
func TestRowS3StudentFolders(t *testing.T) {
	const p = "Administration/Udmeldte elever/Frida Bak/Elevplan.docx"
	mod := local(2025, 9, 1, 12, 0)
	march := student("Frida Bak", "2026-03-10")
	runRow(t, "S3", []rowCase{
		{name: "left in March: day before the school year ends", path: p, mod: mod, today: "2026-07-31", subj: march, verdict: policies.Keep, due: "2026-08-01"},
		{name: "left in March: on 1 August", path: p, mod: mod, today: "2026-08-01", subj: march, verdict: policies.Due, due: "2026-08-01"},
		{name: "left in March: day after", path: p, mod: mod, today: "2026-08-02", subj: march, verdict: policies.Due, due: "2026-08-01"},
		{name: "left on 31 July: day before", path: p, mod: mod, today: "2026-07-31", subj: student("Frida Bak", "2026-07-31"), verdict: policies.Keep, due: "2026-08-01"},
		{name: "left on 31 July: due the next day", path: p, mod: mod, today: "2026-08-01", subj: student("Frida Bak", "2026-07-31"), verdict: policies.Due, due: "2026-08-01"},
		{name: "left on 1 August: the next school year ends first", path: p, mod: mod, today: "2026-08-01", subj: student("Frida Bak", "2026-08-01"), verdict: policies.Keep, due: "2027-08-01"},
		{name: "left on 1 August: day before", path: p, mod: mod, today: "2027-07-31", subj: student("Frida Bak", "2026-08-01"), verdict: policies.Keep, due: "2027-08-01"},
		{name: "left on 1 August: on", path: p, mod: mod, today: "2027-08-01", subj: student("Frida Bak", "2026-08-01"), verdict: policies.Due, due: "2027-08-01"},
		{name: "the file's own date does not matter", path: p, mod: local(2010, 1, 1, 0, 0), today: "2026-07-31", subj: march, verdict: policies.Keep, due: "2026-08-01"},
		{name: "folder name in other case", path: "ADMINISTRATION/UDMELDTE ELEVER/Frida Bak/a/b/Noter.txt", mod: mod, today: "2026-08-01", subj: march, verdict: policies.Due, due: "2026-08-01"},
		{name: "has not left: kept", path: p, mod: mod, today: "2040-01-01", subj: student("Frida Bak", ""), verdict: policies.Keep, due: "none"},
		{name: "no export: review, not due", path: p, mod: mod, today: "2030-01-01", verdict: policies.Review, due: "none"},
		{name: "student unknown to the export: review", path: p, mod: mod, today: "2030-01-01", subj: student("Frida Bakke", "2020-01-01"), verdict: policies.Review, due: "none"},
		{name: "export cannot be trusted: review", path: p, mod: mod, today: "2030-01-01",
			subj:    subjects{"student:Frida Bak": {Events: map[string]policies.Date{"left": date("2026-03-10")}, Problem: "two rows disagree"}},
			verdict: policies.Review, due: "none"},
	})
	runRow(t, "", []rowCase{
		{name: "a loose file in Udmeldte elever is no student folder", path: "Administration/Udmeldte elever/oversigt.xlsx", mod: mod, today: "2040-01-01", subj: march, verdict: policies.Keep},
		{name: "S3 selects files only", path: p, kind: "record", mod: mod, today: "2040-01-01", subj: march, verdict: policies.Keep},
	})
}

// An unknown student is never due, whatever the day.
func TestRowS3UnknownStudentNeverDue(t *testing.T) {
	set := defaultSet(t)
	it := &policies.Item{Source: "share", Kind: "file", Path: "Udmeldte elever/Ukendt/x.docx", Modified: local(2020, 1, 1, 0, 0)}
	for _, subj := range []policies.Subjects{nil, subjects{}} {
		for day := date("2020-01-01"); day.Before(date("2040-01-01")); day = day.AddDays(61) {
			dec := set.Evaluate(it, &policies.Env{Today: day, Subjects: subj})
			if dec.Verdict != policies.Review || !dec.Due.IsZero() || !strings.Contains(dec.Reason(), "S3: kept for review") {
				t.Fatalf("%v: %v due %v: %s", day, dec.Verdict, dec.Due, dec.Reason())
			}
		}
	}
}

// RULES.md S4: drafts go when uploaded; the default stands in one month
// after the last change, clamped to the end of a shorter month.
func TestRowS4Drafts(t *testing.T) {
	const p = "Administration/Kladder/Statusrapport marts.docx"
	jan31 := local(2026, 1, 31, 15, 0)
	leap := local(2024, 1, 31, 15, 0)
	runRow(t, "S4", []rowCase{
		{name: "31 Jan + 1 month is 28 Feb: day before", path: p, mod: jan31, today: "2026-02-27", verdict: policies.Keep, due: "2026-02-28"},
		{name: "31 Jan + 1 month is 28 Feb: on", path: p, mod: jan31, today: "2026-02-28", verdict: policies.Due, due: "2026-02-28"},
		{name: "31 Jan + 1 month is 28 Feb: day after", path: p, mod: jan31, today: "2026-03-01", verdict: policies.Due, due: "2026-02-28"},
		{name: "leap year: 29 Feb: day before", path: p, mod: leap, today: "2024-02-28", verdict: policies.Keep, due: "2024-02-29"},
		{name: "leap year: 29 Feb: on", path: p, mod: leap, today: "2024-02-29", verdict: policies.Due, due: "2024-02-29"},
		{name: "leap year: 29 Feb: day after", path: p, mod: leap, today: "2024-03-01", verdict: policies.Due, due: "2024-02-29"},
		{name: "mid-month", path: p, mod: local(2026, 3, 15, 8, 0), today: "2026-04-14", verdict: policies.Keep, due: "2026-04-15"},
		// 23:30 UTC on 30 January is 00:30 on 31 January in Copenhagen.
		{name: "the day counts in Copenhagen, not UTC", path: p, mod: time.Date(2026, 1, 30, 23, 30, 0, 0, time.UTC), today: "2026-02-27", verdict: policies.Keep, due: "2026-02-28"},
		{name: "folder name in other case, deeper", path: "Lærere/KLADDER/2026/x.docx", mod: local(2026, 1, 1, 0, 0), today: "2026-02-01", verdict: policies.Due, due: "2026-02-01"},
	})
}

// staff returns the export's view of Eva Holm, who left on 15 March 2020.
func staff(left, born string, flags map[string]bool) subjects {
	ev := map[string]policies.Date{"left": date(left)}
	if born != "" {
		ev["born"] = date(born)
	}
	return subjects{"staff:Eva Holm": {Events: ev, Flags: flags}}
}

// RULES.md P3, P3a, P3b: personnel files go 5 years from the end of the
// calendar year of leaving; staff born on the 1st and managers are archived
// instead; a pending case is a hold.
func TestRowP3PersonnelFiles(t *testing.T) {
	const p = "Personale/Fratrådte/Eva Holm/Kontrakt.pdf"
	notManager := map[string]bool{"manager": false}
	ordinary := staff("2020-03-15", "1980-05-17", notManager)
	pathHold := &policies.Hold{ID: "H-1", Reason: "work-injury case", Path: policies.MustCompilePattern("Personale/Fratrådte/Eva Holm/**")}
	subjectHold := &policies.Hold{ID: "H-2", Reason: "labour dispute", Subject: "staff:Eva Holm"}
	released := &policies.Hold{ID: "H-3", Reason: "closed case", Subject: "staff:Eva Holm", Until: date("2025-12-01")}
	mod := local(2019, 1, 1, 0, 0)
	runRow(t, "P3", []rowCase{
		{name: "left 2020-03-15: day before 2026-01-01", path: p, mod: mod, today: "2025-12-31", subj: ordinary, verdict: policies.Keep, due: "2026-01-01"},
		{name: "left 2020-03-15: on 2026-01-01", path: p, mod: mod, today: "2026-01-01", subj: ordinary, verdict: policies.Due, due: "2026-01-01"},
		{name: "left 2020-03-15: day after", path: p, mod: mod, today: "2026-01-02", subj: ordinary, verdict: policies.Due, due: "2026-01-01"},
		{name: "left on 31 December: same year", path: p, mod: mod, today: "2026-01-01", subj: staff("2020-12-31", "1980-05-17", notManager), verdict: policies.Due, due: "2026-01-01"},
		{name: "left on 1 January: a year later", path: p, mod: mod, today: "2026-12-31", subj: staff("2021-01-01", "1980-05-17", notManager), verdict: policies.Keep, due: "2027-01-01"},
		{name: "name in other case", path: "PERSONALE/FRATRÅDTE/Eva Holm/x.pdf", mod: mod, today: "2026-01-01", subj: ordinary, verdict: policies.Due, due: "2026-01-01"},
		{name: "born on the 1st: kept before", path: p, mod: mod, today: "2025-12-31", subj: staff("2020-03-15", "1980-05-01", notManager), verdict: policies.Keep},
		{name: "born on the 1st: archive, not due", path: p, mod: mod, today: "2026-01-01", subj: staff("2020-03-15", "1980-05-01", notManager), verdict: policies.Archive, due: "2026-01-01"},
		{name: "born on the 1st: still archive years later", path: p, mod: mod, today: "2040-06-01", subj: staff("2020-03-15", "1980-05-01", notManager), verdict: policies.Archive},
		{name: "born on the 1st, manager unknown: archive", path: p, mod: mod, today: "2026-01-01", subj: staff("2020-03-15", "1980-05-01", nil), verdict: policies.Archive},
		{name: "manager: archive", path: p, mod: mod, today: "2026-01-01", subj: staff("2020-03-15", "1980-05-17", map[string]bool{"manager": true}), verdict: policies.Archive},
		{name: "manager flag unknown: review", path: p, mod: mod, today: "2026-01-01", subj: staff("2020-03-15", "1980-05-17", nil), verdict: policies.Review},
		{name: "manager flag unknown: nothing to review before the date", path: p, mod: mod, today: "2025-12-31", subj: staff("2020-03-15", "1980-05-17", nil), verdict: policies.Keep, due: "2026-01-01"},
		{name: "birth date unknown: review", path: p, mod: mod, today: "2026-01-01", subj: staff("2020-03-15", "", notManager), verdict: policies.Review},
		{name: "pending case (hold on the folder): held", path: p, mod: mod, today: "2026-01-01", subj: ordinary, holds: []*policies.Hold{pathHold}, verdict: policies.Held, due: "2026-01-01"},
		{name: "pending case (hold on the employee): held", path: p, mod: mod, today: "2030-01-01", subj: ordinary, holds: []*policies.Hold{subjectHold}, verdict: policies.Held},
		{name: "hold released before the date: due", path: p, mod: mod, today: "2026-01-01", subj: ordinary, holds: []*policies.Hold{released}, verdict: policies.Due, due: "2026-01-01"},
		{name: "hold before the date: kept", path: p, mod: mod, today: "2025-06-01", subj: ordinary, holds: []*policies.Hold{pathHold}, verdict: policies.Keep, due: "2026-01-01"},
		{name: "no export: review", path: p, mod: mod, today: "2030-01-01", verdict: policies.Review, due: "none"},
		{name: "employee unknown to the export: review", path: p, mod: mod, today: "2030-01-01", subj: subjects{}, verdict: policies.Review, due: "none"},
	})
}

func TestRowP3Reasons(t *testing.T) {
	set := defaultSet(t)
	it := &policies.Item{Source: "share", Kind: "file", Path: "Personale/Fratrådte/Eva Holm/Kontrakt.pdf"}
	hold := &policies.Hold{ID: "H-1", Reason: "work-injury case", Subject: "staff:Eva Holm"}
	for _, c := range []struct {
		subj  subjects
		holds []*policies.Hold
		want  []string
	}{
		{staff("2020-03-15", "1980-05-01", nil), nil, []string{"P3: archive", "born on the 1st of a month", "archive duty"}},
		{staff("2020-03-15", "1980-05-17", map[string]bool{"manager": true}), nil, []string{"P3: archive", "manager"}},
		{staff("2020-03-15", "1980-05-17", nil), nil, []string{"P3: kept for review", "manager"}},
		{staff("2020-03-15", "1980-05-17", map[string]bool{"manager": false}), []*policies.Hold{hold}, []string{"held by hold H-1 (work-injury case", "P3: delete"}},
	} {
		dec := set.Evaluate(it, &policies.Env{Today: date("2026-01-01"), Subjects: c.subj, Holds: c.holds})
		for _, w := range c.want {
			if !strings.Contains(dec.Reason(), w) {
				t.Errorf("%v: reason %q lacks %q", dec.Verdict, dec.Reason(), w)
			}
		}
	}
}

// RULES.md C1: CCTV 30 days from recording, automatically, backups too.
// The days are Copenhagen calendar days, also across the nights the clocks
// change (29 March and 25 October 2026).
func TestRowC1CCTV(t *testing.T) {
	const p = "Kamera-1/2026-03-29/00-30-00.mp4"
	spring := local(2026, 3, 29, 0, 30)  // 23:30 UTC on 28 March
	autumn := local(2026, 10, 25, 0, 30) // 22:30 UTC on 24 October
	const r = "recording"
	runRow(t, "C1", []rowCase{
		{name: "spring DST night: day before", path: p, kind: r, mod: spring, today: "2026-04-27", verdict: policies.Keep, due: "2026-04-28"},
		{name: "spring DST night: on", path: p, kind: r, mod: spring, today: "2026-04-28", verdict: policies.Due, due: "2026-04-28"},
		{name: "spring DST night: day after", path: p, kind: r, mod: spring, today: "2026-04-29", verdict: policies.Due, due: "2026-04-28"},
		{name: "spring DST night given in UTC", path: p, kind: r, mod: time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC), today: "2026-04-27", verdict: policies.Keep, due: "2026-04-28"},
		{name: "spring: after the clocks went forward", path: p, kind: r, mod: local(2026, 3, 29, 3, 30), today: "2026-04-28", verdict: policies.Due, due: "2026-04-28"},
		{name: "spring: the evening before", path: p, kind: r, mod: local(2026, 3, 28, 23, 30), today: "2026-04-27", verdict: policies.Due, due: "2026-04-27"},
		{name: "autumn DST night: day before", path: p, kind: r, mod: autumn, today: "2026-11-23", verdict: policies.Keep, due: "2026-11-24"},
		{name: "autumn DST night: on", path: p, kind: r, mod: autumn, today: "2026-11-24", verdict: policies.Due, due: "2026-11-24"},
		{name: "autumn DST night: day after", path: p, kind: r, mod: autumn, today: "2026-11-25", verdict: policies.Due, due: "2026-11-24"},
		{name: "autumn DST night given in UTC", path: p, kind: r, mod: time.Date(2026, 10, 24, 22, 30, 0, 0, time.UTC), today: "2026-11-23", verdict: policies.Keep, due: "2026-11-24"},
		{name: "autumn: the repeated hour", path: p, kind: r, mod: local(2026, 10, 25, 2, 30), today: "2026-11-24", verdict: policies.Due, due: "2026-11-24"},
		{name: "autumn: last minute of the 25-hour day", path: p, kind: r, mod: local(2026, 10, 25, 23, 59), today: "2026-11-23", verdict: policies.Keep, due: "2026-11-24"},
		{name: "backup copies are recordings with the same time", path: "@backup-1/" + p, kind: r, mod: autumn, today: "2026-11-24", verdict: policies.Due, due: "2026-11-24"},
	})
	// A recording whose time could not be trusted is kept for review.
	set0 := defaultSet(t)
	it := &policies.Item{Source: "nvr", Kind: "recording", Path: "Kamera-1/cam_20260230_120000.mp4", Modified: local(2026, 3, 1, 0, 0),
		RecordedFrom: "the recording date 2026-02-30 is not a day of the calendar"}
	if d := set0.Evaluate(it, &policies.Env{Today: date("2027-01-01")}); d.Verdict != policies.Review || !strings.Contains(d.Reason(), "2026-02-30 is not a day") {
		t.Errorf("recording without a trusted time: %v: %s", d.Verdict, d.Reason())
	}
	// Files in a CCTV folder of an ordinary share are not recordings: point
	// a cctv source at that folder instead.
	runRow(t, "", []rowCase{{name: "a file is no recording", path: "CCTV/Kamera-1/x.mp4", mod: autumn, today: "2027-01-01", verdict: policies.Keep}})
	set := defaultSet(t)
	if r := set.Rule("C1"); r == nil || !r.Approval.Automatic() {
		t.Error("C1 must run without approval: the law says automatically")
	}
	for _, id := range []string{"S3", "S4", "P3", "O1"} {
		if r := set.Rule(id); r == nil || r.Approval.Automatic() {
			t.Errorf("%s deletes personal data without approval", id)
		}
	}
}

// RULES.md O1: photo albums on social media, 3 years. From a leap day the
// engine clamps to the end of February: 2024-02-29 + 3 years = 2027-02-28.
func TestRowO1SocialMediaLeapDayClampsTo28February(t *testing.T) {
	const p = "Kommunikation/Sociale medier/Album 2024/Foto.jpg"
	leap := local(2024, 2, 29, 12, 0)
	runRow(t, "O1", []rowCase{
		{name: "29 Feb 2024 + 3 years = 28 Feb 2027: day before", path: p, mod: leap, today: "2027-02-27", verdict: policies.Keep, due: "2027-02-28"},
		{name: "29 Feb 2024 + 3 years = 28 Feb 2027: on", path: p, mod: leap, today: "2027-02-28", verdict: policies.Due, due: "2027-02-28"},
		{name: "29 Feb 2024 + 3 years = 28 Feb 2027: day after", path: p, mod: leap, today: "2027-03-01", verdict: policies.Due, due: "2027-02-28"},
		{name: "1 March 2024 + 3 years = 1 March 2027", path: p, mod: local(2024, 3, 1, 12, 0), today: "2027-02-28", verdict: policies.Keep, due: "2027-03-01"},
		{name: "28 Feb 2025 + 3 years = 28 Feb 2028, not the leap day", path: "Sociale medier/x.jpg", mod: local(2025, 2, 28, 12, 0), today: "2028-02-28", verdict: policies.Due, due: "2028-02-28"},
		{name: "folder name in other case", path: "KOMMUNIKATION/SOCIALE MEDIER/x.jpg", mod: leap, today: "2027-02-28", verdict: policies.Due, due: "2027-02-28"},
	})
}

func TestUnmatchedItemsAreKept(t *testing.T) {
	mod := local(2000, 1, 1, 0, 0)
	everyone := subjects{"student:Frida Bak": {Events: map[string]policies.Date{"left": date("2001-01-01")}}}
	runRow(t, "", []rowCase{
		{name: "elsewhere", path: "Elsewhere/report.pdf", mod: mod, today: "2030-01-01", verdict: policies.Keep, due: "none"},
		{name: "at the top", path: "report.pdf", mod: mod, today: "2030-01-01", subj: everyone, verdict: policies.Keep, due: "none"},
		{name: "similar folder name", path: "Udmeldte elever 2020/Frida Bak/x.docx", mod: mod, today: "2030-01-01", subj: everyone, verdict: policies.Keep, due: "none"},
		{name: "name as a file, not a folder", path: "Arkiv/CCTV", mod: mod, today: "2030-01-01", verdict: policies.Keep, due: "none"},
		{name: "held but unmatched stays keep", path: "Elsewhere/x.pdf", mod: mod, today: "2030-01-01", verdict: policies.Keep,
			holds: []*policies.Hold{{ID: "H", Reason: "r", Path: policies.MustCompilePattern("Elsewhere/**")}}},
	})
}

// M1 and M2: sensitive mail goes a month after it arrived, all mail after
// three years; the earlier deadline wins.
func TestMailRules(t *testing.T) {
	set := defaultSet(t)
	for _, c := range []struct {
		name     string
		received time.Time
		labels   []string
		today    string
		rule     string
		verdict  policies.Verdict
		due      string
	}{
		{"sensitive, the day before", local(2026, 1, 15, 9, 30), []string{"sensitive"}, "2026-02-14", "M1", policies.Keep, ""},
		{"sensitive, on the day", local(2026, 1, 15, 9, 30), []string{"sensitive"}, "2026-02-15", "M1", policies.Due, "2026-02-15"},
		{"sensitive, a day after", local(2026, 1, 15, 9, 30), []string{"sensitive"}, "2026-02-16", "M1", policies.Due, "2026-02-15"},
		{"sensitive on 31 January: February has no 31st", local(2026, 1, 31, 23, 59), []string{"sensitive"}, "2026-02-28", "M1", policies.Due, "2026-02-28"},
		{"received just after midnight Copenhagen time (still the day before in UTC)", time.Date(2026, 1, 14, 23, 30, 0, 0, time.UTC), []string{"sensitive"}, "2026-02-14", "M1", policies.Keep, ""},
		{"ordinary mail, a day before three years", local(2023, 3, 1, 8, 0), nil, "2026-02-28", "M2", policies.Keep, ""},
		{"ordinary mail, three years", local(2023, 3, 1, 8, 0), nil, "2026-03-01", "M2", policies.Due, "2026-03-01"},
		{"ordinary mail of a leap day", local(2024, 2, 29, 8, 0), nil, "2027-02-28", "M2", policies.Due, "2027-02-28"},
		{"ordinary mail across DST", local(2023, 3, 26, 2, 30), nil, "2026-03-26", "M2", policies.Due, "2026-03-26"},
		{"other labels do not make mail sensitive", local(2026, 1, 15, 9, 30), []string{"sensitive: the keyword \"x\" in the subject"}, "2026-03-01", "M2", policies.Keep, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			it := &policies.Item{Source: "mail", Kind: "message", Ref: "anna@skole.dk/AAMk", Path: "anna@skole.dk/AAMk", Received: c.received, Labels: c.labels}
			dec := set.Evaluate(it, &policies.Env{Today: date(c.today)})
			if dec.Verdict != c.verdict || dec.Rule == nil || dec.Rule.ID != c.rule {
				t.Fatalf("%v by %v, want %v by %s: %s", dec.Verdict, dec.Rule, c.verdict, c.rule, dec.Reason())
			}
			if c.due != "" && dec.Due.String() != c.due {
				t.Errorf("due %v, want %s: %s", dec.Due, c.due, dec.Reason())
			}
		})
	}
}
