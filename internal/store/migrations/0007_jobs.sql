-- 0007: the work vigil serve runs (scans and host audits launched from the
-- API, the UI or a schedule), and indexes for the server's pages.
--
-- A job is queued, then running, then done, incomplete (stopped before it
-- finished: shutdown, or a previous server process that ended) or failed.
-- Progress is in thousandths. Times are formatTime text; '' while unset.

CREATE TABLE jobs (
    id        TEXT    NOT NULL PRIMARY KEY,
    kind      TEXT    NOT NULL,               -- scan | hostaudit
    targets   TEXT    NOT NULL,               -- JSON array
    ports     TEXT    NOT NULL DEFAULT '',
    status    TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done', 'incomplete', 'failed')),
    progress  INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1000),
    phase     TEXT    NOT NULL DEFAULT '',
    created   TEXT    NOT NULL,
    started   TEXT    NOT NULL DEFAULT '',
    finished  TEXT    NOT NULL DEFAULT '',
    scan_id   TEXT    NOT NULL DEFAULT '',
    error     TEXT    NOT NULL DEFAULT '',
    schedule  TEXT    NOT NULL DEFAULT '',     -- the schedule that launched it, '' for none
    planned   TEXT    NOT NULL DEFAULT '',     -- the schedule's planned time
    actor     TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX jobs_created ON jobs (created, id);
CREATE INDEX jobs_status ON jobs (status, created);
CREATE INDEX jobs_schedule ON jobs (schedule, planned);

-- The pages: findings of one host in one scan, and a host's scans.
CREATE INDEX findings_scan_host ON findings (scan_id, host);
CREATE INDEX hosts_address_scan ON hosts (address, scan_id, level);
-- Covering indexes of the scans' small columns: kind comes after the
-- document in the table's rows (0002 added it), so without them every
-- filter on kind reads each scan's whole document from disk.
CREATE INDEX scans_kind_started ON scans (kind, started, id, level);
CREATE INDEX scans_id_small ON scans (id, kind, started, level);

-- The newest network scan of every host ever seen, kept by the server's
-- views (RefreshViews folds in each stored scan once, listed in
-- views_folded), so that the overview and the assets page read a row per
-- host instead of aggregating every scan's hosts.
CREATE TABLE host_latest (
    address    TEXT    NOT NULL PRIMARY KEY,
    scan_id    TEXT    NOT NULL,  -- its newest network scan
    started    TEXT    NOT NULL,  -- that scan's start
    level      INTEGER NOT NULL,  -- its level in that scan
    first_seen TEXT    NOT NULL,  -- the start of the first scan that saw it
    scans      INTEGER NOT NULL   -- how many network scans saw it
);

CREATE TABLE views_folded (
    scan_id TEXT NOT NULL PRIMARY KEY
);
