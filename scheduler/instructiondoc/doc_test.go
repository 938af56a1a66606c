package instructiondoc

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store/testtool"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sample(n int) *Doc {
	d := &Doc{ID: "I-7", System: "Lectio", Issued: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), IssuedBy: "it (IT operations)",
		Today: "2026-11-22", Deadline: "2026-12-06", Digest: "sha256:00ff"}
	for i := range n {
		due := "2026-06-20"
		if i%2 == 1 {
			due = "2026-12-10"
		}
		d.Lines = append(d.Lines, Line{Due: due, Rule: "L2b", Category: "Lectio: guardians, from the first of the month after the 20th birthday | ø", Person: fmt.Sprintf("%d", 1000+i)})
	}
	return d
}

func TestGolden(t *testing.T) {
	d := sample(3)
	for name, got := range map[string][]byte{"sample.csv": d.CSV(), "sample.md": d.Markdown()} {
		golden := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n%s\nwant:\n%s", name, got, want)
		}
	}
}

// TestPDFListsEveryLine renders an instruction over several pages and reads
// it back with pdftotext (poppler-utils, which .ci/run installs).
func TestPDFListsEveryLine(t *testing.T) {
	pdftotext := testtool.Require(t, "pdftotext", "poppler-utils")
	d := sample(120)
	b, err := d.PDF()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := d.PDF()
	if !bytes.Equal(b, again) {
		t.Error("the same instruction renders to different PDFs")
	}
	file := filepath.Join(t.TempDir(), "i.pdf")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{"Deletion instruction I-7: Lectio", "retentiond instructions confirm I-7", "2026-06-20 (due now)", "Carried out by", "I-7, page 3"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	for _, l := range d.Lines {
		if !strings.Contains(text, l.Person) {
			t.Errorf("PDF text lacks person %s", l.Person)
		}
	}
}

// TestWithdrawnLines: lines of earlier instructions that a hold withdrew
// are listed apart, without a date to delete by and with an action that
// says not to delete, in every form; an instruction that only withdraws
// lines asks for no confirmation.
func TestWithdrawnLines(t *testing.T) {
	d := sample(1)
	d.Withdrawn = []Withdrawn{{Instruction: "I-3", Hold: "H-2", Line: Line{Due: "2026-12-10", Rule: "S1", Category: "Student records", Person: "1018"}}}
	for name, got := range map[string][]byte{"withdrawn.csv": d.CSV(), "withdrawn.md": d.Markdown()} {
		golden := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n%s\nwant:\n%s", name, got, want)
		}
	}
	csv := string(d.CSV())
	if !strings.Contains(csv, "\n,S1,Student records,1018,\"withdrawn: do NOT delete (line of I-3, was due 2026-12-10; kept by hold H-2)\"\n") {
		t.Errorf("CSV lacks the withdrawn line:\n%s", csv)
	}
	only := sample(0)
	only.Withdrawn = d.Withdrawn
	md := string(only.Markdown())
	if strings.Contains(md, "| Delete by |") || strings.Contains(md, "instructions confirm") || !strings.Contains(md, "There is nothing to confirm") || !strings.Contains(md, "| I-3 | 2026-12-10 | S1 | Student records | 1018 | H-2 |") {
		t.Errorf("withdrawals only:\n%s", md)
	}
	for _, doc := range []*Doc{d, only} {
		b, err := doc.PDF()
		if err != nil || !bytes.HasPrefix(b, []byte("%PDF")) {
			t.Fatalf("PDF: %v", err)
		}
		pdftotext := testtool.Require(t, "pdftotext", "poppler-utils")
		file := filepath.Join(t.TempDir(), "i.pdf")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(pdftotext, "-layout", file, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		if text := string(out); !strings.Contains(text, "Withdrawn: do NOT delete") || !strings.Contains(text, "1018 (H-2)") || !strings.Contains(text, "I-3, 2026-12-10") {
			t.Errorf("PDF text lacks the withdrawn line:\n%s", text)
		}
	}
}
