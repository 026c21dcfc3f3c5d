package datamap

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExampleParses(t *testing.T) {
	m, err := Parse([]byte(Example))
	if err != nil {
		t.Fatalf("the example map does not parse: %v", err)
	}
	if len(m.Sources) != 4 || m.Sources[0].Type != Postgres || m.Sources[3].Type != Files {
		t.Fatalf("sources = %+v", m.Sources)
	}
	if got := m.Retention[0].MaxAge; got != (Duration{8, 'y'}) {
		t.Errorf("max_age = %v, want 8y", got)
	}
	if m.Keep[0].Anonymise[1] != "patient_name" {
		t.Errorf("keep = %+v", m.Keep)
	}
	if len(m.Backups) != 1 || m.Backups[0].MaxAge != (Duration{35, 'd'}) {
		t.Errorf("backups = %+v", m.Backups)
	}
}

func TestContractExample(t *testing.T) {
	// The map of issue 15's contract, as written there.
	const contract = `sources:
  - {name: clinic, type: postgres, dsn: "postgres://vigil@db1:5432/clinic", password_env: CLINIC_PW}
  - {name: shares, type: files, path: /srv/share}
subjects:            # where a person is identified; foreign keys are followed from here
  - {source: clinic, table: patients, column: email, key: email}
retention:
  - {source: clinic, table: visits, column: visit_date, max_age: 8y, basis: "state medical records law"}
keep:                # rows that must be anonymised, not deleted
  - {source: clinic, table: invoices, anonymise: [iban, patient_name]}
`
	m, err := Parse([]byte(contract))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := m.Source("clinic")
	if !ok || s.PasswordEnv != "CLINIC_PW" {
		t.Fatalf("clinic = %+v", s)
	}
	d, err := ParseDSN(s.Type, s.DSN)
	if err != nil || d.Host != "db1" || d.Port != 5432 || d.User != "vigil" || d.Database != "clinic" {
		t.Errorf("dsn = %+v, %v", d, err)
	}
}

func TestParseRefuses(t *testing.T) {
	base := "sources:\n  - {name: c, type: postgres, dsn: \"postgres://v@127.0.0.1/c\"}\n  - {name: f, type: files, path: /srv}\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"empty", "", "empty"},
		{"no sources", "sources: []\n", "no source"},
		{"unknown key", base + "surprise: 1\n", "surprise"},
		{"unknown field", "sources:\n  - {name: c, type: postgres, dsn: \"postgres://v@h/c\", passwd: x}\n", "passwd"},
		{"password in dsn", "sources:\n  - {name: c, type: postgres, dsn: \"postgres://v:secret@h/c\"}\n", "password"},
		{"password param", "sources:\n  - {name: c, type: mysql, dsn: \"mysql://v@h/c?password=x\"}\n", "not allowed"},
		{"sslmode param", "sources:\n  - {name: c, type: postgres, dsn: \"postgres://v@h/c?sslmode=disable\"}\n", "not allowed"},
		{"wrong scheme", "sources:\n  - {name: c, type: mysql, dsn: \"postgres://v@h/c\"}\n", "mysql://"},
		{"no user", "sources:\n  - {name: c, type: postgres, dsn: \"postgres://h/c\"}\n", "no user"},
		{"no database", "sources:\n  - {name: c, type: postgres, dsn: \"postgres://v@h\"}\n", "no database"},
		{"bad type", "sources:\n  - {name: c, type: oracle, dsn: x}\n", "oracle"},
		{"bad tls", "sources:\n  - {name: c, type: postgres, dsn: \"postgres://v@h/c\", tls: maybe}\n", "maybe"},
		{"both passwords", "sources:\n  - {name: c, type: postgres, dsn: \"postgres://v@h/c\", password_env: A, password_file: /p}\n", "not both"},
		{"relative path", "sources:\n  - {name: f, type: files, path: srv}\n", "absolute"},
		{"files with tls", "sources:\n  - {name: f, type: files, path: /srv, tls: disable}\n", "only path"},
		{"duplicate", "sources:\n  - {name: f, type: files, path: /a}\n  - {name: f, type: files, path: /b}\n", "twice"},
		{"undeclared source", base + "subjects:\n  - {source: x, table: p, column: e, key: email}\n", "not declared"},
		{"bad table", base + "subjects:\n  - {source: c, table: \"p; drop\", column: e, key: email}\n", "not a table"},
		{"no key", base + "subjects:\n  - {source: c, table: p, column: e}\n", "key"},
		{"bad age", base + "retention:\n  - {source: c, table: v, column: d, max_age: 8 years}\n", "max_age"},
		{"zero age", base + "retention:\n  - {source: c, table: v, column: d, max_age: 0d}\n", "more than zero"},
		{"missing age", base + "retention:\n  - {source: c, table: v, column: d}\n", "max_age is missing"},
		{"files retention table", base + "retention:\n  - {source: f, table: v, max_age: 1y}\n", "path"},
		{"keep files", base + "keep:\n  - {source: f, table: v, anonymise: [a]}\n", "not in a files source"},
		{"keep nothing", base + "keep:\n  - {source: c, table: v}\n", "no column"},
		{"consent bad column", base + "consent:\n  - {source: c, table: p, column: \"a b\"}\n", "column"},
		{"backup of nothing", base + "backups:\n  - {source: nope, what: dump, max_age: 30d}\n", "nope"},
		{"backup unnamed", base + "backups:\n  - {source: c, max_age: 30d}\n", "what is missing"},
		{"backup ageless", base + "backups:\n  - {source: c, what: dump}\n", "max_age is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestDurationBefore(t *testing.T) {
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"8y", time.Date(2018, 3, 31, 12, 0, 0, 0, time.UTC)},
		{"1m", time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)}, // Feb 31 normalises
		{"2w", time.Date(2026, 3, 17, 12, 0, 0, 0, time.UTC)},
		{"90d", time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC)},
		{"36h", time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)},
	} {
		d, err := ParseDuration(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Before(now); !got.Equal(tc.want) {
			t.Errorf("%s before %v = %v, want %v", tc.in, now, got, tc.want)
		}
		if d.String() != tc.in {
			t.Errorf("String() = %q, want %q", d.String(), tc.in)
		}
	}
}

func TestPassword(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("VIGIL_TEST_PW", "from-env")
	pf := filepath.Join(dir, "pw")
	if err := os.WriteFile(pf, []byte("from-file\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open")
	if err := os.WriteFile(open, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		s       Source
		want    string
		wantErr string
	}{
		{Source{PasswordEnv: "VIGIL_TEST_PW"}, "from-env", ""},
		{Source{PasswordEnv: "VIGIL_TEST_UNSET_PW"}, "", "not set"},
		{Source{PasswordFile: pf}, "from-file", ""},
		{Source{PasswordFile: open}, "", "readable by everyone"},
		{Source{}, "", ""},
	} {
		got, err := tc.s.Password()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%+v: err = %v, want %q", tc.s, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%+v: %q, %v; want %q", tc.s, got, err, tc.want)
		}
	}
}

func TestOpenScope(t *testing.T) {
	res := func(addrs ...string) func(context.Context, string) ([]netip.Addr, error) {
		return func(context.Context, string) ([]netip.Addr, error) {
			var out []netip.Addr
			for _, a := range addrs {
				out = append(out, netip.MustParseAddr(a))
			}
			return out, nil
		}
	}
	for _, tc := range []struct {
		host  string
		res   func(context.Context, string) ([]netip.Addr, error)
		allow bool
		loop  bool
		err   bool
	}{
		{"127.0.2.110", nil, false, true, false},
		{"10.1.2.3", nil, false, false, false},
		{"203.0.113.9", nil, false, false, true},
		{"203.0.113.9", nil, true, false, false},
		{"db.example", res("127.0.0.1", "::1"), false, true, false},
		{"db.example", res("10.0.0.1", "198.51.100.1"), false, false, true},
	} {
		_, loop, err := vet(context.Background(), tc.host, Options{AllowPublic: tc.allow, Resolver: tc.res, Timeout: time.Second})
		if (err != nil) != tc.err || (err != nil && !errors.Is(err, ErrScope)) {
			t.Errorf("%s allow=%v: err = %v, want error %v", tc.host, tc.allow, err, tc.err)
		}
		if err == nil && loop != tc.loop {
			t.Errorf("%s: loopback = %v, want %v", tc.host, loop, tc.loop)
		}
	}
}

func TestTLSChoice(t *testing.T) {
	for _, tc := range []struct {
		mode       string
		loop       bool
		none, verf bool
	}{
		{TLSAuto, true, false, false},
		{TLSAuto, false, false, true},
		{TLSVerify, true, false, true},
		{TLSDisable, false, true, false},
	} {
		c, v, err := tlsFor(&Source{TLS: tc.mode}, "db", tc.loop)
		if err != nil {
			t.Fatal(err)
		}
		if (c == nil) != tc.none || v != tc.verf {
			t.Errorf("tls %q loopback %v: config %v verify %v", tc.mode, tc.loop, c != nil, v)
		}
		if v && (c.InsecureSkipVerify || c.ServerName != "db") {
			t.Errorf("tls %q: a verifying config skips verification or names %q", tc.mode, c.ServerName)
		}
	}
}

func TestSQLiteTables(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.db")
	rw := &Source{Name: "a", Type: SQLite, Path: p}
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), rw, Options{ReadWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE patients (id INTEGER PRIMARY KEY, email TEXT); CREATE TABLE visits (id INTEGER, patient_id INTEGER REFERENCES patients(id), visit_date TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(context.Background(), rw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO patients VALUES (1, 'a@example.org')`); err == nil {
		t.Error("a scan's SQLite connection could write")
	}
	ts, err := db.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].Name != "patients" || ts[1].Columns[2].Name != "visit_date" || ts[0].Columns[1].Type != "text" {
		t.Errorf("tables = %+v", ts)
	}
	if q := db.Quote(`we"ird`); q != `"we""ird"` {
		t.Errorf("Quote = %s", q)
	}
}
