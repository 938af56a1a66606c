package store

import (
	"context"
	"strings"
	"testing"
)

// TestLeafBoundsQuerySearchesNotScans checks that Entries finds the
// ledger's first and last index from the ends of the tree: a scan reads
// every page of the ledger before the leaves are read.
func TestLeafBoundsQuerySearchesNotScans(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	rows, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN `+leafBoundsQuery)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	p := strings.Join(plan, "; ")
	if strings.Contains(p, "SCAN ledger_entry") || !strings.Contains(p, "SEARCH ledger_entry") {
		t.Fatalf("the bounds of the ledger are not read from the ends of its tree: %s", p)
	}
}
