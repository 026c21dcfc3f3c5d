package erase

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/certify"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func pgPH(n int) string { return "$" + strconv.Itoa(n) }

// pgClinic makes the clinic in a new database of the PostgreSQL test
// cluster and returns an administrator's connection and the map's source
// declaration (its password in an environment variable).
func pgClinic(t *testing.T, c *clinic) (*sql.DB, string) {
	raw, source := pgBenchDB(t)
	c.seed(t, raw, pgPH)
	return raw, source
}

// pgBenchDB makes an empty database on the PostgreSQL test cluster and
// returns an administrator's connection and the map's source declaration
// (its password in an environment variable).
func pgBenchDB(t *testing.T) (*sql.DB, string) {
	dsn := storetest.Postgres(t)
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	t.Setenv("VIGIL_TEST_CLINIC_PW", pw)
	u.User = url.User(u.User.Username())
	u.RawQuery = ""
	return raw, fmt.Sprintf("{name: clinic, type: postgres, dsn: %q, password_env: VIGIL_TEST_CLINIC_PW, tls: disable}", u.String())
}

func TestErasePostgres(t *testing.T) {
	c := newClinic(t)
	raw, source := pgClinic(t, c)
	eraseAndCheck(t, c, raw, pgPH, source)
}

// TestErasePostgresConnectionDropped cuts the erasing connection from
// another one (pg_terminate_backend) after the changes and before the
// commit: the database is unchanged and the certificate says it was
// rolled back, reporting nothing as erased.
func TestErasePostgresConnectionDropped(t *testing.T) {
	c := newClinic(t)
	raw, source := pgClinic(t, c)
	m := dataMap(t, source, t.TempDir())
	before := readCounts(t, raw, pgPH, c)
	req := request(m, c.email)
	killed := 0
	req.BeforeCommit = map[string]func(context.Context) error{
		"clinic": func(ctx context.Context) error {
			return raw.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle in transaction'`).Scan(&killed)
		},
	}
	cert, _, err := Erase(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d connections in a transaction, want the erasing one", killed)
	}
	if after := readCounts(t, raw, pgPH, c); after != before {
		t.Errorf("the database changed although its connection dropped before the commit:\n got %+v\nwant %+v", after, before)
	}
	s := cert.Sources[0]
	if s.Outcome != certify.RolledBack || len(s.Tables) != 0 || s.Verified || !strings.Contains(s.Error, "rolled back") {
		t.Errorf("source: %+v; want rolled back, nothing reported as erased", s)
	}
	if cert.Complete {
		t.Error("an erasure whose connection dropped is certified complete")
	}
}
