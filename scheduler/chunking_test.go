package scheduler

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/store"
)

// callLog records the DeleteBatch calls of the connectors a test opens.
type callLog struct {
	mu             sync.Mutex
	calls          [][]string // containers of each call's targets, in order
	inFlight, most int
	// overlapped is closed once as many calls as the connector allows
	// were in flight at once: until then each call waits for it (or 10 s),
	// so that the calls overlap however slow the machine is.
	overlapped chan struct{}
}

// byContainer wraps a connector as one whose deletions are limited per
// container (a mailbox source): it asks for chunks and calls by container.
type byContainer struct {
	connectors.Connector
	chunking connectors.ContainerChunking
	parallel int
	log      *callLog
}

func (c *byContainer) ContainerChunking() connectors.ContainerChunking { return c.chunking }
func (c *byContainer) DeleteConcurrency() int                          { return c.parallel }

// counting records DeleteBatch calls; it is the connector of a source
// that asks for nothing but concurrency.
type counting struct {
	connectors.Connector
	parallel int
	log      *callLog
}

func (c *counting) DeleteConcurrency() int { return c.parallel }

func (c *counting) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
	return c.log.deleteBatch(ctx, c.Connector, c.parallel, targets)
}

func (c *byContainer) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
	return c.log.deleteBatch(ctx, c.Connector, c.parallel, targets)
}

// deleteBatch logs the call and deletes through conn; the first calls
// wait until parallel of them are in flight.
func (l *callLog) deleteBatch(ctx context.Context, conn connectors.Connector, parallel int, targets []connectors.Target) ([]connectors.Result, error) {
	var cs []string
	for _, t := range targets {
		cs = append(cs, path.Dir(t.Ref))
	}
	l.mu.Lock()
	l.calls = append(l.calls, cs)
	l.inFlight++
	l.most = max(l.most, l.inFlight)
	if l.overlapped == nil {
		l.overlapped = make(chan struct{})
	}
	overlapped := l.overlapped
	if l.inFlight == parallel {
		select {
		case <-overlapped:
		default:
			close(overlapped)
		}
	}
	l.mu.Unlock()
	select {
	case <-overlapped:
	case <-time.After(10 * time.Second): // fewer calls than allowed run at once: the test says so
	case <-ctx.Done():
	}
	defer func() {
		l.mu.Lock()
		l.inFlight--
		l.mu.Unlock()
	}()
	return conn.DeleteBatch(ctx, targets)
}

// containerSetup plans and approves rule OLD over four small folders of 5
// items, six of 700 and one of 2100, through a connector wrapped by wrap,
// and returns the batch and its chunk sizes.
func containerSetup(t *testing.T, wrap func(connectors.Connector, *callLog) connectors.Connector) (e *env, b store.Batch, chunks []int, log *callLog) {
	e = newEnv(t)
	folders := map[string]int{}
	for i := range 4 {
		folders[fmt.Sprintf("old/a%d", i)] = 5
	}
	for i := range 6 {
		folders[fmt.Sprintf("old/b%d", i)] = 700
	}
	folders["old/c0"] = 2100
	for f, n := range folders {
		for i := range n {
			e.put(fmt.Sprintf("%s/%04d.txt", f, i), 40*24*time.Hour)
		}
	}
	log = &callLog{}
	wrapOpen(e, wrap, log)
	b = e.batch(e.plan(), "OLD")
	ctx := context.Background()
	if err := e.p.Store.BatchChunks(ctx, b.ID, func(c store.Chunk) error {
		chunks = append(chunks, len(c.Items))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.p.Approve(ctx, b.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	return e, b, chunks, log
}

// wrapOpen makes e's pipeline open its source through wrap.
func wrapOpen(e *env, wrap func(connectors.Connector, *callLog) connectors.Connector, log *callLog) {
	open := e.p.Open
	e.p.Open = func(ctx context.Context, src configs.Source) (connectors.Connector, error) {
		c, err := open(ctx, src)
		if err != nil {
			return nil, err
		}
		return wrap(c, log), nil
	}
}

// checkAllDeletedOnce checks that every item of batch b is gone and
// recorded deleted exactly once in a ledger that verifies, and the batch
// done.
func checkAllDeletedOnce(t *testing.T, e *env, b store.Batch) {
	t.Helper()
	if e.src.Len() != 0 {
		t.Fatalf("%d items left", e.src.Len())
	}
	d := e.deletions()
	if int64(len(d)) != b.Items {
		t.Fatalf("%d items in the ledger, want %d", len(d), b.Items)
	}
	for ref, outcomes := range d {
		if len(outcomes) != 1 || outcomes[0] != "deleted" {
			t.Fatalf("%s: ledger outcomes %v, want exactly one deletion", ref, outcomes)
		}
	}
	got, err := e.p.Store.Batch(context.Background(), b.ID)
	if err != nil || got.Status != store.StatusDone || got.Deleted != b.Items {
		t.Fatalf("batch: %+v %v", got, err)
	}
}

// containerEnv is containerSetup, then an execution, which must delete
// and record every item once.
func containerEnv(t *testing.T, wrap func(connectors.Connector, *callLog) connectors.Connector) (chunks []int, log *callLog, e *env) {
	e, b, chunks, log := containerSetup(t, wrap)
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil || len(rs) != 1 || rs[0].Err != nil || rs[0].Deleted != b.Items {
		t.Fatalf("execute: %v %+v", err, rs)
	}
	checkAllDeletedOnce(t, e, b)
	return chunks, log, e
}

func chunkByContainer(c connectors.Connector, log *callLog) connectors.Connector {
	return &byContainer{Connector: c, chunking: connectors.ContainerChunking{MinItems: 20, CallItems: 300}, parallel: 3, log: log}
}

// The process dies while calls of a container chunker's size are in
// flight in several chunks: after a restart every approved item is
// recorded as deleted exactly once (the open intents of 300 items are
// reconciled) and the ledger verifies.
func TestCrashRecoveryContainerChunks(t *testing.T) {
	for _, after := range []int{1, 650, 3000} {
		t.Run(fmt.Sprintf("crash_after_%d_deletions", after), func(t *testing.T) {
			e, b, _, _ := containerSetup(t, chunkByContainer)
			e.crashAfterDeletions(after)
			wrapOpen(e, chunkByContainer, &callLog{})
			if open, err := e.p.Store.OpenIntents(context.Background()); err != nil || len(open) == 0 {
				t.Fatalf("open intents after the crash: %v %v", open, err)
			}
			rs, err := e.p.Execute(context.Background(), 0, "it")
			if err != nil || len(rs) != 1 || rs[0].Err != nil {
				t.Fatalf("execute after restart: %v %+v", err, rs)
			}
			checkAllDeletedOnce(t, e, b) // e.deletions verifies the ledger
		})
	}
}

// A connector whose deletions are limited per container gets chunks that
// end where a container ends (small containers share one up to MinItems)
// and DeleteBatch calls of at most CallItems targets, each of one
// container except the small ones', DeleteConcurrency at once.
func TestExecuteChunksByContainer(t *testing.T) {
	chunks, log, _ := containerEnv(t, chunkByContainer)
	// The last container, 2,100 items, in whole calls: 1,800 and 300.
	want := []int{20, 700, 700, 700, 700, 700, 700, 1800, 300}
	if fmt.Sprint(chunks) != fmt.Sprint(want) {
		t.Fatalf("chunks of %v items, want %v", chunks, want)
	}
	var sizes []int
	for _, cs := range log.calls {
		sizes = append(sizes, len(cs))
		if len(cs) > 300 {
			t.Errorf("a call of %d targets, want at most CallItems 300", len(cs))
		}
		if u := slices.Compact(slices.Clone(cs)); len(u) > 1 && len(cs) != 20 {
			t.Errorf("a call of %d targets over containers %v: only the small containers' chunk may share", len(cs), u)
		}
	}
	slices.Sort(sizes)
	// 20; 300, 300, 100 per folder of 700; 1,800 as 6 × 300; 300.
	wantSizes := []int{20, 100, 100, 100, 100, 100, 100, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300}
	if fmt.Sprint(sizes) != fmt.Sprint(wantSizes) {
		t.Errorf("calls of %v targets, want %v", sizes, wantSizes)
	}
	if log.most != 3 {
		t.Errorf("at most %d calls in flight, want 3 (DeleteConcurrency)", log.most)
	}
}

// Other connectors keep the plan's chunks (ending at a container only
// once half full) and slices of ExecSlice.
func TestExecuteChunksWithoutContainerHint(t *testing.T) {
	chunks, log, _ := containerEnv(t, func(c connectors.Connector, log *callLog) connectors.Connector {
		return &counting{Connector: c, parallel: 3, log: log}
	})
	// 20 + 700 + 700 ≥ 1024 ends at b1's end; then b2, b3; b4, b5; c0 is
	// split at 2048; the rest.
	want := []int{1420, 1400, 1400, 2048, 52}
	if fmt.Sprint(chunks) != fmt.Sprint(want) {
		t.Fatalf("chunks of %v items, want %v", chunks, want)
	}
	most := 0
	for _, cs := range log.calls {
		most = max(most, len(cs))
	}
	if most != ExecSlice {
		t.Errorf("largest call of %d targets, want ExecSlice %d", most, ExecSlice)
	}
}

// The batch's status is read again before every call, whatever its size:
// a batch rejected while a container chunker's call of 300 runs stops
// after that call (one call at a time here).
func TestRejectWhileExecutingStopsAfterTheCallInFlight(t *testing.T) {
	e, b, _, _ := containerSetup(t, func(c connectors.Connector, log *callLog) connectors.Connector {
		return &byContainer{Connector: c, chunking: connectors.ContainerChunking{MinItems: 20, CallItems: 300}, parallel: 1, log: log}
	})
	rejected := false
	e.src.SetFaults(memory.Faults{BeforeDelete: func(ref string) error {
		if !rejected && strings.HasPrefix(ref, "old/b") {
			rejected = true
			res, err := e.p.Reject(context.Background(), b.ID, "bo", DecisionOptions{Reason: "a case is still open"})
			if err != nil || !res.WasExecuting {
				t.Errorf("reject during execution: %+v %v", res, err)
			}
		}
		return nil
	}})
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil || len(rs) != 1 || rs[0].Err != nil {
		t.Fatalf("execute: %v %+v", err, rs)
	}
	// The small containers' chunk (20), then the call in flight (300).
	const want = 20 + 300
	if rs[0].Stopped == "" || rs[0].Deleted != want {
		t.Fatalf("result %+v: want stopped after the call in flight (%d deleted)", rs[0], want)
	}
	if left := int64(e.src.Len()); left != b.Items-want {
		t.Fatalf("%d items left, want %d", left, b.Items-want)
	}
	if len(e.deletions()) != want {
		t.Fatalf("%d deletion entries, want %d", len(e.deletions()), want)
	}
}
