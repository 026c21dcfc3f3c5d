package vuln

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

// Ecosystem returns the OSV ecosystem of a host audit's distribution
// release ("Debian:12", "Alpine:v3.19", "Rocky Linux:9"), and "" for a
// distribution vigil does not match.
func (m *Matcher) Ecosystem(ctx context.Context, os *facts.OSRelease) (string, error) {
	if os == nil {
		return "", nil
	}
	v := os.VersionID
	switch os.ID {
	case "debian":
		return "Debian:" + v, nil
	case "alpine":
		return "Alpine:v" + majorMinor(v), nil
	case "rocky":
		return "Rocky Linux:" + major(v), nil
	case "almalinux":
		return "AlmaLinux:" + major(v), nil
	case "ubuntu":
		// OSV names Ubuntu's releases "Ubuntu:22.04:LTS"; ask the data.
		ecos, err := m.db.Ecosystems(ctx, "Ubuntu:"+v, "")
		if err != nil || len(ecos) == 0 {
			return "Ubuntu:" + v, err
		}
		return ecos[0], nil
	}
	return "", nil
}

// Packages judges a host audit's installed packages by its distribution's
// data: one vuln.known finding per source package with known
// vulnerabilities, filed under host (the machine's name), port 0. The
// returned ecosystem is the one judged, "" when the audit's distribution
// is not one vigil matches.
func (m *Matcher) Packages(ctx context.Context, host string, a *facts.HostAudit) (fs []finding.Finding, ecosystem string, err error) {
	if a == nil || len(a.Packages) == 0 {
		return nil, "", nil
	}
	eco, err := m.Ecosystem(ctx, a.OS)
	if err != nil || eco == "" {
		return nil, eco, err
	}
	bySource := map[string][]facts.Package{}
	for _, p := range a.Packages {
		bySource[p.Source] = append(bySource[p.Source], p)
	}
	sources := make([]string, 0, len(bySource))
	for s := range bySource {
		sources = append(sources, s)
	}
	slices.Sort(sources)
	for _, src := range sources {
		pkgs := bySource[src]
		v, err := m.packageVerdict(ctx, a, pkgs[0])
		if err != nil {
			return nil, eco, err
		}
		if len(v.vulns) == 0 {
			continue
		}
		v.how = "the package database lists " + src + " " + pkgs[0].SourceVersion + ": judged by " + v.how
		v.pkg.From = "package-db"
		var binaries []string
		for _, p := range pkgs {
			if !slices.Contains(binaries, p.Name) {
				binaries = append(binaries, p.Name)
			}
		}
		fs = append(fs, m.finding(host, 0, "", src, v, strings.Join(binaries, " ")))
	}
	return fs, eco, nil
}

// packageVerdict judges one installed package by its source package and
// source version.
func (m *Matcher) packageVerdict(ctx context.Context, a *facts.HostAudit, p facts.Package) (verdict, error) {
	eco, err := m.Ecosystem(ctx, a.OS)
	if err != nil {
		return verdict{}, err
	}
	if eco == "" {
		return verdict{}, nil
	}
	// dpkg's source version is the one advisories name; an rpm's source
	// file name drops the epoch, which the binary's version keeps.
	ver := cmp.Or(p.SourceVersion, p.Version)
	if p.Format == facts.FormatRPM {
		ver = p.Version
	}
	v, err := m.judgeIn(ctx, []string{eco}, p.Source, target{version: ver, exact: true})
	if err != nil {
		return verdict{}, err
	}
	v.pkg = finding.Package{Name: p.Source, Version: ver, Source: p.Source, Ecosystem: eco, From: "package-db"}
	return v, nil
}

// HasData reports whether the database holds records of ecosystem eco.
func (m *Matcher) HasData(ctx context.Context, eco string) (bool, error) {
	ecos, err := m.db.Ecosystems(ctx, eco, "")
	return slices.Contains(ecos, eco), err
}
