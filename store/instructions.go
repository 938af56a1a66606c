package store

import (
	"context"
	"fmt"
	"time"
)

// Instruction is an issued deletion instruction.
type Instruction struct {
	ID          string  `db:"id"`
	System      string  `db:"system"`
	CreatedAt   Time    `db:"created_at"`
	Lines       int64   `db:"lines"`
	EarliestDue string  `db:"earliest_due"`
	Deadline    string  `db:"deadline"` // confirm by this day; overdue after it
	Digest      string  `db:"digest"`
	Document    []byte  `db:"document"`
	ConfirmedAt *Time   `db:"confirmed_at"`
	ConfirmedBy *string `db:"confirmed_by"`
	ConfirmedAs *string `db:"confirmed_as"`
}

// InstructionLine is one person and category of an instruction.
type InstructionLine struct {
	Instruction string `db:"instruction_id"`
	Rule        string `db:"rule"`
	Subject     string `db:"subject"`
	Due         string `db:"due"`
}

// LineIssued reports whether the line (ignoring its instruction) was
// issued before.
func (tx *Tx) LineIssued(l InstructionLine) (bool, error) {
	ctx := tx.ctx
	var n int
	err := tx.tx.GetContext(ctx, &n, `SELECT count(*) FROM instruction_line WHERE rule = ? AND subject = ? AND due = ?`, l.Rule, l.Subject, l.Due)
	if err != nil {
		return false, fmt.Errorf("read instruction lines: %w", err)
	}
	return n > 0, nil
}

// AddInstruction stores an instruction and its lines, numbering it I-<n>.
func (tx *Tx) AddInstruction(in *Instruction, lines []InstructionLine) error {
	ctx := tx.ctx
	var n int64
	if err := tx.tx.GetContext(ctx, &n, `SELECT count(*) + 1 FROM instruction`); err != nil {
		return fmt.Errorf("number instruction: %w", err)
	}
	in.ID = fmt.Sprintf("I-%d", n)
	in.Lines = int64(len(lines))
	_, err := tx.tx.NamedExecContext(ctx, `INSERT INTO instruction(id, system, created_at, lines, earliest_due, deadline, digest, document)
		VALUES (:id, :system, :created_at, :lines, :earliest_due, :deadline, :digest, :document)`, in)
	if err != nil {
		return fmt.Errorf("store instruction: %w", err)
	}
	for _, l := range lines {
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO instruction_line(instruction_id, rule, subject, due) VALUES (?, ?, ?, ?)`, in.ID, l.Rule, l.Subject, l.Due); err != nil {
			return fmt.Errorf("store instruction line: %w", err)
		}
	}
	return nil
}

// ConfirmInstruction records that an instruction was carried out.
func (tx *Tx) ConfirmInstruction(id, by, as string, at time.Time) error {
	ctx := tx.ctx
	res, err := tx.tx.ExecContext(ctx, `UPDATE instruction SET confirmed_at = ?, confirmed_by = ?, confirmed_as = ? WHERE id = ? AND confirmed_at IS NULL`, Time{at}, by, as, id)
	if err != nil {
		return fmt.Errorf("confirm instruction: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("instruction %q: %w (or already confirmed)", id, ErrNotFound)
	}
	return nil
}

// Instructions returns every instruction, oldest first, without documents.
func (s *Store) Instructions(ctx context.Context) ([]Instruction, error) {
	var ins []Instruction
	err := s.r.SelectContext(ctx, &ins, `SELECT id, system, created_at, lines, earliest_due, deadline, digest, x'' AS document, confirmed_at, confirmed_by, confirmed_as
		FROM instruction ORDER BY CAST(substr(id, 3) AS INTEGER)`)
	if err != nil {
		return nil, fmt.Errorf("read instructions: %w", err)
	}
	return ins, nil
}

// Instruction returns one instruction with its document.
func (s *Store) Instruction(ctx context.Context, id string) (*Instruction, error) {
	var in Instruction
	if err := s.r.GetContext(ctx, &in, `SELECT * FROM instruction WHERE id = ?`, id); err != nil {
		return nil, notFound(err, "instruction "+id)
	}
	return &in, nil
}

// InstructionLines returns the lines of an instruction.
func (s *Store) InstructionLines(ctx context.Context, id string) ([]InstructionLine, error) {
	var ls []InstructionLine
	if err := s.r.SelectContext(ctx, &ls, `SELECT * FROM instruction_line WHERE instruction_id = ? ORDER BY due, rule, subject`, id); err != nil {
		return nil, fmt.Errorf("read instruction lines: %w", err)
	}
	return ls, nil
}

// SubjectInstructionLine is an instruction line about one person, with
// its instruction's system and state.
type SubjectInstructionLine struct {
	InstructionLine
	System      string `db:"system"`
	ConfirmedAt *Time  `db:"confirmed_at"`
}

// SubjectInstructionLines returns the instruction lines about subject
// ("kind:id"), oldest instruction first.
func (s *Store) SubjectInstructionLines(ctx context.Context, subject string) ([]SubjectInstructionLine, error) {
	var ls []SubjectInstructionLine
	err := s.r.SelectContext(ctx, &ls, `SELECT l.instruction_id, l.rule, l.subject, l.due, i.system, i.confirmed_at
		FROM instruction_line l JOIN instruction i ON i.id = l.instruction_id
		WHERE l.subject = ? ORDER BY CAST(substr(l.instruction_id, 3) AS INTEGER), l.rule`, subject)
	if err != nil {
		return nil, fmt.Errorf("read instruction lines of %s: %w", subject, err)
	}
	return ls, nil
}
