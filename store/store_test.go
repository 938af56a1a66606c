package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "r.db"), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte(strings.Repeat("not a database\n", 100)), 0o644)
	if _, err := Open(context.Background(), text, Options{}); !errors.Is(err, ErrNotRetentiond) {
		t.Fatalf("text file: %v", err)
	}
	other := filepath.Join(dir, "other.db")
	db, _ := sql.Open("sqlite", other)
	db.Exec("CREATE TABLE customers(id INTEGER)")
	db.Close()
	if _, err := Open(context.Background(), other, Options{}); !errors.Is(err, ErrNotRetentiond) {
		t.Fatalf("other SQLite database: %v", err)
	}
	if _, err := Open(context.Background(), filepath.Join(dir, "missing.db"), Options{}); !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Fatal("Open without Create created a file")
	}
}

func TestReopenAndNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := Open(context.Background(), path, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	s.w.Exec("PRAGMA user_version = 99")
	s.Close()
	if _, err := Open(context.Background(), path, Options{}); err == nil || !strings.Contains(err.Error(), "upgrade retentiond") {
		t.Fatalf("newer schema: %v", err)
	}
}

func TestLedgerIsAppendOnly(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	err := s.Write(ctx, func(tx *Tx) error {
		_, err := tx.Append([]byte(`a`), []byte(`b`), []byte(`c`))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddCheckpoint(ctx, 3, []byte("note"), Time{time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"UPDATE ledger_entry SET data = 'x' WHERE idx = 1",
		"DELETE FROM ledger_entry WHERE idx = 2",
		"UPDATE tlog_hash SET hash = x'00'",
		"DELETE FROM tlog_hash",
		"DELETE FROM checkpoint",
		"UPDATE checkpoint SET n = 2",
	} {
		if _, err := s.w.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
	n, _ := s.TreeSize(ctx)
	h, err := s.TreeHash(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	var want memHashes
	for i, l := range []string{"a", "b", "c"} {
		hs, _ := tlog.StoredHashes(int64(i), []byte(l), want)
		want = append(want, hs...)
	}
	wh, _ := tlog.TreeHash(3, want)
	if h != wh {
		t.Fatal("stored tree hash differs from tlog's")
	}
}

type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}

func TestPlanWriter(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	w, err := s.NewPlan(ctx, Plan{Source: "src", SourceKind: "memory", CreatedAt: Time{time.Now()}, Today: "2026-11-22", Planner: "it"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3*chunkSize + 17
	for i := range n {
		v := "due"
		if i%10 == 0 {
			v = "review"
		}
		if err := w.Add(ctx, PlanItem{Ref: fmt.Sprintf("f/%05d", i), Version: "v", Size: 10, Verdict: v, Rule: "R", Due: "2026-01-01"}); err != nil {
			t.Fatal(err)
		}
	}
	var batchID int64
	p, totals, err := w.Finish(ctx, Plan{Listed: n}, func(tx *Tx, p *Plan, totals []RuleTotal) error {
		for _, tt := range totals {
			if tt.Verdict == "due" {
				b := Batch{PlanID: p.ID, Source: "src", Rule: "R", Items: tt.Items, Fingerprint: tt.Fingerprint, Status: StatusPending}
				var err error
				batchID, err = tx.CreateBatch(&b)
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Due != n-n/10-1 || p.Review != n/10+1 || p.DueBytes != 10*p.Due || len(totals) != 2 {
		t.Fatalf("plan %+v totals %+v", p, totals)
	}
	fp, cnt, err := s.Fingerprint(ctx, batchID)
	if err != nil || cnt != p.Due {
		t.Fatal(err, cnt)
	}
	for _, tt := range totals {
		if tt.Verdict == "due" && tt.Fingerprint != fp {
			t.Fatal("recomputed fingerprint differs")
		}
	}
	last := ""
	err = s.BatchChunks(ctx, batchID, func(c Chunk) error {
		for _, it := range c.Items {
			if it.Ref <= last || it.Verdict != "due" {
				t.Fatalf("order or verdict wrong at %s", it.Ref)
			}
			last = it.Ref
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	items := []PlanItem{{Ref: "Æ/ø.txt", Version: "s1-m2", Container: "Æ", Size: -1, Verdict: "due", Rule: "S4", Subject: "student:x", Anchor: "2026-01-31", Due: "2026-02-28", Note: "n"}, {}}
	got, err := decodeItems(encodeItems(nil, items), 2)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(items) {
		t.Fatalf("%v %v", err, got)
	}
	if _, err := decodeItems(encodeItems(nil, items), 3); err == nil {
		t.Fatal("decoded more items than encoded")
	}
}

func FuzzDecodeItems(f *testing.F) {
	f.Add(encodeItems(nil, []PlanItem{{Ref: "a", Size: 5}}), 1)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		if n < 0 || n > 1000 {
			return
		}
		items, err := decodeItems(b, n)
		if err != nil {
			return
		}
		again, err := decodeItems(encodeItems(nil, items), n)
		if err != nil || fmt.Sprint(again) != fmt.Sprint(items) {
			t.Fatalf("re-encoding changed the items: %v", err)
		}
	})
}

// Chunks hold at most chunkSize items and, once half full, end where a
// container ends, so that chunks executed side by side rarely share a
// mailbox.
func TestPlanChunksFollowContainers(t *testing.T) {
	for _, tc := range []struct {
		name       string
		containers []int // items per container, in listing order
		want       []int // items per chunk
	}{
		{"one small container", []int{10}, []int{10}},
		{"small containers share a chunk", []int{300, 300, 300}, []int{900}},
		{"a container ends after half", []int{500, 500, 500, 500, 500}, []int{1500, 1000}},
		{"exactly half, then a new container", []int{chunkSize / 2, 1}, []int{chunkSize / 2, 1}},
		{"one short of half does not end the chunk", []int{chunkSize/2 - 1, 1}, []int{chunkSize / 2}},
		{"a large container is split at chunkSize", []int{2*chunkSize + 5}, []int{chunkSize, chunkSize, 5}},
		{"a large container after a small one", []int{100, chunkSize}, []int{chunkSize, 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			w, err := s.NewPlan(ctx, Plan{Source: "src", SourceKind: "memory", CreatedAt: Time{time.Now()}, Today: "2026-11-22", Planner: "it"})
			if err != nil {
				t.Fatal(err)
			}
			for c, n := range tc.containers {
				for i := range n {
					it := PlanItem{Ref: fmt.Sprintf("c%d/%05d", c, i), Container: fmt.Sprintf("c%d", c), Version: "v", Verdict: "due", Rule: "R", Due: "2026-01-01"}
					if err := w.Add(ctx, it); err != nil {
						t.Fatal(err)
					}
				}
			}
			p, _, err := w.Finish(ctx, Plan{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			err = s.PlanItems(ctx, p.ID, "due", "R", func(c Chunk) error { got = append(got, len(c.Items)); return nil })
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("chunks of %v items, want %v", got, tc.want)
			}
		})
	}
}

// TestWithdrawOnlyBeforeABatchRuns: an item is withdrawn from a batch
// that has not begun, once; from one that runs, never.
func TestWithdrawOnlyBeforeABatchRuns(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	w, err := s.NewPlan(ctx, Plan{Source: "src", SourceKind: "memory", CreatedAt: Time{at}, Today: "2026-11-22"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"a", "b"} {
		if err := w.Add(ctx, PlanItem{Ref: ref, Version: "v1", Verdict: "due", Rule: "R"}); err != nil {
			t.Fatal(err)
		}
	}
	var id int64
	_, _, err = w.Finish(ctx, Plan{Listed: 2}, func(tx *Tx, p *Plan, totals []RuleTotal) error {
		b := Batch{PlanID: p.ID, Source: "src", Rule: "R", Items: 2, Status: StatusApproved, CreatedAt: Time{at}, UpdatedAt: Time{at}}
		id, err = tx.CreateBatch(&b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	withdraw := func(ref string) (bool, error) {
		var ok bool
		err := s.Write(ctx, func(tx *Tx) error {
			var err error
			ok, err = tx.Withdraw(Withdrawal{BatchID: id, Ref: ref, Version: "v1", Code: "changed", At: Time{at}})
			return err
		})
		return ok, err
	}
	if ok, err := withdraw("a"); !ok || err != nil {
		t.Fatalf("first withdrawal: %v %v", ok, err)
	}
	if ok, err := withdraw("a"); ok || err != nil {
		t.Fatalf("second withdrawal of the same item: %v %v", ok, err)
	}
	if err := s.Write(ctx, func(tx *Tx) error {
		return tx.ChangeStatus(id, []string{StatusApproved}, StatusExecuting, "", at)
	}); err != nil {
		t.Fatal(err)
	}
	if ok, err := withdraw("b"); ok || !errors.Is(err, ErrStatusChanged) {
		t.Fatalf("withdrawal from an executing batch: %v %v", ok, err)
	}
	b, _ := s.Batch(ctx, id)
	gone, _ := s.Withdrawn(ctx, id)
	if b.Withdrawn != 1 || len(gone) != 1 || gone["a"] != "changed" {
		t.Fatalf("batch %+v, withdrawn %v", b, gone)
	}
}
