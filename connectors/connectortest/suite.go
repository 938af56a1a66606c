// Package connectortest is the conformance suite every connector passes:
// the contract in package connectors, checked against a real source.
package connectortest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
)

// Fixture arranges the source behind a connector.
type Fixture interface {
	// Put creates an item at ref with content and modification time,
	// creating its containers.
	Put(t testing.TB, ref string, content []byte, modified time.Time)
	// Modify changes an item so that its version changes.
	Modify(t testing.TB, ref string)
	// Remove deletes an item behind the connector's back.
	Remove(t testing.TB, ref string)
	// Exists reports whether the item exists.
	Exists(t testing.TB, ref string) bool
	// ContainerExists reports whether the container exists.
	ContainerExists(t testing.TB, ref string) bool
}

// Harness tells the suite how to make sources.
type Harness struct {
	// New returns an open connector on a fresh, empty source and its fixture.
	New func(t testing.TB) (connectors.Connector, Fixture)
	// Pruner says the connector implements connectors.Pruner.
	Pruner bool
	// InvalidRefs are refs the connector must refuse with CodeInvalid; the
	// suite adds a few every connector must refuse.
	InvalidRefs []string
}

var base = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	t.Run("EmptySource", func(t *testing.T) { testEmpty(t, h) })
	t.Run("ListAll", func(t *testing.T) { testListAll(t, h) })
	t.Run("VersionChanges", func(t *testing.T) { testVersion(t, h) })
	t.Run("Prefix", func(t *testing.T) { testPrefix(t, h) })
	t.Run("CallbackError", func(t *testing.T) { testCallbackError(t, h) })
	t.Run("Stat", func(t *testing.T) { testStat(t, h) })
	t.Run("InvalidRefs", func(t *testing.T) { testInvalid(t, h) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, h) })
	t.Run("DeleteCancelled", func(t *testing.T) { testCancelled(t, h) })
	if h.Pruner {
		t.Run("PruneEmpty", func(t *testing.T) { testPrune(t, h) })
	}
}

func list(t testing.TB, c connectors.Connector, prefix string) []connectors.Item {
	t.Helper()
	var items []connectors.Item
	if err := c.List(context.Background(), connectors.ListOptions{Prefix: prefix}, func(it connectors.Item) error {
		items = append(items, it)
		return nil
	}); err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return items
}

func refs(items []connectors.Item) []string {
	var rs []string
	for _, it := range items {
		rs = append(rs, it.Ref)
	}
	return rs
}

func testEmpty(t *testing.T, h Harness) {
	c, _ := h.New(t)
	if items := list(t, c, ""); len(items) != 0 {
		t.Fatalf("empty source listed %v", refs(items))
	}
}

var tree = []string{"a.txt", "b/c.txt", "b/d/e.txt", "b/d/f.txt", "g/h.txt", "Æble/ø.txt"}

func put(t testing.TB, f Fixture, refs ...string) {
	for i, r := range refs {
		f.Put(t, r, []byte("content of "+r), base.Add(time.Duration(i)*time.Hour))
	}
}

func testListAll(t *testing.T, h Harness) {
	c, f := h.New(t)
	put(t, f, tree...)
	first := list(t, c, "")
	got := refs(first)
	want := slices.Clone(tree)
	slices.Sort(want)
	sorted := slices.Clone(got)
	slices.Sort(sorted)
	if !slices.Equal(sorted, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	second := list(t, c, "")
	if !slices.EqualFunc(first, second, func(a, b connectors.Item) bool { return a.Ref == b.Ref && a.Version == b.Version }) {
		t.Fatalf("two listings of an unchanged source differ:\n%v\n%v", first, second)
	}
	for i, it := range first {
		idx := slices.Index(tree, it.Ref)
		if it.Version == "" {
			t.Errorf("%s: empty version", it.Ref)
		}
		if it.Size != int64(len("content of "+it.Ref)) {
			t.Errorf("%s: size %d", it.Ref, it.Size)
		}
		if wantT := base.Add(time.Duration(idx) * time.Hour); !it.Modified.Truncate(time.Second).Equal(wantT) {
			t.Errorf("%s: modified %v, want %v", it.Ref, it.Modified, wantT)
		}
		wantC := ""
		if j := lastSlash(it.Ref); j >= 0 {
			wantC = it.Ref[:j]
		}
		if it.Container != wantC {
			t.Errorf("%s: container %q, want %q", it.Ref, it.Container, wantC)
		}
		_ = i
	}
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

func testVersion(t *testing.T, h Harness) {
	c, f := h.New(t)
	put(t, f, "x/y.txt", "z.txt")
	before, err := c.Stat(context.Background(), "x/y.txt")
	if err != nil {
		t.Fatal(err)
	}
	f.Modify(t, "x/y.txt")
	after, err := c.Stat(context.Background(), "x/y.txt")
	if err != nil {
		t.Fatal(err)
	}
	if before.Version == after.Version {
		t.Fatalf("version %q did not change when the item was modified", before.Version)
	}
	other, _ := c.Stat(context.Background(), "z.txt")
	if other.Version == after.Version {
		t.Fatalf("two items share version %q", other.Version)
	}
}

func testPrefix(t *testing.T, h Harness) {
	c, f := h.New(t)
	put(t, f, tree...)
	got := refs(list(t, c, "b/d"))
	slices.Sort(got)
	if want := []string{"b/d/e.txt", "b/d/f.txt"}; !slices.Equal(got, want) {
		t.Fatalf("prefix b/d listed %v, want %v", got, want)
	}
}

func testCallbackError(t *testing.T, h Harness) {
	c, f := h.New(t)
	put(t, f, tree...)
	stop := errors.New("stop here")
	n := 0
	err := c.List(context.Background(), connectors.ListOptions{}, func(connectors.Item) error {
		n++
		return stop
	})
	if err != stop {
		t.Fatalf("List returned %v, want the callback's error unwrapped", err)
	}
	if n != 1 {
		t.Fatalf("callback called %d times after returning an error", n)
	}
}

func testStat(t *testing.T, h Harness) {
	c, f := h.New(t)
	put(t, f, tree...)
	for _, it := range list(t, c, "") {
		st, err := c.Stat(context.Background(), it.Ref)
		if err != nil {
			t.Fatalf("Stat(%q): %v", it.Ref, err)
		}
		if st.Ref != it.Ref || st.Version != it.Version || st.Size != it.Size || st.Container != it.Container {
			t.Errorf("Stat(%q) = %+v, List gave %+v", it.Ref, st, it)
		}
	}
	_, err := c.Stat(context.Background(), "no/such.txt")
	if code := connectors.CodeOf(err); code != connectors.CodeNotFound {
		t.Fatalf("Stat of a missing item: %v (code %v), want not_found", err, code)
	}
}

func testInvalid(t *testing.T, h Harness) {
	c, f := h.New(t)
	put(t, f, "a.txt")
	for _, ref := range append([]string{"", "../x", "a/../../b", "a//b", "a\x00b", "/abs"}, h.InvalidRefs...) {
		if _, err := c.Stat(context.Background(), ref); connectors.CodeOf(err) != connectors.CodeInvalid {
			t.Errorf("Stat(%q) = %v, want an invalid-ref error", ref, err)
		}
		rs, err := c.DeleteBatch(context.Background(), []connectors.Target{{Ref: ref, Version: "v"}})
		if err != nil {
			t.Fatalf("DeleteBatch(%q): %v", ref, err)
		}
		if rs[0].Outcome == connectors.OutcomeDeleted {
			t.Errorf("DeleteBatch(%q) deleted something", ref)
		}
	}
	if !f.Exists(t, "a.txt") {
		t.Fatal("an invalid ref deleted a.txt")
	}
}

func testDelete(t *testing.T, h Harness) {
	c, f := h.New(t)
	put(t, f, tree...)
	v := map[string]string{}
	for _, it := range list(t, c, "") {
		v[it.Ref] = it.Version
	}
	f.Remove(t, "g/h.txt")
	rs, err := c.DeleteBatch(context.Background(), nil)
	if err != nil || len(rs) != 0 {
		t.Fatalf("empty batch: %v, %v", rs, err)
	}
	targets := []connectors.Target{
		{Ref: "b/c.txt", Version: v["b/c.txt"]},
		{Ref: "g/h.txt", Version: v["g/h.txt"]},
		{Ref: "a.txt", Version: v["a.txt"] + "-stale"},
		{Ref: "b/d/e.txt", Version: v["b/d/e.txt"]},
	}
	rs, err = c.DeleteBatch(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	want := []connectors.Outcome{connectors.OutcomeDeleted, connectors.OutcomeAbsent, connectors.OutcomeChanged, connectors.OutcomeDeleted}
	if len(rs) != len(targets) {
		t.Fatalf("%d results for %d targets", len(rs), len(targets))
	}
	for i, r := range rs {
		if r.Ref != targets[i].Ref || r.Outcome != want[i] {
			t.Errorf("result %d = %s %v (%v), want %s %v", i, r.Ref, r.Outcome, r.Err, targets[i].Ref, want[i])
		}
	}
	for ref, exists := range map[string]bool{"b/c.txt": false, "b/d/e.txt": false, "a.txt": true, "b/d/f.txt": true} {
		if f.Exists(t, ref) != exists {
			t.Errorf("after delete: %s exists=%v, want %v", ref, !exists, exists)
		}
	}
	if rs[0].Method == "" {
		t.Errorf("deleted without saying how (Method)")
	}
}

func testCancelled(t *testing.T, h Harness) {
	c, f := h.New(t)
	put(t, f, "a.txt", "b.txt")
	items := list(t, c, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var targets []connectors.Target
	for _, it := range items {
		targets = append(targets, connectors.Target{Ref: it.Ref, Version: it.Version})
	}
	rs, err := c.DeleteBatch(ctx, targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Outcome != connectors.OutcomeFailed || connectors.CodeOf(r.Err) != connectors.CodeCancelled {
			t.Errorf("%s: %v %v, want failed/cancelled", r.Ref, r.Outcome, r.Err)
		}
		if !f.Exists(t, r.Ref) {
			t.Errorf("%s deleted under a cancelled context", r.Ref)
		}
	}
}

func testPrune(t *testing.T, h Harness) {
	c, f := h.New(t)
	put(t, f, "a/b/c/x.txt", "a/b/c/y.txt", "a/keep/z.txt")
	pr := c.(connectors.Pruner)
	var targets []connectors.Target
	for _, it := range list(t, c, "a/b") {
		targets = append(targets, connectors.Target{Ref: it.Ref, Version: it.Version})
	}
	if _, err := c.DeleteBatch(context.Background(), targets); err != nil {
		t.Fatal(err)
	}
	removed, err := pr.PruneEmpty(context.Background(), []string{"a/b/c", "a/keep"}, "a")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a/b/c", "a/b"}; !slices.Equal(removed, want) {
		t.Fatalf("removed %v, want %v", removed, want)
	}
	if f.ContainerExists(t, "a/b") || !f.ContainerExists(t, "a") || !f.ContainerExists(t, "a/keep") {
		t.Fatal("wrong containers removed")
	}
	// stopAt itself is never removed, even when empty.
	f.Remove(t, "a/keep/z.txt")
	removed, err = pr.PruneEmpty(context.Background(), []string{"a/keep"}, "a/keep")
	if err != nil || len(removed) != 0 || !f.ContainerExists(t, "a/keep") {
		t.Fatalf("pruned stopAt: %v %v", removed, err)
	}
}
