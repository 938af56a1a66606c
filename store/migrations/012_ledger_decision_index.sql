-- An index of the approval and rejection entries of the ledger by batch, so
-- that execution can find and verify a batch's decisions in the signed tree
-- before each chunk without reading the whole ledger. Canonical entries
-- begin with their type, and the key "batch": appears in them only as that
-- member (quotes inside strings are escaped); the expression never fails,
-- whatever the bytes. It is a lookup only: whatever it finds is parsed and
-- proved against the signed checkpoint.
CREATE INDEX ledger_entry_decision ON ledger_entry(
	CAST(substr(CAST(data AS TEXT), instr(CAST(data AS TEXT), '"batch":') + 8) AS INTEGER))
	WHERE CAST(substr(data, 1, 19) AS TEXT) IN ('{"type":"approval",', '{"type":"rejection"');
