package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/compliance"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store"
)

// scanDoc is a small scan: an SSH server with a weak cipher and Redis in
// cleartext, finished at end.
func scanDoc(id, label string, end time.Time) *result.Document {
	hosts := []facts.Host{{Address: "127.0.2.12", Services: []facts.Service{
		{Port: 2222, Transport: "tcp", Name: "ssh", Product: "OpenSSH", Version: "9.2p1",
			Banner: "SSH-2.0-OpenSSH_9.2p1 <b>\x1b[31m", SSH: &facts.SSH{ProtocolVersion: "2.0", KexAlgorithms: []string{"curve25519-sha256"}}},
		{Port: 6379, Transport: "tcp", Name: "redis", Product: "Redis", Version: "7.0.15"},
	}}}
	fs := []finding.Finding{
		check.MakeFinding(check.Hit{Check: "ssh.cipher.weak", Evidence: "offers aes128-cbc"}, "127.0.2.12", 2222, "tcp"),
		check.MakeFinding(check.Hit{Check: "cleartext.redis", Evidence: "plain RESP"}, "127.0.2.12", 6379, "tcp"),
	}
	doc := result.Assemble(id, end.Add(-time.Minute), end, []string{"127.0.2.12"}, hosts, fs, nil)
	doc.Label = label
	return doc
}

func writeScan(t *testing.T, doc *result.Document) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "scan.json")
	var buf bytes.Buffer
	if err := doc.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestReportFormatsFromAFile(t *testing.T) {
	doc := scanDoc("20261120T090000Z-aaaa0001", "", time.Date(2026, 11, 20, 9, 1, 0, 0, time.UTC))
	file := writeScan(t, doc)
	tests := []struct {
		args  []string
		check func(t *testing.T, out string)
	}{
		{[]string{"report", file}, func(t *testing.T, out string) {
			if !strings.Contains(out, "Level 2 of 5 — weak. Fix these 2 findings to reach level 3.") || strings.Contains(out, "\x1b") {
				t.Errorf("table:\n%s", out)
			}
		}},
		{[]string{"report", file, "--format", "json"}, func(t *testing.T, out string) {
			back, err := result.Read(strings.NewReader(out))
			if err != nil || back.ID != doc.ID || len(back.Findings) != 2 {
				t.Errorf("json: %v %+v", err, back)
			}
		}},
		{[]string{"report", file, "--format", "sarif"}, func(t *testing.T, out string) {
			var s struct {
				Version string
				Runs    []struct{ Results []any }
			}
			if err := json.Unmarshal([]byte(out), &s); err != nil || s.Version != "2.1.0" || len(s.Runs[0].Results) != 2 {
				t.Errorf("sarif: %v %s", err, out)
			}
		}},
		{[]string{"report", file, "--format", "CSV"}, func(t *testing.T, out string) {
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil || len(rows) != 3 || rows[1][0] != doc.ID {
				t.Errorf("csv: %v %q", err, rows)
			}
		}},
		{[]string{"report", file, "--format", "html"}, func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, "&lt;b&gt;\\x1b[31m") {
				t.Errorf("html does not escape the banner:\n%s", out)
			}
		}},
		{[]string{"report", file, "--framework", "hipaa"}, func(t *testing.T, out string) {
			for _, want := range []string{"Level 2 of 5", "HIPAA Security Rule", "NOT MET", "HIPAA 164.312(e)(1)", "What this scan cannot prove"} {
				if !strings.Contains(out, want) {
					t.Errorf("table with hipaa lacks %q:\n%s", want, out)
				}
			}
		}},
		{[]string{"report", file, "--framework", "GDPR", "--format", "json"}, func(t *testing.T, out string) {
			var a compliance.Assessment
			if err := json.Unmarshal([]byte(out), &a); err != nil || a.Schema != compliance.Schema || a.Framework != compliance.GDPR || a.Scan != doc.ID || len(a.Findings) != 2 {
				t.Errorf("compliance json: %v %s", err, out)
			}
		}},
	}
	for _, tt := range tests {
		code, out, stderr := vigilIn(t, "", tt.args...)
		if code != ExitOK {
			t.Errorf("%v: exit %d: %s", tt.args, code, stderr)
			continue
		}
		tt.check(t, out)
	}

	// Standard input.
	raw, _ := os.ReadFile(file)
	if code, out, stderr := vigilIn(t, string(raw), "report", "-", "--format", "csv"); code != ExitOK || !strings.Contains(out, "ssh.cipher.weak") {
		t.Errorf("report -: exit %d %s %s", code, out, stderr)
	}
}

func TestReportPDFToAFile(t *testing.T) {
	file := writeScan(t, scanDoc("20261120T090000Z-aaaa0002", "", time.Date(2026, 11, 20, 9, 1, 0, 0, time.UTC)))
	pdf := filepath.Join(t.TempDir(), "evidence.pdf")
	code, out, stderr := vigilIn(t, "", "report", file, "--format", "pdf", "--framework", "pci", "-o", pdf)
	if code != ExitOK || out != "" || !strings.Contains(stderr, "Level 2 of 5") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	b, err := os.ReadFile(pdf)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) || len(b) < 10000 {
		t.Errorf("%s is not a PDF report (%d bytes, %v)", pdf, len(b), err)
	}
}

func TestReportUsageErrors(t *testing.T) {
	file := writeScan(t, scanDoc("20261120T090000Z-aaaa0003", "", time.Date(2026, 11, 20, 9, 1, 0, 0, time.UTC)))
	bad := filepath.Join(t.TempDir(), "notes.json")
	if err := os.WriteFile(bad, []byte(`{"schema":"something/else"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report", file, "--format", "xml"}, ExitUsage, "unknown format"},
		{[]string{"report", file, "--framework", "sox"}, ExitUsage, "hipaa, gdpr, cis, pci"},
		{[]string{"report", file, "--framework", "hipaa", "--format", "sarif"}, ExitUsage, "--framework works with"},
		{[]string{"report", file, "--framework", "cis", "--format", "csv"}, ExitUsage, "--framework works with"},
		{[]string{"report", file, "extra"}, ExitUsage, "accepts at most 1 arg"},
		{[]string{"report", bad}, ExitUsage, "not a valid vigil scan result"},
		{[]string{"report", filepath.Join(t.TempDir(), "missing.json")}, ExitUsage, "no such file"},
		{[]string{"report", t.TempDir()}, ExitUsage, "is not a scan file"},
	}
	for _, tt := range tests {
		code, _, stderr := vigilIn(t, "", tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tt.args, code, stderr, tt.code, tt.want)
		}
	}
}

func TestReportFromTheStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "vigil.db")
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	end := time.Date(2026, 11, 20, 9, 1, 0, 0, time.UTC)
	docs := []*result.Document{
		scanDoc("20261023T090000Z-bbbb0001", "clinic", end.Add(-28*day)),
		scanDoc("20261106T090000Z-bbbb0002", "lab", end.Add(-14*day)), // another environment
		scanDoc("20261120T090000Z-bbbb0003", "clinic", end),
	}
	for _, d := range docs {
		if err := st.Save(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	code, out, stderr := vigilIn(t, "", "report", "--db", db, "--framework", "gdpr", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var a compliance.Assessment
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if a.Scan != docs[2].ID || len(a.Series) != 2 || a.Series[0].ID != docs[0].ID {
		t.Errorf("latest clinic scan with a series of 2: scan %s, series %+v", a.Scan, a.Series)
	}
	for _, c := range a.Controls {
		if c.ID == "GDPR 32(1)(d)" && c.Status != compliance.Met {
			t.Errorf("two clinic scans 28 days apart: 32(1)(d) is %s (%s)", c.Status, c.Basis)
		}
	}

	// A prefix, and latest~N.
	if code, out, _ := vigilIn(t, "", "report", "20261106", "--db", db, "--format", "csv"); code != ExitOK || !strings.Contains(out, docs[1].ID) {
		t.Errorf("prefix: exit %d\n%s", code, out)
	}
	if code, out, _ := vigilIn(t, "", "report", "latest~2", "--db", db, "--format", "csv"); code != ExitOK || !strings.Contains(out, docs[0].ID) {
		t.Errorf("latest~2: exit %d\n%s", code, out)
	}
	if code, _, stderr := vigilIn(t, "", "report", "19990101", "--db", db); code != ExitError || !strings.Contains(stderr, "no stored scan") {
		t.Errorf("unknown ref: exit %d %s", code, stderr)
	}
}
