-- What a batch does with its items: delete them, or move them into the
-- rule's restricted archive (data under archive duty).
ALTER TABLE batch ADD COLUMN method TEXT NOT NULL DEFAULT 'delete' CHECK (method IN ('delete', 'archive'));
