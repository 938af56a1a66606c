package scheduler

import (
	"testing"
	"time"

	"github.com/retentiond/retentiond/connectors"
	"github.com/retentiond/retentiond/policies"
	"github.com/retentiond/retentiond/store"
)

// TestOwnerNoticeCheck is the owner_notice decision at its boundaries:
// which items are told, and on which day a told item may go.
func TestOwnerNoticeCheck(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	rule := &policies.Rule{ID: "r", Kind: policies.DeleteAfter, OwnerNotice: policies.Period{Days: 14}}
	plain := &policies.Rule{ID: "plain", Kind: policies.DeleteAfter}
	d := policies.NewDate
	// Told at 23:30 UTC on 30 March 2026: 31 March in Copenhagen (summer
	// time since the 29th), so the 14 days run from the 31st.
	told := store.Time{Time: time.Date(2026, 3, 30, 23, 30, 0, 0, time.UTC)}
	noticed := map[string]store.OwnerNotice{
		"told":    {Ref: "told", Version: "v1", NoticedAt: &told},
		"changed": {Ref: "changed", Version: "v0", NoticedAt: &told},
		"pending": {Ref: "pending", Version: "v1"},
	}
	for _, c := range []struct {
		name    string
		ref     string
		rule    *policies.Rule
		verdict policies.Verdict
		due     policies.Date
		today   policies.Date
		hold    bool

		wantVerdict policies.Verdict
		wantFound   bool // recorded for a notice
	}{
		{"due, told 13 days ago", "told", rule, policies.Due, d(2026, 1, 1), d(2026, 4, 13), false, policies.Keep, true},
		{"due, told 14 days ago", "told", rule, policies.Due, d(2026, 1, 1), d(2026, 4, 14), false, policies.Due, true},
		{"due, told 15 days ago", "told", rule, policies.Due, d(2026, 1, 1), d(2026, 4, 15), false, policies.Due, true},
		{"due, never told", "new", rule, policies.Due, d(2026, 1, 1), d(2026, 6, 1), false, policies.Keep, true},
		{"due, told but not sent", "pending", rule, policies.Due, d(2026, 1, 1), d(2026, 6, 1), false, policies.Keep, true},
		{"due, told about another version", "changed", rule, policies.Due, d(2026, 1, 1), d(2026, 6, 1), false, policies.Keep, true},
		{"due in 15 days", "new", rule, policies.Keep, d(2026, 7, 16), d(2026, 7, 1), false, policies.Keep, false},
		{"due in 14 days", "new", rule, policies.Keep, d(2026, 7, 15), d(2026, 7, 1), false, policies.Keep, true},
		{"due tomorrow, 1 March of a leap year", "new", rule, policies.Keep, d(2028, 3, 1), d(2028, 2, 29), false, policies.Keep, true},
		{"held", "new", rule, policies.Held, d(2026, 1, 1), d(2026, 6, 1), true, policies.Held, false},
		{"kept by a hold, due soon", "new", rule, policies.Keep, d(2026, 7, 2), d(2026, 7, 1), true, policies.Keep, false},
		{"a rule without owner_notice", "new", plain, policies.Due, d(2026, 1, 1), d(2026, 6, 1), false, policies.Due, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := &ownerNotices{source: "share", today: c.today, loc: cph, known: noticed}
			dec := policies.Decision{Verdict: c.verdict, Rule: c.rule, Due: c.due}
			if c.hold {
				dec.Hold = &policies.Hold{}
			}
			it := connectors.Item{Ref: c.ref, Version: "v1"}
			why := o.check(&it, &dec)
			if dec.Verdict != c.wantVerdict || (why != "") != (c.wantVerdict != c.verdict) {
				t.Errorf("verdict %v (%q), want %v", dec.Verdict, why, c.wantVerdict)
			}
			if (len(o.found) == 1) != c.wantFound {
				t.Errorf("recorded for a notice: %v, want %v", o.found, c.wantFound)
			}
			if len(o.found) == 1 && (o.found[0].Due != c.due.String() || o.found[0].Version != "v1" || o.found[0].Rule != c.rule.ID) {
				t.Errorf("recorded %+v", o.found[0])
			}
			if want := int64(0); c.wantVerdict != c.verdict {
				want = 1
				if o.Deferred != want {
					t.Errorf("deferred %d", o.Deferred)
				}
			}
		})
	}
}
