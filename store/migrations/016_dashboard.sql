-- The DPO's and auditors' dashboard (package web, store/dashboard.go).

-- Deletion entries counted by the minute they were recorded (UTC) and
-- their outcome, kept by a trigger as entries are appended, so that
-- "deletions per month" sums a few hundred rows however long the ledger
-- is. Canonical entries begin with their type and then their time
-- ({"type":"deletion","time":"2026-11-22T10:00…), so the minute is
-- characters 28 to 43; the key "outcome": appears only as that member
-- (quotes inside strings are escaped). The expressions never fail, whatever
-- the bytes. The counts are a view for the dashboard; the entries, which
-- `ledger verify` checks, are the evidence.
CREATE TABLE ledger_deletion_count (
	minute  TEXT    NOT NULL,  -- "2006-01-02T15:04", UTC
	outcome TEXT    NOT NULL,  -- deleted, archived, failed, absent, …
	n       INTEGER NOT NULL,
	PRIMARY KEY (minute, outcome)
) WITHOUT ROWID;

CREATE TRIGGER ledger_entry_count_deletion AFTER INSERT ON ledger_entry
WHEN CAST(substr(NEW.data, 1, 19) AS TEXT) = '{"type":"deletion",'
BEGIN
	INSERT INTO ledger_deletion_count(minute, outcome, n) VALUES (
		substr(CAST(NEW.data AS TEXT), 28, 16),
		CASE WHEN instr(CAST(NEW.data AS TEXT), '"outcome":"') = 0 THEN '' ELSE
			substr(CAST(NEW.data AS TEXT), instr(CAST(NEW.data AS TEXT), '"outcome":"') + 11,
				instr(substr(CAST(NEW.data AS TEXT), instr(CAST(NEW.data AS TEXT), '"outcome":"') + 11), '"') - 1) END,
		1)
	ON CONFLICT (minute, outcome) DO UPDATE SET n = n + 1;
END;

-- The entries appended before this migration.
INSERT INTO ledger_deletion_count(minute, outcome, n)
SELECT substr(CAST(data AS TEXT), 28, 16) AS minute,
	CASE WHEN instr(CAST(data AS TEXT), '"outcome":"') = 0 THEN '' ELSE
		substr(CAST(data AS TEXT), instr(CAST(data AS TEXT), '"outcome":"') + 11,
			instr(substr(CAST(data AS TEXT), instr(CAST(data AS TEXT), '"outcome":"') + 11), '"') - 1) END AS outcome,
	count(*)
FROM ledger_entry WHERE CAST(substr(data, 1, 19) AS TEXT) = '{"type":"deletion",'
GROUP BY 1, 2;

-- Results of verifying the ledger from the console ("Verify now"). Not
-- part of the ledger: a record of who checked it when, and what they saw.
CREATE TABLE ledger_verify (
	id         INTEGER PRIMARY KEY,
	at         TEXT    NOT NULL,
	person     TEXT    NOT NULL,  -- configured person id who asked
	ok         INTEGER NOT NULL,  -- 1: verified
	entries    INTEGER NOT NULL,  -- entries read
	checkpoint INTEGER NOT NULL,  -- size of the latest checkpoint verified
	message    TEXT    NOT NULL   -- the failure, '' when ok
);
