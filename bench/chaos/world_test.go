//go:build linux

package chaos

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/retentiond/retentiond/connectors/fileshare"
	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store/ledger"
)

// folderSize is how many files each folder of a source holds.
const folderSize = 100

// chunkMax is the most items one chunk of a batch holds (store/plans.go).
const chunkMax = 2048

// sliceMax is the most items execute hands to a connector under one intent,
// after reading the batch's decisions again: after a reject or a hold, at
// most the slice in flight may still go.
const sliceMax = scheduler.ExecSlice

// file is one file of the dataset as it was when it was planned.
type file struct {
	src, rel string
	due      bool // old enough for the rule (P30D)
	idx      int  // position among the due files of its source, in listing order; -1 if not due
	obj      object
}

// object identifies what is at a path: the same inode, size and
// modification time is the same version for the fileshare connector.
type object struct {
	ino   uint64
	size  int64
	mtime int64
}

func (f *file) key() string { return f.src + "/" + f.rel }

// world is one iteration's sandbox: a configuration, two file-share sources
// and the database, all under dir.
type world struct {
	t       *testing.T
	bin     string
	dir     string
	cfg     string
	db      string
	rng     *rand.Rand
	sizes   map[string]int // files per source
	files   []*file
	due     map[string][]*file // per source, in listing order
	batches map[string]int64   // source -> batch id of the first plan
	slices  map[string][]span  // per source: its due files' slices, in order
	extra   string             // extra configuration (execute schedule)
	anchors bool               // anchor checkpoints into dir/anchors
	trace   []string           // what was run, for the report
	mu      sync.Mutex
	hung    []string // commands killed by the hang limit
}

// newWorld creates the files and the configuration; it does not plan.
func newWorld(t *testing.T, bin, dir string, rng *rand.Rand, sizes map[string]int, db, extra string, anchors bool) *world {
	w := &world{t: t, bin: bin, dir: dir, rng: rng, sizes: sizes, due: map[string][]*file{}, batches: map[string]int64{}, slices: map[string][]span{}, extra: extra, anchors: anchors}
	if anchors {
		must(t, os.MkdirAll(filepath.Join(dir, "anchors"), 0o700))
	}
	w.cfg = filepath.Join(dir, "retentiond.yaml")
	if db == "" {
		db = filepath.Join(dir, "retentiond.db")
	}
	w.db = db
	now := time.Now()
	for _, src := range []string{"a", "b"} {
		for i := range sizes[src] {
			folder := fmt.Sprintf("d%03d", i/folderSize)
			rel := folder + "/" + fmt.Sprintf("f%05d.dat", i)
			p := filepath.Join(dir, src, filepath.FromSlash(rel))
			if i%folderSize == 0 {
				must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			}
			must(t, os.WriteFile(p, []byte("chaos "+strconv.Itoa(i%7)), 0o644))
			f := &file{src: src, rel: rel, due: i%4 != 0, idx: -1}
			age := 5 * 24 * time.Hour
			if f.due {
				age = 60 * 24 * time.Hour
			}
			mt := now.Add(-age)
			must(t, os.Chtimes(p, mt, mt))
			o, ok := w.stat(f)
			if !ok {
				t.Fatalf("stat %s", p)
			}
			f.obj = o
			if f.due {
				f.idx = len(w.due[src])
				w.due[src] = append(w.due[src], f)
			}
			w.files = append(w.files, f)
		}
	}
	w.writeConfig("P30D", true)
	for src, fs := range w.due {
		w.slices[src] = slicesOf(fs)
	}
	return w
}

// span is one slice of a source's due files: items [first, last] of the
// source's listing order, in chunk chunk (counted from 0).
type span struct{ chunk, first, last int }

// slicesOf returns the slices of a source's due files, in listing order.
// store.PlanWriter cuts chunks: a chunk ends at chunkMax items, or where a
// folder ends once it holds half of that; execute hands each chunk to the
// connector in slices of sliceMax items, each under its own intent and
// each after the batch's decisions were read again.
func slicesOf(fs []*file) []span {
	var out []span
	start, chunk := 0, 0
	seal := func(end int) {
		for s := start; s <= end; s += sliceMax {
			out = append(out, span{chunk, s, min(s+sliceMax-1, end)})
		}
		start = end + 1
		chunk++
	}
	for i := range fs {
		if n := i - start; n >= chunkMax/2 && path.Dir(fs[i-1].rel) != path.Dir(fs[i].rel) {
			seal(i - 1)
		}
		if i-start+1 == chunkMax {
			seal(i)
		}
	}
	if start < len(fs) {
		seal(len(fs) - 1)
	}
	return out
}

// parallelChunks is how many chunks of a file share's batch execute runs
// at once (fileshare.Conn.DeleteConcurrency): up to that many slices are
// in flight when a decision lands.
var parallelChunks = (*fileshare.Conn)(nil).DeleteConcurrency()

// inFlight returns, for a decision that had returned when gone (the due
// files of source src gone then, by index) was taken, the slices of src
// that may still have been deleted after it, and so whose files may go:
// chunks start in order, parallelChunks at a time, each deciding one slice
// after another. For a chunk with files gone, the slice of its furthest
// file gone (the rest of the slice in flight), or the chunk's next slice
// when that file ended a slice (the next one may have been decided,
// nothing of it deleted yet). For the first parallelChunks chunks after
// the last chunk with files gone, their first slice (started, nothing
// deleted yet; a chunk that kept all its files, all held, would look
// unstarted too, which no attack makes: a hold covers one folder). Which
// of these were really in flight the snapshot cannot tell, so the caller also bounds how many of them lost files after the
// decision (parallelChunks) and how many files went (a slice's worth for
// each).
func (w *world) inFlight(src string, gone func(idx int) bool) []span {
	ss := w.slices[src]
	furthest := map[int]int{} // chunk -> the index in ss of the slice of its furthest file gone
	lastChunk := -1
	for k, sp := range ss {
		for i := sp.first; i <= sp.last; i++ {
			if gone(i) {
				furthest[sp.chunk] = k
				lastChunk = max(lastChunk, sp.chunk)
			}
		}
	}
	var out []span
	for k, sp := range ss {
		switch f, ok := furthest[sp.chunk]; {
		case ok && k == f:
			out = append(out, sp)
		case ok && k == f+1 && ss[f].chunk == sp.chunk && gone(ss[f].last):
			out = append(out, sp)
		case !ok && sp.chunk > lastChunk && sp.chunk <= lastChunk+parallelChunks && (k == 0 || ss[k-1].chunk != sp.chunk):
			out = append(out, sp)
		}
	}
	return out
}

// writeConfig writes the configuration and the policy with the given keep
// period; anna approves unless annaApproves is false.
func (w *world) writeConfig(keep string, annaApproves bool) {
	policy := fmt.Sprintf(`version: 1
id: chaos
rules:
  - id: OLD
    type: delete_after
    path: "**"
    from: item.modified
    keep: %s
    approval:
      - {group: leaders, count: 1}
    guard: {max_items: 0, max_growth: 0}
`, keep)
	groups := "[leaders]"
	if !annaApproves {
		groups = "[others]"
	}
	anchor := ""
	if w.anchors {
		anchor = "\n  anchor: {dir: anchors}"
	}
	cfg := fmt.Sprintf(`version: 1
database: %s
ledger:
  origin: chaos.invalid/ledger%s
policies: [policy.yaml]
cli: {trust_as: true}
people:
  - {id: anna, roles: [approver], groups: %s}
  - {id: bo, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - {name: a, kind: fileshare, options: {root: a}}
  - {name: b, kind: fileshare, options: {root: b}}
%s`, w.db, anchor, groups, w.extra)
	must(w.t, os.WriteFile(filepath.Join(w.dir, "policy.yaml"), []byte(policy), 0o644))
	must(w.t, os.WriteFile(w.cfg, []byte(cfg), 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) path(f *file) string {
	return filepath.Join(w.dir, f.src, filepath.FromSlash(f.rel))
}

// stat returns the object at f's path, and whether there is one.
func (w *world) stat(f *file) (object, bool) {
	info, err := os.Lstat(w.path(f))
	if err != nil {
		return object{}, false
	}
	st := info.Sys().(*syscall.Stat_t)
	return object{ino: uint64(st.Ino), size: info.Size(), mtime: info.ModTime().UnixNano()}, true
}

// snapshot is, per file, whether its planned object is still at its path.
type snapshot map[*file]bool

func (w *world) snapshot() snapshot {
	s := snapshot{}
	for _, f := range w.files {
		o, ok := w.stat(f)
		s[f] = ok && o == f.obj
	}
	return s
}

// result is how a command ended.
type result struct {
	code int // exit code; -1 when killed
	out  string
}

func (w *world) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, w.bin, append(args, "--config", w.cfg)...)
	cmd.Dir = w.dir
	cmd.Env = append(os.Environ(), "RETENTIOND_AS=", "RETENTIOND_CONFIG=")
	return cmd
}

// run runs the binary to its end. A command still running after the hang
// limit is killed and recorded as hung (a violation of its own).
func (w *world) run(args ...string) result {
	p := w.start(args...)
	r := p.wait()
	w.trace[len(w.trace)-1] = fmt.Sprintf("%s -> %d", p.name, r.code)
	return r
}

// mustRun runs the binary and fails the test (a broken harness, not a
// violation) unless it exits 0.
func (w *world) mustRun(args ...string) string {
	r := w.run(args...)
	if r.code != 0 {
		w.t.Fatalf("retentiond %s: exit %d\n%s", strings.Join(args, " "), r.code, r.out)
	}
	return r.out
}

// proc is a command running in the background.
type proc struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan struct{}
	res  result
	name string
	w    *world
}

func (w *world) start(args ...string) *proc {
	p := &proc{cmd: w.command(context.Background(), args...), done: make(chan struct{}), name: strings.Join(args, " "), w: w}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.trace = append(w.trace, p.name+" &")
	hung := time.AfterFunc(*flagHang, func() {
		w.mu.Lock()
		w.hung = append(w.hung, p.name)
		w.mu.Unlock()
		p.cmd.Process.Signal(syscall.SIGQUIT) // a goroutine dump into its output
		time.Sleep(time.Second)
		p.cmd.Process.Signal(syscall.SIGKILL)
	})
	go func() {
		err := p.cmd.Wait()
		hung.Stop()
		if err != nil {
			p.res.code = -1
			if ee, ok := err.(*exec.ExitError); ok {
				p.res.code = ee.ExitCode()
			}
		}
		p.res.out = p.out.String()
		close(p.done)
	}()
	return p
}

// kill sends SIGKILL and waits; it reports whether the process was still
// running when the signal went.
func (p *proc) kill() bool {
	select {
	case <-p.done:
		return false
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.w.trace = append(p.w.trace, p.name+" -> kill -9")
	return p.res.code == -1
}

// wait waits for the process to end.
func (p *proc) wait() result { <-p.done; return p.res }

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// sleepRandom sleeps a uniformly random time in [0, max).
func (w *world) sleepRandom(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	d := time.Duration(w.rng.Int64N(int64(max)))
	time.Sleep(d)
	return d
}

// plan plans both sources and records their batches.
func (w *world) plan() {
	w.mustRun("plan", "--examples", "0")
	w.readBatches()
}

// readBatches maps each source to its lowest batch id from batches list --all.
func (w *world) readBatches() map[string][]int64 {
	out := w.mustRun("batches", "list", "--all")
	bySrc := map[string][]int64{}
	for _, line := range strings.Split(out, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		id, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		bySrc[f[2]] = append(bySrc[f[2]], id)
	}
	for src, ids := range bySrc {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		if _, ok := w.batches[src]; !ok {
			w.batches[src] = ids[0]
		}
	}
	return bySrc
}

// pendingBatches returns the ids of batches waiting for approval.
func (w *world) pendingBatches() []int64 {
	var ids []int64
	for _, line := range strings.Split(w.mustRun("batches", "list"), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) >= 2 && f[1] == "pending" {
			if id, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

func (w *world) approve(srcs ...string) {
	for _, src := range srcs {
		id, ok := w.batches[src]
		if !ok {
			w.t.Fatalf("no batch for source %s", src)
		}
		w.mustRun("batches", "approve", strconv.FormatInt(id, 10), "--as", "anna")
	}
}

// entries reads and parses the ledger from the database, read-only.
func (w *world) entries() ([]ledger.Entry, error) {
	db, err := sql.Open("sqlite", "file:"+w.db+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT idx, data FROM ledger_entry ORDER BY idx`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var es []ledger.Entry
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return nil, err
		}
		if idx != int64(len(es)) {
			return nil, fmt.Errorf("ledger entry %d where %d was expected", idx, len(es))
		}
		e, err := ledger.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("ledger entry %d: %v", idx, err)
		}
		es = append(es, e)
	}
	return es, rows.Err()
}

// ledgerEntryCount counts the rows of ledger_entry in the database file at
// path; 0 if there is no such table.
func ledgerEntryCount(path string) (int64, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, nil
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRow(`SELECT count(*) FROM ledger_entry`).Scan(&n)
	if err != nil && strings.Contains(err.Error(), "no such table") {
		return 0, nil
	}
	return n, err
}

// refs maps every reference an item of the dataset can have (under the
// current and every retired reference key) to its file.
func (w *world) refs() (map[string]*file, error) {
	ring, err := ledger.LoadRefKeyRing(filepath.Join(w.dir, "keys", "references.key"))
	if err != nil {
		return nil, err
	}
	m := make(map[string]*file, len(w.files)*(1+len(ring.Retired)))
	for _, f := range w.files {
		for _, r := range ring.Refs("item:fileshare:"+f.src, f.rel) {
			m[r] = f
		}
	}
	return m, nil
}

// copyFile copies src to dst if src exists.
func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o600)
}
