package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The read-side queries of vigil serve's pages: each is a few indexed
// queries over the hosts and findings rows, never a walk over stored
// documents.

// Asset is one host a network scan ever saw.
type Asset struct {
	Address string `json:"address"`
	// Level is the host's level in its newest scan.
	Level     int       `json:"level"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// LastScan is the newest network scan that saw the host.
	LastScan string `json:"last_scan"`
	// Scans counts the network scans that saw it.
	Scans int `json:"scans"`
	// LastAudit is when a host audit (vigil host) last covered the
	// address; zero when none did.
	LastAudit time.Time `json:"last_audit,omitzero"`
}

// RefreshViews folds the network scans stored since the last call into
// host_latest, each scan once, oldest first. The views below call it; a
// server also calls it at start, so that the first page after an upgrade
// does not pay for folding a large store.
func (s *Store) RefreshViews(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT s.id FROM scans s WHERE s.kind = '' AND NOT EXISTS
		(SELECT 1 FROM views_folded v WHERE v.scan_id = s.id) ORDER BY s.started, s.id`)
	if err != nil {
		return fmt.Errorf("cannot read the scans in %s: %w", s.where, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("cannot read the scans in %s: %w", s.where, err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cannot read the scans in %s: %w", s.where, err)
	}
	// Newer: the row being folded in is the host's newest scan.
	const newer = "(excluded.started > host_latest.started OR (excluded.started = host_latest.started AND excluded.scan_id > host_latest.scan_id))"
	fold := s.rebind(`INSERT INTO host_latest (address, scan_id, started, level, first_seen, scans)
		SELECT h.address, h.scan_id, s.started, h.level, s.started, 1 FROM hosts h JOIN scans s ON s.id = h.scan_id WHERE h.scan_id = ?
		ON CONFLICT (address) DO UPDATE SET
			scan_id = CASE WHEN ` + newer + ` THEN excluded.scan_id ELSE host_latest.scan_id END,
			level = CASE WHEN ` + newer + ` THEN excluded.level ELSE host_latest.level END,
			started = CASE WHEN ` + newer + ` THEN excluded.started ELSE host_latest.started END,
			first_seen = CASE WHEN excluded.first_seen < host_latest.first_seen THEN excluded.first_seen ELSE host_latest.first_seen END,
			scans = host_latest.scans + 1`)
	claim := s.rebind("INSERT INTO views_folded (scan_id) VALUES (?) ON CONFLICT (scan_id) DO NOTHING")
	// Batches of scans per transaction: a large store folds in seconds,
	// without holding the write lock for all of it.
	for len(ids) > 0 {
		n := min(len(ids), 50)
		if err := s.foldBatch(ctx, ids[:n], claim, fold); err != nil {
			return fmt.Errorf("cannot update the host views in %s: %w", s.where, err)
		}
		ids = ids[n:]
	}
	return nil
}

func (s *Store) foldBatch(ctx context.Context, ids []string, claim, fold string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, id := range ids {
		res, err := tx.ExecContext(ctx, claim, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue // folded by another process meanwhile
		}
		if _, err := tx.ExecContext(ctx, fold, id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Assets returns every host a network scan ever saw, by address.
func (s *Store) Assets(ctx context.Context) ([]Asset, error) {
	if err := s.RefreshViews(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT address, level, first_seen, started, scan_id, scans FROM host_latest ORDER BY address")
	if err != nil {
		return nil, fmt.Errorf("cannot list the hosts in %s: %w", s.where, err)
	}
	defer rows.Close()
	out := []Asset{}
	index := map[string]int{}
	for rows.Next() {
		var a Asset
		var first, last string
		if err := rows.Scan(&a.Address, &a.Level, &first, &last, &a.LastScan, &a.Scans); err != nil {
			return nil, fmt.Errorf("cannot list the hosts in %s: %w", s.where, err)
		}
		if a.FirstSeen, err = parseTime(first); err == nil {
			a.LastSeen, err = parseTime(last)
		}
		if err != nil {
			return nil, fmt.Errorf("host %s in %s has a damaged time: %w", a.Address, s.where, err)
		}
		index[a.Address] = len(out)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot list the hosts in %s: %w", s.where, err)
	}
	audits, err := s.db.QueryContext(ctx, `SELECT h.address, MAX(s.finished) FROM hosts h JOIN scans s ON s.id = h.scan_id
		WHERE s.kind = 'host' GROUP BY h.address`)
	if err != nil {
		return nil, fmt.Errorf("cannot list the host audits in %s: %w", s.where, err)
	}
	defer audits.Close()
	for audits.Next() {
		var addr, finished string
		if err := audits.Scan(&addr, &finished); err != nil {
			return nil, fmt.Errorf("cannot list the host audits in %s: %w", s.where, err)
		}
		if i, ok := index[addr]; ok {
			out[i].LastAudit, _ = parseTime(finished)
		}
	}
	return out, audits.Err()
}

// LevelPoint is the level of one stored network scan.
type LevelPoint struct {
	Scan    string    `json:"scan"`
	Started time.Time `json:"started"`
	Level   int       `json:"level"`
}

// LevelHistory returns the levels of the newest limit network scans,
// oldest first.
func (s *Store) LevelHistory(ctx context.Context, limit int) ([]LevelPoint, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind("SELECT id, started, level FROM scans WHERE kind = '' "+newestFirst+" LIMIT ?"), max(limit, 1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the level history in %s: %w", s.where, err)
	}
	defer rows.Close()
	out := []LevelPoint{}
	for rows.Next() {
		var p LevelPoint
		var started string
		if err := rows.Scan(&p.Scan, &started, &p.Level); err != nil {
			return nil, fmt.Errorf("cannot read the level history in %s: %w", s.where, err)
		}
		if p.Started, err = parseTime(started); err != nil {
			return nil, fmt.Errorf("scan %s in %s has a damaged time: %w", p.Scan, s.where, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the level history in %s: %w", s.where, err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// HostPoint is one stored scan of a host.
type HostPoint struct {
	Scan     string    `json:"scan"`
	Kind     string    `json:"kind,omitempty"`
	Started  time.Time `json:"started"`
	Level    int       `json:"level"`
	Findings int       `json:"findings"`
}

// HostHistory returns up to limit stored scans and host audits that saw
// addr, newest first.
func (s *Store) HostHistory(ctx context.Context, addr string, limit int) ([]HostPoint, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(`SELECT s.id, s.kind, s.started, h.level,
		(SELECT COUNT(*) FROM findings f WHERE f.scan_id = s.id AND f.host = h.address)
		FROM hosts h JOIN scans s ON s.id = h.scan_id WHERE h.address = ? ORDER BY s.started DESC, s.id DESC LIMIT ?`), addr, max(limit, 1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the history of %s in %s: %w", addr, s.where, err)
	}
	defer rows.Close()
	out := []HostPoint{}
	for rows.Next() {
		var p HostPoint
		var started string
		if err := rows.Scan(&p.Scan, &p.Kind, &started, &p.Level, &p.Findings); err != nil {
			return nil, fmt.Errorf("cannot read the history of %s in %s: %w", addr, s.where, err)
		}
		if p.Started, err = parseTime(started); err != nil {
			return nil, fmt.Errorf("scan %s in %s has a damaged time: %w", p.Scan, s.where, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// FindingRow is a finding as the findings table holds it.
type FindingRow struct {
	Scan      string    `json:"scan"`
	Started   time.Time `json:"started"`
	ID        string    `json:"id"`
	Check     string    `json:"check"`
	Severity  string    `json:"severity"`
	Host      string    `json:"host"`
	Port      int       `json:"port"`
	Transport string    `json:"transport"`
	Title     string    `json:"title"`
}

// severityRank orders severities worst first in SQL.
const severityRank = "CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END"

// CurrentFindings returns the findings of each host's newest network scan,
// worst first; severity, when not "", keeps those of that severity.
func (s *Store) CurrentFindings(ctx context.Context, severity string) ([]FindingRow, error) {
	if err := s.RefreshViews(ctx); err != nil {
		return nil, err
	}
	// CROSS JOIN makes SQLite read host_latest first (a row per host) and
	// look each host's findings up in findings_scan_host, instead of
	// walking every finding ever stored; PostgreSQL plans it freely.
	q := `SELECT f.scan_id, a.started, f.id, f.check_id, f.severity, f.host, f.port, f.transport, f.title
		FROM host_latest a CROSS JOIN findings f WHERE f.scan_id = a.scan_id AND f.host = a.address`
	var args []any
	if severity != "" {
		q += " AND f.severity = ?"
		args = append(args, severity)
	}
	q += " ORDER BY " + severityRank + ", f.host, f.port, f.check_id, f.id"
	return s.findingRows(ctx, q, args...)
}

// FindingHistory returns up to limit sightings of a finding, newest first.
func (s *Store) FindingHistory(ctx context.Context, id string, limit int) ([]FindingRow, error) {
	return s.findingRows(ctx, `SELECT f.scan_id, s.started, f.id, f.check_id, f.severity, f.host, f.port, f.transport, f.title
		FROM findings f JOIN scans s ON s.id = f.scan_id WHERE f.id = ? ORDER BY s.started DESC, s.id DESC LIMIT ?`, id, max(limit, 1))
}

func (s *Store) findingRows(ctx context.Context, q string, args ...any) ([]FindingRow, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the findings in %s: %w", s.where, err)
	}
	defer rows.Close()
	out := []FindingRow{}
	for rows.Next() {
		var f FindingRow
		var started string
		if err := rows.Scan(&f.Scan, &started, &f.ID, &f.Check, &f.Severity, &f.Host, &f.Port, &f.Transport, &f.Title); err != nil {
			return nil, fmt.Errorf("cannot read the findings in %s: %w", s.where, err)
		}
		if f.Started, err = parseTime(started); err != nil {
			return nil, fmt.Errorf("scan %s in %s has a damaged time: %w", f.Scan, s.where, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// PreviousScan returns the id of the newest network scan of the same
// targets as scan id stored before it ("" when there is none): what a new
// scan is compared with.
func (s *Store) PreviousScan(ctx context.Context, id string) (string, error) {
	var started, targets, kind string
	if err := s.db.QueryRowContext(ctx, s.rebind("SELECT started, targets, kind FROM scans WHERE id = ?"), id).Scan(&started, &targets, &kind); err != nil {
		return "", fmt.Errorf("cannot read scan %s in %s: %w", id, s.where, err)
	}
	var prev string
	err := s.db.QueryRowContext(ctx, s.rebind(`SELECT id FROM scans WHERE kind = ? AND targets = ? AND (started < ? OR (started = ? AND id < ?))
		ORDER BY started DESC, id DESC LIMIT 1`), kind, targets, started, started, id).Scan(&prev)
	if err != nil && !isNoRows(err) {
		return "", fmt.Errorf("cannot find the scan before %s in %s: %w", id, s.where, err)
	}
	return prev, nil
}

// PreviousScanOfHost returns the id of the newest stored network scan
// before scan id that saw addr ("" when there is none).
func (s *Store) PreviousScanOfHost(ctx context.Context, id, addr string) (string, error) {
	var started string
	if err := s.db.QueryRowContext(ctx, s.rebind("SELECT started FROM scans WHERE id = ?"), id).Scan(&started); err != nil {
		return "", fmt.Errorf("cannot read scan %s in %s: %w", id, s.where, err)
	}
	var prev string
	err := s.db.QueryRowContext(ctx, s.rebind(`SELECT s.id FROM hosts h JOIN scans s ON s.id = h.scan_id
		WHERE h.address = ? AND s.kind = '' AND (s.started < ? OR (s.started = ? AND s.id < ?)) ORDER BY s.started DESC, s.id DESC LIMIT 1`),
		addr, started, started, id).Scan(&prev)
	if err != nil && !isNoRows(err) {
		return "", fmt.Errorf("cannot find the scan before %s in %s: %w", id, s.where, err)
	}
	return prev, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// ServiceCounts returns how many services each asset had in its newest
// scan, reading each of those scans once.
func (s *Store) ServiceCounts(ctx context.Context, assets []Asset) (map[string]int, error) {
	byScan := map[string][]string{}
	for _, a := range assets {
		byScan[a.LastScan] = append(byScan[a.LastScan], a.Address)
	}
	out := make(map[string]int, len(assets))
	for id, addrs := range byScan {
		doc, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		want := make(map[string]bool, len(addrs))
		for _, a := range addrs {
			want[a] = true
		}
		for _, h := range doc.Hosts {
			if want[h.Address] {
				out[h.Address] = len(h.Services)
			}
		}
	}
	return out, nil
}
