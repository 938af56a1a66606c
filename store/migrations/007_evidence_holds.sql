-- Holds on footage kept as police evidence (RULES.md C1a): a window of
-- recording times, and whether releasing the hold (handing the footage to
-- the police) makes what it covered due at once.
ALTER TABLE hold ADD COLUMN recorded_from  TEXT    NOT NULL DEFAULT '';  -- RFC 3339, '' for none
ALTER TABLE hold ADD COLUMN recorded_until TEXT    NOT NULL DEFAULT '';  -- RFC 3339, exclusive
ALTER TABLE hold ADD COLUMN evidence       INTEGER NOT NULL DEFAULT 0;
