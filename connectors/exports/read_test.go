package exports

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/retentiond/retentiond/connectors"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // yyyy-mm-dd, or "" for an error
	}{
		{"31-07-2026", "2026-07-31"},
		{"1-8-2026", "2026-08-01"},
		{"01.08.2026", "2026-08-01"},
		{"2026-08-01", "2026-08-01"},
		{" 2026-08-01 ", "2026-08-01"},
		{"2026-08-01T00:00:00", "2026-08-01"},
		{"2026-08-01 14:30", "2026-08-01"},
		{"2026-08-01T14:30:00.000+02:00", "2026-08-01"},
		{"29-02-2024", "2024-02-29"}, // leap day
		{"29-02-2026", ""},           // not a leap year
		{"30-02-2026", ""},
		{"31-04-2026", ""},
		{"00-01-2026", ""},
		{"01-13-2026", ""},
		{"03/04/2026", ""}, // ambiguous
		{"31-07-26", ""},   // two-digit year
		{"2026.08.01", ""},
		{"2026-08-01Tnoon", ""},
		{"1800-01-01", ""},
		{"", ""},
		{"-", ""},
		{"31-07-2026-1", ""},
		{"+1-07-2026", ""},
	}
	for _, tt := range tests {
		got, err := parseDate(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("parseDate(%q) = %s, want an error", tt.in, got.Format(time.DateOnly))
		case tt.want != "" && err != nil:
			t.Errorf("parseDate(%q): %v", tt.in, err)
		case tt.want != "" && got.Format(time.DateOnly) != tt.want:
			t.Errorf("parseDate(%q) = %s, want %s", tt.in, got.Format(time.DateOnly), tt.want)
		}
	}
}

// collect reads an export and returns its rows.
func collect(t testing.TB, data []byte, xlsx bool, m *Mapping, f Format) ([]connectors.SubjectRow, error) {
	t.Helper()
	var rows []connectors.SubjectRow
	read := ReadCSV
	if xlsx {
		read = ReadXLSX
	}
	n, err := read(context.Background(), bytes.NewReader(data), m, f, func(r connectors.SubjectRow) error {
		rows = append(rows, r)
		return nil
	})
	if err == nil && n != len(rows) {
		t.Fatalf("read reported %d rows, delivered %d", n, len(rows))
	}
	return rows, err
}

func preset(t testing.TB, name string) *Mapping {
	t.Helper()
	o := &Options{Dir: ".", Preset: name}
	m, _, err := o.resolve()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func win1252(t testing.TB, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const teaHeader = "Elevnummer;Fornavn;Efternavn;Klasse;Indmeldt;Udmeldt;Fødselsdato\r\n"

func TestReadCSVEncodingsAndDelimiters(t *testing.T) {
	body := "1001;Åse;Ørsted;7.b;01-08-2019;31-07-2026;29-02-2012\r\n1002;\"Bo; jr.\";Hansen;7.b;2019-08-01;;01-05-2012\r\n"
	tea := preset(t, "tea-students")
	tests := []struct {
		name string
		data []byte
		f    Format
	}{
		{"utf-8 with BOM", append([]byte("\uFEFF"), teaHeader+body...), Format{}},
		{"utf-8 without BOM", []byte(teaHeader + body), Format{}},
		{"windows-1252", win1252(t, teaHeader+body), Format{}},
		{"windows-1252 declared", win1252(t, teaHeader+body), Format{Encoding: EncodingWindows1252}},
		{"comma", []byte(strings.NewReplacer(";", ",").Replace(teaHeader) + "1001,Åse,Ørsted,7.b,01-08-2019,31-07-2026,29-02-2012\n1002,\"Bo; jr.\",Hansen,7.b,2019-08-01,,01-05-2012\n"), Format{}},
		{"tab", []byte(strings.ReplaceAll(teaHeader+body, ";", "\t")), Format{}},
		{"no final newline", []byte(strings.TrimSuffix(teaHeader+body, "\r\n")), Format{}},
		{"blank lines", []byte(teaHeader + "\r\n" + body + ";;;;;;\r\n"), Format{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := collect(t, tt.data, false, tea, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 {
				t.Fatalf("got %d rows, want 2: %+v", len(rows), rows)
			}
			r := rows[0]
			if r.ID != "1001" || r.Started.Format(time.DateOnly) != "2019-08-01" || r.Left.Format(time.DateOnly) != "2026-07-31" || r.Born.Format(time.DateOnly) != "2012-02-29" || len(r.Problems) != 0 {
				t.Errorf("row 1 = %+v", r)
			}
			r = rows[1]
			if r.ID != "1002" || !r.Left.IsZero() || r.Born.Format(time.DateOnly) != "2012-05-01" || r.Line < 3 {
				t.Errorf("row 2 = %+v", r)
			}
		})
	}
}

func TestReadCSVRefusesBadExports(t *testing.T) {
	tea := preset(t, "tea-students")
	late := append([]byte(teaHeader), bytes.Repeat([]byte("1;A;B;1.a;01-08-2020;;01-01-2014\r\n"), 40000)...) // > 1 MB of ASCII
	late = append(late, win1252(t, "2;Søren;B;1.a;01-08-2020;;01-01-2014\r\n")...)
	tests := []struct {
		name  string
		data  []byte
		f     Format
		want  []string // substrings of the error
		trunc bool
	}{
		{"empty", nil, Format{}, []string{"empty"}, true},
		{"header only, cut", []byte("Elevnummer;Forn"), Format{}, []string{"missing column", `"Elevnummer", "Forn"`}, false},
		{"missing column", []byte("Elevnummer;Indmeldt;Fødselsdato\n1;01-08-2020;01-01-2014\n"), Format{},
			[]string{`missing column "Udmeldt" for left`, `the header row has "Elevnummer", "Indmeldt", "Fødselsdato"`}, false},
		{"unknown column", []byte("Elevnummer;Indmeldt;Udmeldt;Fødselsdato;CPR\n"), Format{},
			[]string{`unknown column "CPR"`, "ignore_columns"}, false},
		{"duplicate column", []byte("Elevnummer;Indmeldt;Udmeldt;Udmeldt;Fødselsdato\n"), Format{},
			[]string{`column "Udmeldt" occurs more than once`}, false},
		{"truncated row", []byte(teaHeader + "1001;A;B;7.b;01-08-2019;31-07-2026;01-01-2012\r\n1002;A;B;7"), Format{},
			[]string{"line 3:", "number of columns"}, true},
		{"open quote at end", []byte(teaHeader + "1001;\"A;B;7.b;01-08-2019;31-07-2026;01-01-2012\r\n"), Format{},
			[]string{"line 2:", "not closed"}, true},
		{"utf-16", []byte{0xFF, 0xFE, 'E', 0}, Format{}, []string{"UTF-16"}, false},
		{"xlsx named csv", []byte("PK\x03\x04rest"), Format{}, []string{"zip"}, false},
		{"windows-1252 late in a file that looked UTF-8", late, Format{}, []string{"line 40002", "not UTF-8", "windows-1252"}, false},
		{"declared utf-8 is not", win1252(t, teaHeader), Format{Encoding: EncodingUTF8}, []string{"line 1", "not UTF-8"}, false},
		{"undefined windows-1252 byte", append(win1252(t, teaHeader), "1;\x81;B;1.a;;;\r\n"...), Format{Encoding: EncodingWindows1252}, []string{"line 2", "not defined in windows-1252"}, false},
		{"no id", []byte(teaHeader + ";A;B;7.b;01-08-2019;31-07-2026;01-01-2012\r\n"), Format{}, []string{"line 2", `no id (column "Elevnummer")`}, false},
		{"no delimiter", []byte("Elevnummer\n1\n"), Format{}, []string{"delimiter"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := collect(t, tt.data, false, tea, tt.f)
			if err == nil {
				t.Fatal("read succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if got := errors.Is(err, ErrTruncated); got != tt.trunc {
				t.Errorf("errors.Is(%v, ErrTruncated) = %v, want %v", err, got, tt.trunc)
			}
		})
	}
}

func TestReadCSVRowProblems(t *testing.T) {
	hr := preset(t, "hr")
	header := "Medarbejdernummer;Navn;E-mail;Ansættelsesdato;Fratrædelsesdato;Fødselsdato;Lønramme;Stilling;Verserende sag;Sag afsluttet\n"
	tests := []struct {
		line     string
		manager  string // "yes", "no", "?"
		pending  string
		problems []string
	}{
		{"1;A;a@x.dk;01-01-2010;31-12-2020;15-06-1970;32;Lærer;;", "no", "no", nil},
		{"2;A;A@X.DK;01-01-2010;;15-06-1970;36;Lærer;Nej;", "yes", "no", nil},
		{"3;A;;01-01-2010;;15-06-1970;;Viceskoleleder;ja;", "yes", "yes", nil},
		{"4;A;;01-01-2010;;15-06-1970;;;;", "?", "no", nil},
		{"5;A;;01-01-2010;;15-06-1970;lr. 38;;;01-03-2024", "yes", "no", nil},
		{"6;A;not-mail;30-02-2010;2009-01-01;1970;x;Lærer;måske;", "?", "?", []string{
			`email (column "E-mail"): "not-mail" is not an e-mail address`,
			`started (column "Ansættelsesdato"): "30-02-2010" is not a day of the calendar`,
			`born (column "Fødselsdato"): "1970" is not a date (write dd-mm-yyyy or yyyy-mm-dd)`,
			`salary_frame (column "Lønramme"): "x" is not a salary frame number`,
			`pending_case (column "Verserende sag"): "måske" is neither yes nor no`,
		}},
		{"7;A;;01-01-2010;31-12-2009;;;;;", "?", "no", []string{"left on 2009-12-31, before starting on 2010-01-01"}},
	}
	var data strings.Builder
	data.WriteString(header)
	for _, tt := range tests {
		data.WriteString(tt.line + "\n")
	}
	rows, err := collect(t, []byte(data.String()), false, hr, Format{})
	if err != nil {
		t.Fatal(err)
	}
	tri := func(b *bool) string {
		switch {
		case b == nil:
			return "?"
		case *b:
			return "yes"
		}
		return "no"
	}
	for i, tt := range tests {
		r := rows[i]
		if got := tri(r.Manager); got != tt.manager {
			t.Errorf("%s: manager %s, want %s", tt.line, got, tt.manager)
		}
		if got := tri(r.PendingCase); got != tt.pending {
			t.Errorf("%s: pending case %s, want %s", tt.line, got, tt.pending)
		}
		if strings.Join(r.Problems, "\n") != strings.Join(tt.problems, "\n") {
			t.Errorf("%s: problems\n%s\nwant\n%s", tt.line, strings.Join(r.Problems, "\n"), strings.Join(tt.problems, "\n"))
		}
	}
	if rows[1].Email != "a@x.dk" {
		t.Errorf("e-mail %q not lower-cased", rows[1].Email)
	}
	if rows[4].CaseClosed.Format(time.DateOnly) != "2024-03-01" {
		t.Errorf("case closed %v", rows[4].CaseClosed)
	}
}

// workbook builds an XLSX export: a header row, then rows whose values are
// strings, or time.Time for date cells.
func workbook(t testing.TB, sheet string, date1904 bool, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if sheet != "Sheet1" {
		if _, err := f.NewSheet(sheet); err != nil {
			t.Fatal(err)
		}
		if err := f.DeleteSheet("Sheet1"); err != nil {
			t.Fatal(err)
		}
	}
	if date1904 {
		yes := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			t.Fatal(err)
		}
	}
	style, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				t.Fatal(err)
			}
			if _, ok := v.(time.Time); ok {
				if err := f.SetCellStyle(sheet, cell, cell, style); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestReadXLSX(t *testing.T) {
	lectio := preset(t, "lectio-students")
	header := []any{"Elevnummer", "Navn", "Startdato", "Slutdato", "Fødselsdato"}
	for _, date1904 := range []bool{false, true} {
		t.Run(fmt.Sprintf("date1904=%v", date1904), func(t *testing.T) {
			data := workbook(t, "Elever", date1904, header,
				[]any{"s1", "A", day("2023-08-14"), day("2026-07-31"), day("2008-02-29")},
				[]any{"s2", "B", "14-08-2023", "", "2008-03-01"},
				[]any{},
				[]any{"s3", "C", day("2023-08-14")}, // trailing cells omitted
			)
			rows, err := collect(t, data, true, lectio, Format{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, fmt.Sprintf("%d %s %s %s %s %v", r.Line, r.ID, r.Started.Format(time.DateOnly), r.Left.Format(time.DateOnly), r.Born.Format(time.DateOnly), r.Problems))
			}
			want := []string{
				"2 s1 2023-08-14 2026-07-31 2008-02-29 []",
				"3 s2 2023-08-14 0001-01-01 2008-03-01 []",
				"5 s3 2023-08-14 0001-01-01 0001-01-01 []",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("rows:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}

	good := workbook(t, "Sheet1", false, header, []any{"s1", "A", day("2023-08-14"), "", ""})
	bad := []struct {
		name string
		data []byte
		f    Format
		want string
	}{
		{"truncated", good[:len(good)/2], Format{}, "is the file complete"},
		{"csv named xlsx", []byte(teaHeader), Format{}, "not an XLSX workbook"},
		{"no such sheet", good, Format{Sheet: "Elever"}, `no sheet "Elever" (sheets: "Sheet1")`},
		{"missing column", workbook(t, "Sheet1", false, []any{"Elevnummer", "Navn"}), Format{}, `missing column "Startdato" for started`},
		{"empty sheet", workbook(t, "Sheet1", false), Format{}, "empty"},
		{"row wider than header", workbook(t, "Sheet1", false, header, []any{"s1", "A", "", "", "", "extra"}), Format{}, "line 2: the row has 6 cells, the header 5"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := collect(t, tt.data, true, lectio, tt.f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestGoldenPresets reads one sample export per preset and compares what
// was read with a golden file (go test -run TestGoldenPresets -update).
func TestGoldenPresets(t *testing.T) {
	for _, name := range PresetNames() {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name+".csv"))
			if err != nil {
				t.Fatal(err)
			}
			rows, err := collect(t, data, false, preset(t, name), Format{})
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			for _, r := range rows {
				fmt.Fprintf(&out, "line %d id=%s email=%s started=%s left=%s born=%s case_closed=%s pending_case=%s manager=%s problems=%q\n",
					r.Line, r.ID, r.Email, ds(r.Started), ds(r.Left), ds(r.Born), ds(r.CaseClosed), bs(r.PendingCase), bs(r.Manager), r.Problems)
			}
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != string(want) {
				t.Errorf("read:\n%s\nwant (%s):\n%s", out.String(), golden, want)
			}
		})
	}
}

func ds(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.DateOnly)
}

func bs(b *bool) string {
	if b == nil {
		return "?"
	}
	return fmt.Sprint(*b)
}

func TestMappingValidate(t *testing.T) {
	tests := []struct {
		o    Options
		want string
	}{
		{Options{Dir: "x", Preset: "nope"}, `preset: "nope" is not a preset (presets: hr, lectio-students, lectio-teachers, tea-students)`},
		{Options{Dir: "x"}, "subjects: say whether"},
		{Options{Dir: "x", Subjects: "parent", Columns: map[string]string{"id": "Nr"}}, `"parent" is not a kind of person`},
		{Options{Dir: "x", Subjects: "staff"}, "no column is mapped to id"},
		{Options{Dir: "x", Preset: "hr", Columns: map[string]string{"id": ""}}, "no column is mapped to id"},
		{Options{Dir: "x", Preset: "hr", Columns: map[string]string{"birthday": "Født"}}, `columns: "birthday" is not a field`},
		{Options{Dir: "x", Preset: "hr", Columns: map[string]string{"left": "Fødselsdato"}}, `"Fødselsdato" is mapped to both left and born`},
		{Options{Dir: "x", Preset: "hr", IgnoreColumns: []string{"Lønramme"}}, `ignore_columns: "Lønramme" is mapped to salary_frame`},
		{Options{Dir: "x", Preset: "hr", Encoding: "utf-16"}, `encoding: "utf-16" is not supported`},
		{Options{Dir: "x", Preset: "hr", Delimiter: "|"}, `delimiter: "|" is not supported`},
		{Options{Dir: "x", Preset: "hr", Files: "[x"}, "files:"},
		{Options{Preset: "hr"}, "dir is required"},
		{Options{Dir: "x", Preset: "hr", KeepLatest: -1}, "keep_latest"},
	}
	for _, tt := range tests {
		err := tt.o.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.o, err, tt.want)
		}
	}
	for _, name := range PresetNames() {
		o := Options{Dir: "x", Preset: name}
		if err := o.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
}
