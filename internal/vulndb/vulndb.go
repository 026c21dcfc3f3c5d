// Package vulndb keeps vigil's offline vulnerability database: one SQLite
// file, separate from the scan store so that it can be copied to machines
// without a network. It holds what the public sources publish (OSV records
// by ecosystem and package, NVD CVE records with their CPE ranges and
// scores, the CISA KEV catalogue, FIRST EPSS scores), imported whole from
// files or feeds; it never asks a remote service about a product or a
// package, so nothing of the inventory leaves the machine.
package vulndb

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// ErrNoDB means there is no vulnerability database at the path yet.
var ErrNoDB = errors.New("no vulnerability database")

// StaleAfter is how old a source's newest data may be before scans warn.
const StaleAfter = 7 * 24 * time.Hour

// DefaultPath returns where the database lives by default: beside the
// scan store, $XDG_DATA_HOME/vigil/vulndb.sqlite (or under
// ~/.local/share when XDG_DATA_HOME is unset or relative).
func DefaultPath() (string, error) {
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find where the vulnerability database lives (no home directory; give --vulndb PATH): %w", err)
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "vigil", "vulndb.sqlite"), nil
}

// schema is the database's tables. Versions are kept as text: each is
// compared by its ecosystem's own ordering, never by SQL.
const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
	name TEXT PRIMARY KEY,     -- osv:Debian:12, nvd, kev, epss; feed:… rows hold only an update's cursor
	data_time TEXT NOT NULL,   -- the newest data the source held (RFC 3339)
	loaded TEXT NOT NULL,      -- when vigil last loaded it
	cursor TEXT NOT NULL DEFAULT '',
	records INTEGER NOT NULL DEFAULT 0 -- counted when a build ends, so that opening the database costs nothing
);
CREATE TABLE IF NOT EXISTS vulns (
	id TEXT PRIMARY KEY,
	source TEXT NOT NULL,      -- osv or nvd
	modified TEXT NOT NULL,
	withdrawn INTEGER NOT NULL DEFAULT 0,
	summary TEXT NOT NULL DEFAULT '',
	url TEXT NOT NULL DEFAULT '',
	score REAL NOT NULL DEFAULT 0,
	vector TEXT NOT NULL DEFAULT '',
	score_version TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS aliases (id TEXT NOT NULL, alias TEXT NOT NULL, PRIMARY KEY (id, alias));
CREATE INDEX IF NOT EXISTS aliases_alias ON aliases (alias);
CREATE TABLE IF NOT EXISTS affected (
	id TEXT NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL,
	introduced TEXT NOT NULL DEFAULT '', fixed TEXT NOT NULL DEFAULT '', last_affected TEXT NOT NULL DEFAULT '',
	urgency TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS affected_package ON affected (package, ecosystem);
CREATE INDEX IF NOT EXISTS affected_id ON affected (id);
CREATE TABLE IF NOT EXISTS cpes (
	id TEXT NOT NULL, vendor TEXT NOT NULL, product TEXT NOT NULL, version TEXT NOT NULL DEFAULT '',
	start_incl TEXT NOT NULL DEFAULT '', start_excl TEXT NOT NULL DEFAULT '',
	end_incl TEXT NOT NULL DEFAULT '', end_excl TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS cpes_product ON cpes (vendor, product);
CREATE INDEX IF NOT EXISTS cpes_id ON cpes (id);
CREATE TABLE IF NOT EXISTS kev (cve TEXT PRIMARY KEY, added TEXT NOT NULL, name TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS epss (cve TEXT PRIMARY KEY, score REAL NOT NULL, percentile REAL NOT NULL);
`

// DB is an open vulnerability database, for reading. It is safe for
// concurrent use.
type DB struct {
	db   *sql.DB
	path string

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared once: matching asks the same questions thousands of times
}

// prepared returns the prepared statement of query q.
func (d *DB) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if st := d.stmts[q]; st != nil {
		return st, nil
	}
	st, err := d.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("cannot read the vulnerability database: %w", err)
	}
	d.stmts[q] = st
	return st, nil
}

// query runs query q as a prepared statement.
func (d *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := d.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow runs query q, which returns one row, as a prepared statement.
func (d *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := d.prepared(ctx, q)
	if err != nil {
		return d.db.QueryRowContext(ctx, q, args...) // the error again, through the row
	}
	return st.QueryRowContext(ctx, args...)
}

// Open opens the database at path for reading; ErrNoDB when there is none.
func Open(ctx context.Context, path string) (*DB, error) {
	if fi, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s: run 'vigil vulndb update', or 'vigil vulndb import' on a machine without a network", ErrNoDB, path)
		}
		return nil, fmt.Errorf("cannot open the vulnerability database: %w", err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("the vulnerability database %s is not a file", path)
	}
	db, err := openSQLite(ctx, path, true)
	if err != nil {
		return nil, err
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'vulns'`).Scan(&n); err != nil || n == 0 {
		db.Close()
		return nil, fmt.Errorf("%s is not a vigil vulnerability database", path)
	}
	return &DB{db: db, path: path, stmts: map[string]*sql.Stmt{}}, nil
}

// openSQLite opens an SQLite file, read-only or for writing.
func openSQLite(ctx context.Context, path string, readOnly bool) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if readOnly {
		q.Set("mode", "ro")
	} else {
		// A database is built in a private temporary file and renamed into
		// place whole: no journal is needed to survive a crash.
		q.Add("_pragma", "journal_mode(OFF)")
		q.Add("_pragma", "synchronous(OFF)")
	}
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("cannot open the vulnerability database %s: %w", abs, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot open the vulnerability database %s: %w", abs, err)
	}
	return db, nil
}

// Close closes the database.
func (d *DB) Close() error {
	d.mu.Lock()
	for _, st := range d.stmts {
		st.Close()
	}
	d.stmts = nil
	d.mu.Unlock()
	return d.db.Close()
}

// Path returns the database file.
func (d *DB) Path() string { return d.path }

// Source is what the database holds of one source.
type Source struct {
	// Name is the source: "nvd", "kev", "epss" or "osv:ECOSYSTEM".
	Name string `json:"name"`
	// Records counts its records (vulnerabilities, catalogue entries or
	// scores).
	Records int `json:"records"`
	// DataTime is its newest data: the latest record's modification, the
	// catalogue's release, the scores' date.
	DataTime time.Time `json:"data_time"`
	// Loaded is when vigil last imported or updated it.
	Loaded time.Time `json:"loaded"`
}

// Title names a source in the user's words.
func (s Source) Title() string {
	switch {
	case s.Name == "nvd":
		return "NVD CVE records"
	case s.Name == "kev":
		return "CISA Known Exploited Vulnerabilities"
	case s.Name == "epss":
		return "FIRST EPSS scores"
	case strings.HasPrefix(s.Name, "osv:"):
		return "OSV " + strings.TrimPrefix(s.Name, "osv:")
	}
	return s.Name
}

// Stale reports whether the source's data is older than StaleAfter at now.
func (s Source) Stale(now time.Time) bool { return now.Sub(s.DataTime) > StaleAfter }

// FeedPrefix starts the names of the sources rows that hold only where an
// update of a whole feed starts again ("feed:osv:Debian", whose records
// count under "osv:Debian:12" and the other releases): Sources leaves
// them out.
const FeedPrefix = "feed:"

// Sources lists what the database holds, by name.
func (d *DB) Sources(ctx context.Context) ([]Source, error) {
	rows, err := d.query(ctx, `SELECT name, data_time, loaded, records FROM sources WHERE name NOT LIKE ? ORDER BY name`, FeedPrefix+"%")
	if err != nil {
		return nil, fmt.Errorf("cannot read the vulnerability database: %w", err)
	}
	var out []Source
	for rows.Next() {
		var s Source
		var data, loaded string
		if err := rows.Scan(&s.Name, &data, &loaded, &s.Records); err != nil {
			rows.Close()
			return nil, err
		}
		s.DataTime, _ = time.Parse(time.RFC3339, data)
		s.Loaded, _ = time.Parse(time.RFC3339, loaded)
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// countQuery counts the records of a source.
func countQuery(name string) string {
	switch {
	case name == "kev":
		return `SELECT count(*) FROM kev`
	case name == "epss":
		return `SELECT count(*) FROM epss`
	case name == "nvd":
		return `SELECT count(*) FROM vulns WHERE source = 'nvd'`
	}
	return `SELECT count(DISTINCT id) FROM affected WHERE ecosystem = ?`
}

func countArgs(name string) []any {
	if eco, ok := strings.CutPrefix(name, "osv:"); ok {
		return []any{eco}
	}
	return nil
}

// Range is one affected range of an OSV record for a package of an
// ecosystem: versions from Introduced ("0" or "" for all earlier ones) up
// to but not including Fixed, or up to and including LastAffected; with
// neither, every later version is affected too.
type Range struct {
	ID                              string
	Introduced, Fixed, LastAffected string
	// Urgency is the distribution's rating of the record for the package
	// ("unimportant"), when it gives one.
	Urgency string
}

// Affected returns the ranges of every record, withdrawn ones left out,
// that affect package pkg of ecosystem ("Debian:12").
func (d *DB) Affected(ctx context.Context, ecosystem, pkg string) ([]Range, error) {
	rows, err := d.query(ctx, `SELECT a.id, a.introduced, a.fixed, a.last_affected, a.urgency FROM affected a
		JOIN vulns v ON v.id = a.id WHERE a.ecosystem = ? AND a.package = ? AND v.withdrawn = 0 ORDER BY a.id`, ecosystem, pkg)
	if err != nil {
		return nil, fmt.Errorf("cannot read the vulnerability database: %w", err)
	}
	defer rows.Close()
	var out []Range
	for rows.Next() {
		var r Range
		if err := rows.Scan(&r.ID, &r.Introduced, &r.Fixed, &r.LastAffected, &r.Urgency); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Ecosystems returns the ecosystems whose names start with prefix
// ("Debian:") and that have records for package pkg, or any records when
// pkg is "".
func (d *DB) Ecosystems(ctx context.Context, prefix, pkg string) ([]string, error) {
	q, args := `SELECT DISTINCT ecosystem FROM affected WHERE package = ? AND ecosystem >= ? AND ecosystem < ? ORDER BY ecosystem`,
		[]any{pkg, prefix, prefix + "\U0010FFFF"}
	if pkg == "" {
		q, args = `SELECT substr(name, 5) FROM sources WHERE name >= ? AND name < ? ORDER BY name`, []any{"osv:" + prefix, "osv:" + prefix + "\U0010FFFF"}
	}
	rows, err := d.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the vulnerability database: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// CPERange is one vulnerable application CPE of an NVD record: an exact
// Version, or a range bounded by the Start and End versions that are set.
type CPERange struct {
	ID                   string
	Version              string
	StartIncl, StartExcl string
	EndIncl, EndExcl     string
}

// CPEs returns the vulnerable ranges of vendor:product in NVD records that
// are not rejected.
func (d *DB) CPEs(ctx context.Context, vendor, product string) ([]CPERange, error) {
	rows, err := d.query(ctx, `SELECT c.id, c.version, c.start_incl, c.start_excl, c.end_incl, c.end_excl FROM cpes c
		JOIN vulns v ON v.id = c.id WHERE c.vendor = ? AND c.product = ? AND v.withdrawn = 0 ORDER BY c.id`, vendor, product)
	if err != nil {
		return nil, fmt.Errorf("cannot read the vulnerability database: %w", err)
	}
	defer rows.Close()
	var out []CPERange
	for rows.Next() {
		var r CPERange
		if err := rows.Scan(&r.ID, &r.Version, &r.StartIncl, &r.StartExcl, &r.EndIncl, &r.EndExcl); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Vuln is what the database knows of one vulnerability, gathered over its
// records and aliases: the CVE's NVD score, KEV entry and EPSS score.
type Vuln struct {
	// ID is the CVE id when the vulnerability has one, else the record's.
	ID      string
	Aliases []string
	Summary string
	URL     string
	// Score is the CVSS base score (0 when unscored), ScoreVersion its
	// CVSS version ("3.1", "4.0", "3.0", "2.0") and Vector its vector.
	Score        float64
	ScoreVersion string
	Vector       string
	// KEVAdded is the day CISA added it to KEV (YYYY-MM-DD), "" when not.
	KEVAdded string
	// EPSS is the probability of exploitation in the next 30 days, and
	// HasEPSS whether a score was published.
	EPSS    float64
	HasEPSS bool
}

// Describe returns the vulnerability that record id (an OSV or NVD id)
// stands for, with every alias's facts.
func (d *DB) Describe(ctx context.Context, id string) (Vuln, error) {
	// The record's aliases and the records that alias it; then the same
	// for its CVE, which ties the advisories of one CVE together.
	ids := []string{id}
	related := func(x string) error {
		rows, err := d.query(ctx, `SELECT alias FROM aliases WHERE id = ? UNION ALL SELECT id FROM aliases WHERE alias = ?`, x, x)
		if err != nil {
			return fmt.Errorf("cannot read the vulnerability database: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				return err
			}
			if !slices.Contains(ids, a) {
				ids = append(ids, a)
			}
		}
		return rows.Err()
	}
	if err := related(id); err != nil {
		return Vuln{}, err
	}
	if !strings.HasPrefix(id, "CVE-") {
		for _, a := range slices.Clone(ids) {
			if strings.HasPrefix(a, "CVE-") {
				if err := related(a); err != nil {
					return Vuln{}, err
				}
				break
			}
		}
	}
	v := Vuln{ID: id}
	for _, a := range ids {
		if strings.HasPrefix(a, "CVE-") && !strings.HasPrefix(v.ID, "CVE-") {
			v.ID = a
		}
	}
	for _, a := range ids {
		if a != v.ID {
			v.Aliases = append(v.Aliases, a)
		}
	}
	// The NVD record speaks first for its score and summary; an OSV
	// record's summary and advisory link fill what it leaves out.
	order := append([]string{v.ID}, v.Aliases...)
	args := make([]any, len(order))
	for i, a := range order {
		args[i] = a
	}
	rows, err := d.query(ctx, `SELECT id, summary, url, score, vector, score_version FROM vulns WHERE id IN (?`+
		strings.Repeat(", ?", len(order)-1)+`)`, args...)
	if err != nil {
		return Vuln{}, fmt.Errorf("cannot read the vulnerability database: %w", err)
	}
	type rec struct {
		summary, url, vector, version string
		score                         float64
	}
	recs := map[string]rec{}
	for rows.Next() {
		var id string
		var r rec
		if err := rows.Scan(&id, &r.summary, &r.url, &r.score, &r.vector, &r.version); err != nil {
			rows.Close()
			return Vuln{}, err
		}
		recs[id] = r
	}
	rows.Close()
	for _, a := range order {
		r, ok := recs[a]
		if !ok {
			continue
		}
		v.Summary = cmp.Or(v.Summary, r.summary)
		v.URL = cmp.Or(v.URL, r.url)
		if v.Score == 0 && r.score > 0 {
			v.Score, v.Vector, v.ScoreVersion = r.score, r.vector, r.version
		}
	}
	if strings.HasPrefix(v.ID, "CVE-") {
		var added sql.NullString
		var epss sql.NullFloat64
		err := d.queryRow(ctx, `SELECT (SELECT added FROM kev WHERE cve = ?1), (SELECT score FROM epss WHERE cve = ?1)`, v.ID).
			Scan(&added, &epss)
		if err != nil {
			return Vuln{}, fmt.Errorf("cannot read the vulnerability database: %w", err)
		}
		v.KEVAdded, v.EPSS, v.HasEPSS = added.String, epss.Float64, epss.Valid
	}
	if v.URL == "" && strings.HasPrefix(v.ID, "CVE-") {
		v.URL = "https://nvd.nist.gov/vuln/detail/" + v.ID
	}
	return v, nil
}
