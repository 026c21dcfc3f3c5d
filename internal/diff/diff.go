// Package diff compares two scan documents: what changed between two scans
// of the same network (Scans), and how two environments measure up against
// each other (Environments). Both are pure functions over documents.
package diff

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
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
	// Unverified counts the host's findings in A that B did not recheck,
	// or whose port B found answering as a service it could not identify:
	// a level that rose with them is no proof of an improvement.
	Unverified int `json:"unverified,omitempty"`
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
	TLS       bool   `json:"tls,omitempty"`
}

// ServiceChange is a port open in both scans with another service in B.
type ServiceChange struct {
	From Service `json:"from"`
	To   Service `json:"to"`
}

// Verdict says how B's level compares with A's.
type Verdict string

// Verdicts.
const (
	Better Verdict = "better"
	Worse  Verdict = "worse"
	Same   Verdict = "unchanged"
	// Unproven: B is rated higher, but counting the findings of A that B
	// did not recheck (or whose service it could no longer identify) it
	// would be no higher than A. A narrower scan is no improvement.
	Unproven Verdict = "not_an_improvement"
)

// Diff is what changed from scan A to scan B.
type Diff struct {
	A     Scan   `json:"a"`
	B     Scan   `json:"b"`
	Level Change `json:"level"`
	// Verdict compares the levels, taking into account what B left
	// unverified (see LevelAtWorst).
	Verdict Verdict `json:"verdict"`
	// LevelAtWorst is B's level were every unverified finding of A still
	// open: those B did not recheck and those on a port B found answering
	// as a service it could not identify. It equals Level.To when there
	// are none.
	LevelAtWorst int `json:"level_at_worst"`
	// Coverage is what A examined and B did not.
	Coverage Coverage `json:"coverage"`
	// Hosts lists every host of either scan whose level changed, appeared
	// or disappeared, in address order.
	Hosts []HostChange `json:"hosts"`
	// New findings are in B and not in A; Unchanged ones are in both (as
	// B saw them). Matching is on the stable finding id. Fixed ones are
	// in A and not in B although B examined the same host and found the
	// same port open with the same service: nothing else counts as fixed.
	New       []finding.Finding `json:"new"`
	Fixed     []finding.Finding `json:"fixed"`
	Unchanged []finding.Finding `json:"unchanged"`
	// Unchecked findings are the findings of A that B did not recheck
	// (status not_rechecked in NotObserved): their host was not reached,
	// or their port, UDP probe or check was outside B's scope.
	Unchecked []finding.Finding `json:"unchecked"`
	// NotObserved lists every finding of A that B no longer reports
	// without having shown it fixed, with why: service changed, port
	// closed, not rechecked; in that order, worst first within each.
	NotObserved []Outcome `json:"no_longer_observed"`
	// Opened services are open in B and not in A; Closed ones are open in
	// A and not in B although B examined their host and port; Changed
	// ones are open in both, with another service.
	Opened  []Service       `json:"opened"`
	Closed  []Service       `json:"closed"`
	Changed []ServiceChange `json:"changed_services"`
}

// Scans compares scan a (before) with scan b (after).
func Scans(a, b *result.Document) Diff {
	d := Diff{A: scanOf(a), B: scanOf(b), Level: Change{a.Level.Value, b.Level.Value},
		Hosts: []HostChange{}, New: []finding.Finding{}, Fixed: []finding.Finding{}, Unchanged: []finding.Finding{},
		Unchecked: []finding.Finding{}, NotObserved: []Outcome{},
		Opened: []Service{}, Closed: []Service{}, Changed: []ServiceChange{}}
	cmpr := newComparer(a, b)
	d.Coverage = cmpr.coverage()

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
	unverified := map[string]int{} // per host
	var atWorst []finding.Finding  // unverified findings of A, counted as open
	for _, f := range a.Findings {
		if inB[f.ID] {
			continue
		}
		o := cmpr.classify(f)
		switch o.Status {
		case StatusFixed:
			d.Fixed = append(d.Fixed, f)
			continue
		case StatusNotRechecked:
			d.Unchecked = append(d.Unchecked, f)
		}
		d.NotObserved = append(d.NotObserved, o)
		if o.unverified {
			unverified[f.Host]++
			atWorst = append(atWorst, f)
		}
	}
	for _, fs := range [][]finding.Finding{d.New, d.Fixed, d.Unchanged, d.Unchecked} {
		finding.Sort(fs)
	}
	sortOutcomes(d.NotObserved)
	d.LevelAtWorst = levelAtWorst(b, atWorst)
	d.Verdict = verdict(d.Level, d.LevelAtWorst)

	levelsA, levelsB := hostLevels(a), hostLevels(b)
	for addr, la := range levelsA {
		if lb, ok := levelsB[addr]; !ok || lb != la {
			status := HostChanged
			if _, ok := levelsB[addr]; !ok {
				status = HostGone
			}
			d.Hosts = append(d.Hosts, HostChange{addr, Change{la, lb}, status, unverified[addr]})
		}
	}
	for addr, lb := range levelsB {
		if _, ok := levelsA[addr]; !ok {
			d.Hosts = append(d.Hosts, HostChange{addr, Change{0, lb}, HostNew, 0})
		}
	}
	slices.SortFunc(d.Hosts, func(x, y HostChange) int { return finding.CompareHosts(x.Address, y.Address) })

	svcA, svcB := services(a), services(b)
	for k, s := range svcB {
		if before, ok := svcA[k]; !ok {
			d.Opened = append(d.Opened, s)
		} else if !sameService(before, s) {
			d.Changed = append(d.Changed, ServiceChange{From: before, To: s})
		}
	}
	for k, s := range svcA {
		if _, ok := svcB[k]; !ok && cmpr.reached(s.Host) && cmpr.covers(s.Transport, s.Port) {
			d.Closed = append(d.Closed, s)
		}
	}
	sortServices(d.Opened)
	sortServices(d.Closed)
	slices.SortFunc(d.Changed, func(x, y ServiceChange) int { return compareServices(x.To, y.To) })
	return d
}

// levelAtWorst is b's level with the findings of open counted as open
// too: each caps the level as it would cap its host's, unless it is info
// (which caps no level) or under a risk acceptance still in force when b
// finished.
func levelAtWorst(b *result.Document, open []finding.Finding) int {
	lv := b.Level.Value
	for _, f := range open {
		if f.Severity > finding.Info && f.Open(b.Finished) {
			lv = min(lv, level.Host([]finding.Finding{f}, time.Time{}, b.Finished).Value)
		}
	}
	return lv
}

func verdict(c Change, atWorst int) Verdict {
	switch {
	case c.To > c.From && atWorst <= c.From:
		return Unproven
	case c.To > c.From:
		return Better
	case c.To < c.From:
		return Worse
	}
	return Same
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
			m[serviceKey{h.Address, s.Port, s.Transport}] = serviceOf(h.Address, s)
		}
	}
	return m
}

func serviceOf(host string, s facts.Service) Service {
	return Service{Host: host, Port: s.Port, Transport: s.Transport, Name: s.Name, Product: s.Product, Version: s.Version, TLS: s.TLS}
}

func compareServices(x, y Service) int {
	return cmp.Or(finding.CompareHosts(x.Host, y.Host), cmp.Compare(x.Port, y.Port), cmp.Compare(x.Transport, y.Transport))
}

func sortServices(ss []Service) { slices.SortFunc(ss, compareServices) }

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
	// SameTargets is true when both scans had the same targets: their
	// names then tell them apart no better than their ids and dates.
	SameTargets bool `json:"same_targets"`
}

// Diff returns B's level minus A's: positive when B is rated better.
func (c Comparison) Diff() int { return c.B.Level - c.A.Level }

// Environments compares two environments, a and b, each by one scan.
func Environments(a, b *result.Document) Comparison {
	c := Comparison{A: sideOf(a), B: sideOf(b), OnlyA: []CheckCount{}, OnlyB: []CheckCount{}, Both: []CheckCount{},
		SameTargets: result.SameTargets(a.Targets, b.Targets)}
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
