package store

import (
	"context"
	"database/sql"
	"encoding/json"
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

func TestLatestHostAudits(t *testing.T) {
	t0 := storetest.Base
	m1 := facts.Machine{ID: "aaaa", NetNS: "net:[1]"}
	local := &facts.HostAudit{Hostname: "srv1", Machine: m1, Addresses: []string{"127.0.0.1", "10.0.0.5"}}
	again := &facts.HostAudit{Hostname: "srv1", Machine: m1, Remote: "root@127.0.2.13", Addresses: []string{"127.0.0.1", "10.0.0.5"}}
	other := &facts.HostAudit{Hostname: "srv1", Machine: facts.Machine{ID: "aaaa", NetNS: "net:[2]"}, Addresses: []string{"10.79.0.2"}}
	remote := &facts.HostAudit{Hostname: "db1", Remote: "root@10.0.0.9:2200", Addresses: []string{"127.0.0.1", "10.0.0.9"}}
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		docs := []*result.Document{
			hostDoc(1, t0.Add(-10*24*time.Hour), &facts.HostAudit{Hostname: "old", Addresses: []string{"10.9.9.9"}}), // before since
			hostDoc(2, t0.Add(time.Hour), local),
			hostDoc(3, t0.Add(2*time.Hour), remote),
			hostDoc(4, t0.Add(3*time.Hour), again), // the same machine, audited again (over SSH)
			hostDoc(5, t0.Add(4*time.Hour), other), // the same machine id, another network namespace
			storetest.Document(6, 2, 1, 0),         // a network scan is no host audit
		}
		for _, d := range docs {
			if err := s.Save(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.LatestHostAudits(ctx, t0.Add(-7*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range got {
			ids = append(ids, d.ID)
		}
		if want := []string{docs[3].ID, docs[2].ID, docs[4].ID}; !slices.Equal(slices.Sorted(slices.Values(ids)), slices.Sorted(slices.Values(want))) {
			t.Errorf("LatestHostAudits = %v, want %v", ids, want)
		}
		none, err := s.LatestHostAudits(ctx, t0.Add(5*time.Hour))
		if err != nil || len(none) != 0 {
			t.Errorf("LatestHostAudits after the last audit = %v, %v", none, err)
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
			audits, err := s.LatestHostAudits(ctx, time.Time{})
			if err != nil || len(audits) != 1 || audits[0].ID != host.ID {
				t.Errorf("LatestHostAudits = %v, %v", audits, err)
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
