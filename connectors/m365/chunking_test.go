package m365

import (
	"testing"

	"github.com/retentiond/retentiond/connectors"
)

// The executor hands a mailbox's messages to DeleteBatch in calls of
// ContainerChunking().CallItems: whole JSON batches, and so many that a
// call's fixed cost (one listing to re-check versions, one to verify
// absence) is two requests against CallItems/20 batches of deletions.
func TestContainerChunkingCalls(t *testing.T) {
	var c connectors.Connector = &Connector{}
	cc, ok := c.(connectors.ContainerChunker)
	if !ok {
		t.Fatal("the m365 connector does not implement connectors.ContainerChunker")
	}
	ch := cc.ContainerChunking()
	if ch.MinItems != maxBatch || ch.CallItems%maxBatch != 0 || ch.CallItems < listThreshold {
		t.Fatalf("ContainerChunking %+v: want MinItems %d and CallItems a multiple of %d, at least %d", ch, maxBatch, maxBatch, listThreshold)
	}

	srv, o := fake(t, "anna@skole.test")
	fill(srv, "anna@skole.test", ch.CallItems)
	conn := open(t, o)
	items, err := listAll(t, conn, connectors.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Stats()
	rs, err := conn.DeleteBatch(t.Context(), targets(items))
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(rs); got[connectors.OutcomeDeleted] != ch.CallItems {
		t.Fatalf("outcomes %v, want %d deleted", got, ch.CallItems)
	}
	if n, want := srv.Stats().Requests-before.Requests, int64(ch.CallItems/maxBatch+2); n != want {
		t.Errorf("%d requests for a call of %d messages, want %d: %d batches of deletions, one listing before and one after", n, ch.CallItems, want, ch.CallItems/maxBatch)
	}
}
