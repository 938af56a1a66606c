// Command cctvbench builds the recordings for bench/cctv.sh: hourly
// recordings of -cameras cameras over -days days, laid out as a recorder
// exports them (a folder per camera and day, the start time in the name),
// and the same recordings again in a backup folder.
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
	cameras := flag.Int("cameras", 24, "cameras")
	days := flag.Int("days", 90, "days of recordings, ending yesterday")
	root := flag.String("root", "", "folder for the recordings (must not exist)")
	backup := flag.String("backup", "", "folder for the backup copies (must not exist)")
	flag.Parse()
	if *root == "" || *backup == "" {
		log.Fatal("cctvbench: -root and -backup are required")
	}
	end := time.Now().Truncate(24 * time.Hour)
	content := []byte("x")
	for c := 1; c <= *cameras; c++ {
		for d := 1; d <= *days; d++ {
			day := end.AddDate(0, 0, -d)
			for _, dir := range []string{*root, *backup} {
				folder := filepath.Join(dir, fmt.Sprintf("Kamera-%02d", c), day.Format("2006-01-02"))
				if err := os.MkdirAll(folder, 0o755); err != nil {
					log.Fatal(err)
				}
				for h := range 24 {
					rec := day.Add(time.Duration(h) * time.Hour)
					p := filepath.Join(folder, fmt.Sprintf("cam%02d_%s.mp4", c, rec.Format("20060102_150405")))
					if err := os.WriteFile(p, content, 0o644); err != nil {
						log.Fatal(err)
					}
				}
			}
		}
	}
}
