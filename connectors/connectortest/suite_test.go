package connectortest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/memory"
)

// These tests check the suite itself: a correct connector passes every
// check, and every check fails for at least one way of breaking the
// contract.

type memFixture struct{ s *memory.Source }

func (f memFixture) Put(t testing.TB, ref string, content []byte, modified time.Time) {
	f.s.Put(ref, content, modified)
}
func (f memFixture) Modify(t testing.TB, ref string)               { f.s.Modify(ref) }
func (f memFixture) Remove(t testing.TB, ref string)               { f.s.Remove(ref) }
func (f memFixture) Exists(t testing.TB, ref string) bool          { return f.s.Exists(ref) }
func (f memFixture) ContainerExists(t testing.TB, ref string) bool { return f.s.ContainerExists(ref) }

type listFunc func(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error

// broken is a memory connector with some methods replaced. Each replacement
// gets the correct connector to build on.
type broken struct {
	inner   connectors.Connector
	loc     func() string
	list    func(inner connectors.Connector, ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error
	stat    func(inner connectors.Connector, ctx context.Context, ref string) (connectors.Item, error)
	delete  func(inner connectors.Connector, ctx context.Context, targets []connectors.Target) ([]connectors.Result, error)
	prune   func(inner connectors.Pruner, ctx context.Context, containers []string, stopAt string) ([]string, error)
	archive func(inner connectors.Archiver, ctx context.Context, targets []connectors.Target, dest string) ([]connectors.Result, error)
	owner   func(inner connectors.Owners, ctx context.Context, ref string) (string, error)
	stats   func(inner connectors.BatchStater, ctx context.Context, refs []string) []connectors.StatResult
	// concurrency, when set, replaces DeleteConcurrency's answer.
	concurrency func() int
}

func (b *broken) DeleteConcurrency() int {
	if b.concurrency != nil {
		return b.concurrency()
	}
	return b.inner.(connectors.ConcurrentDeleter).DeleteConcurrency()
}

func (b *broken) Location() string {
	if b.loc != nil {
		return b.loc()
	}
	return b.inner.Location()
}

func (b *broken) List(ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
	if b.list != nil {
		return b.list(b.inner, ctx, opts, fn)
	}
	return b.inner.List(ctx, opts, fn)
}

func (b *broken) Stat(ctx context.Context, ref string) (connectors.Item, error) {
	if b.stat != nil {
		return b.stat(b.inner, ctx, ref)
	}
	return b.inner.Stat(ctx, ref)
}

func (b *broken) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
	if b.delete != nil {
		return b.delete(b.inner, ctx, targets)
	}
	return b.inner.DeleteBatch(ctx, targets)
}

func (b *broken) PruneEmpty(ctx context.Context, containers []string, stopAt string) ([]string, error) {
	p := b.inner.(connectors.Pruner)
	if b.prune != nil {
		return b.prune(p, ctx, containers, stopAt)
	}
	return p.PruneEmpty(ctx, containers, stopAt)
}

func (b *broken) Archive(ctx context.Context, targets []connectors.Target, dest string) ([]connectors.Result, error) {
	a := b.inner.(connectors.Archiver)
	if b.archive != nil {
		return b.archive(a, ctx, targets, dest)
	}
	return a.Archive(ctx, targets, dest)
}

func (b *broken) Owner(ctx context.Context, ref string) (string, error) {
	o := b.inner.(connectors.Owners)
	if b.owner != nil {
		return b.owner(o, ctx, ref)
	}
	return o.Owner(ctx, ref)
}

func (b *broken) StatBatch(ctx context.Context, refs []string) []connectors.StatResult {
	bs := b.inner.(connectors.BatchStater)
	if b.stats != nil {
		return b.stats(bs, ctx, refs)
	}
	return bs.StatBatch(ctx, refs)
}

func (b *broken) Close() error { return b.inner.Close() }

func harness(breakIt func(*broken)) Harness {
	return Harness{
		New: func(t testing.TB) (connectors.Connector, Fixture) {
			s := memory.New(t.Name())
			s.SetDeleteConcurrency(4)
			s.SetBatchStat(true)
			b := &broken{inner: s.Connector()}
			if breakIt != nil {
				breakIt(b)
			}
			return b, memFixture{s}
		},
		Pruner:     true,
		Concurrent: true,
		Archiver:   true,
		Owners:     true,
		BatchStat:  true,
	}
}

// recorder is a testing.TB that records failures instead of reporting
// them, so that a check can be expected to fail.
type recorder struct {
	testing.TB // the real test, for Helper, Cleanup, Context, TempDir, Log, Name

	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (r *recorder) fail(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	if msg != "" {
		r.msgs = append(r.msgs, msg)
	}
}

func (r *recorder) Fail()                     { r.fail("") }
func (r *recorder) FailNow()                  { r.fail(""); runtime.Goexit() }
func (r *recorder) Error(args ...any)         { r.fail(fmt.Sprint(args...)) }
func (r *recorder) Errorf(f string, a ...any) { r.fail(fmt.Sprintf(f, a...)) }
func (r *recorder) Fatal(args ...any)         { r.fail(fmt.Sprint(args...)); runtime.Goexit() }
func (r *recorder) Fatalf(f string, a ...any) { r.fail(fmt.Sprintf(f, a...)); runtime.Goexit() }
func (r *recorder) Skip(args ...any)          { r.fail("skipped: " + fmt.Sprint(args...)); runtime.Goexit() }
func (r *recorder) Skipf(f string, a ...any) {
	r.fail("skipped: " + fmt.Sprintf(f, a...))
	runtime.Goexit()
}
func (r *recorder) SkipNow()      { r.fail("skipped"); runtime.Goexit() }
func (r *recorder) Skipped() bool { return false }

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// runCheck runs the named check against h and returns the failures it
// reported, and whether it failed. Cleanups the check registers run when t
// ends.
func runCheck(t *testing.T, name string, h Harness) (bool, []string) {
	t.Helper()
	i := slices.IndexFunc(checks, func(c check) bool { return c.name == name })
	if i < 0 {
		t.Fatalf("no check %q", name)
	}
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		checks[i].run(r, h)
	}()
	<-done
	return r.Failed(), r.msgs
}

// flatHarness is harness with the flat (mailbox) layout.
func flatHarness(breakIt func(*broken)) Harness {
	h := harness(breakIt)
	h.Flat = true
	return h
}

func TestCorrectConnectorPassesEveryCheck(t *testing.T) {
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			h := harness(nil)
			if c.flat {
				h = flatHarness(nil)
			}
			if failed, msgs := runCheck(t, c.name, h); failed {
				t.Fatalf("memory connector failed %s: %s", c.name, strings.Join(msgs, "; "))
			}
		})
	}
}

func reversed[S ~[]E, E any](s S) S {
	s = slices.Clone(s)
	slices.Reverse(s)
	return s
}

// mapItems lists through inner, passing each item through f.
func mapItems(f func(connectors.Item) connectors.Item) func(*broken) {
	return func(b *broken) {
		b.list = func(inner connectors.Connector, ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
			return inner.List(ctx, opts, func(it connectors.Item) error { return fn(f(it)) })
		}
	}
}

// mapResults deletes through inner, passing the results through f.
func mapResults(f func(targets []connectors.Target, rs []connectors.Result) []connectors.Result) func(*broken) {
	return func(b *broken) {
		b.delete = func(inner connectors.Connector, ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
			rs, err := inner.DeleteBatch(ctx, targets)
			return f(targets, rs), err
		}
	}
}

type mutant struct {
	name   string
	fails  string // the check that must fail
	breaks func(*broken)
}

// flatMutants run against a flat source.
var flatMutants = []mutant{
	{"skip ignored", "ListContainers", func(b *broken) {
		b.list = func(inner connectors.Connector, ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
			opts.Skip = nil
			return inner.List(ctx, opts, fn)
		}
	}},
	{"container reported before its items", "ListContainers", func(b *broken) {
		b.list = func(inner connectors.Connector, ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
			done := opts.ContainerDone
			opts.ContainerDone = nil
			last := ""
			return inner.List(ctx, opts, func(it connectors.Item) error {
				if it.Container != last && done != nil {
					done(it.Container, nil)
				}
				last = it.Container
				return fn(it)
			})
		}
	}},
	{"container never reported", "ListContainers", func(b *broken) {
		b.list = func(inner connectors.Connector, ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
			opts.ContainerDone = nil
			return inner.List(ctx, opts, fn)
		}
	}},
}

var mutants = []mutant{
	{"batch stat answers out of order", "StatBatch", func(b *broken) {
		b.stats = func(inner connectors.BatchStater, ctx context.Context, refs []string) []connectors.StatResult {
			return reversed(inner.StatBatch(ctx, refs))
		}
	}},
	{"batch stat hides absence", "StatBatch", func(b *broken) {
		b.stats = func(inner connectors.BatchStater, ctx context.Context, refs []string) []connectors.StatResult {
			rs := inner.StatBatch(ctx, refs)
			for i := range rs {
				if connectors.IsNotFound(rs[i].Err) {
					rs[i] = connectors.StatResult{Item: connectors.Item{Ref: refs[i]}}
				}
			}
			return rs
		}
	}},
	{"batch stat stops at the first error", "StatBatch", func(b *broken) {
		b.stats = func(inner connectors.BatchStater, ctx context.Context, refs []string) []connectors.StatResult {
			rs := inner.StatBatch(ctx, refs)
			for i := range rs {
				if rs[i].Err != nil {
					for j := i + 1; j < len(rs); j++ {
						rs[j] = connectors.StatResult{Err: rs[i].Err}
					}
					break
				}
			}
			return rs
		}
	}},
	{"batch stat answers the listing's version", "StatBatch", func(b *broken) {
		listed := map[string]string{}
		var mu sync.Mutex
		b.list = func(inner connectors.Connector, ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
			return inner.List(ctx, opts, func(it connectors.Item) error {
				mu.Lock()
				listed[it.Ref] = it.Version
				mu.Unlock()
				return fn(it)
			})
		}
		b.stats = func(inner connectors.BatchStater, ctx context.Context, refs []string) []connectors.StatResult {
			rs := inner.StatBatch(ctx, refs)
			mu.Lock()
			defer mu.Unlock()
			for i := range rs {
				if v, ok := listed[refs[i]]; ok && rs[i].Err == nil {
					rs[i].Item.Version = v
				}
			}
			return rs
		}
	}},
	{"archive deletes instead of moving", "Archive", func(b *broken) {
		b.archive = func(a connectors.Archiver, ctx context.Context, targets []connectors.Target, dest string) ([]connectors.Result, error) {
			rs, err := b.inner.DeleteBatch(ctx, targets)
			for i := range rs {
				if rs[i].Outcome == connectors.OutcomeDeleted {
					rs[i].Outcome, rs[i].Method = connectors.OutcomeArchived, "archive"
				}
			}
			return rs, err
		}
	}},
	{"archive ignores versions and conflicts", "ArchiveOutcomes", func(b *broken) {
		b.archive = func(a connectors.Archiver, ctx context.Context, targets []connectors.Target, dest string) ([]connectors.Result, error) {
			rs, err := a.Archive(ctx, targets, dest)
			for i := range rs {
				if rs[i].Outcome == connectors.OutcomeChanged || rs[i].Outcome == connectors.OutcomeFailed {
					rs[i] = connectors.Result{Ref: rs[i].Ref, Outcome: connectors.OutcomeArchived, Method: "archive"}
				}
			}
			return rs, err
		}
	}},
	{"empty location", "Location", func(b *broken) { b.loc = func() string { return "" } }},
	{"list of empty source fails", "ListEmpty", func(b *broken) {
		b.list = func(inner connectors.Connector, ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
			n := 0
			err := inner.List(ctx, opts, func(it connectors.Item) error { n++; return fn(it) })
			if err == nil && n == 0 {
				return connectors.Errorf(connectors.CodeNotFound, "list", "", fmt.Errorf("nothing there"))
			}
			return err
		}
	}},
	{"lists nothing", "ListAll", func(b *broken) {
		b.list = func(connectors.Connector, context.Context, connectors.ListOptions, func(connectors.Item) error) error {
			return nil
		}
	}},
	{"lists an item twice", "ListAll", func(b *broken) {
		b.list = func(inner connectors.Connector, ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
			return inner.List(ctx, opts, func(it connectors.Item) error {
				if err := fn(it); err != nil {
					return err
				}
				if it.Ref == "a/one.txt" {
					return fn(it)
				}
				return nil
			})
		}
	}},
	{"lists an extra item", "ListAll", mapItems(func(it connectors.Item) connectors.Item {
		if it.Ref == "top.txt" {
			it.Ref = "top2.txt"
		}
		return it
	})},
	{"size off by one", "ListAll", mapItems(func(it connectors.Item) connectors.Item { it.Size++; return it })},
	{"modified a second late", "ListAll", mapItems(func(it connectors.Item) connectors.Item { it.Modified = it.Modified.Add(time.Second); return it })},
	{"container always top", "ListAll", mapItems(func(it connectors.Item) connectors.Item { it.Container = ""; return it })},
	{"empty version", "ListAll", mapItems(func(it connectors.Item) connectors.Item { it.Version = ""; return it })},
	{"order alternates", "ListDeterministic", func(b *broken) {
		calls := 0
		b.list = func(inner connectors.Connector, ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
			calls++
			var items []connectors.Item
			if err := inner.List(ctx, opts, func(it connectors.Item) error { items = append(items, it); return nil }); err != nil {
				return err
			}
			if calls%2 == 0 {
				items = reversed(items)
			}
			for _, it := range items {
				if err := fn(it); err != nil {
					return err
				}
			}
			return nil
		}
	}},
	{"version changes on every listing", "Versions", func(b *broken) {
		calls := 0
		b.list = func(inner connectors.Connector, ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
			calls++
			return inner.List(ctx, opts, func(it connectors.Item) error {
				it.Version = fmt.Sprintf("%s-%d", it.Version, calls)
				return fn(it)
			})
		}
	}},
	{"version ignores modification", "Versions", mapItems(func(it connectors.Item) connectors.Item { it.Version = "v-" + it.Ref; return it })},
	{"prefix ignored", "ListPrefix", func(b *broken) {
		b.list = func(inner connectors.Connector, ctx context.Context, _ connectors.ListOptions, fn func(connectors.Item) error) error {
			return inner.List(ctx, connectors.ListOptions{}, fn)
		}
	}},
	{"prefix matched as a string", "ListPrefix", func(b *broken) {
		b.list = func(inner connectors.Connector, ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
			return inner.List(ctx, connectors.ListOptions{}, func(it connectors.Item) error {
				if strings.HasPrefix(it.Ref, opts.Prefix) {
					return fn(it)
				}
				return nil
			})
		}
	}},
	{"fn error wrapped", "ListStop", func(b *broken) {
		b.list = func(inner connectors.Connector, ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
			if err := inner.List(ctx, opts, fn); err != nil {
				return fmt.Errorf("listing: %w", err)
			}
			return nil
		}
	}},
	{"keeps calling fn after an error", "ListStop", func(b *broken) {
		b.list = func(inner connectors.Connector, ctx context.Context, opts connectors.ListOptions, fn func(connectors.Item) error) error {
			var first error
			inner.List(ctx, opts, func(it connectors.Item) error {
				if err := fn(it); err != nil && first == nil {
					first = err
				}
				return nil
			})
			return first
		}
	}},
	{"stat size differs", "StatMatchesList", func(b *broken) {
		b.stat = func(inner connectors.Connector, ctx context.Context, ref string) (connectors.Item, error) {
			it, err := inner.Stat(ctx, ref)
			it.Size += 10
			return it, err
		}
	}},
	{"stat of missing unclassified", "StatMissing", func(b *broken) {
		b.stat = func(inner connectors.Connector, ctx context.Context, ref string) (connectors.Item, error) {
			it, err := inner.Stat(ctx, ref)
			if connectors.IsNotFound(err) {
				err = fmt.Errorf("no such file")
			}
			return it, err
		}
	}},
	{"stat accepts malformed refs", "StatInvalid", func(b *broken) {
		b.stat = func(inner connectors.Connector, ctx context.Context, ref string) (connectors.Item, error) {
			it, err := inner.Stat(ctx, ref)
			if connectors.CodeOf(err) == connectors.CodeInvalid {
				err = connectors.Errorf(connectors.CodeNotFound, "stat", ref, nil)
			}
			return it, err
		}
	}},
	{"owner of missing is no error", "Owner", func(b *broken) {
		b.owner = func(inner connectors.Owners, ctx context.Context, ref string) (string, error) {
			o, err := inner.Owner(ctx, ref)
			if connectors.IsNotFound(err) {
				return "", nil
			}
			return o, err
		}
	}},
	{"owner accepts malformed refs", "Owner", func(b *broken) {
		b.owner = func(inner connectors.Owners, ctx context.Context, ref string) (string, error) {
			o, err := inner.Owner(ctx, ref)
			if connectors.CodeOf(err) == connectors.CodeInvalid {
				err = connectors.Errorf(connectors.CodeNotFound, "owner", ref, nil)
			}
			return o, err
		}
	}},
	{"owner fails", "Owner", func(b *broken) {
		b.owner = func(inner connectors.Owners, ctx context.Context, ref string) (string, error) {
			return "", connectors.Errorf(connectors.CodePermission, "owner", ref, nil)
		}
	}},
	{"no concurrency", "Capabilities", func(b *broken) { b.concurrency = func() int { return 0 } }},
	{"concurrent calls share state", "DeleteConcurrent", func(b *broken) {
		// Each call parks its targets in one field, waits for a second
		// call to arrive, and then deletes what the field holds.
		var (
			mu      sync.Mutex
			parked  []connectors.Target
			arrived int
		)
		b.delete = func(inner connectors.Connector, ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
			mu.Lock()
			parked = targets
			arrived++
			mu.Unlock()
			for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
				mu.Lock()
				n := arrived
				mu.Unlock()
				if n >= 2 {
					break
				}
			}
			mu.Lock()
			mine := parked
			mu.Unlock()
			return inner.DeleteBatch(ctx, mine)
		}
	}},
	{"results reversed", "DeleteBatch", mapResults(func(_ []connectors.Target, rs []connectors.Result) []connectors.Result { return reversed(rs) })},
	{"no method", "DeleteBatch", mapResults(func(_ []connectors.Target, rs []connectors.Result) []connectors.Result {
		for i := range rs {
			rs[i].Method = ""
		}
		return rs
	})},
	{"deletes only the first target", "DeleteBatch", func(b *broken) {
		b.delete = func(inner connectors.Connector, ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
			rs, err := inner.DeleteBatch(ctx, targets[:min(1, len(targets))])
			for _, t := range targets[len(rs):] {
				rs = append(rs, connectors.Result{Ref: t.Ref, Outcome: connectors.OutcomeDeleted, Method: "delete"})
			}
			return rs, err
		}
	}},
	{"absent reported deleted", "DeleteAbsent", mapResults(func(_ []connectors.Target, rs []connectors.Result) []connectors.Result {
		for i := range rs {
			if rs[i].Outcome == connectors.OutcomeAbsent {
				rs[i].Outcome, rs[i].Method = connectors.OutcomeDeleted, "delete"
			}
		}
		return rs
	})},
	{"version not checked", "DeleteChanged", func(b *broken) {
		b.delete = func(inner connectors.Connector, ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
			current := slices.Clone(targets)
			for i := range current {
				if it, err := inner.Stat(ctx, current[i].Ref); err == nil {
					current[i].Version = it.Version
				}
			}
			return inner.DeleteBatch(ctx, current)
		}
	}},
	{"changed reported absent", "DeleteMixed", mapResults(func(_ []connectors.Target, rs []connectors.Result) []connectors.Result {
		for i := range rs {
			if rs[i].Outcome == connectors.OutcomeChanged {
				rs[i].Outcome = connectors.OutcomeAbsent
			}
		}
		return rs
	})},
	{"cancellation ignored", "DeleteCancelled", func(b *broken) {
		b.delete = func(inner connectors.Connector, ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
			return inner.DeleteBatch(context.WithoutCancel(ctx), targets)
		}
	}},
	{"deletes, then reports cancelled", "DeleteCancelled", func(b *broken) {
		b.delete = func(inner connectors.Connector, ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
			rs, err := inner.DeleteBatch(context.WithoutCancel(ctx), targets)
			if ctx.Err() != nil {
				for i := range rs {
					rs[i] = connectors.Result{Ref: rs[i].Ref, Outcome: connectors.OutcomeFailed, Err: connectors.Errorf(connectors.CodeCancelled, "delete", rs[i].Ref, ctx.Err())}
				}
			}
			return rs, err
		}
	}},
	{"cancellation as a batch error", "DeleteCancelled", func(b *broken) {
		b.delete = func(inner connectors.Connector, ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return inner.DeleteBatch(ctx, targets)
		}
	}},
	{"empty batch is an error", "DeleteEmpty", func(b *broken) {
		b.delete = func(inner connectors.Connector, ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
			if len(targets) == 0 {
				return nil, fmt.Errorf("nothing to delete")
			}
			return inner.DeleteBatch(ctx, targets)
		}
	}},
	{"malformed refs reported absent", "DeleteInvalid", mapResults(func(_ []connectors.Target, rs []connectors.Result) []connectors.Result {
		for i := range rs {
			if connectors.CodeOf(rs[i].Err) == connectors.CodeInvalid {
				rs[i] = connectors.Result{Ref: rs[i].Ref, Outcome: connectors.OutcomeAbsent}
			}
		}
		return rs
	})},
	{"prunes nothing", "PruneEmpty", func(b *broken) {
		b.prune = func(connectors.Pruner, context.Context, []string, string) ([]string, error) { return nil, nil }
	}},
	{"removed refs shallowest first", "PruneEmpty", func(b *broken) {
		b.prune = func(inner connectors.Pruner, ctx context.Context, containers []string, stopAt string) ([]string, error) {
			removed, err := inner.PruneEmpty(ctx, containers, stopAt)
			return reversed(removed), err
		}
	}},
	{"missing container is an error", "PruneKeepsNonEmpty", func(b *broken) {
		b.prune = func(inner connectors.Pruner, ctx context.Context, containers []string, stopAt string) ([]string, error) {
			removed, err := inner.PruneEmpty(ctx, containers, stopAt)
			if err == nil && slices.Contains(containers, "not/there") {
				err = connectors.Errorf(connectors.CodeNotFound, "prune", "not/there", nil)
			}
			return removed, err
		}
	}},
	{"reports non-empty containers removed", "PruneKeepsNonEmpty", func(b *broken) {
		b.prune = func(inner connectors.Pruner, ctx context.Context, containers []string, stopAt string) ([]string, error) {
			removed, err := inner.PruneEmpty(ctx, containers, stopAt)
			return append(removed, "a/b"), err
		}
	}},
	{"removes stopAt", "PruneStopAt", func(b *broken) {
		b.prune = func(inner connectors.Pruner, ctx context.Context, containers []string, stopAt string) ([]string, error) {
			if i := strings.LastIndexByte(stopAt, '/'); i >= 0 {
				stopAt = stopAt[:i]
			} else {
				stopAt = ""
			}
			return inner.PruneEmpty(ctx, containers, stopAt)
		}
	}},
}

func TestEveryCheckCanFail(t *testing.T) {
	covered := map[string]bool{}
	all := append(slices.Clone(mutants), flatMutants...)
	for i, m := range all {
		covered[m.fails] = true
		t.Run(m.name, func(t *testing.T) {
			h := harness(m.breaks)
			if i >= len(mutants) {
				h = flatHarness(m.breaks)
			}
			if failed, _ := runCheck(t, m.fails, h); !failed {
				t.Fatalf("check %s passed a connector whose %s", m.fails, m.name)
			}
		})
	}
	covered["Capabilities"] = true // TestCapabilitiesMismatch
	for _, c := range checks {
		if !covered[c.name] {
			t.Errorf("no broken connector shows that check %s can fail", c.name)
		}
	}
}

// notPruner hides the memory connector's PruneEmpty.
type notPruner struct{ connectors.Connector }

func TestCapabilitiesMismatch(t *testing.T) {
	h := harness(nil)
	h.Pruner = false
	if failed, _ := runCheck(t, "Capabilities", h); !failed {
		t.Error("Capabilities passed a Pruner declared as not one")
	}
	h = harness(nil)
	inner := h.New
	h.New = func(t testing.TB) (connectors.Connector, Fixture) {
		c, f := inner(t)
		return notPruner{c}, f
	}
	if failed, _ := runCheck(t, "Capabilities", h); !failed {
		t.Error("Capabilities passed a connector declared a Pruner that is not one")
	}
	if failed, msgs := runCheck(t, "PruneEmpty", h); !failed || !strings.Contains(strings.Join(msgs, " "), "does not implement") {
		t.Errorf("PruneEmpty on a non-Pruner: failed %v, %q", failed, msgs)
	}
}

func TestRunSkipsPrunerChecks(t *testing.T) {
	// Run with a connector that is not a Pruner and says so: the Pruner
	// checks are not run, everything else passes.
	Run(t, Harness{
		New: func(t testing.TB) (connectors.Connector, Fixture) {
			s := memory.New(t.Name())
			return notPruner{s.Connector()}, memFixture{s}
		},
	})
}
