//go:build linux

package chaos

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store/testtool"
)

// Flags (after -args), each with an environment variable of the same role:
//
//	-chaos.n N          iterations of each attack (CHAOS_N; default 2, 1 with -short)
//	-chaos.seed S       seed of every random choice (CHAOS_SEED; default 17)
//	-chaos.files F      files of source a; source b has a third (CHAOS_FILES; default 2000)
//	-chaos.attacks L    comma-separated attack names to run (CHAOS_ATTACKS; default all)
//	-chaos.keep         keep the directory of an iteration that broke an invariant (CHAOS_KEEP=1)
//	-chaos.bin PATH     attack this binary instead of building ./cmd/retentiond (CHAOS_BIN)
//	-chaos.hang D       a command still running after D is hung: killed and reported (CHAOS_HANG; default 2m)
//
// CHAOS_TMPDIR names where the iterations run (default /dev/shm if
// writable, else the test's temporary directory).
var (
	flagN       = flag.Int("chaos.n", envInt("CHAOS_N", 2), "iterations of each attack")
	flagSeed    = flag.Uint64("chaos.seed", uint64(envInt("CHAOS_SEED", 17)), "seed of every random choice")
	flagFiles   = flag.Int("chaos.files", envInt("CHAOS_FILES", 2000), "files of source a (b has a third)")
	flagAttacks = flag.String("chaos.attacks", os.Getenv("CHAOS_ATTACKS"), "comma-separated attacks to run (default all)")
	flagKeep    = flag.Bool("chaos.keep", os.Getenv("CHAOS_KEEP") == "1", "keep the directory of an iteration with a violation")
	flagBin     = flag.String("chaos.bin", os.Getenv("CHAOS_BIN"), "attack this binary instead of building ./cmd/retentiond")
	flagHang    = flag.Duration("chaos.hang", envDuration("CHAOS_HANG", 2*time.Minute), "a command running longer than this is hung")
)

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// tally is one attack's counts.
type tally struct {
	name                         string
	iterations, hits, violations int
	skipped                      string
}

func TestChaos(t *testing.T) {
	begin := time.Now()
	if testing.Short() && os.Getenv("CHAOS_N") == "" && !flagSet("chaos.n") {
		*flagN = 1
	}
	base := workDir(t)
	bin := *flagBin
	if bin == "" {
		bin = buildBinary(t, base)
	}
	sizes := map[string]int{"a": roundFolder(*flagFiles), "b": roundFolder(*flagFiles / 3)}
	want := map[string]bool{}
	for _, a := range strings.Split(*flagAttacks, ",") {
		if a = strings.TrimSpace(a); a != "" {
			want[a] = true
		}
	}
	for name := range want {
		if !knownAttack(name) {
			t.Fatalf("unknown attack %q", name)
		}
	}
	e := &env{cal: calibrate(t, bin, filepath.Join(base, "calibration"), sizes)}
	fmt.Printf("chaos: seed=%d n=%d files=%d+%d; plan %v, execute %v (deleting %v), export %v, rotate-key %v (repeat: go test ./bench/chaos -run TestChaos -args -chaos.seed=%d -chaos.n=%d)\n",
		*flagSeed, *flagN, sizes["a"], sizes["b"], e.cal.plan.Round(time.Millisecond), e.cal.exec.Round(time.Millisecond), e.cal.deleting.Round(time.Millisecond),
		e.cal.export.Round(time.Millisecond), e.cal.rotate.Round(time.Millisecond), *flagSeed, *flagN)

	var tallies []*tally
	for ai, a := range attacks {
		if len(want) > 0 && !want[a.name] {
			continue
		}
		ta := &tally{name: a.name}
		tallies = append(tallies, ta)
		t.Run(a.name, func(t *testing.T) {
			t.Logf("%s: %s", a.name, a.doc)
			for i := range *flagN {
				if reason := runIteration(t, e, a, ai, i, bin, base, sizes, ta); reason != "" {
					ta.skipped = reason
					testtool.Unavailable(t, reason)
				}
			}
		})
	}
	total, bad := 0, 0
	for _, ta := range tallies {
		total += ta.iterations
		bad += ta.violations
		skip := ""
		if ta.skipped != "" {
			skip = " skipped: " + ta.skipped
		}
		fmt.Printf("chaos: attack=%s iterations=%d hits=%d violations=%d%s\n", ta.name, ta.iterations, ta.hits, ta.violations, skip)
	}
	fmt.Printf("iterations=%d violations=%d seed=%d elapsed=%v\n", total, bad, *flagSeed, time.Since(begin).Round(time.Second))
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func knownAttack(name string) bool {
	for _, a := range attacks {
		if a.name == name {
			return true
		}
	}
	return false
}

func roundFolder(n int) int { return max(n/folderSize, 2) * folderSize }

// runIteration runs iteration i of attack a, checks the invariants and
// reports each violation with the attack, iteration and seed. It returns a
// reason when the attack cannot run here.
func runIteration(t *testing.T, e *env, a attack, ai, i int, bin, base string, sizes map[string]int, ta *tally) string {
	dir := filepath.Join(base, fmt.Sprintf("%s-%d", a.name, i))
	must(t, os.MkdirAll(dir, 0o700))
	rng := rand.New(rand.NewPCG(*flagSeed, uint64(ai)<<32|uint64(i)))
	db, extra, anchors := "", "", false
	switch a.name {
	case "disk-full":
		umount, reason := mountTmpfs(filepath.Join(dir, "dbfs"), 48<<20)
		if reason != "" {
			return reason
		}
		defer umount()
		db = filepath.Join(dir, "dbfs", "retentiond.db")
	case "reload":
		extra = "execute:\n  schedule: \"@every 1s\"\n"
	case "lost-db":
		anchors = true
	}
	if a.scale > 1 {
		sizes = map[string]int{"a": sizes["a"] * a.scale, "b": sizes["b"] * a.scale}
		c := e.cal
		for _, d := range []*time.Duration{&c.plan, &c.exec, &c.deleting, &c.export} {
			*d *= time.Duration(a.scale)
		}
		e = &env{cal: c}
	}
	t0 := time.Now()
	w := newWorld(t, bin, dir, rng, sizes, db, extra, anchors)
	t1 := time.Now()
	o := a.run(e, w)
	t2 := time.Now()
	vs := o.vs
	if o.ex != nil {
		vs = append(vs, w.check(o.ex)...)
	}
	t3 := time.Now()
	ta.iterations++
	if o.hit {
		ta.hits++
	}
	ta.violations += len(vs)
	t.Logf("%s #%d (seed %d): hit=%v %s; %d violations (files %v, attack %v, check %v)", a.name, i, *flagSeed, o.hit, o.note, len(vs),
		t1.Sub(t0).Round(time.Millisecond), t2.Sub(t1).Round(time.Millisecond), t3.Sub(t2).Round(time.Millisecond))
	for _, v := range vs {
		t.Errorf("VIOLATION (%s) attack=%s iteration=%d seed=%d: %s\n\t%s\n\tcommands: %s", v.invariant, a.name, i, *flagSeed, v.what, o.note, strings.Join(w.trace, "; "))
	}
	if len(vs) > 0 && *flagKeep {
		keep := filepath.Join(os.TempDir(), fmt.Sprintf("chaos-%s-%d-seed%d-%d", a.name, i, *flagSeed, time.Now().Unix()))
		if err := exec.Command("cp", "-a", dir, keep).Run(); err == nil {
			t.Logf("kept %s", keep)
		}
	}
	if a.name == "disk-full" {
		return ""
	}
	os.RemoveAll(dir) // keep the temp dir small across many iterations
	return ""
}

// workDir is where the iterations' files and databases go: CHAOS_TMPDIR,
// else /dev/shm when it is a writable tmpfs (thousands of small files are
// created and deleted per iteration, which a busy disk makes slow), else the
// test's temporary directory.
func workDir(t *testing.T) string {
	for _, parent := range []string{os.Getenv("CHAOS_TMPDIR"), "/dev/shm"} {
		if parent == "" {
			continue
		}
		if dir, err := os.MkdirTemp(parent, "retentiond-chaos-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

// buildBinary builds cmd/retentiond once into dir.
func buildBinary(t *testing.T, dir string) string {
	bin := filepath.Join(dir, "retentiond")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.Command(gobin, "build", "-o", bin, "./cmd/retentiond")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/retentiond: %v\n%s", err, out)
	}
	return bin
}

// calibrate times plan, execute, export and key rotation on a world like
// the attacked ones, so that random moments fall inside those commands.
func calibrate(t *testing.T, bin, dir string, sizes map[string]int) calibration {
	must(t, os.MkdirAll(dir, 0o700))
	defer os.RemoveAll(dir)
	w := newWorld(t, bin, dir, rand.New(rand.NewPCG(*flagSeed, 1<<62)), sizes, "", "", false)
	var c calibration
	timed := func(d *time.Duration, args ...string) {
		start := time.Now()
		w.mustRun(args...)
		*d = time.Since(start)
	}
	timed(&c.plan, "plan", "--examples", "0")
	timed(&c.command, "batches", "list")
	w.readBatches()
	w.approve("a", "b")
	before := dbSize(w.db)
	start := time.Now()
	p := w.start("execute", "--as", "it")
	w.waitFirstDeletion(p)
	first := time.Now()
	if r := p.wait(); r.code != 0 {
		t.Fatalf("retentiond execute: exit %d\n%s", r.code, r.out)
	}
	c.exec, c.deleting = time.Since(start), time.Since(first)
	c.dbGrowth = dbSize(w.db) - before
	timed(&c.export, "ledger", "export", "--out", "audit")
	timed(&c.rotate, "ledger", "rotate-key", "--as", "it")
	return c
}

func dbSize(path string) int64 {
	var n int64
	for _, s := range []string{"", "-wal"} {
		if info, err := os.Stat(path + s); err == nil {
			n += info.Size()
		}
	}
	return n
}
