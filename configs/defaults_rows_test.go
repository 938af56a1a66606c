package configs

import (
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/policies"
)

// The rows of RULES.md added with the school-system exports: students
// (S1, S2, S5-S14), Lectio's categories (L1-L6 and the teachers'), staff
// (P1, P2, P3b, P4, P5) and M6. Each case is a dated scenario with the day
// before, on and after its deadline where one exists.

// pupil returns the export's view of student 1003.
func pupil(left, born string) subjects {
	ev := map[string]policies.Date{"started": date("2020-08-12")}
	if left != "" {
		ev["left"] = date(left)
	}
	if born != "" {
		ev["born"] = date(born)
	}
	return subjects{"student:1003": {Events: ev}}
}

// employee returns the export's view of employee 4711.
func employee(left string, events map[string]string, flags map[string]bool) subjects {
	ev := map[string]policies.Date{"started": date("2001-08-01"), "born": date("1970-06-14")}
	if left != "" {
		ev["left"] = date(left)
	}
	for k, v := range events {
		ev[k] = date(v)
	}
	if flags == nil {
		flags = map[string]bool{"manager": false}
	}
	return subjects{"staff:4711": {Events: ev, Flags: flags}}
}

// days returns cases for the day before, on and after due.
func days(name, path, kind string, subj subjects, before, on, after string) []rowCase {
	return []rowCase{
		{name: name + ": day before", path: path, kind: kind, mod: local(2020, 1, 1, 0, 0), today: before, subj: subj, verdict: policies.Keep, due: on},
		{name: name + ": on the day", path: path, kind: kind, mod: local(2020, 1, 1, 0, 0), today: on, subj: subj, verdict: policies.Due, due: on},
		{name: name + ": day after", path: path, kind: kind, mod: local(2020, 1, 1, 0, 0), today: after, subj: subj, verdict: policies.Due, due: on},
	}
}

func cat(groups ...[]rowCase) []rowCase {
	var all []rowCase
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

func TestRowS1DataProcessors(t *testing.T) {
	runRow(t, "S1", cat(
		days("24 months after leaving on 31 July", "Databehandlere/Elevdata/1003", "record", pupil("2026-07-31", ""), "2028-07-30", "2028-07-31", "2028-08-01"),
		days("leaving on 29 February", "Databehandlere/Elevdata/1003", "record", pupil("2024-02-29", ""), "2026-02-27", "2026-02-28", "2026-03-01"),
		[]rowCase{{name: "enrolled: kept", path: "Databehandlere/Elevdata/1003", kind: "record", today: "2040-01-01", subj: pupil("", ""), verdict: policies.Keep, due: "none"}},
	))
}

func TestRowS2SkoleIntra(t *testing.T) {
	runRow(t, "S2", days("1 year under Udmeldte Elever", "SkoleIntra/Udmeldte elever/1003", "record", pupil("2026-06-26", ""), "2027-06-25", "2027-06-26", "2027-06-27"))
}

func TestRowS5IdentityHasNoDeadline(t *testing.T) {
	const p = "Administration/Elever/1003/Stamdata/cpr.pdf"
	// S8 would delete at the end of the year of leaving; S5's minimum
	// (until a death is recorded) keeps identity data, and the conflict is
	// reported.
	set := defaultSet(t)
	dec := set.Evaluate(&policies.Item{Source: "share", Kind: "file", Path: p}, &policies.Env{Today: date("2060-01-01"), Subjects: pupil("2026-06-26", "")})
	if dec.Verdict != policies.Keep || dec.Retain == nil || dec.Retain.ID != "S5" || !dec.RetainForever || !dec.Conflict() {
		t.Fatalf("%v: %s", dec.Verdict, dec.Reason())
	}
}

func TestRowS6S7S8StudentFiles(t *testing.T) {
	left := pupil("2026-07-31", "")
	runRow(t, "S8", cat(
		days("end of the calendar year of leaving on 31 July", "Administration/Elever/1003/Elevplan.docx", "", left, "2026-12-31", "2027-01-01", "2027-01-02"),
		days("leaving on 1 August: same calendar year", "Administration/Elever/1003/Elevplan.docx", "", pupil("2026-08-01", ""), "2026-12-31", "2027-01-01", "2027-01-02"),
		days("leaving on 31 December", "Administration/Elever/1003/x.pdf", "", pupil("2026-12-31", ""), "2026-12-31", "2027-01-01", "2027-01-02"),
		days("leaving on 1 January: a year later", "Administration/Elever/1003/x.pdf", "", pupil("2027-01-01", ""), "2027-12-31", "2028-01-01", "2028-01-02"),
		// S6 and S7 are minimums S8 waits for.
		// S6: 30 years from the end of the calendar year of leaving (a
		// minimum, footnote 40's way of counting).
		days("exam certificates: 30 years", "Administration/Elever/1003/Eksamen/bevis.pdf", "", left, "2056-12-31", "2057-01-01", "2057-01-02"),
		days("exam certificates: leaving on 1 January", "Administration/Elever/1003/Eksamen/bevis.pdf", "", pupil("2027-01-01", ""), "2057-12-31", "2058-01-01", "2058-01-02"),
		// S7 (footnote 40): 5 years from the end of the calendar year of
		// leaving; leaving on 31 December and on 1 January a year apart.
		days("merit, SU, SPS: 5 years from the end of the year", "Administration/Elever/1003/Økonomi og støtte/SU.pdf", "", left, "2031-12-31", "2032-01-01", "2032-01-02"),
		days("merit, SU, SPS: leaving on 31 December", "Administration/Elever/1003/Økonomi og støtte/SU.pdf", "", pupil("2026-12-31", ""), "2031-12-31", "2032-01-01", "2032-01-02"),
		days("merit, SU, SPS: leaving on 1 January", "Administration/Elever/1003/Økonomi og støtte/SU.pdf", "", pupil("2027-01-01", ""), "2032-12-31", "2033-01-01", "2033-01-02"),
		[]rowCase{{name: "current students are kept", path: "Administration/Elever/1003/Elevplan.docx", today: "2040-01-01", subj: pupil("", ""), verdict: policies.Keep, due: "none"}},
	))
	set := defaultSet(t)
	dec := set.Evaluate(&policies.Item{Source: "share", Kind: "file", Path: "Administration/Elever/1003/Eksamen/bevis.pdf"}, &policies.Env{Today: date("2030-01-01"), Subjects: left})
	if dec.Retain == nil || dec.Retain.ID != "S6" || dec.DeleteDue.String() != "2027-01-01" {
		t.Errorf("exam certificate: %s", dec.Reason())
	}
}

func TestRowS9S10S14ItemDated(t *testing.T) {
	runRow(t, "S9", []rowCase{
		{name: "6 months from logging: day before", path: "IT/Logs/Elevnet/2026-01-31.log", mod: local(2026, 1, 31, 10, 0), today: "2026-07-30", verdict: policies.Keep, due: "2026-07-31"},
		{name: "6 months from logging: on", path: "IT/Logs/Elevnet/2026-01-31.log", mod: local(2026, 1, 31, 10, 0), today: "2026-07-31", verdict: policies.Due, due: "2026-07-31"},
		{name: "31 August + 6 months is 28 February", path: "IT/Logs/Elevnet/x.log", mod: local(2025, 8, 31, 10, 0), today: "2026-02-28", verdict: policies.Due, due: "2026-02-28"},
	})
	runRow(t, "S10", []rowCase{
		{name: "5 years after the calendar year paid: day before", path: "Administration/Brobygning/tilskud.pdf", mod: local(2026, 3, 1, 10, 0), today: "2031-12-31", verdict: policies.Keep, due: "2032-01-01"},
		{name: "5 years after the calendar year paid: on", path: "Administration/Brobygning/tilskud.pdf", mod: local(2026, 12, 31, 23, 30), today: "2032-01-01", verdict: policies.Due, due: "2032-01-01"},
	})
	runRow(t, "S14", []rowCase{
		{name: "applied 31 July: admission ends that day", path: "Optagelse/Ansøgere/Ikke optaget/a.pdf", mod: local(2026, 7, 31, 12, 0), today: "2026-08-01", verdict: policies.Due, due: "2026-08-01"},
		{name: "applied 1 August: the next school year", path: "Optagelse/Ansøgere/Ikke optaget/a.pdf", mod: local(2026, 8, 1, 12, 0), today: "2027-07-31", verdict: policies.Keep, due: "2027-08-01"},
	})
}

// itemDays returns cases for the day before, on and after due, for a file
// last modified at mod.
func itemDays(name, path string, mod time.Time, before, on, after string) []rowCase {
	return []rowCase{
		{name: name + ": day before", path: path, mod: mod, today: before, verdict: policies.Keep, due: on},
		{name: name + ": on the day", path: path, mod: mod, today: on, verdict: policies.Due, due: on},
		{name: name + ": day after", path: path, mod: mod, today: after, verdict: policies.Due, due: on},
	}
}

// The rows dated by the file itself (the seed's event is not visible on a
// share; the file's date stands in), each with the day before, on and
// after its deadline (rules audit, docs/rules-audit.md).
func TestRowsItemDatedBoundaries(t *testing.T) {
	// S9, 004 section 55.1: "6 måneder fra de er registreret".
	runRow(t, "S9", itemDays("network log: 6 months", "IT/Logs/Elevnet/a.log", local(2026, 1, 31, 10, 0), "2026-07-30", "2026-07-31", "2026-08-01"))
	// S10, 004 checklist 16 pt. 2: "5 år efter det kalenderår, hvori eleven
	// har udløst taxametertilskud".
	runRow(t, "S10", cat(
		itemDays("brobygning: paid on 31 December", "Administration/Brobygning/a.pdf", local(2026, 12, 31, 23, 30), "2031-12-31", "2032-01-01", "2032-01-02"),
		itemDays("brobygning: paid on 1 January", "Administration/Brobygning/a.pdf", local(2027, 1, 1, 0, 30), "2032-12-31", "2033-01-01", "2033-01-02"),
	))
	// S14, 004 checklist 15 pt. 8: "når optagelsesprocessen er slut": the
	// end of the school year the application was filed in.
	runRow(t, "S14", cat(
		itemDays("applied 31 July", "Optagelse/Ansøgere/Ikke optaget/a.pdf", local(2026, 7, 31, 12, 0), "2026-07-31", "2026-08-01", "2026-08-02"),
		itemDays("applied 1 August", "Optagelse/Ansøgere/Ikke optaget/a.pdf", local(2026, 8, 1, 12, 0), "2027-07-31", "2027-08-01", "2027-08-02"),
	))
	// P1a, 004 section 55.2: "slettes 6 måneder efter rekrutteringsprocessen
	// er afsluttet".
	runRow(t, "P1a", itemDays("applicants: 6 months", "Personale/Rekruttering/Lærer 2026/Ikke ansat/a.pdf", local(2026, 8, 31, 9, 0), "2027-02-27", "2027-02-28", "2027-03-01"))
	// P1b, 004 checklist 20 pt. 10: "Senest [3 år] efter afslutning af
	// rekrutteringsproces".
	runRow(t, "P1b", itemDays("candidate bank: 3 years", "Personale/Kandidatbank/cv.pdf", local(2024, 2, 29, 9, 0), "2027-02-27", "2027-02-28", "2027-03-01"))
}

func TestRowS11GuardiansAt18(t *testing.T) {
	const p = "Administration/Forældre/1003/kontakt.pdf"
	runRow(t, "S11", cat(
		days("18th birthday", p, "", pupil("", "2008-11-23"), "2026-11-22", "2026-11-23", "2026-11-24"),
		// Born on 29 February: the 18th birthday in a common year is taken
		// as 1 March, never a day early.
		days("born on 29 February", p, "", pupil("", "2008-02-29"), "2026-02-28", "2026-03-01", "2026-03-02"),
	))
	// Issue 17, finding 14: an empty birth date is an unknown fact, not a
	// birthday that never comes: the item is put up for review, and the
	// reason names the missing fact.
	for _, today := range []string{"2026-01-01", "2040-01-01"} {
		dec := defaultSet(t).Evaluate(&policies.Item{Source: "share", Kind: "file", Path: p}, &policies.Env{Today: date(today), Subjects: pupil("", "")})
		if dec.Verdict != policies.Review || dec.UnknownRule == nil || dec.UnknownRule.ID != "S11" || !strings.Contains(dec.Reason(), "no birth date for student:1003") {
			t.Errorf("no birth date, %s: %v: %s", today, dec.Verdict, dec.Reason())
		}
	}
}

// S12 (004 checklist 18 pt. 4): "regnskabsoplysninger og samtykker gemmes
// i 5 hhv. 7 år fra dimission": both periods count from the student's
// graduation, not from the file's date.
func TestRowS12GymBetalingFromGraduation(t *testing.T) {
	const accounts = "Økonomi/GymBetaling/Regnskab/1003/betalinger-2024.xlsx"
	graduated := pupil("2026-06-26", "")
	runRow(t, "S12a", cat(
		days("accounts: 5 years from graduation", accounts, "", graduated, "2031-06-25", "2031-06-26", "2031-06-27"),
		[]rowCase{
			// Counted from the file's date (a payment of June 2025), the old
			// rule made this due on 1 January 2031, six months early.
			{name: "a payment of the year before graduation is not due early", path: accounts, mod: local(2025, 6, 1, 10, 0), today: "2031-01-01", subj: graduated, verdict: policies.Keep, due: "2031-06-26"},
			{name: "a current student's payments are kept", path: accounts, mod: local(2020, 6, 1, 10, 0), today: "2040-01-01", subj: pupil("", ""), verdict: policies.Keep, due: "none"},
		},
	))
	runRow(t, "S12b", days("consents: 7 years from graduation", "Økonomi/GymBetaling/Samtykker/1003/samtykke.pdf", "", graduated, "2033-06-25", "2033-06-26", "2033-06-27"))
	// Not linked to a student, an accounting file is not S12's to delete.
	runRow(t, "", []rowCase{{name: "accounts outside a student's folder", path: "Økonomi/GymBetaling/Regnskab/2026.xlsx", mod: local(2020, 6, 1, 10, 0), today: "2040-01-01", subj: graduated, verdict: policies.Keep, due: "none"}})
}

func TestRowS13(t *testing.T) {
	// S13 (004 checklist 18 pt. 5): "Senest med udgangen af kalenderåret":
	// at the latest on 31 December of the year of graduation.
	runRow(t, "S13", cat(
		days("processors by the end of the calendar year", "UNI-login/Databehandlere/1003", "record", pupil("2026-06-26", ""), "2026-12-30", "2026-12-31", "2027-01-01"),
		days("leaving on 31 December: that day", "UNI-login/Databehandlere/1003", "record", pupil("2026-12-31", ""), "2026-12-30", "2026-12-31", "2027-01-01"),
		days("leaving on 1 January: the end of that year", "UNI-login/Databehandlere/1003", "record", pupil("2027-01-01", ""), "2027-12-30", "2027-12-31", "2028-01-01"),
	))
	dec := defaultSet(t).Evaluate(&policies.Item{Source: "s", Kind: "record", Path: "UNI-login/Databehandlere/1003"}, &policies.Env{Today: date("2026-12-31"), Subjects: pupil("2026-06-26", "")})
	if want := "at the latest on the last day of that calendar year"; !strings.Contains(dec.Reason(), want) {
		t.Errorf("reason lacks %q: %s", want, dec.Reason())
	}
}

func TestRowsLectio(t *testing.T) {
	left := pupil("2026-07-31", "2008-02-29")
	runRow(t, "L1", days("master data: 2 years", "Lectio/Stamdata/1003", "record", left, "2028-07-30", "2028-07-31", "2028-08-01"))
	runRow(t, "L3", days("absence reasons: 5 months", "Lectio/Fraværsårsager/1003", "record", left, "2026-12-30", "2026-12-31", "2027-01-01"))
	runRow(t, "L4", days("grades: 10 years", "Lectio/Karakterer og fravær/1003", "record", left, "2036-07-30", "2036-07-31", "2036-08-01"))
	runRow(t, "L5", days("hand-in notes: 2 years", "Lectio/Opgavenoter/1003", "record", left, "2028-07-30", "2028-07-31", "2028-08-01"))
	runRow(t, "L6", days("photos and logons: 3 months", "Lectio/Fotos og logins/1003", "record", pupil("2026-05-31", ""), "2026-08-30", "2026-08-31", "2026-09-01"))
	runRow(t, "LT1", days("teachers' master data: 1 year", "Lectio/Lærere/Stamdata/4711", "record", employee("2026-07-31", nil, nil), "2027-07-30", "2027-07-31", "2027-08-01"))
	runRow(t, "LT2", days("teachers' logon: 30 days", "Lectio/Lærere/Login/4711", "record", employee("2026-07-31", nil, nil), "2026-08-29", "2026-08-30", "2026-08-31"))
	runRow(t, "LT3", days("time registrations: 5 financial years", "Lectio/Lærere/Tidsregistrering/4711", "record", employee("2026-07-31", nil, nil), "2031-12-31", "2032-01-01", "2032-01-02"))
}

// L2 (004 "Datasletning i Lectio", Værger): "kan slettes fra først kommende
// måned efter der er gået 1 år fra elevslutdato eller fra dagen hvor elev
// fylder 20 år", whichever comes first (issue 17, finding 13). The month
// rounding belongs to the end-date branch; the birthday branch is the day
// itself, for a student who turns 20 after leaving.
func TestRowL2LectioGuardians(t *testing.T) {
	const p = "Lectio/Forældre/1003"
	// rows checks the day before, on and after due, decided by rule.
	rows := func(rule, name string, subj subjects, before, on, after string) {
		t.Helper()
		runRow(t, rule, days(name, p, "record", subj, before, on, after))
	}
	// The two examples.
	rows("L2b", "born 2007-03-10, left 2026-06-30: the 20th birthday comes first", pupil("2026-06-30", "2007-03-10"), "2027-03-09", "2027-03-10", "2027-03-11")
	rows("L2a", "born 2000-01-01, left 2026-06-30: 20 before leaving, the first of the month after a year", pupil("2026-06-30", "2000-01-01"), "2027-06-30", "2027-07-01", "2027-07-02")
	// The end-date branch: the first of the month after one year.
	rows("L2a", "left 31 July: 1 August a year later", pupil("2026-07-31", "2005-01-15"), "2027-07-31", "2027-08-01", "2027-08-02")
	rows("L2a", "left 1 July: one year is 1 July, the month after it starts 1 August", pupil("2026-07-01", "2005-01-15"), "2027-07-31", "2027-08-01", "2027-08-02")
	rows("L2a", "left 15 June", pupil("2026-06-15", "2005-01-15"), "2027-06-30", "2027-07-01", "2027-07-02")
	rows("L2a", "left 29 February", pupil("2028-02-29", "2005-01-15"), "2029-02-28", "2029-03-01", "2029-03-02")
	rows("L2a", "left 31 December", pupil("2026-12-31", "2005-01-15"), "2027-12-31", "2028-01-01", "2028-01-02")
	// The birthday branch: the day itself, no rounding.
	rows("L2b", "20th birthday on the first of a month", pupil("2026-06-30", "2007-05-01"), "2027-04-30", "2027-05-01", "2027-05-02")
	rows("L2b", "20th birthday the day after leaving", pupil("2026-06-30", "2006-07-01"), "2026-06-30", "2026-07-01", "2026-07-02")
	rows("L2b", "born 29 February 2008, left 2027-06-30: the 20th birthday is 29 February 2028", pupil("2027-06-30", "2008-02-29"), "2028-02-28", "2028-02-29", "2028-03-01")
	// Both branches on the same day: either rule may be named; the date is
	// what matters.
	set := defaultSet(t)
	for _, c := range []struct {
		name, today, due string
		subj             subjects
		verdict          policies.Verdict
	}{
		{"20th birthday on the first of the month after a year: day before", "2027-06-30", "2027-07-01", pupil("2026-06-15", "2007-07-01"), policies.Keep},
		{"20th birthday on the first of the month after a year: on", "2027-07-01", "2027-07-01", pupil("2026-06-15", "2007-07-01"), policies.Due},
		{"20th birthday on the leaving day: the end-date branch", "2027-06-30", "2027-07-01", pupil("2026-06-15", "2006-06-15"), policies.Keep},
		{"20th birthday on the leaving day: on", "2027-07-01", "2027-07-01", pupil("2026-06-15", "2006-06-15"), policies.Due},
		{"20th birthday a day after the first of the month after a year", "2027-07-01", "2027-07-01", pupil("2026-06-15", "2007-07-02"), policies.Due},
		{"a current student turning 20 is not selected", "2040-01-01", "none", pupil("", "2007-03-10"), policies.Keep},
	} {
		t.Run(c.name, func(t *testing.T) {
			dec := set.Evaluate(&policies.Item{Source: "lectio", Kind: "record", Ref: p, Path: p}, &policies.Env{Today: date(c.today), Subjects: c.subj})
			due := dec.Due.String()
			if dec.Due.IsZero() {
				due = "none"
			}
			if dec.Verdict != c.verdict || due != c.due {
				t.Fatalf("%v due %s, want %v due %s: %s", dec.Verdict, due, c.verdict, c.due, dec.Reason())
			}
		})
	}
	// No birth date: until the end-date branch is due, the birthday branch
	// might already be, so the record is up for review; from then on the
	// end-date branch decides alone.
	for _, c := range []struct {
		today   string
		verdict policies.Verdict
	}{{"2026-12-01", policies.Review}, {"2027-06-30", policies.Review}, {"2027-07-01", policies.Due}} {
		dec := set.Evaluate(&policies.Item{Source: "lectio", Kind: "record", Ref: p, Path: p}, &policies.Env{Today: date(c.today), Subjects: pupil("2026-06-30", "")})
		if dec.Verdict != c.verdict || c.verdict == policies.Review && !strings.Contains(dec.Reason(), "no birth date") {
			t.Errorf("no birth date, %s: %v, want %v: %s", c.today, dec.Verdict, c.verdict, dec.Reason())
		}
	}
}

func TestRowsStaff(t *testing.T) {
	runRow(t, "P1a", []rowCase{
		{name: "applicants: 6 months: day before", path: "Personale/Rekruttering/Lærer 2026/Ikke ansat/ansøgning.pdf", mod: local(2026, 3, 31, 9, 0), today: "2026-09-29", verdict: policies.Keep, due: "2026-09-30"},
		{name: "applicants: 6 months: on", path: "Personale/Rekruttering/Lærer 2026/Ikke ansat/ansøgning.pdf", mod: local(2026, 3, 31, 9, 0), today: "2026-09-30", verdict: policies.Due, due: "2026-09-30"},
	})
	runRow(t, "P1b", []rowCase{
		{name: "candidate bank: 3 years", path: "Personale/Kandidatbank/cv.pdf", mod: local(2023, 11, 23, 9, 0), today: "2026-11-23", verdict: policies.Due, due: "2026-11-23"},
	})
	runRow(t, "P2", []rowCase{
		{name: "current employees are kept", path: "Personale/Ansatte/4711/kontrakt.pdf", today: "2040-01-01", subj: employee("", nil, nil), verdict: policies.Keep, due: "none"},
	})
	runRow(t, "P4", days("user account: 30 days", "Konti/4711", "record", employee("2026-07-31", nil, nil), "2026-08-29", "2026-08-30", "2026-08-31"))
	// P5 (004 checklist 22 pt. 8): "Senest når medarbejderen fratræder":
	// due on the leaving day itself, no grace period.
	runRow(t, "P5", days("loose notes: on the leaving day", "Personale/Løse noter/4711/MUS.docx", "", employee("2026-07-31", nil, nil), "2026-07-30", "2026-07-31", "2026-08-01"))
	runRow(t, "P5", days("loose notes: leaving on 29 February", "Personale/Løse noter/4711/MUS.docx", "", employee("2028-02-29", nil, nil), "2028-02-28", "2028-02-29", "2028-03-01"))
	runRow(t, "M6", days("mailbox: closed after 30 days", "Microsoft 365/Postkasser/4711", "record", employee("2026-07-31", nil, nil), "2026-08-29", "2026-08-30", "2026-08-31"))
}

// P3b: a closed case keeps the personnel file 3 years after closing when
// that is later than P3's 5 years; people without a case are not affected.
func TestRowP3bClosedCase(t *testing.T) {
	const p = "Personale/Fratrådte/4711/kontrakt.pdf"
	set := defaultSet(t)
	for _, c := range []struct {
		name    string
		subj    subjects
		today   string
		verdict policies.Verdict
		due     string
	}{
		{"no case: P3 alone", employee("2020-03-15", nil, nil), "2026-01-01", policies.Due, "2026-01-01"},
		{"case closed 2025-06-30: day before", employee("2020-03-15", map[string]string{"case_closed": "2025-06-30"}, nil), "2028-06-29", policies.Keep, "2028-06-30"},
		{"case closed 2025-06-30: on", employee("2020-03-15", map[string]string{"case_closed": "2025-06-30"}, nil), "2028-06-30", policies.Due, "2028-06-30"},
		{"case closed long before: P3's date stands", employee("2020-03-15", map[string]string{"case_closed": "2019-01-10"}, nil), "2026-01-01", policies.Due, "2026-01-01"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dec := set.Evaluate(&policies.Item{Source: "share", Kind: "file", Path: p}, &policies.Env{Today: date(c.today), Subjects: c.subj})
			if dec.Verdict != c.verdict || dec.Due.String() != c.due || dec.Rule == nil || dec.Rule.ID != "P3" {
				t.Fatalf("%v due %v: %s", dec.Verdict, dec.Due, dec.Reason())
			}
		})
	}
	// A pending case is a hold on the employee (made from the HR export).
	pending := &policies.Hold{ID: "case:staff:4711", Reason: "a case is pending", Subject: "staff:4711"}
	dec := set.Evaluate(&policies.Item{Source: "share", Kind: "file", Path: p}, &policies.Env{Today: date("2030-01-01"), Subjects: employee("2020-03-15", nil, nil), Holds: []*policies.Hold{pending}})
	if dec.Verdict != policies.Held {
		t.Fatalf("pending case: %v: %s", dec.Verdict, dec.Reason())
	}
}

// byEmail adds the address lookup of the real subject index.
type byEmail struct {
	subjects
	addr map[string]string
}

func (b byEmail) ByEmail(a string) (string, bool) { k, ok := b.addr[a]; return k, ok }

// P5 for mail: the mailbox of a departed employee, linked by the address in
// the HR export, goes 30 days after leaving; shared mailboxes and current
// staff are left to M1 and M2.
func TestRowP5mMailOfDepartedStaff(t *testing.T) {
	set := defaultSet(t)
	departed := byEmail{employee("2026-07-31", nil, nil), map[string]string{"eva@skole.dk": "staff:4711"}}
	current := byEmail{employee("", nil, nil), map[string]string{"eva@skole.dk": "staff:4711"}}
	for _, c := range []struct {
		name, mailbox, today string
		subj                 policies.Subjects
		verdict              policies.Verdict
		rule, due            string
	}{
		{"departed: day before", "eva@skole.dk", "2026-08-29", departed, policies.Keep, "P5m", "2026-08-30"},
		{"departed: on the day", "eva@skole.dk", "2026-08-30", departed, policies.Due, "P5m", "2026-08-30"},
		{"departed: day after", "eva@skole.dk", "2026-08-31", departed, policies.Due, "P5m", "2026-08-30"},
		{"current staff: M2 decides", "eva@skole.dk", "2026-08-30", current, policies.Keep, "M2", "2029-08-01"},
		{"shared mailbox: M2 decides", "kontor@skole.dk", "2026-08-30", departed, policies.Keep, "M2", "2029-08-01"},
		{"no export: M2 decides", "eva@skole.dk", "2026-08-30", nil, policies.Keep, "M2", "2029-08-01"},
	} {
		t.Run(c.name, func(t *testing.T) {
			it := &policies.Item{Source: "mail", Kind: "message", Path: c.mailbox + "/AAMkAD", Received: local(2026, 8, 1, 9, 0)}
			d := set.Evaluate(it, &policies.Env{Today: date(c.today), Subjects: c.subj})
			if d.Verdict != c.verdict || d.Rule == nil || d.Rule.ID != c.rule || d.Due.String() != c.due {
				t.Fatalf("%v by %v due %v: %s", d.Verdict, d.Rule, d.Due, d.Reason())
			}
			if c.rule == "P5m" && d.Subject != "staff:4711" {
				t.Errorf("linked to %q", d.Subject)
			}
		})
	}
}
