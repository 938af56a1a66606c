package scheduler

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/retentiond/retentiond/policies"
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
	if want := "delete_by,rule,category,person,action\n2026-06-20,L1,Lectio master data,1001,delete\n2026-12-10,L1,Lectio master data,1002,delete\n"; string(in.CSV) != want {
		t.Errorf("CSV:\n%s\nwant\n%s", in.CSV, want)
	}
	// In the configuration's locale, Danish by default.
	if md := string(in.Markdown); !strings.Contains(md, "| 2026-06-20 (slet nu) | L1 | Lectio master data | 1001 |") || !strings.Contains(md, "instructions confirm I-1") ||
		!strings.HasPrefix(md, "# Sletteinstruks I-1: Lectio\n") {
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

// TestHoldsWithholdAndWithdrawInstructionLines (#17, finding 12): a hold
// on a person (or on a record's path) withholds their lines, also those
// within the look-ahead; a line already issued for someone held later is
// withdrawn in the store, the ledger and the next instruction, and is not
// overdue; once the hold is released the line is issued again.
func TestHoldsWithholdAndWithdrawInstructionLines(t *testing.T) {
	e := newSubjEnv(t)
	ctx := context.Background()
	e.export("elever", 1, teaHeader+
		"1001;A;01-08-2019;20-06-2024;12-05-2005\n"+ // L1 due 2026-06-20
		"1018;B;01-08-2019;10-12-2024;12-05-2005\n"+ // L1 due 2026-12-10: within the 30-day look-ahead
		"1004;C;01-08-2019;01-12-2024;12-05-2005\n") // L1 due 2026-12-01
	e.export("hr", 1, hrHeader)
	if _, err := e.p.ImportSubjects(ctx, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	h1, err := e.p.AddHold(ctx, "it", HoldSpec{Reason: "access request", Owner: "DPO", Subject: "student:1018"})
	if err != nil {
		t.Fatal(err)
	}
	h2, err := e.p.AddHold(ctx, "it", HoldSpec{Reason: "complaint", Owner: "DPO", Path: "Lectio/Stamdata/1004"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.p.IssueInstructions(ctx, InstructionOptions{Person: "it"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Issued) != 1 || len(res.Issued[0].Lines) != 1 || res.Issued[0].Lines[0].Subject != "student:1001" {
		t.Fatalf("issued %+v", res.Issued)
	}
	if res.Withheld != 2 || strings.Join(res.Holds, ",") != h1+","+h2 {
		t.Errorf("withheld %d lines by %v", res.Withheld, res.Holds)
	}
	if csv := string(res.Issued[0].CSV); strings.Contains(csv, "1018") || strings.Contains(csv, "1004") {
		t.Errorf("held people in the instruction:\n%s", csv)
	}

	// 1001 is held after I-1 was issued: the line is withdrawn.
	e.p.Clock = FixedClock{now.AddDate(0, 0, 60)}
	if od, _ := e.p.OverdueInstructions(ctx); len(od) != 1 {
		t.Fatalf("I-1 not overdue after its deadline: %+v", od)
	}
	e.p.Clock = FixedClock{now}
	h3, err := e.p.AddHold(ctx, "it", HoldSpec{Reason: "police case", Owner: "DPO", Subject: "student:1001"})
	if err != nil {
		t.Fatal(err)
	}
	// Held, the line is not counted overdue even before the next issue
	// withdraws it.
	e.p.Clock = FixedClock{now.AddDate(0, 0, 60)}
	if od, _ := e.p.OverdueInstructions(ctx); len(od) != 0 {
		t.Errorf("overdue with its only line held: %+v", od)
	}
	e.p.Clock = FixedClock{now}
	res, err = e.p.IssueInstructions(ctx, InstructionOptions{Person: "it"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Issued) != 1 {
		t.Fatalf("issued %d instructions after the hold", len(res.Issued))
	}
	wd := res.Issued[0]
	if wd.ID != "I-2" || wd.System != "Lectio" || len(wd.Lines) != 0 || len(wd.Withdraws) != 1 || wd.Withdraws[0].Instruction != "I-1" || wd.Withdraws[0].Hold != h3 {
		t.Fatalf("withdrawal %+v", wd)
	}
	if csv := string(wd.CSV); !strings.Contains(csv, `,L1,Lectio master data,1001,"withdrawn: do NOT delete (line of I-1, was due 2026-06-20; kept by hold `+h3+`)"`) {
		t.Errorf("withdrawal CSV:\n%s", csv)
	}
	if md := string(wd.Markdown); !strings.Contains(md, "Trukket tilbage: slet IKKE") || strings.Contains(md, "instructions confirm") {
		t.Errorf("withdrawal markdown:\n%s", md)
	}
	lines, err := e.p.Store.InstructionLines(ctx, "I-1")
	if err != nil || len(lines) != 1 || lines[0].WithdrawnAt == nil || *lines[0].WithdrawnHold != h3 || *lines[0].WithdrawnIn != "I-2" {
		t.Fatalf("I-1's line in the store: %+v (%v)", lines, err)
	}
	all, _ := e.p.Store.Instructions(ctx)
	if len(all) != 2 || all[0].Withdrawn != 1 || all[0].Standing() != 0 || all[1].Withdrawals != 1 {
		t.Errorf("instructions %+v", all)
	}
	// Not overdue, ever: nothing of I-1 is to be carried out.
	e.p.Clock = FixedClock{now.AddDate(0, 0, 60)}
	if od, _ := e.p.OverdueInstructions(ctx); len(od) != 0 {
		t.Errorf("overdue with every line withdrawn: %+v", od)
	}
	e.p.Clock = FixedClock{now}
	if err := e.p.ConfirmInstruction(ctx, "I-2", "Ole", "it"); err == nil || !strings.Contains(err.Error(), "nothing to confirm") {
		t.Errorf("confirmed an instruction that only withdraws: %v", err)
	}
	if again, err := e.p.IssueInstructions(ctx, InstructionOptions{Person: "it"}); err != nil || len(again.Issued) != 0 {
		t.Fatalf("withdrawn twice: %+v (%v)", again.Issued, err)
	}

	var withdrawn int
	for _, en := range e.entries() { // verifies the ledger
		if en.Type == ledger.TypeInstructionWithdrawn {
			withdrawn++
			b := string(mustMarshal(t, en))
			if en.Instruction != "I-1" || en.Hold != h3 || en.Rule != "L1" || en.Due != "2026-06-20" || en.Subject != e.p.Refs.Ref("subject", "student:1001") || strings.Contains(b, "1001") {
				t.Errorf("withdrawal entry %s", b)
			}
		}
	}
	if withdrawn != 1 {
		t.Errorf("%d instruction_withdrawn entries", withdrawn)
	}

	// Released, the lines are issued (again).
	for _, h := range []string{h1, h2, h3} {
		if err := e.p.ReleaseHold(ctx, "it", h); err != nil {
			t.Fatal(err)
		}
	}
	res, err = e.p.IssueInstructions(ctx, InstructionOptions{Person: "it"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Issued) != 1 || len(res.Issued[0].Lines) != 3 || res.Withheld != 0 {
		t.Fatalf("after release: %+v", res.Issued)
	}
}

// TestInstructionsPreviewAnotherDay (#17, finding 15): instructions for
// another day are a preview: nothing is issued or recorded.
func TestInstructionsPreviewAnotherDay(t *testing.T) {
	e := newSubjEnv(t)
	ctx := context.Background()
	e.export("elever", 1, teaHeader+
		"1001;A;01-08-2019;20-06-2024;12-05-2005\n"+ // L1 due 2026-06-20
		"1002;B;01-08-2019;10-03-2025;12-05-2005\n") // L1 due 2027-03-10
	e.export("hr", 1, hrHeader)
	if _, err := e.p.ImportSubjects(ctx, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	size := len(e.entries())
	res, err := e.p.IssueInstructions(ctx, InstructionOptions{Person: "it", Today: mustDate(t, "2027-03-01")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Issued) != 0 || len(res.Preview) != 1 || len(res.Preview[0].Lines) != 2 || res.Today.String() != "2027-03-01" {
		t.Fatalf("preview: %+v", res)
	}
	if all, _ := e.p.Store.Instructions(ctx); len(all) != 0 || len(e.entries()) != size {
		t.Fatalf("a preview issued %d instructions", len(all))
	}
	// Today's run issues what is due today and within the horizon only.
	res, err = e.p.IssueInstructions(ctx, InstructionOptions{Person: "it", Today: mustDate(t, now.Format("2006-01-02"))})
	if err != nil || len(res.Preview) != 0 || len(res.Issued) != 1 || len(res.Issued[0].Lines) != 1 {
		t.Fatalf("today: %+v (%v)", res, err)
	}
}

func mustDate(t *testing.T, s string) policies.Date {
	t.Helper()
	d, err := policies.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
