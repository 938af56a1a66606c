-- Checkpoints sent out of the host (anchored): one row per checkpoint and
-- target that received it. Append-only like the ledger.
CREATE TABLE anchor (
	n      INTEGER NOT NULL REFERENCES checkpoint(n),
	target TEXT NOT NULL,  -- e.g. "dir:/mnt/dpo/anchors", "smtp:dpo@school.dk"
	at     TEXT NOT NULL,
	PRIMARY KEY (n, target)
);
CREATE TRIGGER anchor_no_update BEFORE UPDATE ON anchor BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER anchor_no_delete BEFORE DELETE ON anchor BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

-- Key rotations, mirrored from their ledger entries so that the daemon knows
-- which retired signing keys still co-sign checkpoints without reading the
-- whole ledger.
CREATE TABLE key_rotation (
	idx           INTEGER PRIMARY KEY REFERENCES ledger_entry(idx),
	method        TEXT NOT NULL,  -- signing_key | reference_key
	new_key       TEXT NOT NULL,  -- verifier key, or reference key id
	old_key       TEXT NOT NULL,
	at            TEXT NOT NULL,
	overlap_until TEXT NOT NULL
);
CREATE TRIGGER key_rotation_no_update BEFORE UPDATE ON key_rotation BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER key_rotation_no_delete BEFORE DELETE ON key_rotation BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
