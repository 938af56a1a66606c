//go:build linux

package chaos

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/retentiond/retentiond/store/ledger"
)

// violation is one invariant broken in one iteration.
type violation struct {
	invariant string // "a", "b", "c", "d"
	what      string // what broke, with the first files or batches
}

// expect is what an iteration allows, besides the invariants themselves.
type expect struct {
	approved map[string]bool    // sources whose first batch may be executed
	keep     map[*file]string   // files that must survive with their planned object, and why
	replaced map[*file]replaced // paths an attack put another object at
	late     []late             // decisions taken while a batch ran
	verify   verifyWant
	ledger   bool // check the ledger's entries (false when the attack tampered with it)
}

type verifyWant int

const (
	verifyPass verifyWant = iota
	verifyFail
	verifySkip
)

// replaced is a path that holds another object than the planned one: a file
// re-created after its planned version was deleted, or swapped with another.
// That object was never approved and must survive; the ledger must hold
// deleted entries for the path's planned version.
type replaced struct {
	obj     object
	deleted int
	why     string
}

// late is a reject or a hold that took effect while execute ran: of files,
// those still there at before (a snapshot taken once the command returned)
// may go only if they were in the chunk in flight.
type late struct {
	what   string // "reject of batch 1", "hold H-2 on a/d040/**"
	src    string
	files  map[*file]bool
	before snapshot
	batch  int64 // for a reject: the batch
}

func newExpect(approved ...string) *expect {
	ex := &expect{approved: map[string]bool{}, keep: map[*file]string{}, replaced: map[*file]replaced{}, ledger: true}
	for _, s := range approved {
		ex.approved[s] = true
	}
	return ex
}

// firsts collects up to 3 examples of a violation and counts all.
type firsts struct {
	n   int
	ex  []string
	inv string
	msg string
}

func (f *firsts) add(s string) {
	f.n++
	if len(f.ex) < 3 {
		f.ex = append(f.ex, s)
	}
}

func (f *firsts) violation() violation {
	return violation{f.inv, fmt.Sprintf("%s: %d, e.g. %s", f.msg, f.n, strings.Join(f.ex, "; "))}
}

// check checks the invariants against the filesystem and the ledger.
func (w *world) check(ex *expect) []violation {
	var vs []violation
	w.mu.Lock()
	for _, h := range w.hung {
		vs = append(vs, violation{"e", fmt.Sprintf("retentiond %s hung: killed after %v", h, *flagHang)})
	}
	w.mu.Unlock()
	groups := map[string]*firsts{}
	add := func(inv, msg, example string) {
		g := groups[inv+msg]
		if g == nil {
			g = &firsts{inv: inv, msg: msg}
			groups[inv+msg] = g
		}
		g.add(example)
	}

	// (a) from the filesystem.
	now := w.snapshot()
	gone := map[*file]bool{}
	for _, f := range w.files {
		cur, there := w.stat(f)
		if r, ok := ex.replaced[f]; ok {
			if !there || cur != r.obj {
				add("a", "a file that was "+r.why+" (never approved) was deleted or changed", f.key())
			}
			continue
		}
		if !there {
			gone[f] = true
		} else if cur != f.obj {
			add("a", "a planned file was replaced by something else", f.key())
		}
		reason, kept := ex.keep[f]
		switch {
		case kept:
		case !f.due:
			reason, kept = "not due (kept by the rule)", true
		case !ex.approved[f.src]:
			reason, kept = fmt.Sprintf("in batch %d of source %s, which was never approved", w.batches[f.src], f.src), true
		}
		if kept && !now[f] {
			add("a", "deleted though "+reason, f.key())
		}
	}
	for _, l := range ex.late {
		byIdx := map[int]*file{}
		for _, f := range w.due[l.src] {
			byIdx[f.idx] = f
		}
		flight := w.inFlight(l.src, func(i int) bool { f := byIdx[i]; return f != nil && !l.before[f] })
		n := 0
		chunks := map[int]bool{} // chunks that lost files after the decision
		for f := range l.files {
			if !l.before[f] || !gone[f] {
				continue
			}
			n++
			k := slices.IndexFunc(flight, func(sp span) bool { return sp.first <= f.idx && f.idx <= sp.last })
			if k < 0 {
				add("a", fmt.Sprintf("deleted after the %s returned, in a slice that was not in flight (slices that may have been: %v)", l.what, flight), fmt.Sprintf("%s (#%d)", f.key(), f.idx))
				continue
			}
			chunks[flight[k].chunk] = true
		}
		if len(chunks) > parallelChunks {
			add("a", fmt.Sprintf("files of %d chunks deleted after the %s returned; at most %d run at once", len(chunks), l.what, parallelChunks), fmt.Sprint(n, " files"))
		}
		if n > parallelChunks*sliceMax {
			add("a", fmt.Sprintf("more than %d slices (%d items each) deleted after the %s returned", parallelChunks, sliceMax, l.what), fmt.Sprint(n, " files"))
		}
	}

	// (b) and the ledger's own order.
	if ex.ledger {
		es, err := w.entries()
		refs, rerr := w.refs()
		switch {
		case err != nil:
			vs = append(vs, violation{"c", "ledger cannot be read: " + err.Error()})
		case rerr != nil:
			vs = append(vs, violation{"c", "reference keys cannot be read: " + rerr.Error()})
		default:
			vs = append(vs, w.checkLedger(es, refs, ex, gone, add)...)
		}
	}

	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs = append(vs, groups[k].violation())
	}

	// (c)
	if ex.verify != verifySkip {
		r := w.run("ledger", "verify")
		if ex.verify == verifyPass && r.code != 0 {
			vs = append(vs, violation{"c", "ledger verify fails: " + firstLine(r.out)})
		}
		if ex.verify == verifyFail && r.code == 0 {
			vs = append(vs, violation{"c", "ledger verify passes a tampered ledger: " + firstLine(r.out)})
		}
	}
	return vs
}

func (w *world) checkLedger(es []ledger.Entry, refs map[string]*file, ex *expect, gone map[*file]bool, add func(inv, msg, example string)) []violation {
	deleted := map[*file]int{}
	outcomes := map[*file][]string{}
	rejected := map[int64]int{}
	finished := map[int64]int{}
	for i, e := range es {
		switch e.Type {
		case ledger.TypeDeletion:
			f := refs[e.Item]
			if f == nil {
				add("b", "deletion entry for an item that is not in the dataset", fmt.Sprintf("entry %d batch %d", i, e.Batch))
				continue
			}
			outcomes[f] = append(outcomes[f], fmt.Sprintf("%s@%d", e.Outcome, i))
			if e.Outcome == "deleted" {
				deleted[f]++
			}
		case ledger.TypeRejection:
			if _, ok := rejected[e.Batch]; !ok {
				rejected[e.Batch] = i
			}
		case ledger.TypeExecutionStarted:
			if r, ok := rejected[e.Batch]; ok {
				add("a", "execution_started for a batch after its rejection", fmt.Sprintf("batch %d: rejection at entry %d, execution_started at entry %d", e.Batch, r, i))
			}
		case ledger.TypeExecutionFinished:
			finished[e.Batch]++
			if finished[e.Batch] == 2 {
				add("b", "a batch executed (execution_finished) more than once", fmt.Sprintf("batch %d, second at entry %d", e.Batch, i))
			}
		}
	}
	for _, f := range w.files {
		want := 0
		if r, ok := ex.replaced[f]; ok {
			want = r.deleted
		} else if gone[f] {
			want = 1
		}
		if deleted[f] != want {
			state := "still there"
			if r, ok := ex.replaced[f]; ok {
				state = "whose path was " + r.why + " (now holding an object never approved)"
				if r.deleted == 0 {
					state = "whose path was " + r.why + " (its planned version was never deleted, it is still there under the other name)"
				}
			} else if gone[f] {
				state = "gone"
			}
			add("b", fmt.Sprintf("file %s without exactly the right deleted entries", state),
				fmt.Sprintf("%s batch %d: %d deleted entries, want %d (outcomes %v)", f.key(), w.batches[f.src], deleted[f], want, outcomes[f]))
		}
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
