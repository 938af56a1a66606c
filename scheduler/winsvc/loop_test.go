package winsvc

import (
	"context"
	"errors"
	"testing"
	"time"
)

// manager plays the service control manager: it sends requests and
// records the states reported.
type manager struct {
	requests chan Request
	reports  chan Status
	done     chan error
}

func start(run RunFunc) *manager {
	m := &manager{requests: make(chan Request), reports: make(chan Status, 16), done: make(chan error, 1)}
	go func() { m.done <- Loop(m.requests, func(s Status) { m.reports <- s }, run) }()
	return m
}

func (m *manager) expect(t *testing.T, want State) Status {
	t.Helper()
	select {
	case s := <-m.reports:
		if s.State != want {
			t.Fatalf("reported %v, want %v", s.State, want)
		}
		return s
	case <-time.After(10 * time.Second):
		t.Fatalf("nothing reported, want %v", want)
	}
	return Status{}
}

// daemon is a RunFunc that records reloads and, like the real one, runs
// the work in hand to its end before returning on a stop.
type daemon struct {
	reloads  chan struct{}
	finished chan struct{}
	release  chan struct{} // the work in hand ends when this is closed
}

func newDaemon() *daemon {
	return &daemon{reloads: make(chan struct{}, 16), finished: make(chan struct{}), release: make(chan struct{})}
}

func (d *daemon) run(ctx context.Context, reload <-chan struct{}, ready func()) error {
	ready()
	for {
		select {
		case <-reload:
			d.reloads <- struct{}{}
		case <-ctx.Done():
			<-d.release
			close(d.finished)
			return nil
		}
	}
}

func TestLoopStopsOnlyAfterTheWorkInHand(t *testing.T) {
	for _, req := range []Request{Stop, Shutdown} {
		d := newDaemon()
		m := start(d.run)
		m.expect(t, StartPending)
		if s := m.expect(t, Running); !s.Accepting {
			t.Fatal("running but not accepting requests")
		}
		m.requests <- req
		if s := m.expect(t, StopPending); s.WaitHint != StopWaitHint || s.Accepting {
			t.Fatalf("stop pending: %+v", s)
		}
		// A second stop while stopping changes nothing.
		m.requests <- Stop
		m.requests <- Interrogate
		m.expect(t, StopPending)
		select {
		case <-m.reports:
			t.Fatal("reported stopped while the daemon was still finishing its work")
		default:
		}
		close(d.release)
		m.expect(t, Stopped)
		<-d.finished
		if err := <-m.done; err != nil {
			t.Fatalf("a requested stop returned %v", err)
		}
	}
}

func TestLoopHandsReloadsToTheDaemon(t *testing.T) {
	d := newDaemon()
	m := start(d.run)
	m.expect(t, StartPending)
	m.expect(t, Running)
	m.requests <- Reload
	select {
	case <-d.reloads:
	case <-time.After(10 * time.Second):
		t.Fatal("the reload did not reach the daemon")
	}
	m.requests <- Interrogate
	m.expect(t, Running)
	m.requests <- Stop
	m.expect(t, StopPending)
	close(d.release)
	m.expect(t, Stopped)
	<-m.done
}

// TestLoopCoalescesReloads: the manager must never wait on the service, so
// reloads arriving while the daemon is busy make one more reload, not a
// queue the control handler blocks on.
func TestLoopCoalescesReloads(t *testing.T) {
	busy := make(chan struct{})
	got := make(chan int, 1)
	run := func(ctx context.Context, reload <-chan struct{}, ready func()) error {
		ready()
		<-busy // busy with a plan; reloads pile up
		n := 0
		for {
			select {
			case <-reload:
				n++
			case <-ctx.Done():
				select { // a reload waiting when the stop came
				case <-reload:
					n++
				default:
				}
				got <- n
				return nil
			}
		}
	}
	m := start(run)
	m.expect(t, StartPending)
	m.expect(t, Running)
	for range 5 {
		m.requests <- Reload // must not block
	}
	m.requests <- Interrogate // the loop has handled the reloads once it answers
	m.expect(t, Running)
	close(busy)
	m.requests <- Stop
	m.expect(t, StopPending)
	m.expect(t, Stopped)
	if n := <-got; n != 1 {
		t.Fatalf("%d reloads reached the daemon, want 1", n)
	}
	<-m.done
}

// TestLoopReportsAFailedStart: a daemon that cannot start (no database,
// no key) returns its error; the loop reports Stopped and returns it, so
// the service exits with a failure the recovery actions answer.
func TestLoopReportsAFailedStart(t *testing.T) {
	boom := errors.New("open database: unable to open database file")
	m := start(func(ctx context.Context, reload <-chan struct{}, ready func()) error { return boom })
	m.expect(t, StartPending)
	m.expect(t, Stopped)
	if err := <-m.done; !errors.Is(err, boom) {
		t.Fatalf("loop returned %v", err)
	}
}

// TestLoopStopBeforeReady: a stop that arrives while the daemon is still
// starting stops it without ever reporting Running, and a reload then is
// ignored rather than queued for a daemon that is going away.
func TestLoopStopBeforeReady(t *testing.T) {
	reloaded := make(chan struct{}, 1)
	started := make(chan struct{})
	run := func(ctx context.Context, reload <-chan struct{}, ready func()) error {
		close(started)
		<-ctx.Done()
		select {
		case <-reload:
			reloaded <- struct{}{}
		default:
		}
		ready() // late: the loop must not report Running now
		return nil
	}
	m := start(run)
	m.expect(t, StartPending)
	<-started
	m.requests <- Reload
	m.requests <- Stop
	m.expect(t, StopPending)
	m.expect(t, Stopped)
	<-m.done
	if len(reloaded) != 0 {
		t.Fatal("a reload before the service was running reached the daemon")
	}
}
