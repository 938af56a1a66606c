package exports

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/retentiond/retentiond/connectors"
)

// Format says how a CSV export is encoded. The zero value detects both.
type Format struct {
	// Encoding is "utf-8", "windows-1252" or "" (auto): a byte-order mark
	// means UTF-8; otherwise the first megabyte decides, and a later byte
	// that is not UTF-8 is an error that says to set windows-1252.
	Encoding string
	// Delimiter is ';', ',' or '\t', or 0 to take whichever of them the
	// header row has most of.
	Delimiter rune
	// Sheet is the XLSX sheet to read; "" is the first.
	Sheet string
	// Limits bound the file's size and rows, for CSV and XLSX alike.
	Limits Limits
}

// Encodings accepted in Format.Encoding.
const (
	EncodingAuto        = ""
	EncodingUTF8        = "utf-8"
	EncodingWindows1252 = "windows-1252"
)

// sniffBytes is how much of a CSV file decides its encoding and delimiter.
const sniffBytes = 1 << 20

// RowError is an error about one row of an export.
type RowError struct {
	Line int
	Err  error
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }

// ErrTruncated is wrapped by errors that suggest the export was cut short.
var ErrTruncated = errors.New("the export looks truncated")

// ReadCSV reads a CSV export from r through m, calling fn once per data row.
// It returns the number of data rows. See [connectors.SubjectSource] for
// what is an error and what is a row's problem.
//
// It reads with bounded memory: at most f.Limits' bytes and rows, and no
// line longer than [MaxLineBytes]; an export beyond them is an error that
// wraps [ErrTooLarge].
func ReadCSV(ctx context.Context, r io.Reader, m *Mapping, f Format, fn func(connectors.SubjectRow) error) (int, error) {
	bounded := newBoundedReader(r, f.Limits, true)
	n, err := readCSV(ctx, bounded, m, f, fn)
	if err != nil && bounded.err != nil {
		// The parser may have seen only a cut-off row or quote.
		return n, bounded.err
	}
	return n, err
}

func readCSV(ctx context.Context, r io.Reader, m *Mapping, f Format, fn func(connectors.SubjectRow) error) (int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(sniffBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return 0, fmt.Errorf("read export: %w", err)
	}
	if len(head) == 0 {
		return 0, fmt.Errorf("the export is empty: %w", ErrTruncated)
	}
	var src io.Reader = br
	enc := f.Encoding
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return 0, errors.New("the export is UTF-16 text; save it as CSV (UTF-8) or CSV (semicolon-separated) instead")
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		if enc == EncodingWindows1252 {
			return 0, errors.New("the export starts with a UTF-8 byte-order mark, but encoding is windows-1252")
		}
		enc = EncodingUTF8
		if _, err := br.Discard(3); err != nil {
			return 0, fmt.Errorf("read export: %w", err)
		}
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return 0, errors.New("the export is a zip file (an .xlsx workbook?), not CSV: name it .xlsx")
	case enc == EncodingAuto:
		enc = EncodingUTF8
		if !validPrefix(head) {
			enc = EncodingWindows1252
		}
	}
	if enc == EncodingWindows1252 {
		src = charmap.Windows1252.NewDecoder().Reader(br)
	}
	dr := bufio.NewReaderSize(src, 64<<10)
	delim := f.Delimiter
	if delim == 0 {
		first, _ := dr.Peek(64 << 10)
		if delim = sniffDelimiter(first); delim == 0 {
			return 0, errors.New("cannot tell the delimiter: the header row has no ';', ',' or tab (set delimiter)")
		}
	}
	cr := csv.NewReader(dr)
	cr.Comma = delim
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return 0, csvError(cr, err, 0)
	}
	header = append([]string(nil), header...)
	if err := checkText(header, enc); err != nil {
		return 0, &RowError{Line: 1, Err: err}
	}
	l, err := m.resolve(header)
	if err != nil {
		return 0, err
	}
	cr.FieldsPerRecord = len(header)
	out := &emitter{ctx: ctx, m: m, fn: fn, lim: f.Limits}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out.rows, nil
		}
		if err != nil {
			return out.rows, csvError(cr, err, len(header))
		}
		line, _ := cr.FieldPos(0)
		if err := checkText(rec, enc); err != nil {
			return out.rows, &RowError{Line: line, Err: err}
		}
		if blank(rec) {
			continue
		}
		if err := out.emit(l, rec, line, cellText); err != nil {
			return out.rows, err
		}
	}
}

// emitter turns records into rows for the caller's fn, counting them and
// checking the context now and then.
type emitter struct {
	ctx  context.Context
	m    *Mapping
	fn   func(connectors.SubjectRow) error
	lim  Limits
	rows int
}

func (e *emitter) emit(l *layout, rec []string, line int, conv func(Field, string) (string, error)) error {
	if e.rows >= e.lim.maxRows() {
		return &RowError{Line: line, Err: e.lim.rowsError()}
	}
	row, err := e.m.row(l, rec, line, conv)
	if err != nil {
		return err
	}
	if e.rows%1024 == 0 {
		if err := e.ctx.Err(); err != nil {
			return err
		}
	}
	e.rows++
	return e.fn(row)
}

// validPrefix reports whether b is UTF-8, allowing a rune cut off at the
// end of the sniffed prefix.
func validPrefix(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		b = b[n:]
	}
	return true
}

func checkText(rec []string, enc string) error {
	for i, s := range rec {
		if enc != EncodingWindows1252 && !utf8.ValidString(s) {
			return fmt.Errorf("column %d holds bytes that are not UTF-8; if the export is Windows-1252 (ANSI), set encoding: windows-1252", i+1)
		}
		if strings.ContainsRune(s, utf8.RuneError) {
			return fmt.Errorf("column %d holds a character that is not defined in %s", i+1, enc)
		}
	}
	return nil
}

func blank(rec []string) bool {
	for _, s := range rec {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

// csvError explains a CSV parse error; a short row or an open quote at the
// end of the file is reported as truncation.
func csvError(cr *csv.Reader, err error, want int) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("the export has no header row: %w", ErrTruncated)
		}
		return fmt.Errorf("read export: %w", err)
	}
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		return &RowError{Line: pe.StartLine, Err: fmt.Errorf("the row has a different number of columns than the header's %d: %w, or a value holds an unquoted delimiter", want, ErrTruncated)}
	case errors.Is(pe.Err, csv.ErrQuote):
		if _, rerr := cr.Read(); errors.Is(rerr, io.EOF) || pe.Line > pe.StartLine {
			return &RowError{Line: pe.StartLine, Err: fmt.Errorf("a quoted value is not closed: %w", ErrTruncated)}
		}
	}
	return &RowError{Line: pe.StartLine, Err: pe.Err}
}

// sniffDelimiter returns whichever of ';', ',' and tab occurs most often
// outside quotes in the first line of b, or 0 if none does.
func sniffDelimiter(b []byte) rune {
	counts := map[byte]int{}
	quoted := false
	for _, c := range b {
		if c == '"' {
			quoted = !quoted
		}
		if quoted {
			continue
		}
		if c == '\n' {
			break
		}
		if c == ';' || c == ',' || c == '\t' {
			counts[c]++
		}
	}
	best := byte(0)
	for _, c := range []byte{';', '\t', ','} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return rune(best)
}

// ReadXLSX reads an XLSX export from r through m: the sheet f.Sheet, or the
// first, with the header in its first row. Dates may be date cells or text.
// The workbook is read whole (at most f.Limits' bytes; its sheets unpacked
// to at most 8 times that, large ones to temporary files) and its rows one
// by one, at most f.Limits' rows.
func ReadXLSX(ctx context.Context, r io.Reader, m *Mapping, f Format, fn func(connectors.SubjectRow) error) (int, error) {
	bounded := newBoundedReader(r, f.Limits, false)
	br := bufio.NewReader(bounded)
	if magic, _ := br.Peek(4); !bytes.Equal(magic, []byte("PK\x03\x04")) {
		if bounded.err != nil {
			return 0, bounded.err
		}
		return 0, errors.New("the export is not an XLSX workbook (a CSV file named .xlsx?)")
	}
	unzip := 8 * f.Limits.maxBytes()
	wb, err := excelize.OpenReader(br, excelize.Options{RawCellValue: true, UnzipSizeLimit: unzip, UnzipXMLSizeLimit: min(unzip, 16<<20)})
	if bounded.err != nil {
		if wb != nil {
			wb.Close()
		}
		return 0, bounded.err
	}
	if err != nil {
		return 0, fmt.Errorf("open workbook: %w (is the file complete?): %w", err, ErrTruncated)
	}
	defer wb.Close()
	sheet := f.Sheet
	if sheet == "" {
		sheets := wb.GetSheetList()
		if len(sheets) == 0 {
			return 0, errors.New("the workbook has no sheets")
		}
		sheet = sheets[0]
	} else if idx, err := wb.GetSheetIndex(sheet); err != nil || idx < 0 {
		return 0, fmt.Errorf("the workbook has no sheet %q (sheets: %s)", sheet, quoteAll(wb.GetSheetList()))
	}
	props, err := wb.GetWorkbookProps()
	if err != nil {
		return 0, fmt.Errorf("read workbook properties: %w", err)
	}
	date1904 := props.Date1904 != nil && *props.Date1904
	it, err := wb.Rows(sheet)
	if err != nil {
		return 0, fmt.Errorf("read sheet %q: %w", sheet, err)
	}
	defer it.Close()
	var l *layout
	line, out := 0, &emitter{ctx: ctx, m: m, fn: fn, lim: f.Limits}
	cell := func(f Field, s string) (string, error) {
		if !f.isDate() {
			return s, nil
		}
		// A date cell's raw value is its serial day number.
		if v, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			if v < 1 || v > 2958465 {
				return "", fmt.Errorf("%v is not a date", v)
			}
			t, err := excelize.ExcelDateToTime(v, date1904)
			if err != nil {
				return "", fmt.Errorf("%v is not a date", v)
			}
			return t.Format(time.DateOnly), nil
		}
		return s, nil
	}
	for it.Next() {
		line++
		rec, err := it.Columns()
		if err != nil {
			return out.rows, &RowError{Line: line, Err: err}
		}
		if l == nil {
			if blank(rec) {
				return 0, errors.New("the first row of the sheet is empty: it must be the header row")
			}
			if l, err = m.resolve(rec); err != nil {
				return 0, err
			}
			continue
		}
		if blank(rec) {
			continue
		}
		if len(rec) > l.n {
			return out.rows, &RowError{Line: line, Err: fmt.Errorf("the row has %d cells, the header %d", len(rec), l.n)}
		}
		for len(rec) < l.n {
			rec = append(rec, "")
		}
		if err := out.emit(l, rec, line, cell); err != nil {
			return out.rows, err
		}
	}
	if err := it.Error(); err != nil {
		return out.rows, fmt.Errorf("read sheet %q: %w: %w", sheet, err, ErrTruncated)
	}
	if l == nil {
		return 0, fmt.Errorf("sheet %q is empty: %w", sheet, ErrTruncated)
	}
	return out.rows, nil
}

// cellText is the identity conversion of CSV cells.
func cellText(_ Field, s string) (string, error) { return s, nil }

// row turns one record into a SubjectRow. Values that do not parse become
// the row's problems; a row without an id is an error, since no subject
// could carry the problem.
func (m *Mapping) row(l *layout, rec []string, line int, conv func(Field, string) (string, error)) (connectors.SubjectRow, error) {
	row := connectors.SubjectRow{Line: line}
	get := func(k int) (string, bool) {
		if l.col[k] < 0 {
			return "", false
		}
		return strings.TrimSpace(rec[l.col[k]]), true
	}
	problem := func(f Field, format string, args ...any) {
		row.Problems = append(row.Problems, fmt.Sprintf("%s (column %q): ", f, m.Columns[f])+fmt.Sprintf(format, args...))
	}
	var role string
	var frame int
	for k, f := range fieldIndex {
		v, ok := get(k)
		if ok && v == "" && (f == FieldBorn || f == FieldStarted) {
			row.Missing = append(row.Missing, string(f))
		}
		if !ok || v == "" {
			continue
		}
		v, err := conv(f, v)
		if err != nil {
			problem(f, "%v", err)
			continue
		}
		if f.isDate() {
			t, err := parseDate(v)
			if err != nil {
				problem(f, "%v", err)
				continue
			}
			switch f {
			case FieldStarted:
				row.Started = t
			case FieldLeft:
				row.Left = t
			case FieldBorn:
				row.Born = t
			case FieldCaseClosed:
				row.CaseClosed = t
			}
			continue
		}
		switch f {
		case FieldID:
			row.ID = v
		case FieldEmail:
			if strings.Count(v, "@") != 1 || strings.ContainsAny(v, " \t;,<>") {
				problem(f, "%q is not an e-mail address", v)
				continue
			}
			row.Email = strings.ToLower(v)
		case FieldSalaryFrame:
			n, ok := digits(strings.TrimPrefix(strings.ToLower(v), "lr. "), 1, 3)
			if !ok {
				problem(f, "%q is not a salary frame number", v)
				continue
			}
			frame = n
		case FieldRole:
			role = v
		case FieldPendingCase:
			b, ok := parseYesNo(v)
			if !ok {
				problem(f, "%q is neither yes nor no", v)
				continue
			}
			row.PendingCase = &b
		}
	}
	if row.ID == "" {
		return row, &RowError{Line: line, Err: fmt.Errorf("the row has no %s (column %q)", FieldID, m.Columns[FieldID])}
	}
	if l.col[fieldPos(FieldPendingCase)] >= 0 && row.PendingCase == nil && !hasProblem(row, FieldPendingCase) {
		no := false // an empty cell in a mapped case column: no case
		row.PendingCase = &no
	}
	row.Manager = m.manager(l, frame, role, row.Problems)
	if !row.Left.IsZero() && !row.Started.IsZero() && row.Left.Before(row.Started) {
		row.Problems = append(row.Problems, fmt.Sprintf("left on %s, before starting on %s", row.Left.Format(time.DateOnly), row.Started.Format(time.DateOnly)))
	}
	return row, nil
}

func fieldPos(f Field) int {
	for k, g := range fieldIndex {
		if g == f {
			return k
		}
	}
	panic("exports: unknown field " + string(f))
}

func hasProblem(row connectors.SubjectRow, f Field) bool {
	for _, p := range row.Problems {
		if strings.HasPrefix(p, string(f)+" ") {
			return true
		}
	}
	return false
}

// manager tells from the salary frame and role whether someone is a
// manager: yes if either says so, no if at least one was read and neither
// does, unknown otherwise.
func (m *Mapping) manager(l *layout, frame int, role string, problems []string) *bool {
	known, yes := false, false
	if l.col[fieldPos(FieldSalaryFrame)] >= 0 && m.ManagerSalaryFrame > 0 && frame > 0 {
		known, yes = true, frame >= m.ManagerSalaryFrame
	}
	if l.col[fieldPos(FieldRole)] >= 0 && len(m.ManagerRoles) > 0 && role != "" {
		known = true
		for _, r := range m.ManagerRoles {
			yes = yes || strings.EqualFold(strings.TrimSpace(r), role)
		}
	}
	for _, p := range problems {
		if strings.HasPrefix(p, string(FieldSalaryFrame)+" ") && !yes {
			return nil // the frame could not be read: it might have said yes
		}
	}
	if !known {
		return nil
	}
	return &yes
}

func parseYesNo(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ja", "j", "yes", "y", "true", "1", "x":
		return true, true
	case "nej", "n", "no", "false", "0", "-":
		return false, true
	}
	return false, false
}
