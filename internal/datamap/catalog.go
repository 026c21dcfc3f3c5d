package datamap

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Table is a table of a database source and its columns.
type Table struct {
	// Schema is the PostgreSQL schema ("" elsewhere).
	Schema  string
	Name    string
	Columns []Column
}

// Column is a column and its declared type.
type Column struct {
	Name string
	Type string
}

// QName is the table's name as the map writes it: "schema.table" outside
// PostgreSQL's public schema, "table" otherwise.
func (t Table) QName() string {
	if t.Schema == "" || t.Schema == "public" {
		return t.Name
	}
	return t.Schema + "." + t.Name
}

// Quote quotes an identifier for the database's dialect.
func (db *DB) Quote(id string) string {
	if db.Dialect == DialectMySQL {
		return "`" + strings.ReplaceAll(id, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(id, `"`, `""`) + `"`
}

// QuoteTable quotes a table (with its schema when it has one).
func (db *DB) QuoteTable(t Table) string {
	if t.Schema != "" && db.Dialect == DialectPostgres {
		return db.Quote(t.Schema) + "." + db.Quote(t.Name)
	}
	return db.Quote(t.Name)
}

// MaxTables caps how many tables one source lists.
const MaxTables = 5000

// Tables lists the user tables of the database and their columns, sorted
// by name (system schemas left out).
func (db *DB) Tables(ctx context.Context) ([]Table, error) {
	var q string
	switch db.Dialect {
	case DialectPostgres:
		q = `SELECT c.table_schema, c.table_name, c.column_name, c.data_type
FROM information_schema.columns c JOIN information_schema.tables t
  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
  AND c.table_schema NOT LIKE 'pg_toast%'
ORDER BY c.table_schema, c.table_name, c.ordinal_position`
	case DialectMySQL:
		q = `SELECT '', c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE
FROM information_schema.COLUMNS c JOIN information_schema.TABLES t
  ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`
	case DialectSQLite:
		q = `SELECT '', m.name, p.name, p.type FROM sqlite_master m, pragma_table_info(m.name) p
WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`
	default:
		return nil, fmt.Errorf("unknown dialect %q", db.Dialect)
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("cannot list the tables of %s: %w", db.Source.Name, err)
	}
	defer rows.Close()
	var out []Table
	for rows.Next() {
		var schema, table, col, typ string
		if err := rows.Scan(&schema, &table, &col, &typ); err != nil {
			return nil, fmt.Errorf("cannot list the tables of %s: %w", db.Source.Name, err)
		}
		if n := len(out); n == 0 || out[n-1].Schema != schema || out[n-1].Name != table {
			if n >= MaxTables {
				break
			}
			out = append(out, Table{Schema: schema, Name: table})
		}
		t := &out[len(out)-1]
		t.Columns = append(t.Columns, Column{Name: col, Type: strings.ToLower(typ)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot list the tables of %s: %w", db.Source.Name, err)
	}
	slices.SortFunc(out, func(a, b Table) int { return strings.Compare(a.QName(), b.QName()) })
	return out, nil
}
