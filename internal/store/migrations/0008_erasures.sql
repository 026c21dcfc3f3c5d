-- 0008: personal data (vigil data): the head of the erasure-certificate
-- log, and a record of every erasure and retention run.
--
-- The certificates themselves live in an append-only file beside the
-- organisation's signing key; each one carries the SHA-256 of the one
-- before it. The store keeps the newest entry's number and hash, so that
-- removing the last entries of that file is detected too.

CREATE TABLE erasure_log_head (
    id       INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq      BIGINT  NOT NULL,
    hash     TEXT    NOT NULL,
    updated  TEXT    NOT NULL
);

-- One row per vigil data erase or vigil data retention --apply run:
-- counts and outcomes only, never the personal data itself.
CREATE TABLE data_runs (
    id        TEXT NOT NULL PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('erase', 'retention')),
    started   TEXT NOT NULL,
    finished  TEXT NOT NULL,
    operator  TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    detail    TEXT NOT NULL
);

CREATE INDEX data_runs_started ON data_runs (started);
