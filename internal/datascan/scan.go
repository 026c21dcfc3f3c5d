// Package datascan is the discovery of `vigil data scan` (issue 15): it
// opens the sources of a data map, samples every column of every table and
// every file of every share, classifies them with package pii, counts rows,
// lists who can read each column (PostgreSQL grants, MySQL privileges),
// notes whether the connection used TLS and what encryption at rest can be
// seen, counts rows whose consent was withdrawn, and counts what exceeds
// the retention rules. It reads only: every query is a SELECT or SHOW, and
// it keeps names, categories and counts, never values.
package datascan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/datafile"
	"github.com/vigilsec/vigil/internal/datamap"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/pii"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// Options tune a scan.
type Options struct {
	datamap.Options
	// Samples is how many rows are sampled per table (default 1000).
	Samples int
	// Now is the moment retention is judged against (default time.Now).
	Now time.Time
	// Host is this machine's name, for files and SQLite sources.
	Host string
}

func (o *Options) defaults() {
	if o.Samples <= 0 {
		o.Samples = 1000
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
}

// Scan examines every source of the map. A source that fails is recorded
// with its error; the others are still examined.
func Scan(ctx context.Context, m *datamap.Map, o Options) *facts.DataScan {
	o.defaults()
	ds := &facts.DataScan{}
	for i := range m.Sources {
		s := &m.Sources[i]
		var fs facts.DataSource
		if s.Type == datamap.Files {
			fs = scanFiles(ctx, s, o)
		} else {
			fs = scanDB(ctx, m, s, o)
		}
		ds.Sources = append(ds.Sources, fs)
	}
	ds.Retention = Retention(ctx, m, o)
	return ds
}

// errText is an error as evidence may hold it.
func errText(err error) string { return sanitize.String(err.Error(), 400) }

func scanDB(ctx context.Context, m *datamap.Map, s *datamap.Source, o Options) facts.DataSource {
	out := facts.DataSource{Name: s.Name, Type: s.Type, Applications: s.Applications, Purpose: s.Purpose, TLSDisabled: s.TLS == datamap.TLSDisable}
	if s.Type == datamap.SQLite {
		out.Host = o.Host
	}
	db, err := datamap.Open(ctx, s, o.Options)
	if err != nil {
		out.Error = errText(err)
		if d, perr := datamap.ParseDSN(s.Type, s.DSN); perr == nil {
			out.Host, out.Port = d.Host, d.Port
		}
		return out
	}
	defer db.Close()
	if db.Dialect != datamap.DialectSQLite {
		out.Host, out.Port = db.Host, db.Port
	}
	out.Loopback, out.TLSVerified = db.Loopback, db.TLSVerified
	out.Product = product(ctx, db)
	out.TLS = usesTLS(ctx, db)
	out.User = currentUser(ctx, db)
	out.AtRest, out.AtRestKnown = atRest(ctx, db)
	tables, err := db.Tables(ctx)
	if err != nil {
		out.Error = errText(err)
		return out
	}
	readers, rerr := Readers(ctx, db, tables)
	consent := map[string]int64{}
	for _, c := range m.Consent {
		if c.Source != s.Name {
			continue
		}
		n, err := consentMissing(ctx, db, c)
		if err != nil {
			out.Error = errText(err)
			continue
		}
		consent[c.Table] = n
	}
	pgcrypto := db.Dialect == datamap.DialectPostgres && hasExtension(ctx, db, "pgcrypto")
	for _, t := range tables {
		cols, err := scanTable(ctx, db, t, o.Samples)
		if err != nil {
			out.Error = errText(err)
			continue
		}
		for i := range cols {
			c := &cols[i]
			c.Readers = readers[t.QName()+"."+c.Column]
			if c.Readers == nil {
				c.Readers = []string{}
			}
			if rerr != nil {
				c.Readers = []string{"(unknown: " + errText(rerr) + ")"}
			}
			c.ConsentMissing = -1
			if n, ok := consent[t.QName()]; ok {
				c.ConsentMissing = n
			}
			if pgcrypto && columnType(t, c.Column) == "bytea" {
				c.Encrypted = "pgcrypto (bytea)"
			}
			// Names come from the server: made safe for evidence.
			c.Table, c.Column = sanitize.String(c.Table, 256), sanitize.String(c.Column, 256)
		}
		out.Columns = append(out.Columns, cols...)
	}
	return out
}

func columnType(t datamap.Table, col string) string {
	for _, c := range t.Columns {
		if c.Name == col {
			return c.Type
		}
	}
	return ""
}

// scanTable samples a table and returns its personal columns.
func scanTable(ctx context.Context, db *datamap.DB, t datamap.Table, samples int) ([]facts.DataColumn, error) {
	var rows int64
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+db.QuoteTable(t)).Scan(&rows); err != nil {
		return nil, fmt.Errorf("cannot count the rows of %s: %w", t.QName(), err)
	}
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = db.Quote(c.Name)
	}
	q := fmt.Sprintf("SELECT %s FROM %s LIMIT %d", strings.Join(cols, ", "), db.QuoteTable(t), samples)
	if db.Dialect == datamap.DialectPostgres && rows > int64(samples)*20 {
		// A large table: sample pages from all of it (TABLESAMPLE
		// SYSTEM, about four times the rows needed), not only its
		// first rows, which are often its oldest.
		pct := min(100, float64(samples)*400/float64(rows))
		q = fmt.Sprintf("SELECT %s FROM %s TABLESAMPLE SYSTEM (%.4f) LIMIT %d", strings.Join(cols, ", "), db.QuoteTable(t), pct, samples)
	}
	rs, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("cannot sample %s: %w", t.QName(), err)
	}
	defer rs.Close()
	values := make([][]string, len(cols))
	dest := make([]any, len(cols))
	for i := range dest {
		dest[i] = new(any)
	}
	for rs.Next() {
		if err := rs.Scan(dest...); err != nil {
			return nil, fmt.Errorf("cannot sample %s: %w", t.QName(), err)
		}
		for i, d := range dest {
			if v := text(*(d.(*any))); v != "" {
				values[i] = append(values[i], v)
			}
		}
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("cannot sample %s: %w", t.QName(), err)
	}
	var out []facts.DataColumn
	for i, c := range t.Columns {
		ms := pii.ClassifyColumn(c.Name, values[i])
		if len(ms) == 0 {
			continue
		}
		dc := facts.DataColumn{Table: t.QName(), Column: c.Name, Rows: rows} // names are sanitised by scanDB once readers are matched
		for _, m := range ms {
			dc.Categories = append(dc.Categories, string(m.Category))
			dc.Confidence = max(dc.Confidence, m.Confidence)
		}
		slices.Sort(dc.Categories)
		out = append(out, dc)
	}
	return out, nil
}

// text renders a sampled value as the classifiers read it.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

func product(ctx context.Context, db *datamap.DB) string {
	var v string
	switch db.Dialect {
	case datamap.DialectPostgres:
		if db.QueryRowContext(ctx, "SHOW server_version").Scan(&v) == nil {
			f := strings.Fields(v)
			if len(f) > 0 {
				return "PostgreSQL " + sanitize.String(f[0], 40)
			}
		}
	case datamap.DialectMySQL:
		if db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v) == nil {
			num, rest, _ := strings.Cut(v, "-")
			name := "MySQL"
			if strings.Contains(strings.ToLower(rest), "mariadb") {
				name = "MariaDB"
			}
			return name + " " + sanitize.String(num, 40)
		}
	case datamap.DialectSQLite:
		if db.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&v) == nil {
			return "SQLite " + sanitize.String(v, 40)
		}
	}
	return ""
}

// usesTLS asks the server whether this session is encrypted.
func usesTLS(ctx context.Context, db *datamap.DB) bool {
	switch db.Dialect {
	case datamap.DialectPostgres:
		var ssl bool
		return db.QueryRowContext(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl) == nil && ssl
	case datamap.DialectMySQL:
		var name, cipher string
		return db.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher) == nil && cipher != ""
	}
	return false
}

func currentUser(ctx context.Context, db *datamap.DB) string {
	var u string
	switch db.Dialect {
	case datamap.DialectPostgres:
		_ = db.QueryRowContext(ctx, "SELECT current_user").Scan(&u)
	case datamap.DialectMySQL:
		_ = db.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&u)
	}
	return sanitize.String(u, 128)
}

// atRest reports what encryption at rest the server shows for all its
// data, and whether it can be seen at all.
func atRest(ctx context.Context, db *datamap.DB) (string, bool) {
	if db.Dialect == datamap.DialectPostgres && db.Loopback {
		return pgAtRest(ctx, db, "/")
	}
	if db.Dialect != datamap.DialectMySQL {
		return "", false
	}
	var name, v string
	if err := db.QueryRowContext(ctx, "SHOW GLOBAL VARIABLES LIKE 'innodb_encrypt_tables'").Scan(&name, &v); err != nil {
		return "", false
	}
	switch strings.ToUpper(v) {
	case "ON", "FORCE":
		return "innodb_encrypt_tables=" + strings.ToUpper(v), true
	}
	return "", true
}

// pgAtRest tells whether every tablespace of a PostgreSQL server on this
// machine lies on a dm-crypt volume (root is "/" but in tests). The data
// directory, which holds pg_default and pg_global, is visible only to
// superusers and pg_read_all_settings; without it, or when a location is
// not on this machine's file system, vigil cannot tell.
func pgAtRest(ctx context.Context, db *datamap.DB, root string) (string, bool) {
	var dataDir string
	_ = db.QueryRowContext(ctx, "SELECT setting FROM pg_settings WHERE name = 'data_directory'").Scan(&dataDir)
	rows, err := db.QueryContext(ctx, "SELECT spcname, pg_tablespace_location(oid) FROM pg_tablespace ORDER BY spcname")
	if err != nil {
		return "", false
	}
	defer rows.Close()
	var encrypted []string
	plain, unknown := false, false
	for rows.Next() {
		var name, loc string
		if err := rows.Scan(&name, &loc); err != nil {
			return "", false
		}
		if loc == "" {
			loc = dataDir
		}
		if _, err := os.Stat(filepath.Join(root, loc)); loc == "" || !filepath.IsAbs(loc) || err != nil {
			unknown = true
			continue
		}
		switch enc, known := cryptVolume(root, loc); {
		case !known:
			unknown = true
		case enc:
			encrypted = append(encrypted, sanitize.String(name, 64))
		default:
			plain = true
		}
	}
	switch {
	case rows.Err() != nil:
		return "", false
	case plain:
		return "", true
	case unknown || len(encrypted) == 0:
		return "", false
	}
	return "every tablespace on a dm-crypt volume (" + strings.Join(encrypted, ", ") + ")", true
}

func hasExtension(ctx context.Context, db *datamap.DB, name string) bool {
	var n int
	return db.QueryRowContext(ctx, "SELECT COUNT(*) FROM pg_extension WHERE extname = $1", name).Scan(&n) == nil && n > 0
}

// consentMissing counts the rows of a table whose consent column says
// consent was withdrawn or never given.
func consentMissing(ctx context.Context, db *datamap.DB, c datamap.Consent) (int64, error) {
	cast := "CAST(%s AS TEXT)"
	if db.Dialect == datamap.DialectMySQL {
		cast = "CAST(%s AS CHAR)"
	}
	col := fmt.Sprintf(cast, db.Quote(c.Column))
	q := fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s IS NULL OR LOWER(TRIM(%s)) IN ('', 'false', 'f', 'no', 'n', '0', 'withdrawn', 'revoked', 'refused')",
		tableRef(db, c.Table), db.Quote(c.Column), col)
	var n int64
	if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("cannot count the withdrawn consents of %s.%s: %w", c.Table, c.Column, err)
	}
	return n, nil
}

// tableRef quotes a table named as the map names it ("schema.table" or
// "table").
func tableRef(db *datamap.DB, name string) string {
	if sch, t, ok := strings.Cut(name, "."); ok && db.Dialect == datamap.DialectPostgres {
		return db.Quote(sch) + "." + db.Quote(t)
	}
	return db.Quote(name)
}

// scanFiles classifies the files of a files source.
func scanFiles(ctx context.Context, s *datamap.Source, o Options) facts.DataSource {
	out := facts.DataSource{Name: s.Name, Type: s.Type, Host: o.Host, Purpose: s.Purpose}
	w, err := datamap.OpenFiles(s)
	if err != nil {
		out.Error = errText(err)
		return out
	}
	defer w.Close()
	skipped := map[string]int{}
	err = w.Walk(ctx, func(f datamap.File) error {
		if f.Size > datafile.MaxInflate {
			skipped[datamap.SkipTooLarge]++
			return nil
		}
		b, err := w.ReadFile(ctx, f.Rel)
		if err != nil {
			skipped[datamap.SkipUnreadable]++
			return nil
		}
		kind := datafile.KindOf(f.Rel, b[:min(len(b), 512)])
		if kind == "" {
			skipped["not a kind vigil reads"]++
			return nil
		}
		df, ok := ClassifyFile(kind, b)
		if !ok {
			skipped["could not be parsed"]++
			return nil
		}
		if len(df.Categories) > 0 {
			df.Path = sanitize.String(f.Rel, 1024)
			out.Files = append(out.Files, df)
		}
		return nil
	}, func(_, reason string) { skipped[reason]++ })
	if err != nil {
		out.Error = errText(err)
	}
	if len(skipped) > 0 {
		out.Skipped = skipped
	}
	return out
}

// ClassifyFile classifies the bytes of a file of the given kind. ok is
// false when the file could not be parsed.
func ClassifyFile(kind string, b []byte) (facts.DataFile, bool) {
	c, err := datafile.Extract(kind, b)
	if err != nil {
		return facts.DataFile{}, false
	}
	df := facts.DataFile{Kind: kind}
	var ms []pii.Match
	for _, t := range c.Tables {
		ms = append(ms, pii.ClassifyRecords(t)...)
	}
	if c.Text != "" {
		ms = append(ms, pii.ClassifyText(c.Text)...)
	}
	seen := map[string]bool{}
	for _, m := range ms {
		df.Count += m.Hits
		df.Confidence = max(df.Confidence, m.Confidence)
		if !seen[string(m.Category)] {
			seen[string(m.Category)] = true
			df.Categories = append(df.Categories, string(m.Category))
		}
	}
	slices.Sort(df.Categories)
	if df.Categories == nil {
		df.Categories = []string{}
	}
	return df, true
}
