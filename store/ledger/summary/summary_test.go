package summary

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store/ledger"
)

var update = flag.Bool("update", false, "rewrite golden files")

var cph = mustLoc("Europe/Copenhagen")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// realistic returns the entries of a year of a school's ledger: 6 rules,
// 14 months, 42 batches with approvals, failures and holds.
func realistic(t testing.TB) []ledger.Entry {
	refs, err := ledger.NewRefKey(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 10, 3, 7, 0, 0, 0, time.UTC)
	rules := []string{"C1", "M1", "M2", "S3", "P3", "O1"}
	var out []ledger.Entry
	out = append(out, ledger.Entry{Type: ledger.TypePolicy, Time: start, Policy: "skole", PolicyDigest: "sha256:0123456789abcdef", Text: "version: 1\n"})
	batch := int64(0)
	for m := 0; m < 14; m++ {
		for r, rule := range rules {
			if (m+r)%2 == 1 {
				continue
			}
			batch++
			at := start.AddDate(0, m, r)
			out = append(out,
				ledger.Entry{Type: ledger.TypeBatch, Time: at, Batch: batch, Policy: "skole", Rule: rule, Source: "skoledrev", Items: 10, Size: 1 << 20, Actor: "it"},
				ledger.Entry{Type: ledger.TypeApproval, Time: at.Add(time.Hour), Batch: batch, Actor: "søren", Stage: 1})
			if rule == "P3" {
				out = append(out, ledger.Entry{Type: ledger.TypeApproval, Time: at.Add(2 * time.Hour), Batch: batch, Actor: "bo", Stage: 2})
			}
			for i := 0; i < 10; i++ {
				e := ledger.Entry{Type: ledger.TypeDeletion, Time: at.Add(24 * time.Hour), Batch: batch, Policy: "skole", Rule: rule,
					Item: refs.Ref("item:fileshare:skoledrev", "Elever/Åse Ørsted/"+string(rune('a'+i))), Size: 100 << 10, Outcome: "deleted"}
				switch {
				case i == 9 && m%3 == 0:
					e.Outcome, e.Code = "failed", "permission_denied"
				case i == 8 && rule == "M1":
					e.Outcome = "held"
				case i == 7:
					e.Outcome = "skipped_hold"
				}
				out = append(out, e)
			}
			out = append(out, ledger.Entry{Type: ledger.TypeExecutionFinished, Time: at.Add(25 * time.Hour), Batch: batch, Items: 8})
		}
		if m == 4 {
			out = append(out, ledger.Entry{Type: ledger.TypeHoldAdded, Time: start.AddDate(0, m, 5), Hold: "H-1", Actor: "it"},
				ledger.Entry{Type: ledger.TypeRejection, Time: start.AddDate(0, m, 6), Batch: 3, Actor: "bo"})
		}
	}
	return out
}

func build(t testing.TB, entries []ledger.Entry) *Summary {
	s := New(cph)
	for i, e := range entries {
		s.Add(int64(i), e)
	}
	return s
}

var meta = Meta{Origin: "skole.example/ledger", Generated: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), Entries: 1234,
	CheckpointSize: 1234, CheckpointHash: "udWIGsmsHtS3dKQ5wUI89clVU3w6LqxZV6/ojR/t0NM=", Software: "retentiond/test",
	From: time.Date(2025, 10, 1, 0, 0, 0, 0, cph), To: time.Date(2026, 12, 1, 0, 0, 0, 0, cph)}

func TestCSVGolden(t *testing.T) {
	var b bytes.Buffer
	if err := build(t, realistic(t)).WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "summary.csv.golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(path, b.Bytes(), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("CSV differs from %s (go test -update if intended):\n%s", path, b.String())
	}
	if strings.Contains(b.String(), "h1:") {
		t.Fatal("the CSV holds a reference")
	}
}

// TestMonthBoundaries: months are those of the configured time zone.
func TestMonthBoundaries(t *testing.T) {
	for _, tt := range []struct {
		at    time.Time
		month string
	}{
		{time.Date(2026, 3, 31, 21, 59, 59, 0, time.UTC), "2026-03"}, // 23:59:59 CEST... still March
		{time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC), "2026-04"},   // midnight CEST: April
		{time.Date(2026, 12, 31, 22, 59, 0, 0, time.UTC), "2026-12"}, // 23:59 CET
		{time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), "2027-01"},  // New Year in Copenhagen
		{time.Date(2026, 7, 31, 21, 30, 0, 0, time.UTC), "2026-07"},  // end of the school year
		{time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC), "2028-02"},   // leap day
	} {
		s := New(cph)
		s.Add(0, ledger.Entry{Type: ledger.TypeDeletion, Time: tt.at, Rule: "C1", Outcome: "deleted"})
		if rows := s.Rows(); len(rows) != 1 || rows[0].Month != tt.month {
			t.Errorf("%v: rows %+v, want month %s", tt.at, rows, tt.month)
		}
	}
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is needed to read the report (.ci/run installs poppler-utils)")
	}
	f := filepath.Join(t.TempDir(), "s.pdf")
	os.WriteFile(f, pdf, 0o644)
	out, err := exec.Command(bin, "-layout", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestPDF(t *testing.T) {
	var b bytes.Buffer
	if err := build(t, realistic(t)).WritePDF(&b, meta); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, b.Bytes())
	for _, want := range []string{"Deletion ledger summary", "skole.example/ledger", "not authoritative", "Rule C1 (policy skole)",
		"søren (1,", "bo (2,", "rejected: bo", "permission denied=", "hold H-1 placed by it", "Page 1 of", "2025-10-01 to 2026-11-30"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(text, "h1:") || strings.Contains(text, "Ørsted") {
		t.Error("the report holds a reference or a name")
	}
	// The same entries give the same bytes.
	var again bytes.Buffer
	build(t, realistic(t)).WritePDF(&again, meta)
	if !bytes.Equal(b.Bytes(), again.Bytes()) {
		t.Error("the report is not deterministic")
	}
	// An empty ledger still makes a readable report.
	var empty bytes.Buffer
	if err := New(cph).WritePDF(&empty, Meta{Origin: "o", Generated: meta.Generated}); err != nil {
		t.Fatal(err)
	}
	if text := pdfText(t, empty.Bytes()); !strings.Contains(text, "No deletions in this period.") || !strings.Contains(text, "all entries") {
		t.Errorf("empty report:\n%s", text)
	}
}
