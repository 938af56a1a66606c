// Command batchshowbench builds a retentiond database holding one pending
// batch of N items, for bench/batchshow.sh, the way the planner stores
// them (store.NewPlan, PlanWriter.Add, Finish, CreateBatch), without
// listing a share. With -executed it also appends a deletion entry per
// item to the ledger (one in a hundred "changed", one in a thousand
// "failed" with a code) and signs a checkpoint, as an executed batch has.
// With -read it only reads the batch's chunks back (the baseline).
//
//	batchshowbench -db FILE -key FILE -refs FILE -n N [-executed]
//	batchshowbench -db FILE -read
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

func main() {
	db := flag.String("db", "", "database file")
	keyFile := flag.String("key", "", "signing key file (created if missing)")
	refsFile := flag.String("refs", "", "reference key file (created if missing)")
	n := flag.Int("n", 1000000, "items in the batch")
	executed := flag.Bool("executed", false, "record a deletion entry for every item")
	read := flag.Bool("read", false, "only read the batch's chunks back")
	origin := flag.String("origin", "bench.invalid/ledger", "ledger origin")
	flag.Parse()
	var err error
	if *read {
		err = readBack(*db)
	} else {
		err = build(*db, *keyFile, *refsFile, *origin, *n, *executed)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "batchshowbench:", err)
		os.Exit(1)
	}
}

func path(i int) string { return fmt.Sprintf("Elever/elev-%06d/dokument-%d.pdf", i/10, i%10) }

func build(db, keyFile, refsFile, origin string, n int, executed bool) error {
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{Create: true})
	if err != nil {
		return err
	}
	defer st.Close()
	signer, _, err := ledger.LoadOrCreateSigner(keyFile, origin, nil, true)
	if err != nil {
		return err
	}
	refs, _, err := ledger.LoadOrCreateRefKey(refsFile, nil, true)
	if err != nil {
		return err
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	text := "bench policy"
	sum := sha256.Sum256([]byte(text))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	start := time.Now()
	w, err := st.NewPlan(ctx, store.Plan{Source: "share", SourceKind: "fileshare", CreatedAt: store.Time{Time: now}, Today: "2026-11-22", Planner: "it", PolicyDigest: digest})
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		it := store.PlanItem{Ref: path(i), Version: fmt.Sprintf("s123456-m%d", i), Container: fmt.Sprintf("Elever/elev-%06d", i/10),
			Size: 123456, Verdict: "due", Rule: "OLD", Anchor: "2026-09-01", Due: "2026-10-01"}
		if err := w.Add(ctx, it); err != nil {
			return err
		}
	}
	var batch store.Batch
	_, _, err = w.Finish(ctx, store.Plan{Listed: int64(n)}, func(tx *store.Tx, p *store.Plan, totals []store.RuleTotal) error {
		batch = store.Batch{PlanID: p.ID, Source: "share", Rule: "OLD", Policy: "bench", PolicyDigest: digest, CreatedAt: store.Time{Time: now},
			Planner: "it", Items: totals[0].Items, Bytes: totals[0].Bytes, Fingerprint: totals[0].Fingerprint, Status: store.StatusPending,
			UpdatedAt: store.Time{Time: now}}
		_, err := tx.CreateBatch(&batch)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("batch %d of %d items written in %.3fs\n", batch.ID, batch.Items, time.Since(start).Seconds())
	entries := []ledger.Entry{{Type: ledger.TypePolicy, Time: now, Policy: "bench", PolicyDigest: digest, Text: text}}
	if executed {
		if err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.SetStatus(batch.ID, store.StatusDone, "", now)
		}); err != nil {
			return err
		}
	}
	for i := 0; executed && i < n; i++ {
		e := ledger.Entry{Type: ledger.TypeDeletion, Time: now, Batch: batch.ID, Source: "share", SourceKind: "fileshare",
			Item: refs.Ref("item:fileshare:share", path(i)), Size: 123456, Policy: "bench", PolicyDigest: digest, Rule: "OLD",
			Anchor: "2026-09-01", Due: "2026-10-01", Actor: "it", Outcome: "deleted", Method: "delete", Verified: true}
		switch {
		case i%1000 == 7:
			e.Outcome, e.Code, e.Verified = "failed", "permission_denied", false
		case i%100 == 3:
			e.Outcome, e.Verified = "changed", false
		}
		entries = append(entries, e)
		if len(entries) == 1000 {
			if err := appendAll(ctx, st, entries); err != nil {
				return err
			}
			entries = entries[:0]
		}
	}
	if err := appendAll(ctx, st, entries); err != nil {
		return err
	}
	size, err := st.TreeSize(ctx)
	if err != nil {
		return err
	}
	h, err := st.TreeHash(ctx, size)
	if err != nil {
		return err
	}
	note, err := ledger.SignCheckpoint(ledger.Checkpoint{Origin: origin, N: size, Hash: h}, signer)
	if err != nil {
		return err
	}
	if err := st.AddCheckpoint(ctx, size, note, store.Time{Time: now}); err != nil {
		return err
	}
	fmt.Printf("ledger of %d entries written in %.3fs\n", size, time.Since(start).Seconds())
	return nil
}

func appendAll(ctx context.Context, st *store.Store, entries []ledger.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	leaves := make([][]byte, len(entries))
	for i, e := range entries {
		b, err := e.Marshal()
		if err != nil {
			return err
		}
		leaves[i] = b
	}
	return st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Append(leaves...)
		return err
	})
}

// readBack reads every chunk of batch 1 and sums the items' sizes: what
// `batches show` costs before it writes anything.
func readBack(db string) error {
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	var n, bytes int64
	err = st.BatchChunks(ctx, 1, func(c store.Chunk) error {
		for i := range c.Items {
			n++
			bytes += c.Items[i].Size + int64(len(c.Items[i].Ref))
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("read %d items (%d)\n", n, bytes)
	return nil
}
