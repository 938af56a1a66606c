package policies

import (
	"testing"
	"time"
)

func TestReceivedCutoff(t *testing.T) {
	today := NewDate(2026, 3, 31)
	mail := func(id string, keep Period, sources ...string) *Rule {
		return &Rule{ID: id, Kind: DeleteAfter, ItemKinds: []string{"message"}, Sources: sources, From: Anchor{Item: Received}, Keep: keep}
	}
	for _, c := range []struct {
		name  string
		rules []*Rule
		want  time.Time
		ok    bool
	}{
		{"one month: February is 28 days, minus 2 days of slack",
			[]*Rule{mail("M1", Period{Months: 1})}, time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), true},
		{"the shortest period wins",
			[]*Rule{mail("M2", Period{Years: 3}), mail("M1", Period{Months: 1})}, time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), true},
		{"three years count as 3×365 days (2024 is a leap year), minus slack; rules for other sources and file rules do not count",
			[]*Rule{mail("M2", Period{Years: 3}), mail("X", Period{Days: 1}, "other"),
				{ID: "F", Kind: DeleteAfter, ItemKinds: []string{"file"}, From: Anchor{Item: Modified}, Keep: Period{Days: 1}}},
			time.Date(2023, 4, 3, 0, 0, 0, 0, time.UTC), true},
		{"a rule counting from another date lists everything",
			[]*Rule{mail("M2", Period{Years: 3}), {ID: "S", Kind: DeleteAfter, From: Anchor{Event: "left"}, Keep: Period{Months: 24}}},
			time.Time{}, false},
		{"owner_notice lists mail that much younger too: one month minus slack minus 14 days",
			[]*Rule{{ID: "M1", Kind: DeleteAfter, ItemKinds: []string{"message"}, From: Anchor{Item: Received}, Keep: Period{Months: 1}, OwnerNotice: Period{Weeks: 2}}},
			time.Date(2026, 3, 19, 0, 0, 0, 0, time.UTC), true},
		{"a notice as long as the period (a month is 31 days at most) lists all mail to date",
			[]*Rule{{ID: "M1", Kind: DeleteAfter, ItemKinds: []string{"message"}, From: Anchor{Item: Received}, Keep: Period{Months: 1}, OwnerNotice: Period{Months: 1}}},
			time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC), true},
		{"no rule for mail lists everything", nil, time.Time{}, false},
		{"retain_for rules only keep",
			[]*Rule{mail("M2", Period{Years: 3}), {ID: "R", Kind: RetainFor, From: Anchor{Item: Modified}, Keep: Period{Years: 5}}},
			time.Date(2023, 4, 3, 0, 0, 0, 0, time.UTC), true},
	} {
		s := &Set{Rules: c.rules}
		got, ok := s.ReceivedCutoff("mail", today)
		if !got.Equal(c.want) || ok != c.ok {
			t.Errorf("%s: cutoff %v, %v; want %v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
