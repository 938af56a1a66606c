package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"
)

// addBehind adds n due items of rule R (and a kept one of rule K every
// fifth) to w with ctx, returning the first error.
func addBehind(ctx context.Context, w *PlanWriter, from, n int) error {
	for i := from; i < from+n; i++ {
		it := PlanItem{Ref: fmt.Sprintf("f/%07d", i), Container: "f", Version: fmt.Sprintf("v%d", i), Verdict: "due", Rule: "R", Due: "2026-01-01", Size: int64(i)}
		if i%5 == 0 {
			it.Verdict, it.Rule, it.Due = "keep", "K", ""
		}
		if err := w.Add(ctx, it); err != nil {
			return err
		}
	}
	return nil
}

// checkBehind reads plan p back: n items, each once, and rule R's due
// items in the order they were added (their fingerprint is the total's).
func checkBehind(t *testing.T, s *Store, p *Plan, totals []RuleTotal, n int) {
	t.Helper()
	all := 0
	err := s.PlanItems(context.Background(), p.ID, "", "", func(c Chunk) error {
		all += len(c.Items)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var due int64
	for j := range n {
		if j%5 != 0 {
			due++
		}
	}
	if all != n || p.Due != due {
		t.Fatalf("read %d items back (plan says %d due), want %d (%d due)", all, p.Due, n, due)
	}
	h := sha256.New()
	var line []byte
	err = s.PlanItems(context.Background(), p.ID, "due", "R", func(c Chunk) error {
		for k := range c.Items {
			line = appendFingerprint(line[:0], &c.Items[k])
			h.Write(line)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := "sha256:" + hex.EncodeToString(h.Sum(nil))
	for _, tot := range totals {
		if tot.Rule == "R" && (tot.Fingerprint != got || tot.Items != due) {
			t.Fatalf("rule R read back: %s, totals %d items %s", got, tot.Items, tot.Fingerprint)
		}
	}
}

// Chunks are committed behind the listing, several transactions of them
// in a large plan; Finish waits for them: every item is stored once, in
// order.
func TestPlanWritesBehind(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	w, err := s.NewPlan(ctx, Plan{Source: "src", SourceKind: "fileshare", CreatedAt: Time{time.Now()}, Today: "2026-11-22", Planner: "it"})
	if err != nil {
		t.Fatal(err)
	}
	n := 3*chunksPerTx*chunkSize + 77
	if err := addBehind(ctx, w, 0, n); err != nil {
		t.Fatal(err)
	}
	p, totals, err := w.Finish(ctx, Plan{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkBehind(t, s, p, totals, n)
}

// A commit behind the listing that fails (here: its context cancelled)
// loses nothing: Add (or Drain) reports the error, and the chunks it
// held are written by the next write, Finish's, before the ones queued
// since.
func TestPlanWriteBehindFailureRequeues(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	w, err := s.NewPlan(ctx, Plan{Source: "src", SourceKind: "fileshare", CreatedAt: Time{time.Now()}, Today: "2026-11-22", Planner: "it"})
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	// The first transaction is started with a cancelled context.
	first := chunksPerTx*chunkSize + chunkSize
	if err := addBehind(cancelled, w, 0, first); err != nil {
		t.Fatalf("Add failed before any commit finished: %v", err)
	}
	if err := w.Drain(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Drain = %v, want the cancelled commit's error", err)
	}
	if err := w.Drain(); err != nil {
		t.Fatalf("Drain again = %v", err)
	}
	if len(w.queue) < chunksPerTx {
		t.Fatalf("%d chunks queued after the failed commit, want its %d again", len(w.queue), chunksPerTx)
	}
	// Going on: the next commit behind writes them, then Finish the rest.
	rest := chunksPerTx*chunkSize + 500
	if err := addBehind(ctx, w, first, rest); err != nil {
		t.Fatal(err)
	}
	p, totals, err := w.Finish(ctx, Plan{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkBehind(t, s, p, totals, first+rest)

	// A failure Add itself reports: the listing stops there.
	w2, err := s.NewPlan(ctx, Plan{Source: "src2", SourceKind: "fileshare", CreatedAt: Time{time.Now()}, Today: "2026-11-22", Planner: "it"})
	if err != nil {
		t.Fatal(err)
	}
	err = addBehind(cancelled, w2, 0, 3*chunksPerTx*chunkSize)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Add = %v, want the cancelled commit's error", err)
	}
}
