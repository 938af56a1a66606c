package scheduler

import (
	"context"
	"fmt"
	"testing"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

// BenchmarkCheckBatchDecisions measures CheckBatchDecisions on a ledger of
// about 100,000 entries, in one run against what it guards: reading the
// batch row, and deleting one chunk (2048 items, a plan's chunk) and one
// slice (ExecSlice items) with the in-memory connector.
//
//	go test ./scheduler -run '^$' -bench CheckBatchDecisions -benchtime 2s
//
// "cached" is the check before every slice but the first of a batch (the
// approvals and the checkpoint unchanged: two small reads); "proved" is a
// check with nothing cached (a new process, or a new checkpoint): the
// checkpoint's signature, the stored tree hash at its size, and an
// inclusion proof per approval entry.
func BenchmarkCheckBatchDecisions(b *testing.B) {
	const entries = 100_000
	e := newEnvB(b)
	ctx := context.Background()
	batch := e.approvedBatch()
	ref := e.ref("old/filler.txt")
	for n, _ := e.p.Store.TreeSize(ctx); n < entries; {
		err := e.p.Store.Write(ctx, func(tx *store.Tx) error {
			leaves := make([][]byte, 0, 5000)
			for i := 0; i < 5000 && n < entries; i++ {
				en := ledger.Entry{Type: ledger.TypeOwnerNotice, Time: now, Item: ref, Rule: "OLD", Due: "2026-12-01", Role: "owner",
					Host: "bench", Software: "retentiond/bench"}
				data, err := en.Marshal()
				if err != nil {
					return err
				}
				leaves = append(leaves, data)
				n++
			}
			_, err := tx.Append(leaves...)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := e.p.Checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	if n, _ := e.p.Store.TreeSize(ctx); n < entries {
		b.Fatalf("ledger of %d entries", n)
	}
	if _, err := e.p.CheckBatchDecisions(ctx, &batch); err != nil {
		b.Fatal(err)
	}

	b.Run("check/cached", func(b *testing.B) {
		for range b.N {
			if _, err := e.p.CheckBatchDecisions(ctx, &batch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("check/proved", func(b *testing.B) {
		for range b.N {
			e.forget()
			if _, err := e.p.CheckBatchDecisions(ctx, &batch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read-batch-row", func(b *testing.B) {
		for range b.N {
			if _, err := e.p.Store.Batch(ctx, batch.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, size := range []int{ExecSlice, 2048} {
		b.Run(fmt.Sprintf("delete-memory-chunk/%d", size), func(b *testing.B) {
			conn := e.src.Connector()
			defer conn.Close()
			targets := make([]connectors.Target, size)
			for range b.N {
				b.StopTimer()
				for i := range targets {
					r := fmt.Sprintf("bench/%d.txt", i)
					e.src.Put(r, []byte("x"), now)
					st, err := conn.Stat(ctx, r)
					if err != nil {
						b.Fatal(err)
					}
					targets[i] = connectors.Target{Ref: r, Version: st.Version}
				}
				b.StartTimer()
				res, err := conn.DeleteBatch(ctx, targets)
				if err != nil || len(res) != size || res[0].Outcome != connectors.OutcomeDeleted {
					b.Fatalf("%v %+v", err, res[:1])
				}
			}
		})
	}
}
