// Package labdata turns a synthetic clinic of package pii/gen into what
// the tests and the lab of `vigil data` load: SQL for PostgreSQL, MariaDB
// and SQLite (the generator's tables with their foreign keys, a visit date
// for retention rules and a consent column), and a directory of files
// (the generator's CSV, text and e-mail files, plus an mbox, a PDF and an
// XLSX made from them), each with its ground truth. Everything is
// generated: no value is a real person's.
package labdata

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/vigilsec/vigil/internal/pii"
	"github.com/vigilsec/vigil/internal/pii/gen"
)

// Dialects SQL can be written for.
const (
	Postgres = "postgres"
	MySQL    = "mysql"
	SQLite   = "sqlite"
)

// ConsentEvery: every ConsentEvery-th patient (by pid) has withdrawn
// consent.
const ConsentEvery = 17

// The generator names columns differently per seed but keeps their
// order: a table's first column is its key; visits' second and invoices'
// third column name the patient; visits' third is the date of the visit.
// ints are the integer columns by table and position; refs the foreign
// keys.
var (
	ints = map[string][]int{"patients": {0}, "visits": {0, 1}, "invoices": {0, 2}, "staff": {0}, "legacy_import": {0}}
	refs = map[string]int{"visits": 1, "invoices": 2}
)

// visitDateColumn is the position of the visit date in visits.
const visitDateColumn = 2

// The columns added to the generator's: the visit date as an SQL date on
// visits (for retention rules), and a consent column on patients. Their
// names are ones the generator never uses.
const (
	VisitDateColumn = "visit_date_iso"
	ConsentColumn   = "consent_status"
)

// VisitDate is the ISO date of a visit row (its seen_on column), or "".
func VisitDate(seenOn string) string {
	t, ok := pii.ParseDate(seenOn)
	if !ok {
		return ""
	}
	return t.Format("2006-01-02")
}

// Truth is the ground truth of the tables: "table.column" → categories,
// the generator's plus the added columns (visit_date, consent: none).
func Truth(ds *gen.Dataset) map[string][]pii.Category {
	out := map[string][]pii.Category{}
	for _, t := range ds.Tables {
		for _, c := range t.Columns {
			out[t.Name+"."+c] = ds.Truth[t.Name+"."+c]
		}
	}
	out["visits."+VisitDateColumn] = nil
	out["patients."+ConsentColumn] = nil
	return out
}

// SQL returns the statements that create and fill the tables.
func SQL(ds *gen.Dataset, dialect string) []string {
	var out []string
	order := []string{"patients", "visits", "invoices", "staff", "inventory", "legacy_import"}
	q := func(id string) string {
		if dialect == MySQL {
			return "`" + id + "`"
		}
		return `"` + id + `"`
	}
	for i := len(order) - 1; i >= 0; i-- {
		out = append(out, "DROP TABLE IF EXISTS "+q(order[i]))
	}
	for _, name := range order {
		t := table(ds, name)
		cols, _ := columns(t)
		var defs []string
		for i, c := range cols {
			typ := "TEXT"
			switch {
			case slices.Contains(ints[name], i):
				typ = "INTEGER"
			case name == "visits" && c == VisitDateColumn && i == len(cols)-1:
				typ = "DATE"
			case dialect == MySQL && i == 0:
				typ = "VARCHAR(64)"
			}
			d := q(c) + " " + typ
			if i == 0 {
				d += " PRIMARY KEY"
			}
			defs = append(defs, d)
		}
		if r, ok := refs[name]; ok {
			defs = append(defs, fmt.Sprintf("FOREIGN KEY (%s) REFERENCES %s (%s)", q(cols[r]), q("patients"), q(table(ds, "patients").Columns[0])))
		}
		create := fmt.Sprintf("CREATE TABLE %s (%s)", q(name), strings.Join(defs, ", "))
		if dialect == MySQL {
			create += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
		}
		out = append(out, create)
		_, rows := columns(t)
		for start := 0; start < len(rows); start += 200 {
			var vals []string
			for _, r := range rows[start:min(start+200, len(rows))] {
				var vs []string
				for i, v := range r {
					switch {
					case v == "":
						vs = append(vs, "NULL")
					case slices.Contains(ints[name], i):
						vs = append(vs, v)
					default:
						s := strings.ReplaceAll(v, "'", "''")
						if dialect == MySQL {
							s = strings.ReplaceAll(s, `\`, `\\`)
						}
						vs = append(vs, "'"+s+"'")
					}
				}
				vals = append(vals, "("+strings.Join(vs, ", ")+")")
			}
			quoted := make([]string, len(cols))
			for i, c := range cols {
				quoted[i] = q(c)
			}
			out = append(out, fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", q(name), strings.Join(quoted, ", "), strings.Join(vals, ", ")))
		}
	}
	return out
}

func table(ds *gen.Dataset, name string) gen.Table {
	for _, t := range ds.Tables {
		if t.Name == name {
			return t
		}
	}
	panic("labdata: the generator has no table " + name)
}

// columns returns a table's columns and rows with the added ones: a
// visit date on visits, a consent column on patients.
func columns(t gen.Table) ([]string, [][]string) {
	cols := slices.Clone(t.Columns)
	rows := make([][]string, len(t.Rows))
	for i, r := range t.Rows {
		rows[i] = slices.Clone(r)
	}
	switch t.Name {
	case "visits":
		seen := visitDateColumn
		cols = append(cols, VisitDateColumn)
		for i := range rows {
			rows[i] = append(rows[i], VisitDate(rows[i][seen]))
		}
	case "patients":
		cols = append(cols, ConsentColumn)
		for i := range rows {
			c := "yes"
			if (i+1)%ConsentEvery == 0 {
				c = "withdrawn"
			}
			rows[i] = append(rows[i], c)
		}
	}
	return cols, rows
}

// Withdrawn is the number of patients whose consent is withdrawn.
func Withdrawn(ds *gen.Dataset) int64 { return int64(len(table(ds, "patients").Rows) / ConsentEvery) }

// VisitsBefore counts the visits dated before cut.
func VisitsBefore(ds *gen.Dataset, cut time.Time) (n int64) {
	t := table(ds, "visits")
	seen := visitDateColumn
	for _, r := range t.Rows {
		if d := VisitDate(r[seen]); d != "" && d < cut.Format("2006-01-02 15:04:05") {
			n++
		}
	}
	return n
}

// WriteFiles writes the generator's files under dir, plus an mbox of its
// e-mails, a PDF of its first letter and an XLSX of its first export, and
// returns the ground truth of every file (by path relative to dir).
func WriteFiles(dir string, ds *gen.Dataset) (map[string][]pii.Category, error) {
	truth := map[string][]pii.Category{}
	write := func(rel string, b []byte) error {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, b, 0o644)
	}
	var mbox bytes.Buffer
	var mboxTruth []pii.Category
	for _, f := range ds.Files {
		if err := write(f.Path, []byte(f.Content)); err != nil {
			return nil, err
		}
		truth[f.Path] = ds.Truth[f.Path]
		switch {
		case strings.HasSuffix(f.Path, ".eml"):
			fmt.Fprintf(&mbox, "From clinic@example.org Mon Jan  5 09:00:00 2026\n%s\n\n", strings.ReplaceAll(strings.ReplaceAll(f.Content, "\r\n", "\n"), "\nFrom ", "\n>From "))
			mboxTruth = append(mboxTruth, ds.Truth[f.Path]...)
		case f.Path == "letters/referral_01.txt":
			b, err := PDF(strings.Split(f.Content, "\n"))
			if err != nil {
				return nil, err
			}
			if err := write("letters/referral_01.pdf", b); err != nil {
				return nil, err
			}
			truth["letters/referral_01.pdf"] = ds.Truth[f.Path]
		case f.Path == "exports/patients_1.csv":
			recs, err := csv.NewReader(strings.NewReader(f.Content)).ReadAll()
			if err != nil {
				return nil, err
			}
			b, err := XLSX(recs)
			if err != nil {
				return nil, err
			}
			if err := write("exports/patients_1.xlsx", b); err != nil {
				return nil, err
			}
			truth["exports/patients_1.xlsx"] = ds.Truth[f.Path]
		}
	}
	if mbox.Len() > 0 {
		if err := write("mail/archive.mbox", mbox.Bytes()); err != nil {
			return nil, err
		}
		slices.Sort(mboxTruth)
		truth["mail/archive.mbox"] = slices.Compact(mboxTruth)
	}
	return truth, nil
}

// PDF draws lines of text on A4 pages with gopdf and the Go font.
func PDF(lines []string) ([]byte, error) {
	pdf := gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	if err := pdf.AddTTFFontData("go", goregular.TTF); err != nil {
		return nil, err
	}
	y := 1000.0
	for _, l := range lines {
		if y > 780 {
			pdf.AddPage()
			if err := pdf.SetFont("go", "", 10); err != nil {
				return nil, err
			}
			y = 40
		}
		pdf.SetXY(40, y)
		if l != "" {
			if err := pdf.Cell(nil, l); err != nil {
				return nil, err
			}
		}
		y += 14
	}
	var buf bytes.Buffer
	if _, err := pdf.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// XLSX writes records as a one-sheet workbook with inline strings.
func XLSX(recs [][]string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files := map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
		"_rels/.rels":                `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
	}
	var sheet strings.Builder
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for i, r := range recs {
		fmt.Fprintf(&sheet, `<row r="%d">`, i+1)
		for j, v := range r {
			var esc bytes.Buffer
			if err := xmlEscape(&esc, v); err != nil {
				return nil, err
			}
			fmt.Fprintf(&sheet, `<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>`, colName(j), i+1, esc.String())
		}
		sheet.WriteString(`</row>`)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	files["xl/worksheets/sheet1.xml"] = sheet.String()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(files[n])); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func colName(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// The lab's clinic (lab/parts/data.sh): its seed and size.
const (
	LabSeed     = 2026
	LabPatients = 400
)

// Sensitive are the categories whose presence in a file makes it hold
// identifiers or health data (data.personal.in-files).
var Sensitive = []pii.Category{pii.NationalID, pii.IBAN, pii.PaymentCard, pii.MedicalRecord, pii.Diagnosis, pii.Health}

// WriteBenign writes under dir only the generator's files that hold no
// identifier or health data (the hardened share of the lab), and returns
// their ground truth.
func WriteBenign(dir string, ds *gen.Dataset) (map[string][]pii.Category, error) {
	truth := map[string][]pii.Category{}
	for _, f := range ds.Files {
		if slices.ContainsFunc(ds.Truth[f.Path], func(c pii.Category) bool { return slices.Contains(Sensitive, c) }) {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(f.Content), 0o644); err != nil {
			return nil, err
		}
		truth[f.Path] = ds.Truth[f.Path]
	}
	return truth, nil
}
