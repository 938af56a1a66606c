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
// it; if no helper has taken it by then, the walker takes it back and
// walks it itself. Each run sends what it finds, in its walk's order:
// batches of items, the parts of the share it skipped, and the runs
// split from it, each at the place its folder comes in the walk. fn's
// goroutine reads the first run and, at each split, the split's run
// whole before going on (drain), so that fn gets the items in exactly
// the order one walker would have found them, while two cores make the
// system calls that find makes on one.
//
// The run being read may have sent listQueue parts ahead of fn; the
// others, at most the listing's budget of parts in all (budget.send),
// after which they wait. As the run being read never waits on the
// budget, and the runs split from it are read before its later parts,
// the listing cannot stall on the budget.

// run is one goroutine's walk of a folder and everything below it.
type run struct {
	// fd, ref and depth: the folder the run walks, opened by the walker
	// that offered it (the run closes it), and its depth below the
	// listed folder. The first run has fd -1.
	fd    int
	ref   string
	depth int
	// taken: a helper walks the run, or the walker that offered it took
	// it back (offerNext); whoever sets it walks it and closes fd.
	taken atomic.Bool

	// Guarded by the budget's mutex: the parts sent and not yet read;
	// whether the run ended, and err, why it stopped before its end
	// (cancellation); whether fn's goroutine is reading it (head).
	parts  []part
	ended  bool
	err    error
	head   bool
	queued int // parts sent while head, without a token
}

func newRun(fd int, ref string, depth int) *run {
	return &run{fd: fd, ref: ref, depth: depth}
}

// part is what a run sends: items, then parts of the share skipped, then
// a run split off at this point, to be read whole before the next part.
type part struct {
	items   []connectors.Item
	skipped []error
	split   *run
	token   bool // holds a part of the read-ahead budget
}

// budget bounds what the runs hold: the run being read at most listQueue
// parts, the others at most free more parts in all. It also carries the
// parts from the runs to fn's goroutine.
type budget struct {
	mu         sync.Mutex
	sent, read sync.Cond // a part was sent or a run ended; a part was read or the head moved
	free       int
	head       *run
	done       bool
}

func newBudget(ctx context.Context, parts int) (*budget, func() bool) {
	b := &budget{free: parts}
	b.sent.L, b.read.L = &b.mu, &b.mu
	stop := context.AfterFunc(ctx, func() {
		b.mu.Lock()
		b.done = true
		b.mu.Unlock()
		b.sent.Broadcast()
		b.read.Broadcast()
	})
	return b, stop
}

// send adds p to what r has sent, once the bound allows it. It reports
// false if the listing ended first.
func (b *budget) send(r *run, p part) bool {
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
			b.read.Wait()
			continue
		}
		r.parts = append(r.parts, p)
		b.sent.Signal()
		return true
	}
}

// end ends the run r, which stopped with err (nil: at its end).
func (b *budget) end(r *run, err error) {
	b.mu.Lock()
	r.ended, r.err = true, err
	b.mu.Unlock()
	b.sent.Signal()
}

// next returns the next part r sent, waiting for it; ok is false once r
// ended and all it sent was read, or the listing ended.
func (b *budget) next(r *run) (p part, ok bool) {
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
	b.read.Broadcast()
	return p, true
}

// reading marks r as the run fn's goroutine reads from now on.
func (b *budget) reading(r *run) {
	b.mu.Lock()
	if b.head != nil {
		b.head.head = false
	}
	r.head, b.head = true, r
	b.mu.Unlock()
	b.read.Broadcast()
}

// drain hands the items of r, and of the runs split from it in their
// places, to fn, and collects the parts skipped. It returns fn's error,
// or why a run stopped early.
func (l *listing) drain(r *run) error {
	l.budget.reading(r)
	for {
		p, ok := l.budget.next(r)
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
			l.budget.reading(r)
		}
	}
	b := l.budget
	b.mu.Lock()
	defer b.mu.Unlock()
	if !r.ended {
		return l.ctx.Err() // the listing ended first
	}
	return r.err
}
