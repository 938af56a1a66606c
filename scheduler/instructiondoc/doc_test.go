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
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is needed to read the PDF (.ci/run installs poppler-utils)")
	}
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
