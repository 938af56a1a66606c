-- A hold placed on a person after an instruction about them was issued
-- withdraws the instruction's lines about them: they are marked withdrawn
-- (when, by which hold, and the later instruction that told the system's
-- people not to carry them out), no longer count towards the instruction
-- being overdue, and may be issued again once the hold is released. A line
-- is therefore unique per instruction; at most one line per rule, person
-- and due date is standing (not withdrawn) at a time.
CREATE TABLE instruction_line_v11 (
	instruction_id TEXT NOT NULL REFERENCES instruction(id),
	rule           TEXT NOT NULL,
	subject        TEXT NOT NULL,  -- kind:id
	due            TEXT NOT NULL,
	withdrawn_at   TEXT,           -- RFC 3339; NULL while the line stands
	withdrawn_hold TEXT,           -- the hold that withdrew it (H-<n>)
	withdrawn_in   TEXT,           -- the instruction that announced it (I-<n>)
	PRIMARY KEY (instruction_id, rule, subject, due)
) WITHOUT ROWID;
INSERT INTO instruction_line_v11(instruction_id, rule, subject, due)
	SELECT instruction_id, rule, subject, due FROM instruction_line;
DROP TABLE instruction_line;
ALTER TABLE instruction_line_v11 RENAME TO instruction_line;
CREATE UNIQUE INDEX instruction_line_standing ON instruction_line(rule, subject, due) WHERE withdrawn_at IS NULL;
CREATE INDEX instruction_line_subject ON instruction_line(subject);
