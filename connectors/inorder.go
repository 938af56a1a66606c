package connectors

import (
	"context"
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
	parallel = max(parallel, 1)
	ahead = max(ahead, 1)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	type part struct {
		v     T
		token bool // holds one of tokens, given back when consumed
	}
	type lane struct {
		out  chan part     // the container's parts, closed when produce returns
		head chan struct{} // closed when the consumer reaches the container
	}
	tokens := make(chan struct{}, ahead)
	lanes := make(chan lane, parallel) // in order of i
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
			l := lane{out: make(chan part, ahead+1), head: make(chan struct{})}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				defer close(l.out)
				produce(ctx, i, func(v T) bool {
					if ctx.Err() != nil {
						return false
					}
					p := part{v: v}
					select {
					case <-l.head:
					default:
						select {
						case tokens <- struct{}{}:
							p.token = true
						case <-l.head:
						case <-ctx.Done():
							return false
						}
					}
					select {
					case l.out <- p:
						return true
					case <-ctx.Done():
						return false
					}
				})
			}()
			select {
			case lanes <- l:
			case <-ctx.Done():
				return
			}
		}
	}()

	for i := range n {
		var l lane
		select {
		case l = <-lanes:
		case <-ctx.Done():
			return ctx.Err()
		}
		close(l.head)
		for {
			var p part
			var ok bool
			select {
			case p, ok = <-l.out:
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
				<-tokens
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
