package check

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

var hostNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// machine is a host audit with the given addresses and listeners.
func machine(addrs []string, ls ...facts.Listener) *facts.HostAudit {
	return &facts.HostAudit{Hostname: "srv1", Time: hostNow, Addresses: addrs, Listeners: ls, Firewall: facts.Firewall{Kind: "nftables", Filtering: true, InputPolicy: "drop"}}
}

func tcp(addr string, port, pid int, process string) facts.Listener {
	return facts.Listener{Transport: "tcp", Address: addr, Port: port, PID: pid, Process: process, User: "root"}
}

var (
	weakSSHD = facts.SSHDConfig{PID: 10, ConfigFile: "/etc/ssh/sshd_config", Method: "sshd -T",
		Effective: map[string]string{"permitrootlogin": "yes", "passwordauthentication": "yes", "kbdinteractiveauthentication": "no", "authenticationmethods": "any", "port": "22"},
		Sources: map[string]string{
			"permitrootlogin":        "/etc/ssh/sshd_config:32: PermitRootLogin yes",
			"passwordauthentication": "/etc/ssh/sshd_config.d/50-cloud.conf:1: PasswordAuthentication yes",
		}}
	hardSSHD = facts.SSHDConfig{PID: 11, ConfigFile: "/etc/ssh/sshd_config", Method: "sshd -T",
		Effective: map[string]string{"permitrootlogin": "prohibit-password", "passwordauthentication": "no", "kbdinteractiveauthentication": "no", "authenticationmethods": "any"}}
)

func withSSHD(h *facts.HostAudit, cs ...facts.SSHDConfig) *facts.HostAudit {
	h.SSHD = cs
	return h
}

func sshd(mod func(c *facts.SSHDConfig)) facts.SSHDConfig {
	c := weakSSHD
	c.Effective = map[string]string{}
	for k, v := range weakSSHD.Effective {
		c.Effective[k] = v
	}
	mod(&c)
	return c
}

func pg(mod func(c *facts.PostgreSQLConfig)) facts.PostgreSQLConfig {
	c := facts.PostgreSQLConfig{PID: 20, DataDir: "/var/lib/postgresql/15/main", ConfigFile: "/etc/postgresql/15/main/postgresql.conf",
		HBAFile: "/etc/postgresql/15/main/pg_hba.conf", ListenAddresses: "*", Port: 5432, SSL: true,
		HBA: []facts.HBALine{
			{Line: 90, Type: "local", Database: "all", User: "postgres", Method: "peer"},
			{Line: 97, Type: "host", Database: "all", User: "all", Address: "127.0.0.1/32", Method: "trust"},
			{Line: 98, Type: "host", Database: "all", User: "all", Address: "samehost", Method: "trust"},
			{Line: 99, Type: "hostssl", Database: "all", User: "all", Address: "10.0.0.0/8", Method: "scram-sha-256"},
		},
		Sources: map[string]string{"listen_addresses": "/etc/postgresql/15/main/conf.d/net.conf:1: listen_addresses = '*'"}}
	mod(&c)
	return c
}

type hostCase struct {
	name string
	h    *facts.HostAudit
	want []string // "check@host:port", sorted by the test
	// evidence and fix hold substrings, for the first finding (or the
	// one of subject, when set).
	evidence, fix []string
	subject       string
}

func TestJudgeHostAudit(t *testing.T) {
	v4v6 := []string{"127.0.0.1", "192.0.2.2", "::1", "fd00::2", "fe80::fc:ff:fe00:1"}
	cases := []hostCase{
		{name: "nil", h: nil},
		{name: "weak sshd on its own address",
			h:        withSSHD(machine(v4v6, tcp("127.0.2.12", 2222, 10, "sshd")), weakSSHD),
			want:     []string{"ssh.config.password-auth@127.0.2.12:2222", "ssh.config.root-login@127.0.2.12:2222"},
			evidence: []string{"PasswordAuthentication yes (/etc/ssh/sshd_config.d/50-cloud.conf:1: PasswordAuthentication yes)"},
			fix:      []string{"PasswordAuthentication no (line 1 of /etc/ssh/sshd_config.d/50-cloud.conf)", "KbdInteractiveAuthentication no (/etc/ssh/sshd_config)", "sshd -t -f /etc/ssh/sshd_config", "kill -HUP 10"}},
		{name: "sshd on every IPv4 address: the machine's non-loopback, non-link-local IPv4 addresses",
			h:    withSSHD(machine(v4v6, tcp("0.0.0.0", 22, 10, "sshd")), weakSSHD),
			want: []string{"ssh.config.password-auth@192.0.2.2:22", "ssh.config.root-login@192.0.2.2:22"}},
		{name: "sshd on :: and 0.0.0.0: every such address once",
			h:    withSSHD(machine(v4v6, tcp("0.0.0.0", 22, 10, "sshd"), tcp("::", 22, 10, "sshd")), sshd(func(c *facts.SSHDConfig) { c.Effective["permitrootlogin"] = "no" })),
			want: []string{"ssh.config.password-auth@192.0.2.2:22", "ssh.config.password-auth@fd00::2:22"}},
		{name: "a machine with loopback only: the host name",
			h:    withSSHD(machine([]string{"127.0.0.1", "::1"}, tcp("::", 22, 10, "sshd")), weakSSHD),
			want: []string{"ssh.config.password-auth@srv1:22", "ssh.config.root-login@srv1:22"}},
		{name: "sshd under systemd reloads with systemctl",
			h: withSSHD(machine(v4v6, facts.Listener{Transport: "tcp", Address: "192.0.2.2", Port: 22, PID: 10, Process: "sshd", Unit: "ssh.service"}),
				sshd(func(c *facts.SSHDConfig) { c.Effective["permitrootlogin"] = "prohibit-password" })),
			want: []string{"ssh.config.password-auth@192.0.2.2:22"},
			fix:  []string{"systemctl reload ssh.service"}},
		{name: "keyboard-interactive alone is a password",
			h: withSSHD(machine(v4v6, tcp("192.0.2.2", 22, 10, "sshd")), sshd(func(c *facts.SSHDConfig) {
				c.Effective["passwordauthentication"], c.Effective["kbdinteractiveauthentication"] = "no", "yes"
				c.Effective["permitrootlogin"] = "no"
			})),
			want:     []string{"ssh.config.password-auth@192.0.2.2:22"},
			evidence: []string{"KbdInteractiveAuthentication yes (not set in /etc/ssh/sshd_config: sshd -T reports it)"}},
		{name: "a password only after a key is not a password login",
			h: withSSHD(machine(v4v6, tcp("192.0.2.2", 22, 10, "sshd")), sshd(func(c *facts.SSHDConfig) {
				c.Effective["authenticationmethods"] = "publickey,password publickey,keyboard-interactive"
			}))},
		{name: "but one password-only list is",
			h: withSSHD(machine(v4v6, tcp("192.0.2.2", 22, 10, "sshd")), sshd(func(c *facts.SSHDConfig) {
				c.Effective["authenticationmethods"] = "publickey password"
			})),
			want: []string{"ssh.config.password-auth@192.0.2.2:22", "ssh.config.root-login@192.0.2.2:22"}},
		{name: "hardened sshd", h: withSSHD(machine(v4v6, tcp("0.0.0.0", 22, 11, "sshd")), hardSSHD)},
		{name: "sshd whose process holds no listener: its ListenAddress",
			h: withSSHD(machine(v4v6), sshd(func(c *facts.SSHDConfig) {
				c.PID = 0
				c.Effective["listenaddress"] = "10.1.1.1:2200 [::]:2200"
				c.Effective["permitrootlogin"] = "no"
			})),
			want: []string{"ssh.config.password-auth@10.1.1.1:2200", "ssh.config.password-auth@192.0.2.2:2200", "ssh.config.password-auth@fd00::2:2200"}},
		{name: "sshd with nothing known of where it listens: the host name, port 0",
			h:    withSSHD(machine(v4v6), sshd(func(c *facts.SSHDConfig) { c.PID = 0; c.Effective["permitrootlogin"] = "no" })),
			want: []string{"ssh.config.password-auth@srv1:0"}},

		{name: "PostgreSQL trusting the network, with ssl off",
			h: &facts.HostAudit{Hostname: "db", Addresses: []string{"10.0.0.5"}, Listeners: []facts.Listener{tcp("0.0.0.0", 5432, 20, "postgres")},
				Firewall: facts.Firewall{Kind: "nftables", Filtering: true},
				PostgreSQL: []facts.PostgreSQLConfig{pg(func(c *facts.PostgreSQLConfig) {
					c.SSL = false
					c.HBA = append(c.HBA,
						facts.HBALine{Line: 100, Type: "host", Database: "all", User: "all", Address: "0.0.0.0/0", Method: "trust", Text: "host all all 0.0.0.0/0 trust"},
						facts.HBALine{Line: 3, Type: "hostssl", Database: "all", User: "all", Address: "samenet", Method: "trust", File: "/etc/postgresql/15/main/extra.conf"})
				})}},
			want: []string{"postgresql.config.no-ssl@10.0.0.5:5432", "postgresql.config.trust@10.0.0.5:5432"},
			// Sorted worst first: trust (critical) comes first.
			evidence: []string{"/etc/postgresql/15/main/pg_hba.conf:100: host all all 0.0.0.0/0 trust", "/etc/postgresql/15/main/extra.conf:3: hostssl all all samenet trust"},
			fix:      []string{"line(s) 100, 3", "host all all 0.0.0.0/0 scram-sha-256", "kill -HUP 20"}},
		{name: "PostgreSQL trusting loopback only, with TLS",
			h: &facts.HostAudit{Hostname: "db", Addresses: []string{"10.0.0.5"}, Listeners: []facts.Listener{tcp("0.0.0.0", 5432, 20, "postgres")},
				PostgreSQL: []facts.PostgreSQLConfig{pg(func(*facts.PostgreSQLConfig) {})}, Firewall: facts.Firewall{Kind: "nftables", Filtering: true}}},
		{name: "PostgreSQL with ssl off on localhost",
			h: &facts.HostAudit{Hostname: "db", Listeners: []facts.Listener{tcp("127.0.0.1", 5432, 20, "postgres")}, Firewall: facts.Firewall{Kind: "nftables", Filtering: true},
				PostgreSQL: []facts.PostgreSQLConfig{pg(func(c *facts.PostgreSQLConfig) { c.SSL = false; c.ListenAddresses = "localhost" })}}},
		{name: "PostgreSQL on a loopback alias of its own (the lab's hosts) is beyond loopback",
			h: &facts.HostAudit{Hostname: "vm", Firewall: facts.Firewall{Kind: "none"}, Listeners: []facts.Listener{{Transport: "tcp", Address: "127.0.2.18", Port: 5433, PID: 20,
				Process: "postgres", Cmdline: "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main"}},
				PostgreSQL: []facts.PostgreSQLConfig{pg(func(c *facts.PostgreSQLConfig) {
					c.SSL, c.ListenAddresses, c.Port = false, "127.0.2.18", 5433
					c.Sources["ssl"] = "/tmp/pg/postgresql.conf:821: ssl = off"
				})}},
			want:     []string{"postgresql.config.no-ssl@127.0.2.18:5433"},
			evidence: []string{"TLS is off (/tmp/pg/postgresql.conf:821: ssl = off)"},
			fix:      []string{"set ssl = on (line 821 of /tmp/pg/postgresql.conf)", "runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl reload -D /var/lib/postgresql/15/main"}},

		{name: "Redis without a password on a network address",
			h: &facts.HostAudit{Hostname: "cache", Listeners: []facts.Listener{tcp("10.0.0.7", 6379, 30, "redis-server")}, Firewall: facts.Firewall{Kind: "nftables", Filtering: true},
				Redis: []facts.RedisConfig{{PID: 30, ConfigFile: "/etc/redis/redis.conf", Bind: []string{"10.0.0.7"}, Port: 6379, ProtectedMode: true,
					Sources: map[string]string{"bind": "/etc/redis/redis.conf:75: bind 10.0.0.7"}}}},
			want:     []string{"redis.config.no-auth@10.0.0.7:6379"},
			evidence: []string{"requirepass is not set", "/etc/redis/redis.conf:75: bind 10.0.0.7"},
			fix:      []string{"In /etc/redis/redis.conf add the line `requirepass"}},
		{name: "Redis without a password or a config file",
			h: &facts.HostAudit{Hostname: "vm", Listeners: []facts.Listener{tcp("127.0.2.18", 6379, 30, "redis-server")}, Firewall: facts.Firewall{Kind: "none"},
				Redis: []facts.RedisConfig{{PID: 30, Bind: []string{"127.0.2.18"}, Port: 6379, Method: "CONFIG GET",
					Sources: map[string]string{"bind": "CONFIG GET bind: 127.0.2.18", "requirepass": "CONFIG GET requirepass: empty (no password)"}}}},
			want: []string{"redis.config.no-auth@127.0.2.18:6379"},
			fix:  []string{"redis-cli -h 127.0.2.18 -p 6379 CONFIG SET requirepass"}},
		{name: "Redis on loopback, with a password, with ACL users, or kept local by protected mode",
			h: &facts.HostAudit{Hostname: "cache", Addresses: []string{"10.0.0.7"}, Firewall: facts.Firewall{Kind: "none"},
				Listeners: []facts.Listener{tcp("127.0.0.1", 6379, 30, "redis-server"), tcp("10.0.0.7", 6380, 31, "redis-server"), tcp("10.0.0.7", 6381, 32, "redis-server"), tcp("0.0.0.0", 6382, 33, "redis-server")},
				Redis: []facts.RedisConfig{
					{PID: 30, Bind: []string{"127.0.0.1", "-::1"}, Port: 6379, Sources: map[string]string{"bind": "f:1: bind 127.0.0.1 -::1"}},
					{PID: 31, Bind: []string{"10.0.0.7"}, Port: 6380, RequirePass: true},
					{PID: 32, Bind: []string{"10.0.0.7"}, Port: 6381, ACLUsers: true},
					{PID: 33, Bind: []string{"*", "-::*"}, Port: 6382, ProtectedMode: true},
				}}},
		{name: "Redis on every address without protected mode",
			h: &facts.HostAudit{Hostname: "cache", Addresses: []string{"127.0.0.1", "10.0.0.7"}, Firewall: facts.Firewall{Kind: "nftables", Filtering: true},
				Listeners: []facts.Listener{tcp("0.0.0.0", 6379, 33, "redis-server")},
				Redis:     []facts.RedisConfig{{PID: 33, Bind: []string{"*", "-::*"}, Port: 6379}}},
			want: []string{"redis.config.no-auth@10.0.0.7:6379"}},

		{name: "vsftpd with anonymous logins, set and by default; proftpd",
			h: &facts.HostAudit{Hostname: "ftp", Firewall: facts.Firewall{Kind: "nftables", Filtering: true},
				Listeners: []facts.Listener{tcp("127.0.2.16", 21, 40, "vsftpd"), tcp("127.0.2.17", 2121, 41, "vsftpd"), tcp("127.0.2.18", 21, 42, "proftpd")},
				FTP: []facts.FTPConfig{
					{PID: 40, Product: "vsftpd", ConfigFile: "/tmp/ftp-weak/vsftpd.conf", Anonymous: true, Sources: map[string]string{"anonymous_enable": "/tmp/ftp-weak/vsftpd.conf:7: anonymous_enable=YES"}},
					{PID: 41, Product: "vsftpd", ConfigFile: "/etc/vsftpd.conf", Anonymous: true},
					{PID: 42, Product: "proftpd", ConfigFile: "/etc/proftpd/proftpd.conf", Anonymous: true, Sources: map[string]string{"<anonymous>": "/etc/proftpd/conf.d/anon.conf:2: <Anonymous ~ftp>"}},
					{PID: 43, Product: "vsftpd", ConfigFile: "/etc/vsftpd.conf"},
				}},
			want:     []string{"ftp.config.anonymous@127.0.2.16:21", "ftp.config.anonymous@127.0.2.17:2121", "ftp.config.anonymous@127.0.2.18:21"},
			evidence: []string{"/tmp/ftp-weak/vsftpd.conf:7: anonymous_enable=YES"},
			fix:      []string{"In /tmp/ftp-weak/vsftpd.conf set anonymous_enable=NO (line 7 of /tmp/ftp-weak/vsftpd.conf)", "kill -HUP 40"}},

		{name: "no firewall and a listener reachable from other machines",
			h: &facts.HostAudit{Hostname: "vm", Addresses: []string{"192.0.2.2"}, Firewall: facts.Firewall{Kind: "none", Source: "nft -j list ruleset, iptables-save"},
				Listeners: []facts.Listener{{Transport: "tcp", Address: "0.0.0.0", Port: 2024, Reachable: true}, {Transport: "udp", Address: "::", Port: 123, Reachable: true, Process: "chronyd", PID: 5},
					{Transport: "tcp", Address: "127.0.2.13", Port: 22, Process: "sshd", PID: 6}}},
			want:     []string{"firewall.none@vm:0"},
			evidence: []string{"no nftables or iptables rule filters inbound traffic (nft -j list ruleset, iptables-save)", "0.0.0.0:2024/tcp (an unknown process)", "[::]:123/udp (chronyd (pid 5))"},
			fix:      []string{"policy drop", "tcp dport { 2024 } accept", "udp dport { 123 } accept", "nft -c -f /etc/nftables.conf"}},
		{name: "a ruleset that drops nothing",
			h: &facts.HostAudit{Hostname: "vm", Firewall: facts.Firewall{Kind: "nftables", InputPolicy: "accept", Allowed: []facts.PortRule{{Transport: "tcp", Port: 22, Rule: "tcp dport 22 accept"}}},
				Listeners: []facts.Listener{{Transport: "tcp", Address: "0.0.0.0", Port: 22, Reachable: true}}},
			want:     []string{"firewall.none@vm:0"},
			evidence: []string{"the nftables rules drop nothing inbound (input policy accept"}},
		{name: "firewall unknown (not root): nothing said", h: &facts.HostAudit{Hostname: "vm", Firewall: facts.Firewall{Kind: ""},
			Listeners: []facts.Listener{{Transport: "tcp", Address: "0.0.0.0", Port: 22, Reachable: true}}}},
		{name: "no firewall, but only loopback listeners", h: &facts.HostAudit{Hostname: "vm", Firewall: facts.Firewall{Kind: "none"},
			Listeners: []facts.Listener{{Transport: "tcp", Address: "127.0.2.13", Port: 22}, {Transport: "tcp", Address: "::1", Port: 25}}}},

		{name: "the firewall accepts ports nothing listens on",
			h: &facts.HostAudit{Hostname: "web", Firewall: facts.Firewall{Kind: "nftables", Filtering: true, InputPolicy: "drop", Allowed: []facts.PortRule{
				{Transport: "tcp", Port: 22, Rule: "tcp dport 22 accept", Family: "inet", Table: "filter", Chain: "input", Handle: 8},
				{Transport: "tcp", Port: 5432, From: "10.0.0.0/8", Rule: "tcp dport 5432 ip saddr 10.0.0.0/8 accept", Family: "inet", Table: "filter", Chain: "input", Handle: 11},
				{Transport: "tcp", Port: 8443, Rule: "tcp dport { 443, 8443 } accept", Family: "inet", Table: "filter", Chain: "input", Handle: 12},
				{Transport: "tcp", Port: 443, Rule: "tcp dport { 443, 8443 } accept", Family: "inet", Table: "filter", Chain: "input", Handle: 12},
				{Transport: "tcp", Port: 2222, Rule: "tcp dport @admin accept", Family: "inet", Table: "filter", Chain: "input", Handle: 14, Set: "admin"},
				{Transport: "tcp", Port: 6000, PortEnd: 6010, Rule: "tcp dport 6000-6010 accept", Handle: 15},
				{Transport: "udp", Port: 0, Rule: "ip saddr 10.0.0.0/8 accept", From: "10.0.0.0/8", Handle: 16},
			}},
				Listeners: []facts.Listener{{Transport: "tcp", Address: "0.0.0.0", Port: 22}, {Transport: "tcp", Address: "::", Port: 443}, {Transport: "tcp", Address: "127.0.0.1", Port: 5432}}},
			want:     []string{"port.allowed-no-listener@web:0", "port.allowed-no-listener@web:0", "port.allowed-no-listener@web:0"},
			subject:  "tcp/5432",
			evidence: []string{"nftables accepts tcp/5432 from 10.0.0.0/8 (chain inet filter input, rule: tcp dport 5432 ip saddr 10.0.0.0/8 accept # handle 11)", "only 127.0.0.1:5432"},
			fix:      []string{"nft delete rule inet filter input handle 11"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := JudgeHostAudit(tc.h, hostNow)
			assertHostFindings(t, fs, tc.want, tc.subject, tc.evidence, tc.fix)
			for _, f := range fs {
				if f.Evidence == "" || f.Recommendation == "" || f.ID == "" || len(f.Frameworks) == 0 {
					t.Errorf("incomplete finding %+v", f)
				}
			}
		})
	}
}

func TestAllowedNoListenerFixes(t *testing.T) {
	h := &facts.HostAudit{Hostname: "web", Firewall: facts.Firewall{Kind: "nftables", Filtering: true, Allowed: []facts.PortRule{
		{Transport: "tcp", Port: 8443, Rule: "tcp dport { 443, 8443 } accept", Family: "inet", Table: "filter", Chain: "input", Handle: 12},
		{Transport: "tcp", Port: 2222, Rule: "tcp dport @admin accept", Family: "inet", Table: "filter", Chain: "input", Handle: 14, Set: "admin"},
	}}}
	fixes := map[string]string{}
	for _, f := range JudgeHostAudit(h, hostNow) {
		fixes[f.Subject] = f.Recommendation
	}
	if !strings.Contains(fixes["tcp/8443"], "nft replace rule inet filter input handle 12") {
		t.Errorf("set in a rule: %q", fixes["tcp/8443"])
	}
	if !strings.Contains(fixes["tcp/2222"], "nft delete element inet filter admin { 2222 }") {
		t.Errorf("named set: %q", fixes["tcp/2222"])
	}
	ipt := &facts.HostAudit{Hostname: "web", Firewall: facts.Firewall{Kind: "iptables", Filtering: true, Allowed: []facts.PortRule{
		{Transport: "tcp", Port: 3306, Rule: "-A INPUT -p tcp -m tcp --dport 3306 -j ACCEPT", Family: "ip", Table: "filter", Chain: "INPUT"},
		{Transport: "tcp", Port: 5432, Rule: "-A INPUT -p tcp -m tcp --dport 5432 -j ACCEPT", Family: "ip6", Table: "filter", Chain: "INPUT"},
	}}}
	fixes = map[string]string{}
	for _, f := range JudgeHostAudit(ipt, hostNow) {
		fixes[f.Subject] = f.Recommendation
	}
	if !strings.Contains(fixes["tcp/3306"], "`iptables -D INPUT -p tcp -m tcp --dport 3306 -j ACCEPT`") || !strings.Contains(fixes["tcp/5432"], "`ip6tables -D INPUT") {
		t.Errorf("iptables fixes: %q", fixes)
	}
}

func TestJudgeHostAuditIsStable(t *testing.T) {
	h := withSSHD(machine([]string{"192.0.2.2"}, tcp("0.0.0.0", 22, 10, "sshd")), weakSSHD)
	a, b := JudgeHostAudit(h, hostNow), JudgeHostAudit(h, hostNow.Add(time.Hour))
	if len(a) != 2 || !slices.EqualFunc(a, b, func(x, y finding.Finding) bool { return x.ID == y.ID && x.Evidence == y.Evidence }) {
		t.Errorf("two judgements differ:\n%+v\n%+v", a, b)
	}
	if a[0].ID == a[1].ID {
		t.Error("two checks share a finding ID")
	}
}

func TestHostJudgesUseCatalogueIDs(t *testing.T) {
	for _, id := range []string{"ssh.config.root-login", "ssh.config.password-auth", "postgresql.config.trust", "postgresql.config.no-ssl",
		"redis.config.no-auth", "ftp.config.anonymous", "firewall.none", "port.allowed-no-listener"} {
		if _, ok := Lookup(id); !ok {
			t.Errorf("%s is not in the catalogue", id)
		}
	}
}

// TestConfigChecksListEveryConfigurationCheck: a check of a daemon's
// configuration that configChecks does not list would count as judged
// even when the host audit could not read that configuration.
func TestConfigChecksListEveryConfigurationCheck(t *testing.T) {
	for _, c := range All() {
		if strings.Contains(c.ID, ".config.") && !IsConfigCheck(c.ID) {
			t.Errorf("%s is not in configChecks: add it under its daemon's kind", c.ID)
		}
	}
	for kind, ids := range configChecks {
		for _, id := range ids {
			if _, ok := Lookup(id); !ok {
				t.Errorf("configChecks[%s] names %s, which is not in the catalogue", kind, id)
			}
		}
	}
	if ConfigChecks("nginx") != nil || IsConfigCheck("ssh.auth.password") {
		t.Error("nginx's configuration is read for vigil fix only, and ssh.auth.password is a network check")
	}
}

// assertHostFindings checks a host judge's findings: exactly want
// ("check@host:port", in any order), and the finding of subject (the first
// when subject is "") says each of evidence and fix.
func assertHostFindings(t *testing.T, fs []finding.Finding, want []string, subject string, evidence, fix []string) {
	t.Helper()
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%s@%s:%d", f.Check, f.Host, f.Port))
	}
	if g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)); !slices.Equal(g, w) {
		t.Fatalf("findings %v\nwant     %v", g, w)
	}
	if len(fs) == 0 {
		return
	}
	f := fs[0]
	if subject != "" {
		i := slices.IndexFunc(fs, func(f finding.Finding) bool { return f.Subject == subject })
		if i < 0 {
			t.Fatalf("no finding of subject %s", subject)
		}
		f = fs[i]
	}
	for _, e := range evidence {
		if !strings.Contains(f.Evidence, e) {
			t.Errorf("%s evidence %q\nlacks %q", f.Check, f.Evidence, e)
		}
	}
	for _, x := range fix {
		if !strings.Contains(f.Recommendation, x) {
			t.Errorf("%s fix %q\nlacks %q", f.Check, f.Recommendation, x)
		}
	}
}
