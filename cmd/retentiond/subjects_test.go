package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store/testtool"
)

// writeExport saves a newer student export into the demo, as the office
// would.
func writeExport(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, "exports", "elever", name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	at := fixedNow.Add(24 * time.Hour) // newer than the demo's exports
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
}

func TestSubjectsImportAndExplain(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")

	if out := mustRun(t, "subjects", "import", "--config", cfg); !strings.Contains(out, "elever: elever_") || !strings.Contains(out, "was imported before") {
		t.Fatalf("import of unchanged exports:\n%s", out)
	}
	out := mustRun(t, "explain", "student:1005", "--config", cfg)
	for _, want := range []string{"left 2026-10-31", "first listed", "KEEP under S3, due 2027-08-01", "Administration/Udmeldte elever/1005/Elevplan.docx"} {
		if !strings.Contains(out, want) {
			t.Fatalf("explain lacks %q:\n%s", want, out)
		}
	}

	// A truncated export is refused, and says why.
	header := "Elevnummer;Fornavn;Efternavn;Klasse;Indmeldt;Udmeldt;Fødselsdato\n"
	writeExport(t, dir, "elever_9999-01-01.csv", header+"1001;Alma;Jensen;7.b;01-08-2019;;12-05-2013\n1002;Bertil;Ho")
	out, err := run(t, "subjects", "import", "--config", cfg)
	if err == nil || !strings.Contains(out, "REFUSED elever_9999-01-01.csv") || !strings.Contains(out, "line 3") {
		t.Fatalf("truncated export: %v\n%s", err, out)
	}
	if out := mustRun(t, "subjects", "imports", "--config", cfg); !strings.Contains(out, "refused") {
		t.Fatalf("imports:\n%s", out)
	}

	// Hannah re-enrols: the next export withdraws her leaving date, and
	// explain shows the change and that her folder is no longer due.
	writeExport(t, dir, "elever_9999-01-01.csv", header+
		"1001;Alma;Jensen;7.b;01-08-2019;;12-05-2013\n1002;Bertil;Holm;7.b;01-08-2019;;29-02-2012\n"+
		"1003;Frida;Bak;9.a;01-08-2016;20-06-2025;03-09-2009\n1004;Gustav;Lind;9.a;01-08-2016;19-06-2026;14-01-2010\n"+
		"1005;Hannah;Vest;8.c;01-08-2017;;22-11-2011\n"+
		"1006;Cecilie;Dahl;6.a;01-08-2020;;07-07-2014\n1007;Dennis;Krog;6.a;01-08-2020;;18-12-2014\n1008;Ea;Lund;5.b;01-08-2021;;01-03-2015\n")
	mustRun(t, "plan", "--config", cfg, "--source", "skoledrev")
	out = mustRun(t, "explain", "student:1005", "--config", cfg)
	for _, want := range []string{"left 2026-10-31 withdrawn", "has not left", "KEEP under S3, due not yet known"} {
		if !strings.Contains(out, want) {
			t.Fatalf("explain after re-enrolment lacks %q:\n%s", want, out)
		}
	}
	if out := mustRun(t, "explain", "skoledrev:Administration/Udmeldte elever/1003/Elevplan.docx", "--config", cfg); !strings.Contains(out, "due since 2025-08-01") {
		t.Fatalf("explain item:\n%s", out)
	}
	if out := mustRun(t, "explain", "karen.skov@demo-skole.invalid", "--config", cfg); !strings.Contains(out, "staff:4711") {
		t.Fatalf("explain by address:\n%s", out)
	}
	if _, err := run(t, "explain", "student:0000", "--config", cfg); err == nil || !strings.Contains(err.Error(), "nothing is known") {
		t.Fatalf("unknown student: %v", err)
	}
}

func TestInstructionsIssueConfirmList(t *testing.T) {
	dir := t.TempDir()
	out := mustRun(t, "demo", "--dir", dir, "--yes")
	for _, want := range []string{"instruction I-1 for Konti: 2 lines", "I-3 for SkoleIntra: 1 line, first due 2026-06-20, to be confirmed by 2026-12-06"} {
		if !strings.Contains(out, want) {
			t.Fatalf("demo --yes lacks %q:\n%s", want, out)
		}
	}
	csv, err := os.ReadFile(filepath.Join(dir, "instructions", "I-3-skoleintra.csv"))
	if err != nil || string(csv) != "delete_by,rule,category,person,action\n2026-06-20,S2,\"SkoleIntra, students unenrolled in TEA\",1003,delete\n" {
		t.Fatalf("I-3 CSV (%v):\n%s", err, csv)
	}
	for _, f := range []string{"I-3-skoleintra.md", "I-3-skoleintra.pdf", "I-3-skoleintra.note"} {
		if _, err := os.Stat(filepath.Join(dir, "instructions", f)); err != nil {
			t.Error(err)
		}
	}
	cfg := filepath.Join(dir, "retentiond.yaml")
	if out := mustRun(t, "instructions", "--config", cfg, "--as", "it"); !strings.Contains(out, "no new deletion instructions") {
		t.Fatalf("second issue:\n%s", out)
	}
	if _, err := run(t, "instructions", "confirm", "I-3", "--config", cfg, "--as", "anna", "--by", "Ole"); err == nil {
		t.Fatal("an approver confirmed an instruction")
	}
	mustRun(t, "instructions", "confirm", "I-3", "--config", cfg, "--as", "it", "--by", "SkoleIntra administrator")
	list := mustRun(t, "instructions", "list", "--config", cfg)
	if !strings.Contains(list, "confirmed 2026-11-22 by SkoleIntra administrator (recorded by it)") || !strings.Contains(list, "I-1") {
		t.Fatalf("list:\n%s", list)
	}
	if show := mustRun(t, "instructions", "show", "I-3", "--config", cfg); show != string(csv) {
		t.Fatalf("show:\n%s", show)
	}
	if out := mustRun(t, "explain", "student:1003", "--config", cfg); !strings.Contains(out, "Instruction I-3 to SkoleIntra: S2, delete by 2026-06-20 (confirmed 2026-11-22)") {
		t.Fatalf("explain lacks the instruction:\n%s", out)
	}
	if v := mustRun(t, "ledger", "verify", "--config", cfg); !strings.Contains(v, "instruction=6") || !strings.Contains(v, "acknowledgement=1") {
		t.Fatalf("verify:\n%s", v)
	}
	// The auditor's summary lists the instructions, not the people.
	bundle := filepath.Join(t.TempDir(), "bundle")
	mustRun(t, "ledger", "export", "--config", cfg, "--out", bundle)
	pdftotext := testtool.Require(t, "pdftotext", "poppler-utils") // the rest reads the PDF
	text, err := exec.Command(pdftotext, "-layout", filepath.Join(bundle, "summary.pdf"), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (installed by .ci/run): %v", err)
	}
	flat := strings.Join(strings.Fields(string(text)), " ")
	for _, want := range []string{"5 Deletion instructions", "4 issued and 1 confirmed", "administrator", "UNI-login"} {
		if !strings.Contains(flat, want) {
			t.Errorf("summary.pdf lacks %q", want)
		}
	}
	if strings.Contains(string(text), "1003") {
		t.Error("summary.pdf names a student")
	}
}

func TestEvidenceHoldOnTheDemoRecorder(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	// An incident 40 days ago on camera 1, 08:00-09:00 Copenhagen time.
	day := fixedNow.AddDate(0, 0, -40).Format("2006-01-02")
	mustRun(t, "holds", "add", "--config", cfg, "--as", "it", "--evidence", "--source", "nvr", "--path", "Kamera-1 Indgang/**",
		"--recorded-from", day+" 08:00", "--recorded-until", day+" 09:00", "--reason", "police case 2026-1234", "--owner", "leader")
	out := mustRun(t, "plan", "--config", cfg, "--source", "nvr", "--examples", "5")
	if !strings.Contains(out, "HELD") || !strings.Contains(out, "police case 2026-1234") {
		t.Fatalf("plan with the hold:\n%s", out)
	}
	// A second incident 5 days ago: once the footage is handed over, it
	// goes at once, 25 days before C1 would take it.
	recent := fixedNow.AddDate(0, 0, -5).Format("2006-01-02")
	mustRun(t, "holds", "add", "--config", cfg, "--as", "it", "--evidence", "--source", "nvr", "--path", "Kamera-1 Indgang/**",
		"--recorded-from", recent+" 08:00", "--recorded-until", recent+" 09:00", "--reason", "police case 2026-1301", "--owner", "leader")
	mustRun(t, "holds", "release", "H-2", "--config", cfg, "--as", "it")
	out = mustRun(t, "plan", "--config", cfg, "--source", "nvr", "--examples", "100")
	if !strings.Contains(out, "handed to the police when hold H-2 (police case 2026-1301) was released") {
		t.Fatalf("plan after the release:\n%s", out)
	}
	if _, err := run(t, "holds", "add", "--config", cfg, "--as", "it", "--source", "nvr", "--recorded-from", "yesterday", "--reason", "r", "--owner", "o"); err == nil || !strings.Contains(err.Error(), "is not a time") {
		t.Fatalf("a bad time was accepted: %v", err)
	}
}
