package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/datamap"
	"github.com/vigilsec/vigil/internal/datascan/labdata"
	"github.com/vigilsec/vigil/internal/pii/gen"
)

func TestDataInit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "vigil", "data.yaml")
	if code, _, errOut := vigilIn(t, "", "data", "init", "-o", p); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("map %v, mode %v", err, fi.Mode())
	}
	if _, err := datamap.Load(p); err != nil {
		t.Errorf("the written map does not load: %v", err)
	}
	if code, _, errOut := vigilIn(t, "", "data", "init", "-o", p); code != ExitUsage || !strings.Contains(errOut, "--force") {
		t.Errorf("a second init: exit %d, %s", code, errOut)
	}
}

func TestDataScanAndRetention(t *testing.T) {
	ds := gen.Clinic(3, 60)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "clinic.db")
	if err := os.WriteFile(dbPath, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := datamap.Open(context.Background(), &datamap.Source{Name: "c", Type: datamap.SQLite, Path: dbPath}, datamap.Options{ReadWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range labdata.SQL(ds, labdata.SQLite) {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	share := filepath.Join(dir, "share")
	if _, err := labdata.WriteFiles(share, ds); err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(dir, "map.yaml")
	m := "sources:\n  - {name: clinic, type: sqlite, path: " + dbPath + ", purpose: care}\n  - {name: share, type: files, path: " + share + "}\n" +
		"retention:\n  - {source: clinic, table: visits, column: visit_date_iso, max_age: 1y, basis: test}\n"
	if err := os.WriteFile(mp, []byte(m), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "scan.json")
	code, _, errOut := vigilIn(t, "", "data", "scan", "--map", mp, "--format", "json", "-o", out, "--fail-on", "high")
	if code != ExitFindings {
		t.Fatalf("exit %d (want %d: files hold identifiers): %s", code, ExitFindings, errOut)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("output mode %v", fi.Mode())
	}
	var doc struct {
		Schema  string `json:"schema"`
		Columns []struct {
			Table, Column string
			Categories    []string
		} `json:"columns"`
		Files    []struct{ Path string }        `json:"files"`
		Findings []struct{ Check, Host string } `json:"findings"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "vigil/data/v1" || len(doc.Columns) == 0 || len(doc.Files) == 0 || len(doc.Findings) == 0 {
		t.Errorf("document: schema %q, %d columns, %d files, %d findings", doc.Schema, len(doc.Columns), len(doc.Files), len(doc.Findings))
	}
	for _, f := range []string{"html", "pdf"} {
		p := filepath.Join(dir, "record."+f)
		if code, _, errOut := vigilIn(t, "", "data", "scan", "--map", mp, "--format", f, "-o", p); code != 0 {
			t.Fatalf("%s: exit %d: %s", f, code, errOut)
		}
		b, _ := os.ReadFile(p)
		if f == "html" && !strings.Contains(string(b), "Record of processing") {
			t.Errorf("html record: %.200s", b)
		}
		if f == "pdf" && !strings.HasPrefix(string(b), "%PDF-") {
			t.Errorf("pdf record starts %.20q", b)
		}
	}
	code, stdout, errOut := vigilIn(t, "", "data", "retention", "--map", mp, "--format", "json")
	if code != 0 {
		t.Fatalf("retention: exit %d: %s", code, errOut)
	}
	if !strings.Contains(stdout, `"table": "visits"`) || !strings.Contains(stdout, `"exceeding"`) {
		t.Errorf("retention output: %s", stdout)
	}
	if code, _, errOut := vigilIn(t, "", "data", "scan", "--map", filepath.Join(dir, "none.yaml")); code != ExitError || !strings.Contains(errOut, "vigil data init") {
		t.Errorf("missing map: exit %d: %s", code, errOut)
	}
}
