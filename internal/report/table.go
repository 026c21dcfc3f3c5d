package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/compliance"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/level"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/textout"
)

// Table writes a human-readable summary grouped by host: the level first,
// then each host's services and findings, worst first; under a finding of
// known-vulnerable software, its package and its vulnerabilities. Every
// string that came from the network or a data file is escaped for the
// terminal.
type Table struct {
	Color bool
	// Offer, when set, tells whether `vigil fix` has an applier for a
	// finding on the service seen on its port (see Options.Offer).
	Offer func(f finding.Finding, svc *facts.Service) bool
	// Brief writes the level and one line per finding, worst first.
	Brief bool
	// Compliance, when set, is written after the findings.
	Compliance *compliance.Assessment
}

func (t Table) style(s, codes string) string { return palette{t.Color}.paint(s, codes) }

// safe escapes a network-derived string for the terminal.
func safe(s string) string { return sanitize.Terminal(s) }

// safeLines escapes each line of s for the terminal, keeping line breaks.
func safeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = safe(strings.TrimRight(l, "\r"))
	}
	return strings.Join(lines, "\n")
}

// Write implements Writer.
func (t Table) Write(w io.Writer, doc *result.Document) error {
	if t.Compliance != nil {
		a := t.Compliance
		t.Compliance = nil
		if err := t.Write(w, doc); err != nil {
			return err
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
		return compliance.WriteText(w, a)
	}
	ew := &textout.Writer{W: w}
	defer t.footer(ew, doc)
	if t.Brief {
		t.brief(ew, doc)
		return ew.Err
	}
	if doc.HostAudit != nil {
		t.hostAudit(ew, doc)
		return ew.Err
	}
	t.header(ew, doc)

	byHost := map[string][]finding.Finding{}
	for _, f := range doc.Findings {
		byHost[f.Host] = append(byHost[f.Host], f)
	}
	quiet := doc.QuietHosts
	for _, h := range doc.Hosts {
		fs := byHost[h.Address]
		delete(byHost, h.Address)
		if len(h.Services) == 0 && len(fs) == 0 && len(h.NotExamined) == 0 {
			quiet++
			continue
		}
		t.host(ew, doc, h, fs)
	}
	// Findings about hosts that are not in the host list (host audits).
	rest := slices.SortedFunc(maps.Keys(byHost), finding.CompareHosts)
	for _, addr := range rest {
		t.host(ew, doc, result.Host{Address: addr}, byHost[addr])
	}
	if quiet > 0 {
		ew.Printf("%s\n", t.style(fmt.Sprintf("%d more host(s) answered with no open port and no finding.", quiet), dim))
	}
	return ew.Err
}

// hostAudit writes a host audit (vigil host): the level, the listeners by
// address with their processes and reachability, the firewall, the
// configurations read, what could not be checked, and the findings.
func (t Table) hostAudit(ew *textout.Writer, doc *result.Document) {
	h := doc.HostAudit
	counts := map[finding.Severity]int{}
	for _, f := range doc.Findings {
		counts[f.Severity]++
	}
	var parts []string
	for s := finding.Critical; s >= finding.Info; s-- {
		if counts[s] > 0 {
			parts = append(parts, t.style(fmt.Sprintf("%d %s", counts[s], s), severityStyle(s)))
		}
	}
	sev := ""
	if len(parts) > 0 {
		sev = " (" + strings.Join(parts, ", ") + ")"
	}
	where := "this machine"
	switch {
	case h.Remote != "":
		where = "over SSH as " + safe(h.Remote)
	case h.Root != "":
		where = "the mounted root " + safe(h.Root)
	}
	what := fmt.Sprintf("%d listener(s)", len(h.Listeners))
	if h.Root != "" {
		what = fmt.Sprintf("%d package(s)", len(h.Packages))
	}
	if h.Root != "" && h.Hostname == "" {
		ew.Printf("%s host audit of %s\n", t.style("vigil", bold), where)
	} else {
		ew.Printf("%s host audit of %s, %s\n", t.style("vigil", bold), t.style(safe(h.Hostname), bold), where)
	}
	ew.Printf("%s · %d finding(s)%s · %s (%s)\n\n", what, len(doc.Findings), sev, doc.When(), doc.Finished.Sub(doc.Started).Round(10_000_000))
	lv := doc.Level
	ew.Printf("%s", t.style(fmt.Sprintf("Level %d of 5 — %s.", lv.Value, level.Name(lv.Value)), levelStyle(lv.Value)))
	switch {
	case len(lv.Next) > 0:
		ew.Printf(" Fix %s to reach level %d.", plural(len(lv.Next), "this finding", "these %d findings"), lv.Value+1)
	case lv.Value < 5:
		ew.Printf(" %s", safe(lv.Reason))
	}
	ew.Printf("\n\n")
	if sys := systemSummary(h); sys != "" {
		ew.Printf("%s %s\n", t.style("System:", bold), safe(sys))
		if h.Root == "" {
			ew.Printf("\n")
		}
	}
	if h.Root == "" {
		t.liveHost(ew, h)
	}
	t.hostAuditRest(ew, doc)
}

// liveHost writes what only a running machine has: its listeners by
// address and its firewall.
func (t Table) liveHost(ew *textout.Writer, h *facts.HostAudit) {
	ew.Printf("%s\n", t.style("Listeners", bold))
	byAddr := map[string][]facts.Listener{}
	for _, l := range h.Listeners {
		byAddr[l.Address] = append(byAddr[l.Address], l)
	}
	addrs := slices.SortedFunc(maps.Keys(byAddr), finding.CompareHosts)
	for _, a := range addrs {
		ew.Printf("  %s\n", t.style(safe(a), bold))
		tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
		for _, l := range byAddr[a] {
			proc := "unknown process"
			if l.Process != "" {
				proc = safe(l.Process)
				if l.PID > 0 {
					proc += fmt.Sprintf(" (pid %d)", l.PID)
				}
			}
			if l.Unit != "" {
				proc += " " + safe(l.Unit)
			}
			reach := t.style("local", dim)
			if l.Reachable {
				reach = t.style("REACHABLE", yellow)
			}
			fmt.Fprintf(tw, "    %d/%s\t%s\t%s\t%s\t%s\n", l.Port, safe(l.Transport), proc, haOrDash(safe(l.User)), reach, safe(l.Reason))
		}
		_ = tw.Flush()
	}
	if len(h.Listeners) == 0 {
		ew.Printf("  none\n")
	}

	fw := h.Firewall
	ew.Printf("\n%s ", t.style("Firewall:", bold))
	switch fw.Kind {
	case "", "none":
		ew.Printf("none — no rule filters inbound traffic")
	default:
		ew.Printf("%s, input policy %s", safe(fw.Kind), haOrDash(safe(fw.InputPolicy)))
		if !fw.Filtering {
			ew.Printf(", drops nothing")
		}
	}
	if fw.Source != "" {
		ew.Printf(" (%s)", safe(fw.Source))
	}
	ew.Printf("\n")
	if len(fw.Allowed) > 0 {
		var allowed []string
		for _, r := range fw.Allowed {
			p := "every port"
			if r.Port > 0 {
				p = fmt.Sprintf("%d", r.Port)
				if r.PortEnd > 0 {
					p += fmt.Sprintf("-%d", r.PortEnd)
				}
			}
			a := safe(r.Transport) + "/" + p
			if r.From != "" {
				a += " from " + safe(r.From)
			}
			allowed = append(allowed, a)
		}
		ew.Printf("%s\n", textout.Indent(textout.Wrap("accepts "+strings.Join(allowed, ", "), 96), 2))
	}
}

// hostAuditRest writes the configurations read, the processes not
// examined, what could not be checked, and the findings.
func (t Table) hostAuditRest(ew *textout.Writer, doc *result.Document) {
	h := doc.HostAudit
	var cfgs []string
	for _, c := range h.SSHD {
		cfgs = append(cfgs, fmt.Sprintf("sshd (pid %d)\t%s (%s)", c.PID, safe(c.ConfigFile), safe(c.Method)))
	}
	for _, c := range h.PostgreSQL {
		cfgs = append(cfgs, fmt.Sprintf("PostgreSQL (pid %d)\t%s, %s", c.PID, safe(c.ConfigFile), safe(c.HBAFile)))
	}
	for _, c := range h.Redis {
		src := safe(c.ConfigFile)
		if src == "" {
			src = "no config file"
		}
		cfgs = append(cfgs, fmt.Sprintf("Redis (pid %d)\t%s (%s)", c.PID, src, safe(c.Method)))
	}
	for _, c := range h.FTP {
		cfgs = append(cfgs, fmt.Sprintf("%s (pid %d)\t%s", safe(c.Product), c.PID, safe(c.ConfigFile)))
	}
	for _, c := range h.Nginx {
		cfgs = append(cfgs, fmt.Sprintf("nginx (pid %d)\t%s", c.PID, safe(c.ConfigFile)))
	}
	for _, c := range h.Samba {
		files := []string{c.ConfigFile}
		for _, f := range c.Files {
			if f != c.ConfigFile {
				files = append(files, f)
			}
		}
		cfgs = append(cfgs, fmt.Sprintf("smbd (pid %d)\t%s", c.PID, safe(strings.Join(files, ", "))))
	}
	for _, c := range h.Apache {
		cfgs = append(cfgs, fmt.Sprintf("Apache httpd (pid %d)\t%s", c.PID, safe(c.ConfigFile)))
	}
	if len(cfgs) > 0 {
		ew.Printf("\n%s\n", t.style("Configurations read", bold))
		tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
		for _, c := range cfgs {
			fmt.Fprintf(tw, "  %s\n", c)
		}
		_ = tw.Flush()
	}
	if len(h.Distrusted) > 0 {
		ew.Printf("\n%s\n", t.style("Not examined as daemons", bold))
		for _, d := range h.Distrusted {
			lines := textout.Wrap(fmt.Sprintf("%s (pid %d, user %s): %s", safe(d.Process), d.PID, safe(d.User), safe(d.Reason)), 94)
			ew.Printf("  - %s\n", lines[0])
			if len(lines) > 1 {
				ew.Printf("%s\n", textout.Indent(lines[1:], 4))
			}
		}
	}
	if len(h.Errors) > 0 {
		ew.Printf("\n%s\n", t.style("Not checked", bold))
		for _, e := range h.Errors {
			lines := textout.Wrap(safe(e), 94)
			ew.Printf("  - %s\n", lines[0])
			if len(lines) > 1 {
				ew.Printf("%s\n", textout.Indent(lines[1:], 4))
			}
		}
	}

	ew.Printf("\n")
	if len(doc.Findings) == 0 {
		ew.Printf("%s\n", t.style("No findings.", green))
		return
	}
	levels := map[string]int{}
	for _, x := range doc.Hosts {
		levels[x.Address] = x.Level
	}
	byHost := map[string][]finding.Finding{}
	for _, f := range doc.Findings {
		byHost[f.Host] = append(byHost[f.Host], f)
	}
	for _, addr := range slices.SortedFunc(maps.Keys(byHost), finding.CompareHosts) {
		t.host(ew, doc, result.Host{Address: addr, Level: levels[addr]}, byHost[addr])
	}
}

// systemSummary is the one line that says what a host audit found of
// the system: "1,234 packages (dpkg), Debian GNU/Linux 12 (bookworm)".
func systemSummary(h *facts.HostAudit) string {
	var parts []string
	if len(h.Packages) > 0 {
		counts := map[string]int{}
		var formats []string
		for _, p := range h.Packages {
			if counts[p.Format] == 0 {
				formats = append(formats, p.Format)
			}
			counts[p.Format]++
		}
		slices.Sort(formats)
		from := strings.Join(formats, ", ")
		if len(formats) > 1 {
			var each []string
			for _, f := range formats {
				each = append(each, fmt.Sprintf("%s %d", f, counts[f]))
			}
			from = strings.Join(each, ", ")
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", plural(len(h.Packages), "1 package", "%d packages"), from))
	}
	if h.OS != nil {
		name := h.OS.PrettyName
		if name == "" {
			name = strings.TrimSpace(h.OS.ID + " " + h.OS.VersionID)
		}
		if name != "" {
			parts = append(parts, name)
		}
	}
	return strings.Join(parts, ", ")
}

func haOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (t Table) header(ew *textout.Writer, doc *result.Document) {
	open := 0
	for _, h := range doc.Hosts {
		open += len(h.Services)
	}
	counts := map[finding.Severity]int{}
	for _, f := range doc.Findings {
		counts[f.Severity]++
	}
	var parts []string
	for s := finding.Critical; s >= finding.Info; s-- {
		if counts[s] > 0 {
			parts = append(parts, t.style(fmt.Sprintf("%d %s", counts[s], s), severityStyle(s)))
		}
	}
	sev := ""
	if len(parts) > 0 {
		sev = " (" + strings.Join(parts, ", ") + ")"
	}
	ew.Printf("%s %s of %s", t.style("vigil", bold), "scan", safe(strings.Join(doc.Targets, " ")))
	if doc.Ports != "" {
		ew.Printf(", ports %s", safe(doc.Ports))
	}
	ew.Printf("\n%d host(s) · %d open port(s) · %d finding(s)%s · %s (%s)\n\n",
		len(doc.Hosts), open, len(doc.Findings), sev, doc.When(), doc.Finished.Sub(doc.Started).Round(10_000_000))

	lv := doc.Level
	line := fmt.Sprintf("Level %d of 5 — %s.", lv.Value, level.Name(lv.Value))
	ew.Printf("%s", t.style(line, levelStyle(lv.Value)))
	switch {
	case len(lv.Next) > 0:
		ew.Printf(" Fix %s to reach level %d.", plural(len(lv.Next), "this finding", "these %d findings"), lv.Value+1)
	case lv.Value < 5:
		ew.Printf(" %s", safe(lv.Reason))
	}
	ew.Printf("\n\n")
	if len(doc.NotExamined) > 0 {
		ew.Printf("%s\n", t.style("Not examined on any host:", yellow))
		t.gaps(ew, doc.NotExamined)
		ew.Printf("\n")
	}
}

// brief writes the header and one line per finding: severity, place,
// check, title and the finding's id, worst first.
func (t Table) brief(ew *textout.Writer, doc *result.Document) {
	t.header(ew, doc)
	fs := append([]finding.Finding(nil), doc.Findings...)
	finding.Sort(fs)
	tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
	for _, f := range fs {
		where := f.Host
		if f.Port != 0 {
			where = fmt.Sprintf("%s:%d/%s", f.Host, f.Port, f.Transport)
		}
		title := safe(f.Headline())
		if f.Accepted != nil {
			title += " (accepted until " + safe(f.Accepted.Until) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.style(strings.ToUpper(f.Severity.String()), severityStyle(f.Severity)),
			safe(where), safe(f.Check), title, t.style(safe(f.ID), dim))
	}
	_ = tw.Flush()
	gaps := len(doc.NotExamined)
	for _, h := range doc.Hosts {
		gaps += len(h.NotExamined)
	}
	if gaps > 0 {
		ew.Printf("%s\n", t.style(fmt.Sprintf("%d thing(s) not examined: the full table (without --brief) lists them.", gaps), yellow))
	}
	ew.Printf("\n")
}

// footer says who ran it, from where, with what.
func (t Table) footer(ew *textout.Writer, doc *result.Document) {
	if doc.Run == nil {
		return
	}
	line := doc.Run.Summary()
	ew.Printf("%s\n", t.style(safe(strings.ToUpper(line[:1])+line[1:]+"."), dim))
}

// gaps lists what was not examined, one wrapped line each.
func (t Table) gaps(ew *textout.Writer, gs []result.Gap) {
	for _, g := range gs {
		line := g.What
		if w := g.Where(); w != "" {
			line = w + ": " + line
		}
		lines := textout.Wrap(safe(line), 94)
		ew.Printf("  - %s\n", lines[0])
		if len(lines) > 1 {
			ew.Printf("%s\n", textout.Indent(lines[1:], 4))
		}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf(many, n)
}

func (t Table) host(ew *textout.Writer, doc *result.Document, h result.Host, fs []finding.Finding) {
	title := safe(h.Address)
	if len(h.Names) > 0 {
		title += " (" + safe(strings.Join(h.Names, ", ")) + ")"
	}
	ew.Printf("%s", t.style(title, bold))
	if h.Level > 0 {
		ew.Printf(" — %s", t.style(fmt.Sprintf("level %d, %s", h.Level, level.Name(h.Level)), levelStyle(h.Level)))
	}
	if c := h.Ports; c.Open+c.Closed+c.Filtered > 0 {
		ew.Printf("%s", t.style(fmt.Sprintf(" · %d open, %d closed, %d filtered", c.Open, c.Closed, c.Filtered), dim))
	}
	ew.Printf("\n")
	if len(h.Services) > 0 {
		tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", "PORT", "SERVICE", "PRODUCT", "TLS", "BANNER")
		for _, s := range h.Services {
			fmt.Fprintf(tw, "  %d/%s\t%s\t%s\t%s\t%s\n", s.Port, s.Transport, safe(s.Name), productVersion(s), yesNo(s.TLS), clip(safe(s.Banner), 60))
		}
		_ = tw.Flush()
	}
	if len(h.NotExamined) > 0 {
		ew.Printf("\n  %s\n", t.style("Not examined:", yellow))
		t.gaps(ew, h.NotExamined)
	}
	if len(fs) > 0 {
		ew.Printf("\n")
		for _, f := range fs {
			where := "host"
			if f.Port != 0 {
				where = fmt.Sprintf("%d/%s", f.Port, f.Transport)
			}
			ew.Printf("  %s %-9s %s  %s\n", t.style(fmt.Sprintf("%-8s", strings.ToUpper(f.Severity.String())), severityStyle(f.Severity)),
				where, t.style(safe(f.Check), bold), safe(f.Title))
			if f.Package != nil {
				ew.Printf("%s\n", textout.Indent(textout.Wrap("Package "+safe(packageLine(f.Package)), 96), 21))
			}
			t.vulns(ew, f.Vulnerabilities)
			if f.Evidence != "" {
				ew.Printf("%s\n", textout.Indent(textout.Wrap("Evidence: "+safeLines(f.Evidence), 96), 21))
			}
			ew.Printf("%s\n", textout.Indent(textout.Wrap("Fix: "+safeLines(f.Recommendation), 96), 21))
			if f.Accepted != nil {
				ew.Printf("%s\n", t.style(textout.Indent(textout.Wrap("Risk "+safe(f.Accepted.String())+" (it does not cap the level until then)", 96), 21), green))
			}
			id := "Finding " + safe(f.ID)
			if t.Offer != nil && t.Offer(f, ServiceFor(doc, f)) {
				id += fmt.Sprintf(": vigil fix %s applies this fix after you confirm", safe(f.ID))
			}
			ew.Printf("%s\n", t.style(textout.Indent([]string{id}, 21), dim))
		}
	}
	ew.Printf("\n")
}

// vulns lists a finding's vulnerabilities under it, worst first, one a
// line: the id, in its severity's colour on a terminal, then its notes
// ("CVSS 8.1, EPSS 99.51%, fixed in …"); at most vulnLimit, then how many
// more there are.
func (t Table) vulns(ew *textout.Writer, vs []finding.Vulnerability) {
	const indent = 21
	shown, more := shownVulns(vs)
	width := 0
	for _, v := range shown {
		width = max(width, utf8.RuneCountInString(safe(v.ID)))
	}
	width = min(width, 20) // a longer id pushes only its own notes along
	for _, v := range shown {
		id := safe(v.ID)
		pad := strings.Repeat(" ", max(width-utf8.RuneCountInString(id), 0)+2)
		notes := textout.Wrap(safe(strings.Join(v.Notes(), ", ")), 96-width-2)
		ew.Printf("%s%s%s%s\n", strings.Repeat(" ", indent), t.style(id, severityStyle(v.Severity())), pad, notes[0])
		if len(notes) > 1 {
			ew.Printf("%s\n", textout.Indent(notes[1:], indent+width+2))
		}
	}
	if more > 0 {
		ew.Printf("%s\n", textout.Indent([]string{moreVulns(more)}, indent))
	}
}

func productVersion(s facts.Service) string {
	return safe(strings.TrimSpace(s.Product + " " + s.Version))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
