-- 0005: schedules of vigil serve: what runs (a scan or a host audit of some
-- targets) and when (a cron expression or "every D", a window, a jitter),
-- and the last planned time that was launched.

CREATE TABLE schedules (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('scan', 'hostaudit')),
    targets     TEXT    NOT NULL, -- JSON array of target expressions or user@host
    ports       TEXT    NOT NULL, -- '' is vigil scan's default
    spec        TEXT    NOT NULL, -- as schedule.Parse takes it
    run_window  TEXT    NOT NULL, -- '' or HH:MM-HH:MM, server local time
    jitter_ns   BIGINT  NOT NULL CHECK (jitter_ns >= 0),
    enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    created     TEXT    NOT NULL,
    last_run    TEXT    NOT NULL DEFAULT '', -- '' until the first launch; only moves forward
    actor       TEXT    NOT NULL
);

CREATE INDEX schedules_created ON schedules (created, id);
