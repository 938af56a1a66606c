package policies

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Period is an ISO 8601 duration in calendar units: P30D, P2W, P1M, P24M,
// P5Y, P1Y6M. Time components (PT12H) are not supported, since retention is
// decided in whole days. See Date.Add for how a period is added to a date.
type Period struct {
	Years, Months, Weeks, Days int
}

// maxPeriodUnits bounds each component so that date arithmetic cannot
// overflow and nonsense such as P99999999Y is caught as a typo.
const maxPeriodUnits = 100000

// ErrNotPeriod is wrapped by every ParsePeriod error.
var ErrNotPeriod = errors.New("is not a duration")

// ParsePeriod parses an ISO 8601 duration made of years, months, weeks and
// days, in that order, each a non-negative integer: "P30D", "P1Y6M", "P0D".
func ParsePeriod(s string) (Period, error) {
	var p Period
	fail := func(why string) (Period, error) {
		return Period{}, fmt.Errorf("%q %w (%s; write e.g. P30D, P6M, P5Y)", s, ErrNotPeriod, why)
	}
	rest, ok := strings.CutPrefix(s, "P")
	if !ok {
		return fail("it must start with P")
	}
	if rest == "" {
		return fail("it has no components")
	}
	if strings.Contains(rest, "T") {
		return fail("hours, minutes and seconds are not supported; retention is counted in days")
	}
	const order = "YMWD"
	last := -1
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return fail("expected a number before each unit")
		}
		if i == len(rest) {
			return fail("the last number has no unit")
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n > maxPeriodUnits {
			return fail(fmt.Sprintf("%s is too large", rest[:i]))
		}
		unit := strings.IndexByte(order, rest[i])
		switch {
		case unit < 0:
			return fail(fmt.Sprintf("unknown unit %q; use Y, M, W or D", rest[i]))
		case unit <= last:
			return fail("units must appear once each, in the order Y, M, W, D")
		}
		last = unit
		switch order[unit] {
		case 'Y':
			p.Years = n
		case 'M':
			p.Months = n
		case 'W':
			p.Weeks = n
		case 'D':
			p.Days = n
		}
		rest = rest[i+1:]
	}
	return p, nil
}

// IsZero reports whether p adds nothing.
func (p Period) IsZero() bool { return p == Period{} }

// String returns p in ISO 8601 form, "P0D" for the zero period. It is the
// form recorded in the ledger.
func (p Period) String() string {
	if p.IsZero() {
		return "P0D"
	}
	var b strings.Builder
	b.WriteByte('P')
	for _, c := range []struct {
		n    int
		unit byte
	}{{p.Years, 'Y'}, {p.Months, 'M'}, {p.Weeks, 'W'}, {p.Days, 'D'}} {
		if c.n != 0 {
			b.WriteString(strconv.Itoa(c.n))
			b.WriteByte(c.unit)
		}
	}
	return b.String()
}

// Human returns p in words, e.g. "5 years", "1 year and 6 months", "30 days".
func (p Period) Human() string {
	if p.IsZero() {
		return "0 days"
	}
	var parts []string
	for _, c := range []struct {
		n          int
		one, other string
	}{{p.Years, "year", "years"}, {p.Months, "month", "months"}, {p.Weeks, "week", "weeks"}, {p.Days, "day", "days"}} {
		switch {
		case c.n == 1:
			parts = append(parts, "1 "+c.one)
		case c.n > 1:
			parts = append(parts, strconv.Itoa(c.n)+" "+c.other)
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
