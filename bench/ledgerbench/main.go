// Command ledgerbench fills a retentiond database with realistic ledger
// entries, for bench/ledger.sh. It uses the store and ledger packages as the
// daemon does: canonical entries, HMAC references, stored tree hashes,
// synchronous=FULL, a signed checkpoint at the end.
//
//	ledgerbench -db FILE -key FILE -refs FILE -n N [-per-tx 1000] [-origin O]
//
// -per-tx 1 appends one entry per transaction. The database, keys and the
// preamble (policy, batch, approval) are created on first use.
//
//	ledgerbench -db FILE -verify KEY.pub [-cpuprofile F] [-memprofile F]
//
// verifies the database as `retentiond ledger verify --key KEY.pub FILE`
// does (scheduler.VerifyStore) and prints entries/s, optionally writing
// CPU and heap profiles of the verification.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/retentiond/retentiond/scheduler"
	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

func main() {
	db := flag.String("db", "", "database file")
	keyFile := flag.String("key", "", "signing key file (created if missing)")
	refsFile := flag.String("refs", "", "reference key file (created if missing)")
	n := flag.Int("n", 100000, "entries to append")
	perTx := flag.Int("per-tx", 1000, "entries per transaction")
	origin := flag.String("origin", "bench.invalid/ledger", "ledger origin")
	verify := flag.String("verify", "", "verify the database with this verifier key file instead of appending")
	cpuProfile := flag.String("cpuprofile", "", "with -verify: write a CPU profile to this file")
	memProfile := flag.String("memprofile", "", "with -verify: write a heap profile to this file")
	flag.Parse()
	if *verify != "" {
		if err := verifyDB(*db, *verify, *cpuProfile, *memProfile); err != nil {
			fmt.Fprintln(os.Stderr, "ledgerbench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*db, *keyFile, *refsFile, *origin, *n, *perTx); err != nil {
		fmt.Fprintln(os.Stderr, "ledgerbench:", err)
		os.Exit(1)
	}
}

func run(db, keyFile, refsFile, origin string, n, perTx int) error {
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
	size, err := st.TreeSize(ctx)
	if err != nil {
		return err
	}
	text := "version: 1\nid: bench\nrules:\n  - id: OLD\n    keep: P30D\n"
	sum := sha256.Sum256([]byte(text))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	if size == 0 {
		pre := []ledger.Entry{
			{Type: ledger.TypePolicy, Time: now, Policy: "bench", PolicyDigest: digest, Text: text},
			{Type: ledger.TypeBatch, Time: now, Batch: 1, Source: "share", SourceKind: "fileshare", Policy: "bench", PolicyDigest: digest,
				Rule: "OLD", Period: "P30D", Basis: "item.modified", Items: int64(n), Actor: "it"},
			{Type: ledger.TypeApproval, Time: now, Batch: 1, Rule: "OLD", Actor: "anna", Role: "approver", Stage: 1},
		}
		if err := appendAll(ctx, st, pre); err != nil {
			return err
		}
	}
	start := time.Now()
	entries := make([]ledger.Entry, 0, perTx)
	for i := 0; i < n; i++ {
		path := fmt.Sprintf("Elever/elev-%06d/dokument-%d.pdf", i/10, i%10)
		entries = append(entries, ledger.Entry{Type: ledger.TypeDeletion, Time: now.Add(time.Duration(i) * time.Millisecond),
			Batch: 1, Source: "share", SourceKind: "fileshare",
			Item: refs.Ref("item:fileshare:share", path), Container: refs.Ref("container:fileshare:share", fmt.Sprintf("Elever/elev-%06d", i/10)),
			Subject: refs.Ref("subject", fmt.Sprintf("elev-%06d", i/10)), Size: 123456,
			Policy: "bench", PolicyDigest: digest, Rule: "OLD", Period: "P30D", Basis: "item.modified", Anchor: "2026-09-01",
			Due: "2026-10-01", Plan: "sha256:" + hex.EncodeToString(sum[:]), Approvals: []string{"anna"}, Actor: "it",
			Outcome: "deleted", Method: "delete", Verified: true, Host: "fileserver01", Software: "retentiond/bench"})
		if len(entries) == perTx || i == n-1 {
			if err := appendAll(ctx, st, entries); err != nil {
				return err
			}
			entries = entries[:0]
		}
	}
	elapsed := time.Since(start)
	size, err = st.TreeSize(ctx)
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
	fmt.Printf("appended %d entries, %d per transaction, in %.3fs: %.0f entries/s\n", n, perTx, elapsed.Seconds(), float64(n)/elapsed.Seconds())
	return nil
}

func appendAll(ctx context.Context, st *store.Store, entries []ledger.Entry) error {
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

// verifyDB verifies db as `retentiond ledger verify --key keyFile db` does.
func verifyDB(db, keyFile, cpuProfile, memProfile string) error {
	ctx := context.Background()
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return fmt.Errorf("read verifier key: %w", err)
	}
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("create cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("start cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	rep, err := scheduler.VerifyStore(ctx, nil, st, []string{strings.TrimSpace(string(key))}, nil, zap.NewNop())
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err != nil {
			return fmt.Errorf("create heap profile: %w", err)
		}
		defer f.Close()
		runtime.GC()
		if err := pprof.WriteHeapProfile(f); err != nil {
			return fmt.Errorf("write heap profile: %w", err)
		}
	}
	fmt.Printf("verified %d entries, %d checkpoints in %.3fs: %.0f entries/s\n", rep.Entries, rep.Checkpoints, elapsed.Seconds(), float64(rep.Entries)/elapsed.Seconds())
	return nil
}
