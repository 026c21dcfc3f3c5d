package hostaudit

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/lab"
)

// TestLabApache audits this machine with the lab's Apache twins running:
// each httpd's configuration is found from its -f, the weak twin's
// TraceEnable On, open server-status and server-info and Options +Indexes
// on 8080 raise http.config.trace, http.config.status-public and
// http.config.listing on its addresses, and the hard twin (TraceEnable
// Off, status limited to 10.9.9.0/24, -Indexes) raises none.
func TestLabApache(t *testing.T) {
	m := lab.Require(t)
	h, err := Collect(t.Context(), Local(), Options{Dialer: loopbackDialer(t)})
	if err != nil {
		t.Fatal(err)
	}
	dir := m.Dir
	weak, weakIndex, weakTLS := m.Find("web-apache-weak"), m.Find("web-apache-weak-index"), m.Find("web-apache-weak-https")
	hard, hardTLS := m.Find("web-apache-hard"), m.Find("web-apache-hard-https")

	cfgs := map[string]facts.ApacheConfig{}
	for _, c := range h.Apache {
		cfgs[c.ConfigFile] = c
	}
	w, ok := cfgs[dir+"/web/apache-weak/apache2.conf"]
	if !ok {
		t.Fatalf("the weak twin's configuration was not read; apache configurations %+v, errors %v", h.Apache, h.Errors)
	}
	if len(w.Unread) > 0 || w.Daemon.Exe == "" || len(w.Servers) != 4 || w.Servers[0].TraceEnable != "on" {
		t.Errorf("weak twin: %+v", w)
	}
	if s := w.Servers[1]; len(s.StatusPages) != 2 || !s.StatusPages[0].Open || !s.StatusPages[1].Open {
		t.Errorf("weak twin's port 80 virtual host: %+v", s)
	}
	hd, ok := cfgs[dir+"/web/apache-hard/apache2.conf"]
	if !ok {
		t.Fatalf("the hard twin's configuration was not read: %+v", h.Apache)
	}
	for _, s := range hd.Servers {
		if s.TraceEnable != "off" || len(s.StatusPages) != 1 || s.StatusPages[0].Open {
			t.Errorf("hard twin server %+v", s)
		}
	}
	// The tlsdeep part's two httpd (no virtual hosts) are read too.
	for _, f := range []string{dir + "/tlsdeep/apache-weak/httpd.conf", dir + "/tlsdeep/apache-hard/httpd.conf"} {
		if c, ok := cfgs[f]; !ok || len(c.Servers) != 1 || len(c.Unread) > 0 {
			t.Errorf("%s: %+v", f, c)
		}
	}

	fs := check.JudgeHostAudit(h, h.Time)
	for _, svc := range []lab.Service{weak, weakIndex, weakTLS} {
		requireFinding(t, fs, "http.config.trace", svc.Host, svc.Port, dir+"/web/apache-weak/apache2.conf:", "TraceEnable On")
	}
	requireFinding(t, fs, "http.config.listing", weakIndex.Host, weakIndex.Port, dir+"/web/apache-weak/files", "Options +Indexes")
	for _, svc := range []lab.Service{weak, weakTLS} {
		if got := findingsAt(fs, "http.config.listing", svc.Host, svc.Port); len(got) != 0 {
			t.Errorf("listing of port 8080's virtual host reported on %s:%d: %+v", svc.Host, svc.Port, got)
		}
	}
	requireFinding(t, fs, "http.config.status-public", weak.Host, weak.Port,
		dir+"/web/apache-weak/apache2.conf:39: <Location /server-status>", "Require all granted", "/server-info")
	for _, svc := range []lab.Service{weakIndex, weakTLS} {
		if got := findingsAt(fs, "http.config.status-public", svc.Host, svc.Port); len(got) != 0 {
			t.Errorf("status pages of port 80's virtual host reported on %s:%d: %+v", svc.Host, svc.Port, got)
		}
	}
	for _, svc := range []lab.Service{hard, hardTLS} {
		for _, f := range fs {
			if f.Host == svc.Host && f.Port == svc.Port && (strings.HasPrefix(f.Check, "http.config.")) {
				t.Errorf("hardened %s has finding %s: %s", svc.ID, f.Check, f.Evidence)
			}
		}
	}
}
