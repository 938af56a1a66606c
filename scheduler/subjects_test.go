package scheduler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
)

const subjectPolicy = `version: 1
id: subjects-test
rules:
  - id: S3
    title: Folders of students who left
    type: delete_after
    path: "Udmeldte elever/{student}/**"
    subject: {kind: student, capture: student}
    from: subject.left
    from_end_of: school_year
    keep: P0D
    approval:
      - {group: leaders, count: 1}
  - id: P3
    title: Personnel files
    type: delete_after
    path: "Personalesager/{staff}/**"
    subject: {kind: staff, capture: staff}
    from: subject.left
    from_end_of: calendar_year
    keep: P5Y
    exemptions:
      - when: {subject_born_on_first_of_month: true}
        then: archive
        note: born on the 1st
      - when: {subject_flag: manager}
        then: archive
        note: manager
    archive_to: Arkiv
    approval:
      - {group: leaders, count: 1}
  - id: L1
    title: Lectio master data
    type: delete_after
    kinds: [record]
    path: "Lectio/Stamdata/{student}"
    subject: {kind: student, capture: student}
    from: subject.left
    keep: P2Y
    approval:
      - {group: leaders, count: 1}
`

const subjectConfig = `version: 1
ledger: {origin: test.invalid/ledger}
policies: [policy.yaml]
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - name: share
    kind: memory
    options: {name: %s}
  - name: elever
    kind: export
    options: {dir: elever, preset: tea-students}
  - name: hr
    kind: export
    options: {dir: hr, preset: hr}
`

type subjEnv struct {
	*env
}

func newSubjEnv(t *testing.T) *subjEnv {
	t.Helper()
	return &subjEnv{newEnvWith(t, subjectPolicy, subjectConfig, "elever", "hr")}
}

const teaHeader = "Elevnummer;Navn;Indmeldt;Udmeldt;Fødselsdato\n"
const hrHeader = "Medarbejdernummer;Navn;E-mail;Ansættelsesdato;Fratrædelsesdato;Fødselsdato;Lønramme;Stilling;Verserende sag;Sag afsluttet\n"

// export saves an export file into dir ("elever" or "hr"), as the n-th
// export (later ones are newer).
func (e *subjEnv) export(dir string, n int, content string) {
	e.t.Helper()
	p := filepath.Join(e.dir, dir, fmt.Sprintf("export_%03d.csv", n))
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	at := now.Add(time.Duration(n-100) * time.Hour)
	if err := os.Chtimes(p, at, at); err != nil {
		e.t.Fatal(err)
	}
}

func (e *subjEnv) planShare() *PlanResult {
	e.t.Helper()
	res, err := e.p.Plan(context.Background(), PlanOptions{Source: "share", Planner: "it", Samples: 50})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// verdicts maps each planned item to "verdict rule".
func (e *subjEnv) verdicts(res *PlanResult) map[string]string {
	e.t.Helper()
	out := map[string]string{}
	err := e.p.Store.PlanItems(context.Background(), res.Plan.ID, "", "", func(c store.Chunk) error {
		for _, it := range c.Items {
			out[it.Ref] = it.Verdict + " " + it.Rule
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func TestSubjectFactsDecideAndReenrolmentStopsExecution(t *testing.T) {
	e := newSubjEnv(t)
	e.export("elever", 1, teaHeader+"1001;A;01-08-2019;20-06-2026;12-05-2010\n1002;B;01-08-2019;;12-05-2010\n1003;C;01-08-2019;31-08-2026;12-05-2010\n")
	e.export("hr", 1, hrHeader)
	for _, ref := range []string{"Udmeldte elever/1001/plan.docx", "Udmeldte elever/1002/plan.docx", "Udmeldte elever/1003/plan.docx", "Udmeldte elever/9999/plan.docx"} {
		e.put(ref, 400*24*time.Hour)
	}
	res := e.planShare()
	got := e.verdicts(res)
	want := map[string]string{
		"Udmeldte elever/1001/plan.docx": "due S3",    // left 20 June 2026: due at the end of that school year
		"Udmeldte elever/1002/plan.docx": "keep S3",   // has not left (kept items about people are listed for explain)
		"Udmeldte elever/1003/plan.docx": "keep S3",   // leaves 31 August 2026: due at the end of July 2027
		"Udmeldte elever/9999/plan.docx": "review S3", // not in the export
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("plan:\n%v\nwant\n%v", got, want)
	}
	b := e.batch(res, "S3")
	if _, _, err := e.p.Approve(context.Background(), b.ID, "anna", b.Fingerprint); err != nil {
		t.Fatal(err)
	}
	// Before execution the student re-enrols: the new export withdraws
	// the leaving date.
	e.export("elever", 2, teaHeader+"1001;A;01-08-2019;;12-05-2010\n1002;B;01-08-2019;;12-05-2010\n1003;C;01-08-2019;31-08-2026;12-05-2010\n")
	if _, err := e.p.ImportSubjects(context.Background(), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Execute(context.Background(), b.ID, "it"); err != nil {
		t.Fatal(err)
	}
	if !e.src.Exists("Udmeldte elever/1001/plan.docx") {
		t.Fatal("the folder of a re-enrolled student was deleted")
	}
	if d := e.deletions()[e.p.Refs.Ref("item:memory:share", "Udmeldte elever/1001/plan.docx")]; fmt.Sprint(d) != "[not_due]" {
		t.Errorf("ledger outcomes %v, want [not_due]", d)
	}
	hist, err := e.p.Store.SubjectHistory(context.Background(), "student", "1001")
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, c := range hist {
		changes = append(changes, fmt.Sprintf("%s %q->%q", c.Field, c.Old, c.New))
	}
	if want := `[listed ""->"yes" left "2026-06-20"->""]`; fmt.Sprint(changes) != want {
		t.Errorf("history %v, want %s", changes, want)
	}
}

func TestStaffExemptionsAndPendingCase(t *testing.T) {
	e := newSubjEnv(t)
	e.export("elever", 1, teaHeader)
	e.export("hr", 1, hrHeader+
		"1;A;a@x.dk;01-08-2001;31-07-2020;14-04-1960;33;Lærer;Nej;\n"+ // due 1 Jan 2026
		"2;B;b@x.dk;01-08-2001;31-07-2020;01-04-1960;33;Lærer;Nej;\n"+ // born on the 1st: archive
		"3;C;c@x.dk;01-08-2001;31-07-2020;14-04-1960;37;Skoleleder;Nej;\n"+ // manager: archive
		"4;D;d@x.dk;01-08-2001;31-07-2020;14-04-1960;33;Lærer;Ja;\n"+ // pending case: held
		"5;E;e@x.dk;01-08-2001;31-07-2021;14-04-1960;33;Lærer;Nej;\n"+ // due 1 Jan 2027
		"6;F;f@x.dk;01-08-2001;31-07-2020;14-04-1960;;;Nej;\n") // manager unknown: review
	for i := 1; i <= 6; i++ {
		e.put(fmt.Sprintf("Personalesager/%d/kontrakt.pdf", i), 3000*24*time.Hour)
	}
	got := e.verdicts(e.planShare())
	want := map[string]string{
		"Personalesager/1/kontrakt.pdf": "due P3",
		"Personalesager/2/kontrakt.pdf": "archive P3",
		"Personalesager/3/kontrakt.pdf": "archive P3",
		"Personalesager/4/kontrakt.pdf": "held P3",
		"Personalesager/5/kontrakt.pdf": "keep P3",
		"Personalesager/6/kontrakt.pdf": "review P3",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("plan:\n%v\nwant\n%v", got, want)
	}
}

func TestBadExportsChangeNothing(t *testing.T) {
	e := newSubjEnv(t)
	var rows strings.Builder
	rows.WriteString(teaHeader)
	for i := range 100 {
		fmt.Fprintf(&rows, "%d;X;01-08-2019;20-06-2026;12-05-2010\n", 2000+i)
	}
	e.export("elever", 1, rows.String())
	e.export("hr", 1, hrHeader)
	e.put("Udmeldte elever/2000/a.txt", 400*24*time.Hour)
	imp := func(opts ImportOptions) ImportResult {
		t.Helper()
		rs, err := e.p.ImportSubjects(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Source == "elever" {
				return r
			}
		}
		t.Fatal("no result for elever")
		return ImportResult{}
	}
	if r := imp(ImportOptions{}); r.Status != "applied" || r.Stats.Added != 100 {
		t.Fatalf("first import: %+v", r)
	}

	tests := []struct {
		name, content string
		want          string // in Why
	}{
		{"truncated", teaHeader + strings.Repeat("2000;X;01-08-2019;20-06-2026;12-05-2010\n", 99) + "2099;X;01-0", "number of columns"},
		{"missing column", "Elevnummer;Navn;Indmeldt;Fødselsdato\n2000;X;01-08-2019;12-05-2010\n", `missing column "Udmeldt"`},
		{"much smaller", teaHeader + "2000;X;01-08-2019;20-06-2026;12-05-2010\n", "the export has 1 rows, the previous one (export_001.csv) had 100"},
	}
	for i, tt := range tests {
		e.export("elever", 2+i, tt.content)
		r := imp(ImportOptions{})
		if r.Status != "refused" || !strings.Contains(r.Why, tt.want) {
			t.Errorf("%s: %+v, want refused with %q", tt.name, r, tt.want)
		}
		// Trying again reads nothing and records nothing new.
		before, _ := e.p.Store.Imports(context.Background())
		if r := imp(ImportOptions{}); r.Status != "refused" || !strings.Contains(r.Why, "refused before") {
			t.Errorf("%s again: %+v", tt.name, r)
		}
		if after, _ := e.p.Store.Imports(context.Background()); len(after) != len(before) {
			t.Errorf("%s again: %d imports recorded, was %d", tt.name, len(after), len(before))
		}
		// The facts of the previous import are still in force.
		if v := e.verdicts(e.planShare()); v["Udmeldte elever/2000/a.txt"] != "due S3" {
			t.Errorf("%s: after the refusal, the plan says %v", tt.name, v)
		}
	}
	// The operator accepts the drop: the 99 people no longer listed are
	// kept and flagged, not treated as gone.
	if r := imp(ImportOptions{AcceptShrink: true}); r.Status != "applied" || r.Stats.Missing != 99 {
		t.Fatalf("accepted shrink: %+v", r)
	}
	e.put("Udmeldte elever/2001/a.txt", 400*24*time.Hour)
	if v := e.verdicts(e.planShare()); v["Udmeldte elever/2001/a.txt"] != "review S3" || v["Udmeldte elever/2000/a.txt"] != "due S3" {
		t.Errorf("after accepting the drop: %v", v)
	}

	// Row-level problems flag the person, and only them.
	e.export("elever", 10, teaHeader+
		"2000;X;01-08-2019;20-06-2026;12-05-2010\n"+
		"2001;X;01-08-2019;20-06-2026;12-05-2010\n2001;X;01-08-2019;20-06-2025;12-05-2010\n"+ // conflicting duplicate
		"2002;X;01-08-2019;20-06-2026;12-05-2030\n"+ // born in the future
		"2003;X;01-08-2019;31-06-2026;12-05-2010\n"+ // no such day
		"2004;X;01-08-2019;20-06-2018;12-05-2010\n") // left before starting
	if r := imp(ImportOptions{AcceptShrink: true}); r.Status != "applied" || r.Problems != 4 {
		t.Fatalf("import with problems: %+v", r)
	}
	for i := 2002; i <= 2004; i++ {
		e.put(fmt.Sprintf("Udmeldte elever/%d/a.txt", i), 400*24*time.Hour)
	}
	v := e.verdicts(e.planShare())
	for i := 2001; i <= 2004; i++ {
		if got := v[fmt.Sprintf("Udmeldte elever/%d/a.txt", i)]; got != "review S3" {
			t.Errorf("student %d: %q, want review S3", i, got)
		}
	}
	if v["Udmeldte elever/2000/a.txt"] != "due S3" {
		t.Errorf("student 2000: %q", v["Udmeldte elever/2000/a.txt"])
	}
}

func TestSubjectIndexAddressesAndSources(t *testing.T) {
	e := newSubjEnv(t)
	e.export("elever", 1, teaHeader+"1001;A;01-08-2019;;12-05-2010\n")
	e.export("hr", 1, hrHeader+
		"1;A;eva@x.dk;01-08-2001;;14-04-1960;33;Lærer;Nej;\n"+
		"2;B;delt@x.dk;01-08-2001;;14-04-1960;33;Lærer;Nej;\n"+
		"3;C;DELT@x.dk;01-08-2001;;14-04-1960;33;Lærer;Nej;\n")
	if _, err := e.p.ImportSubjects(context.Background(), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	x, err := e.p.subjects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := x.ByEmail("EVA@x.dk"); !ok || k != "staff:1" {
		t.Errorf("eva: %q %v", k, ok)
	}
	if k, _ := x.ByEmail("delt@x.dk"); k != "" {
		t.Errorf("an address two people share links %q", k)
	}
	if s, ok := x.Lookup("student", "1001"); !ok || s.Problem != "" || len(s.Events) != 2 {
		t.Errorf("student 1001: %+v %v", s, ok)
	}
	if _, ok := x.Lookup("staff", "1001"); ok {
		t.Error("kinds are mixed up")
	}
}

func TestMergeSubjectsFromTwoSources(t *testing.T) {
	d := func(s string) policies.Date { x, _ := policies.ParseDate(s); return x }
	a := policies.Subject{Events: map[string]policies.Date{"left": d("2026-06-20")}, Flags: map[string]bool{}}
	same := policies.Subject{Events: map[string]policies.Date{"left": d("2026-06-20"), "born": d("2010-01-01")}, Flags: map[string]bool{"manager": false}}
	other := policies.Subject{Events: map[string]policies.Date{"left": d("2025-06-20")}, Flags: map[string]bool{}}
	if m := mergeSubjects(a, same, "lectio", "tea"); m.Problem != "" || len(m.Events) != 2 || len(m.Flags) != 1 {
		t.Errorf("agreeing sources: %+v", m)
	}
	if m := mergeSubjects(a, other, "lectio", "tea"); !strings.Contains(m.Problem, "sources lectio and tea disagree about left (2026-06-20, 2025-06-20)") {
		t.Errorf("disagreeing sources: %q", m.Problem)
	}
}

func TestArchiveBatchMovesFilesUnderArchiveDuty(t *testing.T) {
	e := newSubjEnv(t)
	ctx := context.Background()
	e.export("elever", 1, teaHeader)
	staff := hrHeader +
		"2;B;b@x.dk;01-08-2001;31-07-2020;01-04-1960;33;Lærer;Nej;\n" + // born on the 1st
		"3;C;c@x.dk;01-08-2001;31-07-2020;14-04-1960;37;Skoleleder;Nej;\n" // manager
	e.export("hr", 1, staff)
	for _, id := range []string{"2", "3"} {
		e.put("Personalesager/"+id+"/kontrakt.pdf", 3000*24*time.Hour)
	}
	res := e.planShare()
	var b store.Batch
	for _, x := range res.Batches {
		if x.Rule == "P3" && x.Method == store.MethodArchive {
			b = x
		}
	}
	if b.ID == 0 || b.Items != 2 {
		t.Fatalf("no archive batch of 2 items in %+v", res.Batches)
	}
	if _, _, err := e.p.Approve(ctx, b.ID, "anna", b.Fingerprint); err != nil {
		t.Fatal(err)
	}
	// Before execution, the HR export says employee 3 was no manager after
	// all: that file is not moved.
	e.export("hr", 2, strings.Replace(staff, ";37;Skoleleder;", ";33;Lærer;", 1))
	if _, err := e.p.ImportSubjects(ctx, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Execute(ctx, b.ID, "it"); err != nil {
		t.Fatal(err)
	}
	if e.src.Exists("Personalesager/2/kontrakt.pdf") || !e.src.Exists("Arkiv/Personalesager/2/kontrakt.pdf") {
		t.Error("the file of the employee born on the 1st was not moved into the archive")
	}
	if !e.src.Exists("Personalesager/3/kontrakt.pdf") {
		t.Error("the file of an employee no longer under archive duty was moved")
	}
	ref := func(item string) string { return e.p.Refs.Ref("item:memory:share", item) }
	got := e.deletions()
	if fmt.Sprint(got[ref("Personalesager/2/kontrakt.pdf")]) != "[archived]" || fmt.Sprint(got[ref("Personalesager/3/kontrakt.pdf")]) != "[not_due]" {
		t.Errorf("ledger outcomes %v", got)
	}
	// What is in the archive stays there: the next plan keeps it.
	v := e.verdicts(e.planShare())
	if _, planned := v["Arkiv/Personalesager/2/kontrakt.pdf"]; planned {
		t.Errorf("the archived copy was planned: %v", v)
	}
	it := policiesItem("share", "Arkiv/Personalesager/2/kontrakt.pdf")
	if d := e.p.Config.Policies.Evaluate(&it, &policies.Env{Today: policies.DateOf(now, time.UTC)}); d.Verdict != policies.Keep || !strings.Contains(d.Reason(), "archive duty") {
		t.Errorf("archived copy: %v: %s", d.Verdict, d.Reason())
	}
}

func policiesItem(source, path string) policies.Item {
	return policies.Item{Source: source, Kind: "file", Ref: path, Path: path}
}

func TestSubjectIndexIsReloadedOnlyAfterAnImport(t *testing.T) {
	e := newSubjEnv(t)
	ctx := context.Background()
	e.export("elever", 1, teaHeader+"1001;A;01-08-2019;;12-05-2010\n")
	e.export("hr", 1, hrHeader)
	if _, err := e.p.ImportSubjects(ctx, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	a, err := e.p.subjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := e.p.subjects(ctx); b != a {
		t.Error("the index was loaded again without an import")
	}
	e.export("elever", 2, teaHeader+"1001;A;01-08-2019;20-06-2026;12-05-2010\n")
	if _, err := e.p.ImportSubjects(ctx, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	c, _ := e.p.subjects(ctx)
	if s, _ := c.Lookup("student", "1001"); c == a || s.Events["left"].String() != "2026-06-20" {
		t.Errorf("after an import the index still says %+v", s)
	}
}
