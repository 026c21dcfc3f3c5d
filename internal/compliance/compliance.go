// Package compliance turns a scan into the evidence an auditor asks for: for
// one framework (HIPAA, GDPR, CIS Controls, PCI DSS), each control the check
// catalogue maps to, whether the scan shows it met, not met, or gives no
// evidence either way, the findings and dates behind that status, and a plain
// statement of what a scan cannot prove. Everything here is a pure function
// of the scan document.
package compliance

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// Schema is the value of an assessment's "schema" field in JSON.
const Schema = "vigil/compliance/v1"

// Framework is a compliance framework vigil maps its checks to.
type Framework string

// Frameworks vigil reports on.
const (
	HIPAA Framework = "hipaa"
	GDPR  Framework = "gdpr"
	CIS   Framework = "cis"
	PCI   Framework = "pci"
)

// frameworkInfo describes one framework: the prefix its control references
// carry in the catalogue, its full name, and what a scan cannot prove for it.
type frameworkInfo struct {
	fw     Framework
	prefix string
	name   string
	limits []string
}

// commonLimit opens every framework's list of what a scan cannot prove.
const commonLimit = "A network scan sees only what answers on the addresses and ports it was given, at the moment of the scan: " +
	"a control marked met is met for those hosts and ports on that date, not for the whole organisation or for all time."

// frameworks is the registry of frameworks, in the order help lists them.
var frameworks = []frameworkInfo{
	{HIPAA, "HIPAA ", "HIPAA Security Rule (45 CFR 164.308 and 164.312)", []string{
		commonLimit,
		"It says nothing about encryption of ePHI at rest (164.312(a)(2)(iv)), audit logs and their review (164.312(b)), integrity controls on stored data (164.312(c)), or emergency access procedures.",
		"It cannot show administrative safeguards: the security official, workforce training (164.308(a)(5)), access authorisation and reviews (164.308(a)(4)), contingency plans and tested backups (164.308(a)(7)), or business associate agreements (164.308(b)).",
		"Physical safeguards (164.310: facility access, workstation and device controls) are outside what any network scan sees.",
		"A scan is one input to the risk analysis of 164.308(a)(1)(ii)(A); the analysis itself (assets, threats, likelihood, impact) is a document you keep.",
	}},
	{GDPR, "GDPR ", "GDPR Articles 25 and 32 (security of processing)", []string{
		commonLimit,
		"It says nothing about encryption or pseudonymisation of personal data at rest, only about data in transit on the services it reached (Art. 32(1)(a)).",
		"It cannot show the ability to restore availability and access after an incident, that is backups and their restore tests (Art. 32(1)(c)).",
		"Art. 32(1)(d), regularly testing and evaluating the effectiveness of measures, is shown by the series of scans and their dates, not by one scan.",
		"Records of processing (Art. 30), processor contracts (Art. 28), impact assessments (Art. 35), staff instructions (Art. 32(4)) and breach procedures (Art. 33-34) are documents a scan cannot see.",
	}},
	{CIS, "CIS ", "CIS Critical Security Controls v8", []string{
		commonLimit,
		"It does not replace the enterprise asset and software inventories (Controls 1 and 2); it sees only the hosts and services it was pointed at.",
		"It says nothing about data at rest (Control 3 beyond 3.10), account and access management processes (Controls 5 and 6 beyond what answers on the network), audit log management (8), backups and recovery (11), or security awareness training (14).",
		"Control 7 asks for a continuous process: one scan is a data point, a schedule of scans is the process.",
	}},
	{PCI, "PCI ", "PCI DSS v4.0", []string{
		commonLimit,
		"vigil is not an Approved Scanning Vendor: its scans do not satisfy the quarterly external ASV scan of requirement 11.3.2, and they are not a penetration test (11.4).",
		"It says nothing about stored account data (requirement 3), anti-malware (5), logging and monitoring (10), or policies and training (12).",
		"It cannot tell where the cardholder data environment's boundary is; the controls below are met only for the hosts and ports scanned.",
	}},
}

// Frameworks returns the names of the frameworks, for help text.
func Frameworks() []string {
	out := make([]string, len(frameworks))
	for i, f := range frameworks {
		out[i] = string(f.fw)
	}
	return out
}

// ParseFramework reads a framework name, case-insensitively.
func ParseFramework(name string) (Framework, error) {
	n := Framework(strings.ToLower(strings.TrimSpace(name)))
	for _, f := range frameworks {
		if f.fw == n {
			return n, nil
		}
	}
	return "", fmt.Errorf("unknown framework %q: use one of %s", name, strings.Join(Frameworks(), ", "))
}

func lookupFramework(fw Framework) (frameworkInfo, bool) {
	for _, f := range frameworks {
		if f.fw == fw {
			return f, true
		}
	}
	return frameworkInfo{}, false
}

// Status is what a scan shows about one control.
type Status int

// Statuses. The zero value is NoEvidence: what was not looked at is not
// vouched for.
const (
	NoEvidence Status = iota
	NotMet
	Met
	// Partial: no open finding among what was examined, but part of a
	// host in scope was not examined (a port left unidentified, an audit
	// that failed, UDP not probed, a probe switched off).
	Partial
)

// String returns "met", "not met", "partly examined" or "no evidence".
func (s Status) String() string {
	switch s {
	case Met:
		return "met"
	case NotMet:
		return "not met"
	case Partial:
		return "partly examined"
	}
	return "no evidence"
}

// Code is the status's JSON value: met, not met, partial or no evidence.
func (s Status) Code() string {
	if s == Partial {
		return "partial"
	}
	return s.String()
}

// MarshalText implements encoding.TextMarshaler.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.Code()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Status) UnmarshalText(b []byte) error {
	for _, v := range []Status{Met, NotMet, Partial, NoEvidence} {
		if v.Code() == string(b) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("unknown control status %q: want met, not met, partial or no evidence", b)
}

// Run is one scan of a series, for the controls that ask for regular testing.
type Run struct {
	ID       string    `json:"id"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
}

// RegularInterval is the longest gap between two scans that still counts as
// regular testing (GDPR Art. 32(1)(d)): about monthly.
const RegularInterval = 31 * 24 * time.Hour

// regularTesting is the control evidenced by the series of scans.
const regularTesting = "GDPR 32(1)(d)"

// Observation says which checks examined which subjects without firing or
// firing: the evidence that a check could see what it judges.
type Observation struct {
	Checks   []string `json:"checks"`
	Subjects []string `json:"subjects"`
}

// Control is one control of a framework and what the scan shows about it.
type Control struct {
	// ID is the control reference as findings carry it, e.g. "HIPAA 164.312(e)(1)".
	ID    string `json:"id"`
	Title string `json:"title"`
	// Status is met, not met or no evidence.
	Status Status `json:"status"`
	// Basis explains the status in one or two sentences.
	Basis string `json:"basis"`
	// Findings are the IDs of the open findings that map to the control,
	// worst first.
	Findings []string `json:"findings"`
	// Checked lists the checks that could observe their subject in this scan.
	Checked []Observation `json:"checked"`
	// Unchecked lists the catalogue checks mapped to the control that this
	// scan could not observe.
	Unchecked []string `json:"unchecked"`
}

// Summary counts controls by status.
type Summary struct {
	Met        int `json:"met"`
	NotMet     int `json:"not_met"`
	Partial    int `json:"partial"`
	NoEvidence int `json:"no_evidence"`
}

// String says the counts in words: "3 met, 1 not met, 2 partly
// examined, 4 with no evidence".
func (s Summary) String() string {
	return fmt.Sprintf("%d met, %d not met, %d partly examined, %d with no evidence", s.Met, s.NotMet, s.Partial, s.NoEvidence)
}

// Assessment is a compliance report for one framework over one scan.
type Assessment struct {
	Schema    string    `json:"schema"`
	Framework Framework `json:"framework"`
	Name      string    `json:"name"`
	Scan      string    `json:"scan"`
	Started   time.Time `json:"started"`
	Finished  time.Time `json:"finished"`
	Targets   []string  `json:"targets"`
	Ports     string    `json:"ports,omitempty"`
	// Run is who ran the scan, from where, with what.
	Run *result.Run `json:"run,omitempty"`
	// Series is the scans on record up to this one, oldest first: the
	// evidence of regular testing.
	Series   []Run     `json:"series"`
	Summary  Summary   `json:"summary"`
	Controls []Control `json:"controls"`
	// Findings are the open findings that map to at least one control.
	Findings []finding.Finding `json:"findings"`
	// Limits says what the scan cannot prove for this framework.
	Limits []string `json:"limits"`
}

// Finding returns the finding with the given ID among the assessment's.
func (a *Assessment) Finding(id string) (finding.Finding, bool) {
	for _, f := range a.Findings {
		if f.ID == id {
			return f, true
		}
	}
	return finding.Finding{}, false
}

// Assess evaluates a scan against a framework. series lists other scans on
// record (for regular testing); the document's own scan is always part of
// it, and scans that finished after it are ignored.
func Assess(fw Framework, doc *result.Document, series []Run) (*Assessment, error) {
	info, ok := lookupFramework(fw)
	if !ok {
		_, err := ParseFramework(string(fw))
		return nil, err
	}
	a := &Assessment{
		Schema: Schema, Framework: fw, Name: info.name,
		Scan: doc.ID, Started: doc.Started, Finished: doc.Finished,
		Targets: slices.Clone(doc.Targets), Ports: doc.Ports, Run: doc.Run,
		Series:   seriesUpTo(doc, series),
		Controls: []Control{}, Findings: []finding.Finding{},
		Limits: slices.Clone(info.limits),
	}
	if a.Targets == nil {
		a.Targets = []string{}
	}

	// Controls and the checks mapped to each, from the catalogue and from
	// the findings (a stored scan may carry controls a newer catalogue
	// dropped).
	mapped := map[string][]string{}
	for _, c := range check.All() {
		for _, ctl := range c.Frameworks {
			if strings.HasPrefix(ctl, info.prefix) {
				mapped[ctl] = append(mapped[ctl], c.ID)
			}
		}
	}
	fs := slices.Clone(doc.Findings)
	finding.Sort(fs)
	byControl := map[string][]finding.Finding{}
	for _, f := range fs {
		for _, ctl := range f.Frameworks {
			if strings.HasPrefix(ctl, info.prefix) {
				byControl[ctl] = append(byControl[ctl], f)
				if _, ok := mapped[ctl]; !ok {
					mapped[ctl] = nil
				}
			}
		}
	}

	obs := observe(doc)
	ids := slices.SortedFunc(mapsKeys(mapped), naturalCompare)
	inAssessment := map[string]bool{}
	for _, id := range ids {
		ctl := evaluate(id, mapped[id], byControl[id], obs, a.Series, doc)
		for _, f := range byControl[id] {
			if !inAssessment[f.ID] {
				inAssessment[f.ID] = true
				a.Findings = append(a.Findings, f)
			}
		}
		switch ctl.Status {
		case Met:
			a.Summary.Met++
		case NotMet:
			a.Summary.NotMet++
		case Partial:
			a.Summary.Partial++
		default:
			a.Summary.NoEvidence++
		}
		a.Controls = append(a.Controls, ctl)
	}
	return a, nil
}

func mapsKeys(m map[string][]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// evaluate decides one control's status.
func evaluate(id string, checks []string, open []finding.Finding, obs observations, series []Run, doc *result.Document) Control {
	ctl := Control{ID: id, Title: Title(id), Findings: []string{}, Checked: []Observation{}, Unchecked: []string{}}
	for _, f := range open {
		ctl.Findings = append(ctl.Findings, f.ID)
	}
	// Which mapped checks could see their subject, grouped by subjects.
	groups := map[string]*Observation{}
	var order []string
	var needs []string
	for _, c := range checks {
		subjects := obs.subjects(c)
		if len(subjects) == 0 {
			ctl.Unchecked = append(ctl.Unchecked, c)
			if n := needFor(c); !slices.Contains(needs, n) {
				needs = append(needs, n)
			}
			continue
		}
		key := strings.Join(subjects, "\x00")
		if groups[key] == nil {
			groups[key] = &Observation{Subjects: subjects}
			order = append(order, key)
		}
		groups[key].Checks = append(groups[key].Checks, c)
	}
	for _, k := range order {
		ctl.Checked = append(ctl.Checked, *groups[k])
	}

	switch {
	case len(open) > 0:
		ctl.Status = NotMet
		f := open[0]
		ctl.Basis = fmt.Sprintf("%s to this control; the worst (%s) is %q on %s.",
			plural(len(open), "One open finding maps", "%d open findings map"), f.Severity, f.Title, where(f))
	case id == regularTesting:
		ctl.Status, ctl.Basis = regularity(series, doc)
	case len(ctl.Checked) > 0:
		ctl.Status = Met
		n := 0
		subjects := map[string]bool{}
		for _, o := range ctl.Checked {
			n += len(o.Checks)
			for _, s := range o.Subjects {
				subjects[s] = true
			}
		}
		ctl.Basis = fmt.Sprintf("No open finding: %s %s on %s and none fired.",
			plural(n, "one check examined", "%d checks examined"), plural(len(subjects), "one subject", "%d subjects"),
			doc.Finished.UTC().Format("2006-01-02"))
		if len(ctl.Unchecked) > 0 {
			ctl.Basis += " " + plural(len(ctl.Unchecked), "One other check", "%d other checks") + " had nothing to examine."
		}
		if gaps := gapsFor(doc, checks); len(gaps) > 0 {
			ctl.Status = Partial
			ctl.Basis = fmt.Sprintf("Partly examined: no open finding among what was examined, but %s not: %s.",
				plural(len(gaps), "one thing was", "%d things were"), strings.Join(gaps, "; "))
		}
	default:
		ctl.Status = NoEvidence
		if len(checks) == 0 {
			ctl.Basis = "No check of this vigil version gives evidence for this control."
		} else {
			ctl.Basis = "Nothing this scan observed bears on it: its checks need " + strings.Join(needs, "; or ") + "."
		}
	}
	return ctl
}

// gapsFor lists, as "HOST tcp/PORT: what", the gaps of the document's
// hosts that concern any of checks (a gap naming no checks concerns all).
func gapsFor(doc *result.Document, checks []string) []string {
	var out []string
	add := func(host string, g result.Gap) {
		if len(g.Checks) > 0 && !slices.ContainsFunc(g.Checks, func(c string) bool { return slices.Contains(checks, c) }) {
			return
		}
		if w := g.Where(); w != "" {
			host += " " + w
		}
		out = append(out, host+": "+g.What)
	}
	for _, g := range doc.NotExamined {
		add("every host", g)
	}
	for _, h := range doc.Hosts {
		for _, g := range h.NotExamined {
			add(h.Address, g)
		}
	}
	return out
}

// regularity judges regular testing from the series of scans up to this one.
func regularity(series []Run, doc *result.Document) (Status, string) {
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	if len(series) < 2 {
		return NoEvidence, fmt.Sprintf("Only this scan (%s) is on record. Regular testing shows as a series of scans: run vigil at least every %d days and keep the results.",
			day(doc.Finished), int(RegularInterval.Hours()/24))
	}
	prev, last := series[len(series)-2], series[len(series)-1]
	gap := last.Finished.Sub(prev.Finished)
	days := int(gap.Hours() / 24)
	if gap > RegularInterval {
		return NoEvidence, fmt.Sprintf("%d scans on record from %s to %s, but %d days passed between the last two; regular testing needs a scan at least every %d days.",
			len(series), day(series[0].Finished), day(last.Finished), days, int(RegularInterval.Hours()/24))
	}
	return Met, fmt.Sprintf("%d scans on record from %s to %s; the last two are %d day(s) apart.",
		len(series), day(series[0].Finished), day(last.Finished), days)
}

// seriesUpTo returns the runs that finished no later than doc, with doc's
// own run, oldest first and without duplicates.
func seriesUpTo(doc *result.Document, series []Run) []Run {
	out := []Run{{ID: doc.ID, Started: doc.Started, Finished: doc.Finished}}
	seen := map[string]bool{doc.ID: true}
	for _, r := range series {
		if seen[r.ID] || r.Finished.After(doc.Finished) {
			continue
		}
		seen[r.ID] = true
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Run) int {
		if c := a.Finished.Compare(b.Finished); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// plural picks one or many (many has a %d verb for n).
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf(many, n)
}

// where names a finding's place: host:port/transport, or the host.
func where(f finding.Finding) string {
	if f.Port == 0 {
		return f.Host
	}
	return fmt.Sprintf("%s:%d/%s", f.Host, f.Port, f.Transport)
}

// naturalCompare orders control references with their numbers compared as
// numbers, so "CIS 3.10" sorts after "CIS 3.9" and before "CIS 12.2".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitsPrefix(a), digitsPrefix(b)
		if da != "" && db != "" {
			na, nb := strings.TrimLeft(da, "0"), strings.TrimLeft(db, "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := cmp.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitsPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
