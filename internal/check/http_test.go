package check

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

func TestJudgeHTTP(t *testing.T) {
	web := func(product string, tls bool, h *facts.HTTPAudit) *facts.Service {
		return &facts.Service{Port: 8080, Transport: "tcp", Name: "http", Product: product, TLS: tls, HTTP: h}
	}
	tests := []struct {
		name      string
		s         *facts.Service
		untrusted bool
		want      []string // checks, in judge order
		fixHas    string   // a product-specific word the first fix must hold
	}{
		{"no HTTP audit", web("nginx", false, nil), true, nil, ""},
		{"nothing observed", web("nginx", false, &facts.HTTPAudit{RootStatus: 200, TraceChecked: true, Proxy: &facts.HTTPProxy{Target: "127.0.0.1:4000", Canary: true}}), true, nil, ""},
		{"open squid by GET", web("squid", false, &facts.HTTPAudit{RootStatus: 400, Proxy: &facts.HTTPProxy{Target: "127.0.0.1:4000", Canary: true, GetRelayed: true}}), false,
			[]string{"http.proxy.open"}, "http_access"},
		{"open tinyproxy by CONNECT", web("tinyproxy", false, &facts.HTTPAudit{Proxy: &facts.HTTPProxy{Target: "127.0.0.1:4000", Connect: true}}), false,
			[]string{"http.proxy.open"}, "Allow"},
		{"apache status and info", web("Apache httpd", false, &facts.HTTPAudit{Status: []facts.HTTPPage{{Path: "/server-status", Kind: "apache-server-status"}, {Path: "/server-info", Kind: "apache-server-info"}}}), false,
			[]string{"http.status.public", "http.status.public"}, "Require local"},
		{"nginx stub_status", web("nginx", false, &facts.HTTPAudit{Status: []facts.HTTPPage{{Path: "/nginx_status", Kind: "nginx-stub-status"}}}), false,
			[]string{"http.status.public"}, "deny all"},
		{"lighttpd listing", web("lighttpd", false, &facts.HTTPAudit{Listings: []facts.HTTPPage{{Path: "/", Kind: "lighttpd-dirlisting"}}}), false,
			[]string{"http.listing"}, "dir-listing"},
		{"apache default page", web("Apache httpd", false, &facts.HTTPAudit{DefaultPage: &facts.HTTPPage{Path: "/", Kind: "debian-apache-default"}}), false,
			[]string{"http.default-page"}, "/var/www/html/index.html"},
		{"trace echoed", web("Apache httpd", false, &facts.HTTPAudit{TraceChecked: true, Trace: "TRACE / answered HTTP/1.1 200 OK with the request echoed back"}), false,
			[]string{"http.trace"}, "TraceEnable Off"},
		{"trace refused", web("Apache httpd", false, &facts.HTTPAudit{TraceChecked: true}), false, nil, ""},
		{"https without hsts", web("nginx", true, &facts.HTTPAudit{RootStatus: 200}), false, []string{"http.hsts.missing"}, "add_header"},
		{"https redirect without hsts", web("nginx", true, &facts.HTTPAudit{RootStatus: 301}), false, []string{"http.hsts.missing"}, ""},
		{"https with max-age=0", web("nginx", true, &facts.HTTPAudit{RootStatus: 200, HSTS: "max-age=0"}), false, []string{"http.hsts.missing"}, ""},
		{"https with hsts", web("nginx", true, &facts.HTTPAudit{RootStatus: 200, HSTS: "max-age=31536000; includeSubDomains"}), false, nil, ""},
		{"https error page without hsts", web("nginx", true, &facts.HTTPAudit{RootStatus: 404}), false, nil, ""},
		{"plain http without hsts", web("nginx", false, &facts.HTTPAudit{RootStatus: 200}), false, nil, ""},
		{"jenkins, trusted network", web("Jenkins", false, &facts.HTTPAudit{Admin: []facts.HTTPAdmin{{Product: "Jenkins", Version: "2.426.1", Path: "/"}}}), false, nil, ""},
		{"jenkins, untrusted network", web("Jenkins", false, &facts.HTTPAudit{Admin: []facts.HTTPAdmin{{Product: "Jenkins", Version: "2.426.1", Path: "/"}}}), true,
			[]string{"http.admin.exposed"}, "httpListenAddress"},
		{"tomcat manager, untrusted network", web("Apache Tomcat", false, &facts.HTTPAudit{Admin: []facts.HTTPAdmin{{Product: "Apache Tomcat Manager", Path: "/manager/html"}}}), true,
			[]string{"http.admin.exposed"}, "RemoteAddrValve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := judgeHTTP(Input{Service: tt.s, Untrusted: tt.untrusted})
			var got []string
			for _, h := range hits {
				got = append(got, h.Check)
				if h.Evidence == "" {
					t.Errorf("%s: empty evidence", h.Check)
				}
				MakeFinding(h, "127.0.2.70", tt.s.Port, "tcp") // panics on an unknown ID
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("checks = %v, want %v", got, tt.want)
			}
			if tt.fixHas != "" && !strings.Contains(hits[0].Fix, tt.fixHas) {
				t.Errorf("fix %q does not mention %q", hits[0].Fix, tt.fixHas)
			}
		})
	}
}

func TestHTTPSubjectsDistinct(t *testing.T) {
	s := &facts.Service{Port: 80, Transport: "tcp", Name: "http", HTTP: &facts.HTTPAudit{
		Status: []facts.HTTPPage{{Path: "/server-status", Kind: "apache-server-status"}, {Path: "/server-info", Kind: "apache-server-info"}}}}
	hits := judgeHTTP(Input{Service: s})
	if len(hits) != 2 {
		t.Fatalf("got %d hits", len(hits))
	}
	a, b := MakeFinding(hits[0], "h", 80, "tcp"), MakeFinding(hits[1], "h", 80, "tcp")
	if a.ID == b.ID {
		t.Errorf("two status pages share the finding ID %s", a.ID)
	}
}

func TestHSTSOn(t *testing.T) {
	for v, want := range map[string]bool{
		"": false, "max-age=0": false, "max-age=00": false, "includeSubDomains": false, `max-age="31536000"`: true,
		"max-age=31536000; includeSubDomains": true, "includeSubDomains; max-age=300": true, "max-age=abc": false,
	} {
		if got := hstsOn(v); got != want {
			t.Errorf("hstsOn(%q) = %v, want %v", v, got, want)
		}
	}
}
