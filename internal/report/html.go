package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/compliance"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/level"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// HTML writes one self-contained page: inline CSS, no script, no external
// resource, readable on screen and on paper. The level comes first, then the
// compliance table when Compliance is set, the findings by severity with
// their evidence and fix (and, for known-vulnerable software, the package
// and a table of its vulnerabilities), and the hosts and their services.
// html/template escapes every string, and control characters are shown as
// \xNN escapes, so a banner full of markup or terminal escapes appears as
// text; the only links that leave the page are vulnerabilities' http and
// https URLs.
type HTML struct {
	// Compliance, when set, adds the framework's control table.
	Compliance *compliance.Assessment
}

//go:embed templates/report.html.tmpl
var htmlTemplateText string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"clean": clean,
	"upper": strings.ToUpper,
	"join":  strings.Join,
	"sev":   func(s finding.Severity) string { return s.String() },
	"where": where,
	"levelName": func(v int) string {
		return levelName(v)
	},
	"productVersion": func(product, version string) string { return strings.TrimSpace(product + " " + version) },
	"status":         func(s compliance.Status) string { return strings.ReplaceAll(s.String(), " ", "-") },
	"date":           func(a *compliance.Assessment) string { return a.Dates() },
	"findingOf": func(a *compliance.Assessment, id string) finding.Finding {
		f, _ := a.Finding(id)
		return f
	},
	"packageLine": packageLine,
	"vulnRows":    vulnRows,
}).Parse(htmlTemplateText))

// vulnRow is a vulnerability as the HTML report's table shows it.
type vulnRow struct {
	finding.Vulnerability
	// Link is the URL when it is an http or https URL, else "" (the URL,
	// if any, is then shown as text).
	Link string
	// EPSS is the probability of exploitation as a percentage, "" when
	// unknown; Note is what the distribution said of it, if anything.
	EPSS, Note string
}

// vulnRows returns the rows of a finding's vulnerability table, worst
// first.
func vulnRows(vs []finding.Vulnerability) []vulnRow {
	rows := make([]vulnRow, 0, len(vs))
	for _, v := range finding.WorstFirst(vs) {
		r := vulnRow{Vulnerability: v, Link: httpURL(v.URL), Note: v.UrgencyNote()}
		if v.EPSS != nil {
			r.EPSS = finding.Percent(*v.EPSS)
		}
		rows = append(rows, r)
	}
	return rows
}

// levelName is the word for a level: exposed, weak, basic, solid, strong.
func levelName(v int) string { return level.Name(v) }

// clean makes a string from a scan safe to show: every control character
// except newline (ESC, BEL, CR, tab, C1 controls) and invalid UTF-8 turn into
// visible escapes, line by line.
func clean(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = sanitize.Terminal(l)
	}
	return strings.Join(lines, "\n")
}

// where names a finding's place: host:port/transport, or the host alone.
func where(f finding.Finding) string {
	if f.Port == 0 {
		return f.Host
	}
	return fmt.Sprintf("%s:%d/%s", f.Host, f.Port, f.Transport)
}

// levelHeadline returns the level sentence every format starts with,
// "Level 2 of 5 — weak.", and what follows it: "Fix these 3 findings to
// reach level 3." or the reason when no finding holds the level down.
func levelHeadline(lv level.Level) (headline, next string) {
	headline = fmt.Sprintf("Level %d of 5 — %s.", lv.Value, levelName(lv.Value))
	switch {
	case len(lv.Next) == 1:
		next = fmt.Sprintf("Fix this finding to reach level %d.", lv.Value+1)
	case len(lv.Next) > 1:
		next = fmt.Sprintf("Fix these %d findings to reach level %d.", len(lv.Next), lv.Value+1)
	case lv.Value < 5:
		next = clean(lv.Reason)
		if next != "" {
			next = strings.ToUpper(next[:1]) + next[1:]
			if !strings.HasSuffix(next, ".") {
				next += "."
			}
		}
	}
	return headline, next
}

// rubric explains how levels are rated, for people reading a report.
var rubric = []struct {
	Value       int
	Name, Means string
}{
	{1, "exposed", "a critical finding is open"},
	{2, "weak", "no critical finding; a high one is open"},
	{3, "basic", "no high finding; a medium one is open"},
	{4, "solid", "only low or informational findings"},
	{5, "strong", "level 4, no low finding, and a host audit (vigil host) within the last 7 days"},
}

// rubricNote says how the overall level follows from the hosts'.
const rubricNote = "A host's level is capped by its worst open finding, like a chain by its weakest link; " +
	"the organisation's level is its lowest host level. A network scan alone can vouch for level 4 at most."

// severityGroup is the findings of one severity.
type severityGroup struct {
	Severity finding.Severity
	Findings []finding.Finding
}

// hostView is one host with its findings.
type hostView struct {
	result.Host
	Findings []finding.Finding
}

// view is what the HTML and PDF reports show, computed once from the document.
type view struct {
	Doc                *result.Document
	Headline, NextLine string
	Next               []finding.Finding
	Counts             []severityGroup // every severity with findings, worst first
	Groups             []severityGroup
	Hosts              []hostView
	Quiet              int
	OpenPorts          int
	Rubric             any
	RubricNote         string
	Compliance         *compliance.Assessment
}

func newView(doc *result.Document, a *compliance.Assessment) *view {
	v := &view{Doc: doc, Rubric: rubric, RubricNote: rubricNote, Compliance: a}
	v.Headline, v.NextLine = levelHeadline(doc.Level)
	byID := map[string]finding.Finding{}
	for _, f := range doc.Findings {
		byID[f.ID] = f
	}
	for _, id := range doc.Level.Next {
		if f, ok := byID[id]; ok {
			v.Next = append(v.Next, f)
		}
	}
	fs := slices.Clone(doc.Findings)
	finding.Sort(fs)
	for s := finding.Critical; s >= finding.Info; s-- {
		g := severityGroup{Severity: s}
		for _, f := range fs {
			if f.Severity == s {
				g.Findings = append(g.Findings, f)
			}
		}
		if len(g.Findings) > 0 {
			v.Groups = append(v.Groups, g)
		}
	}
	v.Counts = v.Groups
	byHost := map[string][]finding.Finding{}
	for _, f := range fs {
		byHost[f.Host] = append(byHost[f.Host], f)
	}
	v.Quiet = doc.QuietHosts
	for _, h := range doc.Hosts {
		v.OpenPorts += len(h.Services)
		hf := byHost[h.Address]
		delete(byHost, h.Address)
		if len(h.Services) == 0 && len(hf) == 0 && len(h.NotExamined) == 0 {
			v.Quiet++
			continue
		}
		v.Hosts = append(v.Hosts, hostView{Host: h, Findings: hf})
	}
	for _, addr := range slices.SortedFunc(maps.Keys(byHost), finding.CompareHosts) {
		v.Hosts = append(v.Hosts, hostView{Host: result.Host{Address: addr}, Findings: byHost[addr]})
	}
	return v
}

// Write implements Writer.
func (h HTML) Write(w io.Writer, doc *result.Document) error {
	return htmlTemplate.Execute(w, newView(doc, h.Compliance))
}
