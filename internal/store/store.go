// Package store keeps scan results: every vigil/scan/v1 document in full,
// with its hosts and findings as rows for queries. It runs on SQLite (the
// default, a file under the user's data directory) or PostgreSQL (a
// postgres:// DSN), through database/sql and one set of migrations for both.
//
// A scan is saved in one transaction, so an interrupted or killed vigil never
// leaves half a scan behind: either the whole scan is stored or none of it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"github.com/vigilsec/vigil/internal/redact"
)

// dialect is the SQL flavour of the database behind a Store.
type dialect int

const (
	sqlite dialect = iota + 1
	postgres
)

// Store is an open scan store. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect dialect
	// where names the database for messages, without any password.
	where string
}

// busyTimeoutMS is how long an SQLite connection waits for another writer
// (another vigil saving a scan) before giving up.
const busyTimeoutMS = 10000

// DefaultPath returns where the default SQLite store lives:
// $XDG_DATA_HOME/vigil/vigil.db, or ~/.local/share/vigil/vigil.db when
// XDG_DATA_HOME is unset or not an absolute path.
func DefaultPath() (string, error) {
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find where to keep scans (no home directory; give --db PATH): %w", err)
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "vigil", "vigil.db"), nil
}

// Open opens the store named by dsn, creating it and bringing its schema up
// to date as needed. dsn is one of:
//
//	""                        the default SQLite file (DefaultPath)
//	PATH, sqlite:PATH         an SQLite file
//	postgres://… postgresql://…  a PostgreSQL database
//
// A new SQLite file is created with mode 0600 and missing directories with
// mode 0700.
func Open(ctx context.Context, dsn string) (*Store, error) {
	kind, target, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	var s *Store
	switch kind {
	case postgres:
		s, err = openPostgres(ctx, target)
	default:
		s, err = openSQLite(ctx, target)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("cannot prepare the scan store %s: %w", s.where, err)
	}
	return s, nil
}

// Errors of OpenExisting.
var (
	// ErrNoStore means the store does not exist yet: nothing was ever
	// stored there.
	ErrNoStore = errors.New("no scans stored yet")
	// ErrBadDSN means a --db value names no store vigil can read.
	ErrBadDSN = errors.New("not a scan store")
)

// OpenExisting opens a store for reading without creating anything: no
// directory, no file, no table. dsn must be "" (the default file), an
// existing SQLite file, sqlite:PATH or a postgres:// or postgresql:// URL;
// anything else wraps ErrBadDSN. A store that does not exist yet (no file,
// or a database without vigil's tables) wraps ErrNoStore. An existing
// store of an older vigil is brought up to date as Open does.
func OpenExisting(ctx context.Context, dsn string) (*Store, error) {
	kind, target, err := parseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadDSN, err)
	}
	trimmed := strings.TrimSpace(dsn)
	bare := trimmed != "" && kind == sqlite && !strings.HasPrefix(strings.ToLower(trimmed), "sqlite:")
	var s *Store
	switch kind {
	case postgres:
		if s, err = openPostgres(ctx, target); err != nil {
			return nil, err
		}
	default:
		fi, err := os.Stat(target)
		switch {
		case err != nil && bare:
			return nil, fmt.Errorf("%w: --db %s: no such file; give an existing SQLite file, sqlite:PATH or postgres://…", ErrBadDSN, target)
		case err != nil && errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%w (%s does not exist)", ErrNoStore, target)
		case err != nil:
			return nil, fmt.Errorf("cannot open the scan store %s: %w", target, err)
		case !fi.Mode().IsRegular():
			return nil, fmt.Errorf("%w: --db %s is not a file", ErrBadDSN, target)
		}
		if ok, err := sqliteFile(target); err != nil {
			return nil, fmt.Errorf("cannot open the scan store %s: %w", target, err)
		} else if !ok {
			return nil, fmt.Errorf("%w: --db %s is not an SQLite file", ErrBadDSN, target)
		}
		if s, err = openSQLiteFile(ctx, target, false); err != nil {
			return nil, err
		}
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n == 0 {
		s.db.Close()
		return nil, fmt.Errorf("%w (%s holds no vigil scans)", ErrNoStore, s.where)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("cannot prepare the scan store %s: %w", s.where, err)
	}
	return s, nil
}

// sqliteFile reports whether path is an SQLite database: empty, or
// starting with SQLite's header.
func sqliteFile(path string) (bool, error) {
	fh, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer fh.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(fh, head)
	return n == 0 || string(head[:n]) == "SQLite format 3\x00", nil
}

// parseDSN tells which database a --db value names, and returns the SQLite
// path or the PostgreSQL URL.
func parseDSN(dsn string) (dialect, string, error) {
	dsn = strings.TrimSpace(dsn)
	lower := strings.ToLower(dsn)
	switch {
	case dsn == "":
		p, err := DefaultPath()
		return sqlite, p, err
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return postgres, dsn, nil
	case strings.HasPrefix(lower, "sqlite:"):
		// sqlite:PATH, sqlite:///abs/path or sqlite://rel/path
		p := strings.TrimPrefix(dsn[len("sqlite:"):], "//")
		if p == "" {
			return 0, "", fmt.Errorf("--db %q names no file: use sqlite:PATH", redact.String(dsn))
		}
		return sqlite, p, nil
	case strings.Contains(dsn, "://"):
		scheme, _, _ := strings.Cut(dsn, "://")
		return 0, "", fmt.Errorf("--db: vigil cannot store scans in %q databases: give a file path, sqlite:PATH or postgres://…", redact.String(scheme))
	case strings.HasPrefix(lower, "postgres:"), strings.HasPrefix(lower, "postgresql:"):
		return 0, "", fmt.Errorf("--db %q: a PostgreSQL URL starts with postgres:// (two slashes)", redact.String(dsn))
	}
	return sqlite, dsn, nil
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("cannot use %s as the scan store: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the directory for the scan store: %w", err)
	}
	// Create the file ourselves so that it gets mode 0600; SQLite gives its
	// -wal and -shm files the database file's mode.
	fh, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open the scan store: %w", err)
	}
	fh.Close()
	return openSQLiteFile(ctx, abs, true)
}

// openSQLiteFile opens the SQLite file at path; SQLite creates it when
// create is set and it is missing.
func openSQLiteFile(ctx context.Context, path string, create bool) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("cannot use %s as the scan store: %w", path, err)
	}
	q := url.Values{}
	if !create {
		q.Set("mode", "rw")
	}
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(busyTimeoutMS)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	// Writers take the lock when their transaction begins, so two vigils
	// saving at once queue on the busy timeout instead of one failing.
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}

	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("cannot open the scan store %s: %w", abs, err)
	}
	if err := pingSQLite(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot open the scan store %s: %w", abs, err)
	}
	return &Store{db: db, dialect: sqlite, where: abs}, nil
}

// pingSQLite opens the first connection. Switching a new file to WAL takes
// an exclusive lock that SQLite does not wait for (the busy timeout does not
// apply), so several vigils opening one new store at once may be told
// SQLITE_BUSY: they try again for as long as the busy timeout.
func pingSQLite(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeoutMS * time.Millisecond)
	for {
		err := db.PingContext(ctx)
		var coded interface{ Code() int }
		if err == nil || !errors.As(err, &coded) || coded.Code()&0xff != sqliteBusy || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(10+rand.IntN(40)) * time.Millisecond):
		}
	}
}

// sqliteBusy is SQLITE_BUSY, the primary result code of a lock not granted.
const sqliteBusy = 5

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	where := "PostgreSQL"
	if u, err := url.Parse(dsn); err == nil {
		where = "PostgreSQL at " + u.Redacted()
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("cannot use the %s: %w", where, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot connect to the %s: %w", where, err)
	}
	return &Store{db: db, dialect: postgres, where: where}, nil
}

// Where names the database for messages: the SQLite file's path, or the
// PostgreSQL URL without its password.
func (s *Store) Where() string { return s.where }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// rebind rewrites the ? placeholders of a query into PostgreSQL's $1, $2, …
// when the store is PostgreSQL. Queries are written with ? outside string
// literals only; quoted text is left alone all the same.
func (s *Store) rebind(query string) string {
	if s.dialect != postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	n := 0
	quote := rune(0)
	for _, r := range query {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Sentinel errors of Get and Save; the errors returned wrap them with a
// message for the user.
var (
	// ErrNotFound means no stored scan matches a reference.
	ErrNotFound = errors.New("no such scan in the store")
	// ErrAmbiguous means an id prefix matches more than one stored scan.
	ErrAmbiguous = errors.New("ambiguous scan reference")
	// ErrExists means a scan with the same id is already stored.
	ErrExists = errors.New("scan already stored")
)
