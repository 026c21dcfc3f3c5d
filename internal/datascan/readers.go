package datascan

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/datamap"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// Readers maps "table.column" (the table as Table.QName writes it) to the
// roles that can SELECT it, sorted.
//
// PostgreSQL: every role that can log in and is not a superuser, for
// which has_column_privilege says SELECT (so grants through role
// membership and to PUBLIC count), plus "PUBLIC" when PUBLIC itself has
// it. Superusers read everything and are left out.
//
// MySQL/MariaDB: the accounts ('user'@'host', written user@host) with
// SELECT globally (mysql.user), on the database (mysql.db, wildcards
// included), on the table (mysql.tables_priv) or on the column
// (mysql.columns_priv). This needs SELECT on those tables of the mysql
// database; MariaDB roles granted to accounts are not followed.
//
// SQLite has no roles: the map is empty.
func Readers(ctx context.Context, db *datamap.DB, tables []datamap.Table) (map[string][]string, error) {
	out := map[string][]string{}
	add := func(key, role string) {
		role = sanitize.String(role, 128)
		if !slices.Contains(out[key], role) {
			out[key] = append(out[key], role)
		}
	}
	switch db.Dialect {
	case datamap.DialectPostgres:
		const q = `SELECT n.nspname, c.relname, a.attname, r.rolname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_roles r ON r.rolcanlogin AND NOT r.rolsuper
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND has_column_privilege(r.oid, c.oid, a.attnum, 'SELECT')
UNION ALL
SELECT n.nspname, c.relname, a.attname, 'PUBLIC'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND has_column_privilege('public', c.oid, a.attnum, 'SELECT')`
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("cannot read the grants of %s: %w", db.Source.Name, err)
		}
		defer rows.Close()
		for rows.Next() {
			var sch, t, col, role string
			if err := rows.Scan(&sch, &t, &col, &role); err != nil {
				return nil, fmt.Errorf("cannot read the grants of %s: %w", db.Source.Name, err)
			}
			add(datamap.Table{Schema: sch, Name: t}.QName()+"."+col, role)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("cannot read the grants of %s: %w", db.Source.Name, err)
		}
	case datamap.DialectMySQL:
		var all []string
		var dbWide []string
		acct := func(u, h string) string { return u + "@" + h }
		if err := scanPairs(ctx, db, "SELECT User, Host FROM mysql.user WHERE Select_priv = 'Y'", func(u, h string) { all = append(all, acct(u, h)) }); err != nil {
			return nil, err
		}
		if err := scanPairs(ctx, db, "SELECT User, Host FROM mysql.db WHERE Select_priv = 'Y' AND DATABASE() LIKE Db", func(u, h string) { dbWide = append(dbWide, acct(u, h)) }); err != nil {
			return nil, err
		}
		for _, t := range tables {
			for _, c := range t.Columns {
				key := t.QName() + "." + c.Name
				for _, a := range all {
					add(key, a)
				}
				for _, a := range dbWide {
					add(key, a)
				}
			}
		}
		rows, err := db.QueryContext(ctx, "SELECT User, Host, Table_name FROM mysql.tables_priv WHERE Db = DATABASE() AND FIND_IN_SET('Select', Table_priv) > 0")
		if err != nil {
			return nil, fmt.Errorf("cannot read the privileges of %s (vigil's account needs SELECT on mysql.*): %w", db.Source.Name, err)
		}
		for rows.Next() {
			var u, h, tn string
			if err := rows.Scan(&u, &h, &tn); err != nil {
				rows.Close()
				return nil, fmt.Errorf("cannot read the privileges of %s: %w", db.Source.Name, err)
			}
			for _, t := range tables {
				if strings.EqualFold(t.Name, tn) {
					for _, c := range t.Columns {
						add(t.QName()+"."+c.Name, acct(u, h))
					}
				}
			}
		}
		rows.Close()
		rows, err = db.QueryContext(ctx, "SELECT User, Host, Table_name, Column_name FROM mysql.columns_priv WHERE Db = DATABASE() AND FIND_IN_SET('Select', Column_priv) > 0")
		if err != nil {
			return nil, fmt.Errorf("cannot read the privileges of %s: %w", db.Source.Name, err)
		}
		defer rows.Close()
		for rows.Next() {
			var u, h, tn, cn string
			if err := rows.Scan(&u, &h, &tn, &cn); err != nil {
				return nil, fmt.Errorf("cannot read the privileges of %s: %w", db.Source.Name, err)
			}
			add(tn+"."+cn, acct(u, h))
		}
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out, nil
}

func scanPairs(ctx context.Context, db *datamap.DB, q string, fn func(a, b string)) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("cannot read the privileges of %s (vigil's account needs SELECT on mysql.*): %w", db.Source.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			return fmt.Errorf("cannot read the privileges of %s: %w", db.Source.Name, err)
		}
		fn(a, b)
	}
	return rows.Err()
}
