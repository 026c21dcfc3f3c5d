package datascan

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/vigilsec/vigil/internal/datamap"
)

// Record is the record of processing (GDPR Art. 30 style) drawn from a
// scan and its map: per source, its purpose, the categories of personal
// data found, the roles that can read them, the retention rules and what
// exceeds them, consent, transport and encryption at rest.
type Record struct {
	Run      DocumentRun
	Sources  []RecordSource
	Findings int
}

// RecordSource is one source of the record.
type RecordSource struct {
	Name, Type, Where, Purpose, Transport, AtRest string
	Categories                                    []string
	Readers                                       []string
	Units                                         int // columns or files holding personal data
	Retention                                     []string
	Consent                                       string
	Error                                         string
}

// NewRecord builds the record of processing.
func NewRecord(doc *Document, m *datamap.Map) *Record {
	r := &Record{Run: doc.Run, Findings: len(doc.Findings)}
	for _, s := range doc.Sources {
		rs := RecordSource{Name: s.Name, Type: s.Type, Purpose: s.Purpose, Error: s.Error}
		if rs.Purpose == "" {
			rs.Purpose = "not declared in the data map"
		}
		switch {
		case s.Type == datamap.Files || s.Type == datamap.SQLite:
			rs.Where, rs.Transport = s.Host, "local files"
		default:
			rs.Where = fmt.Sprintf("%s:%d (%s)", s.Host, s.Port, s.Product)
			rs.Transport = "cleartext"
			if s.TLS {
				rs.Transport = "TLS"
				if s.TLSVerified {
					rs.Transport = "TLS, server verified"
				}
			}
		}
		rs.AtRest = s.AtRest
		if rs.AtRest == "" {
			rs.AtRest = "none seen"
		}
		cats, readers := map[string]bool{}, map[string]bool{}
		consent := int64(-1)
		for _, c := range doc.Columns {
			if c.Source != s.Name {
				continue
			}
			rs.Units++
			for _, x := range c.Categories {
				cats[x] = true
			}
			for _, x := range c.Readers {
				readers[x] = true
			}
			consent = max(consent, c.ConsentMissing)
		}
		for _, f := range doc.Files {
			if f.Source != s.Name {
				continue
			}
			rs.Units++
			for _, x := range f.Categories {
				cats[x] = true
			}
		}
		rs.Categories, rs.Readers = keys(cats), keys(readers)
		for _, x := range doc.Retain {
			if x.Source != s.Name {
				continue
			}
			what := x.Table + "." + x.Column
			if x.Table == "" {
				what = "files " + x.Path
			}
			line := fmt.Sprintf("%s: at most %s (%s); %d of %d older", what, x.MaxAge, x.Basis, x.Exceeding, x.Total)
			if x.Error != "" {
				line = fmt.Sprintf("%s: at most %s (%s); not counted: %s", what, x.MaxAge, x.Basis, x.Error)
			}
			rs.Retention = append(rs.Retention, line)
		}
		if len(rs.Retention) == 0 {
			rs.Retention = []string{"no retention rule declared"}
		}
		switch {
		case consent > 0:
			rs.Consent = fmt.Sprintf("%d rows kept whose consent is withdrawn or missing", consent)
		case consent == 0:
			rs.Consent = "every row has consent"
		default:
			rs.Consent = "no consent column declared"
		}
		r.Sources = append(r.Sources, rs)
	}
	return r
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var recordHTML = template.Must(template.New("record").Funcs(template.FuncMap{"join": strings.Join}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Record of processing</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#1f2328}table{border-collapse:collapse;width:100%;margin-bottom:1.5em}th,td{border:1px solid #d1d9e0;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f3f5f7;width:14em}</style></head>
<body><h1>Record of processing activities (GDPR Art. 30)</h1>
<p>Drawn by vigil {{.Run.Version}} from the data map {{.Run.Map}} on {{.Run.Finished}}, run by {{.Run.Operator}}{{if .Run.Organisation}} for {{.Run.Organisation}}{{end}} on {{.Run.Scanner.Host}}. {{.Findings}} findings.</p>
{{range .Sources}}<h2>{{.Name}} ({{.Type}})</h2>
<table>
<tr><th>Where</th><td>{{.Where}}</td></tr>
<tr><th>Purpose</th><td>{{.Purpose}}</td></tr>
<tr><th>Categories of personal data</th><td>{{if .Categories}}{{join .Categories ", "}}{{else}}none found{{end}} ({{.Units}} columns or files)</td></tr>
<tr><th>Roles with access</th><td>{{if .Readers}}{{join .Readers ", "}}{{else}}—{{end}}</td></tr>
<tr><th>Retention</th><td>{{range .Retention}}{{.}}<br>{{end}}</td></tr>
<tr><th>Consent</th><td>{{.Consent}}</td></tr>
<tr><th>Transport</th><td>{{.Transport}}</td></tr>
<tr><th>Encryption at rest</th><td>{{.AtRest}}</td></tr>
{{if .Error}}<tr><th>Not examined</th><td>{{.Error}}</td></tr>{{end}}
</table>
{{end}}</body></html>
`))

// WriteRecordHTML writes the record of processing as HTML.
func WriteRecordHTML(w io.Writer, doc *Document, m *datamap.Map) error {
	return recordHTML.Execute(w, NewRecord(doc, m))
}

// WriteRecordPDF writes the record of processing as a PDF (A4, the Go
// fonts embedded, real text).
func WriteRecordPDF(w io.Writer, doc *Document, m *datamap.Map) error {
	r := NewRecord(doc, m)
	p := &gopdf.GoPdf{}
	p.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	if err := p.AddTTFFontData("sans", goregular.TTF); err != nil {
		return err
	}
	if err := p.AddTTFFontData("bold", gobold.TTF); err != nil {
		return err
	}
	pw := &pdfPen{p: p, y: 1000}
	pw.line("bold", 16, "Record of processing activities (GDPR Art. 30)")
	pw.para("sans", 9, fmt.Sprintf("Drawn by vigil %s from the data map %s on %s, run by %s on %s. %d findings.",
		r.Run.Version, r.Run.Map, r.Run.Finished, r.Run.Operator, r.Run.Scanner.Host, r.Findings))
	for _, s := range r.Sources {
		pw.y += 8
		pw.line("bold", 12, fmt.Sprintf("%s (%s)", s.Name, s.Type))
		cats := strings.Join(s.Categories, ", ")
		if cats == "" {
			cats = "none found"
		}
		rows := [][2]string{{"Where", s.Where}, {"Purpose", s.Purpose}, {"Categories", fmt.Sprintf("%s (%d columns or files)", cats, s.Units)},
			{"Roles with access", strings.Join(s.Readers, ", ")}, {"Retention", strings.Join(s.Retention, "; ")}, {"Consent", s.Consent},
			{"Transport", s.Transport}, {"Encryption at rest", s.AtRest}}
		if s.Error != "" {
			rows = append(rows, [2]string{"Not examined", s.Error})
		}
		for _, row := range rows {
			pw.para("sans", 9, row[0]+": "+row[1])
		}
	}
	if pw.err != nil {
		return pw.err
	}
	var buf bytes.Buffer
	if _, err := p.WriteTo(&buf); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

type pdfPen struct {
	p   *gopdf.GoPdf
	y   float64
	err error
}

func (w *pdfPen) line(font string, size float64, s string) {
	if w.err != nil {
		return
	}
	if w.y > 780 {
		w.p.AddPage()
		w.y = 56
	}
	if w.err = w.p.SetFont(font, "", size); w.err != nil {
		return
	}
	w.p.SetXY(56, w.y)
	if s != "" {
		w.err = w.p.Cell(nil, s)
	}
	w.y += size * 1.4
}

// para wraps s to the page width.
func (w *pdfPen) para(font string, size float64, s string) {
	if w.err != nil {
		return
	}
	if w.err = w.p.SetFont(font, "", size); w.err != nil {
		return
	}
	lines, err := w.p.SplitTextWithWordWrap(s, 480)
	if err != nil {
		lines = []string{s}
	}
	for _, l := range lines {
		w.line(font, size, l)
	}
}
