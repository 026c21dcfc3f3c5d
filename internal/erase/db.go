// Package erase removes one person's data from the sources of a data map
// (vigil data erase): it finds the subject's rows by the map's declared
// subject keys and by following the databases' foreign keys transitively,
// and the subject's rows, lines and messages in files; it plans (tables,
// counts, files: never values), erases in one transaction per database
// (deleting, or anonymising the rows the map says must be kept), searches
// again, and says per source what was done, for the certificate.
package erase

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/datamap"
)

// MaxValues bounds how many distinct key values one table's selection may
// hold while following foreign keys: beyond it the erasure stops (a
// subject key that matches that many rows is not one person).
const MaxValues = 10000

// maxRounds bounds how often foreign keys are followed around a cycle.
const maxRounds = 64

// FK is a single-column foreign key: Child.ChildCol references
// Parent.ParentCol.
type FK struct {
	Child, ChildCol   string
	Parent, ParentCol string
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// ForeignKeys lists the single-column foreign keys of a database; tables
// are named as datamap.Table.QName names them. Composite foreign keys are
// returned apart, as "child → parent", to be reported as not followed.
func ForeignKeys(ctx context.Context, db *datamap.DB) ([]FK, []string, error) {
	var q string
	switch db.Dialect {
	case datamap.DialectPostgres:
		q = `SELECT cn.nspname, cl.relname, a.attname, pn.nspname, pl.relname, pa.attname, array_length(c.conkey, 1)
FROM pg_constraint c
JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_namespace cn ON cn.oid = cl.relnamespace
JOIN pg_class pl ON pl.oid = c.confrelid JOIN pg_namespace pn ON pn.oid = pl.relnamespace
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
WHERE c.contype = 'f' AND cn.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1, 2, 3`
	case datamap.DialectMySQL:
		q = `SELECT '', k.TABLE_NAME, k.COLUMN_NAME, '', k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME,
  (SELECT COUNT(*) FROM information_schema.KEY_COLUMN_USAGE k2 WHERE k2.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA
     AND k2.TABLE_NAME = k.TABLE_NAME AND k2.CONSTRAINT_NAME = k.CONSTRAINT_NAME)
FROM information_schema.KEY_COLUMN_USAGE k
WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL AND k.ORDINAL_POSITION = 1
ORDER BY 2, 3`
	case datamap.DialectSQLite:
		q = `SELECT '', m.name, f."from", '', f."table",
  COALESCE(f."to", (SELECT p.name FROM pragma_table_info(f."table") p WHERE p.pk = 1)),
  (SELECT COUNT(*) FROM pragma_foreign_key_list(m.name) f2 WHERE f2.id = f.id)
FROM sqlite_master m, pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND f.seq = 0
ORDER BY 2, 3`
	default:
		return nil, nil, fmt.Errorf("unknown dialect %q", db.Dialect)
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot list the foreign keys of %s: %w", db.Source.Name, err)
	}
	defer rows.Close()
	var fks []FK
	var composite []string
	for rows.Next() {
		var cs, ct, cc, ps, pt string
		var pc sql.NullString
		var n int
		if err := rows.Scan(&cs, &ct, &cc, &ps, &pt, &pc, &n); err != nil {
			return nil, nil, fmt.Errorf("cannot list the foreign keys of %s: %w", db.Source.Name, err)
		}
		child := datamap.Table{Schema: cs, Name: ct}.QName()
		parent := datamap.Table{Schema: ps, Name: pt}.QName()
		if n != 1 || !pc.Valid {
			composite = append(composite, child+" → "+parent)
			continue
		}
		fks = append(fks, FK{Child: child, ChildCol: cc, Parent: parent, ParentCol: pc.String})
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("cannot list the foreign keys of %s: %w", db.Source.Name, err)
	}
	return fks, composite, nil
}

// pred selects the rows of a table whose Column is one of Values.
type pred struct {
	Column string
	Values []any
	seen   map[string]bool
}

// Selection is the subject's rows in one database: per table, the
// predicates that select them, in the order the tables were reached.
type Selection struct {
	Order []string
	Preds map[string][]*pred
	// Via names, per table, the table it was reached from ("" for a
	// subject table).
	Via map[string]string
}

// Root is where the subject is identified in a database: rows of Table
// whose Column equals Value.
type Root struct {
	Table, Column string
	Value         any
}

// valueKey makes a value comparable across drivers (string, []byte,
// integers).
func valueKey(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}

// add merges values into table's predicate on column and returns the
// values that were new.
func (s *Selection) add(table, column string, values []any) ([]any, error) {
	if s.Preds == nil {
		s.Preds, s.Via = map[string][]*pred{}, map[string]string{}
	}
	var p *pred
	for _, q := range s.Preds[table] {
		if q.Column == column {
			p = q
		}
	}
	if p == nil {
		if _, ok := s.Preds[table]; !ok {
			s.Order = append(s.Order, table)
		}
		p = &pred{Column: column, seen: map[string]bool{}}
		s.Preds[table] = append(s.Preds[table], p)
	}
	var fresh []any
	for _, v := range values {
		if v == nil {
			continue
		}
		k := valueKey(v)
		if p.seen[k] {
			continue
		}
		p.seen[k] = true
		p.Values = append(p.Values, v)
		fresh = append(fresh, v)
	}
	if len(p.Values) > MaxValues {
		return nil, fmt.Errorf("table %s: more than %d rows are linked to the subject through %s: that is not one person; check the map's subject keys", table, MaxValues, column)
	}
	return fresh, nil
}

// dialectOf gives placeholders and quoting.
type dialectOf struct{ db *datamap.DB }

func (d dialectOf) ph(n int) string {
	if d.db.Dialect == datamap.DialectPostgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// table quotes a QName ("schema.table" or "table").
func (d dialectOf) table(q string) string {
	schema, name, ok := strings.Cut(q, ".")
	if !ok {
		return d.db.QuoteTable(datamap.Table{Name: q})
	}
	return d.db.QuoteTable(datamap.Table{Schema: schema, Name: name})
}

// where renders preds as a WHERE condition starting at placeholder n+1,
// with its arguments.
func (d dialectOf) where(preds []*pred, n int) (string, []any) {
	var parts []string
	var args []any
	for _, p := range preds {
		if len(p.Values) == 0 {
			continue
		}
		phs := make([]string, len(p.Values))
		for i, v := range p.Values {
			n++
			phs[i] = d.ph(n)
			args = append(args, v)
		}
		parts = append(parts, d.db.Quote(p.Column)+" IN ("+strings.Join(phs, ", ")+")")
	}
	if len(parts) == 0 {
		return "1 = 0", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// Locate finds the subject's rows: the roots, then every row that
// references a selected row through a foreign key, transitively. Tables
// in stop (kept tables) are selected but not followed further.
func Locate(ctx context.Context, q querier, db *datamap.DB, fks []FK, roots []Root, stop map[string]bool) (*Selection, error) {
	d := dialectOf{db}
	sel := &Selection{}
	type work struct {
		table, column string
		values        []any
	}
	var queue []work
	for _, r := range roots {
		fresh, err := sel.add(r.Table, r.Column, []any{r.Value})
		if err != nil {
			return nil, err
		}
		if len(fresh) > 0 {
			queue = append(queue, work{r.Table, r.Column, fresh})
		}
		if _, ok := sel.Via[r.Table]; !ok {
			sel.Via[r.Table] = ""
		}
	}
	for round := 0; len(queue) > 0; round++ {
		if round > maxRounds*len(fks)+len(roots)+1 {
			return nil, errors.New("the foreign keys go round a cycle too often to follow")
		}
		w := queue[0]
		queue = queue[1:]
		if stop[w.table] {
			continue
		}
		for _, fk := range fks {
			if fk.Parent != w.table {
				continue
			}
			// The parent's referenced values among the newly selected rows.
			vals := w.values
			if fk.ParentCol != w.column {
				var err error
				if vals, err = distinct(ctx, q, d, fk.Parent, fk.ParentCol, []*pred{{Column: w.column, Values: w.values}}); err != nil {
					return nil, err
				}
			}
			if len(vals) == 0 {
				continue
			}
			// The child rows that reference them.
			fresh, err := sel.add(fk.Child, fk.ChildCol, vals)
			if err != nil {
				return nil, err
			}
			if _, ok := sel.Via[fk.Child]; !ok {
				sel.Via[fk.Child] = fk.Parent
			}
			if len(fresh) > 0 {
				queue = append(queue, work{fk.Child, fk.ChildCol, fresh})
				// Other columns of the child may be referenced in turn:
				// that is handled when the child's work item is taken,
				// through distinct() on the referenced column.
			}
		}
	}
	return sel, nil
}

// distinct returns the distinct non-NULL values of column in the rows of
// table that preds select.
func distinct(ctx context.Context, q querier, d dialectOf, table, column string, preds []*pred) ([]any, error) {
	cond, args := d.where(preds, 0)
	rows, err := q.QueryContext(ctx, "SELECT DISTINCT "+d.db.Quote(column)+" FROM "+d.table(table)+" WHERE "+cond+" AND "+d.db.Quote(column)+" IS NOT NULL", args...)
	if err != nil {
		return nil, fmt.Errorf("cannot follow the foreign keys of %s: %w", table, err)
	}
	defer rows.Close()
	var out []any
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("cannot follow the foreign keys of %s: %w", table, err)
		}
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		out = append(out, v)
		if len(out) > MaxValues {
			return nil, fmt.Errorf("table %s: more than %d values of %s are linked to the subject: that is not one person; check the map's subject keys", table, MaxValues, column)
		}
	}
	return out, rows.Err()
}

// Count returns how many rows of each selected table the selection holds.
func Count(ctx context.Context, q querier, db *datamap.DB, sel *Selection) (map[string]int64, error) {
	d := dialectOf{db}
	out := map[string]int64{}
	for _, t := range sel.Order {
		cond, args := d.where(sel.Preds[t], 0)
		n, err := count(ctx, q, "SELECT COUNT(*) FROM "+d.table(t)+" WHERE "+cond, args)
		if err != nil {
			return nil, fmt.Errorf("cannot count the subject's rows in %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}

func count(ctx context.Context, q querier, query string, args []any) (int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}

// deleteOrder returns the selected tables children first, so that no
// deletion leaves a row referencing a deleted one.
func deleteOrder(sel *Selection, fks []FK) []string {
	left := slices.Clone(sel.Order)
	var out []string
	for len(left) > 0 {
		picked := -1
		for i, t := range left {
			referenced := false
			for _, fk := range fks {
				if fk.Parent == t && fk.Child != t && slices.Contains(left, fk.Child) {
					referenced = true
					break
				}
			}
			if !referenced {
				picked = i
				break
			}
		}
		if picked < 0 {
			picked = len(left) - 1 // a cycle: the database will say
		}
		out = append(out, left[picked])
		left = slices.Delete(left, picked, picked+1)
	}
	return out
}
