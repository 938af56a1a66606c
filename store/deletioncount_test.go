package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"testing"
	"unicode/utf8"
)

// migration016Tally is the statement with which migration 016's trigger
// read a deletion entry's minute and outcome, applied to one leaf: Go's
// deletionTally must read the same from every leaf the trigger counted.
const migration016Tally = `SELECT CAST(substr(?1, 1, 19) AS TEXT) = '{"type":"deletion",',
	substr(CAST(?1 AS TEXT), 28, 16),
	CASE WHEN instr(CAST(?1 AS TEXT), '"outcome":"') = 0 THEN '' ELSE
		substr(CAST(?1 AS TEXT), instr(CAST(?1 AS TEXT), '"outcome":"') + 11,
			instr(substr(CAST(?1 AS TEXT), instr(CAST(?1 AS TEXT), '"outcome":"') + 11), '"') - 1) END`

// FuzzDeletionTally checks deletionTally against migration 016's SQL on
// any bytes: the same entries counted, under the same minute and outcome,
// and no panic whatever the bytes. (SQLite counts characters where Go
// counts bytes and its text functions stop at a NUL, so the comparison is
// over valid UTF-8 without NUL, as canonical entries are; an outcome
// whose string never closes, which no canonical entry has, is left out.)
func FuzzDeletionTally(f *testing.F) {
	for _, l := range benchLeaves(f, 3) {
		f.Add(l)
	}
	f.Add([]byte(`{"type":"deletion","time":"2026-11-22T08:30:00.123Z","item":"h1:4bb06f8e:cuFrLPxekqrGvpXuFiHrmsO3ooUvrd6SHZM-Dtfh8Fs","size":-1,"batch":7,"stage":-2,"outcome":"failed","code":"permission_denied"}`))
	f.Add([]byte(`{"type":"deletion","time":"2026`))
	f.Add([]byte(`{"type":"deletion",`))
	f.Add([]byte(`{"type":"approval","time":"2026-11-22T08:30:00Z","batch":7,"outcome":"deleted"}`))
	f.Add([]byte(`{"type":"deletion","time":"2026-11-22T08:30:00Z","reason":"\"outcome\":\"x","outcome":"held"}`))
	s := benchStore(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var tally deletionTally
		tally.add(data)
		if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
			return
		}
		var (
			isDeletion      sql.NullBool // NULL for no bytes at all
			minute, outcome sql.NullString
		)
		row := s.r.QueryRowContext(context.Background(), migration016Tally, data)
		if err := row.Scan(&isDeletion, &minute, &outcome); err != nil {
			t.Fatal(err)
		}
		if !isDeletion.Bool {
			if len(tally.keys) != 0 {
				t.Fatalf("counted %q, which the trigger did not", data)
			}
			return
		}
		if len(tally.keys) != 1 || tally.n[0] != 1 {
			t.Fatalf("did not count %q once: %+v", data, tally)
		}
		got := tally.keys[0]
		if got.minute != minute.String {
			t.Fatalf("minute %q, the trigger's %q, of %q", got.minute, minute.String, data)
		}
		if got.outcome != outcome.String && !(got.outcome == "" && outcome.String != "") {
			t.Fatalf("outcome %q, the trigger's %q, of %q", got.outcome, outcome.String, data)
		}
	})
}

// TestDeletionTallyCounts checks the counts over entries whose minutes and
// outcomes come back after others, as one call's entries may.
func TestDeletionTallyCounts(t *testing.T) {
	entry := func(minute, outcome string) []byte {
		return []byte(`{"type":"deletion","time":"2026-11-22T` + minute + `:00Z","batch":7,"outcome":"` + outcome + `"}`)
	}
	var tally deletionTally
	want := map[minuteOutcome]int64{}
	for i := range 500 {
		minute := fmt.Sprintf("10:%02d", i%7)
		outcome := []string{"deleted", "absent", "failed"}[i%3]
		if i%5 == 0 {
			outcome = "deleted"
		}
		tally.add(entry(minute, outcome))
		want[minuteOutcome{"2026-11-22T" + minute, outcome}]++
	}
	tally.add([]byte(`{"type":"approval","time":"2026-11-22T10:00:00Z","batch":7}`))
	got := map[minuteOutcome]int64{}
	for i, k := range tally.keys {
		if _, dup := got[k]; dup {
			t.Fatalf("%+v counted under two keys", k)
		}
		got[k] = tally.n[i]
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
}
