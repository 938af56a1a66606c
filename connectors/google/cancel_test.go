package google

import (
	"context"
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
)

// deleteCancelledWhen deletes target with c and cancels the call's
// context as soon as reached reports true (the service acted: what is
// named by what), and returns the call's one result, which must come
// without an error.
func deleteCancelledWhen(t *testing.T, c connectors.Connector, target connectors.Target, what string, reached func() bool) connectors.Result {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	type answer struct {
		rs  []connectors.Result
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		rs, err := c.DeleteBatch(ctx, []connectors.Target{target})
		ch <- answer{rs, err}
	}()
	for deadline := time.Now().Add(20 * time.Second); !reached(); {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("never %s: %+v", what, <-ch)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	got := <-ch
	if got.err != nil || len(got.rs) != 1 {
		t.Fatalf("DeleteBatch: %v, %v", got.rs, got.err)
	}
	return got.rs[0]
}
