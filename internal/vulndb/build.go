package vulndb

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Build changes the database at path as fn says, all or nothing: fn works
// on a private copy (mode 0600, beside path), and the copy replaces the
// database only when fn and the copy's writing succeeded. On any failure,
// and when ctx ends, the database is left as it was and the copy removed.
func Build(ctx context.Context, path string, fn func(*Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the directory of the vulnerability database: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".vulndb-*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write beside the vulnerability database: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			os.Remove(tmpName)
		}
	}()
	if old, err := os.Open(path); err == nil {
		_, err = io.Copy(tmp, old)
		old.Close()
		if err != nil {
			tmp.Close()
			return fmt.Errorf("cannot copy the vulnerability database: %w", err)
		}
	} else if !os.IsNotExist(err) {
		tmp.Close()
		return fmt.Errorf("cannot read the vulnerability database: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	db, err := openSQLite(ctx, tmpName, false)
	if err != nil {
		return err
	}
	w, err := newWriter(ctx, db)
	if err == nil {
		err = fn(w)
		if err == nil {
			err = ctx.Err()
		}
		err = w.finish(err)
	}
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("cannot write the vulnerability database: %w", cerr)
	}
	if err != nil {
		return err
	}
	if err := syncFile(tmpName); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("cannot put the new vulnerability database in place: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// syncFile flushes a file to disk.
func syncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot write the vulnerability database: %w", err)
	}
	return nil
}

// Writer adds records to a database being built (see Build). It is not
// safe for concurrent use.
type Writer struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	// data is the newest data time seen per source in this build.
	data map[string]time.Time
	// replaced are the sources this build replaced whole.
	replaced map[string]time.Time
	// Count is how many records, entries and scores were written.
	Count int
}

// statements are the Writer's prepared statements.
var statements = map[string]string{
	"del-aliases":  `DELETE FROM aliases WHERE id = ?`,
	"del-affected": `DELETE FROM affected WHERE id = ?`,
	"del-cpes":     `DELETE FROM cpes WHERE id = ?`,
	"vuln": `INSERT INTO vulns (id, source, modified, withdrawn, summary, url, score, vector, score_version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET source = excluded.source, modified = excluded.modified, withdrawn = excluded.withdrawn,
		summary = excluded.summary, url = excluded.url, score = excluded.score, vector = excluded.vector, score_version = excluded.score_version`,
	"alias":    `INSERT OR IGNORE INTO aliases (id, alias) VALUES (?, ?)`,
	"affected": `INSERT INTO affected (id, ecosystem, package, introduced, fixed, last_affected, urgency) VALUES (?, ?, ?, ?, ?, ?, ?)`,
	"cpe":      `INSERT INTO cpes (id, vendor, product, version, start_incl, start_excl, end_incl, end_excl) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	"kev":      `INSERT OR REPLACE INTO kev (cve, added, name) VALUES (?, ?, ?)`,
	"epss":     `INSERT OR REPLACE INTO epss (cve, score, percentile) VALUES (?, ?, ?)`,
}

func newWriter(ctx context.Context, db *sql.DB) (*Writer, error) {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("cannot write the vulnerability database: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot write the vulnerability database: %w", err)
	}
	w := &Writer{ctx: ctx, tx: tx, stmts: map[string]*sql.Stmt{}, data: map[string]time.Time{}, replaced: map[string]time.Time{}}
	for name, q := range statements {
		if w.stmts[name], err = tx.PrepareContext(ctx, q); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("cannot write the vulnerability database: %w", err)
		}
	}
	return w, nil
}

// exec runs a prepared statement.
func (w *Writer) exec(name string, args ...any) error {
	if _, err := w.stmts[name].ExecContext(w.ctx, args...); err != nil {
		return fmt.Errorf("cannot write the vulnerability database: %w", err)
	}
	return nil
}

// Put adds a record, replacing an earlier one of the same id.
func (w *Writer) Put(r Record) error {
	for _, del := range []string{"del-aliases", "del-affected", "del-cpes"} {
		if err := w.exec(del, r.ID); err != nil {
			return err
		}
	}
	if err := w.exec("vuln", r.ID, r.Source, r.Modified.UTC().Format(time.RFC3339), r.Withdrawn, r.Summary, r.URL, r.Score, r.Vector, r.ScoreVersion); err != nil {
		return err
	}
	for _, a := range r.Aliases {
		if err := w.exec("alias", r.ID, a); err != nil {
			return err
		}
	}
	for _, a := range r.Affected {
		if err := w.exec("affected", r.ID, a.Ecosystem, a.Package, a.Introduced, a.Fixed, a.LastAffected, a.Urgency); err != nil {
			return err
		}
		w.saw("osv:"+a.Ecosystem, r.Modified)
	}
	for _, c := range r.CPEs {
		if err := w.exec("cpe", r.ID, c.Vendor, c.Product, c.Version, c.StartIncl, c.StartExcl, c.EndIncl, c.EndExcl); err != nil {
			return err
		}
	}
	if r.Source == "nvd" {
		w.saw("nvd", r.Modified)
	}
	w.Count++
	return nil
}

// saw records data of source as new as t.
func (w *Writer) saw(source string, t time.Time) {
	if t.After(w.data[source]) || w.data[source].IsZero() {
		w.data[source] = t
	}
}

// ReplaceKEV replaces the KEV catalogue with entries, released at released.
func (w *Writer) ReplaceKEV(entries []KEVEntry, released time.Time) error {
	if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM kev`); err != nil {
		return fmt.Errorf("cannot write the vulnerability database: %w", err)
	}
	for _, e := range entries {
		if err := w.exec("kev", e.CVE, e.Added, e.Name); err != nil {
			return err
		}
		w.Count++
	}
	w.replaced["kev"] = released
	return nil
}

// ReplaceEPSS replaces the EPSS scores with those ParseEPSS reads from r.
func (w *Writer) ReplaceEPSS(r io.Reader) error {
	if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM epss`); err != nil {
		return fmt.Errorf("cannot write the vulnerability database: %w", err)
	}
	date, err := ParseEPSS(r, func(s EPSSScore) error {
		w.Count++
		return w.exec("epss", s.CVE, s.Score, s.Percentile)
	})
	if err != nil {
		return err
	}
	w.replaced["epss"] = date
	return nil
}

// Cursor returns what an update of source stored last time it ran ("" if
// it never did): where an incremental update starts again.
func (w *Writer) Cursor(source string) (string, error) {
	var c string
	err := w.tx.QueryRowContext(w.ctx, `SELECT cursor FROM sources WHERE name = ?`, source).Scan(&c)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return c, err
}

// SetCursor records where the next incremental update of source starts,
// and that source was loaded now, with data as new as dataTime.
func (w *Writer) SetCursor(source, cursor string, dataTime time.Time) error {
	w.saw(source, dataTime)
	if err := w.touch(source, w.data[source]); err != nil {
		return err
	}
	_, err := w.tx.ExecContext(w.ctx, `UPDATE sources SET cursor = ? WHERE name = ?`, cursor, source)
	return err
}

// Checked records that every source whose name starts with prefix
// ("osv:Debian:") was brought up to date now, though none of its records
// changed: its data time stays, its load time becomes now.
func (w *Writer) Checked(prefix string) error {
	now := time.Now().UTC().Format(time.RFC3339)
	_, err := w.tx.ExecContext(w.ctx, `UPDATE sources SET loaded = ? WHERE name >= ? AND name < ?`, now, prefix, prefix+"\U0010FFFF")
	if err != nil {
		return fmt.Errorf("cannot write the vulnerability database: %w", err)
	}
	return nil
}

// touch records that source was loaded now with data as new as t (kept
// when what the database held was newer).
func (w *Writer) touch(source string, t time.Time) error {
	now := time.Now().UTC().Format(time.RFC3339)
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO sources (name, data_time, loaded) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET loaded = excluded.loaded,
		data_time = CASE WHEN excluded.data_time > sources.data_time THEN excluded.data_time ELSE sources.data_time END`,
		source, t.UTC().Format(time.RFC3339), now)
	if err != nil {
		return fmt.Errorf("cannot write the vulnerability database: %w", err)
	}
	return nil
}

// count records how many records each source holds.
func (w *Writer) count() error {
	rows, err := w.tx.QueryContext(w.ctx, `SELECT name FROM sources WHERE name NOT LIKE ?`, FeedPrefix+"%")
	if err != nil {
		return fmt.Errorf("cannot write the vulnerability database: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		if _, err := w.tx.ExecContext(w.ctx, `UPDATE sources SET records = (`+countQuery(n)+`) WHERE name = ?`, append(countArgs(n), n)...); err != nil {
			return fmt.Errorf("cannot write the vulnerability database: %w", err)
		}
	}
	return nil
}

// finish records the sources touched and commits, or rolls back on err.
func (w *Writer) finish(err error) error {
	if err == nil {
		for s, t := range w.data {
			if err = w.touch(s, t); err != nil {
				break
			}
		}
	}
	if err == nil {
		for s, t := range w.replaced {
			if _, err = w.tx.ExecContext(w.ctx, `DELETE FROM sources WHERE name = ?`, s); err != nil {
				break
			}
			if err = w.touch(s, t); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = w.count()
	}
	if err == nil {
		_, err = w.tx.ExecContext(w.ctx, `INSERT OR REPLACE INTO meta (key, value) VALUES ('format', '1')`)
	}
	for _, s := range w.stmts {
		s.Close()
	}
	if err != nil {
		w.tx.Rollback()
		return err
	}
	if err := w.tx.Commit(); err != nil {
		return fmt.Errorf("cannot write the vulnerability database: %w", err)
	}
	return nil
}
