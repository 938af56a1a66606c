-- The console's batch page (store/batchindex.go): a summary of each batch
-- and a search index over its paths, written with the batch when a plan
-- cuts it (scheduler cutBatches → store.Tx.IndexBatch), or on its page's
-- first view for a batch cut before this migration.

-- One row per indexed batch.
CREATE TABLE batch_index (
	batch_id  INTEGER PRIMARY KEY REFERENCES batch(id),
	withdrawn INTEGER NOT NULL,  -- withdrawals (rows of withdrawal) the summary counts out
	summary   BLOB    NOT NULL,  -- JSON: by folder, by person, by month (largest first) and totals
	grams     INTEGER NOT NULL   -- 1: batch_gram holds the batch's trigrams
);

-- For each trigram (three bytes) of the batch's refs, lower-cased as the
-- search compares them, the chunks (plan_chunk.seq) whose refs hold it:
-- a search reads only the chunks holding every trigram of its query.
CREATE TABLE batch_gram (
	batch_id INTEGER NOT NULL,
	gram     INTEGER NOT NULL,  -- the three bytes, big-endian
	seqs     BLOB    NOT NULL,  -- ascending plan_chunk.seq, uvarint deltas
	PRIMARY KEY (batch_id, gram)
) WITHOUT ROWID;
