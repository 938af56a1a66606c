package scheduler

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/connectors/memory"
	"github.com/retentiond/retentiond/store"
)

// flightLog records, per container, the DeleteBatch calls in flight: a
// chunk's calls run one after the other, so two calls of one container in
// flight at once are two chunks of it.
type flightLog struct {
	mu       sync.Mutex
	inFlight map[string]int
	mostDistinct,
	sameContainer int // calls that found another call of their container in flight
}

// perContainer is a connector whose deletions are limited per container
// (a mailbox source), whose calls take a while and are logged.
type perContainer struct {
	connectors.Connector
	parallel int
	log      *flightLog
}

func (c *perContainer) ContainerChunking() connectors.ContainerChunking {
	return connectors.ContainerChunking{MinItems: 20, CallItems: 700}
}
func (c *perContainer) DeleteConcurrency() int { return c.parallel }

func (c *perContainer) DeleteBatch(ctx context.Context, targets []connectors.Target) ([]connectors.Result, error) {
	var cs []string
	for _, t := range targets {
		cs = append(cs, path.Dir(t.Ref))
	}
	slices.Sort(cs)
	cs = slices.Compact(cs)
	l := c.log
	l.mu.Lock()
	for _, d := range cs {
		if l.inFlight[d]++; l.inFlight[d] > 1 {
			l.sameContainer++
		}
	}
	l.mostDistinct = max(l.mostDistinct, len(l.inFlight))
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		for _, d := range cs {
			if l.inFlight[d]--; l.inFlight[d] == 0 {
				delete(l.inFlight, d)
			}
		}
		l.mu.Unlock()
	}()
	time.Sleep(40 * time.Millisecond) // the round trips of a call: calls overlap
	return c.Connector.DeleteBatch(ctx, targets)
}

// roundRobinSetup plans and approves rule OLD over folders, each of 4200
// items (chunks of 1,400: two calls of 700 each), opened through a perContainer
// connector with parallel calls.
func roundRobinSetup(t *testing.T, folders, parallel int) (*env, store.Batch, *flightLog) {
	e := newEnv(t)
	for f := range folders {
		for i := range 4200 {
			e.put(fmt.Sprintf("old/m%d/%04d.txt", f, i), 40*24*time.Hour)
		}
	}
	log := &flightLog{inFlight: map[string]int{}}
	wrapOpen(e, func(c connectors.Connector, _ *callLog) connectors.Connector {
		return &perContainer{Connector: c, parallel: parallel, log: log}
	}, nil)
	b := e.batch(e.plan(), "OLD")
	if _, _, err := e.p.Approve(context.Background(), b.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	return e, b, log
}

// A connector limited per container, with several chunks per container:
// its chunks start round robin over the containers, so that as many
// different containers are in flight as calls may be, and never two
// chunks of one container at once. (In the plan's order the three chunks
// of the first container would start together.)
func TestExecuteChunksRoundRobinOverContainers(t *testing.T) {
	e, b, log := roundRobinSetup(t, 3, 3)
	infos, err := e.p.Store.BatchChunkInfos(context.Background(), b.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	var layout []string
	for _, ci := range infos {
		layout = append(layout, fmt.Sprintf("%d:%v", ci.Items, ci.Containers))
	}
	want := "[1400:[old/m0] 1400:[old/m0] 1400:[old/m0] 1400:[old/m1] 1400:[old/m1] 1400:[old/m1] 1400:[old/m2] 1400:[old/m2] 1400:[old/m2]]"
	if fmt.Sprint(layout) != want {
		t.Fatalf("chunks %v, want %s", layout, want)
	}
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil || len(rs) != 1 || rs[0].Err != nil || rs[0].Deleted != b.Items {
		t.Fatalf("execute: %v %+v", err, rs)
	}
	checkAllDeletedOnce(t, e, b)
	if log.sameContainer != 0 {
		t.Errorf("%d calls ran while another chunk of their container was in flight", log.sameContainer)
	}
	if log.mostDistinct != 3 {
		t.Errorf("at most %d containers in flight at once, want 3 (DeleteConcurrency)", log.mostDistinct)
	}
}

// The queue itself, with more containers than calls: each start takes
// the free chunk whose containers have the most items not yet started
// (round robin for equal containers, the largest not left for last),
// never one sharing a container with a chunk in flight; chunks done are
// not queued.
func TestChunkQueueOrder(t *testing.T) {
	var infos []store.ChunkInfo
	add := func(items, done int, containers ...string) {
		infos = append(infos, store.ChunkInfo{Seq: int64(len(infos) + 1), Items: items, Done: done, Containers: containers})
	}
	add(2048, 0, "a")    // 1
	add(2048, 0, "a")    // 2
	add(100, 0, "a")     // 3
	add(2048, 2048, "b") // 4: done
	add(500, 0, "b")     // 5
	add(2048, 0, "c")    // 6
	add(2048, 0, "c")    // 7
	add(2048, 1000, "c") // 8: 1048 left
	add(10, 0, "d", "e") // 9
	add(10, 0, "e", "f") // 10
	q := newChunkQueue(infos, true)
	running := map[int64]store.ChunkInfo{}
	var got []int64
	// Each step: release a running chunk (0: none), then take one (0:
	// none may start).
	steps := []struct{ release, want int64 }{
		{0, 6},  // c: 5144 left
		{0, 1},  // a: 4196
		{0, 5},  // b: 500, over d-e and e-f (20)
		{6, 7},  // c (3096 left) again before d-e
		{1, 2},  // a (2148)
		{0, 9},  // d-e: a and c are in flight
		{0, 0},  // 3 (a), 8 (c) and 10 (e) wait
		{5, 0},  // b is done
		{9, 10}, // e is free
		{7, 8},
		{2, 3},
		{0, 0},
	}
	for i, st := range steps {
		if st.release != 0 {
			q.release(running[st.release])
			delete(running, st.release)
		}
		ci, ok := q.take()
		if !ok {
			ci.Seq = 0
		} else {
			running[ci.Seq] = ci
			got = append(got, ci.Seq)
		}
		if ci.Seq != st.want {
			t.Fatalf("step %d: took %d, want %d (started %v)", i, ci.Seq, st.want, got)
		}
	}
	if !q.empty() {
		t.Fatalf("chunks left: %+v", q.pending)
	}
	// Without byContainer: the plan's order, whatever is in flight.
	q = newChunkQueue(infos, false)
	got = nil
	for !q.empty() {
		ci, _ := q.take()
		got = append(got, ci.Seq)
	}
	if fmt.Sprint(got) != "[1 2 3 5 6 7 8 9 10]" {
		t.Fatalf("order %v, want the plan's", got)
	}
}

// The process dies while chunks of several containers are in flight,
// started round robin: each is partly done. After a restart the chunks'
// progress is read back (as ChunkProgress has it), the open intents are
// reconciled, every chunk resumes where its closed intents end, again
// never two of one container at once, and every approved item is
// recorded deleted exactly once in a ledger that verifies.
func TestCrashResumeRoundRobinChunks(t *testing.T) {
	for _, after := range []int{1500, 5000} {
		t.Run(fmt.Sprintf("crash_after_%d_deletions", after), func(t *testing.T) {
			e, b, _ := roundRobinSetup(t, 3, 3)
			e.crashAfterDeletions(after)
			ctx := context.Background()
			infos, err := e.p.Store.BatchChunkInfos(ctx, b.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			open, err := e.p.Store.OpenIntents(ctx)
			if err != nil || len(open) == 0 {
				t.Fatalf("open intents after the crash: %v %v", open, err)
			}
			started := map[string]bool{} // containers of chunks begun
			for _, ci := range infos {
				for _, in := range open {
					if in.Seq == ci.Seq {
						started[ci.Containers[0]] = true
					}
				}
				done, err := e.p.Store.ChunkProgress(ctx, b.ID, ci.Seq)
				if err != nil || done != ci.Done {
					t.Fatalf("chunk %d: progress %d, ChunkProgress %d %v", ci.Seq, ci.Done, done, err)
				}
				if ci.Done > 0 {
					started[ci.Containers[0]] = true
				}
			}
			if len(started) < 2 {
				t.Fatalf("chunks of containers %v begun before the crash, want several (round robin)", started)
			}
			log := &flightLog{inFlight: map[string]int{}}
			wrapOpen(e, func(c connectors.Connector, _ *callLog) connectors.Connector {
				return &perContainer{Connector: c, parallel: 3, log: log}
			}, nil)
			rs, err := e.p.Execute(ctx, 0, "it")
			if err != nil || len(rs) != 1 || rs[0].Err != nil {
				t.Fatalf("execute after restart: %v %+v", err, rs)
			}
			checkAllDeletedOnce(t, e, b) // e.deletions verifies the ledger
			if log.sameContainer != 0 {
				t.Errorf("after the restart %d calls ran while another chunk of their container was in flight", log.sameContainer)
			}
		})
	}
}

// Every deletion entry names its item's container by the container's own
// reference, also where one slice holds items of several containers, in
// and out of order (the entries of a slice share a remembered reference).
func TestDeletionEntriesContainerRefs(t *testing.T) {
	e := newEnv(t)
	for _, ref := range []string{"old/a/1.txt", "old/a/2.txt", "old/b/1.txt", "old/a/c/1.txt", "old/b/2.txt", "old/x.txt"} {
		e.put(ref, 40*24*time.Hour)
	}
	b := e.batch(e.plan(), "OLD")
	ctx := context.Background()
	if _, _, err := e.p.Approve(ctx, b.ID, "anna", ""); err != nil {
		t.Fatal(err)
	}
	if rs, err := e.p.Execute(ctx, 0, "it"); err != nil || len(rs) != 1 || rs[0].Deleted != 6 {
		t.Fatalf("execute: %v %+v", err, rs)
	}
	want := map[string]string{}
	for _, ref := range []string{"old/a/1.txt", "old/a/2.txt", "old/b/1.txt", "old/a/c/1.txt", "old/b/2.txt", "old/x.txt"} {
		want[e.ref(ref)] = e.p.Refs.Ref("container:memory:src", path.Dir(ref))
	}
	n := 0
	for _, en := range e.entries() {
		if en.Type != "deletion" {
			continue
		}
		n++
		if w, ok := want[en.Item]; !ok || en.Container != w {
			t.Errorf("entry of item %s: container %q, want %q", en.Item, en.Container, w)
		}
	}
	if n != 6 {
		t.Fatalf("%d deletion entries, want 6", n)
	}
}

// A crash after the interrupted run deleted items of the slice in flight:
// their approved versions are gone, and the reconciliation looks for them
// elsewhere in the batch in one listing of the source, asking the source
// about no item outside the slice (before, it asked about every other
// item of the batch, one request each for a mailbox, once per open
// intent). Every approved item is then recorded deleted exactly once.
func TestReconcileSearchesMovedVersionsInOneListing(t *testing.T) {
	const n = 2000
	e, b := approvedMany(t, n)
	e.interruptAfter(100) // the first slice of ExecSlice: 100 deleted, 156 not
	var (
		mu           sync.Mutex
		stats, lists int
	)
	e.src.SetFaults(memory.Faults{
		Stat: func(string) error { mu.Lock(); stats++; mu.Unlock(); return nil },
		List: func() error { mu.Lock(); lists++; mu.Unlock(); return nil },
	})
	if err := e.p.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if stats > ExecSlice || lists != 1 {
		t.Errorf("reconciliation: %d Stat calls and %d listings, want at most %d (the slice) and 1", stats, lists, ExecSlice)
	}
	e.src.SetFaults(memory.Faults{})
	rs, err := e.p.Execute(context.Background(), 0, "it")
	if err != nil || len(rs) != 1 || rs[0].Err != nil {
		t.Fatalf("execute: %v %+v", err, rs)
	}
	d := e.deletions()
	if len(d) != n {
		t.Fatalf("%d items in the ledger, want %d", len(d), n)
	}
	for ref, outcomes := range d {
		if len(outcomes) != 1 || outcomes[0] != "deleted" {
			t.Fatalf("%s: ledger outcomes %v, want exactly one deletion", ref, outcomes)
		}
	}
	if got, _ := e.p.Store.Batch(context.Background(), b.ID); got.Status != store.StatusDone || got.Deleted != n {
		t.Fatalf("batch: %+v", got)
	}
}
