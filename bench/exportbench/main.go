// Command exportbench builds the data for bench/exports.sh: a student
// export of n rows (TEA preset, Windows-1252 is not needed: ASCII names)
// and a file share with files per student under "Udmeldte elever/<id>/",
// every folder named by a student of the export. Half the students have
// left, half of those long enough ago for their folders to be due. The
// same flags always give the same data.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"
)

func main() {
	n := flag.Int("students", 200000, "rows in the export")
	files := flag.Int("files", 5, "files per student folder")
	dir := flag.String("dir", "", "root of the share (must not exist)")
	export := flag.String("export", "", "export file to write")
	flag.Parse()
	if *dir == "" || *export == "" {
		log.Fatal("exportbench: -dir and -export are required")
	}
	if _, err := os.Stat(*dir); err == nil {
		log.Fatalf("exportbench: %s exists", *dir)
	}
	fh, err := os.Create(*export)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriterSize(fh, 1<<20)
	fmt.Fprint(w, "Elevnummer;Fornavn;Efternavn;Klasse;Indmeldt;Udmeldt;Fødselsdato\r\n")
	old := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	content := []byte("x")
	for i := range *n {
		id := fmt.Sprintf("%07d", 1000000+i)
		left := ""
		switch i % 4 {
		case 0:
			left = "20-06-2024" // due since 1 August 2024
		case 1:
			left = "19-06-2026" // due since 1 August 2026
		}
		fmt.Fprintf(w, "%s;Elev;Nummer %d;%d.a;01-08-%d;%s;%02d-%02d-%d\r\n", id, i, i%10, 2010+i%10, left, 1+i%28, 1+i%12, 2000+i%12)
		folder := filepath.Join(*dir, "Udmeldte elever", id)
		if err := os.MkdirAll(folder, 0o755); err != nil {
			log.Fatal(err)
		}
		for k := range *files {
			p := filepath.Join(folder, fmt.Sprintf("dokument%d.docx", k))
			if err := os.WriteFile(p, content, 0o644); err != nil {
				log.Fatal(err)
			}
			if err := os.Chtimes(p, old, old); err != nil {
				log.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		log.Fatal(err)
	}
}
