package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

// hostDoc is a stored host audit of a machine, finished at end.
func hostDoc(n int, end time.Time, h *facts.HostAudit) *result.Document {
	d := result.Assemble(storetest.ID(n), end.Add(-time.Second), end, []string{h.Hostname}, nil, nil, nil)
	d.Kind = result.KindHost
	d.HostAudit = h
	return d
}

func TestSaveKeepsTheKind(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		scan := storetest.Document(0, 1, 1, 0)
		host := hostDoc(1, storetest.Base.Add(time.Hour), &facts.HostAudit{Hostname: "srv1"})
		for _, d := range []*result.Document{scan, host} {
			if err := s.Save(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		list, err := s.List(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]string{}
		for _, sm := range list {
			kinds[sm.ID] = sm.Kind
		}
		if kinds[scan.ID] != "" || kinds[host.ID] != result.KindHost {
			t.Errorf("kinds = %v", kinds)
		}
		got, err := s.Get(ctx, host.ID)
		if err != nil || got.Kind != result.KindHost || got.HostAudit == nil || got.HostAudit.Hostname != "srv1" {
			t.Errorf("Get = %+v, %v", got, err)
		}
	})
}

func TestHostAudits(t *testing.T) {
	t0 := storetest.Base
	local := &facts.HostAudit{Hostname: "srv1", Addresses: []string{"127.0.0.1", "10.0.0.5", "::1", "fe80::1%eth0", "::ffff:10.0.0.6"},
		Listeners: []facts.Listener{{Transport: "tcp", Address: "0.0.0.0", Port: 22}, {Transport: "tcp", Address: "127.0.2.12", Port: 2222}, {Transport: "tcp", Address: "10.0.0.5", Port: 443}}}
	remote := &facts.HostAudit{Hostname: "db1", Remote: "root@10.0.0.9:2200", Addresses: []string{"127.0.0.1", "10.0.0.9", "::1"},
		Listeners: []facts.Listener{{Transport: "tcp", Address: "127.0.0.1", Port: 5432}, {Transport: "tcp", Address: "::", Port: 22}}}
	lab := &facts.HostAudit{Hostname: "srv1", Remote: "root@127.0.2.13", Addresses: []string{"127.0.0.1", "10.0.0.5"}}
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		docs := []*result.Document{
			hostDoc(1, t0.Add(-10*24*time.Hour), &facts.HostAudit{Hostname: "old", Addresses: []string{"10.9.9.9"}}), // before since
			hostDoc(2, t0.Add(time.Hour), local),
			hostDoc(3, t0.Add(2*time.Hour), remote),
			hostDoc(4, t0.Add(3*time.Hour), lab),
			storetest.Document(5, 2, 1, 0), // a network scan vouches for nothing
		}
		for _, d := range docs {
			if err := s.Save(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.HostAudits(ctx, t0.Add(-7*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]time.Time{
			// The local audit vouches for loopback too; the later remote
			// audit of the same machine (lab) updates what both name.
			"srv1": t0.Add(3 * time.Hour), "127.0.0.1": t0.Add(time.Hour), "::1": t0.Add(time.Hour), "10.0.0.5": t0.Add(3 * time.Hour),
			"fe80::1": t0.Add(time.Hour), "10.0.0.6": t0.Add(time.Hour), "127.0.2.12": t0.Add(time.Hour),
			// The remote audit: not its loopback, but the host reached.
			"db1": t0.Add(2 * time.Hour), "10.0.0.9": t0.Add(2 * time.Hour),
			// A remote audit of a loopback address vouches for that address.
			"127.0.2.13": t0.Add(3 * time.Hour),
		}
		if !maps.EqualFunc(got, want, func(a, b time.Time) bool { return a.Equal(b) }) {
			keys := slices.Sorted(maps.Keys(got))
			t.Errorf("HostAudits = %v\n(keys %v)\nwant %v", got, keys, want)
		}
		none, err := s.HostAudits(ctx, t0.Add(4*time.Hour))
		if err != nil || len(none) != 0 {
			t.Errorf("HostAudits after the last audit = %v, %v", none, err)
		}
	})
}

// TestMigrationFillsKind opens a store written before the kind column
// existed: the column is added and host audits already stored get their
// kind.
func TestMigrationFillsKind(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			ctx := t.Context()
			old := oldStore(t, dsn, ms[0])
			host := hostDoc(1, storetest.Base, &facts.HostAudit{Hostname: "srv1"})
			scan := storetest.Document(2, 1, 1, 0)
			for _, d := range []*result.Document{host, scan} {
				body, _ := json.Marshal(d)
				if _, err := old.ExecContext(ctx, rebindFor(b.name, `INSERT INTO scans (id, started, finished, targets, label, level, document) VALUES (?, ?, ?, '[]', '', ?, ?)`),
					d.ID, formatTime(d.Started), formatTime(d.Finished), d.Level.Value, string(body)); err != nil {
					t.Fatal(err)
				}
			}
			old.Close()
			s, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			list, err := s.List(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]string{}
			for _, sm := range list {
				kinds[sm.ID] = sm.Kind
			}
			if kinds[host.ID] != result.KindHost || kinds[scan.ID] != "" {
				t.Errorf("kinds after migration = %v", kinds)
			}
			audits, err := s.HostAudits(ctx, time.Time{})
			if err != nil || !audits["srv1"].Equal(host.Finished) {
				t.Errorf("HostAudits = %v, %v", audits, err)
			}
		})
	}
}

// oldStore creates the schema of migration m only, as an older vigil did.
func oldStore(t *testing.T, dsn string, m migration) *sql.DB {
	t.Helper()
	driver, target, err := parseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	name, src := "sqlite", target
	if driver == postgres {
		name = "pgx"
	} else {
		src = filepath.Clean(target)
	}
	db, err := sql.Open(name, src)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, st := range splitStatements(m.sql) {
		if _, err := db.ExecContext(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, rebindFor(name, "INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)"), m.version, m.name, formatTime(time.Now())); err != nil {
		t.Fatal(err)
	}
	return db
}

// rebindFor rewrites ? placeholders for PostgreSQL.
func rebindFor(driver, q string) string {
	if driver != "postgres" && driver != "pgx" {
		return q
	}
	return (&Store{dialect: postgres}).rebind(q)
}
