package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// TestVerifyFullApproval (issue 18, "counts an auditor can rely on"):
// ledger verify refuses an execution that started on a batch not fully
// approved at that point by the stages its batch entry records, and an
// exclusion after the execution started; it accepts a ledger holding every
// other case: two stages approved, automatic, rejected with a retention
// decision, items withdrawn, an item excluded, a decision revoked, an
// escalation, and an old batch entry that records no stages.
func TestVerifyFullApproval(t *testing.T) {
	text := "version: 1\n"
	sum := sha256.Sum256([]byte(text))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	refs := testRefKey(t)
	item := func(n string) string { return refs.Ref("item:fileshare:s", n) }
	with := func(e Entry, f func(*Entry)) Entry { f(&e); return e }
	pol := Entry{Type: TypePolicy, Policy: "p", PolicyDigest: digest, Text: text}
	batch := func(id int64, planner string, stages ...string) Entry {
		return Entry{Type: TypeBatch, Batch: id, Rule: "C1", Policy: "p", PolicyDigest: digest, Items: 3, Actor: planner, Stages: stages}
	}
	approve := func(id int64, who string, stage int) Entry {
		return Entry{Type: TypeApproval, Batch: id, Actor: who, Role: "approver", Stage: stage, Auth: "typed"}
	}
	auto := func(id int64) Entry {
		return Entry{Type: TypeApproval, Batch: id, Reason: "automatic: the rule needs no approval"}
	}
	start := func(id int64) Entry {
		return Entry{Type: TypeExecutionStarted, Batch: id, Actor: "it", Role: "operator", Items: 3}
	}
	del := func(id int64, n string, approvers ...string) Entry {
		return Entry{Type: TypeDeletion, Batch: id, Item: item(n), Outcome: "deleted", Method: "delete", Approvals: approvers,
			Policy: "p", PolicyDigest: digest}
	}
	finish := func(id int64) Entry {
		return Entry{Type: TypeExecutionFinished, Batch: id, Actor: "it", Role: "operator", Items: 1}
	}
	withdraw := func(id int64, n, code string) Entry {
		return Entry{Type: TypeWithdrawal, Batch: id, Item: item(n), Code: code}
	}
	exclude := func(id int64, n, decision string) Entry {
		return Entry{Type: TypeRetentionDecision, Batch: id, Decision: decision, Code: "excluded", Item: item(n), Actor: "anna",
			Role: "approver", Reason: "case still open", Until: "2027-06-30", Auth: "typed"}
	}
	reject := func(id int64, decision string) []Entry {
		return []Entry{
			{Type: TypeRejection, Batch: id, Actor: "bo", Role: "approver", Reason: "not yet"},
			{Type: TypeRetentionDecision, Batch: id, Decision: decision, Code: "rejected", Items: 3, Actor: "bo", Role: "approver",
				Reason: "not yet", Until: "2027-05-01", Auth: "typed"},
		}
	}
	two := []string{"leaders:1", "dpo:1"}

	// One ledger with every case that must pass.
	var every []Entry
	every = append(every, pol,
		// Batch 1: two stages, each approved, executed.
		batch(1, "it", two...), approve(1, "anna", 1), approve(1, "bo", 2), start(1), del(1, "a", "anna", "bo"), finish(1),
		// Batch 2: no approval needed, approved automatically.
		batch(2, "retentiond"), auto(2), start(2), del(2, "b", ""), finish(2),
		// Batch 3: approved at stage 1, then rejected and kept until a date.
		batch(3, "it", two...), approve(3, "anna", 1))
	every = append(every, reject(3, "D-1")...)
	every = append(every,
		// Batch 4: one item changed and one excluded; the approvals stand for the rest.
		batch(4, "it", two...), approve(4, "anna", 1), withdraw(4, "c", "changed"), exclude(4, "d", "D-2"),
		withdraw(4, "d", "excluded"), approve(4, "bo", 2), start(4), del(4, "e", "anna", "bo"), finish(4),
		// The exclusion is revoked; batch 5 waited too long and was escalated.
		Entry{Type: TypeDecisionRevoked, Decision: "D-2", Actor: "anna", Role: "approver", Auth: "typed"},
		batch(5, "it", "leaders:2"), approve(5, "anna", 1),
		Entry{Type: TypeEscalation, Batch: 5, Reason: "rektorer"},
		// Batch 6: its planner approved, and another approver too.
		batch(6, "anna", "leaders:1"), approve(6, "anna", 1), approve(6, "bo", 1), start(6),
		// Batch 7: written before batch entries recorded stages; one approval, as then.
		batch(7, "it"), approve(7, "anna", 1), start(7), del(7, "f", "anna"), finish(7),
	)
	if err := verifyCrafted(t, every); err != nil {
		t.Fatalf("a ledger with every case was refused: %v", err)
	}

	tests := []struct {
		name    string
		entries []Entry
		at      int64 // the entry refused
		reason  string
	}{
		{"partially approved, then executed", []Entry{pol, batch(1, "it", two...), approve(1, "anna", 1), start(1)}, 3,
			"execution of batch 1 started before it was fully approved: stage 2 (dpo) has 0 of 1 approval(s)"},
		{"two approvals by one person count once", []Entry{pol, batch(1, "it", "leaders:2"), approve(1, "anna", 1), approve(1, "anna", 1), start(1)}, 4,
			"stage 1 (leaders) has 1 of 2 approval(s)"},
		{"approved at the wrong stage", []Entry{pol, batch(1, "it", two...), approve(1, "anna", 2), approve(1, "bo", 2), start(1)}, 4,
			"stage 1 (leaders) has 0 of 1"},
		{"only the planner approved", []Entry{pol, batch(1, "anna", "leaders:1"), approve(1, "anna", 1), start(1)}, 3,
			"only its planner anna approved it"},
		{"stages recorded, approved automatically", []Entry{pol, batch(1, "it", "leaders:1"), auto(1), start(1)}, 3,
			"stage 1 (leaders) has 0 of 1"},
		{"approval at a stage the batch does not have", []Entry{pol, batch(1, "it", two...), approve(1, "anna", 3)}, 2,
			"at stage 3: its batch entry records 2 stage(s)"},
		{"stages not group:count", []Entry{pol, batch(1, "it", "leaders")}, 1, `stage "leaders" is not group:count`},
		{"stage count zero", []Entry{pol, batch(1, "it", "leaders:0")}, 1, "positive count"},
		{"excluded after the execution started", []Entry{pol, batch(1, "it", "leaders:1"), approve(1, "anna", 1), start(1), exclude(1, "a", "D-1")}, 4,
			"excludes an item from batch 1 after its execution started at entry 3"},
		{"withdrawn after the execution started", []Entry{pol, batch(1, "it", "leaders:1"), approve(1, "anna", 1), start(1), withdraw(1, "a", "changed")}, 4,
			"after its execution started"},
		{"rejected, then executed", append(append([]Entry{pol, batch(1, "it", "leaders:1"), approve(1, "anna", 1)}, reject(1, "D-1")...), start(1)), 5,
			"started after its rejection"},
		{"old batch entry without approval", []Entry{pol, batch(1, "it"), start(1)}, 2, "which no earlier entry approved"},
		{"exclusion without an item", []Entry{pol, batch(1, "it"), with(exclude(1, "a", "D-1"), func(e *Entry) { e.Item = "" })}, 2,
			"exactly when it excludes one item"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyCrafted(t, tt.entries)
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Index != tt.at || !strings.Contains(ve.Reason, tt.reason) {
				t.Fatalf("got %v; want entry %d refused with %q", err, tt.at, tt.reason)
			}
		})
	}
}

// TestApprovalProgress: the states a batch's approval goes through.
func TestApprovalProgress(t *testing.T) {
	var a ApprovalProgress
	if err := a.Batch(&Entry{Type: TypeBatch, Batch: 1, Actor: "it", Stages: []string{"leaders:1", "dpo:2"}}); err != nil {
		t.Fatal(err)
	}
	step := func(who string, stage int, want ApprovalStatus) {
		t.Helper()
		a.Approve(&Entry{Type: TypeApproval, Batch: 1, Actor: who, Stage: stage})
		if got := a.Status(); got != want {
			t.Fatalf("after %s at stage %d: %v, want %v (%s)", who, stage, got, want, a.Missing())
		}
	}
	if a.Status() != ApprovalNone {
		t.Fatal("no approval yet")
	}
	step("anna", 1, ApprovalPartial)
	step("bo", 2, ApprovalPartial)
	step("bo", 2, ApprovalPartial) // the same person twice
	step("carl", 2, ApprovalComplete)
	if m := a.Missing(); m != "" {
		t.Errorf("complete, yet missing %q", m)
	}
	// No batch entry read (planned before the period): stages unknown.
	var b ApprovalProgress
	b.Approve(&Entry{Type: TypeApproval, Batch: 2, Actor: "anna", Stage: 1})
	if b.Status() != ApprovalStagesUnknown {
		t.Errorf("unknown stages: %v", b.Status())
	}
	var c ApprovalProgress
	c.Approve(&Entry{Type: TypeApproval, Batch: 3, Reason: "automatic: the rule needs no approval"})
	if c.Status() != ApprovalComplete {
		t.Errorf("automatic: %v", c.Status())
	}
}
