package scheduler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/connectortest"
	"github.com/retentiond/retentiond/connectors/fileshare"
)

// The file-share plan and execution of bench/fileshare.sh, in process, so
// that they can be profiled:
//
//	RETENTIOND_BENCH_ITEMS=200000 go test ./scheduler -run '^$' -bench 'FileshareP' \
//	    -benchtime 3x -cpuprofile cpu.out -memprofile mem.out
//
// The tree is bench/mktree's: files in folders of 100, modification times
// spread over 60 days, so that about half are due under a 30-day rule.
// RETENTIOND_BENCH_TREE names a folder to keep the tree in between runs
// of BenchmarkFilesharePlan (built there if missing; planning does not
// change it).

const fileshareBenchPolicy = `version: 1
id: bench
rules:
  - id: OLD
    type: delete_after
    path: "**"
    from: item.modified
    keep: P30D
    approval:
      - {group: leaders, count: 1}
    guard: {max_items: 0, max_growth: 0}
`

const fileshareBenchConfig = `version: 1
ledger: {origin: bench.invalid/ledger}
policies: [policy.yaml]
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - {name: tree, kind: fileshare, options: {root: %s}}
`

func benchItems(b *testing.B, def int) int {
	if s := os.Getenv("RETENTIOND_BENCH_ITEMS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("RETENTIOND_BENCH_ITEMS: %v", err)
		}
		return v
	}
	return def
}

// fileshareBenchPipeline opens a pipeline with a fresh database in a new
// temporary folder, planning the tree at root.
func fileshareBenchPipeline(b *testing.B, root string, at time.Time) *Pipeline {
	b.Helper()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(fileshareBenchPolicy), 0o644); err != nil {
		b.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "retentiond.yaml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf(fileshareBenchConfig, strconv.Quote(root))), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg, err := configs.Load(cfgFile, connectors.NewRegistry(fileshare.Kind()))
	if err != nil {
		b.Fatal(err)
	}
	p, err := New(context.Background(), cfg, Deps{Clock: FixedClock{at}, MayCreateKeys: true})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkFilesharePlan plans a tree of RETENTIOND_BENCH_ITEMS files
// (default 100,000) with a fresh database each time.
func BenchmarkFilesharePlan(b *testing.B) {
	n := benchItems(b, 100000)
	at := time.Now()
	root := os.Getenv("RETENTIOND_BENCH_TREE")
	if root == "" {
		root = filepath.Join(b.TempDir(), "tree")
	}
	if _, err := os.Stat(root); err != nil {
		connectortest.WriteMkTree(b, root, n, at)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		p := fileshareBenchPipeline(b, root, at)
		b.StartTimer()
		res, err := p.Plan(context.Background(), PlanOptions{Source: "tree", Planner: "it"})
		b.StopTimer()
		if err != nil || len(res.Batches) != 1 || res.Plan.Listed != int64(n) {
			b.Fatalf("plan: %v %+v", err, res)
		}
		p.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/file")
}

// BenchmarkFileshareExecute approves and executes the due half of a tree
// of RETENTIOND_BENCH_ITEMS files (default 100,000), built anew each time.
func BenchmarkFileshareExecute(b *testing.B) {
	n := benchItems(b, 100000)
	at := time.Now()
	due := int64(0)
	for range b.N {
		b.StopTimer()
		root := filepath.Join(b.TempDir(), "tree")
		connectortest.WriteMkTree(b, root, n, at)
		p := fileshareBenchPipeline(b, root, at)
		res, err := p.Plan(context.Background(), PlanOptions{Source: "tree", Planner: "it"})
		if err != nil || len(res.Batches) != 1 {
			b.Fatalf("plan: %v %+v", err, res)
		}
		due = res.Batches[0].Items
		b.StartTimer()
		if _, _, err := p.Approve(context.Background(), res.Batches[0].ID, "anna", ""); err != nil {
			b.Fatal(err)
		}
		rs, err := p.Execute(context.Background(), 0, "it")
		if err != nil || rs[0].Deleted != due {
			b.Fatalf("execute: %v %+v", err, rs)
		}
		b.StopTimer()
		p.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*int(due)), "ns/deleted")
}
