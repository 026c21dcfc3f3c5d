-- 0002: the kind of each stored document: '' for a network scan, 'host'
-- for a host audit (vigil host), so that host audits can be found without
-- reading every document.

ALTER TABLE scans ADD COLUMN kind TEXT NOT NULL DEFAULT '';

-- Documents stored before this column existed say their kind in the JSON.
UPDATE scans SET kind = 'host' WHERE document LIKE '%"kind":"host"%';

CREATE INDEX scans_kind ON scans (kind, finished);
