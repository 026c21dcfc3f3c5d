-- 0001: scans with their full vigil/scan/v1 document, and the hosts and
-- findings of each scan as rows for queries.
--
-- One set of migrations serves SQLite and PostgreSQL: only types and syntax
-- both accept. Times are RFC 3339 UTC text with a fixed-width fraction, so
-- they sort as text and PostgreSQL can cast them (started::timestamptz).

CREATE TABLE scans (
    id        TEXT    NOT NULL PRIMARY KEY,
    started   TEXT    NOT NULL,
    finished  TEXT    NOT NULL,
    targets   TEXT    NOT NULL, -- JSON array of the target expressions
    label     TEXT    NOT NULL,
    level     INTEGER NOT NULL CHECK (level BETWEEN 0 AND 5),
    document  TEXT    NOT NULL  -- the whole vigil/scan/v1 document, JSON
);

CREATE INDEX scans_started ON scans (started, id);

CREATE TABLE hosts (
    scan_id  TEXT    NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    address  TEXT    NOT NULL,
    level    INTEGER NOT NULL CHECK (level BETWEEN 0 AND 5)
);

CREATE INDEX hosts_scan ON hosts (scan_id, address);
CREATE INDEX hosts_address ON hosts (address);

CREATE TABLE findings (
    scan_id    TEXT    NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    id         TEXT    NOT NULL, -- the stable finding id
    check_id   TEXT    NOT NULL, -- catalogue id, e.g. ssh.cipher.weak
    severity   TEXT    NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    host       TEXT    NOT NULL,
    port       INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
    transport  TEXT    NOT NULL,
    title      TEXT    NOT NULL
);

CREATE INDEX findings_scan ON findings (scan_id, severity);
CREATE INDEX findings_id ON findings (id);
CREATE INDEX findings_check ON findings (check_id);
