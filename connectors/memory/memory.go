// Package memory is an in-memory connector for tests: a source whose items
// a test puts in place, with hooks to inject failures and crashes. It
// passes the conformance suite in connectors/connectortest, so tests of the
// scheduler can rely on it behaving like a real connector.
//
// Refs are slash-separated paths as on a file share. Containers are folders:
// putting an item creates its container and the container's ancestors;
// removing items leaves containers in place until PruneEmpty removes them.
// Versions are "v" followed by a counter that increases with every Put,
// PutItem without a version, and Modify.
package memory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/retentiond/retentiond/connectors"
)

// Source is an in-memory source. It is safe for concurrent use.
type Source struct {
	name string

	mu         sync.Mutex
	items      map[string]connectors.Item
	containers map[string]struct{}
	seq        uint64
	faults     Faults
	parallel   int  // DeleteConcurrency; 0 means 1
	stable     bool // StableRef's answer for every ref (SetStableRefs)
	batchStat  bool // connectors implement connectors.BatchStater (SetBatchStat)
	owners     map[string]string
}

// Faults are hooks a test installs with SetFaults to make the source
// misbehave. Nil hooks do nothing. Hooks run without the source's lock held,
// so they may call the Source's methods (e.g. Modify, to simulate a race)
// and may panic to simulate a crash.
type Faults struct {
	// List is called when List starts. A non-nil error makes List return
	// before listing anything: the error itself if it has an
	// *connectors.Error in its chain, otherwise wrapped in one with
	// CodeUnavailable.
	List func() error
	// BeforeDelete is called for each target just before it is deleted,
	// after its existence and version were checked. A non-nil error makes
	// that target OutcomeFailed with the error, wrapped in a
	// *connectors.Error with CodeIO unless it has one in its chain.
	BeforeDelete func(ref string) error
	// AfterDelete is called after each successful deletion. A test may
	// panic here to simulate a crash between deleting and recording.
	AfterDelete func(ref string)
	// Stat is called when Stat starts, after the ref was validated. A
	// non-nil error is returned as BeforeDelete's is.
	Stat func(ref string) error
	// StatBatch is called when StatBatch starts (see SetBatchStat), with
	// the refs asked about, before Stat is called for each.
	StatBatch func(refs []string)
}

// New returns an empty source. The name appears in Location.
func New(name string) *Source {
	return &Source{
		name:       name,
		items:      map[string]connectors.Item{},
		containers: map[string]struct{}{},
	}
}

// SetOwner sets the owner Owner reports for the item at ref, as long as
// there is one; items without an owner set have the owner "".
func (s *Source) SetOwner(ref, owner string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owners == nil {
		s.owners = map[string]string{}
	}
	s.owners[ref] = owner
}

// SetFaults installs fault hooks, replacing any installed before. The zero
// Faults removes them.
func (s *Source) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// SetDeleteConcurrency sets what the source's connectors return from
// DeleteConcurrency: how many DeleteBatch calls the scheduler may run at
// once. The default is 1.
func (s *Source) SetDeleteConcurrency(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.parallel = n
}

func (s *Source) getFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// nextVersion returns a new version. s.mu must be held.
func (s *Source) nextVersion() string {
	s.seq++
	return "v" + strconv.FormatUint(s.seq, 10)
}

// Put adds or replaces a file item at ref with the size of content and the
// given modification time. It panics if ref is malformed.
func (s *Source) Put(ref string, content []byte, modified time.Time) {
	s.PutItem(connectors.Item{Ref: ref, Kind: connectors.KindFile, Size: int64(len(content)), Modified: modified})
}

// PutItem adds or replaces an item with the given fields. An empty Version
// is replaced by a new one, an empty Container by the folder part of Ref
// ("" at the top); the container and its ancestors are created. PutItem
// panics if Ref or Container is malformed: that is a mistake in the test.
func (s *Source) PutItem(it connectors.Item) {
	if err := checkRef(it.Ref); err != nil {
		panic(fmt.Sprintf("memory: PutItem: ref %q: %v", it.Ref, err))
	}
	if it.Container == "" {
		it.Container = parent(it.Ref)
	} else if err := checkRef(it.Container); err != nil {
		panic(fmt.Sprintf("memory: PutItem: container %q: %v", it.Container, err))
	}
	it.Labels = slices.Clone(it.Labels)
	s.mu.Lock()
	defer s.mu.Unlock()
	if it.Version == "" {
		it.Version = s.nextVersion()
	}
	for c := it.Container; c != ""; c = parent(c) {
		s.containers[c] = struct{}{}
	}
	s.items[it.Ref] = it
}

// Modify changes the item at ref as a write to it would: its size grows by
// one byte (unless unknown) and it gets a new version. Its modification time
// is left alone; use PutItem to set one. Modify panics if there is no item
// at ref.
func (s *Source) Modify(ref string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[ref]
	if !ok {
		panic(fmt.Sprintf("memory: Modify: no item %q", ref))
	}
	if it.Size >= 0 {
		it.Size++
	}
	it.Version = s.nextVersion()
	s.items[ref] = it
}

// Remove deletes the item at ref behind the connector's back. Its container
// stays. Removing an absent item does nothing.
func (s *Source) Remove(ref string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.items, ref)
}

// Exists reports whether there is an item at ref.
func (s *Source) Exists(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.items[ref]
	return ok
}

// ContainerExists reports whether the container ref exists. The top of the
// source, "", always exists.
func (s *Source) ContainerExists(ref string) bool {
	if ref == "" {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.containers[ref]
	return ok
}

// DirExists is ContainerExists, under the name file-share tests use.
func (s *Source) DirExists(ref string) bool { return s.ContainerExists(ref) }

// Len returns the number of items.
func (s *Source) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}

// Connector returns a new connector on the source, which implements
// connectors.Connector, connectors.Pruner and connectors.ConcurrentDeleter,
// and connectors.BatchStater after SetBatchStat(true). Closing it does not
// affect the source or other connectors on it; using it after Close fails
// with CodeUnavailable.
func (s *Source) Connector() connectors.Connector {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.batchStat {
		return &batchConn{&conn{s: s}}
	}
	return &conn{s: s}
}

// SetBatchStat makes the connectors the source returns from then on
// implement connectors.BatchStater too, as a mailbox connector does.
func (s *Source) SetBatchStat(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batchStat = on
}

// batchConn is a conn that implements connectors.BatchStater.
type batchConn struct{ *conn }

var _ connectors.BatchStater = (*batchConn)(nil)

// StatBatch implements connectors.BatchStater: Stat for each ref, after
// Faults.StatBatch.
func (c *batchConn) StatBatch(ctx context.Context, refs []string) []connectors.StatResult {
	if f := c.s.getFaults().StatBatch; f != nil {
		f(refs)
	}
	res := make([]connectors.StatResult, len(refs))
	for i, ref := range refs {
		res[i].Item, res[i].Err = c.Stat(ctx, ref)
	}
	return res
}

type conn struct {
	s      *Source
	closed atomic.Bool
}

var (
	_ connectors.Connector         = (*conn)(nil)
	_ connectors.Pruner            = (*conn)(nil)
	_ connectors.ConcurrentDeleter = (*conn)(nil)
	_ connectors.Owners            = (*conn)(nil)
	_ connectors.StableRefs        = (*conn)(nil)
)

var errClosed = errors.New("connector is closed")

func (c *conn) Location() string { return "memory:" + c.s.name }

func (c *conn) Close() error {
	c.closed.Store(true)
	return nil
}

// begin fails when the connector is closed or ctx is done.
func (c *conn) begin(ctx context.Context, op, ref string) error {
	if c.closed.Load() {
		return connectors.Errorf(connectors.CodeUnavailable, op, ref, errClosed)
	}
	if err := ctx.Err(); err != nil {
		return connectors.Errorf(connectors.CodeCancelled, op, ref, err)
	}
	return nil
}

// classified returns err if it carries a *connectors.Error, and otherwise
// wraps it in one with code.
func classified(err error, code connectors.Code, op, ref string) error {
	var ce *connectors.Error
	if errors.As(err, &ce) {
		return err
	}
	return connectors.Errorf(code, op, ref, err)
}

// inContainer reports whether an item in container c lies inside prefix.
func inContainer(c, prefix string) bool {
	return c == prefix || strings.HasPrefix(c, prefix) && len(c) > len(prefix) && c[len(prefix)] == '/'
}

// List lists the items in ref order. With a Prefix, it lists the items
// whose container is the prefix or lies inside it. Items put or removed
// while List runs may or may not be listed; an item is listed as it is when
// fn is called for it. When every item to list lies directly in a top-level
// container (a flat source, like mailboxes), List lists container by
// container: it calls ListOptions.ContainerDone and honours Skip.
func (c *conn) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	if opts.Prefix != "" {
		if err := checkRef(opts.Prefix); err != nil {
			return connectors.Errorf(connectors.CodeInvalid, "list", opts.Prefix, err)
		}
	}
	if err := c.begin(ctx, "list", opts.Prefix); err != nil {
		return err
	}
	if f := c.s.getFaults().List; f != nil {
		if err := f(); err != nil {
			return classified(err, connectors.CodeUnavailable, "list", opts.Prefix)
		}
	}
	c.s.mu.Lock()
	refs := make([]string, 0, len(c.s.items))
	flat := true
	for ref, it := range c.s.items {
		if opts.Prefix == "" || inContainer(it.Container, opts.Prefix) {
			refs = append(refs, ref)
			flat = flat && it.Container != "" && !strings.Contains(it.Container, "/") && strings.HasPrefix(ref, it.Container+"/")
		}
	}
	c.s.mu.Unlock()
	slices.Sort(refs) // a flat source's containers are contiguous: refs start with "<container>/"
	container := ""
	finish := func() {
		if flat && container != "" && opts.ContainerDone != nil {
			opts.ContainerDone(container, nil)
		}
	}
	for _, ref := range refs {
		if err := ctx.Err(); err != nil {
			return connectors.Errorf(connectors.CodeCancelled, "list", opts.Prefix, err)
		}
		if flat {
			next, _, _ := strings.Cut(ref, "/")
			if opts.Skip[next] {
				continue
			}
			if next != container {
				finish()
				container = next
			}
		}
		c.s.mu.Lock()
		it, ok := c.s.items[ref]
		c.s.mu.Unlock()
		if !ok {
			continue
		}
		it.Labels = slices.Clone(it.Labels)
		if err := fn(it); err != nil {
			return err
		}
	}
	finish()
	return nil
}

func (c *conn) Stat(ctx context.Context, ref string) (connectors.Item, error) {
	if err := checkRef(ref); err != nil {
		return connectors.Item{}, connectors.Errorf(connectors.CodeInvalid, "stat", ref, err)
	}
	if err := c.begin(ctx, "stat", ref); err != nil {
		return connectors.Item{}, err
	}
	if f := c.s.getFaults().Stat; f != nil {
		if err := f(ref); err != nil {
			return connectors.Item{}, classified(err, connectors.CodeIO, "stat", ref)
		}
	}
	c.s.mu.Lock()
	it, ok := c.s.items[ref]
	c.s.mu.Unlock()
	if !ok {
		return connectors.Item{}, connectors.Errorf(connectors.CodeNotFound, "stat", ref, fs.ErrNotExist)
	}
	it.Labels = slices.Clone(it.Labels)
	return it, nil
}

// Owner implements connectors.Owners with the owners set by SetOwner.
func (c *conn) Owner(ctx context.Context, ref string) (string, error) {
	if err := checkRef(ref); err != nil {
		return "", connectors.Errorf(connectors.CodeInvalid, "owner", ref, err)
	}
	if err := c.begin(ctx, "owner", ref); err != nil {
		return "", err
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if _, ok := c.s.items[ref]; !ok {
		return "", connectors.Errorf(connectors.CodeNotFound, "owner", ref, fs.ErrNotExist)
	}
	return c.s.owners[ref], nil
}

// SetStableRefs makes the source's connectors report every ref stable
// (connectors.StableRefs), as a source of message ids would: an item
// found at its ref is the item listed there, whatever its version.
func (s *Source) SetStableRefs(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stable = on
}

// StableRef implements connectors.StableRefs: what SetStableRefs set.
func (c *conn) StableRef(string) bool {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.s.stable
}

// DeleteConcurrency implements connectors.ConcurrentDeleter with the value
// set by SetDeleteConcurrency.
func (c *conn) DeleteConcurrency() int {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return max(1, c.s.parallel)
}

// DeleteBatch deletes the targets in order. It fails as a whole only when
// the connector is closed.
func (c *conn) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
	if c.closed.Load() {
		return nil, connectors.Errorf(connectors.CodeUnavailable, "delete", "", errClosed)
	}
	return connectors.EachTarget(ctx, "delete", targets, c.deleteOne), nil
}

// check reports the outcome for t if it cannot be deleted: absent or
// changed. s.mu must be held.
func (s *Source) check(t connectors.Target) (connectors.Outcome, bool) {
	it, ok := s.items[t.Ref]
	switch {
	case !ok:
		return connectors.OutcomeAbsent, true
	case it.Version != t.Version:
		return connectors.OutcomeChanged, true
	}
	return 0, false
}

func (c *conn) deleteOne(t connectors.Target) connectors.Result {
	res := connectors.Result{Ref: t.Ref}
	if err := checkRef(t.Ref); err != nil {
		res.Outcome, res.Err = connectors.OutcomeFailed, connectors.Errorf(connectors.CodeInvalid, "delete", t.Ref, err)
		return res
	}
	s := c.s
	s.mu.Lock()
	outcome, done := s.check(t)
	faults := s.faults
	s.mu.Unlock()
	if done {
		res.Outcome = outcome
		return res
	}
	if faults.BeforeDelete != nil {
		if err := faults.BeforeDelete(t.Ref); err != nil {
			res.Outcome, res.Err = connectors.OutcomeFailed, classified(err, connectors.CodeIO, "delete", t.Ref)
			return res
		}
	}
	// Check again: the hook may have changed the item, as a user might
	// between a check and a deletion.
	s.mu.Lock()
	outcome, done = s.check(t)
	if !done {
		delete(s.items, t.Ref)
	}
	s.mu.Unlock()
	if done {
		res.Outcome = outcome
		return res
	}
	res.Outcome, res.Method = connectors.OutcomeDeleted, "delete"
	if faults.AfterDelete != nil {
		faults.AfterDelete(t.Ref)
	}
	return res
}

// Archive moves the targets to dest/<ref> as connectors.Archiver
// describes, keeping each item's version. It fails as a whole when the
// connector is closed or dest is malformed. The delete fault hooks apply to
// moves too.
func (c *conn) Archive(ctx context.Context, targets []connectors.Target, dest string) ([]connectors.Result, error) {
	if c.closed.Load() {
		return nil, connectors.Errorf(connectors.CodeUnavailable, "archive", "", errClosed)
	}
	if err := checkRef(dest); err != nil {
		return nil, connectors.Errorf(connectors.CodeInvalid, "archive", dest, err)
	}
	return connectors.EachTarget(ctx, "archive", targets, func(t connectors.Target) connectors.Result { return c.archiveOne(t, dest) }), nil
}

func (c *conn) archiveOne(t connectors.Target, dest string) connectors.Result {
	res := connectors.Result{Ref: t.Ref}
	fail := func(code connectors.Code, err error) connectors.Result {
		res.Outcome, res.Err = connectors.OutcomeFailed, connectors.Errorf(code, "archive", t.Ref, err)
		return res
	}
	if err := checkRef(t.Ref); err != nil {
		return fail(connectors.CodeInvalid, err)
	}
	if inContainer(t.Ref, dest) {
		return fail(connectors.CodeInvalid, errors.New("the item is inside the archive folder already"))
	}
	to := dest + "/" + t.Ref
	s := c.s
	s.mu.Lock()
	faults := s.faults
	old, present := s.items[t.Ref]
	there, taken := s.items[to]
	s.mu.Unlock()
	switch {
	case taken && there.Version != t.Version:
		if present && old.Version != t.Version {
			res.Outcome = connectors.OutcomeChanged
			return res
		}
		return fail(connectors.CodeConflict, errors.New("the archive already holds another item under this name"))
	case taken && !present:
		res.Outcome, res.Method = connectors.OutcomeArchived, "archive"
		return res
	case !present:
		res.Outcome = connectors.OutcomeAbsent
		return res
	case old.Version != t.Version:
		res.Outcome = connectors.OutcomeChanged
		return res
	}
	if faults.BeforeDelete != nil {
		if err := faults.BeforeDelete(t.Ref); err != nil {
			return fail(connectors.CodeIO, err)
		}
	}
	s.mu.Lock()
	it, ok := s.items[t.Ref]
	if !ok || it.Version != t.Version {
		s.mu.Unlock()
		res.Outcome = connectors.OutcomeChanged
		if !ok {
			res.Outcome = connectors.OutcomeAbsent
		}
		return res
	}
	delete(s.items, t.Ref)
	it.Ref, it.Container = to, parent(to)
	for k := it.Container; k != ""; k = parent(k) {
		s.containers[k] = struct{}{}
	}
	s.items[to] = it
	s.mu.Unlock()
	res.Outcome, res.Method = connectors.OutcomeArchived, "archive"
	if faults.AfterDelete != nil {
		faults.AfterDelete(t.Ref)
	}
	return res
}

// PruneEmpty removes empty containers as connectors.Pruner describes:
// deepest first, never stopAt, anything not strictly inside it, or the
// top. A container is empty when no item has it as its container and no
// other container lies inside it. Containers not strictly inside stopAt are
// left alone; a malformed ref is an error with CodeInvalid.
func (c *conn) PruneEmpty(ctx context.Context, containers []string, stopAt string) ([]string, error) {
	if stopAt != "" {
		if err := checkRef(stopAt); err != nil {
			return nil, connectors.Errorf(connectors.CodeInvalid, "prune", stopAt, err)
		}
	}
	pending := map[string]struct{}{}
	for _, ref := range containers {
		if err := checkRef(ref); err != nil {
			return nil, connectors.Errorf(connectors.CodeInvalid, "prune", ref, err)
		}
		if ref != stopAt && (stopAt == "" || inContainer(ref, stopAt)) {
			pending[ref] = struct{}{}
		}
	}
	if err := c.begin(ctx, "prune", stopAt); err != nil {
		return nil, err
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var removed []string
	for len(pending) > 0 {
		for _, ref := range deepest(pending) {
			delete(pending, ref)
			if _, ok := s.containers[ref]; !ok || !s.emptyLocked(ref) {
				continue
			}
			delete(s.containers, ref)
			removed = append(removed, ref)
			if p := parent(ref); p != "" && p != stopAt && (stopAt == "" || inContainer(p, stopAt)) {
				pending[p] = struct{}{}
			}
		}
	}
	return removed, nil
}

// emptyLocked reports whether container ref holds nothing. s.mu must be held.
func (s *Source) emptyLocked(ref string) bool {
	for _, it := range s.items {
		if inContainer(it.Container, ref) {
			return false
		}
	}
	for c := range s.containers {
		if c != ref && inContainer(c, ref) {
			return false
		}
	}
	return true
}

// deepest returns the refs in set with the most segments, sorted.
func deepest(set map[string]struct{}) []string {
	var refs []string
	most := -1
	for ref := range set {
		switch d := strings.Count(ref, "/"); {
		case d > most:
			most, refs = d, append(refs[:0], ref)
		case d == most:
			refs = append(refs, ref)
		}
	}
	slices.Sort(refs)
	return refs
}

// checkRef accepts non-empty, relative, slash-separated refs without
// empty, "." or ".." segments, a trailing slash, backslashes or NUL bytes:
// the refs a file share could produce.
func checkRef(ref string) error {
	switch {
	case ref == "":
		return errors.New("ref is empty")
	case strings.ContainsAny(ref, "\\\x00"):
		return errors.New("ref contains a backslash or NUL byte")
	case ref[0] == '/':
		return errors.New("ref is absolute")
	case ref[len(ref)-1] == '/':
		return errors.New("ref ends with a slash")
	}
	for seg := range strings.SplitSeq(ref, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return errors.New("ref has an empty, '.' or '..' segment")
		}
	}
	return nil
}

// parent returns the container part of a valid ref, "" at the top.
func parent(ref string) string {
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[:i]
	}
	return ""
}

var registry = struct {
	sync.Mutex
	sources map[string]*Source
}{sources: map[string]*Source{}}

// Register makes src the source that `kind: memory` with options
// `{name: NAME}` opens, replacing any source registered under that name
// before. The registry is process-global; tests should use unique names
// (e.g. derived from t.Name()) and Unregister them when done.
func Register(name string, src *Source) {
	registry.Lock()
	defer registry.Unlock()
	registry.sources[name] = src
}

// Unregister removes the source registered under name, if any.
func Unregister(name string) {
	registry.Lock()
	defer registry.Unlock()
	delete(registry.sources, name)
}

func lookup(name string) (*Source, bool) {
	registry.Lock()
	defer registry.Unlock()
	s, ok := registry.sources[name]
	return s, ok
}

// Options are the `options:` of a source with `kind: memory`.
type Options struct {
	// Name is the name the source was registered under with Register.
	Name string `yaml:"name"`
}

// Validate checks that a name is given.
func (o *Options) Validate() error {
	if o.Name == "" {
		return errors.New("name is required: the name a test registered the source under")
	}
	return nil
}

// Kind is the registry entry for `kind: memory`. Open returns a new
// connector on the source registered under Options.Name, and fails with
// CodeUnavailable if there is none.
func Kind() connectors.Kind {
	return connectors.NewKind("memory", func(ctx context.Context, env connectors.Env, o *Options) (connectors.Connector, error) {
		if err := o.Validate(); err != nil {
			return nil, connectors.Errorf(connectors.CodeInvalid, "open", "", err)
		}
		if err := ctx.Err(); err != nil {
			return nil, connectors.Errorf(connectors.CodeCancelled, "open", "", err)
		}
		s, ok := lookup(o.Name)
		if !ok {
			return nil, connectors.Errorf(connectors.CodeUnavailable, "open", "", fmt.Errorf("no memory source is registered under %q", o.Name))
		}
		return s.Connector(), nil
	})
}
