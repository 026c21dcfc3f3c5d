package datamap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/scope"
)

// Dialects of an opened database.
const (
	DialectPostgres = "postgres"
	DialectMySQL    = "mysql"
	DialectSQLite   = "sqlite"
)

// DSN is a parsed connection string: where the database is and as whom
// vigil logs in.
type DSN struct {
	Host     string
	Port     int
	User     string
	Database string
	// Params are the URL's query parameters; passwords and TLS
	// settings are refused there, and the others are not used yet.
	Params url.Values
}

// ParseDSN reads a postgres:// (or postgresql://) or mysql:// (or
// mariadb://) URL. A password in it is refused: it belongs in
// password_env or password_file.
func ParseDSN(typ, dsn string) (DSN, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return DSN{}, fmt.Errorf("dsn is not a URL such as %s://user@host:port/database", typ)
	}
	want := map[string][]string{Postgres: {"postgres", "postgresql"}, MySQL: {"mysql", "mariadb"}}[typ]
	ok := false
	for _, w := range want {
		ok = ok || u.Scheme == w
	}
	if !ok {
		return DSN{}, fmt.Errorf("dsn of a %s source must start with %s://", typ, want[0])
	}
	if _, has := u.User.Password(); has {
		return DSN{}, errors.New("dsn holds a password: remove it and give password_env or password_file")
	}
	q := u.Query()
	for k := range q {
		switch strings.ToLower(k) {
		case "password", "passwd", "sslmode", "sslrootcert", "sslcert", "sslkey", "tls", "sslpassword":
			return DSN{}, fmt.Errorf("dsn parameter %q is not allowed: passwords come from password_env or password_file, TLS from the source's tls and ca", k)
		}
	}
	d := DSN{Host: u.Hostname(), User: u.User.Username(), Database: strings.TrimPrefix(u.Path, "/"), Params: q}
	if d.Host == "" {
		return DSN{}, errors.New("dsn names no host")
	}
	if d.User == "" {
		return DSN{}, errors.New("dsn names no user (postgres://USER@host/db)")
	}
	if d.Database == "" || strings.Contains(d.Database, "/") {
		return DSN{}, errors.New("dsn names no database (postgres://user@host/DATABASE)")
	}
	d.Port = map[string]int{Postgres: 5432, MySQL: 3306}[typ]
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return DSN{}, fmt.Errorf("dsn port %q is not a port number", p)
		}
		d.Port = n
	}
	return d, nil
}

// Options are the guard rails of opening a source.
type Options struct {
	// AllowPublic permits database hosts outside the private, loopback
	// and link-local ranges (--allow-public).
	AllowPublic bool
	// Resolver resolves database host names; nil uses the system's.
	Resolver func(ctx context.Context, host string) ([]netip.Addr, error)
	// Timeout bounds connecting and each query; 0 means 30 s.
	Timeout time.Duration
	// ReadWrite opens the source for writing (erasure); without it a
	// scan opens SQLite files read-only and PostgreSQL sessions with
	// default_transaction_read_only.
	ReadWrite bool
}

// DB is an opened database source.
type DB struct {
	*sql.DB
	Source  *Source
	Dialect string
	// Host and Port are the address connected to (Port 0 for SQLite);
	// Host is the SQLite file's path.
	Host string
	Port int
	// Loopback is true when every address of the host is a loopback one.
	Loopback bool
	// TLSVerified is true when the server's certificate was verified.
	TLSVerified bool
}

// ErrScope means a database host is outside what vigil may reach.
var ErrScope = errors.New("outside the allowed scope")

// Open connects to a postgres, mysql or sqlite source. It resolves the
// host, applies the scope rules, and chooses TLS: verified TLS beyond
// loopback (or with tls: verify), TLS when offered on loopback, none with
// tls: disable. The connection is made to the vetted address only.
func Open(ctx context.Context, s *Source, o Options) (*DB, error) {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	switch s.Type {
	case SQLite:
		return openSQLite(ctx, s, o)
	case Postgres, MySQL:
	default:
		return nil, fmt.Errorf("source %s is a %s source, not a database", s.Name, s.Type)
	}
	d, err := ParseDSN(s.Type, s.DSN)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.Name, err)
	}
	addr, loop, err := vet(ctx, d.Host, o)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.Name, err)
	}
	pw, err := s.Password()
	if err != nil {
		return nil, err
	}
	tlsConf, verify, err := tlsFor(s, d.Host, loop)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.Name, err)
	}
	dl, err := dialer.New(dialer.Config{Timeout: o.Timeout, Concurrency: 4}, func(a netip.Addr) bool { return a == addr })
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.Name, err)
	}
	ap := netip.AddrPortFrom(addr, uint16(d.Port))
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		return dl.Dial(ctx, "tcp", ap, o.Timeout)
	}
	out := &DB{Source: s, Host: d.Host, Port: d.Port, Loopback: loop, TLSVerified: verify}
	switch s.Type {
	case Postgres:
		mode := "disable"
		if tlsConf != nil {
			mode = "prefer" // on loopback: TLS when offered, else cleartext
			if verify {
				mode = "verify-full"
			}
		}
		cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d sslmode=%s", addr, d.Port, mode))
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		cfg.User, cfg.Password, cfg.Database = d.User, pw, d.Database
		cfg.ConnectTimeout = o.Timeout
		cfg.DialFunc = dial
		cfg.LookupFunc = func(context.Context, string) ([]string, error) { return []string{addr.String()}, nil }
		if verify {
			cfg.TLSConfig = tlsConf
			cfg.Fallbacks = nil
		}
		cfg.RuntimeParams = map[string]string{"application_name": "vigil data", "statement_timeout": strconv.FormatInt(o.Timeout.Milliseconds(), 10)}
		if !o.ReadWrite {
			// A scan's session cannot write, whatever its role may do.
			cfg.RuntimeParams["default_transaction_read_only"] = "on"
		}
		out.DB = stdlib.OpenDB(*cfg)
		out.Dialect = DialectPostgres
	case MySQL:
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.DBName = d.User, pw, d.Database
		cfg.Net, cfg.Addr = "tcp", ap.String()
		cfg.DialFunc = dial
		cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = o.Timeout, o.Timeout, o.Timeout
		cfg.ParseTime = true
		cfg.TLS = tlsConf
		if tlsConf != nil && tlsConf.InsecureSkipVerify && !verify {
			cfg.AllowFallbackToPlaintext = true
		}
		conn, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		out.DB = sql.OpenDB(conn)
		out.Dialect = DialectMySQL
	}
	out.SetMaxOpenConns(4)
	pctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := out.PingContext(pctx); err != nil {
		out.Close()
		return nil, fmt.Errorf("cannot connect to source %s (%s:%d): %w", s.Name, d.Host, d.Port, err)
	}
	return out, nil
}

// vet resolves host and applies the scope rules to every address.
func vet(ctx context.Context, host string, o Options) (netip.Addr, bool, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a.Unmap()}
	} else {
		res := o.Resolver
		if res == nil {
			res = func(ctx context.Context, h string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", h)
			}
		}
		rctx, cancel := context.WithTimeout(ctx, o.Timeout)
		defer cancel()
		addrs, err = res(rctx, host)
		if err != nil {
			return netip.Addr{}, false, fmt.Errorf("cannot resolve the database host %s: %w", host, err)
		}
		if len(addrs) == 0 {
			return netip.Addr{}, false, fmt.Errorf("the database host %s has no address", host)
		}
	}
	loop := true
	for _, a := range addrs {
		a = a.Unmap()
		if !a.IsLoopback() {
			loop = false
		}
		if !o.AllowPublic && !scope.Allowed(a) {
			return netip.Addr{}, false, fmt.Errorf("the database host %s (%s) is a public address: give --allow-public to reach it: %w", host, a, ErrScope)
		}
	}
	return addrs[0].Unmap(), loop, nil
}

// tlsFor returns the TLS configuration of a source and whether it
// verifies the server.
func tlsFor(s *Source, host string, loopback bool) (*tls.Config, bool, error) {
	if s.TLS == TLSDisable {
		return nil, false, nil
	}
	if loopback && s.TLS != TLSVerify {
		return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, false, nil //nolint:gosec // loopback: TLS when offered, the traffic never leaves the machine
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if s.CA != "" {
		b, err := os.ReadFile(s.CA)
		if err != nil {
			return nil, false, fmt.Errorf("cannot read the CA file: %w", err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, false, fmt.Errorf("the CA file %s holds no PEM certificate", s.CA)
		}
	}
	return &tls.Config{ServerName: host, RootCAs: pool, MinVersion: tls.VersionTLS12}, true, nil
}

func openSQLite(ctx context.Context, s *Source, o Options) (*DB, error) {
	fi, err := os.Stat(s.Path)
	if err != nil {
		return nil, fmt.Errorf("source %s: cannot open the SQLite file: %w", s.Name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("source %s: %s is not a regular file", s.Name, s.Path)
	}
	q := url.Values{}
	if o.ReadWrite {
		q.Set("mode", "rw")
	} else {
		q.Set("mode", "ro")
	}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	u := url.URL{Scheme: "file", Path: s.Path, RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("source %s: cannot open the SQLite file: %w", s.Name, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("source %s: cannot open the SQLite file: %w", s.Name, err)
	}
	return &DB{DB: db, Source: s, Dialect: DialectSQLite, Host: s.Path, Loopback: true}, nil
}
