-- Owner notices (FSRM-style): the owner of an item that a rule with
-- owner_notice will delete is told ahead, and the item is not deleted
-- before the notice is that old. One row per item of such a rule that the
-- last plan found due, or due within the notice period; a new version of
-- the item (it was changed) starts over. Owners are account names and
-- addresses, kept here and in the mail, never in the ledger.
CREATE TABLE owner_notice (
    source     TEXT NOT NULL,
    ref        TEXT NOT NULL,
    version    TEXT NOT NULL,
    rule       TEXT NOT NULL,
    due        TEXT NOT NULL,  -- yyyy-mm-dd: the day the rule makes it due
    owner      TEXT NOT NULL,  -- the account owning the item; '' unknown
    email      TEXT NOT NULL,  -- where the notice goes; '' to the operators
    found_at   TEXT NOT NULL,  -- RFC 3339: when a plan first found it
    noticed_at TEXT,           -- RFC 3339: when the notice was sent; NULL not yet
    PRIMARY KEY (source, ref)
);
CREATE INDEX owner_notice_pending ON owner_notice(noticed_at) WHERE noticed_at IS NULL;
