-- Approvals that last: a batch keeps its id until it is decided. A re-plan
-- withdraws the items of open batches that changed, vanished, became held
-- or are no longer due, and people's retention decisions (a rejection with
-- a date, an excluded item) keep items out of later batches until then.

-- Items of plans that were already in an open batch when the plan was made
-- (in_batch: that batch): they are not batched again.
ALTER TABLE plan_chunk ADD COLUMN in_batch INTEGER NOT NULL DEFAULT 0;

ALTER TABLE batch ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;  -- items withdrawn
ALTER TABLE batch ADD COLUMN successor INTEGER NOT NULL DEFAULT 0;  -- where its items went when it was superseded or emptied
ALTER TABLE batch ADD COLUMN escalated_at TEXT NOT NULL DEFAULT '';  -- when it was offered to its rule's escalate_to

-- How each approver was authenticated (ledger.AuthMethods).
ALTER TABLE approval ADD COLUMN auth TEXT NOT NULL DEFAULT 'typed';

-- An item withdrawn from an open batch: execution leaves it alone.
CREATE TABLE withdrawal (
	batch_id  INTEGER NOT NULL REFERENCES batch(id),
	ref       TEXT    NOT NULL,
	version   TEXT    NOT NULL,
	code      TEXT    NOT NULL,  -- ledger.WithdrawalCodes
	plan_id   INTEGER NOT NULL DEFAULT 0,  -- the plan that withdrew it; 0: an exclusion
	successor INTEGER NOT NULL DEFAULT 0,  -- the batch its new version went into
	at        TEXT    NOT NULL,
	PRIMARY KEY (batch_id, ref)
);

-- A person's decision to keep items a batch proposed, until a date.
CREATE TABLE retention_decision (
	id         TEXT    PRIMARY KEY,
	kind       TEXT    NOT NULL,  -- rejected, excluded (ledger.DecisionCodes)
	source     TEXT    NOT NULL,
	rule       TEXT    NOT NULL,
	batch_id   INTEGER NOT NULL REFERENCES batch(id),
	reason     TEXT    NOT NULL,
	actor      TEXT    NOT NULL,
	auth       TEXT    NOT NULL,
	at         TEXT    NOT NULL,
	until      TEXT    NOT NULL,  -- YYYY-MM-DD: kept through this day
	revoked_at TEXT    NOT NULL DEFAULT '',
	revoked_by TEXT    NOT NULL DEFAULT ''
);
CREATE TABLE decision_item (
	decision_id TEXT NOT NULL REFERENCES retention_decision(id),
	source      TEXT NOT NULL,
	ref         TEXT NOT NULL,
	PRIMARY KEY (source, ref, decision_id)
);
