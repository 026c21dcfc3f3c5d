package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/proto"
)

// dnsChecks are the DNS server checks, judged by judgeDNS from what
// package dnsaudit observed (facts.DNSAudit).
var dnsChecks = []Check{
	{ID: "dns.recursion.open", Severity: finding.High, Title: "DNS server resolves recursively for the scanner",
		Rationale: "A resolver that answers anyone is used to amplify denial-of-service attacks (a small query, a large answer sent to a forged address) and to poison its cache for its real clients. " +
			"vigil asks one question with recursion desired, for 1.2.0.192.in-addr.arpa PTR: a name in a zone (TEST-NET-1's reverse zone) that RFC 6303 says every resolver serves itself, empty, so the question never makes the server ask another one. " +
			"A server that answers it with the RA (recursion available) bit set resolves for the scanner; one that refuses answers REFUSED. " +
			"From one vantage point vigil cannot see whom else the server serves: a scan run with --untrusted proves it resolves for an untrusted network (high); a scan from your own network shows only that it resolves for that network, which an internal resolver should, so the finding is lowered to medium and says so.",
		Fix:        "Offer recursion only to your own networks, or turn it off on authoritative servers.",
		Frameworks: []string{hipaaAccess, gdprConfidential, cisSecureConfig, cisUnneeded, pciServices}},
	{ID: "dns.axfr.open", Severity: finding.High, Title: "DNS server transfers its zones to anyone",
		Rationale: "A zone transfer (AXFR) hands over every name and address of the zone: a map of the network for an attacker. Only secondary servers need it, authenticated with TSIG. " +
			"vigil looks for the server's zones by asking, without recursion, the SOA of the names it knows: the names given for the target and their parent domains, the target's PTR name, hostname.bind and id.server, and the reverse name of its address; then it asks for one transfer of each zone answered with authority. The evidence counts the records and names a few owners; the zone's contents are not kept.",
		Fix:        "Allow zone transfers only to your secondary servers, authenticated with a TSIG key.",
		Frameworks: []string{hipaaAccess, gdprConfidential, cisSecureConfig, cisAccessControl, pciServices}},
	{ID: "dns.version.disclosed", Severity: finding.Low, Title: "DNS server discloses its software version",
		Rationale:  "version.bind and version.server (CHAOS TXT) tell anyone the exact software and version to look up exploits for. hostname.bind and id.server name the server behind an address; alone they are reported as information.",
		Fix:        "Hide the version and identity the server reports in the CHAOS class.",
		Frameworks: []string{cisSecureConfig, pciServices}},
}

// judgeDNS judges the DNS audit of one service.
func judgeDNS(in Input) []Hit {
	s := in.Service
	if s == nil || s.DNS == nil || s.Name != proto.DNS {
		return nil
	}
	d := s.DNS
	prod := dnsProductKey(s.Product)
	var hits []Hit
	// Over TCP, recursion and the CHAOS answers are reported only when
	// the DNS service on the same UDP port did not already show them.
	var udp *facts.DNSAudit
	if s.Transport == facts.TCP {
		udp = udpTwin(in.Host, s.Port)
	}
	if r := d.Recursion; r.Resolved() && !(udp != nil && udp.Recursion.Resolved()) {
		from := ""
		if r.Source != "" {
			from = " from " + r.Source
		}
		h := Hit{Check: "dns.recursion.open",
			Evidence: fmt.Sprintf("asked %s with recursion desired%s: the server answered %s with RA (recursion available) set%s",
				r.Query, from, r.Rcode, productNote(s)),
			Fix: dnsFix(prod, "recursion")}
		if in.Untrusted {
			h.Evidence += "; the scan ran from a network marked untrusted (--untrusted), so the server resolves for an untrusted network"
		} else {
			h.Severity = finding.Medium
			h.Evidence += "; lowered to medium: this scan did not run from an untrusted network, and an internal resolver should resolve for its own clients. " +
				"Whether it also resolves for other networks cannot be seen from here: scan it with --untrusted from outside, or check its configuration"
		}
		hits = append(hits, h)
	}
	for _, z := range d.Zones {
		if !z.Transferred {
			continue
		}
		n := fmt.Sprintf("%d records", z.Records)
		if z.Capped {
			n = fmt.Sprintf("at least %d records (vigil stopped reading there)", z.Records)
		}
		ev := fmt.Sprintf("zone %s (found via %s) was transferred (AXFR over %s/%d) to the scanner: %s", z.Zone, z.Source, s.Transport, s.Port, n)
		if len(z.Owners) > 0 {
			ev += ", among them " + strings.Join(z.Owners, ", ")
		}
		h := Hit{Check: "dns.axfr.open", Subject: z.Zone, Evidence: ev + productNote(s),
			Fix: strings.ReplaceAll(dnsFix(prod, "axfr"), "ZONE", strings.TrimSuffix(z.Zone, "."))}
		if z.Empty {
			h.Severity = finding.Low
			h.Evidence += "; lowered to low: the zone holds only SOA and NS records (an empty zone, such as those a server makes for the RFC 6303 ranges), but the server transfers it to anyone, and so probably its other zones"
		}
		hits = append(hits, h)
	}
	if h, ok := dnsVersionHit(s, prod); ok && !(udp != nil && chaosCovered(d.Chaos, udp.Chaos)) {
		hits = append(hits, h)
	}
	return hits
}

// chaosCovered reports whether every CHAOS name answered in tcp was
// answered in udp too.
func chaosCovered(tcp, udp []facts.DNSChaos) bool {
	for _, c := range tcp {
		if !slices.ContainsFunc(udp, func(u facts.DNSChaos) bool { return u.Name == c.Name }) {
			return false
		}
	}
	return true
}

// udpTwin returns the DNS audit of host's UDP service on port, or nil.
func udpTwin(h *facts.Host, port int) *facts.DNSAudit {
	if h == nil {
		return nil
	}
	for i := range h.Services {
		u := &h.Services[i]
		if u.Transport == facts.UDP && u.Port == port && u.Name == proto.DNS {
			return u.DNS
		}
	}
	return nil
}

// dnsVersionHit reports version.bind or version.server answers that name a
// version (a digit in them), or, as information, names the server gave.
func dnsVersionHit(s *facts.Service, prod string) (Hit, bool) {
	var version, names []string
	for _, c := range s.DNS.Chaos {
		q := fmt.Sprintf("%s %q", c.Name, c.Text)
		switch c.Name {
		case "version.bind", "version.server":
			if strings.ContainsAny(c.Text, "0123456789") {
				version = append(version, q)
			}
		default:
			names = append(names, q)
		}
	}
	if len(version) == 0 && len(names) == 0 {
		return Hit{}, false
	}
	h := Hit{Check: "dns.version.disclosed", Fix: dnsFix(prod, "version"),
		Evidence: "CHAOS TXT answers: " + strings.Join(append(version, names...), "; ")}
	if len(version) == 0 {
		h.Severity = finding.Info
		h.Evidence += " (lowered to info: the server's name, no software version)"
	}
	return h, true
}

// dnsProductKey maps a product to a key of dnsFixes.
func dnsProductKey(product string) string {
	p := strings.ToLower(product)
	for _, k := range []string{"bind", "unbound", "dnsmasq", "nsd", "knot dns", "knot resolver", "powerdns authoritative", "powerdns recursor"} {
		if strings.HasPrefix(p, k) {
			return k
		}
	}
	return ""
}

// dnsFix returns the product's fix for subject, or the generic one.
func dnsFix(prod, subject string) string {
	if f, ok := dnsFixes[prod][subject]; ok {
		return f
	}
	return dnsFixes[""][subject]
}

// dnsFixes are the fixes by product key and subject (recursion, axfr,
// version); "" is the generic fix naming the common servers.
var dnsFixes = map[string]map[string]string{
	"bind": {
		"recursion": "In named.conf, options { allow-recursion { 127.0.0.1; ::1; 10.0.0.0/8; }; allow-query-cache { 127.0.0.1; ::1; 10.0.0.0/8; }; }; (your own networks instead of 10.0.0.0/8), or recursion no; on an authoritative-only server; then rndc reconfig.",
		"axfr":      "In named.conf, options { allow-transfer { none; }; }; and in zone \"ZONE\" only your secondaries with a TSIG key: allow-transfer { key \"xfr-key\"; }; (tsig-keygen xfr-key); then rndc reconfig.",
		"version":   "In named.conf, options { version none; hostname none; server-id none; }; then rndc reconfig.",
	},
	"unbound": {
		"recursion": "In unbound.conf, server: access-control: 0.0.0.0/0 refuse, access-control: ::0/0 refuse, then access-control: 10.0.0.0/8 allow for your own networks (and 127.0.0.0/8, ::1); then unbound-control reload.",
		"axfr":      "In unbound.conf, give auth-zone: and stub or secondary zones no allow-notify or provide-xfr beyond your own servers; then unbound-control reload.",
		"version":   "In unbound.conf, server: hide-version: yes, hide-identity: yes; then unbound-control reload.",
	},
	"dnsmasq": {
		"recursion": "Start dnsmasq with --local-service (answer only clients on its own subnets) or --listen-address/--interface for the internal interface only, and --bogus-priv.",
		"axfr":      "Remove --auth-sec-servers and --auth-peer entries beyond your secondaries (dnsmasq's auth mode transfers only to them).",
		"version":   "Start dnsmasq with --no-ident (dnsmasq 2.80 and later) so it does not answer CHAOS queries.",
	},
	"nsd": {
		"recursion": "NSD is authoritative only and never recurses: check what else answers on this port.",
		"axfr":      "In nsd.conf, give zone ZONE provide-xfr only for your secondaries with a TSIG key (provide-xfr: 192.0.2.2 xfr-key), never 0.0.0.0/0 NOKEY; then nsd-control reconfig.",
		"version":   "In nsd.conf, server: hide-version: yes, hide-identity: yes; then nsd-control reconfig.",
	},
	"knot dns": {
		"recursion": "Knot DNS is authoritative only and never recurses: check what else answers on this port.",
		"axfr":      "In knot.conf, give zone ZONE an acl with action: transfer for your secondaries and a TSIG key only; then knotc reload.",
		"version":   "In knot.conf, server: version: \"\" and identity: \"\"; then knotc reload.",
	},
	"knot resolver": {
		"recursion": "In kresd.conf, listen only on internal addresses (net.listen), or filter clients with the view module (view:addr('0.0.0.0/0', policy.all(policy.REFUSE)) after allowing your networks).",
		"version":   "Knot Resolver answers version.bind only when asked to: remove the answer from kresd.conf.",
	},
	"powerdns authoritative": {
		"axfr":    "In pdns.conf, set disable-axfr=yes, or allow-axfr-ips= only your secondaries, with TSIG; then restart pdns.",
		"version": "In pdns.conf, set version-string=anonymous; then restart pdns.",
	},
	"powerdns recursor": {
		"recursion": "In recursor.conf, set allow-from= to your own networks only; then rec_control reload-acls.",
		"version":   "In recursor.conf, set version-string= to something without a version; then restart the recursor.",
	},
	"": {
		"recursion": "Offer recursion only to your own networks: BIND allow-recursion { your networks; };, Unbound access-control: … allow for your networks and refuse for the rest, dnsmasq --local-service; on an authoritative-only server turn recursion off (BIND recursion no;).",
		"axfr":      "Allow transfers of ZONE only to your secondaries with a TSIG key: BIND allow-transfer { key \"xfr-key\"; };, NSD provide-xfr with a key, Knot acl action: transfer with a key, PowerDNS allow-axfr-ips=; Windows DNS: zone properties, Zone Transfers, Only to the following servers.",
		"version":   "Hide the version: BIND version none;, Unbound and NSD hide-version: yes, Knot version: \"\", PowerDNS version-string=anonymous, dnsmasq --no-ident.",
	},
}
