package summary

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
)

// CSVHeader are the columns of WriteCSV: one row per rule and month.
var CSVHeader = []string{"policy", "rule", "month", "deleted", "already_absent", "failed", "held_by_system", "skipped_hold",
	"changed", "not_due", "archived", "bytes_deleted", "batches_executed", "failure_codes"}

// WriteCSV writes the counts per rule and month. failure_codes lists
// code=count pairs separated by spaces.
func (s *Summary) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader)
	for _, r := range s.Rows() {
		cw.Write([]string{r.Policy, r.Rule, r.Month, itoa(r.Deleted), itoa(r.Absent), itoa(r.Failed), itoa(r.Held), itoa(r.SkippedHold),
			itoa(r.Changed), itoa(r.NotDue), itoa(r.Archived), itoa(r.Bytes), itoa(r.Batches), codes(r.Codes)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write summary csv: %w", err)
	}
	return nil
}

func itoa(n int64) string { return fmt.Sprint(n) }

func codes(m map[string]int64) string {
	var out []string
	for c, n := range m {
		out = append(out, fmt.Sprintf("%s=%d", c, n))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}
