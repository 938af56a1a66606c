//go:build unix

package fileshare

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/retentiond/retentiond/connectors"
)

// BenchmarkDeleteBatch removes files in slices of 256 (scheduler.ExecSlice)
// with 1, 2, 4 and 8 workers, against unlink(2) one file at a time (what
// find -delete does) on the same disk in the same run: compare
// files_per_s within one run. The temporary folder is where the disk's
// costs are (TMPDIR).
func BenchmarkDeleteBatch(b *testing.B) {
	const files, perFolder, slice = 4096, 50, 256
	tree := func(b *testing.B) (*Conn, []connectors.Target) {
		b.StopTimer()
		defer b.StartTimer()
		dir := filepath.Join(b.TempDir(), "share")
		for i := range files {
			p := filepath.Join(dir, fmt.Sprintf("d%03d", i/perFolder), fmt.Sprintf("f%05d", i))
			if i%perFolder == 0 {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					b.Fatal(err)
				}
			}
			if err := os.WriteFile(p, []byte("retention"), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		c, err := Open(dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		var targets []connectors.Target
		if err := c.List(context.Background(), connectors.ListOptions{}, func(it connectors.Item) error {
			targets = append(targets, connectors.Target{Ref: it.Ref, Version: it.Version})
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		syscall.Sync() // the writes are not the deletions' cost
		return c, targets
	}
	b.Run("unlink", func(b *testing.B) {
		for b.Loop() {
			c, targets := tree(b)
			for _, tg := range targets {
				if err := syscall.Unlink(filepath.Join(c.abs, filepath.FromSlash(tg.Ref))); err != nil {
					b.Fatal(err)
				}
			}
			c.Close()
		}
		b.ReportMetric(float64(files*b.N)/b.Elapsed().Seconds(), "files/s")
	})
	for _, workers := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				c, targets := tree(b)
				for from := 0; from < len(targets); from += slice {
					rs, err := c.deleteBatch(context.Background(), targets[from:min(from+slice, len(targets))], workers)
					if err != nil {
						b.Fatal(err)
					}
					for _, r := range rs {
						if r.Outcome != connectors.OutcomeDeleted {
							b.Fatalf("%s: %v %v", r.Ref, r.Outcome, r.Err)
						}
					}
				}
				c.Close()
			}
			b.ReportMetric(float64(files*b.N)/b.Elapsed().Seconds(), "files/s")
		})
	}
}
