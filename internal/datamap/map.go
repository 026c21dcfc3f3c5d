// Package datamap reads the data map of `vigil data` (issue 15): the YAML
// file that names the sources of personal data (PostgreSQL, MySQL/MariaDB,
// SQLite, directories of files), where a person is identified (subjects),
// how long data may be kept (retention), which rows must be anonymised
// rather than deleted (keep) and where consent is recorded (consent). It
// also opens the sources under vigil's rules: passwords come from the
// environment or a file, never from the map; connections beyond loopback
// need verified TLS unless the map says `tls: disable`; database hosts obey
// the scope rules of scans (a public address needs --allow-public); files
// are read inside their declared directory only.
package datamap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Source types.
const (
	Postgres = "postgres"
	MySQL    = "mysql"
	SQLite   = "sqlite"
	Files    = "files"
)

// TLS modes of a source.
const (
	// TLSAuto (the default, "") needs verified TLS beyond loopback and
	// uses TLS on loopback when the server offers it.
	TLSAuto = ""
	// TLSVerify needs verified TLS even on loopback.
	TLSVerify = "verify"
	// TLSDisable never uses TLS: the map's author accepts cleartext.
	TLSDisable = "disable"
)

// MaxMapSize caps the size of a map file.
const MaxMapSize = 1 << 20

// Map is a data map.
type Map struct {
	Sources   []Source    `yaml:"sources"`
	Subjects  []Subject   `yaml:"subjects"`
	Retention []Retention `yaml:"retention"`
	Keep      []Keep      `yaml:"keep"`
	Consent   []Consent   `yaml:"consent"`
	Backups   []Backup    `yaml:"backups"`
}

// Source is one place personal data lives.
type Source struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"`
	// DSN is the connection string of a postgres or mysql source
	// ("postgres://user@host:5432/db", "mysql://user@host:3306/db");
	// it must not hold a password.
	DSN          string `yaml:"dsn"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
	// Path is the database file of a sqlite source or the directory of
	// a files source.
	Path string `yaml:"path"`
	// TLS is "", "verify" or "disable" (see TLSAuto).
	TLS string `yaml:"tls"`
	// CA is a PEM file of extra roots that verify the server.
	CA string `yaml:"ca"`
	// Applications are the database roles of the applications that are
	// meant to read the data; any other role that can read a health or
	// identifier column is reported (data.personal.broad-access).
	Applications []string `yaml:"applications"`
	// Purpose is the declared purpose of the processing, for the
	// record of processing.
	Purpose string `yaml:"purpose"`
}

// Subject says where a person is identified: foreign keys are followed
// from there.
type Subject struct {
	Source string `yaml:"source"`
	Table  string `yaml:"table"`
	Column string `yaml:"column"`
	Key    string `yaml:"key"`
}

// Retention is a rule: data older than MaxAge must go.
type Retention struct {
	Source string `yaml:"source"`
	// Table and Column (a date or timestamp) for a database; Path (a
	// glob relative to the source's directory, "" for all) for files,
	// whose age is their modification time.
	Table  string   `yaml:"table"`
	Column string   `yaml:"column"`
	Path   string   `yaml:"path"`
	MaxAge Duration `yaml:"max_age"`
	Basis  string   `yaml:"basis"`
}

// Keep names rows that must be anonymised instead of deleted.
type Keep struct {
	Source    string   `yaml:"source"`
	Table     string   `yaml:"table"`
	Anonymise []string `yaml:"anonymise"`
}

// Consent names the column that records a table's consent or purpose.
// A row whose consent is withdrawn (false, "no", "withdrawn", "revoked",
// "0") or missing (NULL, "") while the row is kept is reported.
type Consent struct {
	Source string `yaml:"source"`
	Table  string `yaml:"table"`
	Column string `yaml:"column"`
}

// Backup declares backups of a source that an erasure cannot rewrite: a
// subject found in the source is listed in the erasure certificate as not
// erased from them, until they expire MaxAge after the erasure.
type Backup struct {
	Source string   `yaml:"source"`
	What   string   `yaml:"what"`
	MaxAge Duration `yaml:"max_age"`
}

// Duration is a maximum age written as a number and a unit: y (years of
// 365.25 days), m (months of 1/12 year), w, d or h ("8y", "18m", "90d").
type Duration struct {
	N    int
	Unit byte
}

var durationRE = regexp.MustCompile(`^([0-9]{1,5})([ymwdh])$`)

// ParseDuration reads a maximum age such as "8y".
func ParseDuration(s string) (Duration, error) {
	m := durationRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Duration{}, fmt.Errorf("max_age %q: write a number and a unit (y, m, w, d or h), such as 8y or 90d", s)
	}
	n, _ := strconv.Atoi(m[1])
	if n == 0 {
		return Duration{}, fmt.Errorf("max_age %q: must be more than zero", s)
	}
	return Duration{N: n, Unit: m[2][0]}, nil
}

// String writes d as it is written in a map.
func (d Duration) String() string {
	if d.N == 0 {
		return ""
	}
	return strconv.Itoa(d.N) + string(d.Unit)
}

// Before returns the moment before which data is older than d at now.
// Years and months are calendar years and months.
func (d Duration) Before(now time.Time) time.Time {
	switch d.Unit {
	case 'y':
		return now.AddDate(-d.N, 0, 0)
	case 'm':
		return now.AddDate(0, -d.N, 0)
	case 'w':
		return now.AddDate(0, 0, -7*d.N)
	case 'd':
		return now.AddDate(0, 0, -d.N)
	default:
		return now.Add(-time.Duration(d.N) * time.Hour)
	}
}

// After returns the moment d after t (Before's mirror).
func (d Duration) After(t time.Time) time.Time {
	switch d.Unit {
	case 'y':
		return t.AddDate(d.N, 0, 0)
	case 'm':
		return t.AddDate(0, d.N, 0)
	case 'w':
		return t.AddDate(0, 0, 7*d.N)
	case 'd':
		return t.AddDate(0, 0, d.N)
	default:
		return t.Add(time.Duration(d.N) * time.Hour)
	}
}

// UnmarshalYAML reads a Duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: max_age must be a string such as 8y", n.Line)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// MarshalYAML writes a Duration.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// DefaultPath is where the map is read from without --map:
// $XDG_CONFIG_HOME/vigil/data.yaml (~/.config when unset).
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot tell where the data map is (set XDG_CONFIG_HOME or give --map): %w", err)
	}
	return filepath.Join(dir, "vigil", "data.yaml"), nil
}

// Load reads and validates the map at path.
func Load(path string) (*Map, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no data map at %s (vigil data init writes an example): %w", path, err)
		}
		return nil, fmt.Errorf("cannot read the data map: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxMapSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the data map %s: %w", path, err)
	}
	if len(b) > MaxMapSize {
		return nil, fmt.Errorf("the data map %s is larger than %d bytes", path, MaxMapSize)
	}
	m, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("data map %s: %w", path, err)
	}
	return m, nil
}

// Parse reads a map and validates it: unknown keys, unknown source types,
// references to undeclared sources and passwords in a DSN are errors.
func Parse(b []byte) (*Map, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var m Map
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the map is empty: it needs at least one source")
		}
		return nil, fmt.Errorf("not a valid data map: %w", err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$.]{0,127}$`)

// Validate checks the map's rules.
func (m *Map) Validate() error {
	if len(m.Sources) == 0 {
		return errors.New("the map declares no source")
	}
	names := map[string]*Source{}
	for i := range m.Sources {
		s := &m.Sources[i]
		if err := s.validate(); err != nil {
			return fmt.Errorf("source %d (%q): %w", i+1, s.Name, err)
		}
		if names[s.Name] != nil {
			return fmt.Errorf("source %q is declared twice", s.Name)
		}
		names[s.Name] = s
	}
	ref := func(what string, i int, src string) (*Source, error) {
		s := names[src]
		if s == nil {
			return nil, fmt.Errorf("%s %d: source %q is not declared under sources", what, i+1, src)
		}
		return s, nil
	}
	ident := func(what string, i int, field, v string) error {
		if !identRE.MatchString(v) {
			return fmt.Errorf("%s %d: %s %q is not a table or column name", what, i+1, field, v)
		}
		return nil
	}
	for i, su := range m.Subjects {
		s, err := ref("subject", i, su.Source)
		if err != nil {
			return err
		}
		if s.Type == Files {
			if su.Key == "" {
				return fmt.Errorf("subject %d: a files source needs key", i+1)
			}
			continue
		}
		for _, c := range [][2]string{{"table", su.Table}, {"column", su.Column}} {
			if err := ident("subject", i, c[0], c[1]); err != nil {
				return err
			}
		}
		if su.Key == "" {
			return fmt.Errorf("subject %d: key is missing (the name given to --subject KEY=VALUE)", i+1)
		}
	}
	for i, r := range m.Retention {
		s, err := ref("retention rule", i, r.Source)
		if err != nil {
			return err
		}
		if r.MaxAge.N == 0 {
			return fmt.Errorf("retention rule %d: max_age is missing", i+1)
		}
		if s.Type == Files {
			if r.Table != "" || r.Column != "" {
				return fmt.Errorf("retention rule %d: a files source takes path, not table or column", i+1)
			}
			if _, err := filepath.Match(r.Path, ""); err != nil {
				return fmt.Errorf("retention rule %d: path %q is not a valid pattern", i+1, r.Path)
			}
			continue
		}
		if err := ident("retention rule", i, "table", r.Table); err != nil {
			return err
		}
		if err := ident("retention rule", i, "column", r.Column); err != nil {
			return err
		}
	}
	for i, b := range m.Backups {
		if _, err := ref("backup", i, b.Source); err != nil {
			return err
		}
		if strings.TrimSpace(b.What) == "" {
			return fmt.Errorf("backup %d: what is missing (say what the backup is, e.g. \"nightly pg_dump to /backup\")", i+1)
		}
		if b.MaxAge.N == 0 {
			return fmt.Errorf("backup %d: max_age is missing (how long a backup is kept)", i+1)
		}
	}
	for i, k := range m.Keep {
		s, err := ref("keep rule", i, k.Source)
		if err != nil {
			return err
		}
		if s.Type == Files {
			return fmt.Errorf("keep rule %d: rows are kept in databases, not in a files source", i+1)
		}
		if err := ident("keep rule", i, "table", k.Table); err != nil {
			return err
		}
		if len(k.Anonymise) == 0 {
			return fmt.Errorf("keep rule %d: anonymise lists no column", i+1)
		}
		for _, c := range k.Anonymise {
			if err := ident("keep rule", i, "column", c); err != nil {
				return err
			}
		}
	}
	for i, c := range m.Consent {
		s, err := ref("consent rule", i, c.Source)
		if err != nil {
			return err
		}
		if s.Type == Files {
			return fmt.Errorf("consent rule %d: consent is recorded in database tables, not in a files source", i+1)
		}
		if err := ident("consent rule", i, "table", c.Table); err != nil {
			return err
		}
		if err := ident("consent rule", i, "column", c.Column); err != nil {
			return err
		}
	}
	return nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func (s *Source) validate() error {
	if !nameRE.MatchString(s.Name) {
		return errors.New("name must be letters, digits, '.', '_' or '-' (at most 64)")
	}
	switch s.TLS {
	case TLSAuto, TLSVerify, TLSDisable:
	default:
		return fmt.Errorf("tls %q: use verify or disable (or leave it out)", s.TLS)
	}
	if s.PasswordEnv != "" && s.PasswordFile != "" {
		return errors.New("give password_env or password_file, not both")
	}
	for _, a := range s.Applications {
		if strings.TrimSpace(a) == "" {
			return errors.New("applications holds an empty role name")
		}
	}
	switch s.Type {
	case Postgres, MySQL:
		if s.DSN == "" {
			return fmt.Errorf("a %s source needs dsn", s.Type)
		}
		if s.Path != "" {
			return fmt.Errorf("a %s source takes dsn, not path", s.Type)
		}
		if _, err := ParseDSN(s.Type, s.DSN); err != nil {
			return err
		}
	case SQLite, Files:
		if s.Path == "" {
			return fmt.Errorf("a %s source needs path", s.Type)
		}
		if !filepath.IsAbs(s.Path) {
			return fmt.Errorf("path %q must be absolute", s.Path)
		}
		if s.DSN != "" || s.PasswordEnv != "" || s.PasswordFile != "" || s.TLS != "" || s.CA != "" {
			return fmt.Errorf("a %s source takes only path (no dsn, password or tls)", s.Type)
		}
	case "":
		return errors.New("type is missing: postgres, mysql, sqlite or files")
	default:
		return fmt.Errorf("type %q: use postgres, mysql, sqlite or files", s.Type)
	}
	return nil
}

// Source returns the source named name.
func (m *Map) Source(name string) (*Source, bool) {
	for i := range m.Sources {
		if m.Sources[i].Name == name {
			return &m.Sources[i], true
		}
	}
	return nil, false
}

// Password returns the source's password: the variable password_env
// names, or the first line of password_file (which must not be readable
// by others). A source with neither has no password.
func (s *Source) Password() (string, error) {
	switch {
	case s.PasswordEnv != "":
		v, ok := os.LookupEnv(s.PasswordEnv)
		if !ok {
			return "", fmt.Errorf("source %s: the environment variable %s (password_env) is not set", s.Name, s.PasswordEnv)
		}
		return v, nil
	case s.PasswordFile != "":
		fi, err := os.Stat(s.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("source %s: cannot read password_file: %w", s.Name, err)
		}
		if fi.Mode().Perm()&0o004 != 0 {
			return "", fmt.Errorf("source %s: password_file %s is readable by everyone: chmod 600 it first", s.Name, s.PasswordFile)
		}
		if fi.Size() > 4096 {
			return "", fmt.Errorf("source %s: password_file %s is too large to be a password", s.Name, s.PasswordFile)
		}
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("source %s: cannot read password_file: %w", s.Name, err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	return "", nil
}
