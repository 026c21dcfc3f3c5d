package compliance

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/textout"
)

// WriteJSON writes the assessment as indented JSON (schema vigil/compliance/v1).
func WriteJSON(w io.Writer, a *Assessment) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(a)
}

// Dates formats the scan's start and end for people: one day, or two.
func (a *Assessment) Dates() string {
	return (&result.Document{Started: a.Started, Finished: a.Finished}).When()
}

// SeriesDates lists the dates of the scans on record, oldest first.
func (a *Assessment) SeriesDates() string {
	ds := make([]string, len(a.Series))
	for i, r := range a.Series {
		ds[i] = r.Finished.UTC().Format("2006-01-02")
	}
	return strings.Join(ds, ", ")
}

// Where names a finding's place in the assessment: host:port/transport, or
// the host for findings about a whole host.
func (a *Assessment) Where(id string) string {
	f, ok := a.Finding(id)
	if !ok {
		return ""
	}
	return where(f)
}

// WriteText writes the assessment for a terminal: one block per control in
// the framework's order, then what the scan cannot prove. A finding of
// known-vulnerable software names its worst vulnerability after its title.
// Strings from the scan are escaped for the terminal.
func WriteText(w io.Writer, a *Assessment) error {
	ew := &textout.Writer{W: w}
	t := sanitize.Terminal
	ew.Printf("%s: compliance evidence\n", a.Name)
	ew.Printf("Scan %s of %s", t(a.Scan), t(strings.Join(a.Targets, " ")))
	if a.Ports != "" {
		ew.Printf(", ports %s", t(a.Ports))
	}
	ew.Printf(", %s\n", a.Dates())
	if a.Run != nil {
		ew.Printf("%s\n", t(strings.ToUpper(a.Run.Summary()[:1])+a.Run.Summary()[1:]))
	}
	ew.Printf("Controls: %s\n\n", a.Summary)

	for _, c := range a.Controls {
		title := c.Title
		if title == "" {
			title = "(control not described by this vigil version)"
		}
		ew.Printf("%-16s %-28s %s\n", strings.ToUpper(c.Status.String()), c.ID, title)
		ew.Printf("%s\n", textout.Indent(textout.Wrap(t(c.Basis), 90), 17))
		for _, id := range c.Findings {
			f, _ := a.Finding(id)
			line := fmt.Sprintf("%s %s %s: %s", strings.ToUpper(f.Severity.String()), t(where(f)), t(f.Check), t(f.Headline()))
			if f.Accepted != nil {
				line += " (risk " + t(f.Accepted.String()) + ")"
			}
			ew.Printf("%s\n", bullet(line, 90, 17))
		}
		for _, o := range c.Checked {
			if c.Status == NotMet {
				break
			}
			ew.Printf("%s\n", textout.Indent(textout.Wrap("Checked "+strings.Join(o.Checks, ", ")+" on "+t(strings.Join(o.Subjects, ", ")), 90), 17))
		}
		ew.Printf("\n")
	}
	ew.Printf("Scans on record: %s\n\n", a.SeriesDates())
	ew.Printf("What this scan cannot prove:\n")
	for _, l := range a.Limits {
		ew.Printf("%s\n", bullet(l, 90, 2))
	}
	return ew.Err
}

// bullet writes "- text" wrapped to width, continuation lines under the text.
func bullet(s string, width, n int) string {
	lines := textout.Wrap(s, width-2)
	pad := strings.Repeat(" ", n)
	return pad + "- " + strings.Join(lines, "\n"+pad+"  ")
}
