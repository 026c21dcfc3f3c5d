-- 0004: who may use vigil serve (users, API tokens, sessions) and the
-- audit log of what they did.
--
-- Secrets are never stored: users keep an argon2id hash of their password,
-- tokens and sessions the SHA-256 of their value.

CREATE TABLE users (
    name     TEXT NOT NULL PRIMARY KEY,
    role     TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    hash     TEXT NOT NULL, -- argon2id, PHC string
    created  TEXT NOT NULL
);

CREATE TABLE tokens (
    id         TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    hash       TEXT NOT NULL UNIQUE, -- hex SHA-256 of the token
    created    TEXT NOT NULL,
    last_used  TEXT NOT NULL DEFAULT '', -- '' while never used
    revoked    TEXT NOT NULL DEFAULT ''  -- '' while not revoked
);

CREATE TABLE sessions (
    id         TEXT NOT NULL PRIMARY KEY, -- hex SHA-256 of the cookie value
    user_name  TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created    TEXT NOT NULL,
    expires    TEXT NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_name);
CREATE INDEX sessions_expires ON sessions (expires);

-- Append-only: vigil has no statement that updates or deletes a row. Each
-- row's hash is the SHA-256 of the previous row's hash and its own fields,
-- so that a row removed or altered afterwards breaks the chain
-- (vigil audit-log --verify).
CREATE TABLE audit_log (
    seq        BIGINT NOT NULL PRIMARY KEY, -- 1, 2, 3, … without gaps
    at         TEXT   NOT NULL,
    actor      TEXT   NOT NULL,
    source     TEXT   NOT NULL,
    action     TEXT   NOT NULL,
    object     TEXT   NOT NULL,
    detail     TEXT   NOT NULL,
    prev_hash  TEXT   NOT NULL,
    hash       TEXT   NOT NULL
);

CREATE INDEX audit_log_at ON audit_log (at);
