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
// control characters other than newline are escaped as \xNN.
type CSV struct{}

// csvHeader names the columns.
var csvHeader = []string{"scan", "host", "port", "transport", "severity", "check", "title",
	"evidence", "recommendation", "frameworks", "finding", "accepted_until", "accepted_by", "accepted_reason"}

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
		if err := write([]string{doc.ID, f.Host, strconv.Itoa(f.Port), f.Transport, f.Severity.String(), f.Check, f.Title,
			f.Evidence, f.Recommendation, strings.Join(f.Frameworks, "; "), f.ID, a.Until, a.By, a.Reason}); err != nil {
			return err
		}
	}
	// What was not examined, as rows of their own: no severity, check
	// "not-examined".
	gap := func(host string, g result.Gap) error {
		return write([]string{doc.ID, host, strconv.Itoa(g.Port), g.Transport, "", "not-examined", "Not examined", g.What, "", "", "", "", "", ""})
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
