-- 0006: alerts (vigil serve): where alerts go, every event ever told (so
-- that each is told once, across scans and restarts) and every delivery
-- attempt, as a record.

CREATE TABLE alert_targets (
    id        TEXT    NOT NULL PRIMARY KEY,
    type      TEXT    NOT NULL CHECK (type IN ('webhook', 'email')),
    name      TEXT    NOT NULL,
    url       TEXT    NOT NULL, -- webhook
    secret    TEXT    NOT NULL, -- webhook HMAC key; never shown
    smtp      TEXT    NOT NULL, -- email: host:port
    ca_file   TEXT    NOT NULL,
    username  TEXT    NOT NULL,
    password  TEXT    NOT NULL, -- never shown
    from_addr TEXT    NOT NULL,
    to_addrs  TEXT    NOT NULL, -- JSON array of addresses
    created   TEXT    NOT NULL
);

CREATE TABLE alert_events (
    event_key TEXT    NOT NULL PRIMARY KEY, -- the dedupe key
    kind      TEXT    NOT NULL,
    severity  TEXT    NOT NULL,
    host      TEXT    NOT NULL,
    port      INTEGER NOT NULL,
    title     TEXT    NOT NULL,
    detail    TEXT    NOT NULL,
    scan_id   TEXT    NOT NULL, -- '' when no scan caused it
    at        TEXT    NOT NULL
);

CREATE INDEX alert_events_time ON alert_events (at);

CREATE TABLE alert_deliveries (
    event_key TEXT    NOT NULL,
    target_id TEXT    NOT NULL, -- kept when the target is deleted, as a record
    attempt   INTEGER NOT NULL CHECK (attempt >= 1),
    at        TEXT    NOT NULL,
    ok        INTEGER NOT NULL CHECK (ok IN (0, 1)),
    error     TEXT    NOT NULL
);

CREATE INDEX alert_deliveries_time ON alert_deliveries (at);
CREATE INDEX alert_deliveries_event ON alert_deliveries (event_key, target_id);
