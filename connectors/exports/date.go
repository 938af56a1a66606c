package exports

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseDate reads a calendar date as the Danish and Swedish school systems
// write it: dd-mm-yyyy or dd.mm.yyyy (day first, one or two digits), or ISO
// yyyy-mm-dd, optionally followed by a time of day, which is dropped.
// Slashes are refused: 03/04/2026 is the 3rd of April in Denmark and the
// 4th of March in a US-configured Excel, and guessing would move a deadline.
// The result is midnight UTC of that day.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "T "); i >= 0 {
		if !isTimeOfDay(s[i+1:]) {
			return time.Time{}, fmt.Errorf("%q is not a date (write dd-mm-yyyy or yyyy-mm-dd)", s)
		}
		s = s[:i]
	}
	if strings.Contains(s, "/") {
		return time.Time{}, fmt.Errorf("%q is ambiguous: day and month could be either way round (write dd-mm-yyyy or yyyy-mm-dd)", s)
	}
	sep := "-"
	if strings.Contains(s, ".") {
		sep = "."
	}
	parts := strings.Split(s, sep)
	if len(parts) != 3 {
		return time.Time{}, fmt.Errorf("%q is not a date (write dd-mm-yyyy or yyyy-mm-dd)", s)
	}
	var y, m, d string
	switch {
	case len(parts[0]) == 4 && sep == "-":
		y, m, d = parts[0], parts[1], parts[2]
	case len(parts[2]) == 4:
		d, m, y = parts[0], parts[1], parts[2]
	default:
		return time.Time{}, fmt.Errorf("%q is not a date (write dd-mm-yyyy or yyyy-mm-dd, with a four-digit year)", s)
	}
	yi, ok1 := digits(y, 4, 4)
	mi, ok2 := digits(m, 1, 2)
	di, ok3 := digits(d, 1, 2)
	if !ok1 || !ok2 || !ok3 {
		return time.Time{}, fmt.Errorf("%q is not a date (write dd-mm-yyyy or yyyy-mm-dd)", s)
	}
	if yi < 1900 || yi > 2200 {
		return time.Time{}, fmt.Errorf("%q: year %d is out of range", s, yi)
	}
	t := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, time.UTC)
	if t.Year() != yi || int(t.Month()) != mi || t.Day() != di {
		return time.Time{}, fmt.Errorf("%q is not a day of the calendar", s)
	}
	return t, nil
}

// digits parses s as an unsigned decimal of between min and max digits.
func digits(s string, min, max int) (int, bool) {
	if len(s) < min || len(s) > max {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// isTimeOfDay reports whether s looks like the time part of a timestamp
// ("00:00", "00:00:00", "14:30:00.000Z", "00:00:00+02:00").
func isTimeOfDay(s string) bool {
	if len(s) < 5 || s[2] != ':' {
		return false
	}
	_, ok1 := digits(s[:2], 2, 2)
	_, ok2 := digits(s[3:5], 2, 2)
	if !ok1 || !ok2 {
		return false
	}
	for _, r := range s[5:] {
		if !strings.ContainsRune("0123456789:.+-Z", r) {
			return false
		}
	}
	return true
}
