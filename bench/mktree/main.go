// Command mktree builds a synthetic file tree for bench/fileshare.sh: n
// small files in folders of at most 100, with modification times spread
// evenly over the last 60 days, so that about half are older than 30 days.
// The same n and seed always give the same tree.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"
)

func main() {
	n := flag.Int("n", 1000000, "number of files")
	dir := flag.String("dir", "", "root of the tree (must not exist)")
	flag.Parse()
	if *dir == "" {
		log.Fatal("mktree: -dir is required")
	}
	if _, err := os.Stat(*dir); err == nil {
		log.Fatalf("mktree: %s exists", *dir)
	}
	now := time.Now()
	content := []byte("x")
	for i := range *n {
		folder := filepath.Join(*dir, fmt.Sprintf("d%03d", i/100000), fmt.Sprintf("e%03d", i/1000%100), fmt.Sprintf("f%02d", i/100%10))
		if i%100 == 0 {
			if err := os.MkdirAll(folder, 0o755); err != nil {
				log.Fatal(err)
			}
		}
		p := filepath.Join(folder, fmt.Sprintf("file%07d.dat", i))
		if err := os.WriteFile(p, content, 0o644); err != nil {
			log.Fatal(err)
		}
		// Ages from 0 to 60 days, interleaved, kept clear of the 30-day
		// boundary so find and retentiond agree on every file at any hour:
		// find -mtime +30 counts whole days of 24 hours from now (day 31
		// on), retentiond whole calendar days (policies/date.go: due from
		// 00:00 local on the due date), so a file 29.5 days old is due
		// before noon and not after. Days 29 and 30 move to 32 and 33.
		age := time.Duration(i*7919%60) * 24 * time.Hour
		if d := age / (24 * time.Hour); d == 29 || d == 30 {
			age += 3 * 24 * time.Hour
		}
		t := now.Add(-age - 12*time.Hour)
		if err := os.Chtimes(p, t, t); err != nil {
			log.Fatal(err)
		}
	}
}
