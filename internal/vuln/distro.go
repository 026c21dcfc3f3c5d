package vuln

import (
	"regexp"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
)

// build says what a banner tells of who built the software: a
// distribution ("Debian", "Ubuntu"), its release ("12"), and the package
// revision appended to the upstream version ("2+deb12u7").
type build struct {
	Distro, Release, Revision string
}

var (
	// debRelease finds a Debian release in a package revision: the
	// security and point-release suffixes +deb12u7, ~deb12u2, ~deb12.
	debRelease = regexp.MustCompile(`[+~]deb(\d{1,2})(?:u\d+)?\b`)
	// ubuntuRelease finds an Ubuntu release in a revision: 0ubuntu0.22.04.1.
	ubuntuRelease = regexp.MustCompile(`ubuntu\d*(?:\.(\d{2}\.\d{2}))`)
	// revisionAfter finds a package revision after a distribution's name,
	// as OpenSSH announces it: "Debian-2+deb12u7", "Ubuntu-3ubuntu0.10".
	revisionAfter = regexp.MustCompile(`\b(Debian|Ubuntu)-(\d[0-9A-Za-z.+~]*)`)
	// revisionBefore finds a revision between the upstream version and the
	// distribution's name or the product's: BIND's "9.18.28-1~deb12u2-Debian",
	// MariaDB's "10.11.6-MariaDB-0+deb12u1" (after "5.5.5-" on the wire).
	revisionBefore = regexp.MustCompile(`^(?:5\.5\.5-)?\d[\w.]*-(?:MariaDB-)?(\d[0-9A-Za-z.+~]*?)(?:-(Debian|Ubuntu))?$`)
	// distroWord finds a distribution named in a banner: "Apache/2.4.57 (Debian)".
	distroWord = regexp.MustCompile(`\b(Debian|Ubuntu)\b`)
)

// buildOf reads what a service's banner says of its build.
func buildOf(s facts.Service) build {
	texts := []string{s.Detail(facts.DetailSSHComments), s.Detail(facts.DetailMySQLServerVersion), s.Detail(facts.DetailDNSVersionBind), s.Banner}
	var b build
	for _, t := range texts {
		if t == "" {
			continue
		}
		if m := revisionAfter.FindStringSubmatch(t); m != nil && b.Revision == "" {
			b.Distro, b.Revision = m[1], m[2]
		}
		if m := revisionBefore.FindStringSubmatch(t); m != nil && b.Revision == "" && (m[2] != "" || debRelease.MatchString(m[1]) || strings.Contains(m[1], "ubuntu")) {
			b.Revision = m[1]
			switch {
			case m[2] != "":
				b.Distro = m[2]
			case strings.Contains(m[1], "ubuntu"):
				b.Distro = "Ubuntu"
			default:
				b.Distro = "Debian"
			}
		}
		if m := distroWord.FindStringSubmatch(t); m != nil && b.Distro == "" {
			b.Distro = m[1]
		}
	}
	if strings.Contains(b.Revision, "maria") {
		// MariaDB's own repository builds (+maria~deb12) are not Debian's.
		return build{}
	}
	if m := debRelease.FindStringSubmatch(b.Revision); m != nil {
		b.Distro, b.Release = "Debian", m[1]
	}
	if m := ubuntuRelease.FindStringSubmatch(b.Revision); m != nil {
		b.Distro, b.Release = "Ubuntu", m[1]
	}
	return b
}

// hostBuild is what all of a host's banners, and a host audit, say of its
// distribution: the first release any of them names.
func hostBuild(services []facts.Service, audit *facts.HostAudit) build {
	var b build
	if audit != nil && audit.OS != nil {
		switch audit.OS.ID {
		case "debian":
			b = build{Distro: "Debian", Release: audit.OS.VersionID}
		case "ubuntu":
			b = build{Distro: "Ubuntu", Release: audit.OS.VersionID}
		}
		if b.Distro != "" {
			return b
		}
	}
	for _, s := range services {
		sb := buildOf(s)
		switch {
		case sb.Release != "":
			return build{Distro: sb.Distro, Release: sb.Release}
		case sb.Distro != "" && b.Distro == "":
			b.Distro = sb.Distro
		}
	}
	return b
}
