// Package connectortest is the conformance suite every connector must
// pass: the contract documented in package connectors, checked against a
// real source that the suite arranges through a Fixture. It is modelled on
// restic's backend test suite.
//
// A connector's tests call Run with a Harness:
//
//	func TestConformance(t *testing.T) {
//		connectortest.Run(t, connectortest.Harness{
//			New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
//				dir := t.TempDir()
//				c, err := fileshare.Open(dir, nil)
//				if err != nil {
//					t.Fatal(err)
//				}
//				return c, dirFixture(dir)
//			},
//			Pruner: true,
//		})
//	}
//
// Each check runs as a parallel subtest on its own fresh source, so New
// must return independent sources. The suite closes every connector it gets
// from New; New should register cleanup for the source only.
package connectortest

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
)

// Fixture lets the suite arrange the source behind a connector.
type Fixture interface {
	// Put creates an item at ref (a slash path like "a/b/c.txt") with
	// content and modification time; its containers are created.
	Put(t testing.TB, ref string, content []byte, modified time.Time)
	// Modify changes the item's content so that its Version changes.
	Modify(t testing.TB, ref string)
	// Remove deletes the item behind the connector's back.
	Remove(t testing.TB, ref string)
	// Exists reports whether the item exists.
	Exists(t testing.TB, ref string) bool
	// ContainerExists reports whether the container exists, for the Pruner
	// checks; it returns false where the source has no such concept.
	ContainerExists(t testing.TB, ref string) bool
}

// Harness tells the suite how to make sources and what the connector can
// do.
type Harness struct {
	// New returns a fresh, empty source's fixture and an open connector on
	// it.
	New func(t testing.TB) (connectors.Connector, Fixture)
	// Pruner says the connector implements connectors.Pruner. The suite
	// checks that the connector does exactly when Pruner is set.
	Pruner bool
	// Flat says items live exactly one level deep, in containers such as
	// mailboxes: refs are "<container>/<name>" and nothing is at the top.
	// The suite then uses samples of that shape (mailboxes of a school).
	Flat bool
	// SizeUnknown says the connector reports Size -1 for every item, as
	// it may when the system does not say (mail messages).
	SizeUnknown bool
	// Concurrent says the connector implements connectors.ConcurrentDeleter
	// with a DeleteConcurrency above 1. The suite checks that it does
	// exactly when Concurrent is set, and then deletes through concurrent
	// calls.
	Concurrent bool
	// Archiver says the connector implements connectors.Archiver. The
	// suite checks that it does exactly when Archiver is set.
	Archiver bool
	// Owners says the connector implements connectors.Owners. The suite
	// checks that it does exactly when Owners is set.
	Owners bool
	// BatchStat says the connector implements connectors.BatchStater. The
	// suite checks that it does exactly when BatchStat is set, and that
	// StatBatch answers as Stat does.
	BatchStat bool
}

// layout is the set of samples for one shape of source, and the roles the
// checks give some of them.
type layout struct {
	samples                                         []sample
	top, one, two, three, four, five, dot, nonASCII string
	prefixes                                        []string
	missing                                         []string // never existed
}

func (h Harness) layout() *layout {
	if h.Flat {
		return &flatLayout
	}
	return &treeLayout
}

// Run runs every check of the suite as a parallel subtest of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("connectortest: Harness.New is nil")
	}
	for _, c := range checks {
		if c.pruner && !h.Pruner || c.concurrent && !h.Concurrent || c.flat && !h.Flat || c.archiver && !h.Archiver || c.owners && !h.Owners || c.batchStat && !h.BatchStat {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, h)
		})
	}
}

// check is one conformance check. Checks take a testing.TB, not a
// *testing.T, so that the suite's own tests can run them against broken
// connectors and see them fail.
type check struct {
	name       string
	pruner     bool // only for connectors that implement connectors.Pruner
	concurrent bool // only for connectors whose DeleteBatch may run concurrently
	flat       bool // only for flat sources (Harness.Flat)
	archiver   bool // only for connectors that implement connectors.Archiver
	owners     bool // only for connectors that implement connectors.Owners
	batchStat  bool // only for connectors that implement connectors.BatchStater
	run        func(t testing.TB, h Harness)
}

var checks = []check{
	{name: "Location", run: testLocation},
	{name: "Capabilities", run: testCapabilities},
	{name: "ListEmpty", run: testListEmpty},
	{name: "ListAll", run: testListAll},
	{name: "ListDeterministic", run: testListDeterministic},
	{name: "Versions", run: testVersions},
	{name: "ListPrefix", run: testListPrefix},
	{name: "ListStop", run: testListStop},
	{name: "ListContainers", flat: true, run: testListContainers},
	{name: "StatMatchesList", run: testStatMatchesList},
	{name: "StatMissing", run: testStatMissing},
	{name: "StatInvalid", run: testStatInvalid},
	{name: "StatBatch", batchStat: true, run: testStatBatch},
	{name: "DeleteBatch", run: testDeleteBatch},
	{name: "DeleteAbsent", run: testDeleteAbsent},
	{name: "DeleteChanged", run: testDeleteChanged},
	{name: "DeleteMixed", run: testDeleteMixed},
	{name: "DeleteCancelled", run: testDeleteCancelled},
	{name: "DeleteEmpty", run: testDeleteEmpty},
	{name: "DeleteInvalid", run: testDeleteInvalid},
	{name: "DeleteConcurrent", concurrent: true, run: testDeleteConcurrent},
	{name: "PruneEmpty", pruner: true, run: testPruneEmpty},
	{name: "PruneKeepsNonEmpty", pruner: true, run: testPruneKeepsNonEmpty},
	{name: "PruneStopAt", pruner: true, run: testPruneStopAt},
	{name: "Archive", archiver: true, run: testArchive},
	{name: "ArchiveOutcomes", archiver: true, run: testArchiveOutcomes},
	{name: "Owner", owners: true, run: testOwner},
}

// base is the modification time of the first sample; whole seconds, so
// that sources with coarse timestamps keep it.
var base = time.Date(2021, 3, 4, 5, 6, 8, 0, time.UTC)

type sample struct {
	ref      string
	content  string
	modified time.Time
}

// The tree samples cover the top of the source, nesting, a sibling whose
// name extends another's ("ab" next to "a"), an empty file, and names with
// spaces and non-ASCII letters.
var treeLayout = layout{
	samples: []sample{
		{"top.txt", "at the top", base},
		{"a/one.txt", "one", base.Add(time.Hour)},
		{"a/b/two.txt", "", base.Add(-48 * time.Hour)},
		{"a/b/c/three.txt", "three!", base.Add(-400 * 24 * time.Hour)},
		{"a/b/c/four.txt", "four four", base.Add(17 * time.Second)},
		{"ab/five.txt", "five", base.Add(-time.Second)},
		{"a.txt", "a dot txt", base.Add(time.Minute)},
		{"Æble grød/ø ü.txt", "non-ascii", base.Add(-30 * time.Minute)},
	},
	top: "top.txt", one: "a/one.txt", two: "a/b/two.txt", three: "a/b/c/three.txt", four: "a/b/c/four.txt",
	five: "ab/five.txt", dot: "a.txt", nonASCII: "Æble grød/ø ü.txt",
	prefixes: []string{"a", "a/b", "a/b/c", "ab", "Æble grød"},
	missing:  []string{"missing.txt", "a/missing.txt", "no/such/folder/x.txt"},
}

// The flat samples are mailboxes: a container whose name extends another's
// ("bob" next to "bo"), several items per container, an empty body, and an
// id with non-ASCII letters, a space and padding.
var flatLayout = layout{
	samples: []sample{
		{"anna@skole.test/top", "at the top", base},
		{"bo@skole.test/one", "one", base.Add(time.Hour)},
		{"bo@skole.test/two", "", base.Add(-48 * time.Hour)},
		{"carl@skole.test/three", "three!", base.Add(-400 * 24 * time.Hour)},
		{"carl@skole.test/four", "four four", base.Add(17 * time.Second)},
		{"bob@skole.test/five", "five", base.Add(-time.Second)},
		{"anna@skole.test/a.txt", "a dot txt", base.Add(time.Minute)},
		{"dorte@skole.test/ø ü=", "non-ascii", base.Add(-30 * time.Minute)},
	},
	top: "anna@skole.test/top", one: "bo@skole.test/one", two: "bo@skole.test/two", three: "carl@skole.test/three",
	four: "carl@skole.test/four", five: "bob@skole.test/five", dot: "anna@skole.test/a.txt", nonASCII: "dorte@skole.test/ø ü=",
	prefixes: []string{"anna@skole.test", "bo@skole.test", "bob@skole.test", "carl@skole.test", "dorte@skole.test"},
	missing:  []string{"anna@skole.test/missing", "bo@skole.test/missing", "dorte@skole.test/x"},
}

// FlatContainers are the containers of the flat samples, which a Flat
// harness's source must hold (empty) when New returns.
var FlatContainers = []string{"anna@skole.test", "bo@skole.test", "bob@skole.test", "carl@skole.test", "dorte@skole.test"}

func (s sample) container() string { return containerOf(s.ref) }

func containerOf(ref string) string {
	if d := path.Dir(ref); d != "." {
		return d
	}
	return ""
}

// open calls h.New and closes the connector when the test ends.
func open(t testing.TB, h Harness) (connectors.Connector, Fixture) {
	t.Helper()
	c, f := h.New(t)
	if c == nil || f == nil {
		t.Fatal("Harness.New returned a nil connector or fixture")
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c, f
}

func putSamples(t testing.TB, f Fixture, l *layout) {
	t.Helper()
	for _, s := range l.samples {
		f.Put(t, s.ref, []byte(s.content), s.modified)
	}
}

func list(t testing.TB, c connectors.Connector, prefix string) []connectors.Item {
	t.Helper()
	var items []connectors.Item
	err := c.List(t.Context(), connectors.ListOptions{Prefix: prefix}, func(it connectors.Item) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		t.Fatalf("List(prefix %q): %v", prefix, err)
	}
	return items
}

func refs(items []connectors.Item) []string {
	rs := make([]string, len(items))
	for i, it := range items {
		rs[i] = it.Ref
	}
	return rs
}

func byRef(t testing.TB, items []connectors.Item) map[string]connectors.Item {
	t.Helper()
	m := make(map[string]connectors.Item, len(items))
	for _, it := range items {
		if _, dup := m[it.Ref]; dup {
			t.Errorf("%q listed more than once", it.Ref)
		}
		m[it.Ref] = it
	}
	return m
}

func targetsOf(items []connectors.Item, refs ...string) []connectors.Target {
	var ts []connectors.Target
	for _, r := range refs {
		for _, it := range items {
			if it.Ref == r {
				ts = append(ts, connectors.Target{Ref: it.Ref, Version: it.Version})
			}
		}
	}
	return ts
}

// sameItem reports how a and b differ, or "" if they do not.
func sameItem(a, b connectors.Item) string {
	var d []string
	diff := func(field string, x, y any) { d = append(d, fmt.Sprintf("%s %v != %v", field, x, y)) }
	if a.Ref != b.Ref {
		diff("Ref", a.Ref, b.Ref)
	}
	if a.Version != b.Version {
		diff("Version", a.Version, b.Version)
	}
	if a.Container != b.Container {
		diff("Container", a.Container, b.Container)
	}
	if a.Kind != b.Kind {
		diff("Kind", a.Kind, b.Kind)
	}
	if a.Size != b.Size {
		diff("Size", a.Size, b.Size)
	}
	for _, f := range []struct {
		name string
		x, y time.Time
	}{{"Modified", a.Modified, b.Modified}, {"Created", a.Created, b.Created}, {"Received", a.Received, b.Received}, {"Recorded", a.Recorded, b.Recorded}} {
		if !f.x.Equal(f.y) {
			diff(f.name, f.x, f.y)
		}
	}
	if a.RecordedFrom != b.RecordedFrom {
		diff("RecordedFrom", a.RecordedFrom, b.RecordedFrom)
	}
	if !slices.Equal(a.Labels, b.Labels) {
		diff("Labels", a.Labels, b.Labels)
	}
	return strings.Join(d, ", ")
}

func testLocation(t testing.TB, h Harness) {
	c, _ := open(t, h)
	if c.Location() == "" {
		t.Error("Location is empty")
	}
}

func testCapabilities(t testing.TB, h Harness) {
	c, _ := open(t, h)
	_, isPruner := c.(connectors.Pruner)
	if isPruner != h.Pruner {
		t.Errorf("connector implements connectors.Pruner: %v, but Harness.Pruner is %v", isPruner, h.Pruner)
	}
	if _, isOwners := c.(connectors.Owners); isOwners != h.Owners {
		t.Errorf("connector implements connectors.Owners: %v, but Harness.Owners is %v", isOwners, h.Owners)
	}
	if _, isBatchStater := c.(connectors.BatchStater); isBatchStater != h.BatchStat {
		t.Errorf("connector implements connectors.BatchStater: %v, but Harness.BatchStat is %v", isBatchStater, h.BatchStat)
	}
	if _, isArchiver := c.(connectors.Archiver); isArchiver != h.Archiver {
		t.Errorf("connector implements connectors.Archiver: %v, but Harness.Archiver is %v", isArchiver, h.Archiver)
	}
	n := 1
	if cd, ok := c.(connectors.ConcurrentDeleter); ok {
		if n = cd.DeleteConcurrency(); n < 1 {
			t.Errorf("DeleteConcurrency() = %d, want at least 1", n)
		}
	}
	if (n > 1) != h.Concurrent {
		t.Errorf("DeleteConcurrency is %d, but Harness.Concurrent is %v", n, h.Concurrent)
	}
}

func testListEmpty(t testing.TB, h Harness) {
	c, _ := open(t, h)
	err := c.List(t.Context(), connectors.ListOptions{}, func(it connectors.Item) error {
		t.Errorf("empty source listed %q", it.Ref)
		return nil
	})
	if err != nil {
		t.Errorf("List of an empty source: %v", err)
	}
}

func testListAll(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	got := byRef(t, list(t, c, ""))
	for _, s := range L.samples {
		it, ok := got[s.ref]
		if !ok {
			t.Errorf("%q not listed", s.ref)
			continue
		}
		delete(got, s.ref)
		switch {
		case h.SizeUnknown && it.Size != -1:
			t.Errorf("%q: Size %d, want -1 (Harness.SizeUnknown)", s.ref, it.Size)
		case !h.SizeUnknown && it.Size != int64(len(s.content)):
			t.Errorf("%q: Size %d, want %d", s.ref, it.Size, len(s.content))
		}
		if h.Flat && strings.Count(it.Ref, "/") != 1 {
			t.Errorf("%q: a flat source's ref must be <container>/<name>", it.Ref)
		}
		if it.Modified.Unix() != s.modified.Unix() {
			t.Errorf("%q: Modified %v, want %v", s.ref, it.Modified, s.modified)
		}
		if it.Container != s.container() {
			t.Errorf("%q: Container %q, want %q", s.ref, it.Container, s.container())
		}
		if it.Version == "" {
			t.Errorf("%q: empty Version", s.ref)
		}
	}
	for ref := range got {
		t.Errorf("listed %q, which was never put", ref)
	}
}

func testListDeterministic(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	first := refs(list(t, c, ""))
	for range 3 {
		if again := refs(list(t, c, "")); !slices.Equal(first, again) {
			t.Fatalf("two listings of an unchanged source differ:\n%q\n%q", first, again)
		}
	}
}

func testVersions(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	first := byRef(t, list(t, c, ""))
	second := byRef(t, list(t, c, ""))
	for ref, it := range first {
		if second[ref].Version != it.Version {
			t.Errorf("%q: version %q became %q without a change", ref, it.Version, second[ref].Version)
		}
	}
	changed := L.three
	f.Modify(t, changed)
	third := byRef(t, list(t, c, ""))
	for ref, it := range first {
		switch v := third[ref].Version; {
		case ref == changed && v == it.Version:
			t.Errorf("%q: version %q did not change when the item was modified", ref, v)
		case ref != changed && v != it.Version:
			t.Errorf("%q: version %q became %q when another item was modified", ref, it.Version, v)
		}
	}
}

func testListPrefix(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	for _, prefix := range L.prefixes {
		var want []string
		for _, s := range L.samples {
			if strings.HasPrefix(s.ref, prefix+"/") {
				want = append(want, s.ref)
			}
		}
		got := refs(list(t, c, prefix))
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("prefix %q listed %q, want %q", prefix, got, want)
		}
	}
}

func testListStop(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	stop := errors.New("stop listing")
	for _, at := range []int{1, 3} {
		calls := 0
		err := c.List(t.Context(), connectors.ListOptions{}, func(connectors.Item) error {
			calls++
			if calls == at {
				return stop
			}
			return nil
		})
		if err != stop || !errors.Is(err, stop) {
			t.Errorf("fn failed at item %d: List returned %v, want fn's error unwrapped", at, err)
		}
		if calls != at {
			t.Errorf("fn failed at item %d but was called %d times", at, calls)
		}
	}
}

// testListContainers checks that a flat source is listed container by
// container, each reported to ContainerDone once, after its last item and
// before the next container's first, and that Skip leaves containers out.
func testListContainers(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	var (
		order    []string // containers in the order their items came
		reported []string
	)
	err := c.List(t.Context(), connectors.ListOptions{ContainerDone: func(container string, err error) {
		if err != nil {
			t.Errorf("ContainerDone(%q) with error %v", container, err)
		}
		if len(order) == 0 || order[len(order)-1] != container || slices.Contains(reported, container) {
			t.Errorf("ContainerDone(%q) after items of %v, reported before: %v", container, order, reported)
		}
		reported = append(reported, container)
	}}, func(it connectors.Item) error {
		if n := len(order); n == 0 || order[n-1] != it.Container {
			if slices.Contains(order, it.Container) {
				t.Errorf("items of %q are not listed together", it.Container)
			}
			if n > 0 && !slices.Contains(reported, order[n-1]) {
				t.Errorf("%q listed before ContainerDone(%q)", it.Ref, order[n-1])
			}
			order = append(order, it.Container)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if !slices.Equal(order, reported) {
		t.Fatalf("containers listed %v, reported done %v", order, reported)
	}
	if len(order) < 3 {
		t.Fatalf("only %d containers listed", len(order))
	}
	skip := map[string]bool{order[0]: true, order[2]: true}
	var got, want []string
	reported = nil
	err = c.List(t.Context(), connectors.ListOptions{Skip: skip, ContainerDone: func(container string, err error) {
		reported = append(reported, container)
	}}, func(it connectors.Item) error {
		got = append(got, it.Ref)
		return nil
	})
	if err != nil {
		t.Fatalf("List with Skip: %v", err)
	}
	for _, s := range L.samples {
		if !skip[containerOf(s.ref)] {
			want = append(want, s.ref)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("with %v skipped, listed %v, want %v", skip, got, want)
	}
	for _, r := range reported {
		if skip[r] {
			t.Errorf("ContainerDone(%q) for a skipped container", r)
		}
	}
}

func testStatMatchesList(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	items := list(t, c, "")
	if len(items) == 0 {
		t.Fatal("nothing listed")
	}
	for _, it := range items {
		st, err := c.Stat(t.Context(), it.Ref)
		if err != nil {
			t.Errorf("Stat(%q): %v", it.Ref, err)
			continue
		}
		if d := sameItem(st, it); d != "" {
			t.Errorf("Stat(%q) differs from List: %s", it.Ref, d)
		}
	}
}

func testStatMissing(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	f.Remove(t, L.one)
	for _, ref := range append(slices.Clone(L.missing), L.one) {
		_, err := c.Stat(t.Context(), ref)
		if code := connectors.CodeOf(err); code != connectors.CodeNotFound || !connectors.IsNotFound(err) {
			t.Errorf("Stat(%q) of a missing item: %v (code %v), want not_found", ref, err, code)
		}
	}
}

// testOwner checks that every listed item has an owner to read (the suite
// cannot know who it is: the account that runs the tests, usually), that
// reading it leaves the item alone, and that missing and invalid refs are
// errors as for Stat.
func testOwner(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	o := c.(connectors.Owners)
	before := byRef(t, list(t, c, ""))
	for ref := range before {
		if _, err := o.Owner(t.Context(), ref); err != nil {
			t.Errorf("Owner(%q): %v", ref, err)
		}
	}
	after := byRef(t, list(t, c, ""))
	for ref, it := range before {
		if diff := sameItem(it, after[ref]); diff != "" {
			t.Errorf("%s changed when its owner was read: %s", ref, diff)
		}
	}
	f.Remove(t, L.one)
	for _, ref := range append(slices.Clone(L.missing), L.one) {
		if _, err := o.Owner(t.Context(), ref); connectors.CodeOf(err) != connectors.CodeNotFound {
			t.Errorf("Owner(%q) of a missing item: %v, want not_found", ref, err)
		}
	}
	for _, ref := range invalidRefs {
		if _, err := o.Owner(t.Context(), ref); connectors.CodeOf(err) != connectors.CodeInvalid {
			t.Errorf("Owner(%q): %v, want invalid", ref, err)
		}
	}
}

// invalidRefs are refs no connector may accept.
var invalidRefs = []string{"", "../x", "..", "/abs", "a/../../b", "a//b", "a\x00b", "a/", "./a"}

func testStatInvalid(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	for _, ref := range invalidRefs {
		_, err := c.Stat(t.Context(), ref)
		if code := connectors.CodeOf(err); code != connectors.CodeInvalid {
			t.Errorf("Stat(%q): %v (code %v), want invalid", ref, err, code)
		}
	}
}

// testStatBatch checks that StatBatch answers for every ref what Stat
// answers, in the order asked: listed items (one changed since it was
// listed), an item removed since, refs that never existed, a ref asked
// twice and invalid refs, mixed; and that an empty call answers nothing.
func testStatBatch(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	items := list(t, c, "")
	f.Remove(t, L.one)
	f.Modify(t, L.two)
	var asked []string
	for i, it := range items {
		asked = append(asked, it.Ref)
		if i < len(L.missing) {
			asked = append(asked, L.missing[i])
		}
		if i < len(invalidRefs) {
			asked = append(asked, invalidRefs[i])
		}
	}
	asked = append(asked, items[0].Ref)
	bs := c.(connectors.BatchStater)
	if rs := bs.StatBatch(t.Context(), nil); len(rs) != 0 {
		t.Errorf("StatBatch(nil) = %d results", len(rs))
	}
	rs := bs.StatBatch(t.Context(), asked)
	if len(rs) != len(asked) {
		t.Fatalf("StatBatch of %d refs: %d results", len(asked), len(rs))
	}
	for i, ref := range asked {
		st, err := c.Stat(t.Context(), ref)
		got := rs[i]
		switch {
		case err != nil || got.Err != nil:
			if connectors.CodeOf(got.Err) != connectors.CodeOf(err) {
				t.Errorf("StatBatch for %q: %v (code %v); Stat: %v (code %v)", ref, got.Err, connectors.CodeOf(got.Err), err, connectors.CodeOf(err))
			}
		default:
			if d := sameItem(got.Item, st); d != "" {
				t.Errorf("StatBatch for %q differs from Stat: %s", ref, d)
			}
		}
	}
}

// checkResults compares results with the targets and wanted outcomes.
func checkResults(t testing.TB, targets []connectors.Target, rs []connectors.Result, err error, want ...connectors.Outcome) {
	t.Helper()
	if err != nil {
		t.Fatalf("DeleteBatch: %v", err)
	}
	if len(rs) != len(targets) {
		t.Fatalf("DeleteBatch returned %d results for %d targets", len(rs), len(targets))
	}
	for i, r := range rs {
		if r.Ref != targets[i].Ref {
			t.Errorf("result %d is for %q, want %q: results must follow the targets' order", i, r.Ref, targets[i].Ref)
		}
		if r.Outcome != want[i] {
			t.Errorf("%q: outcome %v (err %v), want %v", targets[i].Ref, r.Outcome, r.Err, want[i])
		}
		switch r.Outcome {
		case connectors.OutcomeDeleted:
			if r.Method == "" {
				t.Errorf("%q: deleted without a Method", r.Ref)
			}
			fallthrough
		case connectors.OutcomeAbsent, connectors.OutcomeChanged:
			if r.Err != nil {
				t.Errorf("%q: outcome %v with error %v", r.Ref, r.Outcome, r.Err)
			}
		case connectors.OutcomeFailed, connectors.OutcomeHeld:
			if r.Err == nil {
				t.Errorf("%q: outcome %v without an error", r.Ref, r.Outcome)
			}
		}
	}
}

func testDeleteBatch(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	items := list(t, c, "")
	gone := []string{L.three, L.top, L.nonASCII}
	targets := targetsOf(items, gone...)
	rs, err := c.DeleteBatch(t.Context(), targets)
	checkResults(t, targets, rs, err, connectors.OutcomeDeleted, connectors.OutcomeDeleted, connectors.OutcomeDeleted)
	for _, ref := range gone {
		if f.Exists(t, ref) {
			t.Errorf("%q still exists", ref)
		}
		if _, err := c.Stat(t.Context(), ref); !connectors.IsNotFound(err) {
			t.Errorf("Stat(%q) after deletion: %v, want not_found", ref, err)
		}
	}
	left := refs(list(t, c, ""))
	for _, s := range L.samples {
		if slices.Contains(gone, s.ref) == slices.Contains(left, s.ref) {
			t.Errorf("%q: deleted %v, listed afterwards %v", s.ref, slices.Contains(gone, s.ref), slices.Contains(left, s.ref))
		}
		if !slices.Contains(gone, s.ref) && !f.Exists(t, s.ref) {
			t.Errorf("%q was deleted but not targeted", s.ref)
		}
	}
}

func testDeleteAbsent(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	items := list(t, c, "")
	targets := targetsOf(items, L.one)
	f.Remove(t, L.one)
	targets = append(targets,
		connectors.Target{Ref: L.missing[0], Version: targets[0].Version},
		connectors.Target{Ref: L.missing[2], Version: targets[0].Version},
	)
	rs, err := c.DeleteBatch(t.Context(), targets)
	checkResults(t, targets, rs, err, connectors.OutcomeAbsent, connectors.OutcomeAbsent, connectors.OutcomeAbsent)
	if len(list(t, c, "")) != len(L.samples)-1 {
		t.Error("deleting absent items changed the source")
	}
}

func testDeleteChanged(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	items := list(t, c, "")
	targets := targetsOf(items, L.two, L.five)
	f.Modify(t, L.two)
	targets[1].Version += "-stale"
	rs, err := c.DeleteBatch(t.Context(), targets)
	checkResults(t, targets, rs, err, connectors.OutcomeChanged, connectors.OutcomeChanged)
	for _, tg := range targets {
		if !f.Exists(t, tg.Ref) {
			t.Errorf("%q was deleted although its version differed", tg.Ref)
		}
	}
	st, err := c.Stat(t.Context(), L.two)
	if err != nil || st.Version == targets[0].Version {
		t.Errorf("Stat of the modified item: %+v, %v", st, err)
	}
}

func testDeleteMixed(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	items := list(t, c, "")
	targets := targetsOf(items, L.one, L.four, L.dot, L.five, L.top)
	f.Remove(t, L.four)
	f.Modify(t, L.dot)
	targets = slices.Insert(targets, 3, connectors.Target{Ref: "../escape", Version: "v"})
	rs, err := c.DeleteBatch(t.Context(), targets)
	checkResults(t, targets, rs, err,
		connectors.OutcomeDeleted, connectors.OutcomeAbsent, connectors.OutcomeChanged,
		connectors.OutcomeFailed, connectors.OutcomeDeleted, connectors.OutcomeDeleted)
	for ref, want := range map[string]bool{L.one: false, L.dot: true, L.five: false, L.top: false, L.two: true} {
		if f.Exists(t, ref) != want {
			t.Errorf("%q exists: %v, want %v", ref, !want, want)
		}
	}
}

func testDeleteCancelled(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	items := list(t, c, "")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	targets := targetsOf(items, L.top, L.one, L.two)
	rs, err := c.DeleteBatch(ctx, targets)
	checkResults(t, targets, rs, err, connectors.OutcomeFailed, connectors.OutcomeFailed, connectors.OutcomeFailed)
	for i, r := range rs {
		if code := connectors.CodeOf(r.Err); code != connectors.CodeCancelled {
			t.Errorf("%q: error %v (code %v), want cancelled", r.Ref, r.Err, code)
		}
		if !f.Exists(t, targets[i].Ref) {
			t.Errorf("%q deleted under a cancelled context", targets[i].Ref)
		}
	}
}

func testDeleteEmpty(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	for _, targets := range [][]connectors.Target{nil, {}} {
		rs, err := c.DeleteBatch(t.Context(), targets)
		if err != nil || len(rs) != 0 {
			t.Errorf("DeleteBatch(%#v) = %v, %v; want no results and no error", targets, rs, err)
		}
	}
	if n := len(list(t, c, "")); n != len(L.samples) {
		t.Errorf("an empty batch changed the source: %d items, want %d", n, len(L.samples))
	}
}

func testDeleteInvalid(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	items := list(t, c, "")
	var targets []connectors.Target
	var want []connectors.Outcome
	for _, ref := range invalidRefs {
		targets = append(targets, connectors.Target{Ref: ref, Version: items[0].Version})
		want = append(want, connectors.OutcomeFailed)
	}
	targets = append(targets, targetsOf(items, L.top)...)
	want = append(want, connectors.OutcomeDeleted)
	rs, err := c.DeleteBatch(t.Context(), targets)
	checkResults(t, targets, rs, err, want...)
	for _, r := range rs[:len(invalidRefs)] {
		if code := connectors.CodeOf(r.Err); code != connectors.CodeInvalid {
			t.Errorf("%q: error %v (code %v), want invalid", r.Ref, r.Err, code)
		}
	}
	if n := len(list(t, c, "")); n != len(L.samples)-1 {
		t.Errorf("%d items left, want %d", n, len(L.samples)-1)
	}
}

// testDeleteConcurrent deletes every sample in a call of its own, with
// as many calls in flight as the connector allows, all started together:
// each call must report on its own targets only, check their versions,
// and delete exactly them.
func testDeleteConcurrent(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	items := list(t, c, "")
	f.Modify(t, L.four)
	f.Remove(t, L.two)
	n := c.(connectors.ConcurrentDeleter).DeleteConcurrency()
	type call struct {
		target connectors.Target
		rs     []connectors.Result
		err    error
	}
	calls := make([]call, len(L.samples))
	for i, s := range L.samples {
		calls[i].target = targetsOf(items, s.ref)[0]
	}
	start := make(chan struct{})
	slots := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			slots <- struct{}{}
			defer func() { <-slots }()
			calls[i].rs, calls[i].err = c.DeleteBatch(t.Context(), []connectors.Target{calls[i].target})
		}()
	}
	close(start)
	wg.Wait()
	for _, cl := range calls {
		want := connectors.OutcomeDeleted
		switch cl.target.Ref {
		case L.four:
			want = connectors.OutcomeChanged
		case L.two:
			want = connectors.OutcomeAbsent
		}
		checkResults(t, []connectors.Target{cl.target}, cl.rs, cl.err, want)
		if exists := f.Exists(t, cl.target.Ref); exists != (cl.target.Ref == L.four) {
			t.Errorf("%q exists after the concurrent deletions: %v", cl.target.Ref, exists)
		}
	}
}

// deleteAll deletes every item listed under prefix, failing the test if
// any is not deleted.
func deleteAll(t testing.TB, c connectors.Connector, prefix string) {
	t.Helper()
	items := list(t, c, prefix)
	targets := targetsOf(items, refs(items)...)
	rs, err := c.DeleteBatch(t.Context(), targets)
	want := make([]connectors.Outcome, len(targets))
	for i := range want {
		want[i] = connectors.OutcomeDeleted
	}
	checkResults(t, targets, rs, err, want...)
}

func pruner(t testing.TB, c connectors.Connector) connectors.Pruner {
	t.Helper()
	p, ok := c.(connectors.Pruner)
	if !ok {
		t.Fatal("Harness.Pruner is set but the connector does not implement connectors.Pruner")
	}
	return p
}

func prune(t testing.TB, p connectors.Pruner, containers []string, stopAt string, want ...string) {
	t.Helper()
	removed, err := p.PruneEmpty(t.Context(), containers, stopAt)
	if err != nil {
		t.Errorf("PruneEmpty(%q, %q): %v", containers, stopAt, err)
	}
	if !slices.Equal(removed, want) {
		t.Errorf("PruneEmpty(%q, %q) removed %q, want %q (deepest first)", containers, stopAt, removed, want)
	}
}

func wantContainers(t testing.TB, f Fixture, exist map[string]bool) {
	t.Helper()
	for ref, want := range exist {
		if got := f.ContainerExists(t, ref); got != want {
			t.Errorf("container %q exists: %v, want %v", ref, got, want)
		}
	}
}

func testPruneEmpty(t testing.TB, h Harness) {
	c, f := open(t, h)
	p := pruner(t, c)
	L := h.layout()
	putSamples(t, f, L)
	wantContainers(t, f, map[string]bool{"a/b/c": true})
	deleteAll(t, c, "a/b/c")
	f.Remove(t, "a/b/two.txt")
	prune(t, p, []string{"a/b/c"}, "a", "a/b/c", "a/b")
	wantContainers(t, f, map[string]bool{"a/b/c": false, "a/b": false, "a": true})
	if !f.Exists(t, "a/one.txt") {
		t.Error("a/one.txt is gone")
	}
}

func testPruneKeepsNonEmpty(t testing.TB, h Harness) {
	c, f := open(t, h)
	p := pruner(t, c)
	L := h.layout()
	putSamples(t, f, L)
	f.Put(t, "a/b/d/other.txt", []byte("other"), base)
	deleteAll(t, c, "a/b/c")
	// a/b/c is empty, a/b/d is not, and a/b still holds two.txt.
	prune(t, p, []string{"a/b/c", "a/b/d", "a/b/c", "a/b", "not/there"}, "", "a/b/c")
	wantContainers(t, f, map[string]bool{"a/b/c": false, "a/b/d": true, "a/b": true, "a": true})
	for _, ref := range []string{"a/b/d/other.txt", "a/b/two.txt", "a/one.txt"} {
		if !f.Exists(t, ref) {
			t.Errorf("%q is gone", ref)
		}
	}
}

func testPruneStopAt(t testing.TB, h Harness) {
	c, f := open(t, h)
	p := pruner(t, c)
	f.Put(t, "x/y/z.txt", []byte("z"), base)
	f.Put(t, "keep.txt", []byte("keep"), base)
	deleteAll(t, c, "x")
	prune(t, p, []string{"x/y"}, "x/y")
	wantContainers(t, f, map[string]bool{"x/y": true, "x": true})
	prune(t, p, []string{"x/y"}, "x", "x/y")
	wantContainers(t, f, map[string]bool{"x/y": false, "x": true})
	prune(t, p, []string{"x"}, "", "x")
	wantContainers(t, f, map[string]bool{"x": false})
	if !f.Exists(t, "keep.txt") {
		t.Error("keep.txt is gone")
	}
}

// archiveDest is the archive folder the Archiver checks move items to.
const archiveDest = "Arkiv"

func archiver(t testing.TB, c connectors.Connector) connectors.Archiver {
	t.Helper()
	a, ok := c.(connectors.Archiver)
	if !ok {
		t.Fatal("Harness.Archiver is set but the connector does not implement connectors.Archiver")
	}
	return a
}

func checkArchived(t testing.TB, targets []connectors.Target, rs []connectors.Result, err error, want ...connectors.Outcome) {
	t.Helper()
	if err != nil {
		t.Fatalf("Archive: %v", err)
	}
	if len(rs) != len(targets) {
		t.Fatalf("Archive returned %d results for %d targets", len(rs), len(targets))
	}
	for i, r := range rs {
		if r.Ref != targets[i].Ref || r.Outcome != want[i] {
			t.Errorf("result %d: %q %v (err %v), want %q %v", i, r.Ref, r.Outcome, r.Err, targets[i].Ref, want[i])
		}
		if r.Outcome == connectors.OutcomeArchived && r.Method != "archive" {
			t.Errorf("%q: archived with method %q", r.Ref, r.Method)
		}
		if (r.Outcome == connectors.OutcomeFailed) != (r.Err != nil) {
			t.Errorf("%q: outcome %v with error %v", r.Ref, r.Outcome, r.Err)
		}
	}
}

func testArchive(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	items := list(t, c, "")
	moved := []string{L.three, L.top}
	targets := targetsOf(items, moved...)
	a := archiver(t, c)
	rs, err := a.Archive(t.Context(), targets, archiveDest)
	checkArchived(t, targets, rs, err, connectors.OutcomeArchived, connectors.OutcomeArchived)
	for _, ref := range moved {
		if f.Exists(t, ref) {
			t.Errorf("%q is still in place", ref)
		}
		if !f.Exists(t, archiveDest+"/"+ref) {
			t.Errorf("%q is not in the archive", ref)
		}
	}
	// The archive copy keeps the item's version: an interrupted run that
	// moves it again finds it done.
	for _, it := range list(t, c, archiveDest) {
		for _, tg := range targets {
			if it.Ref == archiveDest+"/"+tg.Ref && it.Version != tg.Version {
				t.Errorf("%q: archived version %q, was %q", tg.Ref, it.Version, tg.Version)
			}
		}
	}
	rs, err = a.Archive(t.Context(), targets, archiveDest)
	checkArchived(t, targets, rs, err, connectors.OutcomeArchived, connectors.OutcomeArchived)
	if n := len(list(t, c, "")); n != len(L.samples) {
		t.Errorf("after archiving the source lists %d items, want %d", n, len(L.samples))
	}
	if _, err := a.Archive(t.Context(), targets, "../outside"); connectors.CodeOf(err) != connectors.CodeInvalid {
		t.Errorf("archive folder outside the source: %v, want invalid", err)
	}
}

func testArchiveOutcomes(t testing.TB, h Harness) {
	c, f := open(t, h)
	L := h.layout()
	putSamples(t, f, L)
	items := list(t, c, "")
	targets := targetsOf(items, L.one, L.two, L.three, L.four)
	f.Remove(t, L.one)
	f.Modify(t, L.two)
	// Another file already has L.four's name in the archive.
	f.Put(t, archiveDest+"/"+L.four, []byte("another file"), base)
	targets = append(targets, connectors.Target{Ref: L.missing[0], Version: targets[0].Version})
	rs, err := archiver(t, c).Archive(t.Context(), targets, archiveDest)
	checkArchived(t, targets, rs, err, connectors.OutcomeAbsent, connectors.OutcomeChanged, connectors.OutcomeArchived,
		connectors.OutcomeFailed, connectors.OutcomeAbsent)
	if code := connectors.CodeOf(rs[3].Err); code != connectors.CodeConflict {
		t.Errorf("archive name taken: code %v, want conflict", code)
	}
	if !f.Exists(t, L.two) || !f.Exists(t, L.four) {
		t.Error("a changed or conflicting item was moved")
	}
}
