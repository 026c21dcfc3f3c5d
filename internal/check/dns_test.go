package check

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

func dnsService(transport, product string, a *facts.DNSAudit) *facts.Service {
	return &facts.Service{Port: 53, Transport: transport, Name: "dns", Product: product, DNS: a}
}

func TestJudgeDNS(t *testing.T) {
	resolved := &facts.DNSRecursion{Query: "1.2.0.192.in-addr.arpa. PTR", Rcode: "NXDOMAIN", RA: true, AA: true, Source: "127.0.0.1"}
	refused := &facts.DNSRecursion{Query: "1.2.0.192.in-addr.arpa. PTR", Rcode: "REFUSED", RA: true}
	noRA := &facts.DNSRecursion{Query: "1.2.0.192.in-addr.arpa. PTR", Rcode: "NXDOMAIN", AA: true}
	servfail := &facts.DNSRecursion{Query: "1.2.0.192.in-addr.arpa. PTR", Rcode: "SERVFAIL", RA: true}
	zone := facts.DNSZone{Zone: "lab.vigil.test.", Source: "PTR of 127.0.2.40", Transferred: true, Records: 7, Owners: []string{"lab.vigil.test.", "www.lab.vigil.test."}}
	refusedZone := facts.DNSZone{Zone: "lab.vigil.test.", Source: "hostname.bind", Refusal: "REFUSED"}
	type want struct {
		check    string
		severity finding.Severity
		evidence string // a part of the evidence
		fix      string // a part of the fix
	}
	tests := []struct {
		name      string
		s         *facts.Service
		untrusted bool
		want      []want
	}{
		{"no audit", dnsService("udp", "BIND", nil), false, nil},
		{"nothing learnt", dnsService("udp", "", &facts.DNSAudit{}), true, nil},
		{"recursion from an untrusted network", dnsService("udp", "BIND", &facts.DNSAudit{Recursion: resolved}), true,
			[]want{{"dns.recursion.open", finding.High, "answered NXDOMAIN with RA", "allow-recursion"}}},
		{"recursion from the own network is lowered", dnsService("udp", "Unbound", &facts.DNSAudit{Recursion: resolved}), false,
			[]want{{"dns.recursion.open", finding.Medium, "lowered to medium", "access-control"}}},
		{"recursion refused", dnsService("udp", "dnsmasq", &facts.DNSAudit{Recursion: refused}), true, nil},
		{"authoritative answer without RA", dnsService("udp", "NSD", &facts.DNSAudit{Recursion: noRA}), true, nil},
		{"SERVFAIL is no answer", dnsService("udp", "", &facts.DNSAudit{Recursion: servfail}), true, nil},
		{"zone transferred", dnsService("tcp", "BIND", &facts.DNSAudit{Zones: []facts.DNSZone{zone, refusedZone}, ZoneCandidates: 3}), false,
			[]want{{"dns.axfr.open", finding.High, "7 records, among them lab.vigil.test., www.lab.vigil.test.", `zone "lab.vigil.test"`}}},
		{"transfer refused", dnsService("tcp", "BIND", &facts.DNSAudit{Zones: []facts.DNSZone{refusedZone}, ZoneCandidates: 3}), true, nil},
		{"capped transfer", dnsService("tcp", "NSD", &facts.DNSAudit{Zones: []facts.DNSZone{{Zone: "big.test.", Source: "--dns-zone", Transferred: true, Records: 100000, Capped: true}}}), false,
			[]want{{"dns.axfr.open", finding.High, "at least 100000 records", "provide-xfr"}}},
		{"version disclosed", dnsService("udp", "BIND", &facts.DNSAudit{Chaos: []facts.DNSChaos{{Name: "version.bind", Text: "9.18.49-1~deb12u3-Debian"}, {Name: "hostname.bind", Text: "ns1.lab.vigil.test"}}}), false,
			[]want{{"dns.version.disclosed", finding.Low, `version.bind "9.18.49-1~deb12u3-Debian"; hostname.bind "ns1.lab.vigil.test"`, "version none"}}},
		{"a version string without a version", dnsService("udp", "", &facts.DNSAudit{Chaos: []facts.DNSChaos{{Name: "version.bind", Text: "none of your business"}}}), false, nil},
		{"identity only", dnsService("udp", "", &facts.DNSAudit{Chaos: []facts.DNSChaos{{Name: "id.server", Text: "ns1"}}}), false,
			[]want{{"dns.version.disclosed", finding.Info, "lowered to info", "hide-version"}}},
		{"everything", dnsService("tcp", "BIND", &facts.DNSAudit{Recursion: resolved, Zones: []facts.DNSZone{zone}, Chaos: []facts.DNSChaos{{Name: "version.server", Text: "9.18.49"}}}), true,
			[]want{{"dns.recursion.open", finding.High, "", ""}, {"dns.axfr.open", finding.High, "", ""}, {"dns.version.disclosed", finding.Low, "", ""}}},
		{"not a DNS service", &facts.Service{Port: 53, Transport: "udp", Name: "unknown", DNS: &facts.DNSAudit{Recursion: resolved}}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := judgeDNS(Input{Service: tt.s, Untrusted: tt.untrusted})
			if len(hits) != len(tt.want) {
				t.Fatalf("got %d hits %+v, want %d", len(hits), hits, len(tt.want))
			}
			for i, w := range tt.want {
				f := MakeFinding(hits[i], "127.0.2.40", 53, tt.s.Transport)
				if f.Check != w.check || f.Severity != w.severity {
					t.Errorf("hit %d: %s %s, want %s %s", i, f.Check, f.Severity, w.check, w.severity)
				}
				if !strings.Contains(f.Evidence, w.evidence) {
					t.Errorf("evidence %q lacks %q", f.Evidence, w.evidence)
				}
				if !strings.Contains(f.Recommendation, w.fix) {
					t.Errorf("fix %q lacks %q", f.Recommendation, w.fix)
				}
			}
		})
	}
}

func TestJudgeDNSAxfrFixNamesTheZone(t *testing.T) {
	s := dnsService("tcp", "BIND", &facts.DNSAudit{Zones: []facts.DNSZone{{Zone: "lab.vigil.test.", Source: "x", Transferred: true, Records: 3}}})
	hits := judgeDNS(Input{Service: s})
	if len(hits) != 1 || !strings.Contains(hits[0].Fix, `zone "lab.vigil.test"`) || strings.Contains(hits[0].Fix, "ZONE") {
		t.Fatalf("fix does not name the zone: %+v", hits)
	}
	if hits[0].Subject != "lab.vigil.test." {
		t.Errorf("subject %q, want the zone", hits[0].Subject)
	}
}

func TestJudgeDNSOverTCPAndUDP(t *testing.T) {
	resolved := &facts.DNSRecursion{Query: "q", Rcode: "NXDOMAIN", RA: true}
	chaos := []facts.DNSChaos{{Name: "version.bind", Text: "9.18.49"}}
	zone := facts.DNSZone{Zone: "lab.test.", Source: "x", Transferred: true, Records: 9}
	tcp := func() facts.Service {
		return facts.Service{Port: 53, Transport: "tcp", Name: "dns", DNS: &facts.DNSAudit{Recursion: resolved, Chaos: chaos, Zones: []facts.DNSZone{zone}}}
	}
	tests := []struct {
		name string
		udp  *facts.DNSAudit
		want []string // checks fired on the TCP service
	}{
		{"no UDP service", nil, []string{"dns.recursion.open", "dns.axfr.open", "dns.version.disclosed"}},
		{"UDP said the same", &facts.DNSAudit{Recursion: resolved, Chaos: chaos}, []string{"dns.axfr.open"}},
		{"UDP refused recursion and hid the version", &facts.DNSAudit{Recursion: &facts.DNSRecursion{Rcode: "REFUSED"}}, []string{"dns.recursion.open", "dns.axfr.open", "dns.version.disclosed"}},
		{"UDP told only the host name", &facts.DNSAudit{Recursion: resolved, Chaos: []facts.DNSChaos{{Name: "hostname.bind", Text: "ns1"}}}, []string{"dns.axfr.open", "dns.version.disclosed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &facts.Host{Address: "127.0.2.40", Services: []facts.Service{tcp()}}
			if tt.udp != nil {
				h.Services = append(h.Services, facts.Service{Port: 53, Transport: "udp", Name: "dns", DNS: tt.udp})
			}
			var got []string
			for _, hit := range judgeDNS(Input{Host: h, Service: &h.Services[0]}) {
				got = append(got, hit.Check)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestJudgeDNSEmptyZoneIsLow(t *testing.T) {
	s := dnsService("tcp", "BIND", &facts.DNSAudit{Zones: []facts.DNSZone{{Zone: "127.in-addr.arpa.", Source: "x", Transferred: true, Records: 3, Empty: true}}})
	hits := judgeDNS(Input{Service: s})
	if len(hits) != 1 || hits[0].Severity != finding.Low || !strings.Contains(hits[0].Evidence, "only SOA and NS") {
		t.Fatalf("got %+v", hits)
	}
}
