package fileshare

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
)

// randomTree writes a tree of folders (up to four deep, some empty, some
// larger than a lookup window) with files, links and names that are no
// valid ref (skipped) between them.
func randomTree(t *testing.T, f fixture, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	var dir func(ref string, depth int)
	dir = func(ref string, depth int) {
		if err := os.MkdirAll(filepath.Join(f.Dir, filepath.FromSlash(ref)), 0o755); err != nil {
			t.Fatal(err)
		}
		n := rng.IntN(12)
		if rng.IntN(20) == 0 {
			n = statWindow + rng.IntN(100)
		}
		for i := range n {
			f.Put(t, joinRef(ref, fmt.Sprintf("f%03d.txt", i)), []byte{byte(i)}, when.Add(time.Duration(rng.IntN(1000))*time.Hour))
		}
		if rng.IntN(8) == 0 {
			if err := os.Symlink("f000.txt", filepath.Join(f.Dir, filepath.FromSlash(ref), "l.link")); err != nil {
				t.Fatal(err)
			}
		}
		if rng.IntN(10) == 0 && runtime.GOOS != "windows" {
			bad := joinRef(ref, `back\slash`)
			f.Put(t, joinRef(bad, "in.txt"), []byte("x"), when)
		}
		if depth == 4 {
			return
		}
		for i := range rng.IntN(6) {
			dir(joinRef(ref, fmt.Sprintf("d%02d", i)), depth+1)
		}
	}
	dir("top", 0)
}

// listed is a listing as fn saw it, and its skipped refs.
type listed struct {
	items   []string
	skipped []string
}

func listWith(t *testing.T, c *Conn, helpers, ahead int) listed {
	t.Helper()
	c.helpers, c.ahead = helpers, ahead
	var l listed
	err := c.List(t.Context(), connectors.ListOptions{}, func(it connectors.Item) error {
		l.items = append(l.items, it.Ref+" "+it.Version)
		return nil
	})
	var inc *connectors.IncompleteError
	if errors.As(err, &inc) {
		for _, s := range inc.Skipped {
			var ce *connectors.Error
			if !errors.As(s, &ce) {
				t.Fatalf("skipped %v: not a *connectors.Error", s)
			}
			l.skipped = append(l.skipped, ce.Ref)
		}
	} else if err != nil {
		t.Fatal(err)
	}
	return l
}

// The walk split into runs (helpers walking folders ahead, the budget
// small enough that they wait for it, or large) lists what one walker
// lists, in the same order, and skips the same parts in the same order.
func TestListInRunsAsOneWalker(t *testing.T) {
	var helped int64
	defer func() {
		// Only walkFD hands folders to helpers, and a helper takes one
		// only if it runs before the walker comes to it: on one core the
		// walker may have walked them all.
		t.Logf("folders walked by helpers: %d", helped)
		if helped == 0 && runtime.GOOS == "linux" && runtime.GOMAXPROCS(0) > 1 && !t.Failed() {
			t.Error("no helper walked a folder: the runs were not tested")
		}
	}()
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			c, f, logs := openTest(t)
			randomTree(t, f, seed)
			want := listWith(t, c, 0, listAhead)
			if len(want.items) == 0 {
				t.Fatal("the tree lists nothing")
			}
			for _, tc := range []struct{ helpers, ahead int }{{1, 1}, {3, 1}, {1, 2}, {3, listAhead}, {2, 8}} {
				for range 3 {
					got := listWith(t, c, tc.helpers, tc.ahead)
					if !slices.Equal(got.items, want.items) {
						i := 0
						for i < min(len(got.items), len(want.items)) && got.items[i] == want.items[i] {
							i++
						}
						t.Fatalf("helpers %d, ahead %d: listed %d items, want %d; first difference at %d: %q, want %q",
							tc.helpers, tc.ahead, len(got.items), len(want.items), i, at(got.items, i), at(want.items, i))
					}
					if !slices.Equal(got.skipped, want.skipped) {
						t.Fatalf("helpers %d, ahead %d: skipped %q, want %q", tc.helpers, tc.ahead, got.skipped, want.skipped)
					}
				}
			}
			for _, e := range logs.FilterMessage("listed").All() {
				helped += e.ContextMap()["folders_walked_by_helpers"].(int64)
			}
		})
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(end)"
}

// A listing that stops early, because fn fails or ctx ends, at any point
// of a walk split into runs, returns why, leaves no goroutine behind and
// closes every folder it opened.
func TestListInRunsStopsEarly(t *testing.T) {
	c, f, _ := openTest(t)
	randomTree(t, f, 11)
	all := listWith(t, c, 0, listAhead)
	fds := openFDs(t)
	goroutines := runtime.NumGoroutine()
	stop := errors.New("stop")
	for _, n := range []int{1, 2, listBatch, listBatch + 1, len(all.items) / 3, len(all.items) - 1} {
		for _, tc := range []struct{ helpers, ahead int }{{1, 1}, {3, 2}, {3, listAhead}} {
			c.helpers, c.ahead = tc.helpers, tc.ahead
			seen := 0
			err := c.List(t.Context(), connectors.ListOptions{}, func(connectors.Item) error {
				if seen++; seen == n {
					return stop
				}
				return nil
			})
			if err != stop || seen != n {
				t.Fatalf("fn failing at item %d (helpers %d, ahead %d): %v after %d items", n, tc.helpers, tc.ahead, err, seen)
			}
			ctx, cancel := context.WithCancel(t.Context())
			seen = 0
			err = c.List(ctx, connectors.ListOptions{}, func(connectors.Item) error {
				if seen++; seen == n {
					cancel()
				}
				return nil
			})
			cancel()
			if code(err) != connectors.CodeCancelled || seen != n {
				t.Fatalf("ctx ending at item %d (helpers %d, ahead %d): %v after %d items", n, tc.helpers, tc.ahead, err, seen)
			}
		}
	}
	if got := openFDs(t); got != fds && fds >= 0 {
		t.Fatalf("%d descriptors open after the listings, %d before", got, fds)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > goroutines {
		t.Fatalf("%d goroutines after the listings, %d before", got, goroutines)
	}
}

// openFDs counts this process's open descriptors, or returns -1 where
// /proc/self/fd does not tell.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// descends says of an entry exactly what look decides: offerNext hands
// to a helper only a folder the walk would enter.
func TestDescendsAsLook(t *testing.T) {
	c, f, _ := openTest(t)
	c.exclude = map[string]struct{}{"excluded": {}}
	f.Put(t, "file.txt", []byte("x"), when)
	names := []string{"folder", "excluded"}
	if runtime.GOOS != "windows" {
		names = append(names, `back\slash`) // no valid ref: skipped
	}
	for _, d := range names {
		if err := os.Mkdir(filepath.Join(f.Dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("folder", filepath.Join(f.Dir, "link")); err != nil {
		t.Fatal(err)
	}
	w := &walker{shared: &shared{c: c, ctx: t.Context()}}
	st := w.openStat(c.root)
	defer st.close()
	for _, name := range []string{"file.txt", "folder", "excluded", `back\slash`, "link", "missing"} {
		var e entry
		st.lstat(name, &e)
		e2 := e
		descend, err := w.look("", name, &e2)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.descends(name, &e); got != descend {
			t.Errorf("%q: descends %v, look %v", name, got, descend)
		}
	}
}
