package cli

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/vigilsec/vigil/internal/certify"
	"github.com/vigilsec/vigil/internal/datamap"
	"github.com/vigilsec/vigil/internal/store"
)

// dataFixture is a small clinic in SQLite (patients, visits → patients,
// notes → visits, invoices → patients kept and anonymised) and a share
// with a CSV file, and a data map over them. The people are made up.
type dataFixture struct {
	dir, dbPath, share, mapPath, store string
}

func newDataFixture(t *testing.T) *dataFixture {
	t.Helper()
	f := &dataFixture{dir: t.TempDir()}
	f.dbPath = filepath.Join(f.dir, "clinic.db")
	f.share = filepath.Join(f.dir, "share")
	f.mapPath = filepath.Join(f.dir, "data.yaml")
	f.store = filepath.Join(f.dir, "state", "vigil.db")
	db, err := sql.Open("sqlite", "file:"+f.dbPath+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE patients (id INTEGER PRIMARY KEY, email TEXT, name TEXT)`,
		`CREATE TABLE visits (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES patients (id), diagnosis TEXT)`,
		`CREATE TABLE notes (id INTEGER PRIMARY KEY, visit_id INTEGER NOT NULL REFERENCES visits (id), body TEXT)`,
		`CREATE TABLE invoices (id INTEGER PRIMARY KEY, patient_id INTEGER REFERENCES patients (id), payer TEXT, amount INTEGER)`,
		`INSERT INTO patients VALUES (1, 'ann.lee@example.org', 'Ann Lee'), (2, 'bo.kim@example.org', 'Bo Kim')`,
		`INSERT INTO visits VALUES (10, 1, 'J45.909'), (11, 1, 'E11.9'), (12, 2, 'I10')`,
		`INSERT INTO notes VALUES (100, 10, 'inhaler'), (101, 11, 'metformin'), (102, 12, 'amlodipine')`,
		`INSERT INTO invoices VALUES (1000, 1, 'Ann Lee', 80), (1001, 2, 'Bo Kim', 60)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := os.MkdirAll(f.share, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.share, "patients.csv"), []byte("id,email\n1,ann.lee@example.org\n2,bo.kim@example.org\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := fmt.Sprintf(`sources:
  - {name: clinic, type: sqlite, path: %q}
  - {name: share, type: files, path: %q}
subjects:
  - {source: clinic, table: patients, column: email, key: email}
  - {source: share, key: email}
keep:
  - {source: clinic, table: invoices, anonymise: [payer]}
`, f.dbPath, f.share)
	if err := os.WriteFile(f.mapPath, []byte(m), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *dataFixture) count(t *testing.T, q string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+f.dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestDataEraseAndVerify(t *testing.T) {
	f := newDataFixture(t)
	cert := filepath.Join(f.dir, "erasure.json")
	pdf := filepath.Join(f.dir, "erasure.pdf")
	subjectFile := filepath.Join(f.dir, "subject.txt")
	if err := os.WriteFile(subjectFile, []byte("# the person\nemail=ann.lee@example.org\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// Declined: nothing changes.
	code, _, stderr := vigilIn(t, "n\n", "data", "erase", "--subject-file", subjectFile, "--map", f.mapPath, "--db", f.store, "-o", cert)
	if code != ExitError || f.count(t, "SELECT COUNT(*) FROM visits") != 3 {
		t.Fatalf("declined erasure: exit %d, %d visits left; stderr:\n%s", code, f.count(t, "SELECT COUNT(*) FROM visits"), stderr)
	}
	if strings.Contains(stderr, "ann.lee") {
		t.Errorf("the plan shows the subject's value:\n%s", stderr)
	}
	for _, w := range []string{"delete 1 row(s) of patients", "delete 2 row(s) of visits", "delete 2 row(s) of notes", "anonymise (payer, patient_id) in 1 row(s) of invoices", "rewrite patients.csv without 1"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("the plan does not say %q:\n%s", w, stderr)
		}
	}
	if _, err := os.Stat(cert); err == nil {
		t.Error("a declined erasure wrote a certificate")
	}

	// Confirmed by --yes.
	code, _, stderr = vigilIn(t, "", "data", "erase", "--subject-file", subjectFile, "--yes", "--map", f.mapPath, "--db", f.store, "-o", cert, "--pdf", pdf)
	if code != ExitOK {
		t.Fatalf("erase: exit %d:\n%s", code, stderr)
	}
	for q, want := range map[string]int{
		"SELECT COUNT(*) FROM patients WHERE email = 'ann.lee@example.org' OR id = 1": 0,
		"SELECT COUNT(*) FROM visits WHERE patient_id = 1":                            0,
		"SELECT COUNT(*) FROM notes WHERE visit_id IN (10, 11)":                       0,
		"SELECT COUNT(*) FROM invoices WHERE payer = 'Ann Lee' OR patient_id = 1":     0,
		"SELECT COUNT(*) FROM invoices WHERE id = 1000 AND amount = 80":               1, // kept, anonymised
		"SELECT COUNT(*) FROM patients":                                               1, "SELECT COUNT(*) FROM visits": 1, "SELECT COUNT(*) FROM notes": 1,
		"SELECT COUNT(*) FROM invoices WHERE payer = 'Bo Kim' AND patient_id = 2": 1,
	} {
		if got := f.count(t, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	csvData, _ := os.ReadFile(filepath.Join(f.share, "patients.csv"))
	if string(csvData) != "id,email\n2,bo.kim@example.org\n" {
		t.Errorf("patients.csv after the erasure:\n%s", csvData)
	}
	for _, p := range []string{cert, pdf, filepath.Join(f.dir, "state", certify.KeyFile), filepath.Join(f.dir, "state", certify.SaltFile), filepath.Join(f.dir, "state", certify.LogFile)} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want mode 0600", p, err, fi.Mode().Perm())
		}
	}
	certData, _ := os.ReadFile(cert)
	if bytes.Contains(certData, []byte("ann.lee")) {
		t.Error("the certificate holds the subject's e-mail address")
	}

	code, stdout, stderr := vigilIn(t, "", "data", "verify", cert, "--db", f.store)
	if code != ExitOK || !strings.Contains(stdout, "entry 1 of the erasure log") {
		t.Errorf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr = vigilIn(t, "", "data", "verify", "--log", "--db", f.store); code != ExitOK {
		t.Errorf("verify --log: exit %d\n%s%s", code, stdout, stderr)
	}

	// The public key, exported, verifies the certificate elsewhere.
	pub := filepath.Join(f.dir, "org.pub")
	if code, _, stderr = vigilIn(t, "", "data", "key", "export", "-o", pub, "--db", f.store); code != ExitOK {
		t.Fatalf("key export: exit %d\n%s", code, stderr)
	}
	if data, _ := os.ReadFile(pub); !bytes.HasPrefix(data, []byte("-----BEGIN PUBLIC KEY-----")) {
		t.Errorf("exported key:\n%s", data)
	}
	t.Setenv("XDG_DATA_HOME", t.TempDir()) // another machine: no store, no log
	if code, stdout, stderr = vigilIn(t, "", "data", "verify", "--key", pub, cert); code != ExitOK || !strings.Contains(stdout, "not checked") {
		t.Errorf("verify --key elsewhere: exit %d\n%s%s", code, stdout, stderr)
	}

	// One byte changed: exit 4, the fault named.
	bad := bytes.Replace(certData, []byte(`"rows": 2`), []byte(`"rows": 3`), 1)
	badPath := filepath.Join(f.dir, "bad.json")
	if err := os.WriteFile(badPath, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr = vigilIn(t, "", "data", "verify", badPath, "--db", f.store); code != ExitTampered || !strings.Contains(stderr, "altered") {
		t.Errorf("verify of a changed certificate: exit %d, want %d\n%s", code, ExitTampered, stderr)
	}
	// Not readable: exit 1.
	if code, _, _ = vigilIn(t, "", "data", "verify", filepath.Join(f.dir, "missing.json"), "--db", f.store); code != ExitError {
		t.Errorf("verify of a missing file: exit %d, want %d", code, ExitError)
	}

	// A second erasure chains after the first; removing it (the last
	// entry) from the log is detected and named.
	if code, _, stderr = vigilIn(t, "", "data", "erase", "--subject", "email=bo.kim@example.org", "--yes", "--map", f.mapPath, "--db", f.store, "-o", filepath.Join(f.dir, "second.json")); code != ExitOK {
		t.Fatalf("second erase: exit %d\n%s", code, stderr)
	}
	logPath := filepath.Join(f.dir, "state", certify.LogFile)
	logData, _ := os.ReadFile(logPath)
	lines := bytes.SplitAfter(logData, []byte("\n"))
	if err := os.WriteFile(logPath, lines[0], 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr = vigilIn(t, "", "data", "verify", "--log", "--db", f.store); code != ExitTampered || !strings.Contains(stderr, "entry 2: removed") {
		t.Errorf("verify --log without its last entry: exit %d, want %d naming entry 2\n%s", code, ExitTampered, stderr)
	}
	if code, _, stderr = vigilIn(t, "", "data", "verify", filepath.Join(f.dir, "second.json"), "--db", f.store); code != ExitTampered {
		t.Errorf("verify of the certificate removed from the log: exit %d, want %d\n%s", code, ExitTampered, stderr)
	}
	// The first certificate still holds: the fault is after it.
	if code, _, stderr = vigilIn(t, "", "data", "verify", cert, "--db", f.store); code != ExitOK {
		t.Errorf("verify of the first certificate: exit %d\n%s", code, stderr)
	}
}

func TestDataEraseUsage(t *testing.T) {
	f := newDataFixture(t)
	for _, args := range [][]string{
		{"data", "erase", "--map", f.mapPath, "--db", f.store},
		{"data", "erase", "--subject", "email", "--map", f.mapPath, "--db", f.store},
		{"data", "verify", "--db", f.store},
		{"data", "verify", "--log", "x.json", "--db", f.store},
	} {
		if code, _, stderr := vigilIn(t, "", args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, ExitUsage, stderr)
		}
	}
	// A key the map does not declare changes nothing.
	if code, _, stderr := vigilIn(t, "", "data", "erase", "--subject", "ssn=078-05-1120", "--yes", "--map", f.mapPath, "--db", f.store); code != ExitError || !strings.Contains(stderr, "no subject key") {
		t.Errorf("undeclared key: exit %d\n%s", code, stderr)
	}
	if f.count(t, "SELECT COUNT(*) FROM visits") != 3 {
		t.Error("a refused erasure changed the database")
	}
}

func TestRetentionApply(t *testing.T) {
	f := newDataFixture(t)
	db, err := sql.Open("sqlite", "file:"+f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE letters (id INTEGER PRIMARY KEY, sent TEXT)`); err != nil {
		t.Fatal(err)
	}
	for i, y := range []int{2001, 2010, 2019, 2020, 2024, 2026} {
		if _, err := db.Exec(`INSERT INTO letters VALUES (?, ?)`, i+1, fmt.Sprintf("%d-03-01 00:00:00", y)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	mapData, _ := os.ReadFile(f.mapPath)
	mapData = append(mapData, []byte("retention:\n  - {source: clinic, table: letters, column: sent, max_age: 10y, basis: \"correspondence, 10 years\"}\n")...)
	if err := os.WriteFile(f.mapPath, mapData, 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := datamap.Load(f.mapPath)
	if err != nil {
		t.Fatal(err)
	}
	// Declined, then confirmed.
	for _, answer := range []string{"no\n", "yes\n"} {
		var out, errb bytes.Buffer
		e := &env{version: "test", stdin: strings.NewReader(answer), stdout: &out, stderr: &errb}
		err := runRetentionApply(t.Context(), e, m, retentionApply{db: f.store, batch: 1, now: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)})
		if answer == "no\n" {
			if err == nil || f.count(t, "SELECT COUNT(*) FROM letters") != 6 {
				t.Fatalf("declined: %v, %d letters", err, f.count(t, "SELECT COUNT(*) FROM letters"))
			}
			if !strings.Contains(errb.String(), "2 of 6 older than 10y") {
				t.Errorf("plan:\n%s", errb.String())
			}
			continue
		}
		if err != nil {
			t.Fatalf("apply: %v\n%s", err, errb.String())
		}
		if !strings.Contains(out.String(), "deleted 2 of 2 planned in 2 transaction(s)") {
			t.Errorf("output:\n%s", out.String())
		}
	}
	if n := f.count(t, "SELECT COUNT(*) FROM letters WHERE id IN (3, 4, 5, 6)"); n != 4 || f.count(t, "SELECT COUNT(*) FROM letters") != 4 {
		t.Errorf("letters left: %d of ids 3-6, %d in all; want exactly the two older than 10 years gone", n, f.count(t, "SELECT COUNT(*) FROM letters"))
	}
	st, err := store.Open(t.Context(), f.store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.DataRuns(t.Context(), "retention")
	if err != nil || len(runs) != 1 || runs[0].Outcome != "complete" || !strings.Contains(runs[0].Detail, `"deleted":2`) {
		t.Errorf("recorded runs: %+v, %v", runs, err)
	}
}

func TestDataRetentionApplyCommand(t *testing.T) {
	f := newDataFixture(t)
	db, err := sql.Open("sqlite", "file:"+f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	// Two letters far in the past, two dated in the future: whenever the
	// test runs, exactly the first two are older than 10 years.
	for _, q := range []string{`CREATE TABLE letters (id INTEGER PRIMARY KEY, sent TEXT)`,
		`INSERT INTO letters VALUES (1, '1990-01-01 00:00:00'), (2, '2000-06-01 00:00:00'), (3, '2099-01-01 00:00:00'), (4, '2100-01-01 00:00:00')`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	mapData, _ := os.ReadFile(f.mapPath)
	mapData = append(mapData, []byte("retention:\n  - {source: clinic, table: letters, column: sent, max_age: 10y, basis: \"correspondence\"}\n")...)
	if err := os.WriteFile(f.mapPath, mapData, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := vigilIn(t, "", "data", "retention", "--yes", "--map", f.mapPath); code != ExitUsage {
		t.Errorf("--yes without --apply: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := vigilIn(t, "", "data", "retention", "--apply", "--yes", "--batch", "1", "--map", f.mapPath, "--db", f.store)
	if code != ExitOK || !strings.Contains(stdout, "deleted 2 of 2 planned in 2 transaction(s)") {
		t.Fatalf("retention --apply: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM letters WHERE id IN (3, 4)"); n != 2 || f.count(t, "SELECT COUNT(*) FROM letters") != 2 {
		t.Errorf("letters left: want exactly ids 3 and 4")
	}
}

// TestDataEraseRolledBack: a kept table whose reference to the deleted
// patient cannot be set to NULL (visits.patient_id is NOT NULL) makes the
// database's transaction fail: nothing changes there, the certificate
// says rolled back, data.erasure.incomplete is reported and the exit
// status is 1; the files source is still erased.
func TestDataEraseRolledBack(t *testing.T) {
	f := newDataFixture(t)
	mapData, _ := os.ReadFile(f.mapPath)
	mapData = bytes.Replace(mapData, []byte("keep:\n"), []byte("keep:\n  - {source: clinic, table: visits, anonymise: [diagnosis]}\n"), 1)
	if err := os.WriteFile(f.mapPath, mapData, 0o600); err != nil {
		t.Fatal(err)
	}
	cert := filepath.Join(f.dir, "erasure.json")
	code, _, stderr := vigilIn(t, "", "data", "erase", "--subject", "email=ann.lee@example.org", "--yes", "--map", f.mapPath, "--db", f.store, "-o", cert)
	if code != ExitError || !strings.Contains(stderr, "finding data.erasure.incomplete (high)") || !strings.Contains(stderr, "not complete") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
	if strings.Contains(stderr, "ann.lee") {
		t.Errorf("the output names the subject:\n%s", stderr)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM patients") + f.count(t, "SELECT COUNT(*) FROM visits") + f.count(t, "SELECT COUNT(*) FROM notes"); n != 2+3+3 {
		t.Errorf("%d rows in patients, visits and notes, want all 8: the transaction should have rolled back", n)
	}
	data, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("ann.lee")) || bytes.Contains(data, []byte("Ann Lee")) {
		t.Errorf("the certificate of a failed erasure holds the subject's values:\n%s", data)
	}
	c, err := certify.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Complete || c.Sources[0].Outcome != certify.RolledBack || len(c.Sources[0].Tables) != 0 || c.Sources[1].Outcome != certify.Erased {
		t.Errorf("certificate: complete %v, sources %+v", c.Complete, c.Sources)
	}
	// The certificate of a partial erasure is still signed and logged.
	if code, stdout, stderr := vigilIn(t, "", "data", "verify", cert, "--db", f.store); code != ExitOK || !strings.Contains(stdout, "NOT complete") {
		t.Errorf("verify: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestCertificateSchema: certificates vigil data erase writes, complete
// and rolled back, validate against docs/schema's JSON schema.
func TestCertificateSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	schema, err := c.Compile(filepath.Join("..", "..", "docs", "schema", "vigil-erasure-certificate-v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, rolledBack := range []bool{false, true} {
		f := newDataFixture(t)
		if rolledBack {
			mapData, _ := os.ReadFile(f.mapPath)
			mapData = bytes.Replace(mapData, []byte("keep:\n"), []byte("keep:\n  - {source: clinic, table: visits, anonymise: [diagnosis]}\n"), 1)
			if err := os.WriteFile(f.mapPath, mapData, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cert := filepath.Join(f.dir, "erasure.json")
		vigilIn(t, "", "data", "erase", "--subject", "email=ann.lee@example.org", "--yes", "--map", f.mapPath, "--db", f.store, "-o", cert)
		data, err := os.ReadFile(cert)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(doc); err != nil {
			t.Errorf("rolled back %v: the certificate does not validate: %v\n%s", rolledBack, err, data)
		}
	}
	// The schema is not a formality: a certificate without its signature
	// does not validate.
	doc, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"schema": "vigil/erasure-certificate/v1", "id": "0123456789abcdef"}`))
	if schema.Validate(doc) == nil {
		t.Error("an incomplete certificate validates")
	}
}
