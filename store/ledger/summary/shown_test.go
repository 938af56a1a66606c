package summary

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/safetext"
)

// hostile are ids a tampered or crafted bundle could carry: an escape
// sequence, a carriage return and a newline, a backslash, a bidi override,
// and a formula.
var hostile = struct{ rule, policy, actor string }{
	rule:   "fra\x1b[2Jvær\r\nok",
	policy: `=HYPERLINK("http://x","elev\data")`,
	actor:  "åse\u202eesrever",
}

func hostileSummary() *Summary {
	s := New(cph)
	at := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	for i, e := range []ledger.Entry{
		{Type: ledger.TypeBatch, Time: at, Batch: 3, Rule: hostile.rule, Policy: hostile.policy, Actor: "it", Items: 1, Size: 10},
		{Type: ledger.TypeApproval, Time: at, Batch: 3, Rule: hostile.rule, Policy: hostile.policy, Actor: hostile.actor, Stage: 1},
		{Type: ledger.TypeDeletion, Time: at.Add(time.Hour), Batch: 3, Rule: hostile.rule, Policy: hostile.policy, Outcome: "deleted", Size: 10},
	} {
		s.Add(int64(i), e)
	}
	return s
}

// TestCSVEscapesNames: texts from the ledger come out of the CSV escaped,
// read back to what they were, and no cell starts a formula.
func TestCSVEscapesNames(t *testing.T) {
	var b bytes.Buffer
	if err := hostileSummary().WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\r\u202e") || strings.Count(b.String(), "\n") != 2 {
		t.Fatalf("raw control or bidi characters in the CSV:\n%q", b.String())
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	row := recs[1]
	for name, want := range map[string]string{"rule": hostile.rule, "policy": hostile.policy, "approvers": hostile.actor} {
		cell := row[col[name]]
		if got, err := safetext.UnCSV(cell); err != nil || got != want {
			t.Errorf("%s cell %q reads back as %q, %v; want %q", name, cell, got, err, want)
		}
	}
	if got := row[col["rule"]]; got != `fra\x1b[2Jvær\r\nok` {
		t.Errorf("rule cell %q", got)
	}
	if got := row[col["policy"]]; got != `'=HYPERLINK("http://x","elev\\data")` {
		t.Errorf("policy cell %q: want the formula neutralised and the backslash escaped", got)
	}
	for _, rec := range recs {
		for _, cell := range rec {
			if cell != "" && strings.ContainsAny(cell[:1], "=+-@\t\r") {
				t.Errorf("cell %q starts a formula", cell)
			}
		}
	}
}

// TestPDFEscapesNames: the PDF shows the same texts escaped.
func TestPDFEscapesNames(t *testing.T) {
	at := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	text := strings.Join(pages(t, writePDF(t, hostileSummary(), Meta{Origin: "o", Generated: at}, "hostile.pdf")), "\n")
	if strings.ContainsAny(text, "\x1b\u202e") {
		t.Fatalf("raw control or bidi characters in the PDF:\n%q", text)
	}
	flat := squash(text)
	for _, want := range []string{`\x1b[2Jvær\r\nok`, `elev\\data`, `åse\u202eesrever`} {
		if !strings.Contains(flat, want) {
			t.Errorf("the report lacks %q:\n%s", want, flat)
		}
	}
}
