package diff

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/portscan"
	"github.com/vigilsec/vigil/internal/result"
)

// Status says what became of a finding from scan A to scan B. A new status
// (for instance a risk acceptance that expired) is one more constant here
// and one more entry in statuses, which gives its words and its place.
type Status string

// Statuses.
const (
	// StatusNew: in B and not in A.
	StatusNew Status = "new"
	// StatusUnchanged: in both.
	StatusUnchanged Status = "unchanged"
	// StatusFixed: in A and not in B, although B examined the same host
	// and found the same port open with the same service (same name and,
	// where both know it, product).
	StatusFixed Status = "fixed"
	// StatusServiceChanged: the port still answers in B, but as another
	// service or one B could not identify; the finding was about the old
	// one.
	StatusServiceChanged Status = "service_changed"
	// StatusPortClosed: B examined the host and the port, and the port
	// was not open.
	StatusPortClosed Status = "port_closed"
	// StatusNotRechecked: B did not examine what the finding is about:
	// its host did not answer or was not scanned, or its port, UDP probe,
	// check or audit was outside what B did.
	StatusNotRechecked Status = "not_rechecked"
)

// statusInfo is a status with its words.
type statusInfo struct {
	status Status
	words  string
}

// statuses lists every status in the order reports show them, with its
// words.
var statuses = []statusInfo{
	{StatusFixed, "fixed"},
	{StatusNew, "new"},
	{StatusServiceChanged, "no longer observed: service changed"},
	{StatusPortClosed, "no longer observed: port closed"},
	{StatusNotRechecked, "not rechecked"},
	{StatusUnchanged, "unchanged"},
}

// Words is how reports call the status, e.g. "no longer observed: port
// closed".
func (s Status) Words() string {
	if i := s.rank(); i >= 0 {
		return statuses[i].words
	}
	return string(s)
}

// rank is the status's place in reports; -1 for an unknown status.
func (s Status) rank() int {
	return slices.IndexFunc(statuses, func(st statusInfo) bool { return st.status == s })
}

// Outcome is a finding of scan A that scan B no longer reports, with what
// became of it. Its JSON form is the finding's, plus status and reason.
type Outcome struct {
	finding.Finding
	Status Status `json:"status"`
	// Reason says why, in a sentence: "port 21/tcp now answers as http
	// (nginx); it was ftp (vsftpd)".
	Reason string `json:"reason"`
	// unverified marks an outcome that leaves the finding possibly open:
	// not rechecked, or its port answering as an unidentified service.
	unverified bool
}

// sortOutcomes orders outcomes by status, then as finding.Sort orders
// findings.
func sortOutcomes(os []Outcome) {
	fs := make([]finding.Finding, len(os))
	for i, o := range os {
		fs[i] = o.Finding
	}
	finding.Sort(fs)
	pos := make(map[string]int, len(fs))
	for i, f := range fs {
		pos[f.ID] = i
	}
	slices.SortFunc(os, func(x, y Outcome) int {
		return cmp.Or(cmp.Compare(x.Status.rank(), y.Status.rank()), cmp.Compare(pos[x.ID], pos[y.ID]))
	})
}

// Coverage is what scan A examined and scan B did not: hosts B did not
// reach, ports and UDP probes outside its selection, options under which
// it examined less.
type Coverage struct {
	// Narrower is true when B examined less than A in any of these ways.
	Narrower bool `json:"narrower"`
	// Gaps says what B left out, one sentence each.
	Gaps []string `json:"gaps"`
}

// side is what one scan examined.
type side struct {
	doc *result.Document
	// hosts maps an address to its host; reached holds those that
	// answered on at least one port (or, in a host audit, were audited).
	hosts   map[string]*result.Host
	reached map[string]bool
	// withFindings holds the hosts the document has findings on.
	withFindings map[string]bool
	// tcp and udp are the port selections; nil when not recorded.
	tcp, udp *ports
}

func newSide(d *result.Document) *side {
	s := &side{doc: d, hosts: map[string]*result.Host{}, reached: map[string]bool{}, withFindings: map[string]bool{}}
	for i := range d.Hosts {
		h := &d.Hosts[i]
		s.hosts[h.Address] = h
		if d.Kind == result.KindHost || h.Ports.Open+h.Ports.Closed > 0 || len(h.Services) > 0 {
			s.reached[h.Address] = true
		}
	}
	for _, f := range d.Findings {
		s.withFindings[f.Host] = true
	}
	s.tcp = portSet(d.Ports)
	if d.UDPPorts != nil {
		s.udp = portSet(*d.UDPPorts)
		if s.udp == nil {
			s.udp = &ports{} // recorded: none
		}
	}
	if d.PortsOnly && s.udp == nil {
		s.udp = &ports{} // a ports-only scan sends no UDP probe
	}
	return s
}

// ports is a set of port numbers.
type ports [65536 / 64]uint64

func (p *ports) add(n int) { p[n/64] |= 1 << (n % 64) }

// has reports whether n is in the set; a nil set has no port.
func (p *ports) has(n int) bool { return p != nil && n >= 0 && n < 65536 && p[n/64]&(1<<(n%64)) != 0 }

// portSet parses a port selection; nil when there is none or it does not
// parse.
func portSet(spec string) *ports {
	if strings.TrimSpace(spec) == "" {
		return nil
	}
	list, err := portscan.ParsePorts(spec)
	if err != nil {
		return nil
	}
	var set ports
	for _, p := range list {
		set.add(int(p))
	}
	return &set
}

// audited reports whether the side carries a host audit of host.
func (s *side) audited(host string) bool {
	h := s.hosts[host]
	return h != nil && h.Audited != nil
}

// service returns the service a side found on host, port and transport.
func (s *side) service(host string, port int, transport string) *facts.Service {
	h := s.hosts[host]
	if h == nil {
		return nil
	}
	for i := range h.Services {
		if sv := &h.Services[i]; sv.Port == port && sv.Transport == transport {
			return sv
		}
	}
	return nil
}

// comparer classifies the findings of scan a that scan b does not report.
type comparer struct {
	a, b *side
}

func newComparer(a, b *result.Document) *comparer {
	return &comparer{a: newSide(a), b: newSide(b)}
}

// reached reports whether B reached host.
func (c *comparer) reached(host string) bool { return c.b.reached[host] }

// covers reports whether B's port selection included port on transport;
// false when B did not record its selection.
func (c *comparer) covers(transport string, port int) bool {
	switch transport {
	case facts.TCP:
		return c.b.tcp.has(port)
	case facts.UDP:
		return c.b.udp.has(port)
	}
	return false
}

// kindName is how a document's kind reads in sentences.
func kindName(d *result.Document) string {
	if d.Kind == result.KindHost {
		return "a host audit"
	}
	return "a network scan"
}

// classify says what became of f, a finding of A that B does not report.
func (c *comparer) classify(f finding.Finding) Outcome {
	o := Outcome{Finding: f}
	set := func(st Status, format string, args ...any) Outcome {
		o.Status, o.Reason = st, fmt.Sprintf(format, args...)
		o.unverified = st == StatusNotRechecked
		return o
	}
	a, b := c.a.doc, c.b.doc
	place := fmt.Sprintf("port %d/%s", f.Port, f.Transport)
	switch {
	case a.Kind != b.Kind:
		return set(StatusNotRechecked, "scan B is %s, which does not examine what this finding is about", kindName(b))
	case f.Port == 0 && !c.b.reached[f.Host] && !c.b.withFindings[f.Host], f.Port != 0 && !c.b.reached[f.Host]:
		return c.hostNotReached(f, set)
	case b.Kind != result.KindHost && result.Carried(f) && !c.b.audited(f.Host):
		// Only a host audit rechecks what a host audit found.
		return set(StatusNotRechecked, "this came from a host audit, and scan B carried none of %s (vigil host within the last 7 days)", f.Host)
	case f.Port == 0:
		// A finding about the host as a whole: B rechecked it when it
		// examined the host.
		return set(StatusFixed, "scan B examined %s and did not find it", f.Host)
	case b.Kind == result.KindHost:
		return c.classifyListener(f, set)
	case strings.HasPrefix(f.Check, "exposure.") && a.Untrusted && !b.Untrusted:
		return set(StatusNotRechecked, "scan B did not run as from an untrusted network (--untrusted), so it did not judge exposure")
	case needsDefaultCreds(f.Check) && b.NoDefaultCreds && !a.NoDefaultCreds:
		return set(StatusNotRechecked, "scan B tried no default credentials (--no-default-creds)")
	}

	sb := c.b.service(f.Host, f.Port, f.Transport)
	if sb == nil {
		switch {
		case f.Transport == facts.TCP && c.b.tcp == nil:
			return set(StatusNotRechecked, "scan B does not record which TCP ports it covered, and %s was not open in it", place)
		case f.Transport == facts.TCP && !c.b.tcp.has(f.Port):
			return set(StatusNotRechecked, "%s was outside scan B's TCP ports (%s)", place, b.Ports)
		case f.Transport == facts.UDP && c.b.udp == nil:
			return set(StatusNotRechecked, "scan B does not record which UDP ports it probed, and %s did not answer it", place)
		case f.Transport == facts.UDP && !c.b.udp.has(f.Port):
			return set(StatusNotRechecked, "scan B did not probe UDP port %d", f.Port)
		case f.Transport != facts.TCP && f.Transport != facts.UDP:
			return set(StatusNotRechecked, "scan B has no service on %s", place)
		}
		return set(StatusPortClosed, "%s was not open in scan B", place)
	}
	switch {
	case b.PortsOnly && !a.PortsOnly:
		return set(StatusNotRechecked, "scan B only looked for open ports (--ports-only): %s was open but not examined", place)
	case len(sb.AuditErrors) > 0:
		return set(StatusNotRechecked, "scan B's audit of %s did not complete: %s", place, sb.AuditErrors[0])
	}
	sa := c.a.service(f.Host, f.Port, f.Transport)
	if sa != nil && !sameService(serviceOf(f.Host, *sa), serviceOf(f.Host, *sb)) {
		o = set(StatusServiceChanged, "%s now answers as %s; it was %s", place, describe(*sb), describe(*sa))
		o.unverified = unidentified(*sb)
		return o
	}
	return set(StatusFixed, "%s still answers as %s, without this finding", place, describe(*sb))
}

// hostNotReached is the outcome of a finding on a host B did not reach.
func (c *comparer) hostNotReached(f finding.Finding, set func(Status, string, ...any) Outcome) Outcome {
	if _, ok := c.b.hosts[f.Host]; ok {
		return set(StatusNotRechecked, "%s answered nothing to scan B: it may be down, unreachable or filtered", f.Host)
	}
	if n := c.b.doc.QuietHosts; n > 0 {
		return set(StatusNotRechecked, "scan B did not list %s: it may be one of the %d hosts it only counted (no open port), or down or unreachable", f.Host, n)
	}
	if result.SameTargets(c.a.doc.Targets, c.b.doc.Targets) {
		return set(StatusNotRechecked, "scan B did not find %s: it may be down or unreachable", f.Host)
	}
	return set(StatusNotRechecked, "scan B did not see %s: it may be down, unreachable or outside its targets", f.Host)
}

// classifyListener judges a finding of one host audit against the next:
// the listener on its port is the service.
func (c *comparer) classifyListener(f finding.Finding, set func(Status, string, ...any) Outcome) Outcome {
	place := fmt.Sprintf("port %d/%s", f.Port, f.Transport)
	hb := c.b.doc.HostAudit
	if hb == nil {
		return set(StatusNotRechecked, "scan B holds no record of the listeners it saw")
	}
	lb := listenerAt(hb, f)
	var la *facts.Listener
	if ha := c.a.doc.HostAudit; ha != nil {
		la = listenerAt(ha, f)
	}
	switch {
	case lb == nil && la != nil:
		return set(StatusPortClosed, "nothing listened on %s any more in scan B", place)
	case lb != nil && la != nil && la.Process != "" && lb.Process != "" && la.Process != lb.Process:
		return set(StatusServiceChanged, "%s is now held by %s; it was %s", place, lb.Process, la.Process)
	}
	return set(StatusFixed, "scan B audited the host again and did not find it")
}

// listenerAt returns the listener a finding on a host audit's listener is
// about: same port and transport, bound to the finding's address or to
// every address.
func listenerAt(h *facts.HostAudit, f finding.Finding) *facts.Listener {
	for i := range h.Listeners {
		l := &h.Listeners[i]
		if l.Port != f.Port || l.Transport != f.Transport {
			continue
		}
		bind := strings.Trim(l.Address, "[]")
		if bind == f.Host || bind == "" || bind == "*" {
			return l
		}
		if a, err := netip.ParseAddr(bind); err == nil && a.IsUnspecified() {
			return l
		}
	}
	return nil
}

// needsDefaultCreds reports whether a check is judged only when vendor
// default credentials are tried.
func needsDefaultCreds(check string) bool {
	return strings.HasPrefix(check, "auth.default.") || check == "cleartext.snmp"
}

// sameService reports whether two services on one port are the same: the
// same protocol, TLS from the first byte on both or neither, and the same
// product where both name one.
func sameService(a, b Service) bool {
	return a.Name == b.Name && a.TLS == b.TLS &&
		(a.Product == "" || b.Product == "" || strings.EqualFold(a.Product, b.Product))
}

// unidentified reports whether a service was not identified.
func unidentified(s facts.Service) bool { return s.Name == "" || s.Name == facts.Unknown }

// describe says what a service is: "http over TLS (nginx 1.22.1)", or "a
// service it could not identify".
func describe(s facts.Service) string {
	if unidentified(s) {
		return "a service it could not identify"
	}
	d := s.Name
	if s.TLS {
		d += " over TLS"
	}
	if p := strings.TrimSpace(s.Product + " " + s.Version); s.Product != "" {
		d += " (" + p + ")"
	}
	return d
}

// coverage lists what A examined and B did not.
func (c *comparer) coverage() Coverage {
	a, b := c.a.doc, c.b.doc
	var gaps []string
	if a.Kind != b.Kind {
		gaps = append(gaps, fmt.Sprintf("scan A is %s and scan B %s: they examine different things, so none of A's findings was rechecked", kindName(a), kindName(b)))
		return Coverage{Narrower: true, Gaps: gaps}
	}
	var missed []string
	for _, h := range a.Hosts {
		if c.a.reached[h.Address] && !c.b.reached[h.Address] {
			missed = append(missed, h.Address)
		}
	}
	if len(missed) > 0 {
		slices.SortFunc(missed, finding.CompareHosts)
		gaps = append(gaps, fmt.Sprintf("scan B did not reach %d host(s) that scan A reached: %s", len(missed), clipList(missed, 5)))
	}
	if b.Kind != result.KindHost {
		var unaudited []string
		for _, h := range a.Hosts {
			if h.Audited != nil && c.b.reached[h.Address] && !c.b.audited(h.Address) {
				unaudited = append(unaudited, h.Address)
			}
		}
		if len(unaudited) > 0 {
			slices.SortFunc(unaudited, finding.CompareHosts)
			gaps = append(gaps, fmt.Sprintf("scan B carried no host audit (vigil host) of %s, as scan A did, so it rechecked nothing found from inside those machines",
				clipList(unaudited, 5)))
		}
		gaps = append(gaps, c.portGaps(facts.TCP)...)
		gaps = append(gaps, c.portGaps(facts.UDP)...)
		if b.PortsOnly && !a.PortsOnly {
			gaps = append(gaps, "scan B only looked for open ports (--ports-only): it identified and audited nothing")
		}
		if b.NoDefaultCreds && !a.NoDefaultCreds {
			gaps = append(gaps, "scan B tried no default credentials (--no-default-creds)")
		}
		if a.Untrusted && !b.Untrusted {
			gaps = append(gaps, "scan A ran as from an untrusted network (--untrusted) and scan B did not, so B did not judge exposure")
		}
	}
	if gaps == nil {
		gaps = []string{}
	}
	return Coverage{Narrower: len(gaps) > 0, Gaps: gaps}
}

// portGaps says which ports of one transport A covered and B did not.
func (c *comparer) portGaps(transport string) []string {
	setA, setB := c.a.tcp, c.b.tcp
	specA, specB := c.a.doc.Ports, c.b.doc.Ports
	if transport == facts.UDP {
		setA, setB = c.a.udp, c.b.udp
		specA, specB = deref(c.a.doc.UDPPorts), deref(c.b.doc.UDPPorts)
	}
	// What A is known to have covered: its selection, and the ports it
	// found open (all that is known when it did not record a selection).
	var coveredA ports
	known := false
	if setA != nil {
		coveredA = *setA
		known = specA != ""
	}
	for _, h := range c.a.doc.Hosts {
		for _, s := range h.Services {
			if s.Transport == transport && s.Port > 0 && s.Port < 65536 {
				coveredA.add(s.Port)
				known = true
			}
		}
	}
	if !known {
		return nil
	}
	name := strings.ToUpper(transport)
	if setB == nil {
		return []string{fmt.Sprintf("scan B does not record which %s ports it covered", name)}
	}
	var missing []uint16
	for p := 1; p < 65536; p++ {
		if coveredA.has(p) && !setB.has(p) {
			missing = append(missing, uint16(p))
		}
	}
	switch {
	case len(missing) == 0:
		return nil
	case setA != nil && specB == "":
		return []string{fmt.Sprintf("scan B probed no %s port; scan A covered %s", name, specA)}
	case setA != nil && specA != "" && !hasAll(setB, setA):
		return []string{fmt.Sprintf("scan B covered %s ports %s where scan A covered %s", name, specB, specA)}
	}
	return []string{fmt.Sprintf("scan B's %s ports (%s) left out %s, open in scan A", name, specB, portscan.FormatPorts(missing))}
}

// hasAll reports whether every port of sub is in set.
func hasAll(set, sub *ports) bool {
	for i := range sub {
		if sub[i]&^set[i] != 0 {
			return false
		}
	}
	return true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// clipList joins at most n items, saying how many more there are.
func clipList(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
