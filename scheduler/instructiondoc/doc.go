// Package instructiondoc renders a deletion instruction for the people who
// run a system without a deletion API: as CSV (for their tools), Markdown
// (to mail or file) and PDF (to print and sign). Every form lists the same
// lines: the date by which to delete, the rule and category, and the
// person's number in the school-system export, never a name.
package instructiondoc

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/retentiond/retentiond/store/ledger/summary"
)

// Doc is one instruction.
type Doc struct {
	ID, System string
	Issued     time.Time
	IssuedBy   string // the operator's id and name
	Today      string // the issue day, yyyy-mm-dd: lines due by then are marked
	Deadline   string // confirm by this day
	Digest     string // of the CSV form, "sha256:<hex>"; empty while rendering the CSV
	Lines      []Line
	// Withdrawn are lines of earlier instructions that must not be
	// carried out: a hold placed since covers the person.
	Withdrawn []Withdrawn
	// Lang is the language of the Markdown and PDF forms: da (also when
	// empty), sv or en; the configuration's locale. The CSV form is the
	// same in every language.
	Lang string
}

// Line is one person and category.
type Line struct {
	Due, Rule, Category, Person string
}

// Withdrawn is a line of an earlier instruction, withdrawn by a hold.
type Withdrawn struct {
	Line
	Instruction string // the instruction that issued it, "I-3"
	Hold        string // the hold that withdrew it, "H-2"
}

// action is what the people running the system are to do with w.
func (w Withdrawn) action() string {
	return fmt.Sprintf("withdrawn: do NOT delete (line of %s, was due %s; kept by hold %s)", w.Instruction, w.Due, w.Hold)
}

// CSV renders the lines: delete_by, rule, category, person, action. The
// action is "delete" for a line to carry out; a line of an earlier
// instruction withdrawn by a hold has no delete_by date and an action
// that says not to delete.
func (d *Doc) CSV() []byte {
	var b bytes.Buffer
	w := csvWriter{csv.NewWriter(&b)}
	w.Write([]string{"delete_by", "rule", "category", "person", "action"})
	for _, l := range d.Lines {
		w.Write([]string{l.Due, l.Rule, l.Category, l.Person, "delete"})
	}
	for _, l := range d.Withdrawn {
		w.Write([]string{"", l.Rule, l.Category, l.Person, l.action()})
	}
	w.Flush()
	return b.Bytes()
}

func (d *Doc) intro() []string {
	w := d.words()
	issued := w.F("issued", d.Issued.Format("2006-01-02 15:04 MST"), d.IssuedBy, d.Digest)
	if len(d.Lines) == 0 {
		return []string{issued, w.F("only_withdraws", d.System), w.T("nothing"), w.T("by_number")}
	}
	return []string{issued, w.F("no_api", d.System, d.Deadline), w.F("confirm", d.ID), w.T("by_number")}
}

func (d *Doc) due(l Line) string {
	if l.Due <= d.Today {
		return d.words().F("due_now", l.Due)
	}
	return l.Due
}

// Markdown renders the instruction as a Markdown document.
func (d *Doc) Markdown() []byte {
	d = d.shown()
	w := d.words()
	var b bytes.Buffer
	in := d.intro()
	fmt.Fprintf(&b, "# %s\n\n", w.F("title", d.ID, d.System))
	fmt.Fprintf(&b, "%s\n\n%s\n\n    %s\n\n%s\n\n", strings.Replace(in[0], d.Digest, "`"+d.Digest+"`", 1), in[1], in[2], in[3])
	if len(d.Lines) > 0 {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n|---|---|---|---|\n", w.T("col.due"), w.T("col.rule"), w.T("col.category"), w.T("col.person"))
		for _, l := range d.Lines {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", d.due(l), l.Rule, strings.ReplaceAll(l.Category, "|", "/"), l.Person)
		}
	}
	if len(d.Withdrawn) > 0 {
		if len(d.Lines) > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", w.T("withdrawn"), w.T("withdrawn.text"))
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|\n",
			w.T("col.instr"), w.T("col.was_due"), w.T("col.rule"), w.T("col.category"), w.T("col.person"), w.T("col.hold"))
		for _, l := range d.Withdrawn {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", l.Instruction, l.Due, l.Rule, strings.ReplaceAll(l.Category, "|", "/"), l.Person, l.Hold)
		}
	}
	return b.Bytes()
}

// PDF renders the instruction on A4 pages, with a line for the signature
// of whoever carries it out.
func (d *Doc) PDF() ([]byte, error) {
	d = d.shown()
	w := d.words()
	const font = "DejaVuSansCondensed"
	regular, bold := summary.Fonts()
	f := fpdf.New("P", "mm", "A4", "")
	f.AddUTF8FontFromBytes(font, "", regular)
	f.AddUTF8FontFromBytes(font, "B", bold)
	f.SetMargins(18, 18, 18)
	f.SetAutoPageBreak(true, 18)
	f.SetCreationDate(d.Issued.UTC())
	f.SetModificationDate(d.Issued.UTC())
	f.SetCatalogSort(true)
	f.SetTitle(w.F("title", d.ID, d.System), true)
	f.SetCreator("retentiond", true)
	f.SetFooterFunc(func() {
		f.SetY(-14)
		f.SetFont(font, "", 8)
		f.CellFormat(0, 5, w.F("footer", d.ID, f.PageNo()), "", 0, "R", false, 0, "")
	})
	f.AddPage()
	f.SetFont(font, "B", 15)
	f.MultiCell(0, 7, w.F("title", d.ID, d.System), "", "L", false)
	f.Ln(2)
	f.SetFont(font, "", 9.5)
	in := d.intro()
	for i, p := range in {
		if i == 2 {
			f.SetFont(font, "B", 9.5)
		}
		f.MultiCell(0, 5, p, "", "L", false)
		f.SetFont(font, "", 9.5)
		f.Ln(1.5)
	}
	widths := []float64{40, 27, 73, 34} // room for "2026-06-20 (gallra nu)" and "Gallringsregel"
	header := func() {
		f.SetFont(font, "B", 9)
		for i, h := range []string{w.T("col.due"), w.T("col.rule"), w.T("col.category"), w.T("col.person")} {
			f.CellFormat(widths[i], 6, h, "B", 0, "L", false, 0, "")
		}
		f.Ln(-1)
		f.SetFont(font, "", 9)
	}
	fit := func(cat string) string {
		for rs := []rune(cat); f.GetStringWidth(cat) > widths[2]-2 && len(rs) > 1; {
			rs = rs[:len(rs)-1]
			cat = string(rs) + "…"
		}
		return cat
	}
	if len(d.Lines) > 0 {
		header()
	}
	for _, l := range d.Lines {
		if f.GetY() > 270 {
			f.AddPage()
			header()
		}
		for i, v := range []string{d.due(l), l.Rule, fit(l.Category), l.Person} {
			f.CellFormat(widths[i], 5.5, v, "", 0, "L", false, 0, "")
		}
		f.Ln(-1)
	}
	if len(d.Withdrawn) > 0 {
		f.Ln(6)
		f.SetFont(font, "B", 11)
		f.MultiCell(0, 6, w.T("withdrawn"), "", "L", false)
		f.SetFont(font, "", 9.5)
		f.MultiCell(0, 5, w.T("withdrawn.text"), "", "L", false)
		f.Ln(1.5)
		wheader := func() {
			f.SetFont(font, "B", 9)
			for i, h := range []string{w.T("col.line_of"), w.T("col.rule"), w.T("col.category"), w.T("col.person_hold")} {
				f.CellFormat(widths[i], 6, h, "B", 0, "L", false, 0, "")
			}
			f.Ln(-1)
			f.SetFont(font, "", 9)
		}
		wheader()
		for _, l := range d.Withdrawn {
			if f.GetY() > 270 {
				f.AddPage()
				wheader()
			}
			for i, v := range []string{l.Instruction + ", " + l.Due, l.Rule, fit(l.Category), l.Person + " (" + l.Hold + ")"} {
				f.CellFormat(widths[i], 5.5, v, "", 0, "L", false, 0, "")
			}
			f.Ln(-1)
		}
	}
	if len(d.Lines) == 0 {
		var b bytes.Buffer
		if err := f.Output(&b); err != nil {
			return nil, fmt.Errorf("render instruction %s as PDF: %w", d.ID, err)
		}
		return b.Bytes(), nil
	}
	f.Ln(12)
	if f.GetY() > 255 {
		f.AddPage()
	}
	f.SetFont(font, "", 9.5)
	f.CellFormat(80, 6, w.T("signature"), "", 0, "L", false, 0, "")
	f.Ln(14)
	f.CellFormat(120, 0, "", "T", 0, "L", false, 0, "")
	var b bytes.Buffer
	if err := f.Output(&b); err != nil {
		return nil, fmt.Errorf("render instruction %s as PDF: %w", d.ID, err)
	}
	return b.Bytes(), nil
}
