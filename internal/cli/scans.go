package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/level"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/store"
)

// scansFlags are the flags of `vigil scans`.
type scansFlags struct {
	limit             int
	format, db, color string
}

func newScansCmd(e *env) *cobra.Command {
	var f scansFlags
	cmd := &cobra.Command{
		Use:   "scans",
		Short: "List stored scans: id, date, targets, level, hosts and findings by severity",
		Long: `List the scans in the store, newest first: each scan's id, when it started,
what it scanned (its --label, or its targets), its level, how many hosts
answered and how many findings it has of each severity.

Use an id, a unique prefix of one, latest or latest~N with vigil report,
vigil diff and vigil compare.`,
		Example: `  vigil scans
  vigil scans --limit 0 --format json
  vigil scans --db postgres://vigil@db.example.lan/vigil`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runScans(cmd.Context(), e, &f) },
	}
	fl := cmd.Flags()
	fl.IntVar(&f.limit, "limit", 20, "list at most this many scans, newest first (0: all)")
	fl.StringVar(&f.format, "format", "table", "output format: table or json")
	addDBFlag(fl, &f.db)
	fl.StringVar(&f.color, "color", "auto", "colour the table: auto, always or never")
	return cmd
}

func runScans(ctx context.Context, e *env, f *scansFlags) error {
	format := strings.ToLower(strings.TrimSpace(f.format))
	if format != "table" && format != "json" {
		return usageError("--format %q: use table or json", f.format)
	}
	if f.limit < 0 {
		return usageError("--limit %d: give a number of scans, or 0 for all", f.limit)
	}
	color, err := colorWanted(f.color, e.stdout)
	if err != nil {
		return err
	}
	st, err := openStoreRead(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	ask := f.limit
	if ask > 0 {
		ask++ // one more, to know whether there are more
	}
	list, err := st.List(ctx, ask)
	if err != nil {
		return err
	}
	more := f.limit > 0 && len(list) > f.limit
	if more {
		list = list[:f.limit]
	}
	if format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	if len(list) == 0 {
		fmt.Fprintf(e.stderr, "No scan is stored in %s yet. Run 'vigil scan' to make one.\n", st.Where())
		return nil
	}
	if err := writeScansTable(e, list, painter{color}); err != nil {
		return err
	}
	if more {
		fmt.Fprintf(e.stderr, "The %d newest scans are shown; --limit 0 lists them all.\n", f.limit)
	}
	return nil
}

// scansSeverities are the severity columns of the listing, worst first.
var scansSeverities = []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info}

func writeScansTable(e *env, list []store.Summary, p painter) error {
	t := &grid{}
	t.add(cell{s: "ID"}, cell{s: "STARTED"}, cell{s: "SCANNED"}, cell{s: "LEVEL"}, cell{s: "HOSTS"},
		cell{s: "CRITICAL"}, cell{s: "HIGH"}, cell{s: "MEDIUM"}, cell{s: "LOW"}, cell{s: "INFO"})
	for _, s := range list {
		row := []cell{
			{s: sanitize.Terminal(s.ID)},
			{s: s.Started.In(time.Local).Format("2006-01-02 15:04")},
			{s: clipRunes(scanned(s.Label, s.Targets), 40)},
			{s: fmt.Sprintf("%d %s", s.Level, level.Name(s.Level)), style: p.levelStyle(s.Level)},
			{s: fmt.Sprint(s.Hosts)},
		}
		for _, sev := range scansSeverities {
			c := cell{s: fmt.Sprint(s.Findings[sev])}
			if s.Findings[sev] > 0 {
				c.style = p.severityStyle(sev)
			}
			row = append(row, c)
		}
		t.add(row...)
	}
	return t.write(e.stdout, p)
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

func (g *grid) write(w io.Writer, p painter) error {
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

// clipRunes shortens s to n runes, ending it with … when cut.
func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// ANSI styles of the store commands' tables, as the scan table uses them.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiBgRed  = "\x1b[41;97m"
)

// painter colours text when colour is on.
type painter struct{ on bool }

func (p painter) paint(s, codes string) string {
	if !p.on || codes == "" {
		return s
	}
	return codes + s + ansiReset
}

// severityStyle is the style of a severity, as in the scan table.
func (painter) severityStyle(sev finding.Severity) string {
	switch sev {
	case finding.Critical:
		return ansiBgRed + ansiBold
	case finding.High:
		return ansiRed + ansiBold
	case finding.Medium:
		return ansiYellow
	case finding.Low:
		return ansiCyan
	}
	return ansiDim
}

// levelStyle is the style of a level, as in the scan table.
func (painter) levelStyle(v int) string {
	switch v {
	case 1:
		return ansiBgRed + ansiBold
	case 2:
		return ansiRed + ansiBold
	case 3:
		return ansiYellow + ansiBold
	case 4, 5:
		return ansiGreen + ansiBold
	}
	return ""
}
