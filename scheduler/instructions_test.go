package scheduler

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/retentiond/retentiond/store"
	"github.com/retentiond/retentiond/store/ledger"
)

func TestInstructionsIssueOnceConfirmAndOverdue(t *testing.T) {
	e := newSubjEnv(t)
	ctx := context.Background()
	e.export("elever", 1, teaHeader+
		"1001;A;01-08-2019;20-06-2024;12-05-2005\n"+ // L1 due 2026-06-20: overdue
		"1002;B;01-08-2019;10-12-2024;12-05-2005\n"+ // L1 due 2026-12-10: within 30 days
		"1003;C;01-08-2019;20-06-2026;12-05-2005\n"+ // due 2028: not yet
		"1004;D;01-08-2019;31-02-2024;12-05-2005\n"+ // a date that does not parse: flagged
		"1005;E;01-08-2019;;12-05-2005\n") // has not left
	e.export("hr", 1, hrHeader)
	if _, err := e.p.ImportSubjects(ctx, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.IssueInstructions(ctx, InstructionOptions{Person: "anna"}); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("an approver issued instructions: %v", err)
	}
	res, err := e.p.IssueInstructions(ctx, InstructionOptions{Person: "it"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Issued) != 1 || res.Flagged != 1 {
		t.Fatalf("issued %d, flagged %d", len(res.Issued), res.Flagged)
	}
	in := res.Issued[0]
	if in.ID != "I-1" || in.System != "Lectio" || len(in.Lines) != 2 || in.EarliestDue != "2026-06-20" {
		t.Fatalf("instruction %+v", in.Instruction)
	}
	if want := "delete_by,rule,category,person\n2026-06-20,L1,Lectio master data,1001\n2026-12-10,L1,Lectio master data,1002\n"; string(in.CSV) != want {
		t.Errorf("CSV:\n%s\nwant\n%s", in.CSV, want)
	}
	if md := string(in.Markdown); !strings.Contains(md, "| 2026-06-20 (due now) | L1 | Lectio master data | 1001 |") || !strings.Contains(md, "instructions confirm I-1") {
		t.Errorf("markdown:\n%s", md)
	}
	v := e.p.Signer.Verifier()
	n, err := note.Open(in.Note, note.VerifierList(v))
	if err != nil || !strings.Contains(n.Text, strings.TrimPrefix(in.Digest, "sha256:")) {
		t.Fatalf("signed note: %v\n%s", err, in.Note)
	}
	// Lines already due: to be confirmed within 14 days of issue.
	if in.Deadline != "2026-12-06" || len(res.Overdue) != 0 {
		t.Errorf("deadline %s, overdue at issue %+v", in.Deadline, res.Overdue)
	}
	e.p.Clock = FixedClock{now.AddDate(0, 0, 14)}
	if od, _ := e.p.OverdueInstructions(ctx); len(od) != 0 {
		t.Errorf("overdue on the deadline: %+v", od)
	}
	e.p.Clock = FixedClock{now.AddDate(0, 0, 15)}
	if od, _ := e.p.OverdueInstructions(ctx); len(od) != 1 || od[0].ID != "I-1" {
		t.Errorf("overdue the day after the deadline: %+v", od)
	}

	// The same lines are not issued twice.
	again, err := e.p.IssueInstructions(ctx, InstructionOptions{Person: "it"})
	if err != nil || len(again.Issued) != 0 {
		t.Fatalf("second run issued %d (%v)", len(again.Issued), err)
	}

	if err := e.p.ConfirmInstruction(ctx, "I-1", "", "it"); err == nil {
		t.Error("confirmed without saying by whom")
	}
	if err := e.p.ConfirmInstruction(ctx, "I-1", "Lectio administrator Ole", "it"); err != nil {
		t.Fatal(err)
	}
	if err := e.p.ConfirmInstruction(ctx, "I-1", "Ole", "it"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("confirmed twice: %v", err)
	}
	if od, _ := e.p.OverdueInstructions(ctx); len(od) != 0 {
		t.Errorf("still overdue after confirmation: %+v", od)
	}

	var issued, acks int
	for _, en := range e.entries() { // verifies the ledger
		switch en.Type {
		case ledger.TypeInstruction:
			issued++
			if en.Subject == "" || strings.Contains(string(mustMarshal(t, en)), "1001") {
				t.Errorf("instruction entry %+v", en)
			}
		case ledger.TypeAcknowledgement:
			acks++
			if en.Instruction != "I-1" || en.Actor != "it" {
				t.Errorf("acknowledgement %+v", en)
			}
		}
	}
	if issued != 2 || acks != 1 {
		t.Errorf("ledger has %d instruction and %d acknowledgement entries", issued, acks)
	}
}

func mustMarshal(t *testing.T, e ledger.Entry) []byte {
	t.Helper()
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
