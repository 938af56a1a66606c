package exports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/retentiond/retentiond/connectors"
)

// checkRows holds for every export that reads without error: every row
// has an id and valid text, and dates are whole days.
func checkRows(t *testing.T, rows []connectors.SubjectRow) {
	for _, r := range rows {
		if r.ID == "" {
			t.Fatalf("row at line %d has no id", r.Line)
		}
		if !utf8.ValidString(r.ID) || !utf8.ValidString(r.Email) {
			t.Fatalf("row at line %d has invalid text", r.Line)
		}
		for _, d := range []time.Time{r.Started, r.Left, r.Born, r.CaseClosed} {
			if !d.IsZero() && (d.Location() != time.UTC || d.Truncate(24*time.Hour) != d) {
				t.Fatalf("row at line %d has a date that is not a day: %v", r.Line, d)
			}
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, name := range PresetNames() {
		data, err := os.ReadFile(filepath.Join("testdata", name+".csv"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, name)
	}
	f.Add([]byte(teaHeader+"1;\"A;B;7.b;;;\r\n"), "tea-students")
	f.Fuzz(func(t *testing.T, data []byte, presetName string) {
		p, ok := Presets[presetName]
		if !ok {
			return
		}
		m := p.Mapping
		rows, err := collect(t, data, false, &m, Format{})
		if err != nil {
			return
		}
		checkRows(t, rows)
	})
}

// FuzzReadXLSX mutates workbooks. Minimising an interesting zip takes the
// fuzzer long; run it with -fuzzminimizetime 2s to keep it fuzzing.
func FuzzReadXLSX(f *testing.F) {
	f.Add(workbook(f, "Sheet1", false, []any{"Elevnummer", "Startdato", "Slutdato", "Fødselsdato"},
		[]any{"s1", day("2023-08-14"), "31-07-2026", 39507.0}))
	f.Add(workbook(f, "Sheet1", true, []any{"Elevnummer", "Slutdato"}, []any{"s1", -5.0}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := Presets["lectio-students"].Mapping
		m.IgnoreOthers = true
		m.Columns = map[Field]string{FieldID: "Elevnummer", FieldLeft: "Slutdato"}
		rows, err := collect(t, data, true, &m, Format{})
		if err != nil {
			return
		}
		checkRows(t, rows)
	})
}

// FuzzMapping resolves arbitrary header rows and mappings: resolution
// either fails with a message that lists the headers, or places every
// mapped field in a column whose header matches it.
func FuzzMapping(f *testing.F) {
	f.Add("Elevnummer;Indmeldt;Udmeldt;Fødselsdato", "Elevnummer", "Udmeldt", "Navn", false)
	f.Add(" elevnummer ;UDMELDT;;x", "Elevnummer", "Udmeldt", "x", false)
	f.Add("a;a;b", "a", "b", "", true)
	f.Fuzz(func(t *testing.T, header, id, left, ignore string, others bool) {
		m := &Mapping{Kind: "student", Columns: map[Field]string{FieldID: id, FieldLeft: left}, Ignore: []string{ignore}, IgnoreOthers: others}
		if m.Validate() != nil {
			return
		}
		cols := strings.Split(header, ";")
		l, err := m.resolve(cols)
		if err != nil {
			if !strings.Contains(err.Error(), "the header row has") {
				t.Fatalf("error %q does not list the headers", err)
			}
			return
		}
		for k, fld := range fieldIndex {
			if c := l.col[k]; c >= 0 && normHeader(cols[c]) != normHeader(m.Columns[fld]) {
				t.Fatalf("%s placed in column %q, mapped to %q", fld, cols[c], m.Columns[fld])
			}
		}
		row, err := m.row(l, cols, 2, cellText)
		if err == nil && row.ID == "" {
			t.Fatal("row without id accepted")
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"31-07-2026", "2024-02-29", "1.8.2026", "2026-08-01T00:00:00Z", "29-02-2026"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDate(s)
		if err != nil {
			return
		}
		again, err := parseDate(d.Format(time.DateOnly))
		if err != nil || !again.Equal(d) {
			t.Fatalf("%q read as %v, which does not read back (%v, %v)", s, d, again, err)
		}
		if d2, err := parseDate(d.Format("02-01-2006")); err != nil || !d2.Equal(d) {
			t.Fatalf("%q read as %v, whose Danish spelling does not read back", s, d)
		}
	})
}
