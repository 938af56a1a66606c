package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestEntriesNamesTheMissingEntry: Entries reads ranges of indexes a query
// each; a range that lacks a row, in the first chunk or a later one, and a
// row below index 0 are named as a row-by-row reading names them, after
// every entry before them was read.
func TestEntriesNamesTheMissingEntry(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		sql  []string
		read int64 // entries read before the error
		err  string
	}{
		{"first chunk", []string{`DROP TRIGGER ledger_entry_no_delete`, `DELETE FROM ledger_entry WHERE idx = 3`}, 3, "entry 3 is missing"},
		{"later chunk", []string{`DROP TRIGGER ledger_entry_no_delete`, fmt.Sprintf(`DELETE FROM ledger_entry WHERE idx = %d`, 2*leafChunkSize+5)}, 2*leafChunkSize + 5, fmt.Sprintf("entry %d is missing", 2*leafChunkSize+5)},
		{"below 0", []string{`INSERT INTO ledger_entry(idx, data) VALUES (-1, x'7b7d')`}, 0, "entry 0 is missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			var leaves [][]byte
			for i := range 3*leafChunkSize + 20 {
				leaves = append(leaves, fmt.Appendf(nil, "leaf %d", i))
			}
			if err := s.Write(ctx, func(tx *Tx) error { _, err := tx.Append(leaves...); return err }); err != nil {
				t.Fatal(err)
			}
			for _, q := range c.sql {
				if _, err := s.w.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			var n int64
			err := s.Entries(ctx, func(i int64, data []byte) error {
				if i != n || string(data) != string(leaves[i]) {
					t.Fatalf("leaf %d (want %d) differs", i, n)
				}
				n++
				return nil
			})
			if err == nil || !strings.Contains(err.Error(), c.err) || n != c.read {
				t.Fatalf("read %d entries, then %v; want %d, then %q", n, err, c.read, c.err)
			}
		})
	}
}
