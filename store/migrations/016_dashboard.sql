-- The DPO's and auditors' dashboard (package web, store/dashboard.go).

-- Deletion entries by the minute they were recorded (UTC) and their
-- outcome, so that "deletions per month" is an aggregate over this index
-- alone, not a read of every entry. Canonical entries begin with their
-- type and then their time ({"type":"deletion","time":"2026-11-22T10:00…),
-- so the minute is characters 28 to 43; the key "outcome": appears only as
-- that member (quotes inside strings are escaped). The expressions never
-- fail, whatever the bytes; the counts are a view, the entries the
-- evidence.
CREATE INDEX ledger_entry_deletion_minute ON ledger_entry(
	substr(CAST(data AS TEXT), 28, 16),
	CASE WHEN instr(CAST(data AS TEXT), '"outcome":"') = 0 THEN '' ELSE
		substr(CAST(data AS TEXT), instr(CAST(data AS TEXT), '"outcome":"') + 11,
			instr(substr(CAST(data AS TEXT), instr(CAST(data AS TEXT), '"outcome":"') + 11), '"') - 1) END)
	WHERE CAST(substr(data, 1, 19) AS TEXT) = '{"type":"deletion",';

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
