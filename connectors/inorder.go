package connectors

import (
	"context"
	"slices"
	"sync"
)

// InOrder lists containers side by side and hands what they produce over
// in container order, for connectors that list container by container
// (mailboxes, users) and must deliver each container's items together so
// that ListOptions.ContainerDone can follow them.
//
// It calls produce(ctx, i, send) for i = 0 … n-1, at most parallel at
// once, starting them in order of i. It calls consume(i, part) in the
// calling goroutine for every part produce i sent, in the order sent, all
// of container i's before any of container i+1's, and finished(i) once
// produce i has returned and all its parts were consumed.
//
// Producers of later containers run ahead of the container being consumed
// by at most ahead parts in all: a container behind a slow one is listed
// while the slow one is, not after it, and what waits is bounded (about
// parallel + 2×ahead parts). The container being consumed is never held
// back by that bound, so the listing cannot stall on it.
//
// The bound favours the containers next in line: a producer may take one
// of the last parts of the bound only if no container between it and the
// one being consumed is still being listed (each of those keeps one part
// of the bound for itself). Without that, every producer took an even
// share, so that each container came up with a few parts read ahead and
// the rest still to be fetched one after the other while the consumer
// waited; with it, the next containers are read whole while the far ones
// wait.
//
// send returns false once ctx is done or InOrder is returning; produce
// should then return. InOrder returns the first error of consume or
// finished, or ctx's error if ctx ends first; either way it cancels the
// producers' context and waits for every producer to return.
func InOrder[T any](ctx context.Context, n, parallel, ahead int,
	produce func(ctx context.Context, i int, send func(T) bool),
	consume func(i int, part T) error,
	finished func(i int) error,
) error {
	if n == 0 {
		return nil
	}
	parallel, ahead = max(parallel, 1), max(ahead, 1)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // which also wakes the producers waiting for the bound
	budget := newReadAhead(ctx, ahead)

	type part struct {
		v     T
		token bool // holds a part of the bound, given back when consumed
	}
	lanes := make(chan chan part, parallel) // each container's parts, in order of i
	slots := make(chan struct{}, parallel)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			// A container ahead of the consumer holds at most ahead parts
			// (each holds a token), so its send never waits for the
			// consumer; the one being consumed waits once it is ahead+1
			// parts ahead.
			out := make(chan part, ahead+1)
			budget.start(i)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				defer close(out)
				defer budget.finish(i)
				produce(ctx, i, func(v T) bool {
					token, ok := budget.take(ctx, i)
					if !ok {
						return false
					}
					select {
					case out <- part{v: v, token: token}:
						return true
					case <-ctx.Done():
						return false
					}
				})
			}()
			select {
			case lanes <- out:
			case <-ctx.Done():
				return
			}
		}
	}()

	for i := range n {
		var out chan part
		select {
		case out = <-lanes:
		case <-ctx.Done():
			return ctx.Err()
		}
		budget.reach(i)
		for {
			var p part
			var ok bool
			select {
			case p, ok = <-out:
			case <-ctx.Done():
			}
			if err := ctx.Err(); err != nil {
				// A producer told to stop ends its container early: what
				// it sent is not the container's whole listing.
				return err
			}
			if !ok {
				break
			}
			if p.token {
				budget.give()
			}
			if err := consume(i, p.v); err != nil {
				return err
			}
		}
		if err := finished(i); err != nil {
			return err
		}
	}
	return nil
}

// readAhead is InOrder's bound on the parts held by containers ahead of
// the one being consumed.
type readAhead struct {
	mu      sync.Mutex
	changed sync.Cond // free, head or live changed, or ctx ended
	free    int       // parts of the bound not held
	head    int       // the container being consumed; -1 before the first
	live    []int     // containers being listed, in order
}

func newReadAhead(ctx context.Context, ahead int) *readAhead {
	r := &readAhead{free: ahead, head: -1}
	r.changed.L = &r.mu
	context.AfterFunc(ctx, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.changed.Broadcast()
	})
	return r
}

// take waits until container i may hand a part over and says whether the
// part holds a token (it does unless i is being consumed); ok is false
// once ctx is done.
func (r *readAhead) take(ctx context.Context, i int) (token, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ctx.Err() == nil {
		if i == r.head {
			return false, true
		}
		if r.free > r.nearer(i) {
			r.free--
			return true, true
		}
		r.changed.Wait()
	}
	return false, false
}

// nearer counts the containers being listed between the one being
// consumed and i: each keeps a token for itself.
func (r *readAhead) nearer(i int) int {
	k := 0
	for _, j := range r.live {
		if j > r.head && j < i {
			k++
		}
	}
	return k
}

func (r *readAhead) update(fn func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn()
	r.changed.Broadcast()
}

// start and finish bracket container i's listing; reach says the consumer
// has come to it; give returns a token.
func (r *readAhead) start(i int) { r.update(func() { r.live = append(r.live, i) }) }
func (r *readAhead) reach(i int) { r.update(func() { r.head = i }) }
func (r *readAhead) give()       { r.update(func() { r.free++ }) }
func (r *readAhead) finish(i int) {
	r.update(func() {
		if k := slices.Index(r.live, i); k >= 0 {
			r.live = slices.Delete(r.live, k, k+1)
		}
	})
}
