-- OAuth clients of a project. A confidential client stores a keyed hash of its secret; a public
-- client has none. URI lists are JSON.
CREATE TABLE oauth_clients (
    id                        TEXT PRIMARY KEY,
    project_id                TEXT NOT NULL REFERENCES projects(id),
    name                      TEXT NOT NULL,
    secret_hash               TEXT,
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    organization_id           TEXT,
    created_at                BIGINT NOT NULL
);
CREATE INDEX oauth_clients_project ON oauth_clients(project_id);

-- Authorization codes: a keyed hash, the grant they carry (JSON), single use. `session_id` is the
-- grant issued from the code, revoked if the code is replayed.
CREATE TABLE oauth_codes (
    code_hash   TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    grant_data  TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    session_id  TEXT
);

-- An OAuth grant is a session of a client: its refresh token rotates through `refresh_jti` (a hash),
-- `grant_data` keeps its scopes and id_token facts, `parent_id` the browser session it came from.
ALTER TABLE sessions ADD COLUMN client_id TEXT;
ALTER TABLE sessions ADD COLUMN grant_data TEXT;
ALTER TABLE sessions ADD COLUMN parent_id TEXT;
CREATE INDEX sessions_parent ON sessions(parent_id);

-- Refresh tokens rotated away, per grant: a replay is recognised (and its grant revoked).
CREATE TABLE oauth_used_refresh (
    token_hash  TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL,
    rotated_at  BIGINT NOT NULL
);
CREATE INDEX oauth_used_refresh_session ON oauth_used_refresh(session_id);
