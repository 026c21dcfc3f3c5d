// Package check is vigil's catalogue of checks: each check's metadata
// (severity, title, rationale, fix, compliance controls) and the judges that
// turn facts into findings. Judges are pure functions: they never do I/O, so
// every one is tested from facts alone, and a stored scan can be judged again
// when the catalogue changes.
package check

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/module"
)

// Check is one catalogue entry. It is module.Check, so that protocol
// packages (internal/protocols) declare their checks without importing this
// package.
type Check = module.Check

// All returns every check in catalogue order.
func All() []Check { return slices.Clone(catalogue) }

// Lookup returns the check with the given ID.
func Lookup(id string) (Check, bool) {
	for _, c := range catalogue {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

// Input is what a judge looks at: one service of one host.
type Input struct {
	Host    *facts.Host
	Service *facts.Service
	// Now is the moment the facts describe; judges use it, never time.Now,
	// so judging the same facts twice gives the same findings.
	Now time.Time
	// Untrusted is true when the scan ran from a network that should not
	// reach administration services or databases (vigil scan --untrusted).
	Untrusted bool
	// sslv2 maps a certificate key's SHA-256 to the services of the whole
	// scan that accept SSLv2 with it ("127.0.2.33:2443/tcp"), for DROWN;
	// nil when the input was not built by JudgeScan (then only the host's
	// own services are looked at).
	sslv2 map[string][]string
}

// Scope describes where the facts were gathered from, for judges whose
// verdict depends on it.
type Scope struct {
	Now       time.Time
	Untrusted bool
}

// Hit is a judge's verdict that a check fired (module.Hit, for the same
// reason as Check).
type Hit = module.Hit

// Judge inspects one service and reports the checks that fire.
type Judge func(in Input) []Hit

// JudgeHosts runs every judge over every service of the hosts and returns the
// findings, worst first.
func JudgeHosts(hosts []facts.Host, now time.Time) []finding.Finding {
	return JudgeScan(hosts, Scope{Now: now})
}

// JudgeScan is JudgeHosts with the scan's vantage point.
func JudgeScan(hosts []facts.Host, sc Scope) []finding.Finding {
	now := sc.Now
	var out []finding.Finding
	v2 := sslv2Keys(hosts)
	for hi := range hosts {
		h := &hosts[hi]
		for si := range h.Services {
			s := &h.Services[si]
			in := Input{Host: h, Service: s, Now: now, Untrusted: sc.Untrusted, sslv2: v2}
			for _, j := range judges {
				for _, hit := range j(in) {
					out = append(out, MakeFinding(hit, h.Address, s.Port, s.Transport))
				}
			}
		}
	}
	out = foldUnexamined(out)
	finding.Sort(out)
	return out
}

// maxUnexamined is how many ports of one host get a coverage.unexamined
// finding of their own; the rest are counted in one finding about the host.
const maxUnexamined = 10

// foldUnexamined keeps the first maxUnexamined coverage.unexamined findings
// of each host and folds the others into one finding on the host (port 0)
// that counts them: a tarpit's 65,000 silent ports are one fact, not
// 65,000.
func foldUnexamined(fs []finding.Finding) []finding.Finding {
	count := map[string]int{}
	for _, f := range fs {
		if f.Check == "coverage.unexamined" {
			count[f.Host]++
		}
	}
	var out []finding.Finding
	kept := map[string]int{}
	folded := map[string][]finding.Finding{}
	for _, f := range fs {
		if f.Check != "coverage.unexamined" || count[f.Host] <= maxUnexamined || kept[f.Host] < maxUnexamined {
			if f.Check == "coverage.unexamined" {
				kept[f.Host]++
			}
			out = append(out, f)
			continue
		}
		folded[f.Host] = append(folded[f.Host], f)
	}
	for host, rest := range folded {
		ports := make([]string, 0, 5)
		for i, f := range rest {
			if i == 5 {
				ports = append(ports, "…")
				break
			}
			ports = append(ports, fmt.Sprintf("%s/%d", f.Transport, f.Port))
		}
		out = append(out, MakeFinding(Hit{Check: "coverage.unexamined", Subject: "more-ports",
			Evidence: fmt.Sprintf("%d more open ports were not examined, among them %s; the first of them: %s", len(rest), strings.Join(ports, ", "), rest[0].Evidence),
			Fix:      "Find what answers on these ports (on the host: ss -ltnp, or vigil host); a host whose every port answers is a tarpit, a proxy or a firewall that answers for it."}, host, 0, ""))
	}
	return out
}

// MakeFinding completes a hit with its catalogue metadata. It panics on an
// unknown check ID: that is a programming error a test catches.
func MakeFinding(hit Hit, host string, port int, transport string) finding.Finding {
	c, ok := Lookup(hit.Check)
	if !ok {
		panic(fmt.Sprintf("check: judge reported unknown check %q", hit.Check))
	}
	sev := c.Severity
	if hit.Severity.Valid() {
		sev = hit.Severity
	}
	fix := hit.Fix
	if strings.TrimSpace(fix) == "" {
		fix = c.Fix
	}
	return finding.Finding{
		ID:             finding.MakeID(c.ID, host, port, transport, hit.Subject),
		Check:          c.ID,
		Severity:       sev,
		Host:           host,
		Port:           port,
		Transport:      transport,
		Title:          c.Title,
		Evidence:       hit.Evidence,
		Recommendation: fix,
		Frameworks:     slices.Clone(c.Frameworks),
		Subject:        hit.Subject,
	}
}
