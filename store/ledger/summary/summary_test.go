package summary

import (
	"reflect"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store/ledger"
)

// TestMonthBoundaries: an entry counts in the calendar month of its time in
// the summary's time zone, across daylight saving time and year ends.
func TestMonthBoundaries(t *testing.T) {
	stockholm := mustLoc("Europe/Stockholm")
	for _, tt := range []struct {
		loc   *time.Location
		at    time.Time
		month string
	}{
		{cph, time.Date(2026, 3, 31, 21, 59, 59, 0, time.UTC), "2026-03"}, // 23:59:59 CEST
		{cph, time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC), "2026-04"},   // midnight CEST
		{cph, time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC), "2026-04"},  // 00:30 CEST, 1 April
		{cph, time.Date(2026, 3, 29, 0, 59, 59, 0, time.UTC), "2026-03"},  // 01:59:59 CET, before the clocks go forward
		{cph, time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), "2026-03"},    // 03:00 CEST, after
		{cph, time.Date(2025, 10, 31, 22, 30, 0, 0, time.UTC), "2025-10"}, // 23:30 CET: winter time since 26 October
		{cph, time.Date(2025, 10, 31, 23, 0, 0, 0, time.UTC), "2025-11"},  // midnight CET
		{cph, time.Date(2025, 9, 30, 21, 59, 0, 0, time.UTC), "2025-09"},  // 23:59 CEST
		{cph, time.Date(2025, 9, 30, 22, 0, 0, 0, time.UTC), "2025-10"},   // midnight CEST
		{cph, time.Date(2026, 12, 31, 22, 59, 0, 0, time.UTC), "2026-12"}, // 23:59 CET, New Year's Eve
		{cph, time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), "2027-01"},  // New Year in Copenhagen, not yet in UTC
		{cph, time.Date(2028, 2, 29, 23, 30, 0, 0, time.UTC), "2028-03"},  // leap day, 00:30 on 1 March
		{stockholm, time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC), "2026-04"},
		{time.UTC, time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC), "2026-03"},
		{nil, time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC), "2026-04"}, // the default is Europe/Copenhagen
	} {
		s := New(tt.loc)
		s.Add(0, ledger.Entry{Type: ledger.TypeDeletion, Time: tt.at, Policy: "p", Rule: "r", Outcome: "deleted", Size: 5})
		if rows := s.Rows(); len(rows) != 1 || rows[0].Month != tt.month || rows[0].Deleted != 1 || rows[0].BytesDeleted != 5 {
			t.Errorf("%v in %v: rows %+v, want one in %s", tt.at, s.Location(), rows, tt.month)
		}
	}
}

func TestDefaultLocation(t *testing.T) {
	if got := New(nil).Location().String(); got != DefaultLocation {
		t.Errorf("New(nil) counts months in %s, want %s", got, DefaultLocation)
	}
}

// TestCounts: each outcome lands in its column; failure codes are counted
// apart; bytes are those of the deleted items only.
func TestCounts(t *testing.T) {
	at := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	d := func(outcome, code string, size int64) ledger.Entry {
		return ledger.Entry{Type: ledger.TypeDeletion, Time: at, Batch: 3, Policy: "elevdata", PolicyDigest: "sha256:aabbccddeeff00112233",
			Rule: "fravær", Outcome: outcome, Code: code, Size: size}
	}
	s := New(cph)
	for i, e := range []ledger.Entry{
		{Type: ledger.TypeBatch, Time: at, Batch: 3, Policy: "elevdata", PolicyDigest: "sha256:aabbccddeeff00112233", Rule: "fravær",
			Items: 12, Size: 999, Actor: "retentiond", Stages: []string{"ledere:1", "dpo:1"}},
		{Type: ledger.TypeApproval, Time: at, Batch: 3, Rule: "fravær", Actor: "søren", Stage: 1},
		{Type: ledger.TypeApproval, Time: at, Batch: 3, Rule: "fravær", Actor: "åse", Stage: 2},
		{Type: ledger.TypeExecutionStarted, Time: at, Batch: 3, Rule: "fravær", Actor: "it"},
		d("deleted", "", 100), d("deleted", "", 250), d("absent", "", 7), d("failed", "permission_denied", 1),
		d("failed", "permission_denied", 1), d("failed", "io_error", 1), d("failed", "", 1), d("held", "held_by_system", 1),
		d("skipped_hold", "", 1), d("changed", "", 1), d("not_due", "", 1), d("archived", "", 1),
		{Type: ledger.TypePrune, Time: at, Batch: 3, Rule: "fravær", Outcome: "pruned"},
		{Type: ledger.TypeExecutionFinished, Time: at, Batch: 3, Rule: "fravær", Items: 2},
	} {
		s.Add(int64(i), e)
	}
	want := Row{Policy: "elevdata", Rule: "fravær", Digests: []string{"sha256:aabbccddeeff"}, Month: "2026-05",
		Counts: Counts{Deleted: 2, Absent: 1, Failed: 4, Held: 1, SkippedHold: 1, Changed: 1, NotDue: 1, Archived: 1, Pruned: 1,
			BytesDeleted: 350, FailureCodes: map[string]int64{"permission_denied": 2, "io_error": 1, "": 1}},
		BatchesPlanned: 1, BatchesFullyApproved: 1, BatchesExecuted: 1, Approvers: []string{"søren", "åse"},
		Decided: map[string]int64{"": 2}} // approvals written before entries recorded auth
	rows := s.Rows()
	if len(rows) != 1 || !reflect.DeepEqual(rows[0], want) {
		t.Fatalf("rows\n%+v\nwant\n%+v", rows, want)
	}
	bs := s.Batches()
	if len(bs) != 1 || bs[0].Outcomes.Deleted != 2 || bs[0].Outcomes.Failed != 4 || bs[0].Outcomes.Pruned != 1 || bs[0].StartedBy != "it" ||
		bs[0].Planner != "retentiond" || bs[0].Items != 12 || bs[0].Digest != "sha256:aabbccddeeff" || len(bs[0].Approvals) != 2 ||
		bs[0].Approval != ledger.ApprovalComplete || len(bs[0].Stages) != 2 {
		t.Errorf("batch %+v", bs)
	}
	if n, first, last := s.Entries(); n != 18 || first != 0 || last != 17 {
		t.Errorf("Entries() = %d, %d, %d", n, first, last)
	}
}

// TestApprovalsAcrossMonths: a batch counts as fully approved once, in the
// month of the approval that completed it, and as partially approved until
// then; each month names who approved in it.
func TestApprovalsAcrossMonths(t *testing.T) {
	s := New(cph)
	for i, e := range []ledger.Entry{
		{Type: ledger.TypeBatch, Time: time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC), Batch: 1, Policy: "p", Rule: "karakterer",
			Stages: []string{"ledere:1", "dpo:1"}},
		{Type: ledger.TypeApproval, Time: time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC), Batch: 1, Rule: "karakterer", Actor: "søren", Stage: 1},
		// 00:30 on 1 April in Copenhagen.
		{Type: ledger.TypeApproval, Time: time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC), Batch: 1, Rule: "karakterer", Actor: "åse", Stage: 2},
		{Type: ledger.TypeBatch, Time: time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC), Batch: 2, Policy: "p", Rule: "logfiler"},
		{Type: ledger.TypeApproval, Time: time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC), Batch: 2, Rule: "logfiler",
			Reason: "automatic: the rule needs no approval"},
		{Type: ledger.TypeBatch, Time: time.Date(2026, 4, 3, 8, 0, 0, 0, time.UTC), Batch: 3, Policy: "p", Rule: "logfiler"},
		{Type: ledger.TypeRejection, Time: time.Date(2026, 4, 4, 8, 0, 0, 0, time.UTC), Batch: 3, Rule: "logfiler",
			Reason: "superseded by plan 4"},
		{Type: ledger.TypeBatch, Time: time.Date(2026, 4, 5, 8, 0, 0, 0, time.UTC), Batch: 4, Policy: "p", Rule: "logfiler"},
		{Type: ledger.TypeApproval, Time: time.Date(2026, 4, 5, 9, 0, 0, 0, time.UTC), Batch: 4, Rule: "logfiler", Actor: "bo", Stage: 1},
		{Type: ledger.TypeRejection, Time: time.Date(2026, 4, 6, 8, 0, 0, 0, time.UTC), Batch: 4, Rule: "logfiler", Actor: "åse",
			Reason: "not yet"},
	} {
		s.Add(int64(i), e)
	}
	want := []Row{
		{Policy: "p", Rule: "karakterer", Month: "2026-03", BatchesPlanned: 1, Approvers: []string{"søren"}, Decided: map[string]int64{"": 1}},
		{Policy: "p", Rule: "karakterer", Month: "2026-04", BatchesFullyApproved: 1, Approvers: []string{"åse"}, Decided: map[string]int64{"": 1}},
		// Batch 4's entry records no stages and it never ran: partially approved.
		{Policy: "p", Rule: "logfiler", Month: "2026-04", BatchesPlanned: 3, BatchesFullyApproved: 1, BatchesPartiallyApproved: 1,
			AutomaticApprovals: 1, BatchesRejected: 1, BatchesSuperseded: 1, Approvers: []string{"bo"}, Decided: map[string]int64{"": 2}},
	}
	got := s.Rows()
	for i := range got {
		got[i].Digests = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows\n%+v\nwant\n%+v", got, want)
	}
	bs := s.Batches()
	if a := bs[1].Approvals; len(a) != 1 || !a[0].Automatic || a[0].By != "" {
		t.Errorf("batch 2's approval %+v is not automatic", a)
	}
	if !bs[2].Superseded.Equal(time.Date(2026, 4, 4, 8, 0, 0, 0, time.UTC)) || bs[2].RejectedBy != "" {
		t.Errorf("batch 3 %+v", bs[2])
	}
	if bs[3].RejectedBy != "åse" || !bs[3].Superseded.IsZero() {
		t.Errorf("batch 4 %+v", bs[3])
	}
}

// TestBatchBeforePeriod: entries of a batch planned before the period name
// no policy; they count under the policy later entries give the rule.
func TestBatchBeforePeriod(t *testing.T) {
	at := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	s := New(cph)
	for i, e := range []ledger.Entry{
		{Type: ledger.TypeApproval, Time: at, Batch: 9, Rule: "fravær", Actor: "åse", Stage: 2},
		{Type: ledger.TypeDeletion, Time: at, Batch: 9, Rule: "fravær", Policy: "elevdata", Outcome: "deleted"},
		{Type: ledger.TypeExecutionFinished, Time: at, Batch: 9, Rule: "fravær"},
	} {
		s.Add(int64(i), e)
	}
	rows := s.Rows()
	// Its stages are unknown (its batch entry lies before the period), and
	// it was executed: approved, stages not recorded.
	if len(rows) != 1 || rows[0].Policy != "elevdata" || rows[0].BatchesApprovedStagesUnrecorded != 1 || rows[0].approvals() != 1 ||
		rows[0].Deleted != 1 || rows[0].BatchesExecuted != 1 {
		t.Errorf("rows %+v", rows)
	}
	if bs := s.Batches(); len(bs) != 1 || bs[0].Policy != "elevdata" || !bs[0].Planned.IsZero() {
		t.Errorf("batches %+v", bs)
	}
}

// TestMemory: the summary keeps counts per rule and month and per batch,
// never per entry.
func TestMemory(t *testing.T) {
	s := New(cph)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 200_000
	for i := range n {
		s.Add(int64(i), ledger.Entry{Type: ledger.TypeDeletion, Time: start.Add(time.Duration(i) * time.Minute), Batch: 1, Policy: "p",
			Rule: "r", Outcome: "deleted", Size: 1, Item: "h1:00000000:x"})
	}
	if len(s.rows) != 5 || len(s.batches) != 1 { // 200 000 minutes: January to May
		t.Errorf("%d rows and %d batches for %d entries", len(s.rows), len(s.batches), n)
	}
	var sum int64
	for _, r := range s.Rows() {
		sum += r.Deleted
	}
	if sum != n {
		t.Errorf("counted %d of %d", sum, n)
	}
}

func TestShortDigest(t *testing.T) {
	for in, want := range map[string]string{"": "", "sha256:0123456789abcdef": "sha256:0123456789ab", "sha256:0123": "sha256:0123",
		"0123456789abcdef": "0123456789ab"} {
		if got := ShortDigest(in); got != want {
			t.Errorf("ShortDigest(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestInstructionWithdrawals: a line a hold withdrew counts against the
// instruction that issued it (#17, finding 12).
func TestInstructionWithdrawals(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	s := New(cph)
	for i, e := range []ledger.Entry{
		{Type: ledger.TypeInstruction, Time: at, Instruction: "I-1", Rule: "L1", Due: "2026-06-20", Actor: "it", Text: "system Lectio; document sha256:00"},
		{Type: ledger.TypeInstruction, Time: at, Instruction: "I-1", Rule: "L1", Due: "2026-12-10", Actor: "it", Text: "system Lectio; document sha256:00"},
		{Type: ledger.TypeInstructionWithdrawn, Time: at.Add(time.Hour), Instruction: "I-1", Rule: "L1", Due: "2026-12-10", Hold: "H-1", Actor: "it"},
	} {
		s.Add(int64(i), e)
	}
	ins := s.Instructions()
	if len(ins) != 1 || ins[0].Lines != 2 || ins[0].Withdrawn != 1 || ins[0].System != "Lectio" {
		t.Fatalf("instructions %+v", ins)
	}
}
