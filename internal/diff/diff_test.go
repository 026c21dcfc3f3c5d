package diff

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// fs is a finding spec: check, severity, port and transport ("" for tcp)
// on a host.
type fs struct {
	check     string
	sev       finding.Severity
	port      int
	transport string
}

// hs is a host spec: its address, open TCP ports and findings. A host
// with no open port answered nothing.
type hs struct {
	addr     string
	ports    []int
	findings []fs
}

var t0 = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

// doc builds a document the way a scan does, through result.Assemble, so
// host and overall levels follow the rubric: every TCP port and UDP 53, 123
// and 161 scanned, each open port answering as svcPORT. Hosts whose address
// starts with "audit:" have findings but are not in the host list, like
// host audits.
func doc(label string, hosts ...hs) *result.Document {
	return docOf(label, nil, hosts...)
}

// docOf is doc with services given for some ports: host address to the
// services that answered there instead of svcPORT (UDP ones added).
func docOf(label string, svcs map[string][]facts.Service, hosts ...hs) *result.Document {
	var fh []facts.Host
	var found []finding.Finding
	for _, h := range hosts {
		addr, audit := strings.CutPrefix(h.addr, "audit:")
		if !audit {
			fhost := facts.Host{Address: addr}
			for _, p := range h.ports {
				s := facts.Service{Port: p, Transport: "tcp", Name: fmt.Sprintf("svc%d", p)}
				for _, given := range svcs[addr] {
					if given.Port == p && given.Transport == "tcp" {
						s = given
					}
				}
				fhost.Services = append(fhost.Services, s)
			}
			for _, given := range svcs[addr] {
				if given.Transport == "udp" {
					fhost.Services = append(fhost.Services, given)
				}
			}
			fhost.Ports.Open = len(fhost.Services)
			fh = append(fh, fhost)
		}
		for _, f := range h.findings {
			tr := cmp.Or(f.transport, "tcp")
			found = append(found, finding.Finding{ID: finding.MakeID(f.check, addr, f.port, tr, ""), Check: f.check, Severity: f.sev,
				Host: addr, Port: f.port, Transport: tr, Title: "title of " + f.check})
		}
	}
	d := result.Assemble(result.NewID(t0), t0, t0.Add(time.Minute), []string{"10.0.0.0/24"}, fh, found, nil)
	d.Label = label
	d.Ports = "1-65535"
	udp := "53,123,161"
	d.UDPPorts = &udp
	return d
}

// carrying is a scan of addr (open TCP ports, findings) that carries a
// host audit of its machine, srv1, made just before it, holding audit:
// findings on port 0 are about the machine, others about addr.
func carrying(addr string, ports []int, finds, audit []fs) *result.Document {
	d := doc("", hs{addr, ports, finds})
	var af []finding.Finding
	for _, f := range audit {
		host := addr
		if f.port == 0 {
			host = "srv1"
		}
		af = append(af, finding.Finding{ID: finding.MakeID(f.check, host, f.port, "tcp", ""), Check: f.check, Severity: f.sev,
			Host: host, Port: f.port, Transport: "tcp", Title: "title of " + f.check, Evidence: "seen"})
	}
	ha := result.Assemble(result.NewID(t0), t0.Add(-time.Hour), t0.Add(-time.Hour), []string{"srv1"}, nil, af, nil)
	ha.Kind, ha.HostAudit = result.KindHost, &facts.HostAudit{Hostname: "srv1"}
	withAudit := result.Assemble(d.ID, d.Started, d.Finished, d.Targets, d.FactsHosts(), append(d.Findings, result.Carry(ha, addr)...),
		map[string]time.Time{addr: ha.Finished})
	withAudit.Ports, withAudit.UDPPorts = d.Ports, d.UDPPorts
	return withAudit
}

// with applies changes to a document and returns it.
func with(d *result.Document, change func(d *result.Document)) *result.Document {
	change(d)
	return d
}

var (
	weakCipher = fs{"ssh.cipher.weak", finding.High, 22, ""}
	password   = fs{"ssh.auth.password", finding.Medium, 22, ""}
	telnet     = fs{"cleartext.telnet", finding.Critical, 23, ""}
	noTLS13    = fs{"tls.protocol.no-tls13", finding.Low, 443, ""}
	redis      = fs{"cleartext.redis", finding.High, 6379, ""}
	ftp        = fs{"cleartext.ftp", finding.High, 21, ""}
	anonFTP    = fs{"auth.anonymous.ftp", finding.High, 21, ""}
	unexamined = fs{"coverage.unexamined", finding.Low, 21, ""}
	snmp       = fs{"cleartext.snmp", finding.High, 161, "udp"}
	tls10      = fs{"tls.protocol.tls10", finding.High, 443, ""}
)

// Services as identification reports them.
var (
	vsftpd   = facts.Service{Port: 21, Transport: "tcp", Name: "ftp", Product: "vsftpd", Version: "3.0.3"}
	proftpd  = facts.Service{Port: 21, Transport: "tcp", Name: "ftp", Product: "ProFTPD", Version: "1.3.8"}
	anyFTP   = facts.Service{Port: 21, Transport: "tcp", Name: "ftp"} // a greeting that names no product
	httpd    = facts.Service{Port: 21, Transport: "tcp", Name: "http", Product: "nginx"}
	oops     = facts.Service{Port: 21, Transport: "tcp", Name: facts.Unknown, Banner: "500 OOPS: vsftpd: refusing to run with writable root inside chroot()"}
	https    = facts.Service{Port: 443, Transport: "tcp", Name: "http", Product: "nginx", TLS: true}
	http443  = facts.Service{Port: 443, Transport: "tcp", Name: "http", Product: "nginx"}
	snmpd    = facts.Service{Port: 161, Transport: "udp", Name: "snmp", Product: "net-snmp"}
	httpsBad = facts.Service{Port: 443, Transport: "tcp", Name: "http", Product: "nginx", TLS: true, AuditErrors: []string{"tls: handshake timed out after 3s"}}
)

// checks lists the check IDs of findings, as host/check.
func checks(fs []finding.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Host+"/"+f.Check)
	}
	return strings.Join(out, " ")
}

// outcomes lists outcomes as host/check:status.
func outcomes(os []Outcome) string {
	var out []string
	for _, o := range os {
		out = append(out, o.Host+"/"+o.Check+":"+string(o.Status))
	}
	return strings.Join(out, " ")
}

func serviceList(ss []Service) string {
	var out []string
	for _, s := range ss {
		out = append(out, fmt.Sprintf("%s:%d/%s", s.Host, s.Port, s.Transport))
	}
	return strings.Join(out, " ")
}

func serviceChanges(cs []ServiceChange) string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s:%d/%s %s>%s", c.To.Host, c.To.Port, c.To.Transport, c.From.Name, c.To.Name))
	}
	return strings.Join(out, " ")
}

func hostChanges(hs []HostChange) string {
	var out []string
	for _, h := range hs {
		s := fmt.Sprintf("%s %s %d>%d", h.Address, h.Status, h.From, h.To)
		if h.Unverified > 0 {
			s += fmt.Sprintf(" (%d unverified)", h.Unverified)
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

func TestScans(t *testing.T) {
	ftpHost := func(svc facts.Service, finds ...fs) *result.Document {
		return docOf("", map[string][]facts.Service{"10.0.0.1": {svc}}, hs{"10.0.0.1", []int{21}, finds})
	}
	tests := []struct {
		name                              string
		a, b                              *result.Document
		level                             Change
		verdict                           Verdict
		atWorst                           int // 0: same as level.To
		hosts                             string
		newF, fixed, unchanged, unchecked string
		gone                              string // no longer observed, as host/check:status
		reason                            string // in the first one's reason
		opened, closed, changed           string
		gaps                              []string // each in one gap, in order
	}{
		{
			name:      "nothing changed",
			a:         doc("", hs{"10.0.0.1", []int{22}, []fs{weakCipher}}),
			b:         doc("", hs{"10.0.0.1", []int{22}, []fs{weakCipher}}),
			level:     Change{2, 2},
			verdict:   Same,
			unchanged: "10.0.0.1/ssh.cipher.weak",
		},
		{
			name:  "fixed for real: same host, port and service, finding gone",
			a:     doc("", hs{"10.0.0.1", []int{22}, []fs{weakCipher, password}}, hs{"10.0.0.2", []int{443}, []fs{noTLS13}}),
			b:     doc("", hs{"10.0.0.1", []int{22}, []fs{password}}, hs{"10.0.0.2", []int{443}, []fs{noTLS13}}),
			level: Change{2, 3}, verdict: Better, hosts: "10.0.0.1 changed 2>3",
			fixed: "10.0.0.1/ssh.cipher.weak", unchanged: "10.0.0.1/ssh.auth.password 10.0.0.2/tls.protocol.no-tls13",
		},
		{
			name:  "fixed: the product is known on one side only",
			a:     ftpHost(vsftpd, ftp, anonFTP),
			b:     ftpHost(anyFTP, ftp),
			level: Change{2, 2}, verdict: Same,
			fixed: "10.0.0.1/auth.anonymous.ftp", unchanged: "10.0.0.1/cleartext.ftp",
		},
		{
			name:  "service changed: another product on the port",
			a:     ftpHost(vsftpd, ftp, anonFTP),
			b:     ftpHost(proftpd, ftp),
			level: Change{2, 2}, verdict: Same,
			unchanged: "10.0.0.1/cleartext.ftp",
			gone:      "10.0.0.1/auth.anonymous.ftp:service_changed", reason: "now answers as ftp (ProFTPD 1.3.8); it was ftp (vsftpd 3.0.3)",
			changed: "10.0.0.1:21/tcp ftp>ftp",
		},
		{
			name:  "service changed: another protocol on the port",
			a:     ftpHost(vsftpd, ftp, anonFTP),
			b:     ftpHost(httpd),
			level: Change{2, 4}, verdict: Better, hosts: "10.0.0.1 changed 2>4",
			gone:    "10.0.0.1/auth.anonymous.ftp:service_changed 10.0.0.1/cleartext.ftp:service_changed",
			reason:  "port 21/tcp now answers as http (nginx)",
			changed: "10.0.0.1:21/tcp ftp>http",
		},
		{
			name:  "service changed: vsftpd answers 500 OOPS, unidentified; the higher level is no improvement",
			a:     ftpHost(vsftpd, ftp, anonFTP),
			b:     ftpHost(oops, unexamined),
			level: Change{2, 4}, verdict: Unproven, atWorst: 2, hosts: "10.0.0.1 changed 2>4 (2 unverified)",
			newF:    "10.0.0.1/coverage.unexamined",
			gone:    "10.0.0.1/auth.anonymous.ftp:service_changed 10.0.0.1/cleartext.ftp:service_changed",
			reason:  "now answers as a service it could not identify; it was ftp (vsftpd 3.0.3)",
			changed: "10.0.0.1:21/tcp ftp>unknown",
		},
		{
			name: "service changed: TLS no longer spoken",
			a: docOf("", map[string][]facts.Service{"10.0.0.2": {https}},
				hs{"10.0.0.2", []int{443}, []fs{tls10, noTLS13}}),
			b:     docOf("", map[string][]facts.Service{"10.0.0.2": {http443}}, hs{"10.0.0.2", []int{443}, nil}),
			level: Change{2, 4}, verdict: Better, hosts: "10.0.0.2 changed 2>4",
			gone:    "10.0.0.2/tls.protocol.tls10:service_changed 10.0.0.2/tls.protocol.no-tls13:service_changed",
			reason:  "now answers as http (nginx); it was http over TLS (nginx)",
			changed: "10.0.0.2:443/tcp http>http",
		},
		{
			name:  "port closed: no longer observed, not fixed",
			a:     doc("", hs{"10.0.0.1", []int{22, 6379}, []fs{redis}}),
			b:     doc("", hs{"10.0.0.1", []int{22}, nil}),
			level: Change{2, 4}, verdict: Better, hosts: "10.0.0.1 changed 2>4",
			gone: "10.0.0.1/cleartext.redis:port_closed", reason: "port 6379/tcp was not open in scan B",
			closed: "10.0.0.1:6379/tcp",
		},
		{
			name:  "a new service brings a new finding",
			a:     doc("", hs{"10.0.0.1", []int{22}, []fs{password}}),
			b:     doc("", hs{"10.0.0.1", []int{22, 23}, []fs{password, telnet}}),
			level: Change{3, 1}, verdict: Worse, hosts: "10.0.0.1 changed 3>1",
			newF: "10.0.0.1/cleartext.telnet", unchanged: "10.0.0.1/ssh.auth.password",
			opened: "10.0.0.1:23/tcp",
		},
		{
			name:  "host not rechecked: B did not find it",
			a:     doc("", hs{"10.0.0.1", []int{22}, []fs{password}}, hs{"10.0.0.9", []int{23}, []fs{telnet}}),
			b:     doc("", hs{"10.0.0.1", []int{22}, []fs{password}}),
			level: Change{1, 3}, verdict: Unproven, atWorst: 1, hosts: "10.0.0.9 gone 1>0 (1 unverified)",
			unchanged: "10.0.0.1/ssh.auth.password", unchecked: "10.0.0.9/cleartext.telnet",
			gone: "10.0.0.9/cleartext.telnet:not_rechecked", reason: "scan B did not find 10.0.0.9: it may be down or unreachable",
			gaps: []string{"did not reach 1 host(s) that scan A reached: 10.0.0.9"},
		},
		{
			name:  "host not rechecked: it answered nothing to B (scanned with --no-discovery)",
			a:     doc("", hs{"10.0.0.1", []int{22}, []fs{password}}, hs{"10.0.0.9", []int{23}, []fs{telnet}}),
			b:     doc("", hs{"10.0.0.1", []int{22}, []fs{password}}, hs{"10.0.0.9", nil, nil}),
			level: Change{1, 3}, verdict: Unproven, atWorst: 1, hosts: "10.0.0.9 changed 1>4 (1 unverified)",
			unchanged: "10.0.0.1/ssh.auth.password", unchecked: "10.0.0.9/cleartext.telnet",
			gone: "10.0.0.9/cleartext.telnet:not_rechecked", reason: "10.0.0.9 answered nothing to scan B",
			gaps: []string{"did not reach 1 host(s)"},
		},
		{
			name: "narrower port selection: ports B did not cover are not rechecked, nor closed",
			a:    doc("", hs{"10.0.0.1", []int{22, 23}, []fs{password, telnet}}),
			b: with(doc("", hs{"10.0.0.1", []int{22}, []fs{password}}), func(d *result.Document) {
				d.Ports = "22,80,443"
			}),
			level: Change{1, 3}, verdict: Unproven, atWorst: 1, hosts: "10.0.0.1 changed 1>3 (1 unverified)",
			unchanged: "10.0.0.1/ssh.auth.password", unchecked: "10.0.0.1/cleartext.telnet",
			gone: "10.0.0.1/cleartext.telnet:not_rechecked", reason: "port 23/tcp was outside scan B's TCP ports (22,80,443)",
			gaps: []string{"scan B covered TCP ports 22,80,443 where scan A covered 1-65535"},
		},
		{
			name: "narrower port selection that still shows an improvement counting what it left out",
			a:    doc("", hs{"10.0.0.1", []int{22, 6379}, []fs{weakCipher, {"cleartext.telnet", finding.Critical, 22, ""}, password}}),
			b: with(doc("", hs{"10.0.0.1", []int{22}, []fs{password}}), func(d *result.Document) {
				d.Ports = "22"
			}),
			level: Change{1, 3}, verdict: Better, hosts: "10.0.0.1 changed 1>3",
			fixed: "10.0.0.1/cleartext.telnet 10.0.0.1/ssh.cipher.weak", unchanged: "10.0.0.1/ssh.auth.password",
			gaps: []string{"scan B covered TCP ports 22 where scan A covered 1-65535"},
		},
		{
			name: "a finding not rechecked whose acceptance ran out by scan B holds the level down again",
			a: func() *result.Document {
				d := doc("", hs{"10.0.0.1", []int{22, 23}, []fs{password, telnet}})
				for i := range d.Findings {
					if d.Findings[i].Check == telnet.check {
						d.Findings[i].Accepted = &finding.Acceptance{By: "alice", Reason: "legacy console", Until: "2026-06-15"}
					}
				}
				again := result.Assemble(d.ID, d.Started, d.Finished, d.Targets, d.FactsHosts(), d.Findings, nil)
				again.Ports, again.UDPPorts = d.Ports, d.UDPPorts
				return again
			}(),
			b: with(doc("", hs{"10.0.0.1", []int{22}, nil}), func(d *result.Document) {
				d.Ports, d.Finished = "22", t0.AddDate(0, 2, 0)
			}),
			level: Change{3, 4}, verdict: Unproven, atWorst: 1, hosts: "10.0.0.1 changed 3>4 (1 unverified)",
			fixed: "10.0.0.1/ssh.auth.password", unchecked: "10.0.0.1/cleartext.telnet",
			gone: "10.0.0.1/cleartext.telnet:not_rechecked", reason: "port 23/tcp was outside scan B's TCP ports (22)",
			gaps: []string{"scan B covered TCP ports 22 where scan A covered 1-65535"},
		},
		{
			name: "narrower UDP probes: SNMP not probed is not rechecked",
			a: docOf("", map[string][]facts.Service{"10.0.0.3": {snmpd}},
				hs{"10.0.0.3", []int{22}, []fs{snmp}}),
			b: with(doc("", hs{"10.0.0.3", []int{22}, nil}), func(d *result.Document) {
				none := ""
				d.UDPPorts = &none
			}),
			level: Change{2, 4}, verdict: Unproven, atWorst: 2, hosts: "10.0.0.3 changed 2>4 (1 unverified)",
			unchecked: "10.0.0.3/cleartext.snmp",
			gone:      "10.0.0.3/cleartext.snmp:not_rechecked", reason: "scan B did not probe UDP port 161",
			gaps: []string{"scan B probed no UDP port; scan A covered 53,123,161"},
		},
		{
			name: "UDP probed again and closed",
			a: docOf("", map[string][]facts.Service{"10.0.0.3": {snmpd}},
				hs{"10.0.0.3", []int{22}, []fs{snmp}}),
			b:     doc("", hs{"10.0.0.3", []int{22}, nil}),
			level: Change{2, 4}, verdict: Better, hosts: "10.0.0.3 changed 2>4",
			gone: "10.0.0.3/cleartext.snmp:port_closed", closed: "10.0.0.3:161/udp",
		},
		{
			name: "B does not record its port selection (older vigil)",
			a:    doc("", hs{"10.0.0.1", []int{22, 6379}, []fs{redis}}),
			b: with(doc("", hs{"10.0.0.1", []int{22}, nil}), func(d *result.Document) {
				d.Ports, d.UDPPorts = "", nil
			}),
			level: Change{2, 4}, verdict: Unproven, atWorst: 2, hosts: "10.0.0.1 changed 2>4 (1 unverified)",
			unchecked: "10.0.0.1/cleartext.redis", gone: "10.0.0.1/cleartext.redis:not_rechecked",
			reason: "scan B does not record which TCP ports it covered",
			gaps:   []string{"scan B does not record which TCP ports it covered", "scan B does not record which UDP ports it covered"},
		},
		{
			name: "ports-only B examined nothing on open ports",
			a:    doc("", hs{"10.0.0.1", []int{22}, []fs{weakCipher}}),
			b: with(doc("", hs{"10.0.0.1", []int{22}, nil}), func(d *result.Document) {
				d.PortsOnly = true
			}),
			level: Change{2, 4}, verdict: Unproven, atWorst: 2, hosts: "10.0.0.1 changed 2>4 (1 unverified)",
			unchecked: "10.0.0.1/ssh.cipher.weak", gone: "10.0.0.1/ssh.cipher.weak:not_rechecked", reason: "--ports-only",
			gaps: []string{"only looked for open ports"},
		},
		{
			name:  "an audit that did not complete rechecked nothing",
			a:     docOf("", map[string][]facts.Service{"10.0.0.2": {https}}, hs{"10.0.0.2", []int{443}, []fs{tls10}}),
			b:     docOf("", map[string][]facts.Service{"10.0.0.2": {httpsBad}}, hs{"10.0.0.2", []int{443}, nil}),
			level: Change{2, 4}, verdict: Unproven, atWorst: 2, hosts: "10.0.0.2 changed 2>4 (1 unverified)",
			unchecked: "10.0.0.2/tls.protocol.tls10", gone: "10.0.0.2/tls.protocol.tls10:not_rechecked",
			reason: "audit of port 443/tcp did not complete: tls: handshake timed out",
		},
		{
			name: "B ran without --untrusted: exposure not rechecked",
			a: with(doc("", hs{"10.0.0.1", []int{22}, []fs{{"exposure.admin", finding.High, 22, ""}}}), func(d *result.Document) {
				d.Untrusted = true
			}),
			b:     doc("", hs{"10.0.0.1", []int{22}, nil}),
			level: Change{2, 4}, verdict: Unproven, atWorst: 2, hosts: "10.0.0.1 changed 2>4 (1 unverified)",
			unchecked: "10.0.0.1/exposure.admin", gone: "10.0.0.1/exposure.admin:not_rechecked", reason: "--untrusted",
			gaps: []string{"--untrusted"},
		},
		{
			name:  "a new host brings its services and findings",
			a:     doc("", hs{"10.0.0.1", []int{22}, nil}),
			b:     doc("", hs{"10.0.0.1", []int{22}, nil}, hs{"10.0.0.3", []int{6379}, []fs{redis}}),
			level: Change{4, 2}, verdict: Worse, hosts: "10.0.0.3 new 0>2",
			newF: "10.0.0.3/cleartext.redis", opened: "10.0.0.3:6379/tcp",
		},
		{
			name:  "host-audit findings count as seen hosts",
			a:     doc("", hs{"10.0.0.1", []int{22}, nil}, hs{"audit:db1", nil, []fs{{"firewall.none", finding.Medium, 0, ""}, {"redis.config.no-auth", finding.Critical, 0, ""}}}),
			b:     doc("", hs{"10.0.0.1", []int{22}, nil}, hs{"audit:db1", nil, []fs{{"firewall.none", finding.Medium, 0, ""}}}),
			level: Change{1, 3}, verdict: Better,
			fixed: "db1/redis.config.no-auth", unchanged: "db1/firewall.none",
		},
		{
			name: "a carried host audit's findings are not rechecked by a scan that carries none",
			a: carrying("10.0.0.5", []int{22}, nil, []fs{{"firewall.none", finding.Medium, 0, ""},
				{"ssh.config.root-login", finding.Medium, 22, ""}}),
			b:     doc("", hs{"10.0.0.5", []int{22}, nil}),
			level: Change{3, 4}, verdict: Unproven, atWorst: 3, hosts: "10.0.0.5 changed 3>4 (2 unverified)",
			unchecked: "10.0.0.5/firewall.none 10.0.0.5/ssh.config.root-login",
			gone:      "10.0.0.5/firewall.none:not_rechecked 10.0.0.5/ssh.config.root-login:not_rechecked",
			reason:    "this came from a host audit, and scan B carried none of 10.0.0.5",
			gaps:      []string{"scan B carried no host audit (vigil host) of 10.0.0.5"},
		},
		{
			name: "a newer host audit carried by B rechecks them",
			a: carrying("10.0.0.5", []int{22}, nil, []fs{{"firewall.none", finding.Medium, 0, ""},
				{"ssh.config.root-login", finding.Medium, 22, ""}}),
			b:     carrying("10.0.0.5", []int{22}, nil, []fs{{"ssh.config.root-login", finding.Medium, 22, ""}}),
			level: Change{3, 3}, verdict: Same,
			fixed: "10.0.0.5/firewall.none", unchanged: "10.0.0.5/ssh.config.root-login",
		},
		{
			name:  "a host audit against a network scan rechecks nothing",
			a:     with(doc("", hs{"audit:db1", nil, []fs{{"redis.config.no-auth", finding.Critical, 0, ""}}}), func(d *result.Document) { d.Kind = result.KindHost }),
			b:     doc("", hs{"10.0.0.1", []int{22}, nil}),
			level: Change{1, 4}, verdict: Unproven, atWorst: 1, hosts: "10.0.0.1 new 0>4", opened: "10.0.0.1:22/tcp",
			unchecked: "db1/redis.config.no-auth", gone: "db1/redis.config.no-auth:not_rechecked", reason: "scan B is a network scan",
			gaps: []string{"scan A is a host audit and scan B a network scan"},
		},
		{
			name: "hosts and findings sort by address and severity",
			a:    doc("", hs{"10.0.0.10", []int{22}, nil}, hs{"10.0.0.2", []int{22}, nil}),
			b: doc("", hs{"10.0.0.10", []int{22, 23}, []fs{telnet, password}}, hs{"10.0.0.2", []int{22, 443}, []fs{noTLS13, password}},
				hs{"fe80::1", nil, nil}),
			level: Change{4, 1}, verdict: Worse, hosts: "10.0.0.2 changed 4>3, 10.0.0.10 changed 4>1, fe80::1 new 0>4",
			newF:   "10.0.0.10/cleartext.telnet 10.0.0.2/ssh.auth.password 10.0.0.10/ssh.auth.password 10.0.0.2/tls.protocol.no-tls13",
			opened: "10.0.0.2:443/tcp 10.0.0.10:23/tcp",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Scans(tt.a, tt.b)
			got := map[string][2]string{
				"hosts":     {hostChanges(d.Hosts), tt.hosts},
				"new":       {checks(d.New), tt.newF},
				"fixed":     {checks(d.Fixed), tt.fixed},
				"unchanged": {checks(d.Unchanged), tt.unchanged},
				"unchecked": {checks(d.Unchecked), tt.unchecked},
				"gone":      {outcomes(d.NotObserved), tt.gone},
				"opened":    {serviceList(d.Opened), tt.opened},
				"closed":    {serviceList(d.Closed), tt.closed},
				"changed":   {serviceChanges(d.Changed), tt.changed},
				"verdict":   {string(d.Verdict), string(tt.verdict)},
			}
			for _, k := range []string{"hosts", "new", "fixed", "unchanged", "unchecked", "gone", "opened", "closed", "changed", "verdict"} {
				if got[k][0] != got[k][1] {
					t.Errorf("%s = %q, want %q", k, got[k][0], got[k][1])
				}
			}
			if d.Level != tt.level {
				t.Errorf("level %v, want %v", d.Level, tt.level)
			}
			if want := cmp.Or(tt.atWorst, tt.level.To); d.LevelAtWorst != want {
				t.Errorf("level at worst %d, want %d", d.LevelAtWorst, want)
			}
			if tt.reason != "" && (len(d.NotObserved) == 0 || !strings.Contains(d.NotObserved[0].Reason, tt.reason)) {
				t.Errorf("no longer observed: %+v; want the first one's reason to say %q", d.NotObserved, tt.reason)
			}
			if d.Coverage.Narrower != (len(tt.gaps) > 0) || len(d.Coverage.Gaps) != len(tt.gaps) {
				t.Errorf("coverage %+v, want gaps %q", d.Coverage, tt.gaps)
			} else {
				for i, g := range tt.gaps {
					if !strings.Contains(d.Coverage.Gaps[i], g) {
						t.Errorf("gap %d = %q, want it to say %q", i, d.Coverage.Gaps[i], g)
					}
				}
			}
			if d.A.ID != tt.a.ID || d.B.ID != tt.b.ID {
				t.Errorf("sides %s, %s; want %s, %s", d.A.ID, d.B.ID, tt.a.ID, tt.b.ID)
			}
			// Every finding of both scans is accounted for exactly once,
			// and a finding is never both fixed and no longer observed.
			if n := len(d.New) + len(d.Unchanged); n != len(tt.b.Findings) {
				t.Errorf("new+unchanged = %d, B has %d findings", n, len(tt.b.Findings))
			}
			if n := len(d.Fixed) + len(d.Unchanged) + len(d.NotObserved); n != len(tt.a.Findings) {
				t.Errorf("fixed+unchanged+no longer observed = %d, A has %d findings", n, len(tt.a.Findings))
			}
			notRechecked := 0
			for _, o := range d.NotObserved {
				if o.Status == StatusNotRechecked {
					notRechecked++
				}
				if o.Status == StatusFixed || o.Reason == "" {
					t.Errorf("no longer observed %+v: fixed, or without a reason", o)
				}
			}
			if notRechecked != len(d.Unchecked) {
				t.Errorf("%d not rechecked in no_longer_observed, %d unchecked", notRechecked, len(d.Unchecked))
			}
		})
	}
}

// Host audits: the listener on a finding's port is its service.
func TestScansHostAudits(t *testing.T) {
	audit := func(listeners []facts.Listener, finds ...fs) *result.Document {
		d := doc("", hs{"audit:10.0.0.5", nil, finds})
		d.Kind = result.KindHost
		d.Hosts = []result.Host{{Address: "10.0.0.5", Level: d.Level.Value}}
		d.HostAudit = &facts.HostAudit{Hostname: "db1", Listeners: listeners}
		return d
	}
	sshd := facts.Listener{Transport: "tcp", Address: "0.0.0.0", Port: 22, Process: "sshd"}
	dropbear := facts.Listener{Transport: "tcp", Address: "10.0.0.5", Port: 22, Process: "dropbear"}
	rootLogin := fs{"ssh.config.root-login", finding.Medium, 22, ""}
	pwAuth := fs{"ssh.config.password-auth", finding.Medium, 22, ""}
	tests := []struct {
		name  string
		a, b  *result.Document
		fixed string
		gone  string
	}{
		{"same daemon, finding gone", audit([]facts.Listener{sshd}, rootLogin, pwAuth), audit([]facts.Listener{sshd}, pwAuth),
			"10.0.0.5/ssh.config.root-login", ""},
		{"daemon stopped", audit([]facts.Listener{sshd}, rootLogin), audit(nil), "", "10.0.0.5/ssh.config.root-login:port_closed"},
		{"another daemon on the port", audit([]facts.Listener{sshd}, rootLogin), audit([]facts.Listener{dropbear}),
			"", "10.0.0.5/ssh.config.root-login:service_changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Scans(tt.a, tt.b)
			if got := checks(d.Fixed); got != tt.fixed {
				t.Errorf("fixed = %q, want %q", got, tt.fixed)
			}
			if got := outcomes(d.NotObserved); got != tt.gone {
				t.Errorf("no longer observed = %q, want %q", got, tt.gone)
			}
			if d.Coverage.Narrower {
				t.Errorf("coverage %+v: two audits of one machine cover the same", d.Coverage)
			}
		})
	}
}

// Every status has its words, and the order of reports places each once.
func TestStatusWords(t *testing.T) {
	want := map[Status]string{
		StatusFixed: "fixed", StatusNew: "new", StatusUnchanged: "unchanged", StatusNotRechecked: "not rechecked",
		StatusServiceChanged: "no longer observed: service changed", StatusPortClosed: "no longer observed: port closed",
	}
	for s, w := range want {
		if s.Words() != w {
			t.Errorf("%s.Words() = %q, want %q", s, s.Words(), w)
		}
	}
	if len(statuses) != len(want) {
		t.Errorf("%d statuses in report order, want %d", len(statuses), len(want))
	}
	if Status("acceptance_expired").Words() != "acceptance_expired" {
		t.Error("an unknown status is not shown as itself")
	}
}

func TestScansJSONHasEmptyListsNotNull(t *testing.T) {
	d := doc("", hs{"10.0.0.1", nil, nil})
	b, err := json.Marshal(Scans(d, d))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "null") {
		t.Errorf("JSON has null lists: %s", b)
	}
	for _, key := range []string{`"new":[]`, `"fixed":[]`, `"unchanged":[]`, `"unchecked":[]`, `"opened":[]`, `"closed":[]`, `"level":{"from":4,"to":4}`,
		`"no_longer_observed":[]`, `"changed_services":[]`, `"coverage":{"narrower":false,"gaps":[]}`, `"verdict":"unchanged"`, `"level_at_worst":4`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s: %s", key, b)
		}
	}
}

func TestEnvironments(t *testing.T) {
	office := doc("office network",
		hs{"10.0.0.1", []int{22}, []fs{weakCipher, password}},
		hs{"10.0.0.2", []int{22, 443}, []fs{password, noTLS13}})
	hosted := doc("hosted servers", hs{"10.1.0.1", []int{443}, []fs{noTLS13}})
	hosted.Targets = []string{"10.1.0.0/24"}
	unlabelled := doc("", hs{"10.2.0.1", []int{23, 6379}, []fs{telnet, redis}})
	unlabelled.Targets = []string{"10.2.0.0/24", "10.3.0.1"}

	tests := []struct {
		name               string
		a, b               *result.Document
		nameA, nameB       string
		levelA, levelB     int
		onlyA, onlyB, both string
		diff               int
		countsA            string
		sameTargets        bool
	}{
		{
			name: "office against hosted", a: office, b: hosted,
			nameA: "office network", nameB: "hosted servers", levelA: 2, levelB: 4, diff: 2,
			onlyA: "ssh.cipher.weak:high:1:0 ssh.auth.password:medium:2:0", both: "tls.protocol.no-tls13:low:1:1",
			countsA: "critical=0 high=1 medium=2 low=1 info=0",
		},
		{
			name: "the other way round", a: hosted, b: office,
			nameA: "hosted servers", nameB: "office network", levelA: 4, levelB: 2, diff: -2,
			onlyB: "ssh.cipher.weak:high:0:1 ssh.auth.password:medium:0:2", both: "tls.protocol.no-tls13:low:1:1",
			countsA: "critical=0 high=0 medium=0 low=1 info=0",
		},
		{
			name: "no label: named by targets", a: unlabelled, b: hosted,
			nameA: "10.2.0.0/24, 10.3.0.1", nameB: "hosted servers", levelA: 1, levelB: 4, diff: 3,
			onlyA: "cleartext.telnet:critical:1:0 cleartext.redis:high:1:0", onlyB: "tls.protocol.no-tls13:low:0:1",
			countsA: "critical=1 high=1 medium=0 low=0 info=0",
		},
		{
			name: "same environment", a: office, b: office, sameTargets: true,
			nameA: "office network", nameB: "office network", levelA: 2, levelB: 2,
			both:    "ssh.cipher.weak:high:1:1 ssh.auth.password:medium:2:2 tls.protocol.no-tls13:low:1:1",
			countsA: "critical=0 high=1 medium=2 low=1 info=0",
		},
	}
	ccs := func(l []CheckCount) string {
		var out []string
		for _, c := range l {
			out = append(out, fmt.Sprintf("%s:%s:%d:%d", c.Check, c.Severity, c.A, c.B))
		}
		return strings.Join(out, " ")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Environments(tt.a, tt.b)
			if c.A.Name != tt.nameA || c.B.Name != tt.nameB {
				t.Errorf("names %q, %q; want %q, %q", c.A.Name, c.B.Name, tt.nameA, tt.nameB)
			}
			if c.A.Level != tt.levelA || c.B.Level != tt.levelB || c.Diff() != tt.diff {
				t.Errorf("levels %d, %d (diff %d); want %d, %d (%d)", c.A.Level, c.B.Level, c.Diff(), tt.levelA, tt.levelB, tt.diff)
			}
			for _, l := range []struct{ name, got, want string }{
				{"only A", ccs(c.OnlyA), tt.onlyA}, {"only B", ccs(c.OnlyB), tt.onlyB}, {"both", ccs(c.Both), tt.both},
			} {
				if l.got != l.want {
					t.Errorf("%s = %q, want %q", l.name, l.got, l.want)
				}
			}
			var counts []string
			for s := finding.Critical; s >= finding.Info; s-- {
				counts = append(counts, fmt.Sprintf("%s=%d", s, c.A.Counts[s]))
			}
			if got := strings.Join(counts, " "); got != tt.countsA {
				t.Errorf("counts of A = %s, want %s", got, tt.countsA)
			}
			if c.SameTargets != tt.sameTargets {
				t.Errorf("same targets = %v, want %v", c.SameTargets, tt.sameTargets)
			}
			if c.A.Hosts != len(tt.a.Hosts) || c.A.LevelName == "" {
				t.Errorf("side A = %+v", c.A)
			}
		})
	}
}

// Comparing does not modify the documents.
func TestPure(t *testing.T) {
	a := doc("a", hs{"10.0.0.1", []int{22}, []fs{weakCipher, password}})
	b := doc("b", hs{"10.0.0.1", []int{22}, []fs{password}})
	before, _ := json.Marshal([]*result.Document{a, b})
	d := Scans(a, b)
	Environments(a, b)
	d.Unchanged[0].Title = "changed"
	after, _ := json.Marshal([]*result.Document{a, b})
	if string(before) != string(after) || !slices.Equal(a.Targets, []string{"10.0.0.0/24"}) {
		t.Error("comparing changed the documents")
	}
}
