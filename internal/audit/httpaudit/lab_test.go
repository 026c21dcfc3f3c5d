package httpaudit

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/identify"
	"github.com/vigilsec/vigil/lab"
)

// labWeb is what part web plants, service by service: each http.* finding
// (check/subject) and a string its evidence must hold. Hard twins expect
// none. A scan from an untrusted network is assumed, so the consoles'
// http.admin.exposed counts.
var labWeb = map[string]map[string]string{
	"web-apache-weak": {
		"http.status.public//server-status": "Apache server-status",
		"http.status.public//server-info":   "Apache server-info",
		"http.default-page":                 "debian-apache-default",
		"http.trace":                        "request echoed back",
	},
	"web-apache-weak-https":   {"http.hsts.missing": "without Strict-Transport-Security", "http.trace": "request echoed back"},
	"web-apache-weak-index":   {"http.listing//": "apache-autoindex", "http.trace": "request echoed back"},
	"web-apache-hard":         {},
	"web-apache-hard-https":   {},
	"web-lighttpd-weak":       {"http.default-page": "lighttpd-placeholder"},
	"web-lighttpd-weak-index": {"http.listing//": "lighttpd-dirlisting"},
	"web-lighttpd-hard":       {},
	"web-nginx-weak":          {"http.status.public//status": "nginx stub_status"},
	"web-nginx-hard":          {},
	"web-squid-weak":          {"http.proxy.open": "canary's token"},
	"web-tinyproxy-weak":      {"http.proxy.open": "canary's token"},
	"web-squid-hard":          {},
	"web-tinyproxy-hard":      {},
	"web-jenkins":             {"http.admin.exposed/Jenkins": "X-Jenkins: 2.426.1"},
	"web-grafana":             {"http.admin.exposed/Grafana": "Grafana 10.2.3 at /api/health"},
	"web-tomcat":              {"http.admin.exposed/Apache Tomcat Manager": `realm "Tomcat Manager Application"`, "http.default-page": "tomcat-default"},
	"web-phpmyadmin":          {"http.admin.exposed/phpMyAdmin": "phpMyAdmin 5.2.1 at /phpmyadmin/"},
	"web-tomcat-hard":         {},
}

// labProducts are the products the audit records on the service, beyond
// what identification saw.
var labProducts = map[string]string{"web-grafana": "Grafana 10.2.3", "web-tomcat": "Apache Tomcat", "web-jenkins": "Jenkins 2.426.1"}

// TestLabHTTP identifies and audits part web's services and judges them
// as a scan from an untrusted network would: every planted weakness is
// found with its evidence, nothing else of the http.* checks fires, and
// the hardened twins give no http.* finding at all.
func TestLabHTTP(t *testing.T) {
	m := lab.Require(t)
	d := newDialer(t)
	for _, id := range slices.Sorted(maps.Keys(labWeb)) {
		want := labWeb[id]
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			svc := m.Find(id)
			if svc.ID == "" {
				t.Fatalf("the lab has no %s: start part web (VIGIL_LAB_ONLY=web lab/lab.sh up)", id)
			}
			addr := svc.AddrPort()
			s := identify.TCP(t.Context(), d, addr, identify.Options{Timeout: 3 * time.Second})
			if s.Name != "http" || s.TLS != svc.TLS {
				t.Fatalf("identified as %q tls %v", s.Name, s.TLS)
			}
			h, err := Audit(t.Context(), d, addr, &s, Options{})
			if err != nil {
				t.Errorf("audit: %v", err)
			}
			if h == nil {
				t.Fatal("no HTTP facts")
			}
			s.HTTP = h
			if p, ok := labProducts[id]; ok && strings.TrimSpace(s.Product+" "+s.Version) != p {
				t.Errorf("product %q %q, want %s", s.Product, s.Version, p)
			}
			host := facts.Host{Address: svc.Host, Services: []facts.Service{s}}
			got := map[string]finding.Finding{}
			for _, f := range check.JudgeScan([]facts.Host{host}, check.Scope{Now: time.Now(), Untrusted: true}) {
				if !strings.HasPrefix(f.Check, "http.") {
					continue
				}
				key := f.Check
				if f.Subject != "" {
					key += "/" + f.Subject
				}
				got[key] = f
				t.Logf("%s [%s] %s\n  fix: %s", key, f.Severity, f.Evidence, f.Recommendation)
			}
			for key, ev := range want {
				f, ok := got[key]
				if !ok {
					t.Errorf("no %s (facts %+v, proxy %+v)", key, h, h.Proxy)
					continue
				}
				if !strings.Contains(f.Evidence, ev) {
					t.Errorf("%s evidence %q lacks %q", key, f.Evidence, ev)
				}
				if strings.TrimSpace(f.Recommendation) == "" {
					t.Errorf("%s has no fix", key)
				}
			}
			for key, f := range got {
				if _, ok := want[key]; !ok {
					t.Errorf("unexpected %s [%s] on %s (twin %q): %s", key, f.Severity, id, svc.Twin, f.Evidence)
				}
			}
			if svc.Twin == "hard" && (h.Proxy == nil || !h.TraceChecked) {
				t.Errorf("hard twin not fully examined: proxy %+v, trace checked %v", h.Proxy, h.TraceChecked)
			}
		})
	}
}

// TestLabHTTPProxySelf runs the proxy test meant for servers off loopback
// (relay to the server's own address, judged by the Via hop it adds) on
// part web's proxies and origin servers.
func TestLabHTTPProxySelf(t *testing.T) {
	m := lab.Require(t)
	d := newDialer(t)
	for id, want := range map[string]bool{
		"web-squid-weak": true, "web-tinyproxy-weak": true,
		"web-squid-hard": false, "web-tinyproxy-hard": false,
		"web-apache-weak": false, "web-nginx-weak": false, "web-lighttpd-weak": false, "web-jenkins": false,
	} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			svc := m.Find(id)
			if svc.ID == "" {
				t.Fatalf("the lab has no %s: start part web", id)
			}
			p := &prober{d: d, addr: svc.AddrPort(), opt: Options{Timeout: 3 * time.Second}}
			px, err := p.proxySelf(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%+v", px)
			if px.Canary || px.Target != svc.Address() {
				t.Errorf("target %q canary %v, want %s itself", px.Target, px.Canary, svc.Address())
			}
			if got := px.GetRelayed || px.Connect; got != want {
				t.Errorf("relayed %v (GET %v, CONNECT %v), want %v: %s", got, px.GetRelayed, px.Connect, want, px.Evidence)
			}
		})
	}
}
