-- Checkpoints of a plan still being listed, so that a listing interrupted
-- after 3,000 of 8,000 mailboxes resumes instead of starting over. Removed
-- when the plan completes or is abandoned.
CREATE TABLE plan_resume (
	plan_id INTEGER PRIMARY KEY REFERENCES plan(id),
	scope   TEXT    NOT NULL,  -- digest of the source's settings; a change forbids resuming
	seq     INTEGER NOT NULL,  -- chunks up to this seq belong to the checkpoint
	state   BLOB    NOT NULL   -- the writer's and the planner's state (JSON)
);

-- Containers (mailboxes) a plan in listing has finished, as of its last
-- checkpoint.
CREATE TABLE plan_done (
	plan_id   INTEGER NOT NULL REFERENCES plan(id),
	container TEXT    NOT NULL,
	PRIMARY KEY (plan_id, container)
) WITHOUT ROWID;
