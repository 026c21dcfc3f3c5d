package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/diff"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/level"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// diffFlags are the flags of `vigil diff` and `vigil compare`.
type diffFlags struct {
	format, db, color string
}

const scanArgHelp = `A and B are stored scans (an id, a prefix of one that names no other scan,
latest, or latest~N for the scan N before the newest; 'vigil scans' lists
them) or vigil/scan/v1 JSON files, as written by 'vigil scan --format json';
- reads one of them from standard input.`

func newDiffCmd(e *env) *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff [A [B]]",
		Short: "Show what changed between two scans: fixed and new findings, levels, opened and closed ports",
		Long: `Show what changed from scan A to scan B: the findings fixed and the new ones,
how many stayed open, each host's level and the overall level before and
after, and the services that were opened or closed. Without arguments it
compares the two newest stored scans; with one, that scan and the newest.

Findings are matched by their stable id (check, host, port and subject). A
finding of A on a host that B did not see at all is listed as not rechecked,
not as fixed: the host may be down or outside B's targets.

` + scanArgHelp,
		Example: `  vigil diff                              # the newest scan against the one before
  vigil diff latest~7                     # a week of daily scans
  vigil diff before.json after.json --format json`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			refs := []string{"latest~1", "latest"}
			copy(refs, args)
			return runDiff(cmd.Context(), e, &f, refs[0], refs[1])
		},
	}
	diffFlagSet(cmd, &f)
	return cmd
}

func newCompareCmd(e *env) *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "compare A B",
		Short: "Set two environments side by side: level against level, and the checks that make the difference",
		Long: `Compare two environments, each by one of its scans: their levels, their
findings by severity, and the checks found in one and not the other, which
are what makes the difference. Each environment is called by its scan's
--label, or else by its targets.

` + scanArgHelp,
		Example: `  vigil scan 192.168.1.0/24 --label "office network"
  vigil scan 10.20.0.0/24 --label "hosted servers"
  vigil compare latest~1 latest`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompare(cmd.Context(), e, &f, args[0], args[1])
		},
	}
	diffFlagSet(cmd, &f)
	return cmd
}

func diffFlagSet(cmd *cobra.Command, f *diffFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "table", "output format: table or json")
	addDBFlag(fl, &f.db)
	fl.StringVar(&f.color, "color", "auto", "colour the table: auto, always or never")
}

// loadPair checks the flags and reads scans a and b.
func loadPair(ctx context.Context, e *env, f *diffFlags, a, b string) (*result.Document, *result.Document, painter, error) {
	format := strings.ToLower(strings.TrimSpace(f.format))
	if format != "table" && format != "json" {
		return nil, nil, painter{}, usageError("--format %q: use table or json", f.format)
	}
	f.format = format
	color, err := colorWanted(f.color, e.stdout)
	if err != nil {
		return nil, nil, painter{}, err
	}
	src := &scanSource{dsn: f.db, stdin: e.stdin}
	defer src.close()
	da, err := src.load(ctx, a)
	if err != nil {
		return nil, nil, painter{}, err
	}
	db, err := src.load(ctx, b)
	if err != nil {
		return nil, nil, painter{}, err
	}
	return da, db, painter{color}, nil
}

func runDiff(ctx context.Context, e *env, f *diffFlags, a, b string) error {
	da, db, p, err := loadPair(ctx, e, f, a, b)
	if err != nil {
		return err
	}
	d := diff.Scans(da, db)
	if f.format == "json" {
		return writeIndentedJSON(e.stdout, d)
	}
	return writeDiffTable(e.stdout, d, p)
}

func runCompare(ctx context.Context, e *env, f *diffFlags, a, b string) error {
	da, db, p, err := loadPair(ctx, e, f, a, b)
	if err != nil {
		return err
	}
	c := diff.Environments(da, db)
	if f.format == "json" {
		return writeIndentedJSON(e.stdout, c)
	}
	return writeCompareTable(e.stdout, c, p)
}

func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// safeText escapes a string from a scan document for the terminal: any of
// it may have come from the network or from a file someone else wrote.
func safeText(s string) string { return sanitize.Terminal(s) }

// levelWords is "level 3 (basic)".
func levelWords(v int) string {
	if v == 0 {
		return "not rated"
	}
	return fmt.Sprintf("level %d (%s)", v, level.Name(v))
}

// scanLine describes one side of a diff: id, name and start time.
func scanLine(s diff.Scan) string {
	return fmt.Sprintf("%s  %s · %s", safeText(s.ID), safeText(s.Name), s.Started.In(time.Local).Format("2006-01-02 15:04"))
}

func writeDiffTable(w io.Writer, d diff.Diff, p painter) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s A %s\n", p.paint("vigil diff", ansiBold), scanLine(d.A))
	fmt.Fprintf(&b, "           B %s\n", scanLine(d.B))
	if !slices.Equal(d.A.Targets, d.B.Targets) {
		fmt.Fprintf(&b, "%s\n", p.paint(fmt.Sprintf("The scans covered different targets (%s; %s): a host only one of them looked at shows as new or not seen.",
			safeText(strings.Join(d.A.Targets, " ")), safeText(strings.Join(d.B.Targets, " "))), ansiDim))
	}
	b.WriteString("\n")

	lv := fmt.Sprintf("Level %d → %d", d.Level.From, d.Level.To)
	switch {
	case d.Level.To > d.Level.From:
		fmt.Fprintf(&b, "%s: better (%s → %s).\n", p.paint(lv, p.levelStyle(d.Level.To)), level.Name(d.Level.From), level.Name(d.Level.To))
	case d.Level.To < d.Level.From:
		fmt.Fprintf(&b, "%s: worse (%s → %s).\n", p.paint(lv, p.levelStyle(d.Level.To)), level.Name(d.Level.From), level.Name(d.Level.To))
	default:
		fmt.Fprintf(&b, "%s: unchanged (%s).\n", p.paint(lv, p.levelStyle(d.Level.To)), level.Name(d.Level.To))
	}

	if len(d.Hosts) > 0 {
		fmt.Fprintf(&b, "\n%s\n", p.paint("Hosts", ansiBold))
		g := &grid{}
		for _, h := range d.Hosts {
			var what cell
			switch h.Status {
			case diff.HostNew:
				what = cell{s: fmt.Sprintf("new, level %d", h.To), style: p.levelStyle(h.To)}
			case diff.HostGone:
				what = cell{s: fmt.Sprintf("not seen by B (was level %d)", h.From), style: ansiDim}
			default:
				what = cell{s: fmt.Sprintf("level %d → %d", h.From, h.To), style: p.levelStyle(h.To)}
			}
			g.add(cell{s: "  " + safeText(h.Address)}, what)
		}
		_ = g.write(&b, p)
	}

	findingSection(&b, p, "Fixed", "", d.Fixed)
	findingSection(&b, p, "New", "", d.New)
	findingSection(&b, p, "Not rechecked", "their host was not seen by scan B: fixed, down, or outside B's targets", d.Unchecked)
	serviceSection(&b, p, "Services opened", d.Opened)
	serviceSection(&b, p, "Services closed", d.Closed)

	b.WriteString("\n")
	changed := len(d.New)+len(d.Fixed)+len(d.Unchecked)+len(d.Opened)+len(d.Closed)+len(d.Hosts) > 0 || d.Level.Changed()
	switch {
	case !changed && len(d.Unchanged) == 0:
		b.WriteString("Nothing changed, and neither scan has a finding.\n")
	case !changed:
		fmt.Fprintf(&b, "Nothing changed: the same %d finding(s) are open.\n", len(d.Unchanged))
	default:
		fmt.Fprintf(&b, "Unchanged: %d finding(s) still open.\n", len(d.Unchanged))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// findingSection lists findings under a heading with their count.
func findingSection(b *strings.Builder, p painter, title, note string, fs []finding.Finding) {
	if len(fs) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s", p.paint(fmt.Sprintf("%s (%d)", title, len(fs)), ansiBold))
	if note != "" {
		fmt.Fprintf(b, " — %s", note)
	}
	b.WriteString("\n")
	g := &grid{}
	for _, f := range fs {
		g.add(cell{s: "  " + strings.ToUpper(f.Severity.String()), style: p.severityStyle(f.Severity)},
			cell{s: findingPlace(f)}, cell{s: safeText(f.Check), style: ansiBold}, cell{s: safeText(f.Title)})
	}
	_ = g.write(b, p)
}

// findingPlace is host:port/transport, or the host alone for host-wide findings.
func findingPlace(f finding.Finding) string {
	if f.Port == 0 {
		return safeText(f.Host)
	}
	return fmt.Sprintf("%s:%d/%s", safeText(f.Host), f.Port, safeText(f.Transport))
}

func serviceSection(b *strings.Builder, p painter, title string, ss []diff.Service) {
	if len(ss) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s\n", p.paint(fmt.Sprintf("%s (%d)", title, len(ss)), ansiBold))
	g := &grid{}
	for _, s := range ss {
		g.add(cell{s: "  " + safeText(s.Host)}, cell{s: fmt.Sprintf("%d/%s", s.Port, safeText(s.Transport))},
			cell{s: safeText(s.Name)}, cell{s: safeText(strings.TrimSpace(s.Product + " " + s.Version))})
	}
	_ = g.write(b, p)
}

func writeCompareTable(w io.Writer, c diff.Comparison, p painter) error {
	var b strings.Builder
	na, nb := safeText(c.A.Name), safeText(c.B.Name)
	fmt.Fprintf(&b, "%s: %s — %s: %s\n", p.paint(na, ansiBold), p.paint(levelWords(c.A.Level), p.levelStyle(c.A.Level)),
		p.paint(nb, ansiBold), p.paint(levelWords(c.B.Level), p.levelStyle(c.B.Level)))
	switch n := c.Diff(); {
	case n > 0:
		fmt.Fprintf(&b, "%s is rated %s higher than %s.\n", nb, countWords(n, "one level", "%d levels"), na)
	case n < 0:
		fmt.Fprintf(&b, "%s is rated %s higher than %s.\n", na, countWords(-n, "one level", "%d levels"), nb)
	default:
		b.WriteString("Both are rated the same.\n")
	}

	b.WriteString("\n")
	g := &grid{}
	g.add(cell{s: "  "}, cell{s: clipRunes(na, 30), style: ansiBold}, cell{s: clipRunes(nb, 30), style: ansiBold})
	g.add(cell{s: "  scan"}, cell{s: safeText(c.A.ID)}, cell{s: safeText(c.B.ID)})
	g.add(cell{s: "  level"}, cell{s: fmt.Sprintf("%d %s", c.A.Level, c.A.LevelName), style: p.levelStyle(c.A.Level)},
		cell{s: fmt.Sprintf("%d %s", c.B.Level, c.B.LevelName), style: p.levelStyle(c.B.Level)})
	g.add(cell{s: "  hosts"}, cell{s: fmt.Sprint(c.A.Hosts)}, cell{s: fmt.Sprint(c.B.Hosts)})
	for _, sev := range scansSeverities {
		row := []cell{{s: "  " + sev.String()}}
		for _, n := range []int{c.A.Counts[sev], c.B.Counts[sev]} {
			cl := cell{s: fmt.Sprint(n)}
			if n > 0 {
				cl.style = p.severityStyle(sev)
			}
			row = append(row, cl)
		}
		g.add(row...)
	}
	_ = g.write(&b, p)

	checkSection(&b, p, "Only in "+na, c.OnlyA, func(cc diff.CheckCount) int { return cc.A })
	checkSection(&b, p, "Only in "+nb, c.OnlyB, func(cc diff.CheckCount) int { return cc.B })
	if len(c.Both) > 0 {
		fmt.Fprintf(&b, "\n%s\n", p.paint(fmt.Sprintf("In both (%s)", countWords(len(c.Both), "one check", "%d checks")), ansiBold))
		g := &grid{}
		for _, cc := range c.Both {
			g.add(cell{s: "  " + strings.ToUpper(cc.Severity.String()), style: p.severityStyle(cc.Severity)},
				cell{s: safeText(cc.Check), style: ansiBold}, cell{s: fmt.Sprintf("%d / %d", cc.A, cc.B)}, cell{s: safeText(cc.Title)})
		}
		_ = g.write(&b, p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// checkSection lists the checks found in one environment only.
func checkSection(b *strings.Builder, p painter, title string, ccs []diff.CheckCount, count func(diff.CheckCount) int) {
	if len(ccs) == 0 {
		fmt.Fprintf(b, "\n%s: none.\n", p.paint(title, ansiBold))
		return
	}
	fmt.Fprintf(b, "\n%s\n", p.paint(fmt.Sprintf("%s (%s)", title, countWords(len(ccs), "one check", "%d checks")), ansiBold))
	g := &grid{}
	for _, cc := range ccs {
		n := count(cc)
		g.add(cell{s: "  " + strings.ToUpper(cc.Severity.String()), style: p.severityStyle(cc.Severity)},
			cell{s: safeText(cc.Check), style: ansiBold}, cell{s: countWords(n, "1 finding", "%d findings")}, cell{s: safeText(cc.Title)})
	}
	_ = g.write(b, p)
}

// countWords picks the singular text for one, or formats many with n.
func countWords(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf(many, n)
}
