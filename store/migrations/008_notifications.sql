-- Notifications sent to approvers and operators, one row per message, so
-- that each is sent once (and a reminder once per period) however often
-- the daemon looks. Recipients are person ids from the configuration, not
-- addresses. A message the relay did not accept has no row: it is tried
-- again at the next look.
CREATE TABLE notification (
    key        TEXT PRIMARY KEY,  -- e.g. awaiting:12, remind:12:2, source-failed:nvr:2026-11-23
    kind       TEXT NOT NULL,     -- awaiting, remind, guarded, source_failed, batch_failed, overdue, instruction_overdue
    recipients TEXT NOT NULL,     -- person ids, comma-separated
    sent_at    TEXT NOT NULL      -- RFC 3339
);
