package instructiondoc

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store/safetext"
)

// TestNamesEscaped: what an export or a configuration puts in a line (a
// person's number, a category) is shown escaped in every form, and no CSV
// cell starts a formula.
func TestNamesEscaped(t *testing.T) {
	d := &Doc{ID: "I-1", System: "Lectio\u202eoitceL", Issued: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), IssuedBy: "it (IT)",
		Today: "2026-11-02", Deadline: "2026-12-02", Lines: []Line{
			{Due: "2026-11-01", Rule: "S1", Category: "elever/\x1b[2Jkarakterer\r\nfake", Person: `=HYPERLINK("http://x","1018")`},
			{Due: "2026-11-03", Rule: "S1", Category: `back\slash`, Person: "-1019"},
		}}
	raw := string(d.CSV())
	if strings.ContainsAny(raw, "\x1b\r\u202e") {
		t.Fatalf("raw controls in the CSV:\n%q", raw)
	}
	recs, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d CSV records, want a header and 2 lines: a name's line break made a row:\n%s", len(recs), raw)
	}
	for i, l := range d.Lines {
		rec := recs[i+1]
		for j, want := range []string{l.Due, l.Rule, l.Category, l.Person} {
			if strings.ContainsAny(rec[j][:1], "=+-@") {
				t.Errorf("cell %q starts a formula", rec[j])
			}
			if got, err := safetext.UnCSV(rec[j]); err != nil || got != want {
				t.Errorf("cell %q reads back as %q, %v; want %q", rec[j], got, err, want)
			}
		}
	}
	md := string(d.Markdown())
	for _, want := range []string{`Lectio\u202eoitceL`, `elever/\x1b[2Jkarakterer\r\nfake`, `back\\slash`} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %s:\n%s", want, md)
		}
	}
	if strings.ContainsAny(md, "\x1b\r\u202e") {
		t.Errorf("raw controls in the Markdown:\n%q", md)
	}
	if _, err := d.PDF(); err != nil {
		t.Fatal(err)
	}
	if d.Lines[0].Category != "elever/\x1b[2Jkarakterer\r\nfake" {
		t.Error("rendering changed the document's lines")
	}
}
