package connectors

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestInOrderDelivers checks that every part is consumed once, in the
// order sent, container after container, each container finished after its
// last part, whatever the producers' speeds and the bounds.
func TestInOrderDelivers(t *testing.T) {
	for _, tc := range []struct{ n, parallel, ahead int }{
		{1, 1, 1}, {7, 1, 1}, {30, 4, 1}, {30, 8, 3}, {50, 20, 20}, {5, 64, 64},
	} {
		t.Run(fmt.Sprintf("n=%d,parallel=%d,ahead=%d", tc.n, tc.parallel, tc.ahead), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.ahead)))
			parts := make([]int, tc.n)
			for i := range parts {
				parts[i] = r.IntN(12) // some containers send nothing
			}
			var running, most atomic.Int64
			type got struct{ i, k int }
			var seq []got
			next := 0 // the container being consumed
			err := InOrder(context.Background(), tc.n, tc.parallel, tc.ahead,
				func(ctx context.Context, i int, send func(got) bool) {
					now := running.Add(1)
					defer running.Add(-1)
					for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
					}
					for k := range parts[i] {
						if i%3 == 0 {
							time.Sleep(time.Duration(i%5) * 100 * time.Microsecond)
						}
						if !send(got{i, k}) {
							t.Errorf("container %d: send refused while the listing runs", i)
							return
						}
					}
				},
				func(i int, g got) error {
					if i != next || g.i != i {
						return fmt.Errorf("part %+v consumed as container %d while at %d", g, i, next)
					}
					seq = append(seq, g)
					return nil
				},
				func(i int) error {
					if i != next {
						return fmt.Errorf("container %d finished while at %d", i, next)
					}
					next++
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			if next != tc.n {
				t.Fatalf("%d containers finished, want %d", next, tc.n)
			}
			var want []got
			for i, n := range parts {
				for k := range n {
					want = append(want, got{i, k})
				}
			}
			if fmt.Sprint(seq) != fmt.Sprint(want) {
				t.Fatalf("consumed\n%v\nwant\n%v", seq, want)
			}
			if m := most.Load(); m > int64(tc.parallel) {
				t.Fatalf("%d producers ran at once, parallel is %d", m, tc.parallel)
			}
		})
	}
}

// TestInOrderListsAheadOfASlowContainer checks that containers behind one
// that is slow to list are listed meanwhile, up to ahead parts: the first
// container's producer waits until the next three have sent all their
// parts, which they can only do ahead of the consumer.
func TestInOrderListsAheadOfASlowContainer(t *testing.T) {
	const n, perContainer = 4, 2
	var others sync.WaitGroup
	others.Add(n - 1)
	err := InOrder(context.Background(), n, n, (n-1)*perContainer,
		func(ctx context.Context, i int, send func(int) bool) {
			if i == 0 {
				waited := make(chan struct{})
				go func() { others.Wait(); close(waited) }()
				select {
				case <-waited:
				case <-time.After(20 * time.Second):
					t.Error("the containers behind the first were not listed while it was")
				}
				send(0)
				return
			}
			defer others.Done()
			for k := range perContainer {
				if !send(k) {
					return
				}
			}
		},
		func(int, int) error { return nil },
		func(int) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
}

// TestInOrderBoundsWhatWaits checks that producers stop at ahead parts
// while the consumer waits on a slow container, that a consumer's error
// ends the listing with that error, and that every producer has returned
// when InOrder does.
func TestInOrderBoundsWhatWaits(t *testing.T) {
	const n, parallel, ahead = 6, 6, 5
	var sent, live atomic.Int64
	release := make(chan struct{})
	stop := errors.New("stop here")
	done := make(chan error, 1)
	go func() {
		done <- InOrder(context.Background(), n, parallel, ahead,
			func(ctx context.Context, i int, send func(int) bool) {
				live.Add(1)
				defer live.Add(-1)
				if i == 0 {
					<-release
					send(0)
					return
				}
				for send(i) {
					sent.Add(1)
				}
			},
			func(i, _ int) error {
				if i == 1 {
					return stop
				}
				return nil
			},
			func(int) error { return nil })
	}()
	deadline := time.Now().Add(20 * time.Second)
	for sent.Load() < ahead && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // room to overrun the bound, if it would
	if got := sent.Load(); got != ahead {
		t.Errorf("containers ahead of the consumer sent %d parts, want the bound, %d", got, ahead)
	}
	close(release)
	if err := <-done; !errors.Is(err, stop) {
		t.Fatalf("InOrder returned %v, want the consumer's error", err)
	}
	if l := live.Load(); l != 0 {
		t.Fatalf("%d producers still running after InOrder returned", l)
	}
}

// TestInOrderCancelled checks that cancelling the context ends InOrder
// with the context's error, the producers told through send.
func TestInOrderCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var refused atomic.Bool
	err := InOrder(ctx, 3, 2, 1,
		func(ctx context.Context, i int, send func(int) bool) {
			if i == 0 {
				cancel()
				<-ctx.Done()
			}
			for range 10 {
				if !send(i) {
					refused.Store(true)
					return
				}
			}
		},
		func(int, int) error { return nil },
		func(int) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("InOrder returned %v, want context.Canceled", err)
	}
	if !refused.Load() {
		t.Fatal("no send was refused after the cancellation")
	}
}

// TestInOrderKeepsAPartForTheNextContainer checks that producers further
// from the consumer leave a part of the bound to the containers between
// them and the consumer that are still being listed: with containers 2
// and 3 asking for parts before container 1 does, container 1 still gets
// one. (Were the bound shared first come, first served, containers 2 and
// 3 would take all of it, and each container would come up with a few
// parts read ahead and the rest still to fetch while the consumer waited.)
func TestInOrderKeepsAPartForTheNextContainer(t *testing.T) {
	const n, parallel, ahead, parts = 4, 4, 3, 5
	var far, next atomic.Int64
	release, go1 := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- InOrder(context.Background(), n, parallel, ahead,
			func(ctx context.Context, i int, send func(int) bool) {
				sent := &far
				switch i {
				case 0:
					<-release
					send(0)
					return
				case 1:
					<-go1
					sent = &next
				}
				for range parts {
					if !send(i) {
						return
					}
					sent.Add(1)
				}
			},
			func(int, int) error { return nil },
			func(int) error { return nil })
	}()
	wait := func(what string, c *atomic.Int64, want int64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for c.Load() < want && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // room to overrun, if it would
		if got := c.Load(); got != want {
			t.Errorf("%s sent %d parts ahead of the consumer, want %d", what, got, want)
		}
	}
	// Containers 2 and 3 leave one part to container 1, still listing.
	wait("containers 2 and 3", &far, ahead-1)
	close(go1)
	wait("container 1, asking last,", &next, 1)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if f, x := far.Load(), next.Load(); f != 2*parts || x != parts {
		t.Fatalf("sent %d and %d parts, want %d and %d", f, x, 2*parts, parts)
	}
}
