-- 0003: risk acceptances (vigil accept): a finding someone accepted, why,
-- until when. A revoked acceptance keeps its row with the time of revocation,
-- as a record.

CREATE TABLE acceptances (
    finding    TEXT    NOT NULL, -- the stable finding id
    check_id   TEXT    NOT NULL,
    host       TEXT    NOT NULL,
    port       INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
    transport  TEXT    NOT NULL,
    by_whom    TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    until_day  TEXT    NOT NULL, -- YYYY-MM-DD, the last day it holds
    created    TEXT    NOT NULL,
    revoked    TEXT    NOT NULL DEFAULT '' -- '' while not revoked
);

CREATE INDEX acceptances_finding ON acceptances (finding, revoked);
