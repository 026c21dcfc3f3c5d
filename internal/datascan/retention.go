package datascan

import (
	"context"
	"fmt"
	"path"
	"time"

	"github.com/vigilsec/vigil/internal/datamap"
	"github.com/vigilsec/vigil/internal/facts"
)

// Retention counts, for every retention rule of the map, the rows (or
// files) older than the rule at o.Now: rows whose date column is before
// the cutoff (NULL dates are not counted: their age is unknown), files
// whose modification time is. It only counts.
func Retention(ctx context.Context, m *datamap.Map, o Options) []facts.DataRetention {
	o.defaults()
	var out []facts.DataRetention
	dbs := map[string]*datamap.DB{}
	defer func() {
		for _, db := range dbs {
			db.Close()
		}
	}()
	for _, r := range m.Retention {
		s, _ := m.Source(r.Source)
		cut := r.MaxAge.Before(o.Now)
		dr := facts.DataRetention{Source: r.Source, Table: r.Table, Column: r.Column, Path: r.Path, MaxAge: r.MaxAge.String(),
			Basis: r.Basis, Cutoff: cut.UTC().Format(time.RFC3339)}
		if s.Type == datamap.Files {
			dr.Host = o.Host
			dr.Exceeding, dr.Total, dr.Error = countFiles(ctx, s, r.Path, cut)
			out = append(out, dr)
			continue
		}
		db, ok := dbs[s.Name]
		if !ok {
			var err error
			db, err = datamap.Open(ctx, s, o.Options)
			if err != nil {
				dr.Error = errText(err)
				out = append(out, dr)
				continue
			}
			dbs[s.Name] = db
		}
		if db.Dialect == datamap.DialectSQLite {
			dr.Host = o.Host
		} else {
			dr.Host, dr.Port = db.Host, db.Port
		}
		n, total, err := CountOlder(ctx, db, r.Table, r.Column, cut)
		if err != nil {
			dr.Error = errText(err)
		}
		dr.Exceeding, dr.Total = n, total
		out = append(out, dr)
	}
	return out
}

// CountOlder counts the rows of table whose column is before cut, and all
// its rows.
func CountOlder(ctx context.Context, db *datamap.DB, table, column string, cut time.Time) (older, total int64, err error) {
	var arg any = cut
	if db.Dialect == datamap.DialectSQLite {
		// SQLite keeps dates as text: ISO 8601 compares as text.
		arg = cut.UTC().Format("2006-01-02 15:04:05")
	}
	ph := "?"
	if db.Dialect == datamap.DialectPostgres {
		ph = "$1"
	}
	q := fmt.Sprintf("SELECT COUNT(*), COALESCE(SUM(CASE WHEN %s < %s THEN 1 ELSE 0 END), 0) FROM %s", db.Quote(column), ph, tableRef(db, table))
	if err := db.QueryRowContext(ctx, q, arg).Scan(&total, &older); err != nil {
		return 0, 0, fmt.Errorf("cannot count the rows of %s older than the rule: %w", table, err)
	}
	return older, total, nil
}

func countFiles(ctx context.Context, s *datamap.Source, pattern string, cut time.Time) (older, total int64, errS string) {
	w, err := datamap.OpenFiles(s)
	if err != nil {
		return 0, 0, errText(err)
	}
	defer w.Close()
	err = w.Walk(ctx, func(f datamap.File) error {
		if pattern != "" {
			if ok, _ := path.Match(pattern, f.Rel); !ok {
				return nil
			}
		}
		total++
		if f.ModTime.Before(cut) {
			older++
		}
		return nil
	}, func(string, string) {})
	if err != nil {
		return older, total, errText(err)
	}
	return older, total, ""
}
