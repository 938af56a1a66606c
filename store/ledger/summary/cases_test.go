package summary

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/retentiond/retentiond/store/ledger"
)

// everyCase returns a ledger that ledger verify accepts and that holds
// each case the summary counts apart (issue 18, "counts an auditor can
// rely on"), all for rule fravær in May 2026 but batch 12, completed in
// June:
//
//	batch 1   two stages, both approved, executed          fully approved
//	batch 2   two stages, only the first approved          partially approved
//	batch 3   no approval needed, approved automatically   fully approved, automatic
//	batch 4   rejected, its items kept until a date        rejected, a rejection decision keeping 5 items
//	batch 5   an item changed, one held, one excluded,     fully approved, 3 items withdrawn, 1 excluded,
//	          approved, executed                           1 found withdrawn at execution
//	batch 6   both items no longer due                     2 withdrawn, the batch wholly withdrawn
//	batch 7   waited too long                              escalated
//	batch 8   entry without stages (older ledger), executed  approved, stages not recorded
//	batch 9   entry without stages, never executed         partially approved
//	batch 10  automatic, then superseded by a later plan   fully approved, automatic, superseded
//	batch 11  approved only by its planner                 partially approved
//	batch 12  first stage in May, second in June           fully approved in June
//	batch 13  one item gone, the other excluded            1 withdrawn, 1 excluded, the batch wholly withdrawn
//	          (a decision only, no withdrawal entry)
//
// and the revocation of batch 5's exclusion.
func everyCase(t *testing.T) []ledger.Entry {
	t.Helper()
	refs, err := ledger.NewRefKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	item := func(n string) string { return refs.Ref("item:fileshare:fælles", n) }
	text := "version: 1\n"
	sum := sha256.Sum256([]byte(text))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	two := []string{"ledere:1", "dpo:1"}

	at := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	var out []ledger.Entry
	add := func(es ...ledger.Entry) {
		for _, e := range es {
			if e.Time.IsZero() {
				at = at.Add(time.Minute)
				e.Time = at
			}
			if e.Rule == "" && e.Type != ledger.TypePolicy && e.Type != ledger.TypeDecisionRevoked {
				e.Rule = "fravær"
			}
			out = append(out, e)
		}
	}
	batch := func(id, items int64, planner string, stages ...string) ledger.Entry {
		return ledger.Entry{Type: ledger.TypeBatch, Batch: id, Source: "fælles", SourceKind: "fileshare", Policy: "elevdata",
			PolicyDigest: digest, Items: items, Size: items * 100, Actor: planner, Stages: stages}
	}
	approve := func(id int64, who string, stage int) ledger.Entry {
		return ledger.Entry{Type: ledger.TypeApproval, Batch: id, Actor: who, Role: "approver", Stage: stage, Auth: "typed"}
	}
	auto := func(id int64) ledger.Entry {
		return ledger.Entry{Type: ledger.TypeApproval, Batch: id, Reason: "automatic: the rule needs no approval"}
	}
	run := func(id int64, approvers []string, outcomes ...string) []ledger.Entry {
		es := []ledger.Entry{{Type: ledger.TypeExecutionStarted, Batch: id, Actor: "it", Role: "operator", Items: int64(len(outcomes))}}
		for i, o := range outcomes {
			e := ledger.Entry{Type: ledger.TypeDeletion, Batch: id, Item: item(fmt.Sprintf("%d-%d", id, i)), Outcome: o, Policy: "elevdata",
				PolicyDigest: digest, Approvals: approvers, Size: 100}
			if o == "deleted" {
				e.Method, e.Verified = "delete", true
			}
			es = append(es, e)
		}
		return append(es, ledger.Entry{Type: ledger.TypeExecutionFinished, Batch: id, Actor: "it", Role: "operator"})
	}
	withdraw := func(id int64, n, code string) ledger.Entry {
		return ledger.Entry{Type: ledger.TypeWithdrawal, Batch: id, Item: item(n), Code: code}
	}

	add(ledger.Entry{Type: ledger.TypePolicy, Policy: "elevdata", PolicyDigest: digest, Text: text})
	add(batch(1, 1, "it", two...), approve(1, "anna", 1), approve(1, "bo", 2))
	add(run(1, []string{"anna", "bo"}, "deleted")...)
	add(batch(2, 1, "it", two...), approve(2, "anna", 1))
	add(batch(3, 1, "retentiond"), auto(3))
	add(run(3, []string{""}, "deleted")...)
	add(batch(4, 5, "it", "ledere:1"),
		ledger.Entry{Type: ledger.TypeRejection, Batch: 4, Actor: "bo", Role: "approver", Reason: "not yet"},
		ledger.Entry{Type: ledger.TypeRetentionDecision, Batch: 4, Decision: "D-1", Code: "rejected", Items: 5, Actor: "bo",
			Role: "approver", Reason: "not yet", Until: "2027-05-01", Auth: "typed"})
	add(batch(5, 5, "it", two...), withdraw(5, "5-a", "changed"), withdraw(5, "5-b", "held"),
		ledger.Entry{Type: ledger.TypeRetentionDecision, Batch: 5, Decision: "D-2", Code: "excluded", Item: item("5-c"), Actor: "anna",
			Role: "approver", Reason: "case still open", Until: "2027-06-30", Auth: "typed"},
		withdraw(5, "5-c", "excluded"), approve(5, "anna", 1), approve(5, "bo", 2))
	add(run(5, []string{"anna", "bo"}, "deleted", "deleted", "withdrawn")...)
	add(ledger.Entry{Type: ledger.TypeDecisionRevoked, Decision: "D-2", Actor: "anna", Role: "approver", Auth: "typed"})
	add(batch(6, 2, "it", "ledere:1"), withdraw(6, "6-a", "not_due"), withdraw(6, "6-b", "not_due"))
	add(batch(7, 1, "it", "ledere:2"), ledger.Entry{Type: ledger.TypeEscalation, Batch: 7, Reason: "waited more than P14D; offered to group rektorer"})
	add(batch(8, 1, "it"), approve(8, "anna", 1))
	add(run(8, []string{"anna"}, "deleted")...)
	add(batch(9, 1, "it"), approve(9, "anna", 1))
	add(batch(10, 1, "retentiond"), auto(10), ledger.Entry{Type: ledger.TypeRejection, Batch: 10, Reason: "superseded by plan 12"})
	add(batch(11, 1, "anna", "ledere:1"), approve(11, "anna", 1))
	add(batch(12, 1, "it", two...), approve(12, "anna", 1))
	add(batch(13, 2, "it", "ledere:1"), withdraw(13, "13-a", "absent"),
		ledger.Entry{Type: ledger.TypeRetentionDecision, Batch: 13, Decision: "D-3", Code: "excluded", Item: item("13-b"), Actor: "anna",
			Role: "approver", Reason: "archive wants it", Until: "2030-01-01", Auth: "typed"})
	add(ledger.Entry{Type: ledger.TypeApproval, Time: time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC), Batch: 12, Rule: "fravær", Actor: "bo",
		Role: "approver", Stage: 2, Auth: "typed"})
	return out
}

// TestEveryCase: on a ledger that ledger verify accepts and that holds
// each case, the summary counts each in its own column, in the CSV, the
// batches and the PDF; and ledger verify refuses the partially approved
// batch's execution.
func TestEveryCase(t *testing.T) {
	entries := everyCase(t)
	rules := ledger.NewContentRules()
	for i, e := range entries {
		if _, err := e.Marshal(); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if reason := rules.Check(int64(i), &e); reason != "" {
			t.Fatalf("ledger verify refuses entry %d (%s): %s", i, e.Type, reason)
		}
	}
	// Executing batch 2, approved at one of its two stages, is refused.
	started := ledger.Entry{Type: ledger.TypeExecutionStarted, Time: time.Date(2026, 6, 3, 8, 0, 0, 0, time.UTC), Batch: 2, Actor: "it"}
	if reason := rules.Check(int64(len(entries)), &started); !strings.Contains(reason, "started before it was fully approved: stage 2 (dpo) has 0 of 1") {
		t.Errorf("executing a partially approved batch: %q", reason)
	}

	s := build(entries)
	want := []Row{{Policy: "elevdata", Rule: "fravær", Month: "2026-05",
		Counts:         Counts{Deleted: 5, Withdrawn: 1, BytesDeleted: 500},
		BatchesPlanned: 13, BatchesFullyApproved: 4, BatchesPartiallyApproved: 3, BatchesApprovedStagesUnrecorded: 1,
		AutomaticApprovals: 2, BatchesRejected: 1, BatchesSuperseded: 1, BatchesExecuted: 4, Approvers: []string{"anna", "bo"},
		ItemsWithdrawn: 6, WithdrawalCodes: map[string]int64{"changed": 1, "absent": 1, "held": 1, "excluded": 1, "not_due": 2},
		BatchesWithWithdrawals: 3, BatchesWithdrawn: 2, ItemsExcluded: 2, DecisionsRejected: 1, ItemsKeptByRejection: 5,
		DecisionsRevoked: 1, Escalations: 1,
		// 9 approvals, 2 exclusions and a revocation typed; the rejection
		// of batch 4 records no auth (its decision entry, which does, is
		// part of it).
		Decided: map[string]int64{"typed": 12, "": 1},
	}, {Policy: "elevdata", Rule: "fravær", Month: "2026-06", BatchesFullyApproved: 1, Approvers: []string{"bo"}, Decided: map[string]int64{"typed": 1}}}
	got := s.Rows()
	for i := range got {
		got[i].Digests = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows\n%+v\nwant\n%+v", got, want)
	}

	wantBatch := map[int64]ledger.ApprovalStatus{1: ledger.ApprovalComplete, 2: ledger.ApprovalPartial, 3: ledger.ApprovalComplete,
		4: ledger.ApprovalNone, 5: ledger.ApprovalComplete, 6: ledger.ApprovalNone, 7: ledger.ApprovalNone, 8: ledger.ApprovalStagesUnknown,
		9: ledger.ApprovalStagesUnknown, 10: ledger.ApprovalComplete, 11: ledger.ApprovalPartial, 12: ledger.ApprovalComplete,
		13: ledger.ApprovalNone}
	for _, b := range s.Batches() {
		if b.Approval != wantBatch[b.ID] {
			t.Errorf("batch %d: approval %v, want %v", b.ID, b.Approval, wantBatch[b.ID])
		}
		switch b.ID {
		case 4:
			if b.KeptUntil != "2027-05-01" || b.RejectedBy != "bo" {
				t.Errorf("batch 4 %+v", b)
			}
		case 5:
			if b.Withdrawn != 3 || b.Excluded != 1 || b.Outcomes.Withdrawn != 1 || b.Outcomes.Deleted != 2 {
				t.Errorf("batch 5 %+v", b)
			}
		case 7:
			if b.Escalated.IsZero() || !strings.Contains(b.EscalatedTo, "rektorer") {
				t.Errorf("batch 7 %+v", b)
			}
		}
	}

	// The CSV says the same, by column name.
	var buf bytes.Buffer
	if err := s.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	may := map[string]string{}
	for i, name := range recs[0] {
		may[name] = recs[1][i]
	}
	for name, v := range map[string]string{"batches_planned": "13", "batches_fully_approved": "4", "batches_partially_approved": "3",
		"batches_approved_stages_unrecorded": "1", "automatic_approvals": "2", "batches_rejected": "1", "batches_superseded": "1",
		"batches_executed": "4", "approvers": "anna bo", "deleted": "5", "withdrawn_at_execution": "1", "items_withdrawn": "6",
		"items_withdrawn_changed": "1", "items_withdrawn_absent": "1", "items_withdrawn_held": "1", "items_withdrawn_not_due": "2",
		"items_withdrawn_kept_by_decision": "0", "items_withdrawn_excluded": "1", "batches_with_withdrawals": "3", "batches_withdrawn": "2",
		"items_excluded": "2", "decisions_rejected": "1", "items_kept_by_rejection": "5", "decisions_revoked": "1", "escalations": "1"} {
		if may[name] != v {
			t.Errorf("May's %s is %q, want %s", name, may[name], v)
		}
	}
	if _, ok := may["batches_approved"]; ok {
		t.Error("the CSV still has batches_approved")
	}

	// And the PDF: section 2's tables and the batches.
	flat := squash(strings.Join(pages(t, writePDF(t, s, Meta{Origin: "o", Generated: time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)}, "every-case.pdf")), "\n"))
	for _, want := range []string{
		"Batches fully approved 5", "Batches partially approved 3", "Approved, stages unknown 1", "Items withdrawn 6",
		"Batches wholly withdrawn 2", "Items excluded 2", "Rejections kept until a date 1", "Decisions revoked 1", "Escalations 1",
		"fravær (elevdata) 2026-05 13 4 3 2 1 1 4 anna, bo",
		"approved, stages not recorded (counted because their execution started): 1",
		"fravær (elevdata) 2026-06 0 1 0 0 0 0 0 bo",
		"fravær (elevdata) 2026-05 6 2 2 1 5 1 1",
		"Withdrawn from 3 batch(es): absent 1, changed 1, excluded 1, held 1, not due 2",
		"fully approved", "partially approved", "stages not recorded", "needs ledere:1, dpo:1", "items kept until 2027-05-01",
		"escalated 2026-05-04", "rektorer", "3 withdrawn by plans", "1 excluded", "1 skipped, withdrawn",
		"withdrawn before execution 1",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the report lacks %q:\n%s", want, flat)
		}
	}
}
