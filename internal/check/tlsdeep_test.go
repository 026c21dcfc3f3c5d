package check

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

func pos(ev string) *facts.TLSProbe { return &facts.TLSProbe{Positive: true, Evidence: ev} }
func neg(ev string) *facts.TLSProbe { return &facts.TLSProbe{Evidence: ev} }

// cleanProbes is what a well-configured OpenSSL 3 server shows.
func cleanProbes() *facts.TLSProbes {
	return &facts.TLSProbes{
		Version:             facts.TLS12,
		Heartbleed:          neg("no heartbeat extension"),
		CCSInjection:        neg("unexpected_message"),
		ROBOT:               neg("same answers"),
		SecureRenegotiation: pos("renegotiation_info"),
		ClientRenegotiation: neg("refused it with alert warning no_renegotiation (100)"),
		Compression:         neg("method 0"),
		HTTPCompression:     neg("no compression"),
		DH:                  neg("no DHE suite is accepted"),
		FallbackSCSV:        pos("inappropriate_fallback"),
		OCSPStapling:        neg("no staple"),
	}
}

// probedTLS is an intermediate-profile endpoint with probes p and a leaf
// edited by leaf.
func probedTLS(p *facts.TLSProbes, leaf func(*facts.Certificate)) *facts.TLS {
	t := intermediateTLS()
	t.Chain[0].KeySHA256 = "aa11"
	t.Chain[0].KeyUsage = []string{"digitalSignature"}
	t.Chain[0].ExtKeyUsage = []string{"serverAuth"}
	if leaf != nil {
		leaf(&t.Chain[0])
	}
	t.Probes = p
	return t
}

func deepHits(t *testing.T, h *facts.Host, s *facts.Service) map[string]Hit {
	t.Helper()
	out := map[string]Hit{}
	for _, hit := range judgeTLSDeep(Input{Host: h, Service: s, Now: tlsNow}) {
		if _, dup := out[hit.Check]; dup {
			t.Errorf("%s fired twice", hit.Check)
		}
		if _, ok := Lookup(hit.Check); !ok {
			t.Errorf("%s is not in the catalogue", hit.Check)
		}
		out[hit.Check] = hit
	}
	return out
}

func TestJudgeTLSDeep(t *testing.T) {
	edit := func(f func(p *facts.TLSProbes)) *facts.TLSProbes {
		p := cleanProbes()
		f(p)
		return p
	}
	cases := []struct {
		name    string
		product string
		tls     *facts.TLS
		want    map[string]string // check → evidence substring
		sev     map[string]finding.Severity
		fix     map[string]string // check → fix substring
	}{
		{name: "clean", tls: probedTLS(cleanProbes(), nil), want: map[string]string{}},
		{name: "no probes, no finding", tls: probedTLS(nil, nil), want: map[string]string{}},
		{name: "nothing examined", tls: probedTLS(&facts.TLSProbes{}, nil), want: map[string]string{}},
		{name: "heartbleed", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.Heartbleed = pos("answered with 51 bytes") }), nil),
			want: map[string]string{"tls.heartbleed": "51 bytes"}},
		{name: "ccs", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.CCSInjection = pos("bad_record_mac") }), nil),
			want: map[string]string{"tls.ccs-injection": "bad_record_mac"}},
		{name: "robot", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.ROBOT = pos("answers differ") }), nil),
			want: map[string]string{"tls.robot": "answers differ"}},
		{name: "insecure renegotiation", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.SecureRenegotiation = neg("no renegotiation_info") }), nil),
			want: map[string]string{"tls.renegotiation.insecure": "no renegotiation_info"}},
		{name: "renegotiation not examined", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.SecureRenegotiation = nil }), nil),
			want: map[string]string{}},
		{name: "client renegotiation", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.ClientRenegotiation = pos("renegotiated") }), nil),
			want: map[string]string{"tls.renegotiation.client-initiated": "renegotiated"}},
		{name: "client renegotiation, Apache httpd", product: "Apache httpd 2.4.57",
			tls:  probedTLS(edit(func(p *facts.TLSProbes) { p.ClientRenegotiation = pos("was answered with a ServerHello") }), nil),
			want: map[string]string{"tls.renegotiation.client-initiated": "ServerHello"}, fix: map[string]string{"tls.renegotiation.client-initiated": "per-directory SSLVerifyClient"}},
		{name: "client renegotiation refused", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.ClientRenegotiation = neg("closed the connection") }), nil),
			want: map[string]string{}},
		{name: "client renegotiation not examined", tls: probedTLS(edit(func(p *facts.TLSProbes) {
			p.ClientRenegotiation = nil
			p.Skip("client_renegotiation", "the server accepts no TLS 1.2")
		}), nil), want: map[string]string{}},
		{name: "crime", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.Compression = pos("chose DEFLATE") }), nil),
			want: map[string]string{"tls.compression": "DEFLATE"}},
		{name: "breach", product: "nginx", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.HTTPCompression = pos("Content-Encoding: gzip") }), nil),
			want: map[string]string{"tls.breach": "gzip"}, sev: map[string]finding.Severity{"tls.breach": 0}, fix: map[string]string{"tls.breach": "gzip off"}},
		{name: "logjam 1024", product: "nginx", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.DHBits, p.DH = 1024, pos("1024-bit prime") }), nil),
			want: map[string]string{"tls.dh.weak": "1024-bit"}, sev: map[string]finding.Severity{"tls.dh.weak": 0}, fix: map[string]string{"tls.dh.weak": "ssl_dhparam"}},
		{name: "dh 1536 is medium", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.DHBits, p.DH = 1536, pos("1536-bit prime") }), nil),
			want: map[string]string{"tls.dh.weak": "1536-bit"}, sev: map[string]finding.Severity{"tls.dh.weak": finding.Medium}},
		{name: "dh 2048 fine", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.DHBits, p.DH = 2048, pos("2048-bit prime") }), nil),
			want: map[string]string{}},
		{name: "fallback scsv ignored", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.FallbackSCSV = neg("was accepted") }), nil),
			want: map[string]string{"tls.fallback-scsv.missing": "was accepted"}},
		{name: "fallback single version", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.FallbackSCSV = nil }), nil),
			want: map[string]string{}},
		{name: "no staple, responder named", product: "nginx", tls: probedTLS(cleanProbes(), func(c *facts.Certificate) { c.OCSP = true }),
			want: map[string]string{"tls.ocsp-stapling.missing": "OCSP responder"}, fix: map[string]string{"tls.ocsp-stapling.missing": "ssl_stapling on"}},
		{name: "stapled", tls: probedTLS(edit(func(p *facts.TLSProbes) { p.OCSPStapling = pos("stapled") }), func(c *facts.Certificate) { c.OCSP = true }),
			want: map[string]string{}},
		{name: "key usage wrong", tls: probedTLS(cleanProbes(), func(c *facts.Certificate) {
			c.KeyUsage, c.ExtKeyUsage = []string{"cRLSign"}, []string{"clientAuth"}
		}), want: map[string]string{"tls.cert.key-usage": "lacks serverAuth"}},
		{name: "key usage absent is fine", tls: probedTLS(cleanProbes(), func(c *facts.Certificate) { c.KeyUsage, c.ExtKeyUsage = nil, nil }),
			want: map[string]string{}},
		{name: "no san", tls: probedTLS(cleanProbes(), func(c *facts.Certificate) { c.DNSNames, c.IPAddresses = nil, nil }),
			want: map[string]string{"tls.cert.no-san": "no subjectAltName"}},
		{name: "sslv2 itself is drown", tls: func() *facts.TLS {
			t := probedTLS(cleanProbes(), nil)
			t.Versions[0] = ver(facts.SSLv2, 0x010080)
			return t
		}(), want: map[string]string{"tls.drown": "accepts SSLv2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &facts.Service{Port: 443, Transport: "tcp", Name: "http", TLS: true, Product: c.product, TLSAudit: c.tls}
			got := deepHits(t, &facts.Host{Address: "127.0.2.11", Services: []facts.Service{*s}}, s)
			var gk, wk []string
			for k := range got {
				gk = append(gk, k)
			}
			for k := range c.want {
				wk = append(wk, k)
			}
			slices.Sort(gk)
			slices.Sort(wk)
			if !slices.Equal(gk, wk) {
				t.Fatalf("checks = %v, want %v", gk, wk)
			}
			for id, sub := range c.want {
				if !strings.Contains(got[id].Evidence, sub) {
					t.Errorf("%s evidence %q lacks %q", id, got[id].Evidence, sub)
				}
			}
			for id, sev := range c.sev {
				if got[id].Severity != sev {
					t.Errorf("%s severity %v, want %v", id, got[id].Severity, sev)
				}
			}
			for id, sub := range c.fix {
				if !strings.Contains(got[id].Fix, sub) {
					t.Errorf("%s fix %q lacks %q", id, got[id].Fix, sub)
				}
			}
		})
	}
}

// TestJudgeDROWNAcrossServices: a TLS service whose key an SSLv2 service
// of the same host also uses is exposed; one with another key is not.
func TestJudgeDROWNAcrossServices(t *testing.T) {
	tlsWith := func(key string, sslv2 bool) *facts.TLS {
		t := probedTLS(cleanProbes(), func(c *facts.Certificate) { c.KeySHA256 = key })
		if sslv2 {
			t.Versions[0] = ver(facts.SSLv2, 0x010080)
		}
		return t
	}
	h := &facts.Host{Address: "127.0.2.33", Services: []facts.Service{
		{Port: 443, Transport: "tcp", Name: "http", TLS: true, TLSAudit: tlsWith("1111222233334444aaaa", false)},
		{Port: 8443, Transport: "tcp", Name: "http", TLS: true, TLSAudit: tlsWith("9999888877776666bbbb", false)},
		{Port: 2443, Transport: "tcp", Name: "tls", TLS: true, TLSAudit: tlsWith("1111222233334444aaaa", true)},
		{Port: 25, Transport: "tcp", Name: "smtp"},
	}}
	shared := deepHits(t, h, &h.Services[0])
	if !strings.Contains(shared["tls.drown"].Evidence, "2443/tcp") {
		t.Errorf("shared key: tls.drown = %+v, want it naming 2443/tcp", shared["tls.drown"])
	}
	if other := deepHits(t, h, &h.Services[1]); other["tls.drown"].Check != "" {
		t.Errorf("different key: tls.drown fired: %+v", other["tls.drown"])
	}
	if self := deepHits(t, h, &h.Services[2]); !strings.Contains(self["tls.drown"].Evidence, "accepts SSLv2") {
		t.Errorf("SSLv2 service: tls.drown = %+v", self["tls.drown"])
	}
	if none := deepHits(t, h, &h.Services[3]); len(none) != 0 {
		t.Errorf("service without TLS audit: %v", none)
	}
}

// TestJudgeDROWNAcrossHosts: through JudgeScan, a TLS service is exposed
// when an SSLv2 service of another host of the scan uses its key; with a
// different key, or when that host is not in the scan, it is not.
func TestJudgeDROWNAcrossHosts(t *testing.T) {
	tlsWith := func(key string, sslv2 bool) *facts.TLS {
		t := probedTLS(cleanProbes(), func(c *facts.Certificate) { c.KeySHA256 = key })
		if sslv2 {
			t.Versions[0] = ver(facts.SSLv2, 0x010080)
		}
		return t
	}
	web := facts.Host{Address: "10.0.0.5", Services: []facts.Service{
		{Port: 443, Transport: "tcp", Name: "http", TLS: true, TLSAudit: tlsWith("1111222233334444aaaa", false)},
		{Port: 8443, Transport: "tcp", Name: "http", TLS: true, TLSAudit: tlsWith("9999888877776666bbbb", false)},
	}}
	mail := facts.Host{Address: "10.0.0.6", Services: []facts.Service{
		{Port: 465, Transport: "tcp", Name: "smtp", TLS: true, TLSAudit: tlsWith("1111222233334444aaaa", true)},
	}}
	drown := func(fs []finding.Finding) map[string]string {
		out := map[string]string{}
		for _, f := range fs {
			if f.Check == "tls.drown" {
				out[fmt.Sprintf("%s:%d", f.Host, f.Port)] = f.Evidence
			}
		}
		return out
	}
	got := drown(JudgeScan([]facts.Host{web, mail}, Scope{}))
	if !strings.Contains(got["10.0.0.5:443"], "10.0.0.6:465/tcp") {
		t.Errorf("shared key on another host: %q, want it naming 10.0.0.6:465/tcp (all: %v)", got["10.0.0.5:443"], got)
	}
	if ev, ok := got["10.0.0.5:8443"]; ok {
		t.Errorf("different key: tls.drown fired: %q", ev)
	}
	if _, ok := got["10.0.0.6:465"]; !ok {
		t.Errorf("the SSLv2 service itself: no tls.drown (all: %v)", got)
	}
	if alone := drown(JudgeScan([]facts.Host{web}, Scope{})); len(alone) != 0 {
		t.Errorf("without the SSLv2 host in the scan: %v", alone)
	}
}
