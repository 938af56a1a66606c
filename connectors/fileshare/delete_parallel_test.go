package fileshare

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
)

// putFiles creates n files spread over folders of perFolder files and
// returns them as targets, folder by folder, with their current versions.
func putFiles(t *testing.T, c *Conn, f fixture, n, perFolder int) []connectors.Target {
	t.Helper()
	for i := range n {
		f.Put(t, fmt.Sprintf("d%02d/s/f%04d.txt", i/perFolder, i), []byte("x"), when)
	}
	var targets []connectors.Target
	err := c.List(t.Context(), connectors.ListOptions{}, func(it connectors.Item) error {
		targets = append(targets, connectors.Target{Ref: it.Ref, Version: it.Version})
		return nil
	})
	if err != nil || len(targets) != n {
		t.Fatalf("listed %d of %d files: %v", len(targets), n, err)
	}
	return targets
}

// inFlight wraps c.remove and records how many removals run at once. Each
// removal waits until deleteWorkers of them are in flight together, so
// that the peak does not depend on how the scheduler runs the workers; a
// DeleteBatch that never has that many in flight would wait forever, so
// after a generous delay (a guard against hanging, not a measurement) the
// first waiter lets every removal through and the peak stays below.
type inFlight struct {
	mu        sync.Mutex
	now, peak int
	all       chan struct{}
	once      sync.Once
}

func watchRemovals(c *Conn) *inFlight {
	w := &inFlight{all: make(chan struct{})}
	orig := c.remove
	c.remove = func(dir *os.Root, name string) error {
		w.mu.Lock()
		w.now++
		w.peak = max(w.peak, w.now)
		if w.now == deleteWorkers {
			w.once.Do(func() { close(w.all) })
		}
		w.mu.Unlock()
		select {
		case <-w.all:
		case <-time.After(10 * time.Second):
			w.once.Do(func() { close(w.all) })
		}
		err := orig(dir, name)
		w.mu.Lock()
		w.now--
		w.mu.Unlock()
		return err
	}
	return w
}

// DeleteBatch removes deleteWorkers files at once, within one folder and
// across folders, and never more; every file is deleted and its result is
// in the order given.
func TestDeleteBatchRemovesSideBySide(t *testing.T) {
	for _, tc := range []struct {
		name      string
		perFolder int
	}{{"one folder", 64}, {"several folders", 5}} {
		t.Run(tc.name, func(t *testing.T) {
			c, f, _ := openTest(t)
			targets := putFiles(t, c, f, 64, tc.perFolder)
			w := watchRemovals(c)
			rs, err := c.DeleteBatch(t.Context(), targets)
			if err != nil {
				t.Fatal(err)
			}
			if w.peak != deleteWorkers {
				t.Errorf("at most %d removals in flight, want %d", w.peak, deleteWorkers)
			}
			if len(rs) != len(targets) {
				t.Fatalf("%d results for %d targets", len(rs), len(targets))
			}
			for i, r := range rs {
				if r.Ref != targets[i].Ref || r.Outcome != connectors.OutcomeDeleted || r.Method != "delete" || r.Err != nil {
					t.Errorf("result %d: %+v, want %q deleted", i, r, targets[i].Ref)
				}
				if f.Exists(t, targets[i].Ref) {
					t.Errorf("%s is still there", targets[i].Ref)
				}
			}
		})
	}
}

// expect is what DeleteBatch must answer for a kind of target in
// TestDeleteBatchOutcomesInOrder, and whether the file must still be there.
var expect = map[string]struct {
	outcome connectors.Outcome
	code    connectors.Code // of a failure
	stays   bool
}{
	"deleted":     {connectors.OutcomeDeleted, 0, false},
	"absent":      {connectors.OutcomeAbsent, 0, false},
	"changed":     {connectors.OutcomeChanged, 0, true},
	"read-only":   {connectors.OutcomeDeleted, 0, false}, // refused once, then made writable
	"locked":      {connectors.OutcomeFailed, connectors.CodePermission, true},
	"failed":      {connectors.OutcomeFailed, connectors.CodeIO, true},
	"link":        {connectors.OutcomeChanged, 0, true},
	"no-folder":   {connectors.OutcomeAbsent, 0, true}, // the ref names another folder
	"invalid":     {connectors.OutcomeFailed, connectors.CodeInvalid, true},
	"unconfirmed": {connectors.OutcomeFailed, connectors.CodeIO, true}, // removal claims success
}

// Every kind of outcome, interleaved so that each worker meets all of
// them, comes back at its target's place, with one worker and more; files
// that must stay, stay, and a locked read-only file keeps its mode.
func TestDeleteBatchOutcomesInOrder(t *testing.T) {
	kinds := []string{"deleted", "absent", "changed", "read-only", "locked", "failed", "link", "no-folder", "invalid", "unconfirmed"}
	for _, workers := range []int{1, 2, deleteWorkers, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			c, f, _ := openTest(t)
			const n = 80
			targets := putFiles(t, c, f, n, 7)
			files := make([]string, n) // the file each target is about
			kind := func(i int) string { return kinds[(i*7+i/len(kinds))%len(kinds)] }
			type refusal struct {
				err    error // nil: the removal claims success and does nothing
				always bool  // else only the first attempt is refused
			}
			refuse := map[string]refusal{} // by file name
			for i, tg := range targets {
				files[i] = tg.Ref
				name := path.Base(tg.Ref)
				switch kind(i) {
				case "absent":
					f.Remove(t, tg.Ref)
				case "changed":
					f.Modify(t, tg.Ref)
				case "read-only", "locked":
					if err := os.Chmod(f.Path(tg.Ref), 0o444); err != nil {
						t.Fatal(err)
					}
					refuse[name] = refusal{syscall.EACCES, kind(i) == "locked"}
				case "failed":
					refuse[name] = refusal{syscall.EIO, true}
				case "unconfirmed":
					refuse[name] = refusal{nil, true}
				case "link":
					f.Remove(t, tg.Ref)
					if err := os.Symlink(path.Base(targets[0].Ref), f.Path(tg.Ref)); err != nil {
						t.Skipf("no symbolic links here: %v", err)
					}
				case "no-folder":
					targets[i].Ref = "gone/" + tg.Ref
				case "invalid":
					targets[i].Ref = "../" + tg.Ref
				}
			}
			var mu sync.Mutex
			attempts := map[string]int{}
			orig := c.remove
			c.remove = func(dir *os.Root, name string) error {
				mu.Lock()
				attempts[name]++
				r, ok := refuse[name]
				if ok && !r.always && attempts[name] > 1 {
					ok = false
				}
				mu.Unlock()
				switch {
				case !ok:
					return orig(dir, name)
				case r.err == nil:
					return nil
				default:
					return &fs.PathError{Op: "unlinkat", Path: name, Err: r.err}
				}
			}
			rs, err := c.deleteBatch(t.Context(), targets, workers)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != n {
				t.Fatalf("%d results for %d targets", len(rs), n)
			}
			for i, r := range rs {
				k, ref := kind(i), targets[i].Ref
				if r.Ref != ref {
					t.Errorf("result %d is for %q, want %q", i, r.Ref, ref)
					continue
				}
				want := expect[k]
				if r.Outcome != want.outcome || (want.outcome == connectors.OutcomeFailed) != (r.Err != nil) || (r.Err != nil && code(r.Err) != want.code) {
					t.Errorf("%s (%s): %v %v, want %v %v", ref, k, r.Outcome, r.Err, want.outcome, want.code)
				}
				if want.outcome == connectors.OutcomeDeleted && r.Method != "delete" {
					t.Errorf("%s: method %q", ref, r.Method)
				}
				if k == "absent" {
					continue
				}
				if got := exists(f.Path(files[i])); got != want.stays {
					t.Errorf("%s (%s): present %v, want %v", files[i], k, got, want.stays)
				}
				if k == "locked" {
					if st, err := os.Lstat(f.Path(ref)); err != nil || st.Mode().Perm() != 0o444 {
						t.Errorf("%s: mode not restored: %v %v", ref, st.Mode(), err)
					}
				}
			}
		})
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// Cancelled while workers remove files: no target is taken after ctx
// ends, every target taken is finished, and so the targets attempted are
// the first ones (the executor records the outcomes up to the first
// cancelled one): deleted files before, cancelled and present files
// after. At most deleteWorkers-1 other workers hold a target when the
// removal that cancels runs.
func TestDeleteBatchCancelledMidway(t *testing.T) {
	const n, at = 60, 10
	for round := range 20 {
		c, f, _ := openTest(t)
		targets := putFiles(t, c, f, n, 4)
		ctx, cancel := context.WithCancel(t.Context())
		cancelled := make(chan struct{})
		var calls atomic.Int64
		orig := c.remove
		c.remove = func(dir *os.Root, name string) error {
			switch k := calls.Add(1); {
			case k == at:
				cancel()
				close(cancelled)
			case k > at:
				<-cancelled
			}
			return orig(dir, name)
		}
		rs, err := c.DeleteBatch(ctx, targets)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != n {
			t.Fatalf("round %d: %d results for %d targets", round, len(rs), n)
		}
		first := n
		for i, r := range rs {
			if r.Ref != targets[i].Ref {
				t.Fatalf("round %d: result %d is for %q, want %q", round, i, r.Ref, targets[i].Ref)
			}
			cancelledHere := r.Outcome == connectors.OutcomeFailed && code(r.Err) == connectors.CodeCancelled
			switch {
			case cancelledHere && first == n:
				first = i
			case !cancelledHere && first < n:
				t.Errorf("round %d: target %d attempted (%v) after target %d was cancelled", round, i, r.Outcome, first)
			case !cancelledHere && r.Outcome != connectors.OutcomeDeleted:
				t.Errorf("round %d: target %d: %v %v", round, i, r.Outcome, r.Err)
			}
			if gone := !f.Exists(t, r.Ref); gone != !cancelledHere {
				t.Errorf("round %d: %s cancelled %v but gone %v", round, r.Ref, cancelledHere, gone)
			}
		}
		if first < at || first > at+deleteWorkers-1 || int(calls.Load()) != first {
			t.Errorf("round %d: %d targets attempted, %d removals, cancelled at removal %d with %d workers", round, first, calls.Load(), at, deleteWorkers)
		}
	}
}
