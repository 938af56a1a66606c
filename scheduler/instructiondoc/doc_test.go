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
		Today: "2026-11-22", Deadline: "2026-12-06", Digest: "sha256:00ff", Lang: "en"}
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

// pdfText renders d as PDF and reads its text back with pdftotext
// (poppler-utils, which .ci/run installs).
func pdfText(t *testing.T, d *Doc) string {
	t.Helper()
	pdftotext := testtool.Require(t, "pdftotext", "poppler-utils")
	b, err := d.PDF()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "i.pdf")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestLanguages: the Markdown and PDF forms in Danish (also when Lang
// is empty or unknown), Swedish and English, with the glossary's words
// and none of another language's; the CSV form, which tools read and
// the digest covers, is the same in every language. The Markdown forms
// are golden files (testdata/sample.LANG.md; -update rewrites them);
// the PDF is read back with pdftotext, over several pages.
func TestLanguages(t *testing.T) {
	withdrawn := []Withdrawn{{Instruction: "I-3", Hold: "H-2", Line: Line{Due: "2026-12-10", Rule: "S1", Category: "Elevmapper", Person: "1018"}}}
	for _, c := range []struct {
		lang        string
		want, never []string
	}{
		{"da", []string{"Sletteinstruks I-7: Lectio", "Udstedt 2026-11-22 10:00 UTC af it (IT operations)", "Slet senest", "Sletteregel", "Kategori",
			"2026-06-20 (slet nu)", `retentiond instructions confirm I-7 --by "DIT NAVN"`, "senest 2026-12-06", "Trukket tilbage: slet IKKE",
			"sletteblokering", "Udført af (navn, dato, underskrift):", "I-7, side 3", "1018 (H-2)"},
			[]string{"Deletion", "Delete by", "due now", "Carried out", "page", "Withdrawn", "gallr"}},
		{"sv", []string{"Gallringsinstruktion I-7: Lectio", "Utfärdad 2026-11-22 10:00 UTC av it (IT operations)", "Gallra senast", "Gallringsregel",
			"2026-06-20 (gallra nu)", `retentiond instructions confirm I-7 --by "DITT NAMN"`, "senast 2026-12-06", "Tillbakadragna: gallra INTE",
			"bevarandespärr", "Utfört av (namn, datum, underskrift):", "I-7, sida 3", "1018 (H-2)"},
			[]string{"Deletion", "Delete by", "due now", "Carried out", "page", "Withdrawn", "slette", "Slet "}},
		{"en", []string{"Deletion instruction I-7: Lectio", "Delete by", "2026-06-20 (due now)", `--by "YOUR NAME"`, "Withdrawn: do NOT delete",
			"Carried out by (name, date, signature):", "I-7, page 3", "1018 (H-2)"},
			[]string{"slette", "gallr", "Sletteinstruks"}},
	} {
		t.Run(c.lang, func(t *testing.T) {
			d := sample(120)
			d.Lang = c.lang
			d.Withdrawn = withdrawn
			text := pdfText(t, d)
			for _, want := range c.want {
				if !strings.Contains(text, want) {
					t.Errorf("PDF text lacks %q", want)
				}
			}
			for _, never := range c.never {
				if strings.Contains(text, never) {
					t.Errorf("PDF text has %q", never)
				}
			}
			for _, l := range d.Lines {
				if !strings.Contains(text, l.Person) {
					t.Errorf("PDF text lacks person %s", l.Person)
				}
			}
			small := sample(3)
			small.Lang = c.lang
			small.Withdrawn = withdrawn
			md := small.Markdown()
			golden := filepath.Join("testdata", "sample."+c.lang+".md")
			if *update {
				if err := os.WriteFile(golden, md, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(md, want) {
				t.Errorf("%s (%v):\n%s\nwant:\n%s", golden, err, md, want)
			}
			for _, never := range c.never {
				if strings.Contains(string(md), never) {
					t.Errorf("Markdown has %q:\n%s", never, md)
				}
			}
			if en := sample(3); !bytes.Equal(small.CSV(), func() []byte { en.Withdrawn = withdrawn; return en.CSV() }()) {
				t.Errorf("the CSV form differs in %s", c.lang)
			}
			only := sample(0)
			only.Lang = c.lang
			only.Withdrawn = withdrawn
			if md := string(only.Markdown()); strings.Contains(md, "instructions confirm") || !strings.Contains(md, map[string]string{
				"da": "Der er intet at bekræfte.", "sv": "Det finns inget att bekräfta.", "en": "There is nothing to confirm."}[c.lang]) {
				t.Errorf("withdrawals only:\n%s", md)
			}
		})
	}
	for _, lang := range []string{"", "de"} {
		d := sample(1)
		d.Lang = lang
		if md := string(d.Markdown()); !strings.HasPrefix(md, "# Sletteinstruks I-7: Lectio\n") {
			t.Errorf("Lang %q:\n%s", lang, md)
		}
	}
	for key := range docWords["en"] {
		for _, lang := range Languages {
			if _, ok := docWords[lang][key]; !ok {
				t.Errorf("%s: missing in %s", key, lang)
			}
		}
	}
	for _, lang := range Languages {
		if len(docWords[lang]) != len(docWords["en"]) {
			t.Errorf("%s has %d texts, en %d", lang, len(docWords[lang]), len(docWords["en"]))
		}
	}
}
