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
	if len(d.Lines) == 0 {
		return []string{
			fmt.Sprintf("Issued %s by %s. Digest of the CSV form: %s.", d.Issued.Format("2006-01-02 15:04 MST"), d.IssuedBy, d.Digest),
			fmt.Sprintf("This instruction only withdraws lines of earlier instructions to %s: a hold now keeps the data below. Do NOT delete it.", d.System),
			"There is nothing to confirm.",
			"People are given by their number in the school-system export, never by name.",
		}
	}
	return []string{
		fmt.Sprintf("Issued %s by %s. Digest of the CSV form: %s.", d.Issued.Format("2006-01-02 15:04 MST"), d.IssuedBy, d.Digest),
		fmt.Sprintf("%s has no deletion interface retentiond can use. Delete the data below in %s by the dates given, then confirm it, by %s at the latest, with", d.System, d.System, d.Deadline),
		fmt.Sprintf("retentiond instructions confirm %s --by \"YOUR NAME\"", d.ID),
		"People are given by their number in the school-system export, never by name.",
	}
}

func (d *Doc) due(l Line) string {
	if l.Due <= d.Today {
		return l.Due + " (due now)"
	}
	return l.Due
}

// Markdown renders the instruction as a Markdown document.
func (d *Doc) Markdown() []byte {
	d = d.shown()
	var b bytes.Buffer
	in := d.intro()
	fmt.Fprintf(&b, "# Deletion instruction %s: %s\n\n", d.ID, d.System)
	fmt.Fprintf(&b, "%s\n\n%s\n\n    %s\n\n%s\n\n", strings.Replace(in[0], d.Digest, "`"+d.Digest+"`", 1), in[1], in[2], in[3])
	if len(d.Lines) > 0 {
		fmt.Fprintf(&b, "| Delete by | Rule | Category | Person |\n|---|---|---|---|\n")
		for _, l := range d.Lines {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", d.due(l), l.Rule, strings.ReplaceAll(l.Category, "|", "/"), l.Person)
		}
	}
	if len(d.Withdrawn) > 0 {
		if len(d.Lines) > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "## Withdrawn: do NOT delete\n\nA hold now keeps the data of these lines of earlier instructions. Do not carry them out.\n\n")
		fmt.Fprintf(&b, "| Instruction | Was due | Rule | Category | Person | Hold |\n|---|---|---|---|---|---|\n")
		for _, w := range d.Withdrawn {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", w.Instruction, w.Due, w.Rule, strings.ReplaceAll(w.Category, "|", "/"), w.Person, w.Hold)
		}
	}
	return b.Bytes()
}

// PDF renders the instruction on A4 pages, with a line for the signature
// of whoever carries it out.
func (d *Doc) PDF() ([]byte, error) {
	d = d.shown()
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
	f.SetTitle("Deletion instruction "+d.ID+": "+d.System, true)
	f.SetCreator("retentiond", true)
	f.SetFooterFunc(func() {
		f.SetY(-14)
		f.SetFont(font, "", 8)
		f.CellFormat(0, 5, fmt.Sprintf("%s, page %d", d.ID, f.PageNo()), "", 0, "R", false, 0, "")
	})
	f.AddPage()
	f.SetFont(font, "B", 15)
	f.MultiCell(0, 7, fmt.Sprintf("Deletion instruction %s: %s", d.ID, d.System), "", "L", false)
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
	widths := []float64{38, 16, 86, 34}
	header := func() {
		f.SetFont(font, "B", 9)
		for i, h := range []string{"Delete by", "Rule", "Category", "Person"} {
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
		f.MultiCell(0, 6, "Withdrawn: do NOT delete", "", "L", false)
		f.SetFont(font, "", 9.5)
		f.MultiCell(0, 5, "A hold now keeps the data of these lines of earlier instructions. Do not carry them out.", "", "L", false)
		f.Ln(1.5)
		wheader := func() {
			f.SetFont(font, "B", 9)
			for i, h := range []string{"Line of / was due", "Rule", "Category", "Person (hold)"} {
				f.CellFormat(widths[i], 6, h, "B", 0, "L", false, 0, "")
			}
			f.Ln(-1)
			f.SetFont(font, "", 9)
		}
		wheader()
		for _, w := range d.Withdrawn {
			if f.GetY() > 270 {
				f.AddPage()
				wheader()
			}
			for i, v := range []string{w.Instruction + ", " + w.Due, w.Rule, fit(w.Category), w.Person + " (" + w.Hold + ")"} {
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
	f.CellFormat(80, 6, "Carried out by (name, date, signature):", "", 0, "L", false, 0, "")
	f.Ln(14)
	f.CellFormat(120, 0, "", "T", 0, "L", false, 0, "")
	var b bytes.Buffer
	if err := f.Output(&b); err != nil {
		return nil, fmt.Errorf("render instruction %s as PDF: %w", d.ID, err)
	}
	return b.Bytes(), nil
}
