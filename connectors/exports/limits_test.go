package exports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
)

// junkRows returns n well-formed TEA rows (issue 17, finding 15: 200 MB of
// them ran for minutes and took gigabytes).
func junkRows(n int) []byte {
	var b bytes.Buffer
	b.WriteString(teaHeader)
	for i := range n {
		fmt.Fprintf(&b, "%d;Fornavn;Efternavn;1.a;01-08-2020;;01-01-2008\r\n", 100000+i)
	}
	return b.Bytes()
}

func TestReadRefusesExportsOverTheLimits(t *testing.T) {
	tea := preset(t, "tea-students")
	rows10 := junkRows(10)
	for _, c := range []struct {
		name  string
		data  []byte
		xlsx  bool
		lim   Limits
		rows  int    // rows delivered when it reads
		error string // "" when it reads
	}{
		{name: "10 rows, limit 10", data: rows10, lim: Limits{MaxRows: 10}, rows: 10},
		{name: "11 rows, limit 10", data: junkRows(11), lim: Limits{MaxRows: 10}, error: "more than 10 rows, the limit (options.max_rows)"},
		{name: "exactly the byte limit", data: rows10, lim: Limits{MaxBytes: int64(len(rows10))}, rows: 10},
		{name: "a byte over the limit", data: rows10, lim: Limits{MaxBytes: int64(len(rows10)) - 1}, error: fmt.Sprintf("the export is more than %d bytes, the limit is %d bytes (options.max_megabytes)", len(rows10)-1, len(rows10)-1)},
		{name: "a 2 MiB line", data: append([]byte(teaHeader+"1;"), bytes.Repeat([]byte("x"), 2<<20)...), error: "line 2: the line is longer than 1 MiB"},
		{name: "a 2 MiB quoted value with newlines", data: append([]byte(teaHeader+"1;\""), bytes.Repeat([]byte("x\n"), 1<<20)...), lim: Limits{MaxBytes: 1 << 20}, error: "more than 1 MiB, the limit is 1 MiB"},
		{name: "defaults read a normal export", data: junkRows(1000), rows: 1000},
		{name: "xlsx rows over the limit", xlsx: true, data: workbook(t, "Sheet1", false, []any{"Elevnummer", "Indmeldt"}, []any{"1", "01-08-2020"}, []any{"2", "01-08-2020"}, []any{"3", "01-08-2020"}), lim: Limits{MaxRows: 2}, error: "more than 2 rows"},
		{name: "xlsx over the byte limit", xlsx: true, data: workbook(t, "Sheet1", false, []any{"Elevnummer", "Indmeldt"}, []any{"1", "01-08-2020"}), lim: Limits{MaxBytes: 1000}, error: "the limit is 1000 bytes"},
		{name: "xlsx under the limits", xlsx: true, data: workbook(t, "Sheet1", false, []any{"Elevnummer", "Indmeldt"}, []any{"1", "01-08-2020"}, []any{"2", "01-08-2020"}), lim: Limits{MaxRows: 2, MaxBytes: 1 << 20}, rows: 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := tea
			if c.xlsx {
				m = &Mapping{Kind: "student", Columns: map[Field]string{FieldID: "Elevnummer", FieldStarted: "Indmeldt"}}
			}
			rows, err := collect(t, c.data, c.xlsx, m, Format{Limits: c.lim})
			switch {
			case c.error == "" && err != nil:
				t.Fatal(err)
			case c.error == "" && len(rows) != c.rows:
				t.Fatalf("%d rows, want %d", len(rows), c.rows)
			case c.error != "" && (err == nil || !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), c.error)):
				t.Fatalf("error %v, want one containing %q and wrapping ErrTooLarge", err, c.error)
			}
		})
	}
}

// The size is checked before anything is read, and the file is named.
func TestReadSubjectsRefusesALargeExport(t *testing.T) {
	c, f := openDir(t, Options{Dir: ".", Preset: "tea-students", MaxMegabytes: 1, MaxRows: 50})
	defer c.Close()
	f.Put(t, "elever_big.csv", append(junkRows(10), bytes.Repeat([]byte("\r\n"), 1<<20)...), t0)
	called := false
	_, err := c.ReadSubjects(t.Context(), func(connectors.SubjectRow) error { called = true; return nil })
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "export elever_big.csv: the export is 2.0 MiB, the limit is 1 MiB (options.max_megabytes)") || called {
		t.Fatalf("err %v, rows delivered: %v", err, called)
	}
	f.Put(t, "elever_many.csv", junkRows(51), t0.Add(time.Hour))
	if _, err := c.ReadSubjects(t.Context(), func(connectors.SubjectRow) error { return nil }); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "export elever_many.csv: line 52: the export has more than 50 rows") {
		t.Fatalf("err %v", err)
	}
	for _, o := range []Options{{Dir: ".", Preset: "hr", MaxMegabytes: -1}, {Dir: ".", Preset: "hr", MaxRows: -5}} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v validates", o)
		}
	}
}

// A row whose birth or start date is empty, in a column the export maps,
// says so: rules that count from it put the person up for review, and the
// import warns.
func TestReadCSVMissingFacts(t *testing.T) {
	data := []byte(teaHeader + "1;A;B;1.a;01-08-2020;;01-01-2008\r\n2;A;B;1.a;01-08-2020;;\r\n3;A;B;1.a;;31-07-2026;\r\n")
	rows, err := collect(t, data, false, preset(t, "tea-students"), Format{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.ID+":"+strings.Join(r.Missing, ","))
	}
	if want := []string{"1:", "2:born", "3:started,born"}; !slices.Equal(got, want) && !slices.Equal(got, []string{"1:", "2:born", "3:born,started"}) {
		t.Errorf("missing %v, want %v", got, want)
	}
	// A preset without a birth-date column does not call it missing.
	rows, err = collect(t, []byte("Initialer;Navn;E-mail;Ansat fra;Ansat til\r\nabc;A;a@b.dk;01-08-2020;\r\n"), false, preset(t, "lectio-teachers"), Format{})
	if err != nil || len(rows) != 1 || len(rows[0].Missing) != 0 {
		t.Errorf("lectio-teachers: %v %+v", err, rows)
	}
}

// BenchmarkReadCSV reads a 100,000-row export (about 6 MB) and reports
// the bytes allocated per row: memory does not grow with the file.
func BenchmarkReadCSV(b *testing.B) {
	data := junkRows(100_000)
	m := preset(b, "tea-students")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadCSV(context.Background(), bytes.NewReader(data), m, Format{}, func(connectors.SubjectRow) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefuseJunk is the reproduction of finding 15, scaled: an
// endless stream of well-formed rows is refused at the row limit, after
// reading only that much of it.
func BenchmarkRefuseJunk(b *testing.B) {
	row := []byte("123456;Fornavn;Efternavn;1.a;01-08-2020;;01-01-2008\r\n")
	m := preset(b, "tea-students")
	for b.Loop() {
		r := io.MultiReader(strings.NewReader(teaHeader), &repeat{row: row})
		_, err := ReadCSV(context.Background(), r, m, Format{}, func(connectors.SubjectRow) error { return nil })
		if !errors.Is(err, ErrTooLarge) {
			b.Fatal(err)
		}
	}
}

// repeat repeats row for ever.
type repeat struct {
	row []byte
	off int
}

func (r *repeat) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.row[r.off:])
		n += c
		r.off = (r.off + c) % len(r.row)
	}
	return n, nil
}
