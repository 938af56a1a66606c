package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 17, findings 14 and 15, through the command line: an export whose
// rows leave the birth date empty is imported with a warning, and one over
// its configured row limit is refused, naming the file and the limit.
func TestSubjectsImportWarnsAndRefusesOverLimits(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "demo", "--dir", dir)
	cfg := filepath.Join(dir, "retentiond.yaml")
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	limited := strings.Replace(string(text), "      preset: tea-students\n", "      preset: tea-students\n      max_rows: 9\n", 1)
	if limited == string(text) {
		t.Fatal("the demo configuration has no tea-students preset to limit")
	}
	if err := os.WriteFile(cfg, []byte(limited), 0o600); err != nil {
		t.Fatal(err)
	}
	header := "Elevnummer;Fornavn;Efternavn;Klasse;Indmeldt;Udmeldt;Fødselsdato\n"
	rows := "1001;Alma;Jensen;7.b;01-08-2019;;12-05-2013\n1002;Bertil;Holm;7.b;01-08-2019;;\n" +
		"1003;Frida;Bak;9.a;01-08-2016;20-06-2025;03-09-2009\n1004;Gustav;Lind;9.a;01-08-2016;19-06-2026;14-01-2010\n" +
		"1005;Hannah;Vest;8.c;01-08-2017;31-10-2026;\n" +
		"1006;Cecilie;Dahl;6.a;01-08-2020;;07-07-2014\n1007;Dennis;Krog;6.a;01-08-2020;;18-12-2014\n1008;Ea;Lund;5.b;01-08-2021;;01-03-2015\n"
	writeExport(t, dir, "elever_9999-01-01.csv", header+rows)
	out := mustRun(t, "subjects", "import", "--config", cfg, "--source", "elever")
	if !strings.Contains(out, "warning: 2 of 8 people have no birth date in the export; the rules that count from it put their data up for review") {
		t.Fatalf("import with empty birth dates:\n%s", out)
	}

	writeExport(t, dir, "elever_9999-01-02.csv", header+rows+"1009;X;Y;5.b;01-08-2021;;01-03-2015\n1010;X;Y;5.b;01-08-2021;;01-03-2015\n")
	out, err = run(t, "subjects", "import", "--config", cfg, "--source", "elever")
	if err == nil || !strings.Contains(out, "REFUSED elever_9999-01-02.csv") || !strings.Contains(out, "more than 9 rows, the limit (options.max_rows)") {
		t.Fatalf("export over max_rows: %v\n%s", err, out)
	}
	// The refused export changed nothing: student 1010 is unknown.
	if _, err := run(t, "explain", "student:1010", "--config", cfg); err == nil || !strings.Contains(err.Error(), "nothing is known") {
		t.Fatalf("student of the refused export: %v", err)
	}
}
