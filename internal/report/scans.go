package report

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/level"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/store"
)

// scansSeverities are the severity columns of the listing, worst first.
var scansSeverities = []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info}

// WriteScans writes the list of stored scans (vigil scans) as a terminal
// table, coloured when color is true.
func WriteScans(w io.Writer, list []store.Summary, color bool) error {
	p := palette{color}
	t := &grid{}
	t.add(cell{s: "ID"}, cell{s: "STARTED"}, cell{s: "SCANNED"}, cell{s: "LEVEL"}, cell{s: "HOSTS"},
		cell{s: "CRITICAL"}, cell{s: "HIGH"}, cell{s: "MEDIUM"}, cell{s: "LOW"}, cell{s: "INFO"})
	for _, s := range list {
		row := []cell{
			{s: sanitize.Terminal(s.ID)},
			{s: s.Started.In(time.Local).Format("2006-01-02 15:04")},
			{s: Clip(scanned(s.Label, s.Targets), 40)},
			{s: fmt.Sprintf("%d %s", s.Level, level.Name(s.Level)), style: levelStyle(s.Level)},
			{s: fmt.Sprint(s.Hosts)},
		}
		for _, sev := range scansSeverities {
			c := cell{s: fmt.Sprint(s.Findings[sev])}
			if s.Findings[sev] > 0 {
				c.style = severityStyle(sev)
			}
			row = append(row, c)
		}
		t.add(row...)
	}
	return t.write(w, p)
}

// cell is one table cell: plain text, painted with style when colour is on.
type cell struct {
	s     string
	style string
}

// grid lays out rows of cells in columns two spaces apart, padding by the
// plain text's width so that colour codes do not upset the alignment.
type grid struct{ rows [][]cell }

func (g *grid) add(cells ...cell) { g.rows = append(g.rows, cells) }

func (g *grid) write(w io.Writer, p palette) error {
	var widths []int
	for _, r := range g.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c.s))
		}
	}
	var b strings.Builder
	for _, r := range g.rows {
		var line strings.Builder
		for i, c := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			line.WriteString(p.paint(c.s, c.style))
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.s)))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// scanned says what a scan covered: its label with its targets, or its
// targets alone, escaped for the terminal.
func scanned(label string, targets []string) string {
	t := strings.Join(targets, " ")
	switch {
	case label != "" && t != "":
		return sanitize.Terminal(label) + " (" + sanitize.Terminal(t) + ")"
	case label != "":
		return sanitize.Terminal(label)
	}
	return sanitize.Terminal(t)
}

// Clip shortens s to n runes, ending it with … when it was longer.
func Clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
