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
	"github.com/vigilsec/vigil/internal/facts"
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
those no longer observed and why, how many stayed open, each host's level
and the overall level before and after, and the services that were opened,
closed or replaced. Without arguments it compares the newest stored scan
with the newest one before it of the same targets (scans of other targets in
between are passed over); with one, that scan and the newest.

Findings are matched by their stable id (check, host, port and subject). A
finding of A that B does not report is fixed only when B examined the same
host and found the same port open with the same service (same protocol and,
where both name one, product). Otherwise it is no longer observed, because:
  service changed   the port answers as another service, or one vigil could
                    not identify
  port closed       B examined the port and it was not open
  not rechecked     B did not examine it: the host did not answer or was not
                    scanned, or the port, UDP probe or check was outside B
When B examined less than A (fewer hosts reached, fewer ports or UDP probes,
--ports-only, --no-default-creds), the diff says so, and a higher level that
rests on what B did not recheck is not called an improvement.

` + scanArgHelp,
		Example: `  vigil diff                              # the newest scan against the one before of the same targets
  vigil diff latest~7                     # a week of daily scans
  vigil diff before.json after.json --format json`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				args = append(args, "latest")
			}
			return runDiff(cmd.Context(), e, &f, args)
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
--label, or else by its targets; two scans of the same targets (or of the
same name) are called by their ids and dates.

` + scanArgHelp,
		Example: `  vigil scan 192.168.1.0/24 --label "office network"
  vigil scan 10.20.0.0/24 --label "hosted servers"
  vigil compare latest~1 latest`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompare(cmd.Context(), e, &f, args)
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

// loadPair checks the flags and reads the two scans refs name; with no
// refs, the two newest stored scans of the same targets.
func loadPair(ctx context.Context, e *env, f *diffFlags, refs []string) (*result.Document, *result.Document, painter, error) {
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
	if len(refs) == 0 {
		da, db, err := src.latestPair(ctx)
		return da, db, painter{color}, err
	}
	da, err := src.load(ctx, refs[0])
	if err != nil {
		return nil, nil, painter{}, err
	}
	db, err := src.load(ctx, refs[1])
	if err != nil {
		return nil, nil, painter{}, err
	}
	return da, db, painter{color}, nil
}

func runDiff(ctx context.Context, e *env, f *diffFlags, refs []string) error {
	da, db, p, err := loadPair(ctx, e, f, refs)
	if err != nil {
		return err
	}
	d := diff.Scans(da, db)
	if f.format == "json" {
		return writeIndentedJSON(e.stdout, d)
	}
	return writeDiffTable(e.stdout, d, p)
}

func runCompare(ctx context.Context, e *env, f *diffFlags, refs []string) error {
	da, db, p, err := loadPair(ctx, e, f, refs)
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
	if d.Coverage.Narrower {
		fmt.Fprintf(&b, "%s\n", p.paint("Scan B examined less than scan A:", ansiYellow))
		for _, g := range d.Coverage.Gaps {
			fmt.Fprintf(&b, "  - %s\n", safeText(g))
		}
	}
	b.WriteString("\n")

	lv := p.paint(fmt.Sprintf("Level %d → %d", d.Level.From, d.Level.To), p.levelStyle(d.Level.To))
	switch d.Verdict {
	case diff.Unproven:
		fmt.Fprintf(&b, "%s: not an improvement: counting the findings of scan A that scan B did not recheck or could no longer identify, it is level %d (%s).\n",
			lv, d.LevelAtWorst, level.Name(d.LevelAtWorst))
	case diff.Better:
		fmt.Fprintf(&b, "%s: better (%s → %s).", lv, level.Name(d.Level.From), level.Name(d.Level.To))
		if d.LevelAtWorst != d.Level.To {
			fmt.Fprintf(&b, " Counting the findings of scan A that scan B did not recheck or could no longer identify, it is level %d (%s).", d.LevelAtWorst, level.Name(d.LevelAtWorst))
		}
		b.WriteString("\n")
	case diff.Worse:
		fmt.Fprintf(&b, "%s: worse (%s → %s).\n", lv, level.Name(d.Level.From), level.Name(d.Level.To))
	default:
		fmt.Fprintf(&b, "%s: unchanged (%s).\n", lv, level.Name(d.Level.To))
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
			if h.Unverified > 0 && h.Status != diff.HostGone {
				what.s += fmt.Sprintf(" (%s of scan A unverified)", countWords(h.Unverified, "1 finding", "%d findings"))
			}
			g.add(cell{s: "  " + safeText(h.Address)}, what)
		}
		_ = g.write(&b, p)
	}

	findingSection(&b, p, "Fixed", "", d.Fixed)
	findingSection(&b, p, "New", "", d.New)
	for _, sec := range []struct {
		status diff.Status
		note   string
	}{
		{diff.StatusServiceChanged, "the port now answers as another service; these were about the old one"},
		{diff.StatusPortClosed, "scan B found the port closed"},
		{diff.StatusNotRechecked, "scan B did not examine them, so whether they remain is unknown"},
	} {
		outcomeSection(&b, p, sec.status, sec.note, d.NotObserved)
	}
	serviceSection(&b, p, "Services opened", d.Opened)
	serviceSection(&b, p, "Services closed", d.Closed)
	if len(d.Changed) > 0 {
		fmt.Fprintf(&b, "\n%s\n", p.paint(fmt.Sprintf("Services changed (%d)", len(d.Changed)), ansiBold))
		g := &grid{}
		for _, c := range d.Changed {
			g.add(cell{s: "  " + safeText(c.To.Host)}, cell{s: fmt.Sprintf("%d/%s", c.To.Port, safeText(c.To.Transport))},
				cell{s: serviceWords(c.From)}, cell{s: "→"}, cell{s: serviceWords(c.To)})
		}
		_ = g.write(&b, p)
	}

	b.WriteString("\n")
	changed := len(d.New)+len(d.Fixed)+len(d.NotObserved)+len(d.Opened)+len(d.Closed)+len(d.Changed)+len(d.Hosts) > 0 || d.Level.Changed()
	switch {
	case !changed && len(d.Unchanged) == 0:
		b.WriteString("Nothing changed, and neither scan has a finding.\n")
	case !changed:
		fmt.Fprintf(&b, "Nothing changed: the same %d finding(s) are open.\n", len(d.Unchanged))
	default:
		fmt.Fprintf(&b, "Unchanged: %d finding(s) still open.", len(d.Unchanged))
		if len(d.Unchecked) > 0 {
			fmt.Fprintf(&b, " Not rechecked: %d.", len(d.Unchecked))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// outcomeSection lists the findings no longer observed with one status,
// each with its reason, under the status's words.
func outcomeSection(b *strings.Builder, p painter, status diff.Status, note string, os []diff.Outcome) {
	var g grid
	n := 0
	for _, o := range os {
		if o.Status != status {
			continue
		}
		n++
		g.add(cell{s: "  " + strings.ToUpper(o.Severity.String()), style: p.severityStyle(o.Severity)},
			cell{s: findingPlace(o.Finding)}, cell{s: safeText(o.Check), style: ansiBold}, cell{s: safeText(o.Title)},
			cell{s: safeText(o.Reason), style: ansiDim})
	}
	if n == 0 {
		return
	}
	title := status.Words()
	title = strings.ToUpper(title[:1]) + title[1:]
	fmt.Fprintf(b, "\n%s — %s\n", p.paint(fmt.Sprintf("%s (%d)", title, n), ansiBold), note)
	_ = g.write(b, p)
}

// serviceWords is a service as "ftp vsftpd 3.0.3", "http over TLS nginx" or
// "unidentified".
func serviceWords(s diff.Service) string {
	name := s.Name
	if name == "" || name == facts.Unknown {
		name = "unidentified"
	}
	if s.TLS {
		name += " over TLS"
	}
	return safeText(strings.TrimSpace(name + " " + s.Product + " " + s.Version))
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
	na, nb, ha, hb := sideNames(c)
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
	g.add(cell{s: "  "}, cell{s: ha, style: ansiBold}, cell{s: hb, style: ansiBold})
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

// sideNames says how a comparison calls its two sides, in sentences and
// over the side-by-side columns: by their names, or, when the scans had the
// same targets or names and so the names cannot tell them apart, by id and
// start time (the columns, under which the ids are listed, by start time
// alone, unless that is the same too).
func sideNames(c diff.Comparison) (nameA, nameB, headA, headB string) {
	if !c.SameTargets && c.A.Name != c.B.Name {
		nameA, nameB = safeText(c.A.Name), safeText(c.B.Name)
		return nameA, nameB, clipRunes(nameA, 30), clipRunes(nameB, 30)
	}
	const layout = "2006-01-02 15:04"
	da, db := c.A.Started.In(time.Local).Format(layout), c.B.Started.In(time.Local).Format(layout)
	nameA, nameB = fmt.Sprintf("%s (%s)", safeText(c.A.ID), da), fmt.Sprintf("%s (%s)", safeText(c.B.ID), db)
	if da == db {
		return nameA, nameB, clipRunes(safeText(c.A.ID), 30), clipRunes(safeText(c.B.ID), 30)
	}
	return nameA, nameB, da, db
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
