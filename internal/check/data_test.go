package check

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

func pgSource(mut func(s *facts.DataSource)) facts.DataSource {
	s := facts.DataSource{Name: "clinic", Type: "postgres", Host: "127.0.2.110", Port: 5432, Loopback: true, TLS: true,
		User: "vigil", Applications: []string{"clinic_app"}, Product: "PostgreSQL 15.8",
		Columns: []facts.DataColumn{
			{Table: "patients", Column: "email", Categories: []string{"email"}, Rows: 10, Readers: []string{"clinic_app", "vigil", "reporting"}, ConsentMissing: -1},
			{Table: "visits", Column: "diagnosis", Categories: []string{"diagnosis"}, Rows: 30, Readers: []string{"clinic_app", "vigil"}, ConsentMissing: -1},
		}}
	if mut != nil {
		mut(&s)
	}
	return s
}

func TestJudgeData(t *testing.T) {
	type want struct {
		check string
		sev   finding.Severity
		in    string // a substring of the evidence
	}
	for _, tc := range []struct {
		name string
		ds   facts.DataScan
		want []want
	}{
		{"hardened: nothing", facts.DataScan{Sources: []facts.DataSource{pgSource(nil)}}, nil},
		{"source that failed: nothing", facts.DataScan{Sources: []facts.DataSource{pgSource(func(s *facts.DataSource) { s.Error = "refused"; s.TLS = false })}}, nil},
		{"no TLS over the network", facts.DataScan{Sources: []facts.DataSource{pgSource(func(s *facts.DataSource) { s.TLS, s.Loopback, s.Host = false, false, "10.0.0.5" })}},
			[]want{{"data.personal.unencrypted-transport", finding.High, "not encrypted"}}},
		{"tls: disable over the network", facts.DataScan{Sources: []facts.DataSource{pgSource(func(s *facts.DataSource) { s.TLS, s.Loopback, s.TLSDisabled = false, false, true })}},
			[]want{{"data.personal.unencrypted-transport", finding.High, "tls: disable"}}},
		{"server refuses TLS on loopback", facts.DataScan{Sources: []facts.DataSource{pgSource(func(s *facts.DataSource) { s.TLS = false })}},
			[]want{{"data.personal.unencrypted-transport", finding.Medium, "does not offer TLS"}}},
		{"tls: disable on loopback: the author's choice", facts.DataScan{Sources: []facts.DataSource{pgSource(func(s *facts.DataSource) { s.TLS, s.TLSDisabled = false, true })}}, nil},
		{"no TLS but no personal data", facts.DataScan{Sources: []facts.DataSource{pgSource(func(s *facts.DataSource) { s.TLS, s.Loopback, s.Columns = false, false, nil })}}, nil},
		{"reporting reads a diagnosis", facts.DataScan{Sources: []facts.DataSource{pgSource(func(s *facts.DataSource) {
			s.Columns[1].Readers = append(s.Columns[1].Readers, "reporting", "PUBLIC")
		})}}, []want{{"data.personal.broad-access", finding.High, "table visits, columns diagnosis (diagnosis), can be read by PUBLIC, reporting"}}},
		{"MySQL accounts match the declared user names", facts.DataScan{Sources: []facts.DataSource{pgSource(func(s *facts.DataSource) {
			s.Type, s.User, s.Applications = "mysql", "vigil@%", []string{"clinic_app"}
			s.Columns[1].Readers = []string{"clinic_app@localhost", "clinic_app@%", "vigil@%", "reporting@%"}
		})}}, []want{{"data.personal.broad-access", finding.High, "can be read by reporting@%"}}},
		{"no applications declared", facts.DataScan{Sources: []facts.DataSource{pgSource(func(s *facts.DataSource) { s.Applications = nil })}},
			[]want{{"data.personal.broad-access", finding.High, "clinic_app; the map declares no application"}}},
		{"consent withdrawn", facts.DataScan{Sources: []facts.DataSource{pgSource(func(s *facts.DataSource) { s.Columns[0].ConsentMissing = 3 })}},
			[]want{{"data.erasure.incomplete", finding.Medium, "table patients keeps 3 rows"}}},
		{"files with identifiers", facts.DataScan{Sources: []facts.DataSource{{Name: "share", Type: "files", Host: "srv", Files: []facts.DataFile{
			{Path: "exports/a.csv", Categories: []string{"email", "national_id"}, Count: 40},
			{Path: "notes.txt", Categories: []string{"name"}, Count: 3},
			{Path: "letters/b.pdf", Categories: []string{"health"}, Count: 2},
		}}}}, []want{{"data.personal.in-files", finding.High, `2 files hold health, national_id (42 personal values in all): "exports/a.csv", "letters/b.pdf"`}}},
		{"files with names only", facts.DataScan{Sources: []facts.DataSource{{Name: "share", Type: "files", Files: []facts.DataFile{{Path: "n.txt", Categories: []string{"name", "email"}}}}}}, nil},
		{"retention exceeded", facts.DataScan{Retention: []facts.DataRetention{{Source: "clinic", Table: "visits", Column: "visit_date", MaxAge: "8y", Exceeding: 12, Total: 100, Host: "127.0.2.110", Port: 5432, Cutoff: "2018-01-01T00:00:00Z"}}},
			[]want{{"data.retention.exceeded", finding.Medium, "12 of 100 in table visits (column visit_date)"}}},
		{"retention kept", facts.DataScan{Retention: []facts.DataRetention{{Source: "clinic", Table: "visits", Column: "visit_date", MaxAge: "8y", Total: 100}}}, nil},
		{"erasure left rows", facts.DataScan{Erasures: []facts.DataErasure{{Source: "clinic", Subject: "ab12", Remaining: 2, Reason: "the connection dropped"}}},
			[]want{{"data.erasure.incomplete", finding.High, "still found 2 rows"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := JudgeData(&tc.ds, "srv")
			if len(got) != len(tc.want) {
				t.Fatalf("%d findings, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				f := got[i]
				if f.Check != w.check || f.Severity != w.sev || !strings.Contains(f.Evidence, w.in) {
					t.Errorf("finding %d = %s %s %q; want %s %s containing %q", i, f.Check, f.Severity, f.Evidence, w.check, w.sev, w.in)
				}
				if f.Recommendation == "" || len(f.Frameworks) == 0 {
					t.Errorf("finding %d has no fix or frameworks", i)
				}
			}
		})
	}
	if JudgeData(nil, "x") != nil {
		t.Error("nil facts gave findings")
	}
}

func TestJudgeDataHostAndPort(t *testing.T) {
	ds := facts.DataScan{Sources: []facts.DataSource{
		pgSource(func(s *facts.DataSource) { s.TLS, s.Loopback = false, false }),
		{Name: "share", Type: "files", Host: "srv", Files: []facts.DataFile{{Path: "a.csv", Categories: []string{"iban"}, Count: 1}}},
	}}
	for _, f := range JudgeData(&ds, "srv") {
		switch f.Check {
		case "data.personal.unencrypted-transport":
			if f.Host != "127.0.2.110" || f.Port != 5432 || f.Transport != "tcp" {
				t.Errorf("database finding at %s:%d/%s", f.Host, f.Port, f.Transport)
			}
		case "data.personal.in-files":
			if f.Host != "srv" || f.Port != 0 {
				t.Errorf("files finding at %s:%d", f.Host, f.Port)
			}
		}
	}
}
