-- Portable SQL: the same text runs on SQLite and PostgreSQL. Ids are TEXT, times BIGINT epoch
-- seconds, flags BIGINT 0/1, lists and maps JSON in TEXT, bytes base64 in TEXT.

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    settings    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE management_keys (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id),
    kind        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id),
    alg         TEXT NOT NULL,
    sealed_key  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);
CREATE INDEX signing_keys_project ON signing_keys(project_id);

CREATE TABLE tenants (
    project_id  TEXT NOT NULL REFERENCES projects(id),
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    domains     TEXT NOT NULL,
    attributes  TEXT NOT NULL,
    enforce_sso BIGINT NOT NULL,
    disabled    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL REFERENCES projects(id),
    email           TEXT,
    verified_email  BIGINT NOT NULL,
    phone           TEXT,
    verified_phone  BIGINT NOT NULL,
    name            TEXT,
    given_name      TEXT,
    middle_name     TEXT,
    family_name     TEXT,
    picture         TEXT,
    status          TEXT NOT NULL,
    test            BIGINT NOT NULL,
    roles           TEXT NOT NULL,
    attributes      TEXT NOT NULL,
    password_hash   TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX users_project ON users(project_id);

-- Login ids are unique per project, compared case-insensitively through login_key.
CREATE TABLE user_login_ids (
    project_id  TEXT NOT NULL,
    login_key   TEXT NOT NULL,
    login_id    TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    PRIMARY KEY (project_id, login_key)
);
CREATE INDEX user_login_ids_user ON user_login_ids(user_id);

CREATE TABLE user_tenants (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id  TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    roles       TEXT NOT NULL,
    PRIMARY KEY (user_id, tenant_id)
);
CREATE INDEX user_tenants_tenant ON user_tenants(project_id, tenant_id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    refresh_jti  TEXT NOT NULL,
    tenant_id    TEXT,
    amr          TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    refreshed_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- One-time secrets (OTP codes, link tokens): only a keyed hash is stored.
CREATE TABLE one_time_codes (
    id           TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    login_key    TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    pending_hash TEXT,
    payload      TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    verified_at  BIGINT,
    used_at      BIGINT
);
CREATE INDEX one_time_codes_login ON one_time_codes(project_id, kind, login_key);
CREATE INDEX one_time_codes_secret ON one_time_codes(secret_hash);
CREATE INDEX one_time_codes_pending ON one_time_codes(pending_hash);

CREATE TABLE outbox (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    recipient   TEXT NOT NULL,
    channel     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    code        TEXT,
    link        TEXT
);

CREATE TABLE rate_limits (
    bucket       TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);

CREATE TABLE access_keys (
    id           TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL,
    roles        TEXT NOT NULL,
    tenants      TEXT NOT NULL,
    custom_claims TEXT NOT NULL,
    permitted_ips TEXT NOT NULL,
    user_id      TEXT,
    expires_at   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- Append-only record of what happened: sign-ins, failures, refreshes, logouts, changes.
CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    action      TEXT NOT NULL,
    actor_id    TEXT,
    user_id     TEXT,
    ip          TEXT,
    user_agent  TEXT,
    success     BIGINT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX audit_events_user ON audit_events(project_id, user_id, action);
