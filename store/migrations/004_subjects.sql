-- Who the students and staff are, from the school-system exports. The
-- current facts per person and source are in subject; every import and
-- every change it made are kept, so that a due date that moved (a withdrawn
-- leaving date) can be explained.

-- One row per attempt to import an export.
CREATE TABLE subject_import (
	id          INTEGER PRIMARY KEY,
	source      TEXT    NOT NULL,
	kind        TEXT    NOT NULL,  -- student, staff
	file        TEXT    NOT NULL,  -- the export's ref in its source
	version     TEXT    NOT NULL,
	rows        INTEGER NOT NULL,
	imported_at TEXT    NOT NULL,
	status      TEXT    NOT NULL CHECK (status IN ('applied', 'refused')),
	note        TEXT    NOT NULL DEFAULT ''  -- why refused; warnings
);
CREATE INDEX subject_import_source ON subject_import(source, id);

-- The facts the latest applied import of a source gave about a person.
-- Dates are civil dates (yyyy-mm-dd), '' when absent.
CREATE TABLE subject (
	source        TEXT    NOT NULL,
	kind          TEXT    NOT NULL,
	id            TEXT    NOT NULL,
	email         TEXT    NOT NULL DEFAULT '',
	started       TEXT    NOT NULL DEFAULT '',
	left_on       TEXT    NOT NULL DEFAULT '',
	born          TEXT    NOT NULL DEFAULT '',
	case_closed   TEXT    NOT NULL DEFAULT '',
	pending_case  INTEGER,                        -- NULL: the export does not say
	manager       INTEGER,                        -- NULL: the export does not say
	problem       TEXT    NOT NULL DEFAULT '',   -- why the facts cannot be trusted
	import_id     INTEGER NOT NULL REFERENCES subject_import(id),  -- last import listing them
	missing_since INTEGER REFERENCES subject_import(id),           -- first import not listing them
	PRIMARY KEY (source, kind, id)
) WITHOUT ROWID;
CREATE INDEX subject_email ON subject(email) WHERE email != '';

-- What each applied import changed, field by field.
CREATE TABLE subject_change (
	import_id INTEGER NOT NULL REFERENCES subject_import(id),
	source    TEXT    NOT NULL,
	kind      TEXT    NOT NULL,
	id        TEXT    NOT NULL,
	field     TEXT    NOT NULL,
	old       TEXT    NOT NULL,
	new       TEXT    NOT NULL
);
CREATE INDEX subject_change_subject ON subject_change(kind, id);
