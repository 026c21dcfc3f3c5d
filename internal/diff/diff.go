// Package diff compares two scan documents: what changed between two scans
// of the same network (Scans), and how two environments measure up against
// each other (Environments). Both are pure functions over documents.
package diff

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/level"
	"github.com/vigilsec/vigil/internal/result"
)

// Scan identifies one side of a comparison.
type Scan struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"` // the label, or else the targets
	Label   string    `json:"label,omitempty"`
	Targets []string  `json:"targets"`
	Started time.Time `json:"started"`
	Level   int       `json:"level"`
}

func scanOf(d *result.Document) Scan {
	return Scan{ID: d.ID, Name: Name(d), Label: d.Label, Targets: slices.Clone(nonNil(d.Targets)), Started: d.Started, Level: d.Level.Value}
}

// Name is how a document's environment is called in comparisons: its label,
// or else its targets, or else its id.
func Name(d *result.Document) string {
	switch {
	case strings.TrimSpace(d.Label) != "":
		return d.Label
	case len(d.Targets) > 0:
		return strings.Join(d.Targets, ", ")
	}
	return d.ID
}

// Change is a level before and after; 0 means not rated on that side.
type Change struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// Changed reports whether the level moved.
func (c Change) Changed() bool { return c.From != c.To }

// HostChange is one host's level in both scans. From is 0 when the host was
// not in scan A, To is 0 when it is not in scan B.
type HostChange struct {
	Address string `json:"address"`
	Change
	Status HostStatus `json:"status"`
}

// HostStatus says how a host differs between two scans.
type HostStatus string

// Host statuses.
const (
	HostNew     HostStatus = "new"     // in B only
	HostGone    HostStatus = "gone"    // in A only
	HostChanged HostStatus = "changed" // in both, at another level
)

// Service is an open port on a host.
type Service struct {
	Host      string `json:"host"`
	Port      int    `json:"port"`
	Transport string `json:"transport"`
	Name      string `json:"name,omitempty"`
	Product   string `json:"product,omitempty"`
	Version   string `json:"version,omitempty"`
}

// Diff is what changed from scan A to scan B.
type Diff struct {
	A     Scan   `json:"a"`
	B     Scan   `json:"b"`
	Level Change `json:"level"`
	// Hosts lists every host of either scan whose level changed, appeared
	// or disappeared, in address order.
	Hosts []HostChange `json:"hosts"`
	// New findings are in B and not in A; Fixed ones are in A and not in
	// B although B scanned their host again; Unchanged ones are in both
	// (as B saw them). Matching is on the stable finding id.
	New       []finding.Finding `json:"new"`
	Fixed     []finding.Finding `json:"fixed"`
	Unchanged []finding.Finding `json:"unchanged"`
	// Unchecked findings are in A on hosts that B did not see at all: they
	// may be fixed, or the host may be down or outside B's targets.
	Unchecked []finding.Finding `json:"unchecked"`
	// Opened services are open in B and not in A; Closed ones are open in
	// A and not in B on hosts that B saw.
	Opened []Service `json:"opened"`
	Closed []Service `json:"closed"`
}

// Scans compares scan a (before) with scan b (after).
func Scans(a, b *result.Document) Diff {
	d := Diff{A: scanOf(a), B: scanOf(b), Level: Change{a.Level.Value, b.Level.Value},
		Hosts: []HostChange{}, New: []finding.Finding{}, Fixed: []finding.Finding{}, Unchanged: []finding.Finding{},
		Unchecked: []finding.Finding{}, Opened: []Service{}, Closed: []Service{}}

	seenB := hostsSeen(b)
	inA := map[string]bool{}
	for _, f := range a.Findings {
		inA[f.ID] = true
	}
	inB := map[string]bool{}
	for _, f := range b.Findings {
		inB[f.ID] = true
		if inA[f.ID] {
			d.Unchanged = append(d.Unchanged, f)
		} else {
			d.New = append(d.New, f)
		}
	}
	for _, f := range a.Findings {
		switch {
		case inB[f.ID]:
		case seenB[f.Host]:
			d.Fixed = append(d.Fixed, f)
		default:
			d.Unchecked = append(d.Unchecked, f)
		}
	}
	for _, fs := range [][]finding.Finding{d.New, d.Fixed, d.Unchanged, d.Unchecked} {
		finding.Sort(fs)
	}

	levelsA, levelsB := hostLevels(a), hostLevels(b)
	for addr, la := range levelsA {
		if lb, ok := levelsB[addr]; !ok || lb != la {
			status := HostChanged
			if _, ok := levelsB[addr]; !ok {
				status = HostGone
			}
			d.Hosts = append(d.Hosts, HostChange{addr, Change{la, lb}, status})
		}
	}
	for addr, lb := range levelsB {
		if _, ok := levelsA[addr]; !ok {
			d.Hosts = append(d.Hosts, HostChange{addr, Change{0, lb}, HostNew})
		}
	}
	slices.SortFunc(d.Hosts, func(x, y HostChange) int { return finding.CompareHosts(x.Address, y.Address) })

	svcA, svcB := services(a), services(b)
	for k, s := range svcB {
		if _, ok := svcA[k]; !ok {
			d.Opened = append(d.Opened, s)
		}
	}
	for k, s := range svcA {
		if _, ok := svcB[k]; !ok && seenB[s.Host] {
			d.Closed = append(d.Closed, s)
		}
	}
	sortServices(d.Opened)
	sortServices(d.Closed)
	return d
}

// hostsSeen is every host a document has evidence about: the hosts that
// answered and the hosts its findings are on (host audits).
func hostsSeen(d *result.Document) map[string]bool {
	seen := map[string]bool{}
	for _, h := range d.Hosts {
		seen[h.Address] = true
	}
	for _, f := range d.Findings {
		seen[f.Host] = true
	}
	return seen
}

func hostLevels(d *result.Document) map[string]int {
	m := make(map[string]int, len(d.Hosts))
	for _, h := range d.Hosts {
		m[h.Address] = h.Level
	}
	return m
}

type serviceKey struct {
	host      string
	port      int
	transport string
}

func services(d *result.Document) map[serviceKey]Service {
	m := map[serviceKey]Service{}
	for _, h := range d.Hosts {
		for _, s := range h.Services {
			m[serviceKey{h.Address, s.Port, s.Transport}] = Service{Host: h.Address, Port: s.Port, Transport: s.Transport,
				Name: s.Name, Product: s.Product, Version: s.Version}
		}
	}
	return m
}

func sortServices(ss []Service) {
	slices.SortFunc(ss, func(x, y Service) int {
		return cmp.Or(finding.CompareHosts(x.Host, y.Host), cmp.Compare(x.Port, y.Port), cmp.Compare(x.Transport, y.Transport))
	})
}

// Side is one environment in a comparison.
type Side struct {
	Scan
	LevelName string `json:"level_name"`
	Hosts     int    `json:"hosts"`
	// Counts holds the number of findings of each severity, zero included.
	Counts map[finding.Severity]int `json:"counts"`
}

// CheckCount is one check as it shows in one or both environments.
type CheckCount struct {
	Check string `json:"check"`
	// Severity is the worst severity the check's findings have (on either
	// side, for checks found in both).
	Severity finding.Severity `json:"severity"`
	Title    string           `json:"title"`
	// A and B count the check's findings in each environment.
	A int `json:"a"`
	B int `json:"b"`
}

// Comparison sets two environments side by side.
type Comparison struct {
	A Side `json:"a"`
	B Side `json:"b"`
	// OnlyA and OnlyB are the checks found in one environment and not the
	// other: the findings that make the difference. Both holds the checks
	// found in both. Each list is worst first.
	OnlyA []CheckCount `json:"only_a"`
	OnlyB []CheckCount `json:"only_b"`
	Both  []CheckCount `json:"both"`
}

// Diff returns B's level minus A's: positive when B is rated better.
func (c Comparison) Diff() int { return c.B.Level - c.A.Level }

// Environments compares two environments, a and b, each by one scan.
func Environments(a, b *result.Document) Comparison {
	c := Comparison{A: sideOf(a), B: sideOf(b), OnlyA: []CheckCount{}, OnlyB: []CheckCount{}, Both: []CheckCount{}}
	checks := map[string]*CheckCount{}
	count := func(fs []finding.Finding, inA bool) {
		for _, f := range fs {
			cc := checks[f.Check]
			if cc == nil {
				cc = &CheckCount{Check: f.Check, Title: f.Title}
				checks[f.Check] = cc
			}
			cc.Severity = max(cc.Severity, f.Severity)
			if inA {
				cc.A++
			} else {
				cc.B++
			}
		}
	}
	count(a.Findings, true)
	count(b.Findings, false)
	for _, cc := range checks {
		switch {
		case cc.B == 0:
			c.OnlyA = append(c.OnlyA, *cc)
		case cc.A == 0:
			c.OnlyB = append(c.OnlyB, *cc)
		default:
			c.Both = append(c.Both, *cc)
		}
	}
	for _, l := range [][]CheckCount{c.OnlyA, c.OnlyB, c.Both} {
		slices.SortFunc(l, func(x, y CheckCount) int {
			return cmp.Or(cmp.Compare(y.Severity, x.Severity), cmp.Compare(x.Check, y.Check))
		})
	}
	return c
}

func sideOf(d *result.Document) Side {
	s := Side{Scan: scanOf(d), LevelName: level.Name(d.Level.Value), Hosts: len(d.Hosts), Counts: map[finding.Severity]int{}}
	for sev := finding.Info; sev <= finding.Critical; sev++ {
		s.Counts[sev] = 0
	}
	for _, f := range d.Findings {
		s.Counts[f.Severity]++
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
