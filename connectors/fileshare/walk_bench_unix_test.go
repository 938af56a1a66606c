//go:build unix

package fileshare

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/connectortest"
)

// BenchmarkListTree lists a tree of bench/mktree's shape (folders of 100
// files) with a callback that does nothing: the walk's own cost, which a
// plan pays on top of evaluating and storing each item.
//
//	RETENTIOND_BENCH_TREE=/tmp/tree go test ./connectors/fileshare \
//	    -run '^$' -bench ListTree -benchtime 5x
//
// RETENTIOND_BENCH_TREE names an existing tree (made by bench/mktree);
// without it a tree of RETENTIOND_BENCH_ITEMS files (default 20,000) is
// built in a temporary folder. cpu-ns/file is the process's user and
// system time per file, which is what competes with find on a loaded
// machine.
func BenchmarkListTree(b *testing.B) {
	root := os.Getenv("RETENTIOND_BENCH_TREE")
	if root == "" {
		n := 20000
		if s := os.Getenv("RETENTIOND_BENCH_ITEMS"); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil {
				b.Fatalf("RETENTIOND_BENCH_ITEMS: %v", err)
			}
			n = v
		}
		root = filepath.Join(b.TempDir(), "tree")
		connectortest.WriteMkTree(b, root, n, time.Now())
	}
	c, err := Open(root, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	count := func() int {
		n := 0
		if err := c.List(context.Background(), connectors.ListOptions{}, func(connectors.Item) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		return n
	}
	files := count() // warms the cache
	b.ReportAllocs()
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ResetTimer()
	for range b.N {
		if n := count(); n != files {
			b.Fatalf("listed %d files, then %d", files, n)
		}
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano() - before.Utime.Nano() + after.Stime.Nano() - before.Stime.Nano())
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*files), "ns/file")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*files), "cpu-ns/file")
}
