-- An intent covers items [progress, until) of its chunk: execution hands a
-- chunk to the connector in slices, re-reading the batch's status, its
-- approvals and the holds before each, so that a decision taken during a
-- run stops all but the slice in flight. 0 (intents written before this
-- version) means to the end of the chunk.
ALTER TABLE intent ADD COLUMN until INTEGER NOT NULL DEFAULT 0;
