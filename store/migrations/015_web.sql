-- The web console's sign-ins (package web/auth). No table holds a secret
-- a reader of the database could use: sessions, links and pending
-- sign-ins are found by the SHA-256 of the random value the browser holds.
-- Times are RFC 3339 in UTC, as elsewhere.

-- A signed-in browser.
CREATE TABLE web_session (
	id_hash    TEXT PRIMARY KEY,  -- hex SHA-256 of the cookie's random session id
	person     TEXT NOT NULL,     -- configured person id
	method     TEXT NOT NULL,     -- oidc, link (ledger.AuthMethods)
	subject    TEXT NOT NULL DEFAULT '',  -- keyed reference of issuer and subject; '' for link
	csrf       TEXT NOT NULL,     -- this session's token for state changes
	created_at TEXT NOT NULL,
	last_seen  TEXT NOT NULL,
	expires_at TEXT NOT NULL      -- created_at + web.session.max
);
CREATE INDEX web_session_person ON web_session(person);

-- A one-time sign-in link (retentiond web link PERSON), deleted when used.
CREATE TABLE web_link (
	hash       TEXT PRIMARY KEY,  -- hex SHA-256 of the link's token
	person     TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
);

-- The provider subject a person's first sign-in by user name bound to
-- them: from then on only that subject signs in as the person.
CREATE TABLE web_identity (
	person   TEXT NOT NULL,
	issuer   TEXT NOT NULL,
	subject  TEXT NOT NULL,  -- Entra oid, else sub
	bound_at TEXT NOT NULL,
	PRIMARY KEY (person, issuer),
	UNIQUE (issuer, subject)
);

-- An OIDC sign-in begun (GET /auth/login) and not yet finished: bound to
-- the browser by a cookie, used once by the callback.
CREATE TABLE web_pending (
	id_hash    TEXT PRIMARY KEY,  -- hex SHA-256 of the cookie's random value
	state      TEXT NOT NULL,
	nonce      TEXT NOT NULL,
	verifier   TEXT NOT NULL,     -- PKCE code verifier
	next       TEXT NOT NULL,     -- local path to go to once signed in
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
);
