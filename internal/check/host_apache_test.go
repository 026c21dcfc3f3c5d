package check

import (
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
)

func TestJudgeHostApache(t *testing.T) {
	const file = "/etc/apache2/apache2.conf"
	listeners := []facts.Listener{
		{Transport: "tcp", Address: "0.0.0.0", Port: 80, PID: 50, Process: "apache2", Unit: "apache2.service"},
		{Transport: "tcp", Address: "127.0.0.1", Port: 8080, PID: 50, Process: "apache2", Unit: "apache2.service"},
	}
	main := facts.ApacheServer{TraceEnable: "off", Sources: map[string]string{"TraceEnable": file + ":12: TraceEnable Off"}}
	vhost := func(addr, trace string, pages ...facts.ApacheStatusPage) facts.ApacheServer {
		s := facts.ApacheServer{VirtualHost: []string{addr}, Section: "/etc/apache2/sites-enabled/site.conf:1: <VirtualHost " + addr + ">", TraceEnable: trace, StatusPages: pages, Sources: map[string]string{}}
		return s
	}
	open := facts.ApacheStatusPage{Handler: "server-status", Path: "/server-status", Section: "/etc/apache2/sites-enabled/site.conf:4: <Location /server-status>",
		Access: []string{"/etc/apache2/sites-enabled/site.conf:6: Require all granted"}, Open: true}
	closed := open
	closed.Open, closed.Access = false, []string{"/etc/apache2/sites-enabled/site.conf:6: Require local"}
	cfg := func(servers ...facts.ApacheServer) facts.ApacheConfig {
		return facts.ApacheConfig{PID: 50, ConfigFile: file, Daemon: facts.Daemon{Exe: "/usr/sbin/apache2"}, Listen: []string{"80"}, Servers: servers}
	}
	type want struct {
		check, host string
		port        int
		evidence    []string
		fix         []string
	}
	tests := []struct {
		name      string
		cfg       facts.ApacheConfig
		listeners []facts.Listener
		want      []want
	}{
		{"trace at its default in a virtual host", cfg(main, vhost("*:80", "on")), listeners, []want{
			{"http.config.trace", "192.168.1.5", 80, []string{"<VirtualHost *:80> has TraceEnable on (not set: httpd's default is On)"},
				[]string{"TraceEnable Off inside <VirtualHost *:80>, which opens at line 1 of /etc/apache2/sites-enabled/site.conf", "systemctl reload apache2.service", "apache2ctl configtest"}},
		}},
		{"trace set server-wide, inherited", cfg(facts.ApacheServer{TraceEnable: "extended", Sources: map[string]string{"TraceEnable": file + ":9: TraceEnable extended"}}), listeners, []want{
			{"http.config.trace", "192.168.1.5", 80, []string{"the main server has TraceEnable extended (" + file + ":9: TraceEnable extended)"}, []string{"TraceEnable Off at line 9 of " + file}},
		}},
		{"trace off everywhere", cfg(main, vhost("*:80", "off")), listeners, nil},
		{"status page open in the virtual host that serves the address", cfg(main, vhost("*:80", "off", open)), listeners, []want{
			{"http.config.status-public", "192.168.1.5", 80, []string{"hands /server-status to server-status", "site.conf:4: <Location /server-status>", "site.conf:6: Require all granted"},
				[]string{"the <Location /server-status> at line 4 of /etc/apache2/sites-enabled/site.conf", "Require local"}},
		}},
		{"listing in the virtual host that serves the address", cfg(main, func() facts.ApacheServer {
			s := vhost("*:80", "off")
			s.Listings = []facts.ApacheListing{{Directory: "/srv/files", Section: "/etc/apache2/sites-enabled/site.conf:3: <Directory /srv/files>", Options: "/etc/apache2/sites-enabled/site.conf:4: Options +Indexes"}}
			return s
		}()), listeners, []want{
			{"http.config.listing", "192.168.1.5", 80, []string{"<VirtualHost *:80> lists /srv/files (/etc/apache2/sites-enabled/site.conf:4: Options +Indexes)"},
				[]string{"the Options line at line 4 of /etc/apache2/sites-enabled/site.conf", "-Indexes", "systemctl reload apache2.service"}},
		}},
		{"status page limited", cfg(main, vhost("*:80", "off", closed)), listeners, nil},
		{"status page on another address's virtual host", cfg(main, vhost("10.9.9.9:80", "off", open)), listeners, nil},
		{"loopback alone is not judged", cfg(main, vhost("*:8080", "on", open)), []facts.Listener{listeners[1]}, nil},
		{"files vigil could not read: nothing is judged", func() facts.ApacheConfig {
			c := cfg(main, vhost("*:80", "on", open))
			c.Unread = []string{"/etc/apache2/ports.conf"}
			return c
		}(), listeners, nil},
		{"no listener known: the Listen directives", cfg(facts.ApacheServer{TraceEnable: "on"}), nil, []want{
			{"http.config.trace", "192.168.1.5", 80, []string{"the main server has TraceEnable on (not set"}, []string{"TraceEnable Off in " + file, "kill -USR1 50"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &facts.HostAudit{Hostname: "web", Addresses: []string{"127.0.0.1", "192.168.1.5"}, Listeners: tt.listeners, Apache: []facts.ApacheConfig{tt.cfg}}
			got := judgeHostApache(h, time.Now())
			if len(got) != len(tt.want) {
				t.Fatalf("%d findings, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				f := got[i]
				if f.Check != w.check || f.Host != w.host || f.Port != w.port {
					t.Errorf("finding %d: %s on %s:%d, want %s on %s:%d", i, f.Check, f.Host, f.Port, w.check, w.host, w.port)
				}
				for _, e := range w.evidence {
					if !strings.Contains(f.Evidence, e) {
						t.Errorf("evidence %q lacks %q", f.Evidence, e)
					}
				}
				for _, e := range w.fix {
					if !strings.Contains(f.Recommendation, e) {
						t.Errorf("fix %q lacks %q", f.Recommendation, e)
					}
				}
			}
		})
	}
}
