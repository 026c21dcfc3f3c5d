package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/diff"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/level"
)

// WriteDiff writes what changed between two scans (vigil diff) as a
// terminal table, coloured when color is true.
func WriteDiff(w io.Writer, d diff.Diff, color bool) error {
	return writeDiffTable(w, d, palette{color})
}

// WriteComparison writes two environments side by side (vigil compare) as
// a terminal table, coloured when color is true.
func WriteComparison(w io.Writer, c diff.Comparison, color bool) error {
	return writeCompareTable(w, c, palette{color})
}

// levelWords is "level 3 (basic)".
func levelWords(v int) string {
	if v == 0 {
		return "not rated"
	}
	return fmt.Sprintf("level %d (%s)", v, level.Name(v))
}

// scanLine describes one side of a diff: id, name and start time.
func scanLine(s diff.Scan) string {
	return fmt.Sprintf("%s  %s · %s", safe(s.ID), safe(s.Name), s.Started.In(time.Local).Format("2006-01-02 15:04"))
}

func writeDiffTable(w io.Writer, d diff.Diff, p palette) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s A %s\n", p.paint("vigil diff", bold), scanLine(d.A))
	fmt.Fprintf(&b, "           B %s\n", scanLine(d.B))
	if !slices.Equal(d.A.Targets, d.B.Targets) {
		fmt.Fprintf(&b, "%s\n", p.paint(fmt.Sprintf("The scans covered different targets (%s; %s): a host only one of them looked at shows as new or not seen.",
			safe(strings.Join(d.A.Targets, " ")), safe(strings.Join(d.B.Targets, " "))), dim))
	}
	if d.Coverage.Narrower {
		fmt.Fprintf(&b, "%s\n", p.paint("Scan B examined less than scan A:", yellow))
		for _, g := range d.Coverage.Gaps {
			fmt.Fprintf(&b, "  - %s\n", safe(g))
		}
	}
	b.WriteString("\n")

	lv := p.paint(fmt.Sprintf("Level %d → %d", d.Level.From, d.Level.To), levelStyle(d.Level.To))
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
		fmt.Fprintf(&b, "\n%s\n", p.paint("Hosts", bold))
		g := &grid{}
		for _, h := range d.Hosts {
			var what cell
			switch h.Status {
			case diff.HostNew:
				what = cell{s: fmt.Sprintf("new, level %d", h.To), style: levelStyle(h.To)}
			case diff.HostGone:
				what = cell{s: fmt.Sprintf("not seen by B (was level %d)", h.From), style: dim}
			default:
				what = cell{s: fmt.Sprintf("level %d → %d", h.From, h.To), style: levelStyle(h.To)}
			}
			if h.Unverified > 0 && h.Status != diff.HostGone {
				what.s += fmt.Sprintf(" (%s of scan A unverified)", countWords(h.Unverified, "1 finding", "%d findings"))
			}
			g.add(cell{s: "  " + safe(h.Address)}, what)
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
		fmt.Fprintf(&b, "\n%s\n", p.paint(fmt.Sprintf("Services changed (%d)", len(d.Changed)), bold))
		g := &grid{}
		for _, c := range d.Changed {
			g.add(cell{s: "  " + safe(c.To.Host)}, cell{s: fmt.Sprintf("%d/%s", c.To.Port, safe(c.To.Transport))},
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
func outcomeSection(b *strings.Builder, p palette, status diff.Status, note string, os []diff.Outcome) {
	var g grid
	n := 0
	for _, o := range os {
		if o.Status != status {
			continue
		}
		n++
		g.add(cell{s: "  " + strings.ToUpper(o.Severity.String()), style: severityStyle(o.Severity)},
			cell{s: findingPlace(o.Finding)}, cell{s: safe(o.Check), style: bold}, cell{s: safe(o.Title)},
			cell{s: safe(o.Reason), style: dim})
	}
	if n == 0 {
		return
	}
	title := status.Words()
	title = strings.ToUpper(title[:1]) + title[1:]
	fmt.Fprintf(b, "\n%s — %s\n", p.paint(fmt.Sprintf("%s (%d)", title, n), bold), note)
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
	return safe(strings.TrimSpace(name + " " + s.Product + " " + s.Version))
}

// findingSection lists findings under a heading with their count.
func findingSection(b *strings.Builder, p palette, title, note string, fs []finding.Finding) {
	if len(fs) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s", p.paint(fmt.Sprintf("%s (%d)", title, len(fs)), bold))
	if note != "" {
		fmt.Fprintf(b, " — %s", note)
	}
	b.WriteString("\n")
	g := &grid{}
	for _, f := range fs {
		g.add(cell{s: "  " + strings.ToUpper(f.Severity.String()), style: severityStyle(f.Severity)},
			cell{s: findingPlace(f)}, cell{s: safe(f.Check), style: bold}, cell{s: safe(f.Title)})
	}
	_ = g.write(b, p)
}

// findingPlace is host:port/transport, or the host alone for host-wide findings.
func findingPlace(f finding.Finding) string {
	if f.Port == 0 {
		return safe(f.Host)
	}
	return fmt.Sprintf("%s:%d/%s", safe(f.Host), f.Port, safe(f.Transport))
}

func serviceSection(b *strings.Builder, p palette, title string, ss []diff.Service) {
	if len(ss) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s\n", p.paint(fmt.Sprintf("%s (%d)", title, len(ss)), bold))
	g := &grid{}
	for _, s := range ss {
		g.add(cell{s: "  " + safe(s.Host)}, cell{s: fmt.Sprintf("%d/%s", s.Port, safe(s.Transport))},
			cell{s: safe(s.Name)}, cell{s: safe(strings.TrimSpace(s.Product + " " + s.Version))})
	}
	_ = g.write(b, p)
}

func writeCompareTable(w io.Writer, c diff.Comparison, p palette) error {
	var b strings.Builder
	na, nb, ha, hb := sideNames(c)
	fmt.Fprintf(&b, "%s: %s — %s: %s\n", p.paint(na, bold), p.paint(levelWords(c.A.Level), levelStyle(c.A.Level)),
		p.paint(nb, bold), p.paint(levelWords(c.B.Level), levelStyle(c.B.Level)))
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
	g.add(cell{s: "  "}, cell{s: ha, style: bold}, cell{s: hb, style: bold})
	g.add(cell{s: "  scan"}, cell{s: safe(c.A.ID)}, cell{s: safe(c.B.ID)})
	g.add(cell{s: "  level"}, cell{s: fmt.Sprintf("%d %s", c.A.Level, c.A.LevelName), style: levelStyle(c.A.Level)},
		cell{s: fmt.Sprintf("%d %s", c.B.Level, c.B.LevelName), style: levelStyle(c.B.Level)})
	g.add(cell{s: "  hosts"}, cell{s: fmt.Sprint(c.A.Hosts)}, cell{s: fmt.Sprint(c.B.Hosts)})
	for _, sev := range scansSeverities {
		row := []cell{{s: "  " + sev.String()}}
		for _, n := range []int{c.A.Counts[sev], c.B.Counts[sev]} {
			cl := cell{s: fmt.Sprint(n)}
			if n > 0 {
				cl.style = severityStyle(sev)
			}
			row = append(row, cl)
		}
		g.add(row...)
	}
	_ = g.write(&b, p)

	checkSection(&b, p, "Only in "+na, c.OnlyA, func(cc diff.CheckCount) int { return cc.A })
	checkSection(&b, p, "Only in "+nb, c.OnlyB, func(cc diff.CheckCount) int { return cc.B })
	if len(c.Both) > 0 {
		fmt.Fprintf(&b, "\n%s\n", p.paint(fmt.Sprintf("In both (%s)", countWords(len(c.Both), "one check", "%d checks")), bold))
		g := &grid{}
		for _, cc := range c.Both {
			g.add(cell{s: "  " + strings.ToUpper(cc.Severity.String()), style: severityStyle(cc.Severity)},
				cell{s: safe(cc.Check), style: bold}, cell{s: fmt.Sprintf("%d / %d", cc.A, cc.B)}, cell{s: safe(cc.Title)})
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
		nameA, nameB = safe(c.A.Name), safe(c.B.Name)
		return nameA, nameB, Clip(nameA, 30), Clip(nameB, 30)
	}
	const layout = "2006-01-02 15:04"
	da, db := c.A.Started.In(time.Local).Format(layout), c.B.Started.In(time.Local).Format(layout)
	nameA, nameB = fmt.Sprintf("%s (%s)", safe(c.A.ID), da), fmt.Sprintf("%s (%s)", safe(c.B.ID), db)
	if da == db {
		return nameA, nameB, Clip(safe(c.A.ID), 30), Clip(safe(c.B.ID), 30)
	}
	return nameA, nameB, da, db
}

// checkSection lists the checks found in one environment only.
func checkSection(b *strings.Builder, p palette, title string, ccs []diff.CheckCount, count func(diff.CheckCount) int) {
	if len(ccs) == 0 {
		fmt.Fprintf(b, "\n%s: none.\n", p.paint(title, bold))
		return
	}
	fmt.Fprintf(b, "\n%s\n", p.paint(fmt.Sprintf("%s (%s)", title, countWords(len(ccs), "one check", "%d checks")), bold))
	g := &grid{}
	for _, cc := range ccs {
		n := count(cc)
		g.add(cell{s: "  " + strings.ToUpper(cc.Severity.String()), style: severityStyle(cc.Severity)},
			cell{s: safe(cc.Check), style: bold}, cell{s: countWords(n, "1 finding", "%d findings")}, cell{s: safe(cc.Title)})
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
