// Package vuln matches what vigil found (products and versions announced
// in banners, packages a host audit listed) against the vulnerability
// database, and files vuln.known findings.
//
// A distribution's build is judged by the distribution's own fixed
// versions, never by upstream ranges alone: Debian backports fixes without
// changing the upstream version, so "OpenSSH 9.2p1" on Debian 12 may hold
// every fix of 9.8p1. Only software with no sign of a distribution build
// is judged by NVD's upstream ranges.
package vuln

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/version"
	"github.com/vigilsec/vigil/internal/vulndb"
)

// CheckID is the check every finding of this package files.
const CheckID = "vuln.known"

// Matcher judges versions against one database. It remembers what it
// read, so that the same product on many hosts costs one lookup; it is not
// safe for concurrent use.
type Matcher struct {
	db       *vulndb.DB
	affected map[[2]string][]vulndb.Range
	cpes     map[[2]string][]vulndb.CPERange
	vulns    map[string]vulndb.Vuln
}

// New returns a Matcher reading db.
func New(db *vulndb.DB) *Matcher {
	return &Matcher{db: db, affected: map[[2]string][]vulndb.Range{}, cpes: map[[2]string][]vulndb.CPERange{}, vulns: map[string]vulndb.Vuln{}}
}

// rangesOf returns the OSV ranges of package pkg of ecosystem eco.
func (m *Matcher) rangesOf(ctx context.Context, eco, pkg string) ([]vulndb.Range, error) {
	k := [2]string{eco, pkg}
	if rs, ok := m.affected[k]; ok {
		return rs, nil
	}
	rs, err := m.db.Affected(ctx, eco, pkg)
	if err == nil {
		m.affected[k] = rs
	}
	return rs, err
}

// cpesOf returns the NVD ranges of vendor:product.
func (m *Matcher) cpesOf(ctx context.Context, vendor, product string) ([]vulndb.CPERange, error) {
	k := [2]string{vendor, product}
	if rs, ok := m.cpes[k]; ok {
		return rs, nil
	}
	rs, err := m.db.CPEs(ctx, vendor, product)
	if err == nil {
		m.cpes[k] = rs
	}
	return rs, err
}

// describeOf returns what the database knows of record id.
func (m *Matcher) describeOf(ctx context.Context, id string) (vulndb.Vuln, error) {
	if v, ok := m.vulns[id]; ok {
		return v, nil
	}
	v, err := m.db.Describe(ctx, id)
	if err == nil {
		m.vulns[id] = v
	}
	return v, err
}

// state is what a range says of a version.
type state int

const (
	notAffected state = iota
	affected
	unsure // the version's revision would decide, and it is not known
)

// target is a version to judge against a distribution's data: the full
// package version when it is known (exact), else only its upstream part.
type target struct {
	version string
	exact   bool
}

// schemeOf returns the version ordering of an OSV ecosystem.
func schemeOf(ecosystem string) version.Scheme {
	switch name, _, _ := strings.Cut(ecosystem, ":"); name {
	case "Alpine":
		return version.APK
	case "Red Hat", "Rocky Linux", "AlmaLinux":
		return version.RPM
	}
	return version.Dpkg
}

// splitEpoch splits "1:9.2p1-2" into "1" and "9.2p1-2".
func splitEpoch(v string) (epoch, rest string) {
	if e, r, ok := strings.Cut(v, ":"); ok && e != "" && strings.Trim(e, "0123456789") == "" {
		return e, r
	}
	return "", v
}

// upstreamOf returns the upstream part of a package version: without
// epoch and revision ("9.2p1" of "1:9.2p1-2+deb12u3").
func upstreamOf(v string) string {
	_, rest := splitEpoch(v)
	if i := strings.LastIndexByte(rest, '-'); i > 0 {
		return rest[:i]
	}
	return rest
}

// judge says what range r of a record of ecosystem eco says of t.
func judge(eco string, r vulndb.Range, t target) state {
	scheme := schemeOf(eco)
	// cmpTo compares t with a range bound: the bound's epoch is lent to a
	// version that shows none (a banner never shows the epoch), and when
	// only the upstream version is known, equal upstreams are unsure.
	cmpTo := func(bound string) (int, bool) {
		e, _ := splitEpoch(bound)
		v := t.version
		if ve, _ := splitEpoch(v); ve == "" && e != "" {
			v = e + ":" + v
		}
		if t.exact {
			return version.Compare(scheme, v, bound), true
		}
		c := version.Compare(scheme, v, epochOf(bound)+upstreamOf(bound))
		return c, c != 0
	}
	st := affected
	if r.Introduced != "" && r.Introduced != "0" {
		switch c, sure := cmpTo(r.Introduced); {
		case !sure:
			st = unsure
		case c < 0:
			return notAffected
		}
	}
	if r.Fixed != "" {
		switch c, sure := cmpTo(r.Fixed); {
		case !sure:
			st = unsure
		case c >= 0:
			return notAffected
		}
	}
	if r.LastAffected != "" {
		switch c, sure := cmpTo(r.LastAffected); {
		case !sure:
			st = unsure
		case c > 0:
			return notAffected
		}
	}
	return st
}

// epochOf returns "1:" of "1:9.2p1-2", "" when there is no epoch.
func epochOf(v string) string {
	if e, _ := splitEpoch(v); e != "" {
		return e + ":"
	}
	return ""
}

// hit is one vulnerability a version has: the record that says so and
// the version that fixes it there.
type hit struct {
	record, fixed string
	// unimportant: the distribution rates it so for this package.
	unimportant bool
}

// distroHits judges t as package src of ecosystem eco: the records that
// certainly affect it, and how many more would depend on its revision.
func (m *Matcher) distroHits(ctx context.Context, eco, src string, t target) (hits []hit, unsureN int, err error) {
	ranges, err := m.rangesOf(ctx, eco, src)
	if err != nil {
		return nil, 0, err
	}
	states := map[string]state{}
	fixedBy := map[string]string{}
	important := map[string]bool{}
	for _, r := range ranges {
		st := judge(eco, r, t)
		if st > states[r.ID] {
			states[r.ID] = st
		}
		if st == affected && r.Urgency != finding.Unimportant {
			important[r.ID] = true
		}
		if st == affected && r.Fixed != "" && (fixedBy[r.ID] == "" || version.Compare(schemeOf(eco), r.Fixed, fixedBy[r.ID]) > 0) {
			fixedBy[r.ID] = r.Fixed
		}
	}
	for id, st := range states {
		switch st {
		case affected:
			hits = append(hits, hit{record: id, fixed: fixedBy[id], unimportant: !important[id]})
		case unsure:
			unsureN++
		}
	}
	return hits, unsureN, nil
}

// ships reports whether ecosystem eco's data names upstream version u of
// package src: a sign that the distribution built it.
func (m *Matcher) ships(ctx context.Context, eco, src, u string) (bool, error) {
	ranges, err := m.rangesOf(ctx, eco, src)
	if err != nil {
		return false, err
	}
	scheme := schemeOf(eco)
	for _, r := range ranges {
		for _, b := range []string{r.Introduced, r.Fixed, r.LastAffected} {
			if b != "" && b != "0" && version.Compare(scheme, upstreamOf(b), u) == 0 {
				return true, nil
			}
		}
	}
	return false, nil
}

// upstreamHits judges upstream version u of a product by NVD's ranges.
func (m *Matcher) upstreamHits(ctx context.Context, p product, u string) ([]hit, error) {
	var hits []hit
	seen := map[string]bool{}
	for _, c := range p.cpes {
		ranges, err := m.cpesOf(ctx, c[0], c[1])
		if err != nil {
			return nil, err
		}
		for _, r := range ranges {
			if seen[r.ID] || !inCPERange(r, u) {
				continue
			}
			seen[r.ID] = true
			hits = append(hits, hit{record: r.ID, fixed: r.EndExcl})
		}
	}
	return hits, nil
}

// inCPERange reports whether upstream version u is in an NVD range.
func inCPERange(r vulndb.CPERange, u string) bool {
	c := func(b string) int { return version.CompareUpstream(u, b) }
	switch {
	case r.Version != "":
		return c(r.Version) == 0
	case r.StartIncl != "" && c(r.StartIncl) < 0,
		r.StartExcl != "" && c(r.StartExcl) <= 0,
		r.EndIncl != "" && c(r.EndIncl) > 0,
		r.EndExcl != "" && c(r.EndExcl) >= 0:
		return false
	}
	return true
}

// describe turns hits into the finding's vulnerabilities, one per CVE
// (records of several advisories about one CVE merge), worst first.
func (m *Matcher) describe(ctx context.Context, hits []hit, scheme version.Scheme) ([]finding.Vulnerability, error) {
	byID := map[string]*finding.Vulnerability{}
	var order []string
	for _, h := range hits {
		v, err := m.describeOf(ctx, h.record)
		if err != nil {
			return nil, err
		}
		fv := byID[v.ID]
		if fv == nil {
			fv = &finding.Vulnerability{ID: v.ID, CVSS: v.Score, CVSSVersion: v.ScoreVersion, Vector: v.Vector,
				KEV: v.KEVAdded != "", KEVAdded: v.KEVAdded, URL: v.URL}
			if v.HasEPSS {
				e := v.EPSS
				fv.EPSS = &e
			}
			if h.unimportant {
				fv.Urgency = finding.Unimportant
			}
			byID[v.ID] = fv
			order = append(order, v.ID)
		} else if !h.unimportant {
			fv.Urgency = ""
		}
		for _, a := range append(slices.Clip(v.Aliases), h.record) {
			if a != fv.ID && !slices.Contains(fv.Aliases, a) {
				fv.Aliases = append(fv.Aliases, a)
			}
		}
		if h.fixed != "" && (fv.Fixed == "" || version.Compare(scheme, h.fixed, fv.Fixed) > 0) {
			fv.Fixed = h.fixed
		}
	}
	out := make([]finding.Vulnerability, 0, len(order))
	for _, id := range order {
		slices.Sort(byID[id].Aliases)
		out = append(out, *byID[id])
	}
	slices.SortFunc(out, func(a, b finding.Vulnerability) int {
		if c := cmp.Compare(b.Severity(), a.Severity()); c != 0 {
			return c
		}
		if c := cmp.Compare(b.CVSS, a.CVSS); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, nil
}

// severity is a finding's: its worst vulnerability's.
func severity(vs []finding.Vulnerability) finding.Severity {
	worst := finding.Info
	for _, v := range vs {
		worst = max(worst, v.Severity())
	}
	return worst
}

// summary names the worst vulnerabilities for evidence: "CVE-2024-6387
// (CVSS 8.1, exploited in the wild), CVE-… and 3 more".
func summary(vs []finding.Vulnerability) string {
	const show = 5
	var parts []string
	for i, v := range vs {
		if i == show {
			parts = append(parts, fmt.Sprintf("%d more", len(vs)-show))
			break
		}
		var notes []string
		if v.CVSS > 0 {
			notes = append(notes, fmt.Sprintf("CVSS %.1f", v.CVSS))
		} else {
			notes = append(notes, "unscored")
		}
		if v.KEV {
			notes = append(notes, "exploited in the wild")
		}
		if v.Urgency == finding.Unimportant {
			notes = append(notes, "rated unimportant by the distribution, which plans no fix")
		}
		if v.Fixed != "" {
			notes = append(notes, "fixed in "+v.Fixed)
		}
		parts = append(parts, v.ID+" ("+strings.Join(notes, ", ")+")")
	}
	return strings.Join(parts, ", ")
}

// serious returns the vulnerabilities above info.
func serious(vs []finding.Vulnerability) []finding.Vulnerability {
	var out []finding.Vulnerability
	for _, v := range vs {
		if v.Severity() > finding.Info {
			out = append(out, v)
		}
	}
	return out
}

// newest returns the highest fixed version among vs ("" when one has no
// fix: then no version fixes them all).
func newest(vs []finding.Vulnerability, scheme version.Scheme) string {
	best := ""
	for _, v := range vs {
		if v.Fixed == "" {
			return ""
		}
		if best == "" || version.Compare(scheme, v.Fixed, best) > 0 {
			best = v.Fixed
		}
	}
	return best
}

// title says how many vulnerabilities a version has.
func title(what string, vs []finding.Vulnerability) string {
	kev := 0
	for _, v := range vs {
		if v.KEV {
			kev++
		}
	}
	t := fmt.Sprintf("%s has %d known vulnerabilit%s", what, len(vs), plural(len(vs), "y", "ies"))
	if kev > 0 {
		t += fmt.Sprintf(", %d exploited in the wild", kev)
	}
	return t
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
