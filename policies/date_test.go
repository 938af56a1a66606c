package policies

import (
	"errors"
	"testing"
	"time"
)

func d(s string) Date {
	v, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Period
		bad  bool
	}{
		{in: "P30D", want: Period{Days: 30}},
		{in: "P1M", want: Period{Months: 1}},
		{in: "P24M", want: Period{Months: 24}},
		{in: "P5Y", want: Period{Years: 5}},
		{in: "P2W", want: Period{Weeks: 2}},
		{in: "P1Y6M", want: Period{Years: 1, Months: 6}},
		{in: "P1Y2M3W4D", want: Period{1, 2, 3, 4}},
		{in: "P0D", want: Period{}},
		{in: "P", bad: true},
		{in: "", bad: true},
		{in: "30D", bad: true},
		{in: "P3X", bad: true},
		{in: "P-1D", bad: true},
		{in: "P1.5Y", bad: true},
		{in: "PT12H", bad: true},
		{in: "P1DT1H", bad: true},
		{in: "P1D1Y", bad: true},
		{in: "P1Y1Y", bad: true},
		{in: "P1", bad: true},
		{in: "p30d", bad: true},
		{in: "P 30D", bad: true},
		{in: "P99999999999999999999D", bad: true},
		{in: "P100001Y", bad: true},
	} {
		got, err := ParsePeriod(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParsePeriod(%q) = %v, want error", tc.in, got)
			} else if !errors.Is(err, ErrNotPeriod) {
				t.Errorf("ParsePeriod(%q) error %v does not wrap ErrNotPeriod", tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestPeriodString(t *testing.T) {
	for _, tc := range []struct {
		p          Period
		iso, human string
	}{
		{Period{}, "P0D", "0 days"},
		{Period{Days: 1}, "P1D", "1 day"},
		{Period{Days: 30}, "P30D", "30 days"},
		{Period{Years: 5}, "P5Y", "5 years"},
		{Period{Years: 1, Months: 6}, "P1Y6M", "1 year and 6 months"},
		{Period{1, 2, 3, 4}, "P1Y2M3W4D", "1 year, 2 months, 3 weeks and 4 days"},
	} {
		if got := tc.p.String(); got != tc.iso {
			t.Errorf("%#v.String() = %q, want %q", tc.p, got, tc.iso)
		}
		if got := tc.p.Human(); got != tc.human {
			t.Errorf("%#v.Human() = %q, want %q", tc.p, got, tc.human)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, bad := range []string{"2026-02-30", "2025-02-29", "2026-13-01", "2026-1-1", "01-08-2026", "", "2026-00-10"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted an impossible date", bad)
		}
	}
	if got := d("2024-02-29"); got != (Date{2024, time.February, 29}) {
		t.Errorf("ParseDate(2024-02-29) = %v", got)
	}
}

func TestDateAdd(t *testing.T) {
	for _, tc := range []struct {
		from string
		p    string
		want string
	}{
		{"2026-01-31", "P1M", "2026-02-28"},
		{"2024-01-31", "P1M", "2024-02-29"}, // leap year
		{"2024-02-29", "P1Y", "2025-02-28"}, // leap day, clamped
		{"2024-02-29", "P4Y", "2028-02-29"},
		{"2026-03-31", "P1M", "2026-04-30"},
		{"2026-01-31", "P1M1D", "2026-03-01"}, // clamp first, then days
		{"2026-10-01", "P30D", "2026-10-31"},
		{"2026-12-15", "P1M", "2027-01-15"},
		{"2026-08-01", "P24M", "2028-08-01"},
		{"2021-01-01", "P5Y", "2026-01-01"},
		{"2026-03-28", "P1D", "2026-03-29"}, // across the spring DST change
		{"2026-10-24", "P2D", "2026-10-26"}, // across the autumn DST change
		{"2026-12-25", "P2W", "2027-01-08"},
		{"2026-05-05", "P0D", "2026-05-05"},
	} {
		p, err := ParsePeriod(tc.p)
		if err != nil {
			t.Fatal(err)
		}
		if got := d(tc.from).Add(p); got.String() != tc.want {
			t.Errorf("%s + %s = %s, want %s", tc.from, tc.p, got, tc.want)
		}
	}
}

func TestBoundaryAfter(t *testing.T) {
	for _, tc := range []struct {
		b        Boundary
		in, want string
	}{
		{EndOfSchoolYear, "2026-07-30", "2026-08-01"},
		{EndOfSchoolYear, "2026-07-31", "2026-08-01"}, // last day of the school year
		{EndOfSchoolYear, "2026-08-01", "2027-08-01"}, // first day of the next one
		{EndOfSchoolYear, "2026-12-31", "2027-08-01"},
		{EndOfSchoolYear, "2027-01-01", "2027-08-01"},
		{EndOfCalendarYear, "2020-06-15", "2021-01-01"},
		{EndOfCalendarYear, "2020-12-31", "2021-01-01"},
		{EndOfCalendarYear, "2021-01-01", "2022-01-01"},
		{EndOfMonth, "2024-02-29", "2024-03-01"},
		{EndOfMonth, "2026-12-01", "2027-01-01"},
		{NoBoundary, "2026-05-05", "2026-05-05"},
	} {
		if got := tc.b.After(d(tc.in)); got.String() != tc.want {
			t.Errorf("%v.After(%s) = %s, want %s", tc.b, tc.in, got, tc.want)
		}
	}
}

func TestDateOfDST(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		utc  string
		want string
	}{
		{"2026-03-28T23:30:00Z", "2026-03-29"}, // 00:30 CET, the night clocks spring forward
		{"2026-03-29T00:59:59Z", "2026-03-29"}, // 01:59:59 CET
		{"2026-03-29T01:00:00Z", "2026-03-29"}, // 03:00 CEST
		{"2026-03-29T21:59:59Z", "2026-03-29"}, // 23:59:59 CEST
		{"2026-03-29T22:00:00Z", "2026-03-30"},
		{"2026-10-24T21:59:59Z", "2026-10-24"}, // 23:59:59 CEST
		{"2026-10-24T22:00:00Z", "2026-10-25"}, // 00:00 CEST, the night clocks fall back
		{"2026-10-25T00:30:00Z", "2026-10-25"}, // 02:30 CEST
		{"2026-10-25T01:30:00Z", "2026-10-25"}, // 02:30 CET, the repeated hour
		{"2026-10-25T22:59:59Z", "2026-10-25"}, // 23:59:59 CET
		{"2026-10-25T23:00:00Z", "2026-10-26"},
		{"2026-07-31T21:59:59Z", "2026-07-31"}, // last second of the school year
		{"2026-07-31T22:00:00Z", "2026-08-01"}, // first second of the next one
		{"2026-12-31T22:59:59Z", "2026-12-31"},
		{"2026-12-31T23:00:00Z", "2027-01-01"},
	} {
		ts, err := time.Parse(time.RFC3339, tc.utc)
		if err != nil {
			t.Fatal(err)
		}
		if got := DateOf(ts, cph); got.String() != tc.want {
			t.Errorf("DateOf(%s) = %s, want %s", tc.utc, got, tc.want)
		}
	}
}

func TestParseAnchor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Anchor
		bad  bool
	}{
		{in: "item.modified", want: Anchor{Item: Modified}},
		{in: "item.recorded", want: Anchor{Item: Recorded}},
		{in: "item.received", want: Anchor{Item: Received}},
		{in: "item.created", want: Anchor{Item: Created}},
		{in: "subject.left", want: Anchor{Event: "left"}},
		{in: "subject.case_closed", want: Anchor{Event: "case_closed"}},
		{in: "subject.birthday(18)", want: Anchor{Event: "born", Years: 18}},
		{in: "item.accessed", bad: true},
		{in: "item.", bad: true},
		{in: "subject.", bad: true},
		{in: "subject.Left", bad: true},
		{in: "subject.birthday(x)", bad: true},
		{in: "subject.birthday(18", bad: true},
		{in: "subject.birthday(-1)", bad: true},
		{in: "modified", bad: true},
		{in: "file.modified", bad: true},
	} {
		got, err := ParseAnchor(tc.in)
		if tc.bad != (err != nil) || got != tc.want {
			t.Errorf("ParseAnchor(%q) = %+v, %v", tc.in, got, err)
		}
		if err == nil && got.String() != tc.in {
			t.Errorf("ParseAnchor(%q).String() = %q", tc.in, got.String())
		}
	}
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"P30D", "P1Y6M", "P1Y2M3W4D", "PT1H", "P", "P-1D", "P0D", "P100000Y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			return
		}
		if p.Years < 0 || p.Months < 0 || p.Weeks < 0 || p.Days < 0 {
			t.Fatalf("ParsePeriod(%q) = %+v: negative component", s, p)
		}
		again, err := ParsePeriod(p.String())
		if err != nil || again != p {
			t.Fatalf("round trip of %q via %q: %+v, %v", s, p.String(), again, err)
		}
		// Adding a parsed period must never move a date backwards.
		from := Date{2024, time.February, 29}
		if got := from.Add(p); got.Before(from) {
			t.Fatalf("%s + %s = %s, before the start", from, s, got)
		}
	})
}

func FuzzParseAnchor(f *testing.F) {
	for _, s := range []string{"item.modified", "subject.left", "subject.birthday(18)", "subject.birthday(", "x.y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAnchor(s)
		if err != nil {
			return
		}
		again, err := ParseAnchor(a.String())
		if err != nil || again != a {
			t.Fatalf("round trip of %q via %q: %+v, %v", s, a.String(), again, err)
		}
	})
}
