package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store/ledger"
)

// TestBatchDeletions: a batch's deletion entries are found through the
// index of migration 014, parsed, in ledger order; other types, other
// batches and a "batch": inside a string are not.
func TestBatchDeletions(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	key, err := ledger.NewRefKey([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	mk := func(typ ledger.Type, batch int64, item, outcome, code, reason string) []byte {
		e := ledger.Entry{Type: typ, Time: at, Batch: batch, Outcome: outcome, Code: code, Reason: reason}
		if item != "" {
			e.Item = key.Ref("item:fileshare:s", item)
		}
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	leaves := [][]byte{
		mk(ledger.TypeBatch, 7, "", "", "", ""),
		mk(ledger.TypeDeletion, 7, "a", "deleted", "", ""),
		mk(ledger.TypeDeletion, 17, "b", "deleted", "", ""),
		mk(ledger.TypeApproval, 7, "", "", "", ""),
		mk(ledger.TypeDeletion, 8, "c", "failed", "permission_denied", `"batch":7`),
		[]byte(`{"type":"deletion",` + "\x00\xff not json"),
		mk(ledger.TypeDeletion, 7, "d", "changed", "", ""),
	}
	err = s.Write(ctx, func(tx *Tx) error {
		_, err := tx.Append(leaves...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	deleted, err := s.BatchDeletions(ctx, 7, true, func(idx int64, e ledger.Entry) error {
		got = append(got, e.Item+" "+e.Outcome)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{key.Ref("item:fileshare:s", "a") + " deleted", key.Ref("item:fileshare:s", "d") + " changed"}
	if strings.Join(got, "|") != strings.Join(want, "|") || deleted != 1 {
		t.Fatalf("deletion entries of batch 7: %q (%d deleted), want %q", got, deleted, want)
	}
	// Without the deleted: counted, not passed.
	got = nil
	deleted, err = s.BatchDeletions(ctx, 7, false, func(idx int64, e ledger.Entry) error {
		got = append(got, e.Item+" "+e.Outcome)
		return nil
	})
	if err != nil || deleted != 1 || len(got) != 1 || got[0] != want[1] {
		t.Fatalf("deletion entries of batch 7 but the deleted: %q (%d deleted), %v", got, deleted, err)
	}
	n := 0
	if _, err := s.BatchDeletions(ctx, 8, false, func(int64, ledger.Entry) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("deletion entries of batch 8: %d, %v", n, err)
	}
	var plan []string
	rows, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT idx, data FROM ledger_entry
		WHERE CAST(substr(data, 1, 19) AS TEXT) = '{"type":"deletion",'
		AND CAST(substr(CAST(data AS TEXT), instr(CAST(data AS TEXT), '"batch":') + 8) AS INTEGER) = ?
		ORDER BY idx`, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, unused int
		var detail string
		rows.Scan(&id, &parent, &unused, &detail)
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "ledger_entry_deletion") {
		t.Fatalf("the lookup does not use the index: %s", p)
	}
}
