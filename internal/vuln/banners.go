package vuln

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/version"
)

// Banners judges the product and version each service of hosts announces,
// and returns one vuln.known finding per (host, port, product) with known
// vulnerabilities. audit returns the host audit that speaks for an address
// (nil when none): its package database gives the exact version installed
// and its OS the distribution.
func (m *Matcher) Banners(ctx context.Context, hosts []facts.Host, audit func(addr string) *facts.HostAudit) ([]finding.Finding, error) {
	var out []finding.Finding
	for _, h := range hosts {
		var a *facts.HostAudit
		if audit != nil {
			a = audit(h.Address)
		}
		hb := hostBuild(h.Services, a)
		for _, s := range h.Services {
			f, ok, err := m.banner(ctx, h.Address, s, hb, a)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// verdict is the outcome of judging one product or package.
type verdict struct {
	vulns []finding.Vulnerability
	pkg   finding.Package
	// how says what judged it, for the evidence.
	how string
	// unsure counts records that the unknown revision would decide.
	unsure int
	// upstreamOnly marks a distribution build that only upstream ranges
	// could judge: its finding is at most info.
	upstreamOnly bool
	scheme       version.Scheme
	distro       string // "Debian 12", for the fix
}

// banner judges one service.
func (m *Matcher) banner(ctx context.Context, host string, s facts.Service, hb build, a *facts.HostAudit) (finding.Finding, bool, error) {
	p, known := productOf(s.Product)
	if !known || s.Version == "" {
		return finding.Finding{}, false, nil
	}
	u := s.Version
	own := buildOf(s)
	srcs := p.source(u)
	var v verdict
	var err error
	switch pkg := installed(a, srcs); {
	case pkg != nil:
		v, err = m.packageVerdict(ctx, a, *pkg)
		v.how = fmt.Sprintf("%s %s announced; the host audit lists package %s %s: judged by %s", s.Product, u, pkg.Source, pkg.SourceVersion, v.how)
	case own.Revision != "":
		b := own
		if b.Release == "" && hb.Distro == b.Distro {
			b.Release = hb.Release
		}
		v, err = m.distroVerdict(ctx, b, srcs, target{version: u + "-" + own.Revision, exact: true}, u)
		v.how = fmt.Sprintf("%s %s (%s revision %s) announced: judged by %s", s.Product, u, own.Distro, own.Revision, v.how)
	case own.Distro != "" || hb.Distro != "":
		b := own
		if b.Distro == "" || b.Distro == hb.Distro {
			b = hb
		}
		var ok bool
		v, ok, err = m.shippedVerdict(ctx, b, srcs, u)
		switch {
		case err != nil:
		case ok:
			v.how = fmt.Sprintf("%s %s announced, built by %s (its revision is not announced): judged by %s", s.Product, u, b.Distro, v.how)
		case own.Distro != "":
			// The banner says it is the distribution's build, and the
			// database cannot judge that build.
			v = verdict{upstreamOnly: true, how: fmt.Sprintf("%s %s announced as %s's build, which the database holds no %s data to judge", s.Product, u, own.Distro, own.Distro)}
		default:
			v, err = m.upstreamVerdict(ctx, p, u)
			v.how = fmt.Sprintf("%s %s announced on a %s host whose packages vigil does not know to ship it: judged by %s", s.Product, u, b.Distro, v.how)
		}
	default:
		v, err = m.upstreamVerdict(ctx, p, u)
		v.how = fmt.Sprintf("%s %s announced, with no sign of a distribution build: judged by %s", s.Product, u, v.how)
	}
	if err == nil && v.upstreamOnly {
		var uv verdict
		uv, err = m.upstreamVerdict(ctx, p, u)
		uv.upstreamOnly, uv.how = true, v.how+"; "+uv.how
		v = uv
	}
	if err != nil || len(v.vulns) == 0 {
		return finding.Finding{}, false, err
	}
	if v.pkg.Name == "" {
		v.pkg = finding.Package{Name: s.Product, Version: u, Ecosystem: "upstream", From: "banner"}
	}
	f := m.finding(host, s.Port, s.Transport, s.Product, v, p.binary)
	return f, true, nil
}

// installed returns the audit's package built from one of srcs.
func installed(a *facts.HostAudit, srcs []string) *facts.Package {
	if a == nil || a.OS == nil {
		return nil
	}
	for i := range a.Packages {
		if slices.Contains(srcs, a.Packages[i].Source) {
			return &a.Packages[i]
		}
	}
	return nil
}

// ecosystems returns the OSV ecosystems that judge a build of b: its
// release's, or every release of its distribution with data for src.
func (m *Matcher) ecosystems(ctx context.Context, b build, src string) ([]string, error) {
	all, err := m.db.Ecosystems(ctx, b.Distro+":", src)
	if err != nil || b.Release == "" {
		return all, err
	}
	var out []string
	for _, e := range all {
		// "Debian:12", "Ubuntu:22.04:LTS"
		if e == b.Distro+":"+b.Release || strings.HasPrefix(e, b.Distro+":"+b.Release+":") {
			out = append(out, e)
		}
	}
	return out, nil
}

// distroVerdict judges a distribution build whose full version is known.
// When the release is not known, a vulnerability counts only if every
// release that ships the upstream version u agrees.
func (m *Matcher) distroVerdict(ctx context.Context, b build, srcs []string, t target, u string) (verdict, error) {
	for _, src := range srcs {
		ecos, err := m.ecosystems(ctx, b, src)
		if err != nil {
			return verdict{}, err
		}
		if len(ecos) > 1 {
			var shipping []string
			for _, e := range ecos {
				if ok, err := m.ships(ctx, e, src, u); err != nil {
					return verdict{}, err
				} else if ok {
					shipping = append(shipping, e)
				}
			}
			if len(shipping) > 0 {
				ecos = shipping
			}
		}
		if len(ecos) == 0 {
			continue
		}
		return m.judgeIn(ctx, ecos, src, t)
	}
	return verdict{upstreamOnly: true, how: fmt.Sprintf("nothing: the database holds no %s data for it (vigil vulndb update loads OSV %s)", b.Distro, b.Distro)}, nil
}

// shippedVerdict judges a distribution build whose revision is unknown,
// if the distribution's data shows it ships upstream version u.
func (m *Matcher) shippedVerdict(ctx context.Context, b build, srcs []string, u string) (verdict, bool, error) {
	for _, src := range srcs {
		ecos, err := m.ecosystems(ctx, b, src)
		if err != nil {
			return verdict{}, false, err
		}
		var shipping []string
		for _, e := range ecos {
			if ok, err := m.ships(ctx, e, src, u); err != nil {
				return verdict{}, false, err
			} else if ok {
				shipping = append(shipping, e)
			}
		}
		if len(shipping) > 0 {
			v, err := m.judgeIn(ctx, shipping, src, target{version: u})
			return v, true, err
		}
	}
	return verdict{}, false, nil
}

// judgeIn judges t as package src in every one of ecos: a vulnerability
// counts only when all of them say it is there.
func (m *Matcher) judgeIn(ctx context.Context, ecos []string, src string, t target) (verdict, error) {
	var common []hit
	unsure := 0
	for i, e := range ecos {
		hits, n, err := m.distroHits(ctx, e, src, t)
		if err != nil {
			return verdict{}, err
		}
		unsure = max(unsure, n)
		if i == 0 {
			common = hits
			continue
		}
		common = slices.DeleteFunc(common, func(h hit) bool {
			return !slices.ContainsFunc(hits, func(o hit) bool { return o.record == h.record })
		})
	}
	scheme := schemeOf(ecos[0])
	vs, err := m.describe(ctx, common, scheme)
	if err != nil {
		return verdict{}, err
	}
	name := strings.Join(ecos, ", ")
	v := verdict{vulns: vs, unsure: unsure, scheme: scheme, distro: strings.ReplaceAll(ecos[0], ":", " "),
		pkg: finding.Package{Name: src, Version: t.version, Source: src, Ecosystem: name, From: "banner"}}
	v.how = fmt.Sprintf("the fixed versions of %s (OSV %s)", src, name)
	if !t.exact && unsure > 0 {
		v.how += fmt.Sprintf("; %d more, fixed in some %s revision of %s, may or may not apply: that depends on the revision installed, which 'vigil host' reads", unsure, name, t.version)
	}
	return v, nil
}

// upstreamVerdict judges upstream version u by NVD's CPE ranges.
func (m *Matcher) upstreamVerdict(ctx context.Context, p product, u string) (verdict, error) {
	hits, err := m.upstreamHits(ctx, p, u)
	if err != nil {
		return verdict{}, err
	}
	vs, err := m.describe(ctx, hits, version.Upstream)
	if err != nil {
		return verdict{}, err
	}
	var names []string
	for _, c := range p.cpes {
		names = append(names, c[0]+":"+c[1])
	}
	return verdict{vulns: vs, scheme: version.Upstream, how: "NVD's version ranges for " + strings.Join(names, ", ")}, nil
}

// finding files a verdict as a vuln.known finding.
func (m *Matcher) finding(host string, port int, transport, subject string, v verdict, binary string) finding.Finding {
	what := v.pkg.Name + " " + v.pkg.Version
	sev := severity(v.vulns)
	evidence := v.how + ": " + summary(v.vulns) + "."
	var fix string
	switch {
	case v.upstreamOnly:
		sev = finding.Info
		what += " (a distribution build)"
		evidence = v.how + "; upstream ranges alone list " + summary(v.vulns) + ", but the distribution may have fixed them without changing the version."
		fix = "Find out which of these the distribution fixed: run 'vigil host' on this machine (it reads the package database), or load the distribution's data with 'vigil vulndb update'."
	case severity(v.vulns) == finding.Info:
		fix = fmt.Sprintf("Nothing to do now: %s rates these unimportant for its build and plans no fix; they are listed so that the record is complete.", v.distro)
	case v.distro != "":
		if n := newest(serious(v.vulns), v.scheme); n != "" {
			fix = fmt.Sprintf("Upgrade the package: %s (%s fixes all of these in %s).", upgradeCommand(v.pkg.Ecosystem, binary), v.distro, n)
		} else {
			fix = fmt.Sprintf("Upgrade the package when %s publishes a fix: %s; some of these have no fixed version there yet, so limit who can reach the service meanwhile.", v.distro, upgradeCommand(v.pkg.Ecosystem, binary))
		}
	default:
		if n := newest(v.vulns, version.Upstream); n != "" {
			fix = fmt.Sprintf("Upgrade %s to %s or later, or to a distribution package that fixes these.", subject, n)
		} else {
			fix = fmt.Sprintf("Upgrade %s to a release that fixes these (some have no fixed version published), and limit who can reach it meanwhile.", subject)
		}
	}
	for _, x := range serious(v.vulns) {
		if x.KEV && !v.upstreamOnly {
			fix += " CISA lists " + x.ID + " as exploited in the wild: do this first."
			break
		}
	}
	pkg := v.pkg
	return finding.Finding{
		ID: finding.MakeID(CheckID, host, port, transport, subject), Check: CheckID, Severity: sev,
		Host: host, Port: port, Transport: transport, Subject: subject,
		Title: title(what, v.vulns), Evidence: evidence, Recommendation: fix,
		Frameworks: frameworks(), Package: &pkg, Vulnerabilities: v.vulns,
	}
}

// frameworks are the controls of vuln.known, from the catalogue.
func frameworks() []string {
	c, _ := check.Lookup(CheckID)
	return slices.Clone(c.Frameworks)
}

// upgradeCommand is how a distribution upgrades a package.
func upgradeCommand(ecosystem, binary string) string {
	switch {
	case strings.HasPrefix(ecosystem, "Alpine"):
		return "apk upgrade " + binary
	case strings.HasPrefix(ecosystem, "Rocky"), strings.HasPrefix(ecosystem, "AlmaLinux"), strings.HasPrefix(ecosystem, "Red Hat"):
		return "dnf upgrade " + binary
	}
	return "apt-get update && apt-get install --only-upgrade " + binary
}
