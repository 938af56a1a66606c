-- An index of the deletion entries of the ledger by batch, so that
-- `batches show` can list each item's outcome without reading the whole
-- ledger. Like ledger_entry_decision (migration 012): canonical entries
-- begin with their type, and the key "batch": appears in them only as that
-- member (quotes inside strings are escaped); the expression never fails,
-- whatever the bytes. It is a lookup only: what it finds is parsed.
CREATE INDEX ledger_entry_deletion ON ledger_entry(
	CAST(substr(CAST(data AS TEXT), instr(CAST(data AS TEXT), '"batch":') + 8) AS INTEGER))
	WHERE CAST(substr(data, 1, 19) AS TEXT) = '{"type":"deletion",';
