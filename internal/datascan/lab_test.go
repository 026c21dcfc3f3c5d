package datascan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/datamap"
	"github.com/vigilsec/vigil/internal/datascan/labdata"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/pii"
	"github.com/vigilsec/vigil/internal/pii/gen"
	"github.com/vigilsec/vigil/lab"
)

// labPass is the password of the lab's vigil, clinic_app and reporting
// roles (lab/parts/data.sh).
const labPass = "vigil-lab-data-pass"

// dataLab returns the data part's manifest once its four databases are
// loaded (each writes a ready marker when its data is in).
func dataLab(t *testing.T) *lab.Manifest {
	t.Helper()
	m := lab.RequirePart(t, "data-pg-weak", "data-pg-hard", "data-maria-weak", "data-maria-hard")
	deadline := time.Now().Add(90 * time.Second)
	for _, n := range []string{"pg-weak", "pg-hard", "maria-weak", "maria-hard"} {
		p := filepath.Join(m.Dir, "data", "ready-"+n)
		for {
			if _, err := os.Stat(p); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the lab's %s database was not loaded (no %s; see %s/log/data-seed.log)", n, p, m.Dir)
			}
			select {
			case <-t.Context().Done():
				t.Fatal(t.Context().Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return m
}

func labMap(t *testing.T, m *lab.Manifest) *datamap.Map {
	t.Helper()
	t.Setenv("VIGIL_LAB_DATA_PW", labPass)
	src := func(id, typ, scheme string) string {
		s := m.Find(id)
		return fmt.Sprintf("  - {name: %s, type: %s, dsn: \"%s://vigil@%s:%d/clinic\", password_env: VIGIL_LAB_DATA_PW, applications: [clinic_app, root]}\n", id, typ, scheme, s.Host, s.Port)
	}
	y := "sources:\n" + src("data-pg-weak", "postgres", "postgres") + src("data-pg-hard", "postgres", "postgres") +
		src("data-maria-weak", "mysql", "mysql") + src("data-maria-hard", "mysql", "mysql") +
		fmt.Sprintf("  - {name: share-weak, type: files, path: %s}\n  - {name: share-hard, type: files, path: %s}\n",
			filepath.Join(m.Dir, "data", "share-weak"), filepath.Join(m.Dir, "data", "share-hard")) +
		"retention:\n" +
		"  - {source: data-pg-weak, table: visits, column: " + labdata.VisitDateColumn + ", max_age: 3y, basis: test}\n" +
		"  - {source: data-maria-weak, table: visits, column: " + labdata.VisitDateColumn + ", max_age: 3y, basis: test}\n" +
		"consent:\n  - {source: data-pg-weak, table: patients, column: " + labdata.ConsentColumn + "}\n"
	mp, err := datamap.Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return mp
}

// TestLabDataScan scans the lab's databases and shares: precision and
// recall per category against the generator's ground truth, retention
// counted exactly, the planted weaknesses found on the weak twins and
// no high finding on the hard ones.
func TestLabDataScan(t *testing.T) {
	m := dataLab(t)
	mp := labMap(t, m)
	ds := gen.Clinic(labdata.LabSeed, labdata.LabPatients)
	now := time.Now()
	res := Scan(context.Background(), mp, Options{Now: now, Host: "lab"})
	bySource := map[string]facts.DataSource{}
	for _, s := range res.Sources {
		if s.Error != "" {
			t.Fatalf("source %s: %s", s.Name, s.Error)
		}
		bySource[s.Name] = s
	}

	// Precision and recall: per source (logged), and over the lab's
	// distinct data, the PostgreSQL and MariaDB weak twins and the weak
	// share (the hard twins hold the same tables), each ≥ 0.95.
	dbTruth := labdata.Truth(ds)
	fileTruth, err := labdata.WriteFiles(t.TempDir(), ds)
	if err != nil {
		t.Fatal(err)
	}
	all := map[pii.Category]*score{}
	for _, name := range []string{"data-pg-weak", "data-pg-hard", "data-maria-weak", "data-maria-hard", "share-weak"} {
		truth := dbTruth
		if name == "share-weak" {
			truth = fileTruth
		}
		sc := evaluate(t, truth, found(&facts.DataScan{Sources: []facts.DataSource{bySource[name]}}))
		table(t, name, sc, false)
		if name == "data-pg-weak" || name == "data-maria-weak" || name == "share-weak" {
			add(all, sc)
		}
		if name != "share-weak" {
			// A database's columns are classified alike in both
			// engines: every category is exact there.
			for c, s := range sc {
				if s.fp+s.fn > 0 {
					t.Errorf("%s: %s has %d false positives and %d misses", name, c, s.fp, s.fn)
				}
			}
		}
	}
	report(t, "lab (PostgreSQL, MariaDB, share)", all)

	// Transport, product, readers.
	for name, want := range map[string]bool{"data-pg-weak": false, "data-pg-hard": true, "data-maria-weak": false, "data-maria-hard": true} {
		if s := bySource[name]; s.TLS != want || s.Product == "" {
			t.Errorf("%s: TLS %v (want %v), product %q", name, s.TLS, want, s.Product)
		}
	}
	if s := bySource["data-maria-hard"]; s.AtRest == "" {
		t.Errorf("data-maria-hard: encryption at rest not seen (at_rest_known %v)", s.AtRestKnown)
	}

	// Retention: exact counts.
	cut := now.AddDate(-3, 0, 0)
	want := labdata.VisitsBefore(ds, cut)
	for _, r := range res.Retention {
		if r.Error != "" || r.Exceeding != want || r.Total != int64(len(ds.Tables[1].Rows)) {
			t.Errorf("retention %s: %d of %d (%s), want %d of %d", r.Source, r.Exceeding, r.Total, r.Error, want, len(ds.Tables[1].Rows))
		}
	}

	// Findings: the weak twins' weaknesses, nothing high on the hard ones.
	fs := check.JudgeData(res, "lab")
	got := map[string]map[string]bool{}
	for _, f := range fs {
		src := f.Host
		for _, s := range res.Sources {
			if s.Host == f.Host && s.Port == f.Port && s.Port != 0 {
				src = s.Name
			}
		}
		if f.Port == 0 {
			src = "files"
		}
		if got[src] == nil {
			got[src] = map[string]bool{}
		}
		got[src][f.Check] = true
		if (src == "data-pg-hard" || src == "data-maria-hard") && f.Severity >= finding.High {
			t.Errorf("hard twin %s: %s %s: %s", src, f.Severity, f.Check, f.Evidence)
		}
		t.Logf("%s %s %s: %s", src, f.Severity, f.Check, f.Evidence)
	}
	for src, checks := range map[string][]string{
		"data-pg-weak":    {"data.personal.unencrypted-transport", "data.personal.broad-access", "data.retention.exceeded", "data.erasure.incomplete"},
		"data-maria-weak": {"data.personal.unencrypted-transport", "data.personal.broad-access", "data.retention.exceeded"},
		"files":           {"data.personal.in-files"},
	} {
		for _, c := range checks {
			if !got[src][c] {
				t.Errorf("%s: no %s finding", src, c)
			}
		}
	}
	for _, f := range fs {
		if f.Check == "data.personal.in-files" && strings.Contains(f.Evidence, "share-hard") {
			t.Errorf("the hard share gave %s", f.Evidence)
		}
	}
	validate(t, NewDocument(res, fs, DocumentRun{Started: now.UTC().Format(time.RFC3339), Finished: now.UTC().Format(time.RFC3339)}))
}
