package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// backend opens an empty store of one kind.
type backend struct {
	name string
	dsn  func(t *testing.T) string
}

var backends = []backend{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "vigil.db") }},
	{"postgres", func(t *testing.T) string { return storetest.Postgres(t) }},
}

// eachBackend runs f once per backend, with a fresh empty store.
func eachBackend(t *testing.T, f func(t *testing.T, s *Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, err := Open(t.Context(), b.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			f(t, s)
		})
	}
}

// jsonOf renders a document as JSON for comparisons, normalised by one
// round trip (JSON writes invalid UTF-8 as \ufffd, which reads back as U+FFFD).
func jsonOf(t *testing.T, doc *result.Document) string {
	t.Helper()
	var b bytes.Buffer
	if err := doc.Write(&b); err != nil {
		t.Fatal(err)
	}
	again, err := result.Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := again.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// firstDiff shows where two strings start to differ.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("at byte %d:\nwant …%.160s\nhave …%.160s", i, a[from:], b[from:])
}

// docAt is a small document with a chosen id and start time.
func docAt(id string, started time.Time, label string) *result.Document {
	d := storetest.Document(int(started.Sub(storetest.Base)/time.Minute), 2, 3, 0)
	d.ID = id
	d.Label = label
	return d
}

func TestSaveGetRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		tests := []struct {
			name string
			doc  *result.Document
		}{
			{"small", storetest.Document(1, 1, 1, 0)},
			{"no hosts", storetest.Document(2, 0, 0, 0)},
			{"many findings", storetest.Document(3, 40, 30, 300)}, // 1200 findings: several INSERT batches
			{"hostile strings", func() *result.Document {
				d := storetest.Document(4, 1, 2, 0)
				d.Label = "office \x1b[2J \u202e"
				d.Findings[0].Title = "bad \x00 bytes \xff\xfe"
				d.Hosts[0].Services[0].Banner = "\x00\x01\x02 ☃"
				return d
			}()},
		}
		for _, tt := range tests {
			if err := s.Save(t.Context(), tt.doc); err != nil {
				t.Fatalf("%s: Save: %v", tt.name, err)
			}
		}
		for _, tt := range tests {
			got, err := s.Get(t.Context(), tt.doc.ID)
			if err != nil {
				t.Fatalf("%s: Get: %v", tt.name, err)
			}
			// JSON turns invalid UTF-8 into U+FFFD, so compare JSON forms.
			if want, have := jsonOf(t, tt.doc), jsonOf(t, got); want != have {
				t.Errorf("%s: stored document differs %s", tt.name, firstDiff(want, have))
			}
			var nh, nf int
			if err := s.db.QueryRowContext(t.Context(), s.rebind("SELECT COUNT(*) FROM hosts WHERE scan_id = ?"), tt.doc.ID).Scan(&nh); err != nil {
				t.Fatal(err)
			}
			if err := s.db.QueryRowContext(t.Context(), s.rebind("SELECT COUNT(*) FROM findings WHERE scan_id = ?"), tt.doc.ID).Scan(&nf); err != nil {
				t.Fatal(err)
			}
			if nh != len(tt.doc.Hosts) || nf != len(tt.doc.Findings) {
				t.Errorf("%s: %d host rows and %d finding rows, want %d and %d", tt.name, nh, nf, len(tt.doc.Hosts), len(tt.doc.Findings))
			}
		}
		// The normalised rows carry the finding's fields.
		d := tests[0].doc
		f := d.Findings[0]
		var check, sev, host, transport, title string
		var port int
		if err := s.db.QueryRowContext(t.Context(), s.rebind("SELECT check_id, severity, host, port, transport, title FROM findings WHERE scan_id = ? AND id = ?"),
			d.ID, f.ID).Scan(&check, &sev, &host, &port, &transport, &title); err != nil {
			t.Fatal(err)
		}
		if check != f.Check || sev != f.Severity.String() || host != f.Host || port != f.Port || transport != f.Transport || title != f.Title {
			t.Errorf("finding row = %s %s %s %d %s %q, want %+v", check, sev, host, port, transport, title, f)
		}
		var level int
		if err := s.db.QueryRowContext(t.Context(), s.rebind("SELECT level FROM hosts WHERE scan_id = ? AND address = ?"),
			d.ID, d.Hosts[0].Address).Scan(&level); err != nil || level != d.Hosts[0].Level {
			t.Errorf("host row level = %d (%v), want %d", level, err, d.Hosts[0].Level)
		}
	})
}

func TestRefs(t *testing.T) {
	base := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	docs := []*result.Document{
		docAt("20260501T090000Z-aaaa1111", base, "office"),
		docAt("20260501T090000Z-aaaa2222", base.Add(time.Hour), ""),
		docAt("20260502T090000Z-bbbb0000", base.Add(24*time.Hour), "hosted"),
		// Same start as the previous one: the id breaks the tie.
		docAt("20260502T090000Z-cccc0000", base.Add(24*time.Hour), ""),
	}
	tests := []struct {
		ref     string
		want    string // id, or "" when an error is expected
		wantErr error  // sentinel, or nil for any error
		msg     string // part of the error message
	}{
		{"", "20260502T090000Z-cccc0000", nil, ""},
		{"latest", "20260502T090000Z-cccc0000", nil, ""},
		{"latest~0", "20260502T090000Z-cccc0000", nil, ""},
		{"latest~1", "20260502T090000Z-bbbb0000", nil, ""},
		{"latest~3", "20260501T090000Z-aaaa1111", nil, ""},
		{"latest~4", "", ErrNotFound, "only 4 scan(s) are stored"},
		{"latest~-1", "", nil, "latest~1"},
		{"latest~x", "", nil, "how many scans to go back"},
		{"20260501T090000Z-aaaa2222", "20260501T090000Z-aaaa2222", nil, ""},
		{"20260501T090000Z-aaaa1", "20260501T090000Z-aaaa1111", nil, ""},
		{"20260502T090000Z-b", "20260502T090000Z-bbbb0000", nil, ""},
		{"20260501", "", ErrAmbiguous, "20260501T090000Z-aaaa1111"},
		{"2026", "", ErrAmbiguous, "give more of the id"},
		{"20260503", "", ErrNotFound, "vigil scans"},
		{"%", "", ErrNotFound, ""}, // no LIKE wildcards
		{"_", "", ErrNotFound, ""}, // no LIKE wildcards
		{"' OR 1=1 --", "", ErrNotFound, ""},
	}
	eachBackend(t, func(t *testing.T, s *Store) {
		for _, d := range docs {
			if err := s.Save(t.Context(), d); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range tests {
			got, err := s.Get(t.Context(), tt.ref)
			switch {
			case tt.want != "":
				if err != nil {
					t.Errorf("Get(%q): %v, want %s", tt.ref, err, tt.want)
				} else if got.ID != tt.want {
					t.Errorf("Get(%q) = %s, want %s", tt.ref, got.ID, tt.want)
				}
			case err == nil:
				t.Errorf("Get(%q) = %s, want an error", tt.ref, got.ID)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("Get(%q) error %q is not %v", tt.ref, err, tt.wantErr)
			case !strings.Contains(err.Error(), tt.msg):
				t.Errorf("Get(%q) error %q does not mention %q", tt.ref, err, tt.msg)
			}
		}
	})
}

func TestLatestPair(t *testing.T) {
	// scan is a stored scan: its number (start minute), targets and kind.
	type scan struct {
		n       int
		targets []string
		kind    string
	}
	office, lab := []string{"10.0.0.0/24"}, []string{"127.0.2.10-14"}
	tests := []struct {
		name         string
		scans        []scan
		older, newer int // numbers of the pair; -1 when an error is expected
		msg          string
	}{
		{"two scans of the same targets", []scan{{1, office, ""}, {2, office, ""}}, 1, 2, ""},
		{"a scan of other targets in between", []scan{{1, office, ""}, {2, lab, ""}, {3, office, ""}}, 1, 3, ""},
		{"the newest of several", []scan{{1, office, ""}, {2, office, ""}, {3, lab, ""}, {4, office, ""}}, 2, 4, ""},
		{"targets in another order", []scan{{1, []string{"10.0.0.2", "10.0.0.1"}, ""}, {2, lab, ""}, {3, []string{"10.0.0.1", "10.0.0.2"}, ""}}, 1, 3, ""},
		{"host audits are passed over", []scan{{1, office, ""}, {2, office, "host"}, {3, office, ""}, {4, office, "host"}}, 1, 3, ""},
		{"host audits when no network scan is stored", []scan{{1, []string{"db1"}, "host"}, {2, []string{"db2"}, "host"}, {3, []string{"db1"}, "host"}}, 1, 3, ""},
		{"the newest scan is the only one of its targets", []scan{{1, office, ""}, {2, office, ""}, {3, lab, ""}}, -1, -1,
			"the only scan of 127.0.2.10-14"},
		{"one scan", []scan{{1, office, ""}}, -1, -1, "the only scan of 10.0.0.0/24"},
		{"no scan", nil, -1, -1, "run 'vigil scan' first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, s *Store) {
				// Saved newest first: the pair goes by start time, not by
				// the order of saving.
				for i := len(tt.scans) - 1; i >= 0; i-- {
					sc := tt.scans[i]
					d := storetest.Document(sc.n, 1, 1, 0)
					d.Targets, d.Kind = sc.targets, sc.kind
					if err := s.Save(t.Context(), d); err != nil {
						t.Fatal(err)
					}
				}
				older, newer, err := s.LatestPair(t.Context())
				if tt.older < 0 {
					if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), tt.msg) {
						t.Errorf("LatestPair = %s, %s, %v; want an error saying %q", older, newer, err, tt.msg)
					}
					return
				}
				if err != nil || older != storetest.ID(tt.older) || newer != storetest.ID(tt.newer) {
					t.Errorf("LatestPair = %s, %s, %v; want scans %d and %d (%s, %s)", older, newer, err,
						tt.older, tt.newer, storetest.ID(tt.older), storetest.ID(tt.newer))
				}
			})
		})
	}
}

func TestEmptyStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		_, err := s.Get(t.Context(), "latest")
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "vigil scan") {
			t.Errorf("Get(latest) on an empty store: %v", err)
		}
		list, err := s.List(t.Context(), 0)
		if err != nil || len(list) != 0 || list == nil {
			t.Errorf("List on an empty store = %#v, %v; want an empty, non-nil list", list, err)
		}
	})
}

func TestList(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		var docs []*result.Document
		for n := range 5 {
			d := storetest.Document(10+n, n, 2, 0) // n hosts, 2 findings each
			docs = append(docs, d)
		}
		// Save out of order: the listing is by start time, not by insertion.
		for _, i := range []int{2, 0, 4, 1, 3} {
			if err := s.Save(t.Context(), docs[i]); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			limit int
			want  int
		}{{0, 5}, {-1, 5}, {2, 2}, {5, 5}, {9, 5}}
		for _, tt := range tests {
			list, err := s.List(t.Context(), tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != tt.want {
				t.Fatalf("List(%d) returned %d scans, want %d", tt.limit, len(list), tt.want)
			}
			for i, sm := range list {
				d := docs[len(docs)-1-i]
				want := map[finding.Severity]int{finding.Critical: 0, finding.High: 0, finding.Medium: 0, finding.Low: 0, finding.Info: 0}
				for _, f := range d.Findings {
					want[f.Severity]++
				}
				if sm.ID != d.ID || !sm.Started.Equal(d.Started) || !sm.Finished.Equal(d.Finished) || sm.Label != d.Label ||
					sm.Level != d.Level.Value || sm.Hosts != len(d.Hosts) || fmt.Sprint(sm.Targets) != fmt.Sprint(d.Targets) ||
					fmt.Sprint(sm.Findings) != fmt.Sprint(want) {
					t.Errorf("List(%d)[%d] = %+v, want id %s started %s label %q level %d hosts %d targets %v findings %v",
						tt.limit, i, sm, d.ID, d.Started, d.Label, d.Level.Value, len(d.Hosts), d.Targets, want)
				}
			}
		}
		// The JSON form names severities.
		list, _ := s.List(t.Context(), 1)
		b, _ := json.Marshal(list[0])
		if !strings.Contains(string(b), `"critical":`) || !strings.Contains(string(b), `"hosts":4`) {
			t.Errorf("Summary JSON = %s", b)
		}
	})
}

func TestSaveRefuses(t *testing.T) {
	dup := storetest.Document(20, 1, 1, 0)
	tests := []struct {
		name    string
		doc     *result.Document
		wantErr error
		msg     string
	}{
		{"nil", nil, nil, "empty"},
		{"no id", func() *result.Document { d := storetest.Document(21, 1, 1, 0); d.ID = " "; return d }(), nil, "without an id"},
		{"id with control bytes", func() *result.Document { d := storetest.Document(21, 1, 1, 0); d.ID = "x\x1b[0m"; return d }(), nil, "printable"},
		{"wrong schema", func() *result.Document { d := storetest.Document(22, 1, 1, 0); d.Schema = "other/v9"; return d }(), nil, "schema"},
		{"invalid severity", func() *result.Document { d := storetest.Document(23, 1, 1, 0); d.Findings[0].Severity = 9; return d }(), nil, "severity"},
		{"duplicate", dup, ErrExists, dup.ID},
	}
	eachBackend(t, func(t *testing.T, s *Store) {
		if err := s.Save(t.Context(), dup); err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			err := s.Save(t.Context(), tt.doc)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%s: Save error %v, want %v mentioning %q", tt.name, err, tt.wantErr, tt.msg)
			}
		}
		list, err := s.List(t.Context(), 0)
		if err != nil || len(list) != 1 {
			t.Errorf("after refused saves the store holds %d scans (%v), want 1", len(list), err)
		}
	})
}

// A save that fails after the scan row was written leaves nothing behind.
func TestSaveIsAtomic(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		d := storetest.Document(30, 20, 20, 0)
		d.Findings[len(d.Findings)-1].Port = 70000 // violates the port check of the last batch row
		err := s.Save(t.Context(), d)
		if err == nil {
			t.Fatal("saving a finding on port 70000 succeeded")
		}
		for _, table := range []string{"scans", "hosts", "findings"} {
			var n int
			if err := s.db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("after a failed save, %s has %d rows", table, n)
			}
		}
		if _, err := s.Get(t.Context(), d.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after a failed save: %v", err)
		}
		// A cancelled context aborts the save the same way.
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.Save(ctx, storetest.Document(31, 2, 2, 0)); err == nil {
			t.Error("Save with a cancelled context succeeded")
		}
		if list, _ := s.List(t.Context(), 0); len(list) != 0 {
			t.Errorf("the store holds %d scans after failed saves", len(list))
		}
	})
}

// Several stores on one database, saving at once, all succeed.
func TestConcurrentSaves(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			const writers, each = 6, 5
			var wg sync.WaitGroup
			errs := make(chan error, writers*each+writers)
			for w := range writers {
				wg.Go(func() {
					s, err := Open(t.Context(), dsn) // concurrent migrations, too
					if err != nil {
						errs <- err
						return
					}
					defer s.Close()
					for i := range each {
						if err := s.Save(t.Context(), storetest.Document(100+w*each+i, 5, 10, 200)); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			s, err := Open(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			list, err := s.List(t.Context(), 0)
			if err != nil || len(list) != writers*each {
				t.Errorf("%d scans stored (%v), want %d", len(list), err, writers*each)
			}
		})
	}
}

func TestMigrations(t *testing.T) {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		t.Fatalf("migrations: %v, %d", err, len(ms))
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("migration %s has version %d, want %d (no gaps)", m.name, m.version, i+1)
		}
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			for range 2 { // a second Open applies nothing
				s, err := Open(t.Context(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				var n, top int
				if err := s.db.QueryRowContext(t.Context(), "SELECT COUNT(*), MAX(version) FROM schema_migrations").Scan(&n, &top); err != nil {
					t.Fatal(err)
				}
				if n != len(ms) || top != len(ms) {
					t.Errorf("schema_migrations has %d rows up to %d, want %d", n, top, len(ms))
				}
				s.Close()
			}
			// A store from a newer vigil is refused, not damaged.
			s, _ := Open(t.Context(), dsn)
			if _, err := s.db.ExecContext(t.Context(), s.rebind("INSERT INTO schema_migrations (version, name, applied) VALUES (?, 'future', 'x')"), len(ms)+1); err != nil {
				t.Fatal(err)
			}
			s.Close()
			if _, err := Open(t.Context(), dsn); err == nil || !strings.Contains(err.Error(), "newer vigil") {
				t.Errorf("Open of a newer store: %v", err)
			}
		})
	}
}

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"-- only a comment;\n", nil},
		{"CREATE TABLE a (x TEXT); CREATE INDEX i ON a (x);", []string{"CREATE TABLE a (x TEXT)", "CREATE INDEX i ON a (x)"}},
		{"INSERT INTO a VALUES ('x;y'); -- c;d\nSELECT 1", []string{"INSERT INTO a VALUES ('x;y')", "-- c;d\nSELECT 1"}},
		{`CREATE TABLE "a;b" (x TEXT)`, []string{`CREATE TABLE "a;b" (x TEXT)`}},
	}
	for _, tt := range tests {
		if got := splitStatements(tt.in); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
			t.Errorf("splitStatements(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT id FROM scans WHERE id = ? AND x = ?", "SELECT id FROM scans WHERE id = $1 AND x = $2"},
		{"SELECT '?' FROM t WHERE a = ?", "SELECT '?' FROM t WHERE a = $1"},
	}
	pg := &Store{dialect: postgres}
	lite := &Store{dialect: sqlite}
	for _, tt := range tests {
		if got := pg.rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := lite.rebind(tt.in); got != tt.in {
			t.Errorf("SQLite rebind changed %q to %q", tt.in, got)
		}
	}
}

func TestParseDSN(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data/home")
	tests := []struct {
		dsn    string
		kind   dialect
		target string
		msg    string
	}{
		{"", sqlite, "/data/home/vigil/vigil.db", ""},
		{"scans.db", sqlite, "scans.db", ""},
		{"/var/lib/vigil/v.db", sqlite, "/var/lib/vigil/v.db", ""},
		{"sqlite:/tmp/v.db", sqlite, "/tmp/v.db", ""},
		{"sqlite:///tmp/v.db", sqlite, "/tmp/v.db", ""},
		{"sqlite:rel.db", sqlite, "rel.db", ""},
		{"postgres://u:p@127.0.0.1/vigil", postgres, "postgres://u:p@127.0.0.1/vigil", ""},
		{"postgresql://127.0.0.1/vigil?sslmode=disable", postgres, "postgresql://127.0.0.1/vigil?sslmode=disable", ""},
		{"sqlite:", 0, "", "names no file"},
		{"mysql://u@h/db", 0, "", `"mysql"`},
	}
	for _, tt := range tests {
		kind, target, err := parseDSN(tt.dsn)
		switch {
		case tt.msg != "":
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("parseDSN(%q) error %v, want one mentioning %q", tt.dsn, err, tt.msg)
			}
		case err != nil || kind != tt.kind || target != tt.target:
			t.Errorf("parseDSN(%q) = %v %q %v, want %v %q", tt.dsn, kind, target, err, tt.kind, tt.target)
		}
	}
}

func TestDefaultPath(t *testing.T) {
	tests := []struct{ xdg, home, want string }{
		{"/x/data", "/home/u", "/x/data/vigil/vigil.db"},
		{"", "/home/u", "/home/u/.local/share/vigil/vigil.db"},
		{"relative/data", "/home/u", "/home/u/.local/share/vigil/vigil.db"}, // XDG: relative paths are ignored
	}
	for _, tt := range tests {
		t.Setenv("XDG_DATA_HOME", tt.xdg)
		t.Setenv("HOME", tt.home)
		if got, err := DefaultPath(); err != nil || got != tt.want {
			t.Errorf("XDG_DATA_HOME=%q HOME=%q: %q, %v; want %q", tt.xdg, tt.home, got, err, tt.want)
		}
	}
}

// The default store is created with private permissions, in WAL mode with
// foreign keys on, and its forms of --db all reach the same file.
func TestOpenSQLiteFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dir)
	s, err := Open(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "vigil", "vigil.db")
	if s.Where() != path {
		t.Errorf("Where() = %q, want %q", s.Where(), path)
	}
	if err := s.Save(t.Context(), storetest.Document(40, 1, 1, 0)); err != nil {
		t.Fatal(err)
	}
	var mode string
	var fk, busy, sync int
	for q, dst := range map[string]any{"PRAGMA journal_mode": &mode, "PRAGMA foreign_keys": &fk, "PRAGMA busy_timeout": &busy, "PRAGMA synchronous": &sync} {
		if err := s.db.QueryRowContext(t.Context(), q).Scan(dst); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if mode != "wal" || fk != 1 || busy != busyTimeoutMS || sync != 2 {
		t.Errorf("journal_mode %s, foreign_keys %d, busy_timeout %d, synchronous %d; want wal, 1, %d, 2", mode, fk, busy, sync, busyTimeoutMS)
	}
	// SQLite's own files, which hold scan data too, are as private.
	for _, side := range []string{"-wal", "-shm"} {
		fi, err := os.Stat(path + side)
		if err != nil {
			t.Errorf("%s%s: %v", path, side, err)
		} else if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s%s has mode %v, want 0600", path, side, fi.Mode())
		}
	}
	s.Close()
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700 | os.ModeDir} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode(), want)
		}
	}
	for _, dsn := range []string{path, "sqlite:" + path, "sqlite://" + path} {
		s, err := Open(t.Context(), dsn)
		if err != nil {
			t.Fatalf("Open(%q): %v", dsn, err)
		}
		if _, err := s.Get(t.Context(), storetest.ID(40)); err != nil {
			t.Errorf("Open(%q) does not see the scan: %v", dsn, err)
		}
		s.Close()
	}
	// A path with URI-special characters is a file name, not a query.
	odd := filepath.Join(dir, "odd ?name#%41.db")
	s, err = Open(t.Context(), odd)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(odd); err != nil {
		t.Errorf("the store was not created at %q: %v", odd, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, bytes.Repeat([]byte("not a database\n"), 100), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ dsn, msg string }{
		{notDB, notDB},
		{"mysql://x/y", "give a file path"},
		{"postgres://nobody:secret-pw@127.0.0.1:1/vigil?sslmode=disable&connect_timeout=2", "cannot connect to the PostgreSQL"},
	}
	for _, tt := range tests {
		s, err := Open(t.Context(), tt.dsn)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", tt.dsn)
			continue
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Open(%q) error %q does not mention %q", tt.dsn, err, tt.msg)
		}
		if strings.Contains(err.Error(), "secret-pw") {
			t.Errorf("Open(%q) error reveals the password: %q", tt.dsn, err)
		}
	}
}
