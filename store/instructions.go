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
	// Withdrawn counts the instruction's lines a hold withdrew after it
	// was issued; Withdrawals, the lines of earlier instructions this one
	// announced as withdrawn. Read by Instructions, not stored.
	Withdrawn   int64 `db:"withdrawn"`
	Withdrawals int64 `db:"withdrawals"`
}

// Standing is how many of the instruction's lines are still to be carried
// out: those no hold withdrew.
func (in *Instruction) Standing() int64 { return in.Lines - in.Withdrawn }

// InstructionLine is one person and category of an instruction.
type InstructionLine struct {
	Instruction string `db:"instruction_id"`
	Rule        string `db:"rule"`
	Subject     string `db:"subject"`
	Due         string `db:"due"`
	// A line withdrawn by a hold after it was issued: when, by which
	// hold, and in which later instruction that was announced.
	WithdrawnAt   *Time   `db:"withdrawn_at"`
	WithdrawnHold *string `db:"withdrawn_hold"`
	WithdrawnIn   *string `db:"withdrawn_in"`
}

// LineIssued reports whether the line (ignoring its instruction) was
// issued before and not withdrawn since.
func (tx *Tx) LineIssued(l InstructionLine) (bool, error) {
	ctx := tx.ctx
	var n int
	err := tx.tx.GetContext(ctx, &n, `SELECT count(*) FROM instruction_line WHERE rule = ? AND subject = ? AND due = ? AND withdrawn_at IS NULL`, l.Rule, l.Subject, l.Due)
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

// LineIssued is Tx.LineIssued outside a transaction.
func (s *Store) LineIssued(ctx context.Context, l InstructionLine) (bool, error) {
	var n int
	err := s.r.GetContext(ctx, &n, `SELECT count(*) FROM instruction_line WHERE rule = ? AND subject = ? AND due = ? AND withdrawn_at IS NULL`, l.Rule, l.Subject, l.Due)
	if err != nil {
		return false, fmt.Errorf("read instruction lines: %w", err)
	}
	return n > 0, nil
}

// standingLinesQuery selects the lines still to be carried out: not
// withdrawn, in instructions not confirmed.
const standingLinesQuery = `SELECT l.instruction_id, l.rule, l.subject, l.due, i.system, i.confirmed_at
	FROM instruction_line l JOIN instruction i ON i.id = l.instruction_id
	WHERE l.withdrawn_at IS NULL AND i.confirmed_at IS NULL
	ORDER BY CAST(substr(l.instruction_id, 3) AS INTEGER), l.due, l.rule, l.subject`

// StandingLines returns the issued lines still to be carried out: not
// withdrawn, in instructions not yet confirmed.
func (tx *Tx) StandingLines() ([]SubjectInstructionLine, error) {
	var ls []SubjectInstructionLine
	if err := tx.tx.SelectContext(tx.ctx, &ls, standingLinesQuery); err != nil {
		return nil, fmt.Errorf("read standing instruction lines: %w", err)
	}
	return ls, nil
}

// StandingLines is Tx.StandingLines outside a transaction.
func (s *Store) StandingLines(ctx context.Context) ([]SubjectInstructionLine, error) {
	var ls []SubjectInstructionLine
	if err := s.r.SelectContext(ctx, &ls, standingLinesQuery); err != nil {
		return nil, fmt.Errorf("read standing instruction lines: %w", err)
	}
	return ls, nil
}

// WithdrawLine marks a standing line of an unconfirmed instruction
// withdrawn by hold, as announced in instruction in.
func (tx *Tx) WithdrawLine(l InstructionLine, hold, in string, at time.Time) error {
	res, err := tx.tx.ExecContext(tx.ctx, `UPDATE instruction_line SET withdrawn_at = ?, withdrawn_hold = ?, withdrawn_in = ?
		WHERE instruction_id = ? AND rule = ? AND subject = ? AND due = ? AND withdrawn_at IS NULL
		AND instruction_id IN (SELECT id FROM instruction WHERE confirmed_at IS NULL)`, Time{at}, hold, in, l.Instruction, l.Rule, l.Subject, l.Due)
	if err != nil {
		return fmt.Errorf("withdraw instruction line: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("withdraw line %s of instruction %s: %w (or no longer standing)", l.Rule, l.Instruction, ErrNotFound)
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
	err := s.r.SelectContext(ctx, &ins, `SELECT id, system, created_at, lines, earliest_due, deadline, digest, x'' AS document, confirmed_at, confirmed_by, confirmed_as,
		(SELECT count(*) FROM instruction_line l WHERE l.instruction_id = instruction.id AND l.withdrawn_at IS NOT NULL) AS withdrawn,
		(SELECT count(*) FROM instruction_line l WHERE l.withdrawn_in = instruction.id) AS withdrawals
		FROM instruction ORDER BY CAST(substr(id, 3) AS INTEGER)`)
	if err != nil {
		return nil, fmt.Errorf("read instructions: %w", err)
	}
	return ins, nil
}

// Instruction returns one instruction with its document.
func (s *Store) Instruction(ctx context.Context, id string) (*Instruction, error) {
	var in Instruction
	err := s.r.GetContext(ctx, &in, `SELECT *,
		(SELECT count(*) FROM instruction_line l WHERE l.instruction_id = instruction.id AND l.withdrawn_at IS NOT NULL) AS withdrawn,
		(SELECT count(*) FROM instruction_line l WHERE l.withdrawn_in = instruction.id) AS withdrawals
		FROM instruction WHERE id = ?`, id)
	if err != nil {
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
	err := s.r.SelectContext(ctx, &ls, `SELECT l.instruction_id, l.rule, l.subject, l.due, l.withdrawn_at, l.withdrawn_hold, l.withdrawn_in, i.system, i.confirmed_at
		FROM instruction_line l JOIN instruction i ON i.id = l.instruction_id
		WHERE l.subject = ? ORDER BY CAST(substr(l.instruction_id, 3) AS INTEGER), l.rule`, subject)
	if err != nil {
		return nil, fmt.Errorf("read instruction lines of %s: %w", subject, err)
	}
	return ls, nil
}
