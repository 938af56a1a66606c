package scheduler

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/retentiond/retentiond/connectors/exports"
	"github.com/retentiond/retentiond/store"
)

// exportOptions returns the options of the export source named name, to
// adjust before the next import (sources are opened per import).
func (e *subjEnv) exportOptions(name string) *exports.Options {
	e.t.Helper()
	src, ok := e.cfg.Source(name)
	if !ok {
		e.t.Fatalf("no source %q", name)
	}
	return src.Options.(*exports.Options)
}

// Issue 17, finding 15: an export over its configured limits is refused
// whole, naming the file and the limit, and the facts of the previous
// import stay in force.
func TestImportRefusesAnExportOverItsLimits(t *testing.T) {
	e := newSubjEnv(t)
	e.exportOptions("elever").MaxRows = 3
	e.export("hr", 1, hrHeader)
	e.export("elever", 1, teaHeader+"1001;A;01-08-2019;20-06-2026;12-05-2010\n1002;B;01-08-2019;;12-05-2010\n")
	if _, err := e.p.ImportSubjects(context.Background(), ImportOptions{Source: "elever"}); err != nil {
		t.Fatal(err)
	}
	var junk strings.Builder
	junk.WriteString(teaHeader)
	for i := range 4 {
		fmt.Fprintf(&junk, "%d;X;01-08-2019;;12-05-2010\n", 5000+i)
	}
	e.export("elever", 2, junk.String())
	res, err := e.p.ImportSubjects(context.Background(), ImportOptions{Source: "elever"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Status != store.ImportRefused || !strings.Contains(res[0].Why, "export_002.csv") || !strings.Contains(res[0].Why, "more than 3 rows, the limit (options.max_rows)") {
		t.Fatalf("import: %+v", res)
	}
	x, err := e.p.subjects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := x.Lookup("student", "5000"); ok || x.Len() != 2 {
		t.Errorf("the refused export changed the facts: %d people", x.Len())
	}
	if s, ok := x.Lookup("student", "1001"); !ok || s.Events["left"].String() != "2026-06-20" {
		t.Errorf("student 1001: %+v %v", s, ok)
	}
	// With the limit raised, the same export is imported.
	e.exportOptions("elever").MaxRows = 0
	res, err = e.p.ImportSubjects(context.Background(), ImportOptions{Source: "elever", Force: true, AcceptShrink: true})
	if err != nil || len(res) != 1 || res[0].Status != store.ImportApplied {
		t.Fatalf("import with the default limit: %+v, %v", res, err)
	}
}

// Issue 17, finding 14: people whose row leaves the birth date empty are
// counted in a warning of the import.
func TestImportWarnsAboutMissingBirthDates(t *testing.T) {
	e := newSubjEnv(t)
	e.export("hr", 1, hrHeader)
	e.export("elever", 1, teaHeader+"1001;A;01-08-2019;;12-05-2010\n1002;B;01-08-2019;;\n1003;C;01-08-2019;;\n")
	res, err := e.p.ImportSubjects(context.Background(), ImportOptions{Source: "elever"})
	if err != nil || len(res) != 1 || res[0].Status != store.ImportApplied {
		t.Fatalf("%+v, %v", res, err)
	}
	want := "2 of 3 people have no birth date in the export; the rules that count from it put their data up for review"
	if !strings.Contains(strings.Join(res[0].Warnings, "\n"), want) {
		t.Errorf("warnings %q, want %q", res[0].Warnings, want)
	}
}

// Issue 17, finding 8: an id captured from a folder name in one Unicode
// form finds the person the export lists in the other.
func TestSubjectLookupUnderNFC(t *testing.T) {
	e := newSubjEnv(t)
	e.export("hr", 1, hrHeader)
	e.export("elever", 1, teaHeader+norm.NFD.String("Åse1;A;01-08-2019;;12-05-2010\n")+norm.NFC.String("Øjvind;B;01-08-2019;;12-05-2010\n"))
	if _, err := e.p.ImportSubjects(context.Background(), ImportOptions{Source: "elever"}); err != nil {
		t.Fatal(err)
	}
	x, err := e.p.subjects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{norm.NFC.String("Åse1"), norm.NFD.String("Åse1"), norm.NFC.String("Øjvind"), norm.NFD.String("Øjvind")} {
		if _, ok := x.Lookup("student", id); !ok {
			t.Errorf("%+q not found", id)
		}
	}
}
