package scheduler

import (
	"slices"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/store"
)

// callSize is the most items of a chunk handed to conn under one intent:
// the size a benchmark set, else what a connectors.ContainerChunker asks
// for (a mailbox's items in one call rather than slices that each pay
// their own version re-check and verification round trips), else
// ExecSlice (sliceSize). Before each such call the batch's status, its
// approvals and the holds are read again, whatever its size.
func (p *Pipeline) callSize(conn connectors.Connector) int {
	if cc, ok := conn.(connectors.ContainerChunker); ok && p.slice == 0 {
		if n := cc.ContainerChunking().CallItems; n > 0 {
			return n
		}
	}
	return p.sliceSize()
}

// chunkQueue orders the chunks of a batch left to execute. Without
// byContainer they start in the plan's order. With byContainer (the
// connector's deletions are limited per container: a mailbox) no chunk
// starts while another chunk of one of its containers is in flight, and of
// the chunks that may start the one whose containers have the most items
// not yet started goes first: containers are worked on side by side, round
// robin, rather than one container's chunks one after the other, so that
// as many different containers are in flight as calls may be, whenever so
// many are left, and the largest is not left for last.
type chunkQueue struct {
	byContainer bool
	pending     []store.ChunkInfo // not started, in seq order
	busy        map[string]bool   // containers of the chunks in flight
	left        map[string]int    // items of the chunks not started, per container
}

// newChunkQueue queues the chunks of infos that have items without a
// recorded outcome.
func newChunkQueue(infos []store.ChunkInfo, byContainer bool) *chunkQueue {
	q := &chunkQueue{byContainer: byContainer, busy: map[string]bool{}, left: map[string]int{}}
	for _, ci := range infos {
		if ci.Done >= ci.Items {
			continue
		}
		q.pending = append(q.pending, ci)
		for _, c := range ci.Containers {
			q.left[c] += ci.Items - ci.Done
		}
	}
	return q
}

// empty reports whether every chunk was taken.
func (q *chunkQueue) empty() bool { return len(q.pending) == 0 }

// take returns the chunk to start next and marks its containers in
// flight, or reports false when none may start now (every chunk left
// shares a container with one in flight, or none is left).
func (q *chunkQueue) take() (store.ChunkInfo, bool) {
	best, bestLeft := -1, -1
	for i := range q.pending {
		if !q.byContainer {
			best = i
			break
		}
		most, free := 0, true
		for _, c := range q.pending[i].Containers {
			if q.busy[c] {
				free = false
				break
			}
			most = max(most, q.left[c])
		}
		if free && most > bestLeft {
			best, bestLeft = i, most
		}
	}
	if best < 0 {
		return store.ChunkInfo{}, false
	}
	ci := q.pending[best]
	q.pending = slices.Delete(q.pending, best, best+1)
	if q.byContainer {
		for _, c := range ci.Containers {
			q.busy[c] = true
			q.left[c] -= ci.Items - ci.Done
		}
	}
	return ci, true
}

// release marks the containers of a chunk taken before as no longer in
// flight.
func (q *chunkQueue) release(ci store.ChunkInfo) {
	for _, c := range ci.Containers {
		delete(q.busy, c)
	}
}
