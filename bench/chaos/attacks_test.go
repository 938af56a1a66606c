//go:build linux

package chaos

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// outcome is what one iteration of an attack did.
type outcome struct {
	hit  bool   // the attack landed where it was aimed (mid-run, on a deleted file, ...)
	note string // what happened, for the log
	ex   *expect
	vs   []violation // violations found by the attack itself (besides check)
}

// calibration is how long the commands take on this machine, so that
// random moments fall inside them.
type calibration struct {
	plan, exec, export, rotate time.Duration
	deleting                   time.Duration // from execute's first deletion to its end
	command                    time.Duration // a short command (batches list): how late a decision lands
	dbGrowth                   int64         // bytes execute adds to the database and its WAL
}

// attack is one kind of attack; run prepares a world, attacks it and says
// what the checks must allow.
type attack struct {
	name string
	doc  string
	run  func(e *env, w *world) outcome
	// scale multiplies the dataset: the races need a run long enough for a
	// second command to land inside it.
	scale int
}

// env is what every iteration shares.
type env struct {
	cal calibration
}

var attacks = []attack{
	{"kill-execute", "kill -9 at a random point of execute, then rerun it", attackKillExecute, 1},
	{"kill-plan", "kill -9 at a random point of plan, then plan, approve, execute", attackKillPlan, 1},
	{"kill-export", "kill -9 at a random point of ledger export, then export again", attackKillExport, 1},
	{"kill-rotate", "kill -9 execute, then kill -9 ledger rotate-key (signing or references) at a random point, then execute", attackKillRotate, 1},
	{"recreate", "kill -9 execute once it deletes, re-create deleted files (those not yet in the ledger first) at the same paths, rerun execute", attackRecreate, 1},
	{"swap", "kill -9 execute, swap two approved files still there, rerun execute", attackSwap, 1},
	{"reject", "batches reject at a random moment of a running execute", attackReject, 3},
	{"hold", "a hold before execute, and holds add at a random moment of a running execute", attackHold, 3},
	{"exclude", "batches exclude and a changed file before a re-plan, then batches exclude at a random moment of execute starting", attackExclude, 3},
	{"reload", "daemon executing; config edited and SIGHUP at random moments, then SIGTERM and execute", attackReload, 3},
	{"concurrent", "a second execute started at a random moment of a running one", attackConcurrent, 3},
	{"disk-full", "database on a small tmpfs filled to a random point before execute (root only)", attackDiskFull, 1},
	{"lost-db", "the database removed (rm) or truncated (: >) after a run; plan must refuse", attackLostDB, 1},
	{"tamper-bytes", "bytes of an approval ledger entry changed in the database file; execute must not delete", attackTamperBytes, 1},
	{"tamper-sql", "an approval row inserted with SQL for a batch nobody approved; execute must not delete it", attackTamperSQL, 1},
}

func attackKillExecute(e *env, w *world) outcome {
	w.plan()
	w.approve("a", "b")
	at, hit := w.killExecute(e)
	o := outcome{hit: hit, note: fmt.Sprintf("killed at %v", at), ex: newExpect("a", "b")}
	o.vs = w.rerunExecute()
	return o
}

// killExecute starts execute and kills it at a random moment.
func (w *world) killExecute(e *env) (time.Duration, bool) {
	p := w.start("execute", "--as", "it")
	d := w.sleepRandom(e.cal.exec * 6 / 5)
	return d, p.kill()
}

// rerunExecute runs execute to its end; it must finish what was interrupted.
func (w *world) rerunExecute() []violation {
	if r := w.run("execute", "--as", "it"); r.code != 0 {
		return []violation{{"b", "execute after the attack fails, so interrupted work stays unrecorded: " + firstLine(r.out)}}
	}
	return nil
}

func attackKillPlan(e *env, w *world) outcome {
	p := w.start("plan", "--examples", "0")
	d := w.sleepRandom(e.cal.plan * 6 / 5)
	o := outcome{hit: p.kill(), note: fmt.Sprintf("killed at %v", d), ex: newExpect("a", "b")}
	if r := w.run("plan", "--examples", "0"); r.code != 0 {
		o.vs = append(o.vs, violation{"e", "plan after a killed plan fails: " + firstLine(r.out)})
		return o
	}
	w.readBatches()
	for _, id := range w.pendingBatches() {
		w.mustRun("batches", "approve", strconv.FormatInt(id, 10), "--as", "anna")
	}
	o.vs = append(o.vs, w.rerunExecute()...)
	return o
}

func attackKillExport(e *env, w *world) outcome {
	w.plan()
	w.approve("a", "b")
	w.mustRun("execute", "--as", "it")
	p := w.start("ledger", "export", "--out", "audit")
	d := w.sleepRandom(e.cal.export * 6 / 5)
	o := outcome{hit: p.kill(), note: fmt.Sprintf("killed at %v", d), ex: newExpect("a", "b")}
	// The user runs the same command again (or, if the killed one had
	// finished, exports anew).
	again := "audit"
	if _, err := os.Stat(filepath.Join(w.dir, "audit")); err == nil {
		if r := w.run("ledger", "verify", "audit"); r.code != 0 {
			o.vs = append(o.vs, violation{"c", "the export a killed export left does not verify: " + firstLine(r.out)})
		}
		again = "audit2"
	}
	if r := w.run("ledger", "export", "--out", again); r.code != 0 {
		o.vs = append(o.vs, violation{"e", "export after a killed export fails: " + firstLine(r.out)})
	} else if r := w.run("ledger", "verify", again); r.code != 0 {
		o.vs = append(o.vs, violation{"c", "the export after a killed export does not verify: " + firstLine(r.out)})
	}
	des, _ := os.ReadDir(w.dir)
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".audit") && strings.Contains(de.Name(), "tmp") {
			o.vs = append(o.vs, violation{"e", "a killed export left " + de.Name() + " behind, and the next export (--out " + again + ") did not clean it up"})
		}
	}
	return o
}

func attackKillRotate(e *env, w *world) outcome {
	w.plan()
	w.approve("a", "b")
	at, _ := w.killExecute(e)
	args := []string{"ledger", "rotate-key", "--as", "it"}
	what := "signing key"
	if w.rng.IntN(2) == 0 {
		args, what = append(args, "--references"), "reference key"
	}
	p := w.start(args...)
	d := w.sleepRandom(e.cal.rotate * 4 / 5)
	o := outcome{hit: p.kill(), note: fmt.Sprintf("execute killed at %v, %s rotation killed at %v", at, what, d), ex: newExpect("a", "b")}
	o.vs = w.rerunExecute()
	return o
}

// startExecuteAimed starts execute and returns at a random moment while it
// runs: in one iteration of four a random time after its start (before or
// as it begins to delete), otherwise once a random file of the first two
// thirds of source a is gone, so that what follows lands mid-batch however
// fast the machine is at the moment.
func (w *world) startExecuteAimed(e *env) (*proc, string) {
	p, d, _ := w.startExecuteAimedAt(e)
	return p, d
}

// startExecuteAimedAt is startExecuteAimed that also returns the item of
// source a waited for, -1 if it waited for a time.
func (w *world) startExecuteAimedAt(e *env) (*proc, string, int) {
	p := w.start("execute", "--as", "it")
	if w.rng.IntN(4) == 0 {
		return p, fmt.Sprintf("%v after execute started", w.sleepRandom(e.cal.exec/2)), -1
	}
	due := w.due["a"]
	k := w.rng.IntN(len(due) * 2 / 3)
	for range 20000 { // bounded: execute deletes it or ends
		if _, ok := w.stat(due[k]); !ok || !p.running() {
			break
		}
		time.Sleep(time.Millisecond)
	}
	return p, fmt.Sprintf("once item #%d of a (%s) was gone", k, due[k].rel), k
}

// waitFirstDeletion returns once execute has deleted the first file of
// source a, or has ended.
func (w *world) waitFirstDeletion(p *proc) {
	first := w.due["a"][0]
	for range 2000 { // bounded: execute deletes within its first seconds or ends
		if _, ok := w.stat(first); !ok || !p.running() {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// killExecuteDeleting starts execute and kills it at a random moment once
// it has deleted its first file, so that some deletions are done and some
// may not be recorded yet.
func (w *world) killExecuteDeleting(e *env) (time.Duration, bool) {
	p := w.start("execute", "--as", "it")
	w.waitFirstDeletion(p)
	d := w.sleepRandom(e.cal.deleting * 3 / 4)
	return d, p.kill()
}

func attackRecreate(e *env, w *world) outcome {
	w.plan()
	w.approve("a", "b")
	at, _ := w.killExecuteDeleting(e)
	o := outcome{ex: newExpect("a", "b")}
	var gone []*file
	for _, src := range []string{"a", "b"} {
		for _, f := range w.due[src] {
			if _, ok := w.stat(f); !ok {
				gone = append(gone, f)
			}
		}
	}
	// Prefer files whose deletion is not recorded yet: those of the chunk
	// the kill interrupted, which the rerun must reconcile.
	unrecorded := gone
	if es, err := w.entries(); err == nil {
		if refs, err := w.refs(); err == nil {
			recorded := map[*file]bool{}
			for _, e := range es {
				if e.Outcome == "deleted" && refs[e.Item] != nil {
					recorded[refs[e.Item]] = true
				}
			}
			unrecorded = nil
			for _, f := range gone {
				if !recorded[f] {
					unrecorded = append(unrecorded, f)
				}
			}
			if len(unrecorded) == 0 {
				unrecorded = gone
			}
		}
	}
	n := min(len(unrecorded), 3)
	var names []string
	for _, i := range w.rng.Perm(len(unrecorded))[:n] {
		f := unrecorded[i]
		must(w.t, os.MkdirAll(filepath.Dir(w.path(f)), 0o755))
		must(w.t, os.WriteFile(w.path(f), []byte("re-created by a user after the kill"), 0o644))
		obj, _ := w.stat(f)
		o.ex.replaced[f] = replaced{obj: obj, deleted: 1, why: "re-created after the kill"}
		names = append(names, f.key())
	}
	o.hit = n > 0
	o.note = fmt.Sprintf("killed %v after the first deletion with %d deleted, %d of them not yet in the ledger; re-created %v", at, len(gone), len(unrecorded), names)
	o.vs = w.rerunExecute()
	return o
}

func attackSwap(e *env, w *world) outcome {
	w.plan()
	w.approve("a", "b")
	at, _ := w.killExecute(e)
	o := outcome{ex: newExpect("a", "b")}
	var there []*file
	for _, f := range w.due["a"] {
		if o, ok := w.stat(f); ok && o == f.obj {
			there = append(there, f)
		}
	}
	if len(there) >= 2 {
		p := w.rng.Perm(len(there))
		f1, f2 := there[p[0]], there[p[1]]
		tmp := w.path(f1) + ".swap"
		must(w.t, os.Rename(w.path(f1), tmp))
		must(w.t, os.Rename(w.path(f2), w.path(f1)))
		must(w.t, os.Rename(tmp, w.path(f2)))
		o.ex.replaced[f1] = replaced{obj: f2.obj, why: "swapped with " + f2.key()}
		o.ex.replaced[f2] = replaced{obj: f1.obj, why: "swapped with " + f1.key()}
		o.hit = true
		o.note = fmt.Sprintf("killed at %v; swapped %s and %s", at, f1.key(), f2.key())
	}
	o.vs = w.rerunExecute()
	return o
}

func attackReject(e *env, w *world) outcome {
	w.plan()
	w.approve("a", "b")
	src := []string{"a", "b"}[w.rng.IntN(2)]
	id := w.batches[src]
	p, d := w.startExecuteAimed(e)
	r := w.run("batches", "reject", strconv.FormatInt(id, 10), "--as", "bo", "--reason", "chaos")
	running := p.running()
	before := w.snapshot()
	p.wait()
	o := outcome{ex: newExpect("a", "b"), note: fmt.Sprintf("reject of batch %d (source %s) %s: exit %d (%s), execute running after it: %v", id, src, d, r.code, firstLine(r.out), running)}
	if r.code == 0 {
		o.hit = running
		files := map[*file]bool{}
		for _, f := range w.due[src] {
			files[f] = true
		}
		o.ex.late = append(o.ex.late, late{what: fmt.Sprintf("reject of batch %d", id), src: src, files: files, before: before, batch: id})
	}
	o.vs = w.rerunExecute()
	return o
}

func attackHold(e *env, w *world) outcome {
	w.plan()
	w.approve("a", "b")
	o := outcome{ex: newExpect("a", "b")}
	// A hold placed before execute: nothing under it may go.
	pre := fmt.Sprintf("d%03d", w.rng.IntN(w.sizes["b"]/folderSize))
	w.mustRun("holds", "add", "--as", "it", "--source", "b", "--path", pre+"/**", "--reason", "chaos before", "--owner", "dpo")
	for _, f := range w.due["b"] {
		if strings.HasPrefix(f.rel, pre+"/") {
			o.ex.keep[f] = "under a hold placed before execute (b/" + pre + "/**)"
		}
	}
	// A hold placed while it runs, on a folder of source a in the second
	// half of what is left to delete (in the last two thirds if the hold
	// goes at a random time), so that it is ahead of execute when it lands.
	folders := w.sizes["a"] / folderSize
	p, d, k := w.startExecuteAimedAt(e)
	from := folders / 3
	if k >= 0 {
		at, _ := strconv.Atoi(w.due["a"][k].rel[1:4]) // the folder of item k: dNNN/
		from = at + (folders-at)/2
	}
	folder := fmt.Sprintf("d%03d", from+w.rng.IntN(max(folders-from, 1)))
	r := w.run("holds", "add", "--as", "it", "--source", "a", "--path", folder+"/**", "--reason", "chaos during", "--owner", "dpo")
	running := p.running()
	before := w.snapshot()
	p.wait()
	if r.code != 0 {
		w.t.Fatalf("holds add: %s", r.out)
	}
	files := map[*file]bool{}
	for _, f := range w.due["a"] {
		if strings.HasPrefix(f.rel, folder+"/") {
			files[f] = true
		}
	}
	o.ex.late = append(o.ex.late, late{what: "hold on a/" + folder + "/**", src: "a", files: files, before: before})
	o.hit = running
	o.note = fmt.Sprintf("hold on a/%s/** %s, execute running after it: %v", folder, d, running)
	o.vs = w.rerunExecute() // held files must stay held
	return o
}

func attackExclude(e *env, w *world) outcome {
	w.plan()
	w.approve("a", "b")
	o := outcome{ex: newExpect("a", "b")}
	// Before execute: a folder of b taken out of its approved batch, and
	// a file of b changed after approval; the nightly plan withdraws the
	// changed file and keeps the batch's id and approval.
	pre := fmt.Sprintf("d%03d", w.rng.IntN(w.sizes["b"]/folderSize))
	w.mustRun("batches", "exclude", strconv.FormatInt(w.batches["b"], 10), "--path", pre+"/**", "--as", "bo", "--reason", "chaos before")
	var others []*file
	for _, f := range w.due["b"] {
		if strings.HasPrefix(f.rel, pre+"/") {
			o.ex.keep[f] = "excluded from its batch before execute (b/" + pre + "/**)"
		} else {
			others = append(others, f)
		}
	}
	changed := others[w.rng.IntN(len(others))]
	info, err := os.Stat(w.path(changed))
	must(w.t, err)
	must(w.t, os.WriteFile(w.path(changed), []byte("changed by a user after approval"), 0o644))
	must(w.t, os.Chtimes(w.path(changed), info.ModTime(), info.ModTime())) // still due: its new version goes into a new batch
	obj, _ := w.stat(changed)
	o.ex.replaced[changed] = replaced{obj: obj, why: "changed after approval"}
	w.mustRun("plan")
	if out := w.mustRun("batches", "show", strconv.FormatInt(w.batches["b"], 10), "--format", "csv"); !strings.Contains(out, "withdrawn") {
		o.vs = append(o.vs, violation{"a", "the re-plan did not withdraw the changed file from batch " + strconv.FormatInt(w.batches["b"], 10)})
	}
	// During: a folder of a excluded as execute starts (within about the
	// time a short command takes, so that it races execute's change to
	// executing). Accepted, the batch had not begun and nothing under it
	// may go; refused, execute had begun.
	p := w.start("execute", "--as", "it")
	d := fmt.Sprintf("%v after execute started", w.sleepRandom(e.cal.command*2))
	folder := fmt.Sprintf("d%03d", w.rng.IntN(w.sizes["a"]/folderSize))
	r := w.run("batches", "exclude", strconv.FormatInt(w.batches["a"], 10), "--path", folder+"/**", "--as", "bo", "--reason", "chaos during")
	running := p.running()
	p.wait()
	if r.code == 0 {
		for _, f := range w.due["a"] {
			if strings.HasPrefix(f.rel, folder+"/") {
				o.ex.keep[f] = "excluded from its batch (the exclusion was accepted, so before execute began) (a/" + folder + "/**)"
			}
		}
	}
	o.hit = r.code == 0 || running
	o.note = fmt.Sprintf("excluded b/%s/** and changed %s before a re-plan; exclusion of a/%s/** %s: exit %d (%s), execute running after it: %v",
		pre, changed.key(), folder, d, r.code, lastLines(r.out), running)
	o.vs = append(o.vs, w.rerunExecute()...)
	return o
}

func attackReload(e *env, w *world) outcome {
	w.plan()
	w.approve("a", "b")
	o := outcome{ex: newExpect("a", "b")}
	p := w.start("run")
	first := w.due["a"][0]
	started := false
	for range 800 { // the daemon executes on its next second; bounded wait
		if _, ok := w.stat(first); !ok || !p.running() {
			started = true
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	var did []string
	if started && p.running() {
		for i := range 2 {
			w.sleepRandom(e.cal.exec / 2)
			switch w.rng.IntN(3) {
			case 0:
				w.writeConfig("P90D", true)
				did = append(did, "keep P90D")
			case 1:
				w.writeConfig("P30D", false)
				did = append(did, "anna no longer approves")
			default:
				w.writeConfig("P30D", true)
				did = append(did, "unchanged")
			}
			if i == 0 {
				o.hit = p.running()
			}
			p.cmd.Process.Signal(syscall.SIGHUP)
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	r := p.wait()
	w.writeConfig("P30D", true)
	o.note = fmt.Sprintf("daemon executing: %v; reloads: %v; daemon exit %d", started, did, r.code)
	if r.code != 0 {
		o.vs = append(o.vs, violation{"e", fmt.Sprintf("the daemon exits %d on SIGTERM after reloads: %s", r.code, firstLine(lastLines(r.out)))})
	}
	o.vs = append(o.vs, w.rerunExecute()...)
	return o
}

func lastLines(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func attackConcurrent(e *env, w *world) outcome {
	w.plan()
	w.approve("a", "b")
	p1, d := w.startExecuteAimed(e)
	running := p1.running()
	p2 := w.start("execute", "--as", "it")
	r1, r2 := p1.wait(), p2.wait()
	o := outcome{hit: running, ex: newExpect("a", "b"), note: fmt.Sprintf("second execute %s: exits %d and %d", d, r1.code, r2.code)}
	o.vs = w.rerunExecute()
	return o
}

// attackDiskFull needs the world's database on a tmpfs; newDiskFullWorld
// mounts it.
func attackDiskFull(e *env, w *world) outcome {
	w.plan()
	w.approve("a", "b")
	dbdir := filepath.Dir(w.db)
	var st syscall.Statfs_t
	must(w.t, syscall.Statfs(dbdir, &st))
	avail := int64(st.Bavail) * st.Bsize
	leave := w.rng.Int64N(max(e.cal.dbGrowth*2, 1<<20))
	filler := filepath.Join(dbdir, "filler")
	f, err := os.Create(filler)
	must(w.t, err)
	buf := bytes.Repeat([]byte{0xa5}, 1<<16)
	for n := int64(0); n+int64(len(buf)) <= avail-leave; n += int64(len(buf)) {
		if _, err := f.Write(buf); err != nil {
			break // full already
		}
	}
	f.Close()
	r := w.run("execute", "--as", "it")
	o := outcome{hit: r.code != 0, ex: newExpect("a", "b"), note: fmt.Sprintf("%d bytes left free: execute exit %d %s", leave, r.code, firstLine(r.out))}
	// On the full disk: what was recorded must verify.
	if r := w.run("ledger", "verify"); r.code != 0 && !strings.Contains(r.out, "space") && !strings.Contains(r.out, "full") {
		o.vs = append(o.vs, violation{"c", "ledger verify on the full disk fails: " + firstLine(r.out)})
	}
	must(w.t, os.Remove(filler))
	o.vs = append(o.vs, w.rerunExecute()...)
	return o
}

func attackLostDB(e *env, w *world) outcome {
	w.plan()
	w.approve("a", "b")
	w.mustRun("execute", "--as", "it")
	w.mustRun("ledger", "anchor")
	backup := filepath.Join(w.dir, "backup")
	must(w.t, os.MkdirAll(backup, 0o700))
	sidecars := []string{"", "-wal", "-shm"}
	for _, s := range sidecars {
		must(w.t, copyFile(w.db+s, filepath.Join(backup, "db"+s)))
	}
	anchorsBefore := countFiles(filepath.Join(w.dir, "anchors"))
	how := "rm"
	if w.rng.IntN(2) == 0 {
		for _, s := range sidecars {
			os.Remove(w.db + s)
		}
	} else {
		how = ": >"
		must(w.t, os.WriteFile(w.db, nil, 0o600))
	}
	o := outcome{hit: true, ex: newExpect("a", "b"), note: "database lost by " + how}
	if r := w.run("plan", "--examples", "0"); r.code == 0 {
		o.vs = append(o.vs, violation{"d", fmt.Sprintf("plan after `%s retentiond.db` exits 0 instead of refusing", how)})
	}
	if n, err := ledgerEntryCount(w.db); err != nil || n > 0 {
		o.vs = append(o.vs, violation{"d", fmt.Sprintf("a new ledger (%d entries, %v) was started in place of the lost one", n, err)})
	}
	if r := w.run("ledger", "verify"); r.code == 0 {
		o.vs = append(o.vs, violation{"d", "ledger verify says OK on the replaced database: " + firstLine(r.out)})
	}
	if r := w.run("ledger", "anchor"); r.code == 0 {
		o.vs = append(o.vs, violation{"d", fmt.Sprintf("ledger anchor exits 0 on the replaced database (anchor files %d -> %d)", anchorsBefore, countFiles(filepath.Join(w.dir, "anchors")))})
	}
	// Restore from the backup, as the refusal says to.
	for _, s := range sidecars {
		os.Remove(w.db + s)
		must(w.t, copyFile(filepath.Join(backup, "db"+s), w.db+s))
	}
	if r := w.run("ledger", "anchor"); r.code != 0 {
		o.vs = append(o.vs, violation{"e", "ledger anchor after restoring the database fails: " + firstLine(r.out)})
	}
	return o
}

func countFiles(dir string) int {
	des, _ := os.ReadDir(dir)
	return len(des)
}

func attackTamperBytes(e *env, w *world) outcome {
	w.plan()
	w.approve("a") // b stays pending
	id := w.batches["a"]
	data, err := os.ReadFile(w.db)
	must(w.t, err)
	o := outcome{ex: newExpect()} // nothing is approved any more
	pos := -1
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte(`{"type":"approval"`))
		if i < 0 {
			break
		}
		i += off
		end := bytes.IndexByte(data[i:], '}')
		if end > 0 && bytes.Contains(data[i:i+end], []byte(fmt.Sprintf(`"batch":%d,`, id))) {
			if j := bytes.Index(data[i:i+end], []byte(`"actor":"anna"`)); j >= 0 {
				pos = i + j + len(`"actor":"`)
				break
			}
		}
		off = i + 1
	}
	if pos < 0 {
		o.note = "approval entry not found in the database file (still in the WAL?)"
		o.ex, o.ex.verify = newExpect("a"), verifySkip
		return o
	}
	f, err := os.OpenFile(w.db, os.O_WRONLY, 0)
	must(w.t, err)
	_, err = f.WriteAt([]byte("b"), int64(pos)) // "anna" becomes "bnna"
	must(w.t, err)
	must(w.t, f.Close())
	o.hit = true
	o.ex.verify = verifyFail
	for _, f := range w.due["a"] {
		o.ex.keep[f] = fmt.Sprintf("its batch's (%d) approval entry was tampered with", id)
	}
	r := w.run("execute", "--as", "it")
	o.note = fmt.Sprintf("approval entry of batch %d changed at byte %d; execute exit %d: %s", id, pos, r.code, firstLine(r.out))
	return o
}

func attackTamperSQL(e *env, w *world) outcome {
	w.plan()
	w.approve("a")
	id := w.batches["b"]
	db, err := sql.Open("sqlite", "file:"+w.db+"?_pragma=busy_timeout(5000)")
	must(w.t, err)
	_, err = db.Exec(`INSERT INTO approval(batch_id, stage, approver, fingerprint, at) SELECT id, 0, 'anna', fingerprint, updated_at FROM batch WHERE id = ?`, id)
	if err == nil {
		_, err = db.Exec(`UPDATE batch SET status = 'approved' WHERE id = ?`, id)
	}
	db.Close()
	if err != nil {
		w.t.Fatalf("tamper with SQL: %v", err)
	}
	r := w.run("execute", "--as", "it")
	o := outcome{hit: true, ex: newExpect("a"), note: fmt.Sprintf("approval row inserted for batch %d; execute exit %d: %s", id, r.code, firstLine(lastLines(r.out)))}
	o.ex.verify = verifyPass
	for _, f := range w.due["b"] {
		if _, ok := w.stat(f); !ok {
			o.ex.verify = verifyFail // deletions without an approval entry: verify must say so
			break
		}
	}
	return o
}

// mountTmpfs mounts a tmpfs of size bytes at dir; the returned function
// unmounts it. It returns a reason when it cannot.
func mountTmpfs(dir string, size int64) (func(), string) {
	if os.Geteuid() != 0 {
		return nil, "disk full needs root to mount a small tmpfs for the database (run as root, or in CI)"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err.Error()
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		return nil, fmt.Sprintf("mount -t tmpfs failed (%v: %s): this host does not let the test mount", err, strings.TrimSpace(string(out)))
	}
	return func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			exec.Command("umount", "-l", dir).Run()
			_ = out
		}
	}, ""
}
