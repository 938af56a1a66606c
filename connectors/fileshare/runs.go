package fileshare

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/retentiond/retentiond/connectors"
)

// A listing's walk is done in runs. The walking goroutine walks the
// listed folder (the first run). Each time a walker enters a folder, it
// offers the next folder of the same parent to the helper goroutines as
// a run of its own (offerNext, on Linux): a helper that takes it walks it
// meanwhile, and the walker sends the run in its place when it comes to
// it; if no helper has taken it by then, the walker walks it itself. Each
// run sends what it finds, in its walk's order: batches of items, the
// parts of the share it skipped, and the runs split from it, each at the
// place its folder comes in the walk. fn's goroutine reads the first run
// and, at each split, the split's run whole before going on (drain), so
// that fn gets the items in exactly the order one walker would have found
// them, while two cores make the system calls that find makes on one.
//
// The run being read may have sent listQueue parts ahead of fn; the
// others, at most the listing's budget of parts in all (board.send),
// after which they wait, and meanwhile help look up the windows offered
// (lstatAll), which never wait. As the run being read never waits on the
// budget, and the runs split from it are read before its later parts,
// the listing cannot stall on the budget.

// run is one goroutine's walk of a folder and everything below it.
type run struct {
	// fd, ref and depth: the folder the run walks, opened by the walker
	// that offered it (whoever walks the run closes it), and its depth
	// below the listed folder. The first run has fd -1.
	fd    int
	ref   string
	depth int
	// state: offered, then taken by a helper, which walks it, or kept
	// by the walker that offered it, which walks it in its place
	// (offerNext).
	state atomic.Int32

	// Guarded by the board's mutex: the parts sent and not yet read;
	// whether the run ended, and err, why it stopped before its end
	// (cancellation); whether fn's goroutine is reading it (head).
	parts  []part
	ended  bool
	err    error
	head   bool
	queued int // parts sent while head, without a token
}

// A run's states.
const (
	runOffered = iota
	runTaken   // by a helper
	runKept    // by the walker that offered it
)

func newRun(fd int, ref string, depth int) *run {
	return &run{fd: fd, ref: ref, depth: depth}
}

// take reports whether the helper calling it may walk r.
func (r *run) take() bool { return r.state.CompareAndSwap(runOffered, runTaken) }

// keep reports whether the walker that offered r walks it itself: no
// helper took it.
func (r *run) keep() bool {
	r.state.CompareAndSwap(runOffered, runKept)
	return r.state.Load() == runKept
}

// part is what a run sends: items, then parts of the share skipped, then
// a run split off at this point, to be read whole before the next part.
type part struct {
	items   []connectors.Item
	skipped []error
	split   *run
	token   bool // holds a part of the read-ahead budget
}

// board is what the goroutines of a listing meet on. It bounds what the
// runs hold (the run being read at most listQueue parts, the others at
// most free more parts in all), carries the parts from the runs to fn's
// goroutine, and holds the work offered to the helpers: a folder to walk
// and a window to look into.
type board struct {
	mu     sync.Mutex
	sent   sync.Cond // a part was sent or a run ended: for fn's goroutine
	change sync.Cond // a part was read, the head moved, work was offered, or the listing ended
	free   int
	head   *run
	done   bool
	run    *run     // the folder offered, if any
	window *statJob // the window offered, if any
}

func newBoard(ctx context.Context, parts int) (*board, func() bool) {
	b := &board{free: parts}
	b.sent.L, b.change.L = &b.mu, &b.mu
	stop := context.AfterFunc(ctx, func() {
		b.mu.Lock()
		b.done = true
		b.mu.Unlock()
		b.sent.Broadcast()
		b.change.Broadcast()
	})
	return b, stop
}

// send adds p to what r has sent, once the bound allows it, helping with
// the windows offered while it waits. It reports false if the listing
// ended first.
func (b *board) send(r *run, p part) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		switch {
		case b.done:
			return false
		case r.head && r.queued < listQueue:
			r.queued++
		case !r.head && b.free > 0:
			b.free--
			p.token = true
		default:
			if j := b.takeWindow(); j != nil {
				b.mu.Unlock()
				j.run()
				b.mu.Lock()
			} else {
				b.change.Wait()
			}
			continue
		}
		r.parts = append(r.parts, p)
		b.sent.Signal()
		return true
	}
}

// takeWindow returns the window offered if names are left in it to look
// up (b.mu held).
func (b *board) takeWindow() *statJob {
	if b.window != nil && !b.window.taken() {
		return b.window
	}
	b.window = nil
	return nil
}

// end ends the run r, which stopped with err (nil: at its end).
func (b *board) end(r *run, err error) {
	b.mu.Lock()
	r.ended, r.err = true, err
	b.mu.Unlock()
	b.sent.Signal()
}

// next returns the next part r sent, waiting for it; ok is false once r
// ended and all it sent was read, or the listing ended.
func (b *board) next(r *run) (p part, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(r.parts) == 0 {
		if r.ended || b.done {
			return part{}, false
		}
		b.sent.Wait()
	}
	p = r.parts[0]
	r.parts[0] = part{}
	r.parts = r.parts[1:]
	if p.token {
		b.free++
	} else {
		r.queued--
	}
	b.change.Broadcast()
	return p, true
}

// reading marks r as the run fn's goroutine reads from now on.
func (b *board) reading(r *run) {
	b.mu.Lock()
	if b.head != nil {
		b.head.head = false
	}
	r.head, b.head = true, r
	b.mu.Unlock()
	b.change.Broadcast()
}

// mayOffer reports whether offerRun would take a run of from now.
func (b *board) mayOffer(from *run) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.takesFrom(from)
}

// takesFrom reports whether the board takes an offer of from's walker
// (b.mu held): unless the listing ended, when no offer waits, or when
// from is the run being read (offerRun).
func (b *board) takesFrom(from *run) bool {
	return !b.done && (b.run == nil || from.head || b.run.state.Load() != runOffered)
}

// offerRun offers r, a folder the walker of from is about to come to, to
// the helpers. The run being read offers the folders it comes to next,
// nearer than any offered before (a run split from it and taken is read
// before its later parts), so its offer replaces one still waiting, which
// its walker then keeps; another run's offer waits for the place to be
// free.
func (b *board) offerRun(from, r *run) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.takesFrom(from) {
		return false
	}
	if b.run != nil {
		b.run.keep()
	}
	b.run = r
	b.change.Broadcast()
	return true
}

// offerWindow offers j to the helpers and to the walkers waiting for the
// budget.
func (b *board) offerWindow(j *statJob) {
	b.mu.Lock()
	b.window = j
	b.mu.Unlock()
	b.change.Broadcast()
}

// work waits for a window or a folder offered, and returns it; both nil
// once the listing ended.
func (b *board) work() (*statJob, *run) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for !b.done {
		if j := b.takeWindow(); j != nil {
			return j, nil
		}
		if r := b.run; r != nil {
			b.run = nil
			if r.take() {
				return nil, r
			}
			continue
		}
		b.change.Wait()
	}
	return nil, nil
}

// drain hands the items of r, and of the runs split from it in their
// places, to fn, and collects the parts skipped. It returns fn's error,
// or why a run stopped early.
func (l *listing) drain(r *run) error {
	l.board.reading(r)
	for {
		p, ok := l.board.next(r)
		if !ok {
			break
		}
		l.skipped = append(l.skipped, p.skipped...)
		for i := range p.items {
			if l.ctx.Err() != nil {
				break // the walk stops at its next entry
			}
			if err := l.fn(p.items[i]); err != nil {
				l.fnErr = err
				l.stop()
				return err
			}
		}
		l.recycle(p.items)
		if p.split != nil {
			if err := l.drain(p.split); err != nil {
				return err
			}
			l.board.reading(r)
		}
	}
	b := l.board
	b.mu.Lock()
	defer b.mu.Unlock()
	if !r.ended {
		return l.ctx.Err() // the listing ended first
	}
	return r.err
}
