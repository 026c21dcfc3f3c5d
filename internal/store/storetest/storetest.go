// Package storetest gives tests a real PostgreSQL database: a Debian
// PostgreSQL 15 cluster that the first test process to need it starts on
// 127.0.7.41:5439 (data under /tmp/vigil-store-pg; outside 127.0.2.0/24,
// whose aliases belong to the lab), shared by the test
// processes that run at the same time, and one fresh database per test.
//
// Test processes coordinate through two lock files: a setup lock held while
// the cluster is checked, started or stopped, and a users lock that every
// process using the cluster holds shared. A process that finds no other user
// treats a running cluster as left over from an earlier run and starts a
// fresh one; Main stops the cluster when its process was the last user.
//
// Starting PostgreSQL needs root (initdb and pg_ctl run as the postgres
// user): without root, tests that ask for PostgreSQL are skipped, or fail
// when CI=true.
package storetest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Where the shared test cluster lives.
const (
	Dir  = "/tmp/vigil-store-pg"
	Host = "127.0.7.41"
	Port = 5439

	bin       = "/usr/lib/postgresql/15/bin"
	password  = "vigil-store-test"
	setupLock = Dir + ".lock"
	usersLock = Dir + ".users"
)

// cluster is this process's use of the shared cluster. It is process-wide
// by nature: one cluster serves every test of the process.
var cluster struct {
	mu    sync.Mutex
	tried bool
	err   error
	users *os.File // held with a shared flock while this process uses the cluster
	admin *sql.DB
}

// DSN returns the URL of database name on the test cluster.
func DSN(name string) string {
	return fmt.Sprintf("postgres://postgres:%s@%s/%s?sslmode=disable", password, net.JoinHostPort(Host, strconv.Itoa(Port)), name)
}

// Postgres returns the DSN of a new, empty database on the shared test
// cluster, starting the cluster if needed; the database is dropped when the
// test ends. It skips the test when PostgreSQL cannot be run here (not
// root, no PostgreSQL 15), unless CI=true, where it fails instead.
func Postgres(t testing.TB) string {
	t.Helper()
	if reason := unavailable(); reason != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL tests cannot run: %s", reason)
		}
		t.Skipf("PostgreSQL tests skipped: %s", reason)
	}
	admin, err := start()
	if err != nil {
		t.Fatalf("cannot start the PostgreSQL test cluster: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "vigil_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("cannot create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// t.Context is already cancelled during cleanup.
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("cannot drop test database %s: %v", name, err)
		}
	})
	return DSN(name)
}

// Main runs the tests of a package and then stops the shared cluster if this
// process started or used it and no other process uses it any more. Use it
// from TestMain: os.Exit(storetest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintf(os.Stderr, "storetest: %v\n", err)
	}
	return code
}

// unavailable says why PostgreSQL cannot be started here, or "".
func unavailable() string {
	if os.Geteuid() != 0 {
		return "starting PostgreSQL needs root"
	}
	for _, tool := range []string{"initdb", "pg_ctl"} {
		if _, err := os.Stat(filepath.Join(bin, tool)); err != nil {
			return fmt.Sprintf("PostgreSQL 15 is not installed (%v)", err)
		}
	}
	if _, err := user.Lookup("postgres"); err != nil {
		return "there is no postgres user"
	}
	return ""
}

// start makes sure the shared cluster runs and this process is registered
// as one of its users, and returns a connection to its postgres database.
func start() (*sql.DB, error) {
	cluster.mu.Lock()
	defer cluster.mu.Unlock()
	if cluster.tried {
		return cluster.admin, cluster.err
	}
	cluster.tried = true
	cluster.admin, cluster.err = startLocked()
	return cluster.admin, cluster.err
}

func startLocked() (*sql.DB, error) {
	setup, err := lockFile(setupLock, syscall.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer setup.Close() // releases the setup lock

	users, err := os.OpenFile(usersLock, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	alone := syscall.Flock(int(users.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
	if alone {
		// Nobody else uses the cluster: whatever runs is a leftover.
		if err := fresh(); err != nil {
			users.Close()
			return nil, err
		}
	}
	// Downgrade (or take) a shared lock; setup is held, so no one else can
	// take the exclusive lock in between.
	if err := syscall.Flock(int(users.Fd()), syscall.LOCK_SH); err != nil {
		users.Close()
		return nil, fmt.Errorf("lock %s: %w", usersLock, err)
	}
	cluster.users = users
	db, err := sql.Open("pgx", DSN("postgres"))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	if err := waitReady(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("the cluster in %s does not answer on %s:%d: %w (see %s/log)", Dir, Host, Port, err, Dir)
	}
	return db, nil
}

// fresh stops any leftover cluster and starts a new one.
func fresh() error {
	pg, err := user.Lookup("postgres")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	data := filepath.Join(Dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		_ = asPostgres(uid, gid, filepath.Join(bin, "pg_ctl"), "stop", "-D", data, "-m", "immediate", "-w")
	}
	if err := os.RemoveAll(Dir); err != nil {
		return fmt.Errorf("cannot remove the old cluster: %w", err)
	}
	if err := os.Mkdir(Dir, 0o700); err != nil {
		return err
	}
	if err := os.Chown(Dir, uid, gid); err != nil {
		return err
	}
	pwfile := filepath.Join(Dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(password+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.Chown(pwfile, uid, gid); err != nil {
		return err
	}
	if err := asPostgres(uid, gid, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--pwfile", pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		return err
	}
	opts := fmt.Sprintf("-c listen_addresses=%s -p %d -c unix_socket_directories=%s -c ssl=off -c fsync=off -c max_connections=200", Host, Port, Dir)
	return asPostgres(uid, gid, filepath.Join(bin, "pg_ctl"), "start", "-D", data, "-l", filepath.Join(Dir, "log"), "-w", "-t", "60", "-o", opts)
}

// stop ends this process's use of the cluster and stops the cluster when no
// other process uses it.
func stop() error {
	cluster.mu.Lock()
	defer cluster.mu.Unlock()
	if cluster.users == nil {
		return nil
	}
	if cluster.admin != nil {
		cluster.admin.Close()
	}
	setup, err := lockFile(setupLock, syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer setup.Close()
	users := cluster.users
	cluster.users = nil
	defer users.Close()
	if syscall.Flock(int(users.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return nil // another test process still uses the cluster
	}
	pg, err := user.Lookup("postgres")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	if err := asPostgres(uid, gid, filepath.Join(bin, "pg_ctl"), "stop", "-D", filepath.Join(Dir, "data"), "-m", "fast", "-w"); err != nil {
		return err
	}
	return os.RemoveAll(Dir)
}

// lockFile opens path and locks it with how (blocking).
func lockFile(path string, how int) (*os.File, error) {
	fh, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(fh.Fd()), how); err != nil {
		fh.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return fh, nil
}

// asPostgres runs a PostgreSQL tool as the postgres user. Its output goes to
// a file, never a pipe: pg_ctl start leaves a server behind that would hold
// a pipe open.
func asPostgres(uid, gid int, name string, args ...string) error {
	out, err := os.CreateTemp("", "vigil-storetest-*.out")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.Command(name, args...)
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	if err := cmd.Run(); err != nil {
		msg, _ := os.ReadFile(out.Name())
		return fmt.Errorf("%s %v: %w\n%s", filepath.Base(name), args, err, msg)
	}
	return nil
}

// waitReady waits until the cluster accepts connections.
func waitReady(db *sql.DB) error {
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err = db.Ping(); err == nil {
			return nil
		}
	}
	return errors.Join(errors.New("gave up after 30s"), err)
}
