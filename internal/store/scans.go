package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// timeLayout is how times are stored: UTC, fixed width, so text order is
// time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) { return time.Parse(timeLayout, s) }

// Save stores a scan document, with its hosts and findings, in one
// transaction. A scan whose id is already stored is refused with ErrExists:
// stored scans are a record and are never overwritten.
func (s *Store) Save(ctx context.Context, doc *result.Document) error {
	switch {
	case doc == nil:
		return errors.New("cannot store an empty scan result")
	case strings.TrimSpace(doc.ID) == "":
		return errors.New("cannot store a scan result without an id")
	case !validID(doc.ID):
		return fmt.Errorf("cannot store a scan result with the id %q: ids are at most 200 printable characters", doc.ID)
	case doc.Schema != result.Schema:
		return fmt.Errorf("cannot store scan %s: schema is %q, want %q", doc.ID, doc.Schema, result.Schema)
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("cannot store scan %s: %w", doc.ID, err)
	}
	targets, err := json.Marshal(nonNil(doc.Targets))
	if err != nil {
		return fmt.Errorf("cannot store scan %s: %w", doc.ID, err)
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cannot store scan %s in %s: %w", doc.ID, s.where, err)
	}
	defer tx.Rollback()
	fail := func(err error) error { return fmt.Errorf("cannot store scan %s in %s: %w", doc.ID, s.where, err) }

	var one int
	switch err := tx.QueryRowContext(ctx, s.rebind("SELECT 1 FROM scans WHERE id = ?"), doc.ID).Scan(&one); {
	case err == nil:
		return fmt.Errorf("%w: a scan with id %s is already in %s", ErrExists, doc.ID, s.where)
	case !errors.Is(err, sql.ErrNoRows):
		return fail(err)
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO scans (id, started, finished, targets, label, level, document, kind)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		clean(doc.ID), formatTime(doc.Started), formatTime(doc.Finished), string(targets), clean(doc.Label), doc.Level.Value, string(body), clean(doc.Kind)); err != nil {
		return fail(err)
	}
	hosts := make([][]any, 0, len(doc.Hosts))
	for _, h := range doc.Hosts {
		hosts = append(hosts, []any{clean(doc.ID), clean(h.Address), h.Level})
	}
	if err := s.insertRows(ctx, tx, "hosts", []string{"scan_id", "address", "level"}, hosts); err != nil {
		return fail(err)
	}
	fs := make([][]any, 0, len(doc.Findings))
	for _, f := range doc.Findings {
		fs = append(fs, []any{clean(doc.ID), clean(f.ID), clean(f.Check), f.Severity.String(), clean(f.Host), f.Port, clean(f.Transport), clean(f.Title)})
	}
	if err := s.insertRows(ctx, tx, "findings", []string{"scan_id", "id", "check_id", "severity", "host", "port", "transport", "title"}, fs); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return nil
}

// validID reports whether id can serve as a scan id: printable UTF-8 without
// spaces, at most 200 bytes.
func validID(id string) bool {
	if len(id) > 200 || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// batchParams bounds the parameters of one INSERT, below both SQLite's
// (32766) and PostgreSQL's (65535) limits.
const batchParams = 4000

// insertRows inserts rows into table with multi-row INSERTs.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any) error {
	per := max(1, batchParams/len(cols))
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for len(rows) > 0 {
		n := min(per, len(rows))
		var q strings.Builder
		q.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, n*len(cols))
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(tuple)
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(q.String()), args...); err != nil {
			return fmt.Errorf("saving %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}

// clean makes a string storable in a text column of either database:
// PostgreSQL refuses NUL bytes and invalid UTF-8.
func clean(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Get returns a stored scan. ref is a full scan id, a prefix of one that
// matches no other, "latest" or "" for the newest scan, or "latest~N" for the
// scan N before the newest. It fails with an error wrapping ErrNotFound or
// ErrAmbiguous when ref does not name exactly one scan.
func (s *Store) Get(ctx context.Context, ref string) (*result.Document, error) {
	id, err := s.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	var body string
	err = s.db.QueryRowContext(ctx, s.rebind("SELECT document FROM scans WHERE id = ?"), id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: scan %s was removed while it was being read", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read scan %s from %s: %w", id, s.where, err)
	}
	doc, err := result.Read(strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("scan %s in %s is damaged: %w", id, s.where, err)
	}
	return doc, nil
}

// latestPrefix starts a reference to a scan counted back from the newest.
const latestPrefix = "latest~"

// newestFirst orders scans newest first; the id breaks ties.
const newestFirst = "ORDER BY started DESC, id DESC"

// resolve turns a scan reference into a stored scan id.
func (s *Store) resolve(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	back := -1
	switch {
	case ref == "" || ref == "latest":
		back = 0
	case strings.HasPrefix(ref, latestPrefix):
		n, err := strconv.Atoi(ref[len(latestPrefix):])
		if err != nil || n < 0 {
			return "", fmt.Errorf("scan reference %q: latest~ is followed by how many scans to go back, e.g. latest~1 for the one before the newest", ref)
		}
		back = n
	}
	if back >= 0 {
		return s.nthNewest(ctx, ref, back)
	}

	var id string
	err := s.db.QueryRowContext(ctx, s.rebind("SELECT id FROM scans WHERE id = ?"), ref).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("cannot look up scan %q in %s: %w", ref, s.where, err)
	}
	const show = 5
	rows, err := s.db.QueryContext(ctx, s.rebind("SELECT id FROM scans WHERE substr(id, 1, ?) = ? "+newestFirst+" LIMIT ?"),
		utf8.RuneCountInString(ref), ref, show+1)
	if err != nil {
		return "", fmt.Errorf("cannot look up scan %q in %s: %w", ref, s.where, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return "", fmt.Errorf("cannot look up scan %q in %s: %w", ref, s.where, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("cannot look up scan %q in %s: %w", ref, s.where, err)
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("%w: no stored scan has an id starting with %q ('vigil scans' lists them)", ErrNotFound, ref)
	case 1:
		return ids[0], nil
	}
	more := ""
	if len(ids) > show {
		ids, more = ids[:show], ", …"
	}
	return "", fmt.Errorf("%w: %q starts the ids of several scans (%s%s); give more of the id", ErrAmbiguous, ref, strings.Join(ids, ", "), more)
}

// nthNewest returns the id of the scan back scans before the newest.
func (s *Store) nthNewest(ctx context.Context, ref string, back int) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx, s.rebind("SELECT id FROM scans "+newestFirst+" LIMIT 1 OFFSET ?"), back).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("cannot look up scan %q in %s: %w", ref, s.where, err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM scans").Scan(&n); err != nil {
		return "", fmt.Errorf("cannot look up scan %q in %s: %w", ref, s.where, err)
	}
	if n == 0 {
		return "", fmt.Errorf("%w: no scan is stored in %s yet; run 'vigil scan' first", ErrNotFound, s.where)
	}
	return "", fmt.Errorf("%w: %s goes back %d scan(s) from the newest, but only %d scan(s) are stored", ErrNotFound, ref, back, n)
}

// LatestPair returns the ids of the two newest stored scans of the same
// targets: the newest network scan (or, when no network scan is stored, the
// newest host audit) and the newest scan of the same kind before it whose
// targets are the same (in any order). Scans of other targets stored in
// between are passed over. It fails with an error wrapping ErrNotFound when
// there is no such pair.
func (s *Store) LatestPair(ctx context.Context) (older, newer string, err error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, targets, kind FROM scans "+newestFirst)
	if err != nil {
		return "", "", fmt.Errorf("cannot list the scans in %s: %w", s.where, err)
	}
	defer rows.Close()
	type scan struct {
		id      string
		targets []string
	}
	// newest and before hold, for each kind, the newest scan and the
	// newest before it of the same targets.
	newest := map[string]*scan{}
	before := map[string]string{}
	n := 0
	for rows.Next() {
		var (
			sc            scan
			targets, kind string
		)
		if err := rows.Scan(&sc.id, &targets, &kind); err != nil {
			return "", "", fmt.Errorf("cannot list the scans in %s: %w", s.where, err)
		}
		n++
		if err := json.Unmarshal([]byte(targets), &sc.targets); err != nil {
			return "", "", fmt.Errorf("scan %s in %s has damaged targets: %w", sc.id, s.where, err)
		}
		switch first := newest[kind]; {
		case first == nil:
			newest[kind] = &sc
		case before[kind] == "" && result.SameTargets(first.targets, sc.targets):
			before[kind] = sc.id
		}
		if before[""] != "" {
			break // the newest network scan has its pair
		}
	}
	if err := rows.Err(); err != nil {
		return "", "", fmt.Errorf("cannot list the scans in %s: %w", s.where, err)
	}
	kind := ""
	if newest[kind] == nil {
		kind = result.KindHost
	}
	what := map[string]string{"": "scan", result.KindHost: "host audit"}[kind]
	switch {
	case n == 0:
		return "", "", fmt.Errorf("%w: no scan is stored in %s yet; run 'vigil scan' first", ErrNotFound, s.where)
	case newest[kind] == nil:
		return "", "", fmt.Errorf("%w: %s holds no network scan or host audit to compare", ErrNotFound, s.where)
	case before[kind] == "":
		return "", "", fmt.Errorf("%w: the newest %s, %s, is the only %s of %s in %s; scan the same targets again, or name the two scans to compare ('vigil scans' lists them)",
			ErrNotFound, what, newest[kind].id, what, targetWords(newest[kind].targets), s.where)
	}
	return before[kind], newest[kind].id, nil
}

// targetWords names a target list in a sentence, escaped for a terminal:
// a stored document may hold anything.
func targetWords(targets []string) string {
	if len(targets) == 0 {
		return "no recorded targets"
	}
	return sanitize.Terminal(strings.Join(targets, ", "))
}

// Summary describes one stored scan, for listings.
type Summary struct {
	ID       string                   `json:"id"`
	Started  time.Time                `json:"started"`
	Finished time.Time                `json:"finished"`
	Targets  []string                 `json:"targets"`
	Label    string                   `json:"label,omitempty"`
	Level    int                      `json:"level"`
	Hosts    int                      `json:"hosts"`
	Findings map[finding.Severity]int `json:"findings"`
	// Kind is "host" for a host audit (vigil host), "" for a network scan.
	Kind string `json:"kind,omitempty"`
}

// List returns up to limit stored scans, newest first; limit <= 0 lists
// them all. Findings counts every severity, zero included.
func (s *Store) List(ctx context.Context, limit int) ([]Summary, error) {
	sevs := []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info}
	var q strings.Builder
	q.WriteString("SELECT s.id, s.started, s.finished, s.targets, s.label, s.kind, s.level,\n")
	q.WriteString("  (SELECT COUNT(*) FROM hosts h WHERE h.scan_id = s.id)")
	for _, sev := range sevs {
		// The names are constants; they are spelled into the query so
		// that each count is one correlated sub-select on the index.
		fmt.Fprintf(&q, ",\n  (SELECT COUNT(*) FROM findings f WHERE f.scan_id = s.id AND f.severity = '%s')", sev)
	}
	q.WriteString("\nFROM scans s ORDER BY s.started DESC, s.id DESC")
	var args []any
	if limit > 0 {
		q.WriteString(" LIMIT ?")
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, s.rebind(q.String()), args...)
	if err != nil {
		return nil, fmt.Errorf("cannot list the scans in %s: %w", s.where, err)
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		var (
			sm                Summary
			started, finished string
			targets           string
			counts            [5]int
		)
		if err := rows.Scan(&sm.ID, &started, &finished, &targets, &sm.Label, &sm.Kind, &sm.Level, &sm.Hosts,
			&counts[0], &counts[1], &counts[2], &counts[3], &counts[4]); err != nil {
			return nil, fmt.Errorf("cannot list the scans in %s: %w", s.where, err)
		}
		if sm.Started, err = parseTime(started); err != nil {
			return nil, fmt.Errorf("scan %s in %s has a damaged start time: %w", sm.ID, s.where, err)
		}
		if sm.Finished, err = parseTime(finished); err != nil {
			return nil, fmt.Errorf("scan %s in %s has a damaged end time: %w", sm.ID, s.where, err)
		}
		if err := json.Unmarshal([]byte(targets), &sm.Targets); err != nil {
			return nil, fmt.Errorf("scan %s in %s has damaged targets: %w", sm.ID, s.where, err)
		}
		sm.Findings = make(map[finding.Severity]int, len(sevs))
		for i, sev := range sevs {
			sm.Findings[sev] = counts[i]
		}
		out = append(out, sm)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot list the scans in %s: %w", s.where, err)
	}
	return out, nil
}
