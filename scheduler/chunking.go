package scheduler

import "github.com/retentiond/retentiond/connectors"

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
