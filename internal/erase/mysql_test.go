package erase

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/certify"
	"github.com/vigilsec/vigil/internal/datamap"
)

// mariadb starts a MariaDB server of this test's own on a Unix socket
// only (--skip-networking: no address at all) and returns the socket's
// path; the server is stopped when the test ends. It skips unless the test
// runs as root with mariadbd installed (CI=true fails instead).
func mariadb(t *testing.T) string {
	t.Helper()
	skip := func(why string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("MariaDB tests cannot run: %s", why)
		}
		t.Skipf("MariaDB tests skipped: %s", why)
	}
	if os.Geteuid() != 0 {
		skip("not root")
	}
	if _, err := exec.LookPath("mariadbd"); err != nil {
		skip("mariadbd is not installed")
	}
	u, err := user.Lookup("mysql")
	if err != nil {
		skip("no mysql user")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir, err := os.MkdirTemp("", "vigil-erase-mariadb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	install := exec.CommandContext(t.Context(), "mariadb-install-db", "--no-defaults", "--datadir="+data, "--user=mysql",
		"--auth-root-authentication-method=normal", "--skip-test-db", "--innodb-log-file-size=8M")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	sock := filepath.Join(dir, "mysqld.sock")
	srv := exec.Command("mariadbd", "--no-defaults", "--datadir="+data, "--socket="+sock, "--pid-file="+filepath.Join(dir, "mariadbd.pid"),
		"--skip-networking", "--user=mysql", "--skip-ssl", "--skip-name-resolve", "--skip-log-bin",
		"--log-error="+filepath.Join(dir, "error.log"), "--tmpdir="+dir, "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Kill()
		_ = srv.Wait()
	})
	db, err := sql.Open("mysql", "root@unix("+sock+")/")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for db.PingContext(ctx) != nil {
		select {
		case <-ctx.Done():
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("MariaDB did not start:\n%s", log)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if _, err := db.ExecContext(t.Context(), "CREATE DATABASE clinic"); err != nil {
		t.Fatal(err)
	}
	return sock
}

// mysqlSource opens the clinic database on the socket as a datamap.DB,
// as datamap.Open does for a mysql source (which needs a host).
func mysqlSource(sock string) func(ctx context.Context, s *datamap.Source) (*datamap.DB, error) {
	return func(ctx context.Context, s *datamap.Source) (*datamap.DB, error) {
		db, err := sql.Open("mysql", "root@unix("+sock+")/clinic")
		if err != nil {
			return nil, err
		}
		return &datamap.DB{DB: db, Source: s, Dialect: datamap.DialectMySQL, Host: sock, Loopback: true}, nil
	}
}

func mysqlClinic(t *testing.T, c *clinic) (*sql.DB, func(ctx context.Context, s *datamap.Source) (*datamap.DB, error)) {
	sock := mariadb(t)
	raw, err := sql.Open("mysql", "root@unix("+sock+")/clinic")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	c.seed(t, raw, sqlitePH)
	return raw, mysqlSource(sock)
}

func TestEraseMariaDB(t *testing.T) {
	c := newClinic(t)
	raw, open := mysqlClinic(t, c)
	source := `{name: clinic, type: mysql, dsn: "mysql://root@localhost/clinic"}`
	t.Run("erase", func(t *testing.T) {
		eraseAndCheckWith(t, c, raw, sqlitePH, source, open)
	})
}

func TestEraseMariaDBConnectionDropped(t *testing.T) {
	c := newClinic(t)
	raw, open := mysqlClinic(t, c)
	m := dataMap(t, `{name: clinic, type: mysql, dsn: "mysql://root@localhost/clinic"}`, t.TempDir())
	before := readCounts(t, raw, sqlitePH, c)
	req := request(m, c.email)
	req.Open = open
	killed := 0
	req.BeforeCommit = map[string]func(context.Context) error{
		"clinic": func(ctx context.Context) error {
			rows, err := raw.QueryContext(ctx, "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND = 'Sleep'")
			if err != nil {
				return err
			}
			var ids []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			for _, id := range ids {
				// Only the erasing connection holds a transaction;
				// killing an idle pooled one is harmless.
				if _, err := raw.ExecContext(ctx, "KILL CONNECTION "+strconv.FormatInt(id, 10)); err == nil {
					killed++
				}
			}
			return nil
		},
	}
	cert, _, err := Erase(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no connection was killed")
	}
	if after := readCounts(t, raw, sqlitePH, c); after != before {
		t.Errorf("the database changed although its connection dropped before the commit:\n got %+v\nwant %+v", after, before)
	}
	s := cert.Sources[0]
	if s.Outcome != certify.RolledBack || len(s.Tables) != 0 || s.Verified || !strings.Contains(s.Error, "rolled back") {
		t.Errorf("source: %+v; want rolled back, nothing reported as erased", s)
	}
}
