package configs

import (
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/policies"
)

func defaultSet(t *testing.T) *policies.Set {
	t.Helper()
	var ps []*policies.Policy
	for _, name := range DefaultPolicyNames() {
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
	loc, _ := time.LoadLocation("Europe/Copenhagen")
	set, err := policies.NewSet(loc, ps...)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

type subjects map[string]policies.Subject

func (s subjects) Lookup(kind, id string) (policies.Subject, bool) {
	sub, ok := s[kind+":"+id]
	return sub, ok
}

func d(s string) policies.Date {
	x, err := policies.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return x
}

type rowCase struct {
	name    string
	path    string
	mod     time.Time
	today   string
	subj    subjects
	holds   []*policies.Hold
	verdict policies.Verdict
	due     string // "" when not checked
}

func runRow(t *testing.T, rule string, cases []rowCase) {
	set := defaultSet(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			it := &policies.Item{Source: "share", Kind: "file", Ref: c.path, Path: c.path, Modified: c.mod}
			env := &policies.Env{Today: d(c.today), Holds: c.holds}
			if c.subj != nil {
				env.Subjects = c.subj
			}
			dec := set.Evaluate(it, env)
			if dec.Verdict != c.verdict {
				t.Fatalf("verdict %v, want %v: %s", dec.Verdict, c.verdict, dec.Reason())
			}
			if c.due != "" && dec.Due.String() != c.due {
				t.Fatalf("due %v, want %s: %s", dec.Due, c.due, dec.Reason())
			}
			if dec.Verdict != policies.Keep && !strings.Contains(dec.Reason(), rule) {
				t.Fatalf("reason does not name rule %s: %s", rule, dec.Reason())
			}
		})
	}
}

var cph, _ = time.LoadLocation("Europe/Copenhagen")

func local(y int, m time.Month, day, h, min int) time.Time {
	return time.Date(y, m, day, h, min, 0, 0, cph)
}

func TestRowS3StudentFolders(t *testing.T) {
	p := "Administration/Udmeldte elever/Frida Bak/Elevplan.docx"
	left := func(date string) subjects {
		return subjects{"student:Frida Bak": {Events: map[string]policies.Date{"left": d(date)}}}
	}
	mod := local(2025, 9, 1, 12, 0)
	runRow(t, "S3", []rowCase{
		{"day before end of school year", p, mod, "2026-07-31", left("2026-03-10"), nil, policies.Keep, "2026-08-01"},
		{"first day of new school year", p, mod, "2026-08-01", left("2026-03-10"), nil, policies.Due, "2026-08-01"},
		{"day after", p, mod, "2026-08-02", left("2026-03-10"), nil, policies.Due, "2026-08-01"},
		{"left on 31 July", p, mod, "2026-08-01", left("2026-07-31"), nil, policies.Due, "2026-08-01"},
		{"left on 1 August: next school year", p, mod, "2026-08-01", left("2026-08-01"), nil, policies.Keep, "2027-08-01"},
		{"no export: review, never due", p, mod, "2030-01-01", nil, nil, policies.Review, ""},
		{"student unknown to the export", p, mod, "2030-01-01", subjects{}, nil, policies.Review, ""},
		{"current students are not selected", "Administration/Elever/Frida Bak/Elevplan.docx", mod, "2030-01-01", left("2026-03-10"), nil, policies.Keep, ""},
	})
}

func TestRowS4Drafts(t *testing.T) {
	p := "Administration/Kladder/Statusrapport.docx"
	runRow(t, "S4", []rowCase{
		{"31 Jan + 1 month clamps to 28 Feb: day before", p, local(2026, 1, 31, 15, 0), "2026-02-27", nil, nil, policies.Keep, "2026-02-28"},
		{"on", p, local(2026, 1, 31, 15, 0), "2026-02-28", nil, nil, policies.Due, "2026-02-28"},
		{"after", p, local(2026, 1, 31, 15, 0), "2026-03-01", nil, nil, policies.Due, "2026-02-28"},
		{"leap year clamps to 29 Feb", p, local(2024, 1, 31, 15, 0), "2024-02-29", nil, nil, policies.Due, "2024-02-29"},
		{"case of the folder name is ignored", "Administration/KLADDER/x.docx", local(2026, 1, 1, 0, 0), "2026-02-01", nil, nil, policies.Due, "2026-02-01"},
	})
}

func TestRowP3PersonnelFiles(t *testing.T) {
	p := "Personale/Fratrådte/Eva Holm/Kontrakt.pdf"
	staff := func(born string, flags map[string]bool) subjects {
		return subjects{"staff:Eva Holm": {Events: map[string]policies.Date{"left": d("2020-03-15"), "born": d(born)}, Flags: flags}}
	}
	ordinary := staff("1980-05-17", map[string]bool{"manager": false})
	hold := &policies.Hold{ID: "H-1", Reason: "work-injury case", Path: policies.MustCompilePattern("Personale/Fratrådte/Eva Holm/**")}
	mod := local(2019, 1, 1, 0, 0)
	runRow(t, "P3", []rowCase{
		{"5 years from end of leaving year: day before", p, mod, "2025-12-31", ordinary, nil, policies.Keep, "2026-01-01"},
		{"on", p, mod, "2026-01-01", ordinary, nil, policies.Due, "2026-01-01"},
		{"after", p, mod, "2026-01-02", ordinary, nil, policies.Due, "2026-01-01"},
		{"born on the 1st: archive, never delete", p, mod, "2026-01-01", staff("1980-05-01", map[string]bool{"manager": false}), nil, policies.Archive, ""},
		{"manager: archive", p, mod, "2026-01-01", staff("1980-05-17", map[string]bool{"manager": true}), nil, policies.Archive, ""},
		{"manager flag unknown: review", p, mod, "2026-01-01", staff("1980-05-17", nil), nil, policies.Review, ""},
		{"pending case hold wins", p, mod, "2026-01-01", ordinary, []*policies.Hold{hold}, policies.Held, ""},
		{"no export: review", p, mod, "2030-01-01", nil, nil, policies.Review, ""},
	})
}

func TestRowC1CCTV(t *testing.T) {
	p := "CCTV/Kamera-1/2026-03-29/00-30-00.mp4"
	spring := local(2026, 3, 29, 0, 30) // the night clocks go forward
	autumn := local(2026, 10, 25, 0, 30)
	runRow(t, "C1", []rowCase{
		{"DST spring: day before", p, spring, "2026-04-27", nil, nil, policies.Keep, "2026-04-28"},
		{"DST spring: on", p, spring, "2026-04-28", nil, nil, policies.Due, "2026-04-28"},
		{"DST autumn: day before", p, autumn, "2026-11-23", nil, nil, policies.Keep, "2026-11-24"},
		{"DST autumn: on", p, autumn, "2026-11-24", nil, nil, policies.Due, "2026-11-24"},
		{"backup copies too", "Backup/CCTV/Kamera-1/x.mp4", autumn, "2026-11-24", nil, nil, policies.Due, "2026-11-24"},
	})
	if r := defaultSet(t).Rule("C1"); !r.Approval.Automatic() {
		t.Error("C1 must run without approval: the law says automatically")
	}
}

func TestRowO1SocialMedia(t *testing.T) {
	p := "Kommunikation/Sociale medier/Album 2024/Foto.jpg"
	leap := local(2024, 2, 29, 12, 0)
	runRow(t, "O1", []rowCase{
		{"leap day + 3 years clamps to 28 Feb: day before", p, leap, "2027-02-27", nil, nil, policies.Keep, "2027-02-28"},
		{"on", p, leap, "2027-02-28", nil, nil, policies.Due, "2027-02-28"},
		{"after", p, leap, "2027-03-01", nil, nil, policies.Due, "2027-02-28"},
	})
}

func TestUnmatchedItemsAreKept(t *testing.T) {
	runRow(t, "", []rowCase{{"no rule", "Elsewhere/report.pdf", local(2000, 1, 1, 0, 0), "2030-01-01", nil, nil, policies.Keep, ""}})
}

func FuzzParsePolicy(f *testing.F) {
	for _, n := range DefaultPolicyNames() {
		b, _ := DefaultPolicy(n)
		f.Add(b)
	}
	f.Add([]byte("version: 1\nid: p\nrules:\n  - {id: R, type: retain_for, from: item.created, keep: P5Y}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePolicy("f.yaml", b)
		if err != nil {
			for _, fe := range asLoadError("f.yaml", err).Errs {
				if fe.File != "f.yaml" {
					t.Fatalf("problem without file: %+v", fe)
				}
			}
			return
		}
		if len(p.Rules) == 0 {
			t.Fatal("policy without rules accepted")
		}
		for _, r := range p.Rules {
			if r.From.IsZero() || (r.Kind != policies.DeleteAfter && r.Kind != policies.RetainFor) {
				t.Fatalf("incomplete rule accepted: %+v", r)
			}
		}
	})
}
