package memory_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/connectortest"
	"github.com/retentiond/retentiond/connectors/memory"
)

type fixture struct{ s *memory.Source }

func (f fixture) Put(t testing.TB, ref string, content []byte, modified time.Time) {
	f.s.Put(ref, content, modified)
}
func (f fixture) Modify(t testing.TB, ref string)               { f.s.Modify(ref) }
func (f fixture) Remove(t testing.TB, ref string)               { f.s.Remove(ref) }
func (f fixture) Exists(t testing.TB, ref string) bool          { return f.s.Exists(ref) }
func (f fixture) ContainerExists(t testing.TB, ref string) bool { return f.s.ContainerExists(ref) }

func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{
		New: func(t testing.TB) (connectors.Connector, connectortest.Fixture) {
			s := memory.New(t.Name())
			return s.Connector(), fixture{s}
		},
		Pruner:   true,
		Archiver: true,
		Owners:   true,
	})
}

var when = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func list(t *testing.T, c connectors.Connector, prefix string) []connectors.Item {
	t.Helper()
	var items []connectors.Item
	err := c.List(t.Context(), connectors.ListOptions{Prefix: prefix}, func(it connectors.Item) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return items
}

func TestPutItem(t *testing.T) {
	s := memory.New("src")
	s.PutItem(connectors.Item{Ref: "Inbox/m1", Kind: connectors.KindMessage, Size: -1, Received: when, Labels: []string{"cpr"}})
	s.PutItem(connectors.Item{Ref: "rec/r1.wav", Recorded: when, RecordedFrom: "from the file name", Version: "etag-1"})
	s.PutItem(connectors.Item{Ref: "m2", Container: "Archive/2019"})
	if s.Len() != 3 || !s.Exists("m2") || s.Exists("Inbox") {
		t.Fatalf("Len %d", s.Len())
	}
	for _, c := range []string{"Inbox", "rec", "Archive", "Archive/2019", ""} {
		if !s.ContainerExists(c) {
			t.Errorf("container %q missing", c)
		}
	}
	c := s.Connector()
	defer c.Close()
	m1, err := c.Stat(t.Context(), "Inbox/m1")
	if err != nil {
		t.Fatal(err)
	}
	if m1.Container != "Inbox" || m1.Kind != connectors.KindMessage || m1.Size != -1 || !m1.Received.Equal(when) ||
		!slices.Equal(m1.Labels, []string{"cpr"}) || m1.Version == "" {
		t.Fatalf("m1 = %+v", m1)
	}
	m1.Labels[0] = "changed by the caller"
	if again, _ := c.Stat(t.Context(), "Inbox/m1"); again.Labels[0] != "cpr" {
		t.Fatal("a caller changed the source's labels")
	}
	r1, _ := c.Stat(t.Context(), "rec/r1.wav")
	if r1.Version != "etag-1" || r1.RecordedFrom != "from the file name" || r1.Kind != "" {
		t.Fatalf("r1 = %+v", r1)
	}
	// Prefix follows the container, not the ref.
	if got := list(t, c, "Archive"); len(got) != 1 || got[0].Ref != "m2" {
		t.Fatalf("prefix Archive listed %+v", got)
	}
	v := r1.Version
	s.Modify("rec/r1.wav")
	if r1, _ = c.Stat(t.Context(), "rec/r1.wav"); r1.Version == v || r1.Size != 1 {
		t.Fatalf("after Modify: %+v", r1)
	}
}

func TestPutItemPanicsOnMalformedRef(t *testing.T) {
	for _, it := range []connectors.Item{{Ref: "../x"}, {Ref: ""}, {Ref: "a", Container: "/abs"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("PutItem(%+v) did not panic", it)
				}
			}()
			memory.New("src").PutItem(it)
		}()
	}
}

func TestListFault(t *testing.T) {
	s := memory.New("src")
	s.Put("a.txt", nil, when)
	c := s.Connector()
	unreachable := errors.New("share unreachable")
	s.SetFaults(memory.Faults{List: func() error { return unreachable }})
	called := false
	err := c.List(t.Context(), connectors.ListOptions{}, func(connectors.Item) error { called = true; return nil })
	if !errors.Is(err, unreachable) || connectors.CodeOf(err) != connectors.CodeUnavailable || called {
		t.Fatalf("List = %v (code %v), called %v", err, connectors.CodeOf(err), called)
	}
	denied := connectors.Errorf(connectors.CodePermission, "list", "", errors.New("access denied"))
	s.SetFaults(memory.Faults{List: func() error { return denied }})
	if err := c.List(t.Context(), connectors.ListOptions{}, func(connectors.Item) error { return nil }); err != denied {
		t.Fatalf("List = %v, want the classified fault unchanged", err)
	}
	s.SetFaults(memory.Faults{})
	if got := list(t, c, ""); len(got) != 1 {
		t.Fatalf("listed %v after clearing faults", got)
	}
}

func TestStatFault(t *testing.T) {
	s := memory.New("src")
	s.Put("a.txt", nil, when)
	s.SetFaults(memory.Faults{Stat: func(ref string) error { return fmt.Errorf("stat of %s timed out", ref) }})
	_, err := s.Connector().Stat(t.Context(), "a.txt")
	if connectors.CodeOf(err) != connectors.CodeIO {
		t.Fatalf("Stat = %v, want io_error", err)
	}
}

func versions(t *testing.T, c connectors.Connector) []connectors.Target {
	t.Helper()
	var ts []connectors.Target
	for _, it := range list(t, c, "") {
		ts = append(ts, connectors.Target{Ref: it.Ref, Version: it.Version})
	}
	return ts
}

func TestDeleteFaults(t *testing.T) {
	s := memory.New("src")
	for _, ref := range []string{"a", "b", "c", "d"} {
		s.Put(ref, nil, when)
	}
	c := s.Connector()
	targets := versions(t, c)
	held := connectors.Errorf(connectors.CodeHeld, "delete", "c", errors.New("litigation hold"))
	var before, after []string
	s.SetFaults(memory.Faults{
		BeforeDelete: func(ref string) error {
			before = append(before, ref)
			switch ref {
			case "b":
				return errors.New("disk on fire")
			case "c":
				return held
			case "d":
				s.Modify("d") // a user saves the file just before it goes
			}
			return nil
		},
		AfterDelete: func(ref string) { after = append(after, ref) },
	})
	rs, err := c.DeleteBatch(t.Context(), append(targets, connectors.Target{Ref: "gone", Version: "v1"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []connectors.Outcome{connectors.OutcomeDeleted, connectors.OutcomeFailed, connectors.OutcomeFailed, connectors.OutcomeChanged, connectors.OutcomeAbsent}
	for i, r := range rs {
		if r.Outcome != want[i] {
			t.Errorf("%s: %v (%v), want %v", r.Ref, r.Outcome, r.Err, want[i])
		}
	}
	if connectors.CodeOf(rs[1].Err) != connectors.CodeIO || rs[2].Err != held {
		t.Errorf("errors %v, %v", rs[1].Err, rs[2].Err)
	}
	if !slices.Equal(before, []string{"a", "b", "c", "d"}) || !slices.Equal(after, []string{"a"}) {
		t.Errorf("hooks called before %v, after %v", before, after)
	}
	if s.Exists("a") || !s.Exists("b") || !s.Exists("c") || !s.Exists("d") {
		t.Error("wrong items deleted")
	}
}

type crash struct{}

func TestCrashAfterDelete(t *testing.T) {
	s := memory.New("src")
	s.Put("a", nil, when)
	s.Put("b", nil, when)
	c := s.Connector()
	targets := versions(t, c)
	s.SetFaults(memory.Faults{AfterDelete: func(string) { panic(crash{}) }})
	func() {
		defer func() {
			if _, ok := recover().(crash); !ok {
				t.Fatal("no crash")
			}
		}()
		c.DeleteBatch(t.Context(), targets)
	}()
	// The source is usable after the crash: its lock was not held.
	if s.Exists("a") || !s.Exists("b") || s.Len() != 1 {
		t.Fatal("crash did not stop after the first deletion")
	}
	s.SetFaults(memory.Faults{})
	rs, _ := c.DeleteBatch(t.Context(), targets)
	if rs[0].Outcome != connectors.OutcomeAbsent || rs[1].Outcome != connectors.OutcomeDeleted {
		t.Fatalf("after restart: %+v", rs)
	}
}

func TestClose(t *testing.T) {
	s := memory.New("src")
	s.Put("a", nil, when)
	c1, c2 := s.Connector(), s.Connector()
	if err := c1.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c1.Stat(t.Context(), "a"); connectors.CodeOf(err) != connectors.CodeUnavailable {
		t.Errorf("Stat after Close = %v", err)
	}
	if err := c1.List(t.Context(), connectors.ListOptions{}, func(connectors.Item) error { return nil }); connectors.CodeOf(err) != connectors.CodeUnavailable {
		t.Errorf("List after Close = %v", err)
	}
	if rs, err := c1.DeleteBatch(t.Context(), []connectors.Target{{Ref: "a"}}); rs != nil || connectors.CodeOf(err) != connectors.CodeUnavailable {
		t.Errorf("DeleteBatch after Close = %v, %v", rs, err)
	}
	if _, err := c2.Stat(t.Context(), "a"); err != nil {
		t.Errorf("closing one connector closed another: %v", err)
	}
}

func TestKind(t *testing.T) {
	name := t.Name()
	s := memory.New(name)
	s.Put("x/a.txt", []byte("abc"), when)
	memory.Register(name, s)
	t.Cleanup(func() { memory.Unregister(name) })
	k := memory.Kind()
	if k.Name != "memory" {
		t.Fatalf("kind %q", k.Name)
	}
	opts := k.NewConfig().(*memory.Options)
	if err := opts.Validate(); err == nil {
		t.Fatal("Validate accepted an empty name")
	}
	opts.Name = name
	c, err := k.Open(t.Context(), connectors.Env{Source: "src"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Location() != "memory:"+name {
		t.Errorf("Location %q", c.Location())
	}
	if got := list(t, c, ""); len(got) != 1 || got[0].Ref != "x/a.txt" || got[0].Size != 3 {
		t.Fatalf("listed %+v", got)
	}
	memory.Unregister(name)
	if _, err := k.Open(t.Context(), connectors.Env{}, opts); connectors.CodeOf(err) != connectors.CodeUnavailable {
		t.Fatalf("Open of an unregistered source = %v", err)
	}
	if _, err := k.Open(t.Context(), connectors.Env{}, struct{}{}); connectors.CodeOf(err) != connectors.CodeInvalid {
		t.Fatalf("Open with foreign options = %v", err)
	}
	r := connectors.NewRegistry(k)
	if _, ok := r.Lookup("memory"); !ok {
		t.Fatal("kind not registrable")
	}
}

func TestPruneContainers(t *testing.T) {
	s := memory.New("src")
	s.Put("a/b/c/x", nil, when)
	s.Put("a/b/d/y", nil, when)
	s.Put("a/e/z", nil, when)
	s.Remove("a/b/c/x")
	s.Remove("a/b/d/y")
	s.Remove("a/e/z")
	p := s.Connector().(connectors.Pruner)
	removed, err := p.PruneEmpty(t.Context(), []string{"a/e", "a/b/d", "a/b/c", "a/b/c", "elsewhere", "a"}, "a")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a/b/c", "a/b/d", "a/b", "a/e"}; !slices.Equal(removed, want) {
		t.Fatalf("removed %v, want %v", removed, want)
	}
	if !s.ContainerExists("a") {
		t.Fatal("stopAt removed")
	}
	if _, err := p.PruneEmpty(t.Context(), []string{"a//b"}, ""); connectors.CodeOf(err) != connectors.CodeInvalid {
		t.Fatalf("malformed container: %v", err)
	}
	removed, err = p.PruneEmpty(t.Context(), []string{"a"}, "")
	if err != nil || !slices.Equal(removed, []string{"a"}) {
		t.Fatalf("removed %v, %v", removed, err)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := memory.New("src")
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			c := s.Connector()
			defer c.Close()
			for i := range 50 {
				ref := fmt.Sprintf("w%d/%d", w, i)
				s.Put(ref, nil, when)
				s.Modify(ref)
				it, err := c.Stat(context.Background(), ref)
				if err != nil {
					t.Error(err)
					return
				}
				c.List(context.Background(), connectors.ListOptions{Prefix: fmt.Sprintf("w%d", w)}, func(connectors.Item) error { return nil })
				rs, _ := c.DeleteBatch(context.Background(), []connectors.Target{{Ref: ref, Version: it.Version}})
				if rs[0].Outcome != connectors.OutcomeDeleted {
					t.Errorf("%s: %v", ref, rs[0].Outcome)
				}
			}
		})
	}
	wg.Wait()
	if s.Len() != 0 {
		t.Fatalf("%d items left", s.Len())
	}
}
