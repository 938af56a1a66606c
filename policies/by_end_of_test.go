package policies

import "testing"

// by_end_of: "at the latest by the end of the period" is its last day.
func TestByEndOf(t *testing.T) {
	for _, c := range []struct {
		anchor   string
		from, by Boundary
		keep     string
		due      string
	}{
		{"2026-06-26", NoBoundary, EndOfCalendarYear, "P0D", "2026-12-31"},
		{"2026-12-31", NoBoundary, EndOfCalendarYear, "P0D", "2026-12-31"},
		{"2027-01-01", NoBoundary, EndOfCalendarYear, "P0D", "2027-12-31"},
		{"2026-01-31", NoBoundary, EndOfMonth, "P1M", "2026-02-28"},
		{"2024-01-31", NoBoundary, EndOfMonth, "P1M", "2024-02-29"},
		{"2026-07-31", NoBoundary, EndOfSchoolYear, "P0D", "2026-07-31"},
		{"2026-08-01", NoBoundary, EndOfSchoolYear, "P0D", "2027-07-31"},
		{"2026-03-10", EndOfCalendarYear, EndOfSchoolYear, "P1Y", "2028-07-31"},
		{"2026-03-10", NoBoundary, NoBoundary, "P1Y", "2027-03-10"},
	} {
		a, _ := ParseDate(c.anchor)
		r := &Rule{FromEndOf: c.from, ByEndOf: c.by, Keep: period(c.keep)}
		if got := r.dueFrom(a); got.String() != c.due {
			t.Errorf("%s %v/%v %s: due %s, want %s", c.anchor, c.from, c.by, c.keep, got, c.due)
		}
	}
}
