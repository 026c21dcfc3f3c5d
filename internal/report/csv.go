package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// CSV writes one row per finding, then one per thing not examined, RFC 4180 quoted, for spreadsheets and
// ticket imports. Cells that a spreadsheet would run as a formula (starting
// with = + - @, a tab or a carriage return) get a leading apostrophe, and
// control characters other than newline are escaped as \xNN. The last
// columns describe a vuln.known finding: the package and its version, the
// vulnerability ids worst first and those exploited in the wild (each
// list space-separated), and the highest CVSS score.
type CSV struct{}

// csvHeader names the columns. New columns go at the end, so that imports
// reading them by position keep working.
var csvHeader = []string{"scan", "host", "port", "transport", "severity", "check", "title",
	"evidence", "recommendation", "frameworks", "finding", "accepted_until", "accepted_by", "accepted_reason",
	"package", "package_version", "vulnerabilities", "kev", "max_cvss"}

// Write implements Writer.
func (CSV) Write(w io.Writer, doc *result.Document) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	write := func(row []string) error {
		for i, cell := range row {
			row[i] = csvCell(cell)
		}
		return cw.Write(row)
	}
	for _, f := range doc.Findings {
		a := f.Accepted
		if a == nil {
			a = &finding.Acceptance{}
		}
		p := f.Package
		if p == nil {
			p = &finding.Package{}
		}
		ids, kev, maxCVSS := vulnIDs(f.Vulnerabilities)
		score := ""
		if maxCVSS > 0 {
			score = strconv.FormatFloat(maxCVSS, 'f', 1, 64)
		}
		if err := write([]string{doc.ID, f.Host, strconv.Itoa(f.Port), f.Transport, f.Severity.String(), f.Check, f.Title,
			f.Evidence, f.Recommendation, strings.Join(f.Frameworks, "; "), f.ID, a.Until, a.By, a.Reason,
			p.Name, p.Version, strings.Join(ids, " "), strings.Join(kev, " "), score}); err != nil {
			return err
		}
	}
	// What was not examined, as rows of their own: no severity, check
	// "not-examined".
	gap := func(host string, g result.Gap) error {
		row := make([]string, len(csvHeader))
		copy(row, []string{doc.ID, host, strconv.Itoa(g.Port), g.Transport, "", "not-examined", "Not examined", g.What})
		return write(row)
	}
	for _, g := range doc.NotExamined {
		if err := gap("every host", g); err != nil {
			return err
		}
	}
	for _, h := range doc.Hosts {
		for _, g := range h.NotExamined {
			if err := gap(h.Address, g); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvCell makes a cell safe to open in a spreadsheet: control characters
// escaped, and an apostrophe before a cell that starts, raw or escaped, with
// a character a spreadsheet reads as the start of a formula.
func csvCell(s string) string {
	c := clean(s)
	if formulaStart(s) || formulaStart(c) {
		return "'" + c
	}
	return c
}

func formulaStart(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}
