-- The roles an identity provider gave a person at sign-in (Entra app
-- roles, web.oidc.app_roles). With app_roles = 1 the session's person
-- holds exactly the roles listed (comma-separated, from approver,
-- operator, auditor) in the console, instead of those the configuration
-- gives them.
ALTER TABLE web_session ADD COLUMN app_roles INTEGER NOT NULL DEFAULT 0;
ALTER TABLE web_session ADD COLUMN roles TEXT NOT NULL DEFAULT '';
