package datascan

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/datamap"
	"github.com/vigilsec/vigil/internal/datascan/labdata"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/pii"
	"github.com/vigilsec/vigil/internal/pii/gen"
)

// score is the precision and recall of one category: the unit is a
// column or a file classified into the category.
type score struct{ tp, fp, fn int }

func (s score) precision() float64 {
	if s.tp+s.fp == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s score) recall() float64 {
	if s.tp+s.fn == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

// evaluate compares what was found (unit → categories) with the truth
// over the units of the truth; units found but absent from the truth are
// errors (every unit examined has a truth).
func evaluate(t *testing.T, truth map[string][]pii.Category, got map[string][]string) map[pii.Category]*score {
	t.Helper()
	out := map[pii.Category]*score{}
	for _, c := range pii.Categories() {
		out[c] = &score{}
	}
	for unit, cats := range got {
		if _, ok := truth[unit]; !ok {
			t.Errorf("found %s, which has no ground truth", unit)
		}
		for _, c := range cats {
			if s, ok := out[pii.Category(c)]; ok && !slices.Contains(truth[unit], pii.Category(c)) {
				s.fp++
				t.Logf("false positive: %s as %s", unit, c)
			}
		}
	}
	for unit, cats := range truth {
		for _, c := range cats {
			if slices.Contains(got[unit], string(c)) {
				out[c].tp++
			} else {
				out[c].fn++
				t.Logf("missed: %s as %s", unit, c)
			}
		}
	}
	return out
}

// report logs the table of scores and fails a category under 0.95.
func report(t *testing.T, what string, sc map[pii.Category]*score) {
	t.Helper()
	table(t, what, sc, true)
}

// table logs the table of scores and, when strict, fails a category
// under 0.95.
func table(t *testing.T, what string, sc map[pii.Category]*score, strict bool) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s:\n| category | units | precision | recall |\n|---|---|---|---|\n", what)
	for _, c := range pii.Categories() {
		s := sc[c]
		fmt.Fprintf(&b, "| %s | %d | %.3f | %.3f |\n", c, s.tp+s.fn, s.precision(), s.recall())
		if strict && (s.precision() < 0.95 || s.recall() < 0.95) {
			t.Errorf("%s: %s precision %.3f recall %.3f (tp %d fp %d fn %d), want both ≥ 0.95", what, c, s.precision(), s.recall(), s.tp, s.fp, s.fn)
		}
	}
	t.Log(b.String())
}

// found gathers a scan's units: "table.column" of one source and the
// paths of files.
func found(ds *facts.DataScan) map[string][]string {
	out := map[string][]string{}
	for _, s := range ds.Sources {
		for _, c := range s.Columns {
			out[c.Table+"."+c.Column] = c.Categories
		}
		for _, f := range s.Files {
			out[f.Path] = f.Categories
		}
	}
	return out
}

// sqliteClinic writes the clinic into an SQLite file and its files into a
// directory, and returns a map of both.
func sqliteClinic(t *testing.T, ds *gen.Dataset) (*datamap.Map, string, map[string][]pii.Category) {
	t.Helper()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "clinic.db")
	if err := os.WriteFile(dbPath, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	src := datamap.Source{Name: "clinic", Type: datamap.SQLite, Path: dbPath}
	db, err := datamap.Open(context.Background(), &src, datamap.Options{ReadWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range labdata.SQL(ds, labdata.SQLite) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%.80s: %v", q, err)
		}
	}
	db.Close()
	share := filepath.Join(dir, "share")
	truth, err := labdata.WriteFiles(share, ds)
	if err != nil {
		t.Fatal(err)
	}
	m, err := datamap.Parse([]byte(fmt.Sprintf(`sources:
  - {name: clinic, type: sqlite, path: %q}
  - {name: share, type: files, path: %q}
retention:
  - {source: clinic, table: visits, column: visit_date_iso, max_age: 3y, basis: test}
  - {source: share, path: "exports/*.csv", max_age: 1d}
consent:
  - {source: clinic, table: patients, column: consent_status}
`, dbPath, share)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range labdata.Truth(ds) {
		truth[k] = v
	}
	return m, share, truth
}

func TestScanSQLiteAndFiles(t *testing.T) {
	ds := gen.Clinic(15, 300)
	m, share, truth := sqliteClinic(t, ds)
	now := gen.Reference()
	// Files older than a day: two exports, dated back (the others are
	// written now, after the generator's reference date).
	old := now.Add(-72 * time.Hour)
	for _, p := range []string{"exports/visits_1.csv", "exports/staff_2.csv"} {
		if err := os.Chtimes(filepath.Join(share, p), old, old); err != nil {
			t.Fatal(err)
		}
	}
	// A symbolic link out of the share is never followed.
	if err := os.Symlink("/etc/passwd", filepath.Join(share, "passwd.txt")); err != nil {
		t.Fatal(err)
	}
	res := Scan(context.Background(), m, Options{Now: now, Host: "testhost"})
	for _, s := range res.Sources {
		if s.Error != "" {
			t.Fatalf("source %s: %s", s.Name, s.Error)
		}
	}
	if res.Sources[1].Skipped[datamap.SkipSymlink] != 1 {
		t.Errorf("skipped = %v, want the symbolic link", res.Sources[1].Skipped)
	}
	report(t, "SQLite and files", evaluate(t, truth, found(res)))

	// Retention counts exactly.
	cut := time.Date(now.Year()-3, now.Month(), now.Day(), now.Hour(), now.Minute(), now.Second(), now.Nanosecond(), now.Location())
	want := labdata.VisitsBefore(ds, cut)
	if r := res.Retention[0]; r.Exceeding != want || r.Total != int64(len(ds.Tables[1].Rows)) || r.Error != "" {
		t.Errorf("visits retention = %+v, want %d exceeding of %d", r, want, len(ds.Tables[1].Rows))
	}
	if want == 0 || want == int64(len(ds.Tables[1].Rows)) {
		t.Errorf("the retention test needs some visits on each side of the cutoff (%d of %d before)", want, len(ds.Tables[1].Rows))
	}
	if r := res.Retention[1]; r.Exceeding != 2 || r.Total != 12 {
		t.Errorf("files retention = %+v, want 2 of 12", r)
	}
	// Consent: the withdrawn rows are counted on the patients' columns.
	for _, c := range res.Sources[0].Columns {
		want := int64(-1)
		if c.Table == "patients" {
			want = labdata.Withdrawn(ds)
		}
		if c.ConsentMissing != want {
			t.Errorf("%s.%s consent_missing = %d, want %d", c.Table, c.Column, c.ConsentMissing, want)
		}
	}

	// Findings, and the document against its schema.
	fs := check.JudgeData(res, "testhost")
	got := map[string]int{}
	for _, f := range fs {
		got[f.Check]++
		for _, v := range []string{"@example", "DE89"} {
			if strings.Contains(f.Evidence, v) {
				t.Errorf("evidence holds a value (%s): %s", v, f.Evidence)
			}
		}
	}
	for _, c := range []string{"data.personal.in-files", "data.retention.exceeded", "data.erasure.incomplete"} {
		if got[c] == 0 {
			t.Errorf("no %s finding: %v", c, got)
		}
	}
	if got["data.personal.unencrypted-transport"]+got["data.personal.broad-access"] != 0 {
		t.Errorf("SQLite gave transport or access findings: %v", got)
	}
	doc := NewDocument(res, fs, DocumentRun{Started: now.Format(time.RFC3339), Finished: now.Format(time.RFC3339), Map: "test"})
	doc.Run.Operator, doc.Run.Version, doc.Run.Scanner.Host = "tester", "dev", "testhost"
	validate(t, doc)
}

func validate(t *testing.T, doc *Document) {
	t.Helper()
	var buf bytes.Buffer
	if err := doc.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("vigil-data-v1.schema.json", sch); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("vigil-data-v1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("the document does not validate against vigil/data/v1: %v", err)
	}
	// The schema notices a broken document.
	broken := strings.Replace(buf.String(), `"schema": "vigil/data/v1"`, `"schema": "vigil/data/v0"`, 1)
	bv, _ := jsonschema.UnmarshalJSON(strings.NewReader(broken))
	if s.Validate(bv) == nil {
		t.Error("the schema accepted a document of another schema")
	}
}

// add sums scores.
func add(into, from map[pii.Category]*score) {
	for c, s := range from {
		if into[c] == nil {
			into[c] = &score{}
		}
		into[c].tp += s.tp
		into[c].fp += s.fp
		into[c].fn += s.fn
	}
}
