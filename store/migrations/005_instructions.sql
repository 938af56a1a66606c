-- Deletion instructions for systems without a deletion API (Lectio,
-- SkoleIntra, data processors, user accounts). An instruction is a document
-- issued to the people who run a system; its lines are the person and
-- category to delete and by when. A line is issued once: the same rule,
-- person and due date never appear in two instructions.
CREATE TABLE instruction (
	id           TEXT    PRIMARY KEY,  -- I-<n>
	system       TEXT    NOT NULL,     -- "Lectio", "SkoleIntra", ...
	created_at   TEXT    NOT NULL,
	lines        INTEGER NOT NULL,
	earliest_due TEXT    NOT NULL,
	deadline     TEXT    NOT NULL,     -- confirm by: overdue afterwards
	digest       TEXT    NOT NULL,     -- sha256 of the CSV document
	document     BLOB    NOT NULL,     -- the CSV document
	confirmed_at TEXT,
	confirmed_by TEXT,                 -- who carried it out, as they gave it
	confirmed_as TEXT                  -- the configured person who recorded that
);

CREATE TABLE instruction_line (
	instruction_id TEXT NOT NULL REFERENCES instruction(id),
	rule           TEXT NOT NULL,
	subject        TEXT NOT NULL,  -- kind:id
	due            TEXT NOT NULL,
	PRIMARY KEY (rule, subject, due)
) WITHOUT ROWID;
