package report

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/vigilsec/vigil/internal/finding"
)

// vulnLimit is how many vulnerabilities the table and the PDF list under a
// finding; the HTML report and the JSON document have them all.
const vulnLimit = 10

// packageLine says which software a vuln.known finding judged and how:
// "openssh 1:9.2p1-2+deb12u2 (Debian:12, from package database)". It holds
// the data as it is: escape it for the output.
func packageLine(p *finding.Package) string {
	var notes []string
	if p.Source != "" && p.Source != p.Name {
		notes = append(notes, "source package "+p.Source)
	}
	if p.Ecosystem != "" {
		notes = append(notes, p.Ecosystem)
	}
	switch p.From {
	case "":
	case "package-db":
		notes = append(notes, "from package database")
	default:
		notes = append(notes, "from "+p.From)
	}
	line := strings.TrimSpace(p.Name + " " + p.Version)
	if len(notes) > 0 {
		line += " (" + strings.Join(notes, ", ") + ")"
	}
	return line
}

// shownVulns returns the vulnerabilities a text listing shows, worst
// first, and how many more there are.
func shownVulns(vs []finding.Vulnerability) (shown []finding.Vulnerability, more int) {
	shown = finding.WorstFirst(vs)
	if len(shown) > vulnLimit {
		return shown[:vulnLimit], len(shown) - vulnLimit
	}
	return shown, 0
}

// moreVulns is the line that ends a listing cut at vulnLimit.
func moreVulns(n int) string {
	return fmt.Sprintf("… and %d more (see JSON/HTML)", n)
}

// vulnIDs returns the ids of vs worst first, each once, and those CISA
// lists as exploited in the wild; and the highest CVSS score (0 when none
// is scored).
func vulnIDs(vs []finding.Vulnerability) (ids, kev []string, maxCVSS float64) {
	seen := map[string]bool{}
	for _, v := range finding.WorstFirst(vs) {
		maxCVSS = max(maxCVSS, v.CVSS)
		if seen[v.ID] {
			continue
		}
		seen[v.ID] = true
		ids = append(ids, v.ID)
		if v.KEV {
			kev = append(kev, v.ID)
		}
	}
	return ids, kev, maxCVSS
}

// httpURL returns s as net/url writes it when s is an absolute http or
// https URL, and "" otherwise: only such URLs become links.
func httpURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}
