package summary

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/retentiond/retentiond/store/ledger"
	"github.com/retentiond/retentiond/store/testtool"
)

var pdfDir = flag.String("pdf-dir", "", "also write the test reports (school-year.pdf, empty.pdf) into this directory, to look at")

// poppler runs one of poppler-utils' tools on pdf, which takes the place of
// "{}" in args. The tests need them to read the report as a person's PDF
// reader does: without them a test skips, except in CI, where it fails
// (.ci/run installs poppler-utils).
func poppler(t *testing.T, tool string, pdf []byte, args ...string) string {
	t.Helper()
	bin := testtool.Require(t, tool, "poppler-utils")
	f := filepath.Join(t.TempDir(), "summary.pdf")
	if err := os.WriteFile(f, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		if a == "{}" {
			args[i] = f
		}
	}
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
	return string(out)
}

func writePDF(t *testing.T, s *Summary, m Meta, name string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := s.WritePDF(&b, m); err != nil {
		t.Fatal(err)
	}
	if *pdfDir != "" {
		if err := os.WriteFile(filepath.Join(*pdfDir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// pages returns the text of each page, as pdftotext -layout lays it out.
func pages(t *testing.T, pdf []byte) []string {
	t.Helper()
	ps := strings.Split(poppler(t, "pdftotext", pdf, "-layout", "-enc", "UTF-8", "{}", "-"), "\f")
	if len(ps) > 0 && strings.TrimSpace(ps[len(ps)-1]) == "" {
		ps = ps[:len(ps)-1]
	}
	return ps
}

var space = regexp.MustCompile(`\s+`)

func squash(s string) string { return space.ReplaceAllString(s, " ") }

func TestPDFSchoolYear(t *testing.T) {
	entries, priv := schoolYear(t)
	s := build(entries)
	pdf := writePDF(t, s, testMeta, "school-year.pdf")
	ps := pages(t, pdf)
	all := strings.Join(ps, "\n")
	flat := squash(all)

	info := poppler(t, "pdfinfo", pdf, "{}")
	if !strings.Contains(info, "(A4)") {
		t.Errorf("the report is not A4:\n%s", info)
	}
	if m := regexp.MustCompile(`Pages:\s+(\d+)`).FindStringSubmatch(info); m == nil || m[1] != strconv.Itoa(len(ps)) {
		t.Errorf("pdfinfo says %v pages, pdftotext gives %d", m, len(ps))
	}
	checkLayout(t, pdf)
	// The fonts are embedded: the report reads the same on any machine.
	fonts := poppler(t, "pdffonts", pdf, "{}")
	for _, l := range strings.Split(fonts, "\n")[2:] {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		// name type encoding emb sub uni object ID
		if !strings.Contains(strings.ToLower(l), "dejavusanscondensed") || !regexp.MustCompile(`Identity-H\s+yes\s+\w+\s+yes\b`).MatchString(l) {
			t.Errorf("a font is not DejaVu Sans Condensed, embedded, with a Unicode map: %s", l)
		}
	}

	for _, want := range []string{
		"Deletion ledger summary", "skole.example/ledger",
		squash(strings.NewReplacer("`", "", "retentiond ledger verify", "“retentiond ledger verify”").Replace(Notice)),
		"Period covered 2025-10-01 to 2026-11-30",
		"Entries in the export 1187",
		"Latest signed checkpoint size 1187, root hash udWIGsmsHtS3dKQ5wUI89clVU3w6LqxZV6/ojR/t0NM=",
		"Generated 2026-12-02 08:30 CET", "Software retentiond 0.9.0", "Time zone Europe/Copenhagen",
		// Danish letters, in ids as configured.
		"Rule fravær · policy elevdata", "Rule lønbilag · policy personale", "Rule ansøgninger · policy personale",
		"stage 1: søren, ", "stage 2: åse, ", "stage 2: bjørn, ", "source fælles-drev", "rejected by bjørn",
		"superseded by a later plan", "automatic, ", "size confirmed by it-drift", "Failed: permission denied",
		"version sha256:1f0c6a3e9b7d, sha256:2b4d6f8091a3",
		"Batches (continued)", "H-8 fælles-drev", "H-9 all sources", "before the period",
		"2027-06-30", "signing key", "reference key k2b7c9d1", "skole.example/ledger+", "it-drift 7 days", "1 emptied folder removed",
		"sha256:5e5e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100",
		"How to check this summary",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the report lacks %q", want)
		}
	}

	// Every rule's months, with their numbers in the right columns.
	for _, r := range s.Rows() {
		if r.Entries() == 0 {
			continue
		}
		cells := []string{r.Month, num(r.Deleted), num(r.Absent), num(r.Failed), num(r.Held), num(r.SkippedHold), num(r.Changed),
			num(r.NotDue), bytesText(r.BytesDeleted)}
		for i, c := range cells {
			cells[i] = regexp.QuoteMeta(c)
		}
		if !regexp.MustCompile(`(?m)^\s*` + strings.Join(cells, `\s+`) + `\s*$`).MatchString(all) {
			t.Errorf("rule %s: no line %q", r.Rule, strings.Join(cells, " "))
		}
	}
	// The overview's totals.
	var deleted, failed int64
	for _, r := range s.Rows() {
		deleted += r.Deleted
		failed += r.Failed
	}
	for _, want := range []string{fmt.Sprintf("Items deleted %s", num(deleted)), fmt.Sprintf("Deletions failed %s", num(failed)),
		"Batches planned 40", "Holds placed 3", "Holds released 2", "Policy versions in force 4", "Key rotations 2"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the overview lacks %q", want)
		}
	}

	// Every page has the footer; tables that run onto a page repeat their
	// header there.
	for i, p := range ps {
		fp := squash(p)
		if !strings.Contains(fp, fmt.Sprintf("Page %d of %d", i+1, len(ps))) || !strings.Contains(fp, "generated 2026-12-02 08:30 CET") ||
			!strings.Contains(fp, "skole.example/ledger") || !strings.Contains(fp, "Not authoritative") {
			t.Errorf("page %d lacks its footer:\n%s", i+1, p)
		}
		if strings.Contains(fp, "(continued)") && !regexp.MustCompile(`(Month|Rule|Batch|Hold) .*(Deleted|Approved|Approvals|Source|Executed|excluded)`).MatchString(fp) {
			t.Errorf("page %d continues a table without its header:\n%s", i+1, p)
		}
	}
	if got := strings.Count(flat, "Approvals (stage: who, when)"); got < 2 {
		t.Errorf("the batches table's header appears %d times; it spans pages, so it should repeat", got)
	}

	// Nothing personal: no reference, no free text.
	assertNoPrivate(t, "PDF", all, priv)

	// The same entries and meta give the same bytes.
	if again := writePDF(t, build(entries), testMeta, "school-year.pdf"); !bytes.Equal(pdf, again) {
		t.Error("the report is not deterministic")
	}
}

func assertNoPrivate(t *testing.T, what, text string, priv private) {
	t.Helper()
	if strings.Contains(text, "h1:") {
		t.Errorf("the %s holds a reference (h1:)", what)
	}
	for _, r := range priv.refs {
		_, mac, _ := strings.Cut(strings.TrimPrefix(r, "h1:"), ":")
		if strings.Contains(text, r) || strings.Contains(text, mac) {
			t.Fatalf("the %s holds reference %s", what, r)
		}
	}
	for _, s := range priv.texts {
		for _, word := range strings.Fields(s) {
			if len([]rune(word)) > 5 && strings.Contains(text, word) && !strings.Contains(word, "superseded") {
				t.Errorf("the %s holds %q from the operator's text %q", what, word, s)
			}
		}
	}
	for _, name := range []string{"Ørsted", "Sørensen", "Jensen", "Hansen", "Ågård", "0101"} {
		if strings.Contains(text, name) {
			t.Errorf("the %s holds %q", what, name)
		}
	}
}

func TestPDFEmpty(t *testing.T) {
	pdf := writePDF(t, New(cph), Meta{Origin: "tom.example/ledger", Generated: testMeta.Generated, Software: "retentiond 0.9.0"}, "empty.pdf")
	ps := pages(t, pdf)
	flat := squash(strings.Join(ps, "\n"))
	for _, want := range []string{"Deletion ledger summary", "tom.example/ledger", "not authoritative", "Period covered all entries",
		"Entries summarised none", "Latest signed checkpoint none", "No deletion entries in this period.",
		"No batches were planned, approved or executed in this period.", "No batches in this period.",
		"No holds were placed or released in this period.", "No policy version came into force in this period.",
		"No key was rotated in this period.", fmt.Sprintf("Page 1 of %d", len(ps))} {
		if !strings.Contains(flat, want) {
			t.Errorf("the empty report lacks %q:\n%s", want, flat)
		}
	}
	if len(ps) > 2 {
		t.Errorf("the empty report has %d pages", len(ps))
	}
}

// TestPDFPeriod: the period is given as the days it covers; To is
// exclusive.
func TestPDFPeriod(t *testing.T) {
	for _, tt := range []struct {
		from, to time.Time
		want     string
	}{
		{time.Time{}, time.Time{}, "all entries"},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, cph), time.Time{}, "from 2026-01-01"},
		{time.Time{}, time.Date(2026, 8, 1, 0, 0, 0, 0, cph), "up to and including 2026-07-31"},
		{time.Date(2025, 8, 1, 0, 0, 0, 0, cph), time.Date(2026, 8, 1, 0, 0, 0, 0, cph), "2025-08-01 to 2026-07-31"},
		// Midnight in Copenhagen given in UTC is still a whole day.
		{time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 22, 0, 0, 0, time.UTC), "2026-01-01 to 2026-06-30"},
		{time.Date(2026, 3, 2, 8, 15, 0, 0, cph), time.Date(2026, 3, 9, 17, 0, 0, 0, cph), "2026-03-02 08:15 to before 2026-03-09 17:00"},
	} {
		r := report{s: New(cph), loc: cph, m: Meta{From: tt.from, To: tt.to}}
		if got := r.period(); got != tt.want {
			t.Errorf("From %v To %v: %q, want %q", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1234: "1234", 12345: "12\u00a0345", 1234567: "1\u00a0234\u00a0567"} {
		if got := num(n); got != want {
			t.Errorf("num(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1_260_000: "1.3 MB", 999_960: "1.0 MB",
		3_500_000_000: "3.5 GB"} {
		if got := bytesText(n); got != want {
			t.Errorf("bytesText(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestPDFUnknownBatch: approvals and executions of a batch planned before
// the period still show, under the rule the entries name.
func TestPDFUnknownBatch(t *testing.T) {
	s := New(cph)
	at := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	for i, e := range []ledger.Entry{
		{Type: ledger.TypeApproval, Time: at, Batch: 9, Rule: "fravær", Actor: "åse", Stage: 2},
		{Type: ledger.TypeExecutionStarted, Time: at.Add(time.Hour), Batch: 9, Rule: "fravær", Actor: "it"},
		{Type: ledger.TypeDeletion, Time: at.Add(2 * time.Hour), Batch: 9, Rule: "fravær", Policy: "elevdata", Outcome: "deleted", Size: 10},
		{Type: ledger.TypeExecutionFinished, Time: at.Add(3 * time.Hour), Batch: 9, Rule: "fravær", Actor: "it", Items: 1},
	} {
		s.Add(int64(500+i), e)
	}
	flat := squash(strings.Join(pages(t, writePDF(t, s, Meta{Origin: "o", Generated: at}, "unknown-batch.pdf")), "\n"))
	for _, want := range []string{"9 before the period", "stage 2: åse, 2026-02-10 10:00", "started 2026-02-10 11:00",
		"finished 2026-02-10 13:00", "by it", "1 deleted (10 B)", "fravær (elevdata)", "ledger entries 500 to 503"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the report lacks %q:\n%s", want, flat)
		}
	}
	// Times in another zone than the months': the report says which is which.
	flat = squash(strings.Join(pages(t, writePDF(t, s, Meta{Origin: "o", Generated: at, Location: time.UTC}, "utc.pdf")), "\n"))
	for _, want := range []string{"months counted in Europe/Copenhagen; times shown in UTC", "stage 2: åse, 2026-02-10 09:00",
		"Generated 2026-02-10 09:00 UTC"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the report lacks %q:\n%s", want, flat)
		}
	}
	// The report never reads the clock: it needs the generated time.
	if err := s.WritePDF(io.Discard, Meta{Origin: "o"}); err == nil {
		t.Error("WritePDF without Meta.Generated did not fail")
	}
}

// TestColumns: every table is as wide as the page's text, and no header
// word is broken across lines.
func TestColumns(t *testing.T) {
	f := fpdf.New("P", "mm", "A4", "")
	f.AddUTF8FontFromBytes(fontFamily, "B", fontBold)
	f.SetCellMargin(cellMargin)
	for name, set := range map[string]struct {
		cols []column
		size float64
	}{
		"about": {aboutCols, 8.5}, "overview": {overviewCols, 8.5}, "deletions": {deletionCols, 8}, "approvals": {approvalCols, 8},
		"batches": {batchCols, 7.5}, "holds": {holdCols, 8}, "policies": {policyCols, 7.5}, "keys": {keyCols, 8},
	} {
		var w float64
		f.SetFont(fontFamily, "B", set.size)
		for _, c := range set.cols {
			w += c.w
			for _, word := range strings.Fields(c.title) {
				if need := f.GetStringWidth(word) + 2*f.GetCellMargin(); need > c.w {
					t.Errorf("%s: %q needs %.1f mm, its column is %.1f", name, word, need, c.w)
				}
			}
		}
		if math.Abs(w-contentW) > 0.01 {
			t.Errorf("%s: the columns are %.1f mm wide, the text %.1f", name, w, contentW)
		}
	}
}

type word struct {
	x0, y0, x1, y1 float64
	text           string
}

var wordRE = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)

// checkLayout reads where every word of the report is, as a person sees
// it: no word may leave the page's margins or overlap another, and the
// document's date must be the generated time, not the clock's.
func checkLayout(t *testing.T, pdf []byte) {
	t.Helper()
	html := poppler(t, "pdftotext", pdf, "-bbox", "{}", "-")
	if want := `<meta name="CreationDate" content="` + testMeta.Generated.UTC().Format("2006-01-02T15:04:05Z") + `"/>`; !strings.Contains(html, want) &&
		strings.Contains(html, "skole.example") {
		t.Errorf("the PDF's creation date is not Meta.Generated: no %s", want)
	}
	const mm = 72 / 25.4
	for p, page := range strings.Split(html, "<page ")[1:] {
		var ws []word
		for _, m := range wordRE.FindAllStringSubmatch(page, -1) {
			var w word
			for i, f := range []*float64{&w.x0, &w.y0, &w.x1, &w.y1} {
				*f, _ = strconv.ParseFloat(m[i+1], 64)
			}
			w.text = m[5]
			ws = append(ws, w)
			if w.x0 < marginL*mm-1 || w.x1 > (pageW-marginR)*mm+1 || w.y0 < 0 || w.y1 > pageH*mm {
				t.Errorf("page %d: %q at x %.0f–%.0f pt leaves the margins (%.0f–%.0f)", p+1, w.text, w.x0, w.x1, marginL*mm, (pageW-marginR)*mm)
			}
		}
		slices.SortFunc(ws, func(a, b word) int { return cmp.Compare(a.y0, b.y0) })
		for i, a := range ws {
			for _, b := range ws[i+1:] {
				if b.y0 >= a.y1 {
					break // sorted by top: no later word reaches a's line
				}
				yo := min(a.y1, b.y1) - max(a.y0, b.y0)
				xo := min(a.x1, b.x1) - max(a.x0, b.x0)
				if yo > 0.3*min(a.y1-a.y0, b.y1-b.y0) && xo > 0.5 {
					t.Errorf("page %d: %q and %q overlap", p+1, a.text, b.text)
				}
			}
		}
	}
}

// TestPDFLongIDs: ids longer than their columns wrap or are clipped; they
// never run over other text or off the page.
func TestPDFLongIDs(t *testing.T) {
	long := "skolernes-faelles-it-driftsenhed.københavns-kommune.example/retentiond/ledger/produktion-2026"
	s := New(cph)
	at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	var es []ledger.Entry
	for i := range 12 {
		d := fmt.Sprintf("sha256:%064x", i+1)
		es = append(es, ledger.Entry{Type: ledger.TypePolicy, Time: at, Policy: "en-meget-lang-politik-for-elevdata-og-personale", PolicyDigest: d},
			ledger.Entry{Type: ledger.TypeDeletion, Time: at.AddDate(0, 0, i), Batch: 1, Policy: "en-meget-lang-politik-for-elevdata-og-personale",
				PolicyDigest: d, Rule: "elevplaner-og-fravær-for-udskolingen", Outcome: "failed", Code: ledger.Codes[i%len(ledger.Codes)]})
	}
	es = append(es, ledger.Entry{Type: ledger.TypeBatch, Time: at, Batch: 1, Policy: "en-meget-lang-politik-for-elevdata-og-personale",
		Rule: "elevplaner-og-fravær-for-udskolingen", Source: "fællesdrev-for-administrationen-på-rådhuset", Actor: "administrator-søren-østergård"})
	for i, who := range []string{"søren-østergård", "åse-ågård-bjørnsen", "bjørn", "mette-kirstine-sørensen", "anna", "bo"} {
		es = append(es, ledger.Entry{Type: ledger.TypeApproval, Time: at, Batch: 1, Rule: "elevplaner-og-fravær-for-udskolingen",
			Actor: who, Stage: i + 1})
	}
	es = append(es, ledger.Entry{Type: ledger.TypeHoldAdded, Time: at, Hold: "H-2026-000000123456", Source: "fællesdrev-for-administrationen",
		Actor: "administrator-søren-østergård"})
	for i, e := range es {
		s.Add(int64(i), e)
	}
	m := testMeta
	m.Origin, m.Software = long, "retentiond 0.9.0-rc.1+build.20261202.abcdef0123456789"
	pdf := writePDF(t, s, m, "long-ids.pdf")
	checkLayout(t, pdf)
	flat := squash(strings.Join(pages(t, pdf), "\n"))
	for _, want := range []string{"søren-østergård", "mette-kirstine-sørensen", "Failed: cancelled 1"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}
