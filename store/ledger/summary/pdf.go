package summary

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// Meta is what the report's header says about the export.
type Meta struct {
	Origin         string
	From, To       time.Time // the period reported; zero is open
	Generated      time.Time
	Entries        int64
	CheckpointSize int64
	CheckpointHash string
	Software       string
}

// Notice is the statement every report carries.
const Notice = "This summary is not authoritative. The signed entries (entries.jsonl) and checkpoints of this export are: " +
	"verify them with `retentiond ledger verify` or by the steps in README.md."

const (
	pageW, marginL, marginR = 210.0, 15.0, 15.0
	contentW                = pageW - marginL - marginR
	rowH                    = 5.5
)

// WritePDF writes the report: A4, the metadata and notice, a table per rule
// of the months' counts, the batches with their approvals, and holds,
// policy versions and key rotations. It is deterministic for the same
// entries and meta.
func (s *Summary) WritePDF(w io.Writer, m Meta) error {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(marginL, 18, marginR)
	f.SetAutoPageBreak(true, 18)
	f.SetCatalogSort(true) // deterministic output
	f.SetCreationDate(m.Generated)
	f.SetModificationDate(m.Generated)
	f.SetTitle("Deletion ledger summary: "+m.Origin, true)
	f.SetCreator(m.Software, true)
	tr := f.UnicodeTranslatorFromDescriptor("") // cp1252: æ, ø, å, ä, ö
	f.AliasNbPages("{nb}")
	generated := m.Generated.In(s.loc).Format("2006-01-02 15:04 MST")
	f.SetFooterFunc(func() {
		f.SetY(-12)
		f.SetFont("Helvetica", "", 7.5)
		f.SetTextColor(110, 110, 110)
		f.CellFormat(contentW/2, 4, tr(m.Origin+" - generated "+generated), "", 0, "L", false, 0, "")
		f.CellFormat(contentW/2, 4, fmt.Sprintf("Page %d of {nb}", f.PageNo()), "", 0, "R", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()

	f.SetFont("Helvetica", "B", 17)
	f.CellFormat(contentW, 9, tr("Deletion ledger summary"), "", 1, "L", false, 0, "")
	f.SetFont("Helvetica", "", 11)
	f.CellFormat(contentW, 6, tr(m.Origin), "", 1, "L", false, 0, "")
	f.Ln(3)

	period := "all entries"
	switch {
	case !m.From.IsZero() && !m.To.IsZero():
		period = m.From.In(s.loc).Format(time.DateOnly) + " to " + m.To.In(s.loc).Add(-time.Nanosecond).Format(time.DateOnly)
	case !m.From.IsZero():
		period = "from " + m.From.In(s.loc).Format(time.DateOnly)
	case !m.To.IsZero():
		period = "until " + m.To.In(s.loc).Add(-time.Nanosecond).Format(time.DateOnly)
	}
	f.SetFont("Helvetica", "", 9)
	for _, kv := range [][2]string{
		{"Period reported", period},
		{"Entries in the export", fmt.Sprint(m.Entries)},
		{"Signed checkpoint", fmt.Sprintf("size %d, root %s", m.CheckpointSize, m.CheckpointHash)},
		{"Generated", generated + " by " + m.Software},
		{"Time zone", s.loc.String()},
	} {
		f.SetFont("Helvetica", "B", 9)
		f.CellFormat(42, rowH, tr(kv[0]), "", 0, "L", false, 0, "")
		f.SetFont("Helvetica", "", 9)
		f.CellFormat(contentW-42, rowH, tr(kv[1]), "", 1, "L", false, 0, "")
	}
	f.Ln(3)
	f.SetFillColor(255, 244, 214)
	f.SetDrawColor(214, 170, 60)
	f.SetFont("Helvetica", "B", 9)
	f.MultiCell(contentW, 5, tr(Notice), "1", "L", true)
	f.SetDrawColor(0, 0, 0)
	f.Ln(4)

	// Totals.
	rows := s.Rows()
	var tot Row
	for _, r := range rows {
		tot.Deleted += r.Deleted
		tot.Failed += r.Failed
		tot.Held += r.Held + r.SkippedHold
		tot.Bytes += r.Bytes
	}
	section(f, tr, "Overview")
	f.SetFont("Helvetica", "", 9.5)
	f.MultiCell(contentW, 5, tr(fmt.Sprintf("%d items deleted (%s), %d deletions failed, %d items kept by a hold. %d batches planned, %d rules.",
		tot.Deleted, size(tot.Bytes), tot.Failed, tot.Held, len(s.batches), countRules(rows))), "", "L", false)
	f.Ln(2)

	// Per rule and month.
	section(f, tr, "Deletions per rule and month")
	cols := []col{{"Month", 24, "L"}, {"Deleted", 20, "R"}, {"Already gone", 24, "R"}, {"Failed", 18, "R"}, {"Held by system", 26, "R"},
		{"Skipped: hold", 24, "R"}, {"Changed", 18, "R"}, {"Size deleted", 26, "R"}}
	if len(rows) == 0 {
		empty(f, tr, "No deletions in this period.")
	}
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].Policy == rows[i].Policy && rows[j].Rule == rows[i].Rule {
			j++
		}
		ensure(f, 3*rowH+8)
		f.SetFont("Helvetica", "B", 10)
		f.CellFormat(contentW, 7, tr(fmt.Sprintf("Rule %s (policy %s)", rows[i].Rule, rows[i].Policy)), "", 1, "L", false, 0, "")
		t := table{f: f, tr: tr, cols: cols}
		t.header()
		for _, r := range rows[i:j] {
			t.row(r.Month, itoa(r.Deleted), itoa(r.Absent), itoa(r.Failed), itoa(r.Held), itoa(r.SkippedHold), itoa(r.Changed), size(r.Bytes))
			if len(r.Codes) > 0 {
				t.note("failures: " + strings.ReplaceAll(codes(r.Codes), "_", " "))
			}
		}
		f.Ln(3)
		i = j
	}

	// Batches and approvals.
	section(f, tr, "Batches and approvals")
	batches := s.Batches()
	if len(batches) == 0 {
		empty(f, tr, "No batches in this period.")
	} else {
		t := table{f: f, tr: tr, cols: []col{{"Batch", 13, "R"}, {"Rule", 14, "L"}, {"Source", 26, "L"}, {"Items", 14, "R"},
			{"Planned", 20, "L"}, {"Approved by (stage, date)", 51, "L"}, {"Executed", 20, "L"}, {"Deleted", 22, "R"}}}
		t.header()
		for _, b := range batches {
			var appr []string
			for _, a := range b.Approvals {
				if a.Automatic {
					appr = append(appr, "automatic (rule needs none)")
					continue
				}
				appr = append(appr, fmt.Sprintf("%s (%d, %s)", a.By, a.Stage, a.At.Format("02-01")))
			}
			if b.Rejected != "" {
				appr = append(appr, "rejected: "+b.Rejected)
			}
			if len(appr) == 0 {
				appr = []string{"not approved"}
			}
			executed := "-"
			if !b.Executed.IsZero() {
				executed = b.Executed.Format(time.DateOnly)
			}
			t.row(fmt.Sprint(b.ID), b.Rule, b.Source, itoa(b.Items), b.Planned.Format(time.DateOnly), strings.Join(appr, "; "), executed, itoa(b.Deleted))
		}
	}
	f.Ln(3)

	// Events.
	section(f, tr, "Holds, policy versions and key rotations")
	if len(s.events) == 0 {
		empty(f, tr, "None in this period.")
	} else {
		t := table{f: f, tr: tr, cols: []col{{"Date", 34, "L"}, {"Event", contentW - 34, "L"}}}
		t.header()
		for _, e := range s.events {
			t.row(e.At.Format("2006-01-02 15:04"), e.What)
		}
	}
	if err := f.Output(w); err != nil {
		return fmt.Errorf("write summary pdf: %w", err)
	}
	return nil
}

type col struct {
	title string
	w     float64
	align string
}

// table draws rows under a header that is repeated on every page the
// table runs onto.
type table struct {
	f    *fpdf.Fpdf
	tr   func(string) string
	cols []col
	odd  bool
}

func (t *table) header() {
	t.f.SetFont("Helvetica", "B", 8)
	t.f.SetFillColor(228, 233, 240)
	for _, c := range t.cols {
		t.f.CellFormat(c.w, rowH+0.5, t.tr(c.title), "B", 0, c.align, true, 0, "")
	}
	t.f.Ln(-1)
	t.odd = false
}

func (t *table) row(cells ...string) {
	t.f.SetFont("Helvetica", "", 8)
	// The tallest cell decides the row's height.
	lines := 1
	for i, c := range cells {
		if n := len(t.f.SplitLines([]byte(t.tr(c)), t.cols[i].w-2)); n > lines {
			lines = n
		}
	}
	h := float64(lines) * 4.2
	if h < rowH {
		h = rowH
	}
	if t.f.GetY()+h > 297-20 {
		t.f.AddPage()
		t.header()
		t.f.SetFont("Helvetica", "", 8)
	}
	if t.odd {
		t.f.SetFillColor(247, 248, 250)
	} else {
		t.f.SetFillColor(255, 255, 255)
	}
	t.odd = !t.odd
	x, y := t.f.GetX(), t.f.GetY()
	for i, c := range cells {
		t.f.Rect(x, y, t.cols[i].w, h, "F")
		t.f.SetXY(x, y+(h-float64(len(t.f.SplitLines([]byte(t.tr(c)), t.cols[i].w-2)))*4.2)/2)
		t.f.MultiCell(t.cols[i].w, 4.2, t.tr(c), "", t.cols[i].align, false)
		x += t.cols[i].w
	}
	t.f.SetXY(marginL, y+h)
}

func (t *table) note(s string) {
	t.f.SetFont("Helvetica", "I", 7.5)
	t.f.SetTextColor(150, 40, 40)
	t.f.CellFormat(contentW, 4.5, t.tr("    "+s), "", 1, "L", false, 0, "")
	t.f.SetTextColor(0, 0, 0)
}

func section(f *fpdf.Fpdf, tr func(string) string, title string) {
	ensure(f, 20)
	f.SetFont("Helvetica", "B", 12.5)
	f.SetTextColor(30, 60, 110)
	f.CellFormat(contentW, 8, tr(title), "", 1, "L", false, 0, "")
	f.SetTextColor(0, 0, 0)
}

func empty(f *fpdf.Fpdf, tr func(string) string, s string) {
	f.SetFont("Helvetica", "I", 9)
	f.CellFormat(contentW, rowH, tr(s), "", 1, "L", false, 0, "")
}

// ensure starts a new page unless h millimetres fit on this one.
func ensure(f *fpdf.Fpdf, h float64) {
	if f.GetY()+h > 297-20 {
		f.AddPage()
	}
}

func countRules(rows []Row) int {
	seen := map[[2]string]bool{}
	for _, r := range rows {
		seen[[2]string{r.Policy, r.Rule}] = true
	}
	return len(seen)
}

// size writes a byte count for people.
func size(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}
