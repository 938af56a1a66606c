package summary

import (
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/safetext"
)

// The report is set in DejaVu Sans Condensed, embedded in the binary so that
// æ, ø, å, ä and ö render the same on every machine and in every viewer
// (fonts/LICENSE); the PDF carries the subset of glyphs it uses.
var (
	//go:embed fonts/DejaVuSansCondensed.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSansCondensed-Bold.ttf
	fontBold []byte
)

// Fonts returns the embedded regular and bold fonts, for other documents
// retentiond renders (deletion instructions) to look the same.
func Fonts() (regular, bold []byte) { return fontRegular, fontBold }

// Meta is what the report's header says about the export it summarises.
type Meta struct {
	Origin         string    // the ledger's origin line, as in its checkpoints
	From, To       time.Time // the period summarised: From inclusive, To exclusive; zero is open
	Generated      time.Time // when the export was made (injected: the report never reads the clock)
	Entries        int64     // entries in the export
	CheckpointSize int64     // size of the latest signed checkpoint the export holds
	CheckpointHash string    // its root hash, base64
	Software       string    // software and version that made the export
	// Location is the time zone the report prints times in; nil is the
	// summary's (New). Months are always counted in the summary's.
	Location *time.Location
}

// Page geometry, in millimetres: A4 portrait.
const (
	pageW, pageH     = 210.0, 297.0
	marginL, marginR = 16.0, 16.0
	marginT          = 20.0
	contentW         = pageW - marginL - marginR
	bottom           = pageH - 20.0 // nothing but the footer below this
	lineH            = 3.8          // a line of table text
	cellPad          = 1.1          // above and below a table row's text
	cellMargin       = 1.3          // left and right of a cell's text
)

// Colours.
var (
	ink     = rgb{25, 30, 40}
	grey    = rgb{100, 108, 120}
	accent  = rgb{28, 60, 110}
	rule    = rgb{186, 194, 206}
	headBg  = rgb{224, 231, 241}
	zebraBg = rgb{245, 247, 250}
	totalBg = rgb{233, 237, 243}
	alert   = rgb{150, 35, 30}
	noteBg  = rgb{255, 244, 209}
	noteBd  = rgb{196, 146, 20}
)

type rgb struct{ r, g, b int }

// WritePDF writes the report: A4, a title, the notice that the summary is
// not authoritative, the export's metadata and an overview; then a table
// per rule of its months' deletion outcomes, the approvals per rule and
// month (fully and partially approved apart) with the withdrawals,
// exclusions, retention decisions and escalations, every batch with who approved it at which stage and when and when
// it was executed, holds, policy versions and key rotations. Every page has
// a footer with the origin, the generation time and the page number, and
// a table that runs onto another page repeats its header there. The same
// entries and meta give the same bytes. Meta.Generated must be set: it is
// the document's date too.
func (s *Summary) WritePDF(w io.Writer, m Meta) error {
	if m.Generated.IsZero() {
		return errors.New("write summary pdf: Meta.Generated is not set (the report never reads the clock)")
	}
	// The first pass counts the pages, for "page n of N".
	first, err := s.render(m, 0)
	if err != nil {
		return fmt.Errorf("write summary pdf: %w", err)
	}
	f, err := s.render(m, first.PageCount())
	if err != nil {
		return fmt.Errorf("write summary pdf: %w", err)
	}
	if err := f.Output(w); err != nil {
		return fmt.Errorf("write summary pdf: %w", err)
	}
	return nil
}

type report struct {
	pending *heading // the section heading not yet drawn
	f       *fpdf.Fpdf
	s       *Summary
	m       Meta
	loc     *time.Location
	pages   int
}

func (s *Summary) render(m Meta, pages int) (*fpdf.Fpdf, error) {
	loc := m.Location
	if loc == nil {
		loc = s.loc
	}
	f := fpdf.New("P", "mm", "A4", "")
	r := &report{f: f, s: s, m: m, loc: loc, pages: pages}
	f.AddUTF8FontFromBytes(fontFamily, "", fontRegular)
	f.AddUTF8FontFromBytes(fontFamily, "B", fontBold)
	f.SetMargins(marginL, marginT, marginR)
	f.SetCellMargin(cellMargin)
	f.SetAutoPageBreak(true, pageH-bottom)
	f.SetCatalogSort(true)
	f.SetCreationDate(m.Generated.UTC())
	f.SetModificationDate(m.Generated.UTC())
	f.SetTitle("Deletion ledger summary: "+m.Origin, true)
	f.SetSubject("Non-authoritative summary of a retentiond ledger export", true)
	f.SetCreator(m.Software, true)
	f.SetLang("en")
	f.SetHeaderFunc(r.pageHeader)
	f.SetFooterFunc(r.pageFooter)
	f.AddPage()

	r.titleBlock()
	r.overview()
	r.verification()
	r.deletions()
	r.approvals()
	r.batches()
	r.holds()
	r.instructions()
	r.policyVersions()
	r.keyRotations()
	return f, f.Error()
}

// ---- text helpers ----

const fontFamily = "DejaVuSansCondensed"

func (r *report) font(style string, size float64) { r.f.SetFont(fontFamily, style, size) }

func (r *report) color(c rgb) { r.f.SetTextColor(c.r, c.g, c.b) }

func (r *report) fill(c rgb) { r.f.SetFillColor(c.r, c.g, c.b) }

func (r *report) draw(c rgb) { r.f.SetDrawColor(c.r, c.g, c.b) }

func (r *report) time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(r.loc).Format("2006-01-02 15:04")
}

// para writes a paragraph across the content width.
func (r *report) para(size float64, text string) {
	r.font("", size)
	r.color(ink)
	r.f.MultiCell(contentW, size*0.5, text, "", "L", false)
}

// need starts a new page unless h millimetres fit on this one.
func (r *report) need(h float64) {
	if r.f.GetY()+h > bottom {
		r.f.AddPage()
	}
}

// section starts a numbered section. Its heading is drawn with what
// follows it (flush), so that a heading never ends a page.
func (r *report) section(title, intro string) { r.pending = &heading{title, intro} }

type heading struct{ title, intro string }

const introSize = 8.5

// headingHeight is the height of the pending heading, if any.
func (r *report) headingHeight() float64 {
	if r.pending == nil {
		return 0
	}
	h := 4 + 7 + 2.0
	if r.pending.intro != "" {
		r.font("", introSize)
		h += float64(len(r.f.SplitText(r.pending.intro, contentW)))*introSize*0.5 + 1.5
	}
	return h
}

// flush draws the pending heading, on a new page unless it and h
// millimetres of what follows fit on this one.
func (r *report) flush(h float64) {
	if r.pending == nil {
		r.need(h)
		return
	}
	r.need(r.headingHeight() + h)
	title, intro := r.pending.title, r.pending.intro
	r.pending = nil
	if r.f.GetY() > marginT+1 {
		r.f.Ln(4)
	}
	r.font("B", 13)
	r.color(accent)
	r.f.CellFormat(contentW, 7, title, "", 1, "L", false, 0, "")
	r.draw(accent)
	r.f.SetLineWidth(0.4)
	y := r.f.GetY()
	r.f.Line(marginL, y, marginL+contentW, y)
	r.f.SetLineWidth(0.2)
	r.f.Ln(2)
	if intro != "" {
		r.para(introSize, intro)
		r.f.Ln(1.5)
	}
}

func (r *report) none(text string) {
	r.flush(6)
	r.font("", 9)
	r.color(grey)
	r.f.CellFormat(contentW, 6, text, "", 1, "L", false, 0, "")
	r.color(ink)
}

func (r *report) pageHeader() {
	if r.f.PageNo() == 1 {
		return
	}
	r.font("", 7.5)
	r.color(grey)
	r.f.SetXY(marginL, 10)
	r.f.CellFormat(contentW/2, 4, r.clip("Deletion ledger summary · "+r.m.Origin, contentW/2), "", 0, "L", false, 0, "")
	r.f.CellFormat(contentW/2, 4, r.clip("Period: "+r.period(), contentW/2), "", 0, "R", false, 0, "")
	r.draw(rule)
	r.f.Line(marginL, 15, marginL+contentW, 15)
	r.f.SetXY(marginL, marginT)
	r.color(ink)
}

func (r *report) pageFooter() {
	r.draw(rule)
	r.f.Line(marginL, pageH-15, marginL+contentW, pageH-15)
	r.font("", 7)
	r.color(grey)
	r.f.SetXY(marginL, pageH-14)
	r.f.CellFormat(contentW-30, 3.5, r.clip(r.m.Origin+" · generated "+r.generated(), contentW-30), "", 2, "L", false, 0, "")
	r.f.CellFormat(contentW-30, 3.5, "Not authoritative: the signed entries and checkpoints are. Verify with retentiond ledger verify.",
		"", 0, "L", false, 0, "")
	page := fmt.Sprintf("Page %d", r.f.PageNo())
	if r.pages > 0 {
		page += fmt.Sprintf(" of %d", r.pages)
	}
	r.f.SetXY(marginL+contentW-30, pageH-14)
	r.font("B", 7.5)
	r.f.CellFormat(30, 3.5, page, "", 0, "R", false, 0, "")
	r.color(ink)
}

func (r *report) generated() string {
	return r.m.Generated.In(r.loc).Format("2006-01-02 15:04 MST")
}

// period describes Meta.From and To; To is exclusive.
func (r *report) period() string {
	from, to := r.m.From.In(r.loc), r.m.To.In(r.loc)
	midnight := func(t time.Time) bool {
		return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
	}
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	exact := func(t time.Time) string { return t.Format("2006-01-02 15:04") }
	fromS, toS := exact(from), "before "+exact(to)
	if r.m.From.IsZero() || midnight(from) {
		fromS = day(from)
	}
	if r.m.To.IsZero() || midnight(to) {
		toS = day(to.AddDate(0, 0, -1))
	}
	switch {
	case r.m.From.IsZero() && r.m.To.IsZero():
		return "all entries"
	case r.m.To.IsZero():
		return "from " + fromS
	case r.m.From.IsZero():
		return "up to and including " + toS
	}
	return fromS + " to " + toS
}

// ---- first page ----

func (r *report) titleBlock() {
	f := r.f
	r.font("B", 21)
	r.color(accent)
	f.CellFormat(contentW, 10, "Deletion ledger summary", "", 1, "L", false, 0, "")
	r.font("", 11)
	r.color(ink)
	f.MultiCell(contentW, 5.5, r.m.Origin, "", "L", false)
	r.font("", 8.5)
	r.color(grey)
	f.MultiCell(contentW, 4.5, "What retentiond deleted, kept and was approved to delete, per rule and month, for the annual data protection review.",
		"", "L", false)
	f.Ln(3)

	// The notice, in a box.
	notice := strings.NewReplacer("`", "", "retentiond ledger verify", "“retentiond ledger verify”").Replace(Notice)
	detail := "It is computed from those entries to be read by people, and it is not evidence. It holds no reference to an item, " +
		"a folder or a data subject: only counts, sizes, rule, batch and hold ids, policy digests and the ids of the staff who acted."
	r.font("B", 9.5)
	n1 := len(f.SplitText(notice, contentW-8))
	r.font("", 8)
	n2 := len(f.SplitText(detail, contentW-8))
	h := float64(n1)*4.8 + float64(n2)*3.9 + 6
	y := f.GetY()
	r.fill(noteBg)
	r.draw(noteBd)
	f.SetLineWidth(0.5)
	f.Rect(marginL, y, contentW, h, "DF")
	f.SetLineWidth(0.2)
	f.SetXY(marginL+4, y+3)
	r.font("B", 9.5)
	r.color(ink)
	f.MultiCell(contentW-8, 4.8, notice, "", "L", false)
	f.SetX(marginL + 4)
	r.font("", 8)
	f.MultiCell(contentW-8, 3.9, detail, "", "L", false)
	f.SetXY(marginL, y+h+5)

	// About the export.
	n, first, last := r.s.Entries()
	summarised := fmt.Sprintf("%s (ledger entries %d to %d)", num(n), first, last)
	if n == 0 {
		summarised = "none"
	}
	cp := "none"
	if r.m.CheckpointSize > 0 || r.m.CheckpointHash != "" {
		cp = fmt.Sprintf("size %s, root hash %s", num(r.m.CheckpointSize), r.m.CheckpointHash)
	}
	zone := r.s.loc.String()
	if r.loc.String() != zone {
		zone = "months counted in " + zone + "; times shown in " + r.loc.String()
	}
	r.subheading("About this export")
	r.keyValues([][2]string{
		{"Ledger origin", cmp.Or(r.m.Origin, "not given")},
		{"Period covered", r.period()},
		{"Entries in the export", num(r.m.Entries)},
		{"Entries summarised", summarised},
		{"Latest signed checkpoint", cp},
		{"Generated", r.generated()},
		{"Software", cmp.Or(r.m.Software, "not given")},
		{"Time zone", zone},
	})
}

func (r *report) subheading(title string) {
	r.need(20)
	r.font("B", 10.5)
	r.color(accent)
	r.f.CellFormat(contentW, 6, title, "", 1, "L", false, 0, "")
	r.color(ink)
}

// keyValues writes label/value pairs as a two-column table.
func (r *report) keyValues(kv [][2]string) {
	t := table{r: r, cols: aboutCols, size: 8.5, noHeader: true, labels: true}
	t.begin(float64(len(kv)) * (lineH + 2*cellPad))
	for _, p := range kv {
		t.row(p[0], p[1])
	}
	r.f.Ln(3)
}

// overview writes the period's totals.
func (r *report) overview() {
	rows := r.s.Rows()
	var t Row
	rules := map[[2]string]bool{}
	months := map[string]bool{}
	for _, row := range rows {
		t.merge(&row)
		rules[[2]string{row.Policy, row.Rule}] = true
		months[row.Month] = true
	}
	c := t.Counts
	var placed, released int64
	for _, h := range r.s.Holds() {
		if !h.Placed.IsZero() {
			placed++
		}
		if !h.Released.IsZero() {
			released++
		}
	}
	monthSpan := "none"
	if len(months) > 0 {
		ms := slices.Sorted(maps.Keys(months))
		monthSpan = fmt.Sprintf("%d (%s to %s)", len(ms), ms[0], ms[len(ms)-1])
	}
	pairs := [][2]string{
		{"Rules with activity", num(int64(len(rules)))}, {"Months with activity", monthSpan},
		{"Items deleted", num(c.Deleted)}, {"Bytes deleted", bytesText(c.BytesDeleted)},
		{"Already absent", num(c.Absent)}, {"Deletions failed", num(c.Failed)},
		{"Held by the system", num(c.Held)}, {"Skipped because of a hold", num(c.SkippedHold)},
		{"Changed since planned", num(c.Changed)}, {"No longer due", num(c.NotDue)},
	}
	if c.Archived > 0 || c.Pruned > 0 {
		pairs = append(pairs, [2]string{"Archived", num(c.Archived)}, [2]string{"Emptied folders removed", num(c.Pruned)})
	}
	pairs = append(pairs,
		[2]string{"Batches planned", num(t.BatchesPlanned)}, [2]string{"Batches executed", num(t.BatchesExecuted)},
		[2]string{"Batches fully approved", num(t.BatchesFullyApproved)}, [2]string{"Batches partially approved", num(t.BatchesPartiallyApproved)},
		[2]string{"Automatic approvals", num(t.AutomaticApprovals)}, [2]string{"Batches rejected", num(t.BatchesRejected)})
	if t.BatchesApprovedStagesUnrecorded > 0 {
		pairs = append(pairs, [2]string{"Approved, stages unknown", num(t.BatchesApprovedStagesUnrecorded)})
	}
	pairs = append(pairs, [2]string{"Batches superseded", num(t.BatchesSuperseded)})
	if t.decisions() > 0 || c.Withdrawn > 0 {
		pairs = append(pairs,
			[2]string{"Items withdrawn", num(t.ItemsWithdrawn)}, [2]string{"Batches wholly withdrawn", num(t.BatchesWithdrawn)},
			[2]string{"Items excluded", num(t.ItemsExcluded)}, [2]string{"Rejections kept until a date", num(t.DecisionsRejected)},
			[2]string{"Decisions revoked", num(t.DecisionsRevoked)}, [2]string{"Escalations", num(t.Escalations)})
	}
	if decided, identities := r.s.Authentication(); len(decided) > 0 {
		var total, verified int64
		for m, n := range decided {
			total += n
			if ledger.Verified(m) {
				verified += n
			}
		}
		pairs = append(pairs,
			[2]string{"Decisions by people", num(total)}, [2]string{"Verified decisions", num(verified)},
			[2]string{"Unverified decisions", num(total - verified)}, [2]string{"Signed-in identities", num(identities)})
	}
	pairs = append(pairs,
		[2]string{"Holds placed", num(placed)}, [2]string{"Holds released", num(released)},
		[2]string{"Policy versions in force", num(int64(len(r.s.policies)))}, [2]string{"Key rotations", num(int64(len(r.s.rotations)))},
	)
	if len(pairs)%2 == 1 {
		pairs = append(pairs, [2]string{"", ""})
	}
	r.subheading("Overview")
	tb := table{r: r, cols: overviewCols, size: 8.5, noHeader: true, labels: true}
	tb.begin(float64(len(pairs)/2) * (lineH + 2*cellPad))
	for i := 0; i+1 < len(pairs); i += 2 {
		tb.row(pairs[i][0], pairs[i][1], pairs[i+1][0], pairs[i+1][1])
	}
}

// ---- sections ----

func (r *report) deletions() {
	r.section("1  Deletions per rule and month",
		"The outcome of every deletion entry, by rule and by the calendar month ("+r.s.loc.String()+") it was recorded in. "+
			"Already absent: the item was gone before retentiond reached it. Held by system: the storage system itself keeps the item "+
			"(e.g. a litigation hold); skipped (hold): a retentiond hold covers it. Changed and not due: the item changed or was no "+
			"longer due at execution and was not touched. Bytes: the size of the items deleted.")
	rows := r.s.Rows()
	wrote := false
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].Policy == rows[i].Policy && rows[j].Rule == rows[i].Rule {
			j++
		}
		var months []Row
		digests := map[string]bool{}
		for _, row := range rows[i:j] {
			if row.Entries() > 0 || row.Pruned > 0 {
				months = append(months, row)
				for _, d := range row.Digests {
					digests[d] = true
				}
			}
		}
		i = j
		if len(months) == 0 {
			continue
		}
		wrote = true
		caption := "Rule " + months[0].Rule + " · policy " + cmp.Or(months[0].Policy, "(not named)")
		if len(digests) > 0 {
			caption += " · version " + strings.Join(slices.Sorted(maps.Keys(digests)), ", ")
		}
		t := table{r: r, cols: deletionCols, caption: caption, size: 8, zebra: true}
		// Keep a rule's table on one page where it fits on one.
		h := float64(len(months)+1) * (lineH + 2*cellPad)
		for _, row := range months {
			if outcomeNote(&row.Counts) != "" {
				h += lineH + cellPad
			}
		}
		t.begin(h)
		var sum Counts
		for _, row := range months {
			sum.merge(&row.Counts)
			t.rowNote(outcomeNote(&row.Counts), row.Month, num(row.Deleted), num(row.Absent), num(row.Failed), num(row.Held),
				num(row.SkippedHold), num(row.Changed), num(row.NotDue), bytesText(row.BytesDeleted))
		}
		if len(months) > 1 {
			t.total("Total", num(sum.Deleted), num(sum.Absent), num(sum.Failed), num(sum.Held), num(sum.SkippedHold),
				num(sum.Changed), num(sum.NotDue), bytesText(sum.BytesDeleted))
		}
		r.f.Ln(4)
	}
	if !wrote {
		r.none("No deletion entries in this period.")
	}
}

// outcomeNote says why deletions failed, and what was archived or pruned.
func outcomeNote(c *Counts) string {
	var parts []string
	if c.Failed > 0 {
		var codes []string
		for _, code := range slices.Sorted(maps.Keys(c.FailureCodes)) {
			name := strings.ReplaceAll(cmp.Or(code, "no code"), "_", " ")
			codes = append(codes, fmt.Sprintf("%s %s", name, num(c.FailureCodes[code])))
		}
		parts = append(parts, "Failed: "+strings.Join(codes, ", "))
	}
	if c.Archived > 0 {
		parts = append(parts, "archived "+num(c.Archived))
	}
	if c.Withdrawn > 0 {
		parts = append(parts, "withdrawn before execution "+num(c.Withdrawn))
	}
	if c.Pruned > 0 {
		parts = append(parts, "emptied folders removed "+num(c.Pruned))
	}
	return strings.Join(parts, "; ")
}

func (r *report) approvals() {
	r.section("2  Approvals and decisions per rule and month",
		"Batches planned; fully approved (every stage the batch entry records has its number of distinct approvers, one of them "+
			"not the planner, or approved automatically because the rule needs no approval), counted in the month of the approval "+
			"that completed it; partially approved (approved by people but not shown complete: a stage short, or only the planner), "+
			"counted in the month of the latest approval; of those, automatic; rejected by an approver; superseded by a later plan; "+
			"executed; and who approved. A batch whose entry records no stages (older ledgers, or planned before the period) counts "+
			"as approved with stages not recorded once its execution started, and as partially approved until then. Approvers "+
			"are the staff ids configured in retentiond.")
	var rows, decided []Row
	for _, row := range r.s.Rows() {
		if row.BatchesPlanned+row.approvals()+row.AutomaticApprovals+row.BatchesRejected+row.BatchesSuperseded+row.BatchesExecuted > 0 ||
			len(row.Approvers) > 0 {
			rows = append(rows, row)
		}
		if row.decisions() > 0 {
			decided = append(decided, row)
		}
	}
	if len(rows) == 0 {
		r.none("No batches were planned, approved or executed in this period.")
	} else {
		t := table{r: r, size: 8, zebra: true, caption: "Approvals", cols: approvalCols}
		t.begin(0)
		for _, row := range rows {
			note := ""
			if row.BatchesApprovedStagesUnrecorded > 0 {
				note = "approved, stages not recorded (counted because their execution started): " + num(row.BatchesApprovedStagesUnrecorded)
			}
			t.rowNote(note, ruleName(row.Policy, row.Rule), row.Month, num(row.BatchesPlanned), num(row.BatchesFullyApproved),
				num(row.BatchesPartiallyApproved), num(row.AutomaticApprovals), num(row.BatchesRejected), num(row.BatchesSuperseded),
				num(row.BatchesExecuted), cmp.Or(strings.Join(row.Approvers, ", "), "–"))
		}
		r.f.Ln(4)
	}
	r.decisions(decided)
	r.authentication()
}

// authColMethods are the methods authCols has a column for, in order;
// a note under the row gives any other.
var authColMethods = []string{"os_user", "oidc", "link", "trusted_cli", "typed"}

// authentication writes, per rule and month, how the people who took its
// decisions were authenticated.
func (r *report) authentication() {
	var rows []Row
	for _, row := range r.s.Rows() {
		if len(row.Decided) > 0 {
			rows = append(rows, row)
		}
	}
	r.f.Ln(4)
	if len(rows) == 0 {
		r.none("No person approved, rejected, excluded, confirmed, held or revoked anything in this period.")
		return
	}
	r.para(introSize, "Decisions: approvals and rejections by a person, items excluded, guarded batches confirmed, holds placed or "+
		"released and decisions revoked, by how retentiond knew who took them. Verified: by the operating-system account the "+
		"command ran as (OS account), a sign-in to the web console (OIDC) or a one-time sign-in link. Trusted CLI: the person id "+
		"given on the command line, taken on its word where the configuration allows it; typed: the same in ledgers written "+
		"before retentiond refused an unverified id; not recorded: entries written before retentiond recorded it. Identities: "+
		"distinct sign-ins among the verified decisions. Holds concern no rule and are counted under \"no rule\".")
	r.f.Ln(1.5)
	t := table{r: r, size: 8, zebra: true, caption: "How decisions were authenticated", cols: authCols}
	t.begin(0)
	for _, row := range rows {
		var unlisted []string
		for _, m := range slices.Sorted(maps.Keys(row.Decided)) {
			if m != "" && !slices.Contains(authColMethods, m) {
				unlisted = append(unlisted, fmt.Sprintf("%s %s", safetext.Name(m), num(row.Decided[m])))
			}
		}
		note := ""
		if len(unlisted) > 0 {
			note = "Other methods: " + strings.Join(unlisted, ", ")
		}
		name := ruleName(row.Policy, row.Rule)
		if row.Rule == "" {
			name = "(no rule)"
		}
		t.rowNote(note, name, row.Month, num(row.DecisionsTaken()), num(row.Decided["os_user"]), num(row.Decided["oidc"]),
			num(row.Decided["link"]), num(row.Decided["trusted_cli"]), num(row.Decided["typed"]), num(row.Decided[""]),
			num(row.DecisionsVerified()), num(row.Identities))
	}
}

// decisions writes, per rule and month, the items plans withdrew from
// open batches, the items approvers excluded, the rejections that keep a
// batch's items until a date, the decisions revoked and the escalations.
func (r *report) decisions(rows []Row) {
	if len(rows) == 0 {
		r.none("No item was withdrawn or excluded, no retention decision was made or revoked and no batch was escalated in this period.")
		return
	}
	r.para(introSize, "Withdrawn: items a plan took out of an open batch because they changed, vanished, became held, were no longer "+
		"due, were kept by a decision or were excluded (the note gives the reasons); batches withdrawn: batches none of whose items "+
		"is left, each withdrawn or excluded. "+
		"Excluded: items an approver took out of a batch. Kept: rejections that keep a batch's items until a date, and the items they "+
		"keep. Escalated: batches that waited longer than their rule allows, offered to a fallback group.")
	r.f.Ln(1.5)
	t := table{r: r, size: 8, zebra: true, caption: "Withdrawals, decisions and escalations", cols: decisionCols}
	t.begin(0)
	for _, row := range rows {
		var codes []string
		for _, code := range slices.Sorted(maps.Keys(row.WithdrawalCodes)) {
			codes = append(codes, fmt.Sprintf("%s %s", strings.ReplaceAll(cmp.Or(code, "no code"), "_", " "), num(row.WithdrawalCodes[code])))
		}
		note := ""
		if len(codes) > 0 {
			note = fmt.Sprintf("Withdrawn from %s batch(es): %s", num(row.BatchesWithWithdrawals), strings.Join(codes, ", "))
		}
		t.rowNote(note, ruleName(row.Policy, row.Rule), row.Month, num(row.ItemsWithdrawn), num(row.BatchesWithdrawn), num(row.ItemsExcluded),
			num(row.DecisionsRejected), num(row.ItemsKeptByRejection), num(row.DecisionsRevoked), num(row.Escalations))
	}
}

func ruleName(policy, rule string) string {
	if policy == "" {
		return rule
	}
	return rule + " (" + policy + ")"
}

func (r *report) batches() {
	r.section("3  Batches",
		"Every batch the period's entries name: when and by whom it was planned, each approval with its stage (automatic when "+
			"the rule needs none), and when it was executed or why not. Result counts its deletion entries in the period.")
	bs := r.s.Batches()
	if len(bs) == 0 {
		r.none("No batches in this period.")
		return
	}
	t := table{r: r, size: 7.5, zebra: true, caption: "Batches", cols: batchCols}
	t.begin(0)
	for _, b := range bs {
		rule := b.Rule
		if b.Policy != "" {
			rule += "\n" + b.Policy
		}
		planned := "before the period"
		if !b.Planned.IsZero() {
			planned = r.time(b.Planned) + "\n" + num(b.Items) + " items, " + bytesText(b.Bytes)
			if b.Planner != "" {
				planned += "\nby " + b.Planner
			}
		}
		if b.Source != "" {
			planned += "\nsource " + b.Source
		}
		var appr []string
		if b.ConfirmedBy != "" {
			appr = append(appr, "size confirmed by "+b.ConfirmedBy+"\n"+r.time(b.Confirmed))
		}
		for _, a := range b.Approvals {
			switch {
			case a.Automatic:
				appr = append(appr, "automatic, "+r.time(a.At))
			case a.By == "":
				appr = append(appr, "stage "+strconv.Itoa(a.Stage)+": (no one named), "+r.time(a.At))
			default:
				appr = append(appr, "stage "+strconv.Itoa(a.Stage)+": "+a.By+", "+r.time(a.At))
			}
		}
		if len(appr) == 0 {
			appr = []string{"no approval in the period"}
		}
		switch b.Approval {
		case ledger.ApprovalComplete:
			appr = append(appr, "fully approved")
		case ledger.ApprovalPartial:
			appr = append(appr, "partially approved")
		case ledger.ApprovalStagesUnknown:
			appr = append(appr, "stages not recorded")
		}
		if len(b.Stages) > 0 {
			appr = append(appr, "needs "+strings.Join(b.Stages, ", "))
		}
		var exec []string
		if !b.Started.IsZero() {
			exec = append(exec, "started "+r.time(b.Started))
		}
		if !b.Finished.IsZero() {
			exec = append(exec, "finished "+r.time(b.Finished))
		}
		if !b.Stopped.IsZero() {
			exec = append(exec, "stopped ("+b.StopReason+") "+r.time(b.Stopped))
		}
		if b.StartedBy != "" && len(exec) > 0 {
			exec = append(exec, "by "+b.StartedBy)
		}
		if !b.Escalated.IsZero() {
			exec = append(exec, "escalated "+r.time(b.Escalated)+": "+b.EscalatedTo)
		}
		if !b.Rejected.IsZero() {
			exec = append(exec, "rejected by "+b.RejectedBy+", "+r.time(b.Rejected))
		}
		if b.KeptUntil != "" {
			exec = append(exec, "items kept until "+b.KeptUntil)
		}
		if !b.Superseded.IsZero() {
			exec = append(exec, "superseded by a later plan, "+r.time(b.Superseded))
		}
		if len(exec) == 0 {
			exec = []string{"not executed in the period"}
		}
		result := resultText(&b.Outcomes)
		var taken []string
		if b.Withdrawn > 0 {
			taken = append(taken, num(b.Withdrawn)+" withdrawn by plans")
		}
		if b.Excluded > 0 {
			taken = append(taken, num(b.Excluded)+" excluded")
		}
		if len(taken) > 0 {
			if result == "–" {
				result = strings.Join(taken, "\n")
			} else {
				result += "\n" + strings.Join(taken, "\n")
			}
		}
		t.row(strconv.FormatInt(b.ID, 10), rule, planned, strings.Join(appr, "\n"), strings.Join(exec, "\n"), result)
	}
}

func resultText(c *Counts) string {
	var lines []string
	add := func(n int64, what string) {
		if n > 0 {
			lines = append(lines, num(n)+" "+what)
		}
	}
	if c.Deleted > 0 {
		lines = append(lines, num(c.Deleted)+" deleted ("+bytesText(c.BytesDeleted)+")")
	}
	add(c.Absent, "already absent")
	add(c.Failed, "failed")
	add(c.Held, "held by system")
	add(c.SkippedHold, "skipped (hold)")
	add(c.Changed, "changed")
	add(c.NotDue, "not due")
	add(c.Archived, "archived")
	add(c.Withdrawn, "skipped, withdrawn")
	switch {
	case c.Pruned == 1:
		lines = append(lines, "1 emptied folder removed")
	case c.Pruned > 1:
		lines = append(lines, num(c.Pruned)+" emptied folders removed")
	}
	if len(lines) == 0 {
		return "–"
	}
	return strings.Join(lines, "\n")
}

func (r *report) holds() {
	hs := r.s.Holds()
	var placed, released int
	for _, h := range hs {
		if !h.Placed.IsZero() {
			placed++
		}
		if !h.Released.IsZero() {
			released++
		}
	}
	r.section("4  Holds", fmt.Sprintf("Holds stop retentiond from deleting what they cover. %d placed and %d released in the period. "+
		"What a hold covers is not shown: the ledger names it only by references.", placed, released))
	if len(hs) == 0 {
		r.none("No holds were placed or released in this period.")
		return
	}
	t := table{r: r, size: 8, zebra: true, caption: "Holds", cols: holdCols}
	t.begin(float64(len(hs)) * (lineH + 2*cellPad))
	for _, h := range hs {
		placedAt := r.time(h.Placed)
		if h.Placed.IsZero() {
			placedAt = "before the period"
		}
		releasedAt := r.time(h.Released)
		if h.Released.IsZero() {
			releasedAt = "–"
		}
		t.row(h.ID, cmp.Or(h.Source, "all sources"), placedAt, h.PlacedBy, cmp.Or(h.Until, "–"), releasedAt, h.ReleasedBy)
	}
}

func (r *report) instructions() {
	ins := r.s.Instructions()
	var issued, confirmed int
	for _, in := range ins {
		if !in.Issued.IsZero() {
			issued++
		}
		if !in.Confirmed.IsZero() {
			confirmed++
		}
	}
	r.section("5  Deletion instructions", fmt.Sprintf("Instructions to delete data in systems retentiond cannot delete in itself (Lectio, SkoleIntra, data processors, accounts). "+
		"%d issued and %d confirmed as carried out in the period. The people concerned are not shown: the ledger names them only by references.", issued, confirmed))
	if len(ins) == 0 {
		r.none("No deletion instructions were issued or confirmed in this period.")
		return
	}
	t := table{r: r, size: 8, zebra: true, caption: "Deletion instructions", cols: instructionCols}
	t.begin(float64(len(ins)) * (lineH + 2*cellPad))
	for _, in := range ins {
		issuedAt := r.time(in.Issued)
		if in.Issued.IsZero() {
			issuedAt = "before the period"
		}
		confirmedAt := r.time(in.Confirmed)
		if in.Confirmed.IsZero() {
			confirmedAt = "–"
		}
		withdrawn := "–"
		if in.Withdrawn > 0 {
			withdrawn = fmt.Sprint(in.Withdrawn) // lines a hold withdrew
		}
		t.row(in.ID, cmp.Or(in.System, "–"), fmt.Sprint(in.Lines), withdrawn, cmp.Or(in.FirstDue, "–"), issuedAt, confirmedAt, cmp.Or(in.CarriedOut, "–"))
	}
}

func (r *report) policyVersions() {
	r.section("6  Policy versions",
		"Policy texts that came into force in the period. The export's policies/ directory holds each text, named by policy id and digest.")
	ps := r.s.PolicyVersions()
	if len(ps) == 0 {
		r.none("No policy version came into force in this period.")
		return
	}
	t := table{r: r, size: 7.5, zebra: true, caption: "Policy versions", cols: policyCols}
	t.begin(float64(len(ps)) * (lineH + 2*cellPad))
	for _, p := range ps {
		t.row(r.time(p.At), p.Policy, p.Digest)
	}
}

func (r *report) keyRotations() {
	r.section("7  Key rotations",
		"A new signing key signs checkpoints from the rotation on; the old one co-signs for the overlap. A new reference key "+
			"makes the references of later entries.")
	ks := r.s.KeyRotations()
	if len(ks) == 0 {
		r.none("No key was rotated in this period.")
		return
	}
	t := table{r: r, size: 8, zebra: true, caption: "Key rotations", cols: keyCols}
	t.begin(float64(len(ks)) * (lineH + 2*cellPad))
	for _, k := range ks {
		kind := strings.ReplaceAll(k.Kind, "_", " ")
		t.row(r.time(k.At), kind, cmp.Or(k.KeyID, "–"), k.By, duration(k.Overlap))
	}
}

func (r *report) verification() {
	r.f.Ln(3)
	r.subheading("How to check this summary")
	r.para(introSize, "The export's entries.jsonl holds every ledger entry as it was signed, and its checkpoints sign the root of the "+
		"tree over them. Run “retentiond ledger verify” on the export directory: it checks every entry, the tree, each checkpoint's "+
		"signature, key rotations and the manifest. The export's README.md gives the same checks with standard tools. "+
		"If this summary and the entries disagree, the entries are right.")
}

// ---- tables ----

type column struct {
	title string // "\n" breaks it where the column is narrow
	w     float64
	align string
}

// The tables' columns; each set is contentW (178 mm) wide.
var (
	aboutCols    = []column{{"", 44, "L"}, {"", 134, "L"}}
	overviewCols = []column{{"", 46, "L"}, {"", 43, "R"}, {"", 46, "L"}, {"", 43, "R"}}
	deletionCols = []column{{"Month", 20, "L"}, {"Deleted", 18, "R"}, {"Already\nabsent", 20, "R"}, {"Failed", 16, "R"},
		{"Held by\nsystem", 20, "R"}, {"Skipped\n(hold)", 20, "R"}, {"Changed", 18, "R"}, {"Not due", 18, "R"},
		{"Bytes deleted", 28, "R"}}
	approvalCols = []column{{"Rule (policy)", 34, "L"}, {"Month", 15, "L"}, {"Planned", 15, "R"}, {"Fully\napproved", 17, "R"},
		{"Partially\napproved", 17, "R"}, {"Auto-\nmatic", 14, "R"}, {"Rejected", 16, "R"}, {"Super-\nseded", 14, "R"},
		{"Executed", 16, "R"}, {"Approved by", 20, "L"}}
	decisionCols = []column{{"Rule (policy)", 38, "L"}, {"Month", 15, "L"}, {"Items\nwith-\ndrawn", 17, "R"}, {"Batches\nwith-\ndrawn", 18, "R"},
		{"Items\nexcluded", 18, "R"}, {"Rejec-\ntions\nkept", 17, "R"}, {"Items\nkept", 17, "R"}, {"Decisions\nrevoked", 20, "R"},
		{"Escal-\nated", 18, "R"}}
	authCols = []column{{"Rule (policy)", 30, "L"}, {"Month", 14, "L"}, {"Deci-\nsions", 15, "R"}, {"OS\naccount", 16, "R"},
		{"OIDC", 13, "R"}, {"Link", 12, "R"}, {"Trusted\nCLI", 15, "R"}, {"Typed", 13, "R"}, {"Not\nrecorded", 17, "R"},
		{"Verified", 15, "R"}, {"Identi-\nties", 18, "R"}}
	batchCols = []column{{"Batch", 11, "R"}, {"Rule", 21, "L"}, {"Planned", 30, "L"}, {"Approvals (stage: who, when)", 47, "L"},
		{"Execution", 36, "L"}, {"Result", 33, "L"}}
	instructionCols = []column{{"Instruction", 20, "L"}, {"System", 22, "L"}, {"Lines", 14, "R"}, {"Withdrawn", 14, "R"}, {"First due", 22, "L"},
		{"Issued", 30, "L"}, {"Confirmed", 30, "L"}, {"Carried out by", 26, "L"}}
	holdCols = []column{{"Hold", 20, "L"}, {"Source", 30, "L"}, {"Placed", 30, "L"}, {"By", 22, "L"}, {"Until", 22, "L"},
		{"Released", 30, "L"}, {"By", 24, "L"}}
	policyCols = []column{{"In force from", 30, "L"}, {"Policy", 36, "L"}, {"Digest", 112, "L"}}
	keyCols    = []column{{"Date", 30, "L"}, {"Key", 30, "L"}, {"New key id", 72, "L"}, {"By", 24, "L"}, {"Overlap", 22, "L"}}
)

// table draws rows whose cells wrap, under a header that is repeated,
// with the caption, on every page the table runs onto.
type table struct {
	r        *report
	cols     []column
	caption  string
	size     float64
	zebra    bool
	noHeader bool
	labels   bool // the even columns are labels, the odd their values
	odd      bool
}

// begin starts the table: on this page if its caption, header and first
// rows fit, and if the whole table (h millimetres of rows, 0 for
// unknown) fits or would not fit on a page of its own either; else on
// the next page.
func (t *table) begin(h float64) {
	head := t.r.headingHeight() + 7 + 9
	if t.noHeader {
		head = 0
	}
	room := bottom - t.r.f.GetY()
	if room < head+3*(lineH+2*cellPad) || h > 0 && head+h > room && head+h <= bottom-marginT {
		t.r.f.AddPage()
	}
	t.r.flush(0)
	t.head(false)
}

func (t *table) head(continued bool) {
	f := t.r.f
	if t.caption != "" {
		t.r.font("B", 9)
		t.r.color(ink)
		c := t.caption
		if continued {
			c += " (continued)"
		}
		for i, l := range f.SplitText(c, contentW) {
			if i > 0 {
				f.Ln(-1)
			}
			f.CellFormat(contentW, 4.5, l, "", 0, "L", false, 0, "")
		}
		f.Ln(6)
	}
	t.odd = false
	if t.noHeader {
		return
	}
	t.r.font("B", t.size)
	t.r.fill(headBg)
	t.r.color(accent)
	h := 0.0
	for _, c := range t.cols {
		h = max(h, float64(len(f.SplitText(c.title, c.w)))*lineH+2*cellPad)
	}
	x, y := marginL, f.GetY()
	f.Rect(x, y, contentW, h, "F")
	for _, c := range t.cols {
		t.cell(x, y, c, c.title, h)
		x += c.w
	}
	t.r.draw(accent)
	f.Line(marginL, y+h, marginL+contentW, y+h)
	f.SetXY(marginL, y+h)
	t.r.color(ink)
}

// cell writes text's lines in column c at x, y, vertically centred in a
// row of height h.
func (t *table) cell(x, y float64, c column, text string, h float64) {
	lines := t.r.f.SplitText(text, c.w)
	top := y + (h-float64(len(lines))*lineH)/2
	for i, l := range lines {
		t.r.f.SetXY(x, top+float64(i)*lineH)
		t.r.f.CellFormat(c.w, lineH, l, "", 0, c.align, false, 0, "")
	}
}

func (t *table) style(i int, bold bool) string {
	if bold || t.labels && i%2 == 0 {
		return "B"
	}
	return ""
}

func (t *table) height(cells []string, bold bool) float64 {
	lines := 1
	for i, s := range cells {
		t.r.font(t.style(i, bold), t.size)
		lines = max(lines, len(t.r.f.SplitText(s, t.cols[i].w)))
	}
	return float64(lines)*lineH + 2*cellPad
}

func (t *table) noteLines(note string) []string {
	if note == "" {
		return nil
	}
	t.r.font("", t.size-0.5)
	return t.r.f.SplitText(note, contentW-t.cols[0].w)
}

// draw writes a row and, under it, a note across all but the first
// column, breaking the page before them unless both fit.
func (t *table) draw(cells []string, note string, bold bool, bg *rgb) {
	f := t.r.f
	h := t.height(cells, bold)
	notes := t.noteLines(note)
	nh := 0.0
	if len(notes) > 0 {
		nh = float64(len(notes))*lineH + cellPad
	}
	if f.GetY()+h+nh > bottom {
		f.AddPage()
		t.head(true)
	}
	x, y := marginL, f.GetY()
	if bg != nil {
		t.r.fill(*bg)
		f.Rect(x, y, contentW, h+nh, "F")
	}
	t.r.color(ink)
	for i, s := range cells {
		t.r.font(t.style(i, bold), t.size)
		t.cell(x, y, t.cols[i], s, h)
		x += t.cols[i].w
	}
	if len(notes) > 0 {
		t.r.font("", t.size-0.5)
		t.r.color(alert)
		for i, l := range notes {
			f.SetXY(marginL+t.cols[0].w, y+h-cellPad+float64(i)*lineH)
			f.CellFormat(contentW-t.cols[0].w, lineH, l, "", 0, "L", false, 0, "")
		}
		t.r.color(ink)
	}
	t.r.draw(rule)
	f.SetLineWidth(0.1)
	f.Line(marginL, y+h+nh, marginL+contentW, y+h+nh)
	f.SetLineWidth(0.2)
	f.SetXY(marginL, y+h+nh)
}

func (t *table) row(cells ...string) { t.rowNote("", cells...) }

// rowNote writes a row with a note under it ("" for none).
func (t *table) rowNote(note string, cells ...string) {
	var bg *rgb
	if t.zebra && t.odd {
		bg = &zebraBg
	}
	t.odd = !t.odd
	t.draw(cells, note, false, bg)
}

func (t *table) total(cells ...string) { t.draw(cells, "", true, &totalBg) }

// ---- formatting ----

// clip shortens s with "…" to fit w millimetres in the current font.
func (r *report) clip(s string, w float64) string {
	w -= 2 * cellMargin
	if r.f.GetStringWidth(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && r.f.GetStringWidth(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

// duration writes an ISO 8601 period of days ("P7D") for people.
func duration(p string) string {
	days, ok := strings.CutPrefix(p, "P")
	if days, ok = strings.CutSuffix(days, "D"); !ok {
		return cmp.Or(p, "–")
	}
	switch n, err := strconv.Atoi(days); {
	case err != nil:
		return p
	case n == 1:
		return "1 day"
	default:
		return days + " days"
	}
}

// num writes a count with its thousands grouped by spaces, as ISO 80000
// does, which Danish and English readers read alike.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if len(s) > 4 {
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteRune('\u00a0')
			}
			b.WriteRune(c)
		}
		s = b.String()
	}
	if neg {
		s = "-" + s
	}
	return s
}

// bytesText writes a size for people, in decimal units (1 MB = 10⁶ bytes);
// the CSV has the exact number.
func bytesText(b int64) string {
	units := []string{"kB", "MB", "GB", "TB", "PB"}
	if b < 1000 {
		return num(b) + " B"
	}
	v := float64(b) / 1000
	u := 0
	for v >= 999.95 && u < len(units)-1 {
		v /= 1000
		u++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[u]
}
