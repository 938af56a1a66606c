package m365

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
)

// TestStatBatchRoundTrips checks that StatBatch reads a mailbox's messages
// twenty to a request, mailboxes apart, and that one mailbox's failure is
// its messages' errors only.
func TestStatBatchRoundTrips(t *testing.T) {
	srv, o := fake(t, "anna@skole.test", "bo@skole.test", "carl@skole.test")
	var refs []string
	for _, id := range fill(srv, "anna@skole.test", 45) {
		refs = append(refs, "anna@skole.test/"+id)
	}
	for _, id := range fill(srv, "bo@skole.test", 5) {
		refs = append(refs, "bo@skole.test/"+id)
	}
	for _, id := range fill(srv, "carl@skole.test", 3) {
		refs = append(refs, "carl@skole.test/"+id)
	}
	refs = append(refs, "anna@skole.test/gone", "dorte@skole.test/x")
	c := open(t, o)
	srv.Deny("carl@skole.test", 0)
	before := srv.Stats()
	rs := c.StatBatch(t.Context(), refs)
	after := srv.Stats()
	if got := after.Batches - before.Batches; got != 3+1+1 {
		t.Errorf("%d JSON batches for 45 + 5 + 3 messages, want 5", got)
	}
	if got := after.Requests - before.Requests; got != after.Batches-before.Batches {
		t.Errorf("%d requests besides the batches", got-(after.Batches-before.Batches))
	}
	for i, ref := range refs {
		r := rs[i]
		switch {
		case i < 50:
			if r.Err != nil || r.Item.Ref != ref || r.Item.Version == "" || r.Item.Received.IsZero() {
				t.Errorf("%s: %+v", ref, r)
			}
		case i < 53:
			if connectors.CodeOf(r.Err) != connectors.CodePermission {
				t.Errorf("%s of a mailbox out of reach: %v, want permission", ref, r.Err)
			}
		case ref == "anna@skole.test/gone":
			if !connectors.IsNotFound(r.Err) {
				t.Errorf("%s: %v, want not_found", ref, r.Err)
			}
		default:
			if r.Err == nil {
				t.Errorf("%s of a mailbox outside the source: no error", ref)
			}
		}
	}
}

// TestStatBatchCancelled checks that a cancelled StatBatch answers every
// ref with an error, none with an item it did not read.
func TestStatBatchCancelled(t *testing.T) {
	srv, o := fake(t, "anna@skole.test")
	var refs []string
	for _, id := range fill(srv, "anna@skole.test", 30) {
		refs = append(refs, "anna@skole.test/"+id)
	}
	c := open(t, o)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for i, r := range c.StatBatch(ctx, refs) {
		if r.Err == nil {
			t.Errorf("%s: read after the cancellation: %+v", refs[i], r.Item)
		}
	}
}

// BenchmarkReconcileStat compares what a reconciliation costs a mailbox's
// slice of 200 messages at 10 ms a request: one Stat at a time (as the
// scheduler asks connectors without connectors.BatchStater) against one
// StatBatch. The ratio of the two ns/op is the gain.
func BenchmarkReconcileStat(b *testing.B) {
	srv, o := fake(b, "anna@skole.test")
	var refs []string
	for _, id := range fill(srv, "anna@skole.test", 200) {
		refs = append(refs, "anna@skole.test/"+id)
	}
	srv.Latency = 10 * time.Millisecond
	c := open(b, o)
	b.Run("stat", func(b *testing.B) {
		for b.Loop() {
			for _, ref := range refs {
				if _, err := c.Stat(b.Context(), ref); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("statbatch", func(b *testing.B) {
		for b.Loop() {
			for _, r := range c.StatBatch(b.Context(), refs) {
				if r.Err != nil {
					b.Fatal(fmt.Sprint(r.Err))
				}
			}
		}
	})
}
