-- retentiond schema, version 1.

CREATE TABLE plan (
	id            INTEGER PRIMARY KEY,
	source        TEXT    NOT NULL,
	source_kind   TEXT    NOT NULL,
	created_at    TEXT    NOT NULL,
	today         TEXT    NOT NULL,  -- the policy date the plan was made for
	planner       TEXT    NOT NULL,
	policy_digest TEXT    NOT NULL,
	listed        INTEGER NOT NULL,
	keep          INTEGER NOT NULL,
	due           INTEGER NOT NULL,
	review        INTEGER NOT NULL,
	held          INTEGER NOT NULL,
	archive       INTEGER NOT NULL,
	due_bytes     INTEGER NOT NULL,
	incomplete    TEXT    NOT NULL,  -- parts of the source that could not be listed
	fingerprint   TEXT    NOT NULL,
	dry_run       INTEGER NOT NULL,  -- 1: saved for reading only, no batches cut
	state         TEXT    NOT NULL   -- listing, complete
);

-- Items of a plan, packed in chunks of up to a few hundred items of one rule
-- and verdict; see store/codec.go for the encoding.
CREATE TABLE plan_chunk (
	plan_id  INTEGER NOT NULL REFERENCES plan(id),
	seq      INTEGER NOT NULL,
	rule     TEXT    NOT NULL,
	verdict  TEXT    NOT NULL,
	batch_id INTEGER REFERENCES batch(id),
	n        INTEGER NOT NULL,
	data     BLOB    NOT NULL,
	PRIMARY KEY (plan_id, seq)
);
CREATE INDEX plan_chunk_batch ON plan_chunk(batch_id, seq);

CREATE TABLE batch (
	id            INTEGER PRIMARY KEY,
	plan_id       INTEGER NOT NULL REFERENCES plan(id),
	source        TEXT    NOT NULL,
	rule          TEXT    NOT NULL,
	policy        TEXT    NOT NULL,
	policy_digest TEXT    NOT NULL,
	created_at    TEXT    NOT NULL,
	planner       TEXT    NOT NULL,
	items         INTEGER NOT NULL,
	bytes         INTEGER NOT NULL,
	fingerprint   TEXT    NOT NULL,
	-- guarded → pending → approved → executing → done; or rejected, superseded.
	status        TEXT    NOT NULL,
	status_note   TEXT    NOT NULL DEFAULT '',
	updated_at    TEXT    NOT NULL,
	deleted       INTEGER NOT NULL DEFAULT 0,
	skipped       INTEGER NOT NULL DEFAULT 0,
	failed        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX batch_status ON batch(status);
CREATE INDEX batch_rule ON batch(source, rule, status);

CREATE TABLE approval (
	batch_id    INTEGER NOT NULL REFERENCES batch(id),
	stage       INTEGER NOT NULL,
	approver    TEXT    NOT NULL,
	fingerprint TEXT    NOT NULL,
	at          TEXT    NOT NULL,
	PRIMARY KEY (batch_id, approver)
);

-- An intent is opened before a chunk of a batch is handed to a connector for
-- deletion and closed in the transaction that records the outcomes.
CREATE TABLE intent (
	id        INTEGER PRIMARY KEY,
	batch_id  INTEGER NOT NULL REFERENCES batch(id),
	seq       INTEGER NOT NULL,  -- plan_chunk.seq
	opened_at TEXT    NOT NULL,
	closed_at TEXT,
	state     TEXT    NOT NULL,  -- open, closed
	progress  INTEGER NOT NULL DEFAULT 0  -- items [0, progress) of the chunk are recorded
);
CREATE INDEX intent_chunk ON intent(batch_id, seq);

CREATE TABLE hold (
	id          TEXT PRIMARY KEY,
	reason      TEXT NOT NULL,
	owner       TEXT NOT NULL,
	source      TEXT NOT NULL,
	ref         TEXT NOT NULL,
	path        TEXT NOT NULL,
	subject     TEXT NOT NULL,
	until       TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	released_at TEXT,
	released_by TEXT
);

-- The ledger: leaf i of the tree is ledger_entry.idx = i. Both tables and the
-- checkpoints are append-only.
CREATE TABLE ledger_entry (
	idx  INTEGER PRIMARY KEY,
	data BLOB NOT NULL
);
CREATE TABLE tlog_hash (
	idx  INTEGER PRIMARY KEY,  -- tlog stored hash index
	hash BLOB NOT NULL
);
CREATE TABLE checkpoint (
	n    INTEGER PRIMARY KEY,  -- tree size
	note BLOB NOT NULL,        -- signed C2SP checkpoint
	at   TEXT NOT NULL
);
CREATE TABLE policy_text (
	digest TEXT PRIMARY KEY,
	id     TEXT NOT NULL,
	text   BLOB NOT NULL
);

CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER tlog_hash_no_update BEFORE UPDATE ON tlog_hash BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER tlog_hash_no_delete BEFORE DELETE ON tlog_hash BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER checkpoint_no_update BEFORE UPDATE ON checkpoint BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER checkpoint_no_delete BEFORE DELETE ON checkpoint BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER policy_text_no_update BEFORE UPDATE ON policy_text BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER policy_text_no_delete BEFORE DELETE ON policy_text BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
