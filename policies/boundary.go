package policies

import (
	"fmt"
	"time"
)

// Boundary rounds an anchor date up to the end of the period containing it,
// as in "5 years from the end of the calendar year in which the employee
// left" or "when the school year in which the student left ends".
type Boundary int

const (
	// NoBoundary counts from the anchor date itself.
	NoBoundary Boundary = iota
	// EndOfMonth counts from the end of the anchor's month.
	EndOfMonth
	// EndOfCalendarYear counts from the end of the anchor's calendar year
	// (which is also the Danish state sector's financial year).
	EndOfCalendarYear
	// EndOfSchoolYear counts from the end of the anchor's school year, which
	// runs from 1 August to 31 July.
	EndOfSchoolYear
)

var boundaryNames = [...]string{
	NoBoundary:        "",
	EndOfMonth:        "month",
	EndOfCalendarYear: "calendar_year",
	EndOfSchoolYear:   "school_year",
}

// ParseBoundary parses the name used in policy files: "" (none), "month",
// "calendar_year" or "school_year".
func ParseBoundary(s string) (Boundary, error) {
	for b, name := range boundaryNames {
		if s == name {
			return Boundary(b), nil
		}
	}
	return 0, fmt.Errorf("%q is not a period to round to (use month, calendar_year or school_year)", s)
}

// String returns the policy-file name of b.
func (b Boundary) String() string {
	if b >= 0 && int(b) < len(boundaryNames) {
		return boundaryNames[b]
	}
	return fmt.Sprintf("Boundary(%d)", int(b))
}

// After returns the first day after the period of kind b that contains d:
// the day on which that period has ended. For NoBoundary it returns d.
//
//	EndOfMonth:        2026-02-14 → 2026-03-01
//	EndOfCalendarYear: 2026-06-15 → 2027-01-01
//	EndOfSchoolYear:   2026-07-31 → 2026-08-01, 2026-08-01 → 2027-08-01
func (b Boundary) After(d Date) Date {
	switch b {
	case EndOfMonth:
		return NewDate(d.Year, d.Month+1, 1)
	case EndOfCalendarYear:
		return Date{d.Year + 1, time.January, 1}
	case EndOfSchoolYear:
		if d.Month >= time.August {
			return Date{d.Year + 1, time.August, 1}
		}
		return Date{d.Year, time.August, 1}
	}
	return d
}

// describe returns words for the period b ends, for reasons.
func (b Boundary) describe() string {
	switch b {
	case EndOfMonth:
		return "month"
	case EndOfCalendarYear:
		return "calendar year"
	case EndOfSchoolYear:
		return "school year"
	}
	return ""
}
