package erase

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/certify"
	"github.com/vigilsec/vigil/internal/datamap"
	"github.com/vigilsec/vigil/internal/pii/gen"
	"github.com/vigilsec/vigil/internal/store"
)

// clinic is a generated clinic laid out in four linked tables, with one
// unrelated table: patients; visits (→ patients); prescriptions (→ visits,
// so only indirectly the patient's); invoices (→ patients, kept for the
// tax law: anonymised, not deleted); staff.
type clinic struct {
	ds *gen.Dataset
	// subject is the patient erased: one with visits and invoices.
	subject       int
	email         string
	otherEmail    string
	visits        int // the subject's
	invoices      int // the subject's
	totalPatients int
	totalVisits   int
	totalInvoices int
	totalStaff    int
}

func table(ds *gen.Dataset, name string) gen.Table {
	for _, t := range ds.Tables {
		if t.Name == name {
			return t
		}
	}
	panic("no table " + name)
}

// col returns the position of a column in the generator's tables, whose
// column names vary with the seed but whose order does not.
func col(t gen.Table, name string) int {
	pos := map[string]map[string]int{
		"patients": {"patient_id": 0, "given_name": 2, "family_name": 3, "mail": 4, "mobile": 5, "ssn_number": 9},
		"visits":   {"id": 0, "patient": 1, "date": 2, "cim10": 3},
		"invoices": {"invoice_id": 0, "patient": 2, "amount_due": 4, "billed_to": 8, "payer_iban": 10},
		"staff":    {"staff_id": 0, "staff_name": 1, "workstation_ip": 5},
	}
	i, ok := pos[t.Name][name]
	if !ok {
		panic("no column " + name + " in " + t.Name)
	}
	return i
}

func newClinic(t *testing.T) *clinic {
	ds := gen.Clinic(1, 40)
	c := &clinic{ds: ds}
	pt, vt, it := table(ds, "patients"), table(ds, "visits"), table(ds, "invoices")
	visits, invoices := map[string]int{}, map[string]int{}
	for _, r := range vt.Rows {
		visits[r[col(vt, "patient")]]++
	}
	for _, r := range it.Rows {
		invoices[r[col(it, "patient")]]++
	}
	for _, r := range pt.Rows {
		id := r[col(pt, "patient_id")]
		mail := r[col(pt, "mail")]
		if mail == "" {
			continue
		}
		if c.email == "" && visits[id] > 0 && invoices[id] > 0 {
			c.subject, _ = strconv.Atoi(id)
			c.email, c.visits, c.invoices = mail, visits[id], invoices[id]
		} else if c.otherEmail == "" {
			c.otherEmail = mail
		}
	}
	if c.email == "" || c.otherEmail == "" {
		t.Fatal("the generated clinic has no patient with both visits and invoices")
	}
	c.totalPatients, c.totalVisits, c.totalInvoices = len(pt.Rows), len(vt.Rows), len(it.Rows)
	c.totalStaff = len(table(ds, "staff").Rows)
	return c
}

// seed creates the clinic's tables in db; ph makes the n-th placeholder.
func (c *clinic) seed(t *testing.T, db *sql.DB, ph func(int) string) {
	t.Helper()
	ddl := []string{
		`CREATE TABLE patients (patient_id INTEGER PRIMARY KEY, given_name TEXT, family_name TEXT, mail TEXT, mobile TEXT, ssn_number TEXT)`,
		`CREATE TABLE visits (id INTEGER PRIMARY KEY, patient INTEGER NOT NULL REFERENCES patients (patient_id), visit_date TEXT, cim10 TEXT)`,
		`CREATE TABLE prescriptions (id INTEGER PRIMARY KEY, visit_id INTEGER NOT NULL REFERENCES visits (id), drug TEXT)`,
		`CREATE TABLE invoices (invoice_id INTEGER PRIMARY KEY, patient INTEGER REFERENCES patients (patient_id), billed_to TEXT, payer_iban TEXT, amount_due TEXT)`,
		`CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, staff_name TEXT, workstation_ip TEXT)`,
		`CREATE INDEX visits_patient ON visits (patient)`,
		`CREATE INDEX prescriptions_visit ON prescriptions (visit_id)`,
		`CREATE INDEX invoices_patient ON invoices (patient)`,
		`CREATE INDEX patients_mail ON patients (mail)`,
	}
	mysql := strings.Contains(fmt.Sprintf("%T", db.Driver()), "mysql")
	for _, q := range ddl {
		if mysql {
			// MariaDB indexes no TEXT without a prefix length, and
			// enforces table-level FOREIGN KEY clauses only.
			q = strings.ReplaceAll(q, "TEXT", "VARCHAR(255)")
			q = mysqlFKs(q)
		}
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	insert := func(tab string, cols []string, rows [][]any) {
		phs := make([]string, len(cols))
		for i := range cols {
			phs[i] = ph(i + 1)
		}
		q := "INSERT INTO " + tab + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(phs, ", ") + ")"
		for _, r := range rows {
			if _, err := db.ExecContext(t.Context(), q, r...); err != nil {
				t.Fatalf("%s %v: %v", q, r, err)
			}
		}
	}
	num := func(s string) any {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil
		}
		return n
	}
	pick := func(tb gen.Table, cols ...string) [][]any {
		var out [][]any
		for _, r := range tb.Rows {
			var row []any
			for _, cn := range cols {
				v := r[col(tb, cn)]
				if strings.HasSuffix(cn, "id") || cn == "patient" {
					row = append(row, num(v))
				} else {
					row = append(row, v)
				}
			}
			out = append(out, row)
		}
		return out
	}
	pt, vt, it, st := table(c.ds, "patients"), table(c.ds, "visits"), table(c.ds, "invoices"), table(c.ds, "staff")
	insert("patients", []string{"patient_id", "given_name", "family_name", "mail", "mobile", "ssn_number"}, pick(pt, "patient_id", "given_name", "family_name", "mail", "mobile", "ssn_number"))
	insert("visits", []string{"id", "patient", "visit_date", "cim10"}, pick(vt, "id", "patient", "date", "cim10"))
	var rx [][]any
	for i, r := range vt.Rows {
		rx = append(rx, []any{i + 1, num(r[col(vt, "id")]), []string{"metformin", "amoxicillin", "ibuprofen"}[i%3]})
	}
	insert("prescriptions", []string{"id", "visit_id", "drug"}, rx)
	insert("invoices", []string{"invoice_id", "patient", "billed_to", "payer_iban", "amount_due"}, pick(it, "invoice_id", "patient", "billed_to", "payer_iban", "amount_due"))
	insert("staff", []string{"staff_id", "staff_name", "workstation_ip"}, pick(st, "staff_id", "staff_name", "workstation_ip"))
}

// files writes a CSV export of the patients and an mbox with a message
// from the subject and one from another patient into dir.
func (c *clinic) files(t *testing.T, dir string) {
	t.Helper()
	pt := table(c.ds, "patients")
	var b strings.Builder
	b.WriteString("patient_id,given_name,family_name,mail\n")
	for _, r := range pt.Rows {
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", r[col(pt, "patient_id")], r[col(pt, "given_name")], r[col(pt, "family_name")], r[col(pt, "mail")])
	}
	mbox := fmt.Sprintf("From %s Mon Nov  3 09:00:00 2025\nFrom: <%s>\nTo: reception@clinic.example\nSubject: My results\n\nCould I have my results?\n\n"+
		"From %s Mon Nov  3 10:00:00 2025\nFrom: <%s>\nTo: reception@clinic.example\nSubject: Appointment\n\nCould you move my appointment?\n\n",
		c.email, c.email, c.otherEmail, c.otherEmail)
	for name, data := range map[string]string{"exports/patients.csv": b.String(), "mail/reception.mbox": mbox} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

// counts reads, with plain SQL apart from package erase, what is left of
// the subject and of everyone else.
type counts struct {
	subjectPatients, subjectVisits, subjectPrescriptions, subjectInvoicesNamed, anonymisedInvoices int
	patients, visits, prescriptions, invoices, staff                                               int
}

func readCounts(t *testing.T, db *sql.DB, ph func(int) string, c *clinic) counts {
	t.Helper()
	one := func(q string, args ...any) int {
		var n int
		if err := db.QueryRowContext(t.Context(), q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	return counts{
		subjectPatients:      one("SELECT COUNT(*) FROM patients WHERE mail = "+ph(1)+" OR patient_id = "+ph(2), c.email, c.subject),
		subjectVisits:        one("SELECT COUNT(*) FROM visits WHERE patient = "+ph(1), c.subject),
		subjectPrescriptions: one("SELECT COUNT(*) FROM prescriptions p JOIN visits v ON v.id = p.visit_id WHERE v.patient = "+ph(1), c.subject),
		subjectInvoicesNamed: one("SELECT COUNT(*) FROM invoices WHERE patient = "+ph(1), c.subject),
		anonymisedInvoices:   one("SELECT COUNT(*) FROM invoices WHERE patient IS NULL AND billed_to IS NULL AND payer_iban IS NULL"),
		patients:             one("SELECT COUNT(*) FROM patients"),
		visits:               one("SELECT COUNT(*) FROM visits"),
		prescriptions:        one("SELECT COUNT(*) FROM prescriptions"),
		invoices:             one("SELECT COUNT(*) FROM invoices"),
		staff:                one("SELECT COUNT(*) FROM staff"),
	}
}

func dataMap(t *testing.T, dbSource, shares string) *datamap.Map {
	t.Helper()
	m, err := datamap.Parse([]byte(fmt.Sprintf(`sources:
  - %s
  - {name: shares, type: files, path: %q}
subjects:
  - {source: clinic, table: patients, column: mail, key: email}
  - {source: shares, key: email}
keep:
  - {source: clinic, table: invoices, anonymise: [billed_to, payer_iban]}
`, dbSource, shares)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sqlitePH(int) string { return "?" }

// sqliteClinic makes the clinic in an SQLite file and returns its path.
func sqliteClinic(t *testing.T, c *clinic) string {
	p := filepath.Join(t.TempDir(), "clinic.db")
	db, err := sql.Open("sqlite", "file:"+p+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c.seed(t, db, sqlitePH)
	return p
}

func openSQLiteFile(t *testing.T, p string) *sql.DB {
	db, err := sql.Open("sqlite", "file:"+p+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newBook returns the organisation's records in a temporary directory,
// with the log's head in a real SQLite store.
func newBook(t *testing.T) *certify.Book {
	dir := t.TempDir()
	st, err := store.Open(t.Context(), filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &certify.Book{Dir: dir, Heads: st}
}

func request(m *datamap.Map, email string) Request {
	return Request{
		Map:     m,
		Subject: []Pair{{Key: "email", Value: email}},
		Open: func(ctx context.Context, s *datamap.Source) (*datamap.DB, error) {
			return datamap.Open(ctx, s, datamap.Options{ReadWrite: true})
		},
		Salt:     []byte("0123456789abcdef0123456789abcdef"),
		Operator: "tester",
		Version:  "test",
	}
}

func TestEraseSubjectInFourTablesAndTwoFiles(t *testing.T) {
	c := newClinic(t)
	dbPath := sqliteClinic(t, c)
	raw := openSQLiteFile(t, dbPath)
	eraseAndCheck(t, c, raw, sqlitePH, fmt.Sprintf("{name: clinic, type: sqlite, path: %q}", dbPath))
}

// eraseAndCheck erases the clinic's subject from the database raw reaches
// (declared in the map as source) and from two files, and checks with its
// own SQL that every trace is gone and nothing else changed, and that the
// certificate verifies.
func eraseAndCheck(t *testing.T, c *clinic, raw *sql.DB, ph func(int) string, source string) {
	eraseAndCheckWith(t, c, raw, ph, source, nil)
}

// eraseAndCheckWith is eraseAndCheck with the database opened by open
// (nil: datamap.Open).
func eraseAndCheckWith(t *testing.T, c *clinic, raw *sql.DB, ph func(int) string, source string, open func(context.Context, *datamap.Source) (*datamap.DB, error)) {
	shares := t.TempDir()
	c.files(t, shares)
	m := dataMap(t, source, shares)
	before := readCounts(t, raw, ph, c)
	if before.subjectPatients != 1 || before.subjectVisits != c.visits || before.subjectPrescriptions != c.visits || before.subjectInvoicesNamed != c.invoices {
		t.Fatalf("before: %+v; the subject %d should have 1 patient row, %d visits and prescriptions, %d invoices", before, c.subject, c.visits, c.invoices)
	}

	req := request(m, c.email)
	if open != nil {
		req.Open = open
	}
	var shown *Plan
	req.Confirm = func(p *Plan) error { shown = p; return nil }
	cert, _, err := Erase(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}

	// The plan named tables, counts and files, never a value.
	planText := fmt.Sprintf("%+v", shown)
	if strings.Contains(planText, c.email) {
		t.Error("the plan holds the subject's e-mail address")
	}
	// Every trace is gone, checked with SQL of this test's own.
	after := readCounts(t, raw, ph, c)
	want := counts{
		anonymisedInvoices: before.anonymisedInvoices + c.invoices,
		patients:           before.patients - 1,
		visits:             before.visits - c.visits,
		prescriptions:      before.prescriptions - c.visits,
		invoices:           before.invoices, // kept, anonymised
		staff:              before.staff,
	}
	if after != want {
		t.Errorf("after the erasure:\n got %+v\nwant %+v", after, want)
	}
	// The files no longer hold the subject; the others are still there.
	csvData, _ := os.ReadFile(filepath.Join(shares, "exports/patients.csv"))
	mbox, _ := os.ReadFile(filepath.Join(shares, "mail/reception.mbox"))
	if strings.Contains(string(csvData), c.email) || strings.Contains(string(mbox), c.email) {
		t.Error("a file still holds the subject's e-mail address")
	}
	if got := strings.Count(string(csvData), "\n"); got != c.totalPatients {
		t.Errorf("the CSV has %d lines, want %d (the header and every other patient)", got, c.totalPatients)
	}
	if !strings.Contains(string(mbox), c.otherEmail) || strings.Count(string(mbox), "\nFrom: ") != 0 && !strings.HasPrefix(string(mbox), "From "+c.otherEmail) {
		t.Errorf("the other patient's message is not kept alone:\n%s", mbox)
	}
	if fi, err := os.Stat(filepath.Join(shares, "exports/patients.csv")); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("the rewritten CSV: %v, %v; want its mode 0640 kept", fi.Mode(), err)
	}

	// The certificate says so, and verifies.
	if !cert.Complete {
		t.Errorf("certificate not complete: %+v", cert)
	}
	byTable := map[string]certify.TableAction{}
	for _, a := range cert.Sources[0].Tables {
		byTable[a.Table] = a
	}
	if byTable["patients"].Rows != 1 || byTable["visits"].Rows != int64(c.visits) || byTable["prescriptions"].Rows != int64(c.visits) ||
		byTable["invoices"].Rows != int64(c.invoices) || byTable["invoices"].Action != certify.Anonymised {
		t.Errorf("certificate tables: %+v", cert.Sources[0].Tables)
	}
	if s := cert.Sources[1]; s.Outcome != certify.Erased || len(s.Files) != 2 || !s.Verified {
		t.Errorf("certificate files: %+v", s)
	}
	b := newBook(t)
	if err := b.Issue(t.Context(), cert); err != nil {
		t.Fatal(err)
	}
	file, err := cert.File()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(file), c.email) {
		t.Error("the certificate holds the subject's e-mail address")
	}
	pub, _ := b.PublicKey()
	if _, err := b.VerifyCertificate(t.Context(), file, pub, true); err != nil {
		t.Errorf("the certificate does not verify: %v", err)
	}

	// Erasing again finds nothing.
	req2 := request(m, c.email)
	if open != nil {
		req2.Open = open
	}
	again, _, err := Erase(t.Context(), req2)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range again.Sources {
		if s.Outcome != certify.NothingFound {
			t.Errorf("second erasure, source %s: %s (%s)", s.Name, s.Outcome, s.Error)
		}
	}
}

func TestEraseRolledBackOnFailure(t *testing.T) {
	c := newClinic(t)
	dbPath := sqliteClinic(t, c)
	shares := t.TempDir()
	m := dataMap(t, fmt.Sprintf("{name: clinic, type: sqlite, path: %q}", dbPath), shares)
	raw := openSQLiteFile(t, dbPath)
	before := readCounts(t, raw, sqlitePH, c)
	req := request(m, c.email)
	req.BeforeCommit = map[string]func(context.Context) error{
		"clinic": func(context.Context) error { return errors.New("connection reset by peer") },
	}
	cert, _, err := Erase(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if after := readCounts(t, raw, sqlitePH, c); after != before {
		t.Errorf("the database changed although its transaction failed:\n got %+v\nwant %+v", after, before)
	}
	s := cert.Sources[0]
	if s.Outcome != certify.RolledBack || len(s.Tables) != 0 || s.Verified || !strings.Contains(s.Error, "rolled back") {
		t.Errorf("source: %+v; want rolled back, nothing reported as erased", s)
	}
	if cert.Complete {
		t.Error("a rolled-back erasure is certified complete")
	}
}

// TestBackupsListedAsNotErased: a declared backup of a source where the
// subject was found is listed as not erased, with its expiry, and keeps
// the certificate from saying complete; a backup of a source that held
// nothing of the subject is not listed.
func TestBackupsListedAsNotErased(t *testing.T) {
	c := newClinic(t)
	dbPath := sqliteClinic(t, c)
	shares := t.TempDir()
	m := dataMap(t, fmt.Sprintf("{name: clinic, type: sqlite, path: %q}", dbPath), shares)
	m.Backups = []datamap.Backup{
		{Source: "clinic", What: "nightly dump", MaxAge: datamap.Duration{N: 35, Unit: 'd'}},
		{Source: "shares", What: "share snapshots", MaxAge: datamap.Duration{N: 7, Unit: 'd'}},
	}
	req := request(m, c.email)
	req.Now = func() time.Time { return time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) }
	cert, _, err := Erase(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	var backups []certify.NotErased
	for _, n := range cert.NotErased {
		if strings.HasPrefix(n.Where, "backup: ") {
			backups = append(backups, n)
		}
	}
	want := certify.NotErased{Source: "clinic", Where: "backup: nightly dump", Expires: "2027-01-11"}
	if len(backups) != 1 || backups[0].Source != want.Source || backups[0].Where != want.Where || backups[0].Expires != want.Expires || backups[0].Reason == "" {
		t.Errorf("backups not erased = %+v, want only %+v (the shares held nothing of the subject)", backups, want)
	}
	if cert.Complete {
		t.Error("an erasure whose subject remains in a backup is certified complete")
	}
	if cert.Sources[0].Outcome != certify.Erased {
		t.Errorf("the database itself: %+v", cert.Sources[0])
	}
}

func TestUnknownSubjectKey(t *testing.T) {
	m := dataMap(t, `{name: clinic, type: sqlite, path: /nonexistent.db}`, t.TempDir())
	req := request(m, "x")
	req.Subject = []Pair{{Key: "ssn", Value: "x"}}
	if _, _, err := Erase(t.Context(), req); err == nil || !strings.Contains(err.Error(), "ssn") {
		t.Errorf("an undeclared key: %v", err)
	}
}

// mysqlFKs rewrites "col TYPE [NOT NULL] REFERENCES t (c)" column clauses
// as table-level FOREIGN KEY clauses.
func mysqlFKs(q string) string {
	open := strings.Index(q, "(")
	if open < 0 || !strings.HasPrefix(q, "CREATE TABLE") {
		return q
	}
	body := q[open+1 : len(q)-1]
	var cols, fks []string
	for _, part := range strings.Split(body, ", ") {
		if i := strings.Index(part, " REFERENCES "); i >= 0 {
			name := strings.Fields(part)[0]
			fks = append(fks, "FOREIGN KEY ("+name+")"+part[i:])
			part = part[:i]
		}
		cols = append(cols, part)
	}
	return q[:open+1] + strings.Join(append(cols, fks...), ", ") + ")"
}
