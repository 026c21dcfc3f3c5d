package report

import (
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// hostFixture is a host audit document: listeners on two addresses (one
// holding hostile text), a firewall, configurations, an error, findings.
func hostFixture() *result.Document {
	end := time.Date(2026, 3, 1, 12, 0, 2, 0, time.UTC)
	h := &facts.HostAudit{Hostname: "srv1", Time: end, Addresses: []string{"127.0.0.1", "192.0.2.2"},
		Listeners: []facts.Listener{
			{Transport: "tcp", Address: "0.0.0.0", Port: 22, PID: 812, Process: "sshd", User: "root", Unit: "ssh.service", Reachable: true, Reason: "bound to 0.0.0.0; nftables accepts tcp/22 from anywhere (rule: tcp dport 22 accept)"},
			{Transport: "tcp", Address: "127.0.0.1", Port: 5432, PID: 900, Process: "postgres", User: "postgres", Reason: "bound to 127.0.0.1: loopback only"},
			{Transport: "udp", Address: "0.0.0.0", Port: 5353, PID: 77, Process: "evil\x1b[31m", User: "uid 1001", Reason: "dropped by nftables input policy drop"},
			{Transport: "tcp", Address: "0.0.0.0", Port: 2024, Reachable: true, Reason: "bound to 0.0.0.0; nftables accepts tcp/2024 only from 10.0.0.0/8"},
		},
		Firewall: facts.Firewall{Kind: "nftables", InputPolicy: "drop", Filtering: true, Source: "nft -j list ruleset",
			Allowed: []facts.PortRule{{Transport: "tcp", Port: 22}, {Transport: "tcp", Port: 2024, From: "10.0.0.0/8"}, {Transport: "tcp", Port: 6000, PortEnd: 6010}}},
		SSHD:       []facts.SSHDConfig{{PID: 812, ConfigFile: "/etc/ssh/sshd_config", Method: "sshd -T"}},
		PostgreSQL: []facts.PostgreSQLConfig{{PID: 900, ConfigFile: "/etc/postgresql/15/main/postgresql.conf", HBAFile: "/etc/postgresql/15/main/pg_hba.conf"}},
		Redis:      []facts.RedisConfig{{PID: 950, Method: "CONFIG GET"}},
		Errors:     []string{"1 listener(s) without a known process (held by a process in another PID namespace, or by the kernel)"},
	}
	fs := []finding.Finding{
		{ID: "f1", Check: "ssh.config.password-auth", Severity: finding.Medium, Host: "192.0.2.2", Port: 22, Transport: "tcp", Title: "sshd allows password authentication",
			Evidence: "sshd accepts passwords: PasswordAuthentication yes (/etc/ssh/sshd_config:57: PasswordAuthentication yes)", Recommendation: "In /etc/ssh/sshd_config set PasswordAuthentication no; reload sshd: systemctl reload ssh.service."},
		{ID: "f2", Check: "port.allowed-no-listener", Severity: finding.Low, Host: "srv1", Port: 0, Transport: "tcp", Title: "Firewall allows a port nothing listens on",
			Evidence: "nftables accepts tcp/8080 from anywhere", Recommendation: "nft delete rule inet filter input handle 9"},
	}
	hosts := []facts.Host{{Address: "127.0.0.1", Names: []string{"srv1"}}, {Address: "192.0.2.2", Names: []string{"srv1"}}, {Address: "srv1"}}
	audited := map[string]time.Time{"127.0.0.1": end, "192.0.2.2": end, "srv1": end}
	doc := result.Assemble("20260301T120000Z-0000host", end.Add(-2*time.Second), end, []string{"srv1"}, hosts, fs, audited)
	doc.Kind = result.KindHost
	doc.HostAudit = h
	return doc
}

func TestTableHostAudit(t *testing.T) {
	out := render(t, Table{}, hostFixture())
	golden(t, "table-host.golden", out)
	s := string(out)
	if strings.Contains(s, "\x1b") {
		t.Error("a terminal escape from a process name reached the table")
	}
	lines := strings.Split(s, "\n")
	if len(lines) < 4 || lines[0] != "vigil host audit of srv1, this machine" || !strings.HasPrefix(lines[3], "Level 3 of 5 — basic.") {
		t.Errorf("the table does not start with the audit and its level:\n%s", strings.Join(lines[:min(5, len(lines))], "\n"))
	}
	// The network scan rendering is untouched by host audits.
	if strings.Contains(string(render(t, Table{}, fixture())), "Listeners") {
		t.Error("a network scan shows a host-audit section")
	}
}

func TestSystemSummary(t *testing.T) {
	pkg := func(name, format string) facts.Package { return facts.Package{Name: name, Format: format} }
	deb := &facts.OSRelease{ID: "debian", VersionID: "12", PrettyName: "Debian GNU/Linux 12 (bookworm)"}
	tests := []struct {
		h    facts.HostAudit
		want string
	}{
		{facts.HostAudit{}, ""},
		{facts.HostAudit{OS: deb}, "Debian GNU/Linux 12 (bookworm)"},
		{facts.HostAudit{OS: &facts.OSRelease{ID: "alpine", VersionID: "3.20.1"}, Packages: []facts.Package{pkg("musl", "apk")}}, "1 package (apk), alpine 3.20.1"},
		{facts.HostAudit{OS: deb, Packages: []facts.Package{pkg("a", "dpkg"), pkg("b", "dpkg")}}, "2 packages (dpkg), Debian GNU/Linux 12 (bookworm)"},
		{facts.HostAudit{Packages: []facts.Package{pkg("a", "rpm"), pkg("b", "dpkg"), pkg("c", "dpkg")}}, "3 packages (dpkg 2, rpm 1)"},
	}
	for _, tt := range tests {
		if got := systemSummary(&tt.h); got != tt.want {
			t.Errorf("systemSummary = %q, want %q", got, tt.want)
		}
	}
}

// TestTableHostAuditSystem shows the packages and operating system of a
// live audit above its listeners, and of a mounted root without the
// sections only a running machine has.
func TestTableHostAuditSystem(t *testing.T) {
	doc := hostFixture()
	doc.HostAudit.OS = &facts.OSRelease{ID: "debian", PrettyName: "Debian GNU/Linux 12 (bookworm)\x1b[2J"}
	doc.HostAudit.Packages = []facts.Package{{Name: "bash", Format: "dpkg"}, {Name: "openssl", Format: "dpkg"}}
	s := string(render(t, Table{}, doc))
	sys := strings.Index(s, "System: 2 packages (dpkg), Debian GNU/Linux 12 (bookworm)")
	if sys < 0 || sys > strings.Index(s, "Listeners") || strings.Contains(s, "\x1b") {
		t.Errorf("the system line is missing, misplaced or unescaped:\n%s", s)
	}

	end := time.Date(2026, 3, 1, 12, 0, 2, 0, time.UTC)
	h := &facts.HostAudit{Hostname: "web1", Time: end, Root: "/mnt/web1", Listeners: []facts.Listener{},
		OS: &facts.OSRelease{ID: "debian", PrettyName: "Debian GNU/Linux 12 (bookworm)"}, Packages: doc.HostAudit.Packages,
		Errors: []string{"listeners, processes, firewall, addresses and the configuration of running services: not examined"}}
	root := result.Assemble("20260301T120000Z-0000root", end.Add(-time.Second), end, []string{"/mnt/web1"}, nil, nil, nil)
	root.Kind = result.KindHost
	root.HostAudit = h
	s = string(render(t, Table{}, root))
	for _, want := range []string{"vigil host audit of web1, the mounted root /mnt/web1\n2 package(s) · 0 finding(s)", "System: 2 packages (dpkg), Debian GNU/Linux 12 (bookworm)\n\nNot checked"} {
		if !strings.Contains(s, want) {
			t.Errorf("the table lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "Listeners") || strings.Contains(s, "Firewall:") {
		t.Errorf("a mounted root shows a running machine's sections:\n%s", s)
	}
}
