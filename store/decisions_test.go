package store

import (
	"context"
	"strings"
	"testing"
)

// TestDecisionEntries: the approval and rejection entries of a batch are
// found through the index, other entries and batches are not, and bytes
// that are not JSON at all do not break the index.
func TestDecisionEntries(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	leaves := []string{
		`{"type":"batch","time":"2026-11-22T10:00:00Z","batch":7,"rule":"OLD"}`,
		`{"type":"approval","time":"2026-11-22T10:00:00Z","rule":"OLD","batch":7,"actor":"anna","stage":1}`,
		`{"type":"approval","time":"2026-11-22T10:00:00Z","rule":"OLD","batch":17,"actor":"anna","stage":1}`,
		`{"type":"deletion","time":"2026-11-22T10:00:00Z","batch":7,"outcome":"deleted"}`,
		`{"type":"approval","time":"2026-11-22T10:00:00Z","rule":"\"batch\":7","batch":8,"actor":"bo","stage":1}`,
		`{"type":"approval",` + "\x00\xff not json",
		`{"type":"rejection","time":"2026-11-22T10:00:00Z","batch":7,"actor":"bo","reason":"x"}`,
	}
	err := s.Write(ctx, func(tx *Tx) error {
		for _, l := range leaves {
			if _, err := tx.Append([]byte(l)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.DecisionEntries(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Index != 1 || got[1].Index != 6 {
		t.Fatalf("decision entries of batch 7: %+v", got)
	}
	if got, _ := s.DecisionEntries(ctx, 8); len(got) != 1 || got[0].Index != 4 {
		t.Fatalf("decision entries of batch 8: %+v", got)
	}
	var plan []string
	rows, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT idx, data FROM ledger_entry
		WHERE CAST(substr(data, 1, 19) AS TEXT) IN ('{"type":"approval",', '{"type":"rejection"')
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
	if p := strings.Join(plan, "; "); !strings.Contains(p, "ledger_entry_decision") {
		t.Fatalf("the lookup does not use the index: %s", p)
	}
}
