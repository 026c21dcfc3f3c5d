// Package finding defines what vigil reports: a Finding with its typed
// Severity and a stable identifier, so the same weakness on the same host and
// port keeps the same ID from one scan to the next.
package finding

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Severity ranks a finding. The zero value is invalid; use the constants.
type Severity int

// Severities, from least to most serious.
const (
	Info Severity = iota + 1
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{Info: "info", Low: "low", Medium: "medium", High: "high", Critical: "critical"}

// String returns the lower-case name used in JSON and on the command line.
func (s Severity) String() string {
	if s < Info || s > Critical {
		return "Severity(" + strconv.Itoa(int(s)) + ")"
	}
	return severityNames[s]
}

// Valid reports whether s is one of the five severities.
func (s Severity) Valid() bool { return s >= Info && s <= Critical }

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(name string) (Severity, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for s := Info; s <= Critical; s++ {
		if severityNames[s] == n {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q: use one of critical, high, medium, low, info", name)
}

// Finding is one judged weakness with its evidence and fix. Its JSON form is
// the finding object of the vigil/scan/v1 schema.
type Finding struct {
	ID             string   `json:"id"`
	Check          string   `json:"check"`
	Severity       Severity `json:"severity"`
	Host           string   `json:"host"`
	Port           int      `json:"port"`
	Transport      string   `json:"transport,omitempty"`
	Title          string   `json:"title"`
	Evidence       string   `json:"evidence"`
	Recommendation string   `json:"recommendation"`
	Frameworks     []string `json:"frameworks"`
	// Subject distinguishes two findings of one check on one port (a
	// certificate fingerprint, a host-key type); it is part of the ID.
	Subject string `json:"subject,omitempty"`
	// Accepted is set while a risk acceptance of the finding is in force
	// (vigil accept): the finding stays listed but does not cap the level.
	Accepted *Acceptance `json:"accepted,omitempty"`
	// Package and Vulnerabilities are set on vuln.known findings: the
	// software judged and its known vulnerabilities, worst first.
	Package         *Package        `json:"package,omitempty"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities,omitempty"`
}

// Package is the software a vuln.known finding judged.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Source is the distribution's source package, when it is known.
	Source string `json:"source,omitempty"`
	// Ecosystem is the distribution release whose data judged it
	// ("Debian:12"), or "upstream" when only the product's own release
	// numbers did.
	Ecosystem string `json:"ecosystem,omitempty"`
	// From says where the version was read: "banner" or "package-db".
	From string `json:"from,omitempty"`
}

// Vulnerability is one published vulnerability of a judged package.
type Vulnerability struct {
	// ID is the CVE id when there is one; Aliases are the advisories'
	// ids (DSA-…, DEBIAN-CVE-…).
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	// CVSS is the base score (absent when unscored), CVSSVersion its
	// version and Vector its vector.
	CVSS        float64 `json:"cvss,omitempty"`
	CVSSVersion string  `json:"cvss_version,omitempty"`
	Vector      string  `json:"vector,omitempty"`
	// KEV is true when CISA lists it as exploited in the wild, since
	// KEVAdded (YYYY-MM-DD).
	KEV      bool   `json:"kev,omitempty"`
	KEVAdded string `json:"kev_added,omitempty"`
	// EPSS is the probability of exploitation within 30 days, when FIRST
	// published one.
	EPSS *float64 `json:"epss,omitempty"`
	// Fixed is the first version without it ("" when none is known).
	Fixed string `json:"fixed,omitempty"`
	URL   string `json:"url,omitempty"`
	// Urgency is the distribution's rating when it is "unimportant": its
	// security team judged the build not meaningfully exposed and plans no
	// fix; vigil follows it and counts the vulnerability as info.
	Urgency string `json:"urgency,omitempty"`
}

// Unimportant is the distribution urgency that makes a vulnerability info.
const Unimportant = "unimportant"

// Severity is the vulnerability's weight: info when the distribution
// rates it unimportant for its build, critical when exploited in the wild
// (KEV), else by CVSS base score; an unscored one counts as medium.
func (v Vulnerability) Severity() Severity {
	switch {
	case v.Urgency == Unimportant:
		return Info
	case v.KEV, v.CVSS >= 9:
		return Critical
	case v.CVSS >= 7:
		return High
	case v.CVSS >= 4, v.CVSS == 0:
		return Medium
	}
	return Low
}

// WorstFirst returns a copy of vs ordered worst first: by severity, then
// CVSS score, then id, newest first (the order package vuln files them in).
func WorstFirst(vs []Vulnerability) []Vulnerability {
	out := slices.Clone(vs)
	slices.SortStableFunc(out, func(a, b Vulnerability) int {
		if c := cmp.Compare(b.Severity(), a.Severity()); c != 0 {
			return c
		}
		if c := cmp.Compare(b.CVSS, a.CVSS); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out
}

// Notes say what matters about a vulnerability in short phrases: its CVSS
// score ("CVSS 8.1", or "unscored"), "KEV since 2021-11-03" when CISA lists
// it as exploited in the wild, "EPSS 94.36%" when FIRST scored it, "fixed
// in VERSION" and "unimportant for the distribution". The phrases hold the
// data as it is: escape them for the output.
func (v Vulnerability) Notes() []string {
	var notes []string
	if v.CVSS > 0 {
		notes = append(notes, fmt.Sprintf("CVSS %.1f", v.CVSS))
	} else {
		notes = append(notes, "unscored")
	}
	switch {
	case v.KEV && v.KEVAdded != "":
		notes = append(notes, "KEV since "+v.KEVAdded)
	case v.KEV:
		notes = append(notes, "KEV")
	}
	if v.EPSS != nil {
		notes = append(notes, "EPSS "+Percent(*v.EPSS))
	}
	if v.Fixed != "" {
		notes = append(notes, "fixed in "+v.Fixed)
	}
	if u := v.UrgencyNote(); u != "" {
		notes = append(notes, u)
	}
	return notes
}

// UrgencyNote says what the distribution rated the vulnerability, if it
// did: "unimportant for the distribution".
func (v Vulnerability) UrgencyNote() string {
	switch v.Urgency {
	case "":
		return ""
	case Unimportant:
		return "unimportant for the distribution"
	}
	return "distribution urgency " + v.Urgency
}

// Percent writes a probability as a percentage with two decimals, as
// FIRST shows EPSS: 0.94358 is "94.36%"; below 0.01% it is "<0.01%", and
// just short of certainty ">99.99%", never "100.00%".
func Percent(p float64) string {
	s := strconv.FormatFloat(p*100, 'f', 2, 64)
	switch {
	case p <= 0:
		return "0%"
	case s == "0.00":
		return "<0.01%"
	case s == "100.00" && p < 1:
		return ">99.99%"
	}
	return s + "%"
}

// Headline is the finding's title and, when it lists known
// vulnerabilities, its worst one: "Apache httpd 2.4.49 has 2 known
// vulnerabilities, 2 exploited in the wild; worst CVE-2021-42013 (CVSS
// 9.8, KEV since 2021-11-03, …)".
func (f Finding) Headline() string {
	if len(f.Vulnerabilities) == 0 {
		return f.Title
	}
	w := WorstFirst(f.Vulnerabilities)[0]
	return f.Title + "; worst " + w.ID + " (" + strings.Join(w.Notes(), ", ") + ")"
}

// Acceptance is a risk accepted by someone, for a reason, until a date.
type Acceptance struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
	// Until is the last day the acceptance holds, YYYY-MM-DD.
	Until string `json:"until"`
}

// DateLayout is how acceptance dates are written.
const DateLayout = "2006-01-02"

// InForce reports whether the acceptance still holds at t: until the end
// of its last day, in UTC.
func (a *Acceptance) InForce(t time.Time) bool {
	if a == nil {
		return false
	}
	until, err := time.Parse(DateLayout, a.Until)
	return err == nil && t.UTC().Before(until.AddDate(0, 0, 1))
}

// String says the acceptance in words: "accepted until 2027-03-31 by
// alice: legacy analyser needs TLS 1.0".
func (a *Acceptance) String() string {
	return fmt.Sprintf("accepted until %s by %s: %s", a.Until, a.By, a.Reason)
}

// Accept marks the findings that have an acceptance in force at t.
func Accept(fs []Finding, acc map[string]Acceptance, t time.Time) {
	for i := range fs {
		if a, ok := acc[fs[i].ID]; ok && a.InForce(t) {
			fs[i].Accepted = &a
		}
	}
}

// Open reports whether the finding counts against the level at t: it is
// not under an acceptance in force.
func (f Finding) Open(t time.Time) bool { return !f.Accepted.InForce(t) }

// MakeID returns the stable identifier of a finding: a hash of the check,
// host, port, transport and subject. It never depends on evidence text, so a
// finding keeps its ID while its details change.
func MakeID(check, host string, port int, transport, subject string) string {
	h := sha256.Sum256([]byte(strings.Join([]string{check, host, strconv.Itoa(port), transport, subject}, "\x00")))
	return hex.EncodeToString(h[:8])
}

// Sort orders findings worst first, then by host, port and check, so output
// is stable from one run to the next.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if c := CompareHosts(a.Host, b.Host); c != 0 {
			return c < 0
		}
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		return a.ID < b.ID
	})
}

// CompareHosts orders host strings: addresses numerically (IPv4 before IPv6),
// then names alphabetically after all addresses.
func CompareHosts(a, b string) int {
	aa, errA := netip.ParseAddr(a)
	ba, errB := netip.ParseAddr(b)
	switch {
	case errA == nil && errB == nil:
		return aa.Compare(ba)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return cmp.Compare(a, b)
}
