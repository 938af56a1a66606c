// Package memory is an in-memory connector for tests: a source whose items
// are set up by the test, with hooks to inject failures and crashes.
package memory

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/retentiond/retentiond/connectors"
)

// Source is an in-memory source. It is safe for concurrent use.
type Source struct {
	name string

	mu      sync.Mutex
	items   map[string]connectors.Item
	dirs    map[string]bool
	counter int
	faults  Faults
}

// Faults are hooks a test sets to make the source misbehave. Nil hooks do
// nothing.
type Faults struct {
	// List, when it returns an error, makes List fail before listing.
	List func() error
	// BeforeDelete, when it returns an error, makes that target fail.
	BeforeDelete func(ref string) error
	// AfterDelete runs after each deletion; a test may panic here to
	// simulate a crash between deleting and recording.
	AfterDelete func(ref string)
}

// New returns an empty source.
func New(name string) *Source {
	return &Source{name: name, items: map[string]connectors.Item{}, dirs: map[string]bool{}}
}

// SetFaults installs fault hooks.
func (s *Source) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Put adds or replaces a file item.
func (s *Source) Put(ref string, content []byte, modified time.Time) {
	s.PutItem(connectors.Item{Ref: ref, Kind: connectors.KindFile, Size: int64(len(content)), Modified: modified})
}

// PutItem adds or replaces an item; Version and Container are filled in
// when empty.
func (s *Source) PutItem(it connectors.Item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it.Container == "" {
		it.Container = parent(it.Ref)
	}
	if it.Kind == "" {
		it.Kind = connectors.KindFile
	}
	if it.Version == "" {
		s.counter++
		it.Version = fmt.Sprintf("v%d", s.counter)
	}
	for d := it.Container; d != ""; d = parent(d) {
		s.dirs[d] = true
	}
	s.items[it.Ref] = it
}

// Modify gives an item a new version.
func (s *Source) Modify(ref string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[ref]
	if !ok {
		panic("memory: Modify of missing " + ref)
	}
	s.counter++
	it.Version = fmt.Sprintf("v%d", s.counter)
	s.items[ref] = it
}

// Remove deletes an item behind the connector's back.
func (s *Source) Remove(ref string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.items, ref)
}

// Exists reports whether ref exists.
func (s *Source) Exists(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.items[ref]
	return ok
}

// DirExists reports whether the container exists.
func (s *Source) DirExists(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dirs[ref]
}

// Len is the number of items.
func (s *Source) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}

// Connector returns a connector on the source.
func (s *Source) Connector() connectors.Connector { return &conn{s: s} }

type conn struct{ s *Source }

var (
	_ connectors.Connector = (*conn)(nil)
	_ connectors.Pruner    = (*conn)(nil)
)

func (c *conn) Location() string { return "memory:" + c.s.name }
func (c *conn) Close() error     { return nil }

func validRef(ref string) error {
	if ref == "" || strings.HasPrefix(ref, "/") || strings.HasSuffix(ref, "/") || strings.ContainsAny(ref, "\\\x00") {
		return connectors.Errorf(connectors.CodeInvalid, "ref", ref, errors.New("malformed"))
	}
	for _, seg := range strings.Split(ref, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return connectors.Errorf(connectors.CodeInvalid, "ref", ref, errors.New("malformed"))
		}
	}
	return nil
}

func (c *conn) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	c.s.mu.Lock()
	if f := c.s.faults.List; f != nil {
		if err := f(); err != nil {
			c.s.mu.Unlock()
			return connectors.Errorf(connectors.CodeUnavailable, "list", "", err)
		}
	}
	var items []connectors.Item
	for ref, it := range c.s.items {
		if opts.Prefix == "" || strings.HasPrefix(ref, opts.Prefix+"/") {
			items = append(items, it)
		}
	}
	c.s.mu.Unlock()
	slices.SortFunc(items, func(a, b connectors.Item) int { return strings.Compare(a.Ref, b.Ref) })
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}

func (c *conn) Stat(ctx context.Context, ref string) (connectors.Item, error) {
	if err := validRef(ref); err != nil {
		return connectors.Item{}, err
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	it, ok := c.s.items[ref]
	if !ok {
		return connectors.Item{}, connectors.Errorf(connectors.CodeNotFound, "stat", ref, errors.New("no such item"))
	}
	return it, nil
}

func (c *conn) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
	results := make([]connectors.Result, len(targets))
	for i, t := range targets {
		if err := ctx.Err(); err != nil {
			for j := i; j < len(targets); j++ {
				results[j] = connectors.Result{Ref: targets[j].Ref, Outcome: connectors.OutcomeFailed,
					Err: connectors.Errorf(connectors.CodeCancelled, "delete", targets[j].Ref, err)}
			}
			return results, nil
		}
		results[i] = c.deleteOne(t)
	}
	return results, nil
}

func (c *conn) deleteOne(t connectors.Target) connectors.Result {
	res := connectors.Result{Ref: t.Ref}
	if err := validRef(t.Ref); err != nil {
		res.Outcome, res.Err = connectors.OutcomeFailed, err
		return res
	}
	c.s.mu.Lock()
	before, after := c.s.faults.BeforeDelete, c.s.faults.AfterDelete
	c.s.mu.Unlock()
	if before != nil {
		if err := before(t.Ref); err != nil {
			if connectors.CodeOf(err) == connectors.CodeOther {
				err = connectors.Errorf(connectors.CodeIO, "delete", t.Ref, err)
			}
			res.Outcome, res.Err = connectors.OutcomeFailed, err
			return res
		}
	}
	c.s.mu.Lock()
	it, ok := c.s.items[t.Ref]
	switch {
	case !ok:
		res.Outcome = connectors.OutcomeAbsent
	case it.Version != t.Version:
		res.Outcome = connectors.OutcomeChanged
	default:
		delete(c.s.items, t.Ref)
		res.Outcome, res.Method = connectors.OutcomeDeleted, "delete"
	}
	c.s.mu.Unlock()
	if res.Outcome == connectors.OutcomeDeleted && after != nil {
		after(t.Ref)
	}
	return res
}

func (c *conn) PruneEmpty(ctx context.Context, containers []string, stopAt string) ([]string, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	cs := slices.Clone(containers)
	slices.SortFunc(cs, func(a, b string) int {
		if d := strings.Count(b, "/") - strings.Count(a, "/"); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	var removed []string
	for _, dir := range slices.Compact(cs) {
		for d := dir; d != "" && d != stopAt && (stopAt == "" || strings.HasPrefix(d, stopAt+"/")); d = parent(d) {
			if !c.s.dirs[d] || c.s.nonEmpty(d) {
				break
			}
			delete(c.s.dirs, d)
			removed = append(removed, d)
		}
	}
	return removed, nil
}

func (s *Source) nonEmpty(dir string) bool {
	for ref := range s.items {
		if strings.HasPrefix(ref, dir+"/") {
			return true
		}
	}
	for d := range s.dirs {
		if strings.HasPrefix(d, dir+"/") {
			return true
		}
	}
	return false
}

func parent(ref string) string {
	p := path.Dir(ref)
	if p == "." || p == "/" {
		return ""
	}
	return p
}

var (
	regMu    sync.Mutex
	registry = map[string]*Source{}
)

// Register makes src available to configurations as
// `kind: memory, options: {name: NAME}`; tests only.
func Register(name string, src *Source) {
	regMu.Lock()
	defer regMu.Unlock()
	registry[name] = src
}

// Options of a memory source.
type Options struct {
	Name string `yaml:"name"`
}

// Kind is the registry entry for `kind: memory`, for tests of the wiring.
func Kind() connectors.Kind {
	return connectors.Kind{
		Name:      "memory",
		NewConfig: func() any { return &Options{} },
		Open: func(ctx context.Context, env connectors.Env, options any) (connectors.Connector, error) {
			o := options.(*Options)
			regMu.Lock()
			src, ok := registry[o.Name]
			regMu.Unlock()
			if !ok {
				return nil, connectors.Errorf(connectors.CodeUnavailable, "open", "", fmt.Errorf("no memory source %q registered", o.Name))
			}
			return src.Connector(), nil
		},
	}
}
