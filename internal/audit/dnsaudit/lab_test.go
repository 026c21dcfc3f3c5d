package dnsaudit

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/identify"
	"github.com/vigilsec/vigil/lab"
)

func newDialer(t testing.TB) *dialer.Dialer {
	t.Helper()
	d, err := dialer.New(dialer.Config{Concurrency: 16, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// labDNSWant is, for each DNS service of the lab part dns, the findings a
// scan from an untrusted network must give: "check/subject severity" and
// strings of its evidence. Hardened twins and the canary give none.
var labDNSWant = map[string]map[string][]string{
	"dns-bind-weak": {
		"dns.recursion.open high":   {"1.2.0.192.in-addr.arpa. PTR", "NXDOMAIN with RA"},
		"dns.version.disclosed low": {`version.bind "9.`, `hostname.bind "ns1.dnslab.vigil.test"`},
	},
	"dns-bind-weak-tcp": {
		"dns.recursion.open high":                  {"NXDOMAIN with RA"},
		"dns.version.disclosed low":                {`version.bind "9.`},
		"dns.axfr.open/dnslab.vigil.test. high":    {"found via PTR of 127.0.2.40", "12 records", "mail.dnslab.vigil.test."},
		"dns.axfr.open/2.0.127.in-addr.arpa. high": {"6 records", "40.2.0.127.in-addr.arpa."},
		"dns.axfr.open/127.in-addr.arpa. low":      {"only SOA and NS"},
	},
	"dns-unbound-weak": {
		"dns.recursion.open high":   {"NXDOMAIN with RA", "Unbound"},
		"dns.version.disclosed low": {`version.server "unbound 1.`, `id.server "resolver.dnslab.vigil.test"`},
	},
	"dns-nsd-weak": {
		"dns.axfr.open/dnslab.vigil.test. high": {"found via hostname.bind", "12 records", "NSD"},
		"dns.version.disclosed low":             {`version.bind "NSD 4.`, `hostname.bind "nsd.dnslab.vigil.test"`},
	},
	"dns-bind-hard":     nil,
	"dns-bind-hard-tcp": nil,
	"dns-unbound-hard":  nil,
	"dns-root":          nil,
}

// TestLabDNS identifies, audits and judges the DNS servers of the lab part
// dns: every planted weakness is found with its evidence, the hardened
// twins give no DNS finding at all.
func TestLabDNS(t *testing.T) {
	m := lab.RequirePart(t, "dns-bind-weak", "dns-bind-weak-tcp", "dns-bind-hard", "dns-bind-hard-tcp", "dns-unbound-weak", "dns-unbound-hard", "dns-nsd-weak", "dns-root")
	d := newDialer(t)
	for id, want := range labDNSWant {
		svc := m.Find(id)
		if svc.ID == "" {
			t.Errorf("the lab has no %s", id)
			continue
		}
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			addr := svc.AddrPort()
			var s facts.Service
			if svc.Transport == "udp" {
				var ok bool
				if s, ok = identify.UDP(t.Context(), d, addr, identify.Options{}); !ok {
					t.Fatalf("%s: nothing answered", id)
				}
			} else {
				s = identify.TCP(t.Context(), d, addr, identify.Options{})
			}
			if s.Name != "dns" {
				t.Fatalf("%s identified as %q", id, s.Name)
			}
			a, err := Audit(t.Context(), d, addr, &s, Options{})
			if err != nil {
				t.Errorf("audit: %v", err)
			}
			s.DNS = a
			t.Logf("%s: product %q version %q, audit %+v", id, s.Product, s.Version, *a)
			if svc.Product != "" && s.Product != svc.Product {
				t.Errorf("product %q, manifest says %q", s.Product, svc.Product)
			}
			h := facts.Host{Address: svc.Host, Services: []facts.Service{s}}
			got := map[string]finding.Finding{}
			for _, f := range check.JudgeScan([]facts.Host{h}, check.Scope{Now: time.Now(), Untrusted: true}) {
				if !strings.HasPrefix(f.Check, "dns.") {
					continue
				}
				key := f.Check
				if f.Subject != "" {
					key += "/" + f.Subject
				}
				key += " " + f.Severity.String()
				t.Logf("%s: %s", key, f.Evidence)
				got[key] = f
				if svc.Twin != "weak" {
					t.Errorf("%s gives %s: %s", id, key, f.Evidence)
				}
				if _, ok := want[key]; !ok && svc.Twin == "weak" {
					t.Errorf("unexpected %s on %s: %s", key, id, f.Evidence)
				}
			}
			for key, evidence := range want {
				f, ok := got[key]
				if !ok {
					t.Errorf("no %s on %s", key, id)
					continue
				}
				for _, e := range evidence {
					if !strings.Contains(f.Evidence, e) {
						t.Errorf("%s evidence %q lacks %q", key, f.Evidence, e)
					}
				}
				if f.Recommendation == "" {
					t.Errorf("%s has no fix", key)
				}
			}
		})
	}
}

// TestLabDNSHardTwinRefuses checks the facts behind the hardened twins'
// silence: recursion refused (or not offered), no version, transfers of
// the zones it serves refused.
func TestLabDNSHardTwinRefuses(t *testing.T) {
	m := lab.RequirePart(t, "dns-bind-hard-tcp")
	d := newDialer(t)
	svc := m.Find("dns-bind-hard-tcp")
	if svc.ID == "" {
		t.Fatal("the lab has no dns-bind-hard-tcp")
	}
	s := facts.Service{Port: svc.Port, Transport: facts.TCP, Name: "dns"}
	a, err := Audit(t.Context(), d, svc.AddrPort(), &s, Options{Names: []string{"www.dnslab.vigil.test"}, Zones: []string{"2.0.127.in-addr.arpa"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Recursion == nil || a.Recursion.Resolved() || len(a.Chaos) != 0 {
		t.Errorf("recursion %+v, chaos %v", a.Recursion, a.Chaos)
	}
	var zones []string
	for _, z := range a.Zones {
		zones = append(zones, fmt.Sprintf("%s %v %s", z.Zone, z.Transferred, z.Refusal))
	}
	for _, want := range []string{"dnslab.vigil.test. false REFUSED", "2.0.127.in-addr.arpa. false REFUSED"} {
		if !slices.Contains(zones, want) {
			t.Errorf("zones %q lack %q", zones, want)
		}
	}
}
