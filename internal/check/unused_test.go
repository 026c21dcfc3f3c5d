package check

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

func observed(method string, conns map[string]int) *facts.Observation {
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	return &facts.Observation{Started: start, Ended: start.Add(20 * time.Second), Method: method, Connections: conns}
}

func TestJudgeUnused(t *testing.T) {
	py := facts.Listener{Transport: "tcp", Address: "0.0.0.0", Port: 9000, PID: 1234, Process: "python3", User: "www-data",
		Cmdline: "python3 -m http.server 9000", Reachable: true, Reason: "bound to every address, no firewall"}
	py6 := py
	py6.Address = "::"
	redis := facts.Listener{Transport: "tcp", Address: "10.0.0.5", Port: 6379, PID: 77, Process: "redis-server", User: "redis",
		Unit: "redis-server.service", Reachable: true}
	used := facts.Listener{Transport: "tcp", Address: "10.0.0.5", Port: 22, PID: 1, Process: "sshd", Reachable: true}
	loop := facts.Listener{Transport: "tcp", Address: "127.0.0.1", Port: 5432, Process: "postgres", Reachable: true}
	loop6 := facts.Listener{Transport: "tcp", Address: "::1", Port: 5433, Process: "postgres", Reachable: true}
	firewalled := facts.Listener{Transport: "tcp", Address: "0.0.0.0", Port: 8080, Process: "nginx", Reachable: false, Reason: "dropped by nftables"}
	snmp := facts.Listener{Transport: "udp", Address: "0.0.0.0", Port: 161, Process: "snmpd", Reachable: true}

	base := facts.HostAudit{Hostname: "clinic-db", Addresses: []string{"127.0.0.1", "::1", "fe80::1"}, Listeners: []facts.Listener{py, py6, redis, used, loop, loop6, firewalled, snmp}}

	tests := []struct {
		name  string
		obs   *facts.Observation
		want  []string // host port transport
		never []string
	}{
		{name: "no observation", obs: nil},
		{name: "SYN capture", obs: observed(ObserveAFPacket, map[string]int{"tcp/22": 3}),
			want: []string{"clinic-db 9000 tcp", "10.0.0.5 6379 tcp", "clinic-db 161 udp"}},
		{name: "UDP used", obs: observed(ObserveAFPacket, map[string]int{"tcp/22": 1, "udp/161": 4, "tcp/6379": 1}),
			want: []string{"clinic-db 9000 tcp"}},
		{name: "proc cannot see UDP", obs: observed(ObserveProc, map[string]int{"tcp/22": 1}),
			want: []string{"clinic-db 9000 tcp", "10.0.0.5 6379 tcp"}},
		{name: "everything used", obs: observed(ObserveAFPacket, map[string]int{"tcp/22": 1, "udp/161": 1, "tcp/6379": 1, "tcp/9000": 9})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := base
			h.Observation = tc.obs
			got := JudgeUnused(&h)
			var keys []string
			for _, f := range got {
				keys = append(keys, f.Host+" "+strconv.Itoa(f.Port)+" "+f.Transport)
				if f.Check != "port.open-unused" || f.Severity != finding.Medium {
					t.Errorf("%s: check %s severity %s", f.ID, f.Check, f.Severity)
				}
				for _, bad := range []int{5432, 5433, 8080} {
					if f.Port == bad {
						t.Errorf("reported a loopback-only or firewalled listener: %+v", f)
					}
				}
			}
			if !sameSet(keys, tc.want) {
				t.Errorf("findings %v, want %v", keys, tc.want)
			}
		})
	}
}

func TestJudgeUnusedEvidenceAndFix(t *testing.T) {
	h := &facts.HostAudit{Hostname: "h",
		Listeners: []facts.Listener{
			{Transport: "tcp", Address: "0.0.0.0", Port: 9000, PID: 1234, Process: "python3", User: "www-data", Cmdline: "python3 -m http.server 9000", Reachable: true, Reason: "bound to 0.0.0.0"},
			{Transport: "tcp", Address: "::", Port: 9000, PID: 1234, Process: "python3", User: "www-data", Reachable: true},
			{Transport: "tcp", Address: "10.0.0.5", Port: 2222, PID: 50, Process: "sshd", Reachable: true},
			{Transport: "tcp", Address: "0.0.0.0", Port: 6379, PID: 77, Process: "redis-server", Unit: "redis-server.service", Reachable: true},
			{Transport: "tcp", Address: "0.0.0.0", Port: 5432, PID: 90, Process: "postgres", Unit: "postgresql@15-main.service", Reachable: true},
		},
		SSHD:       []facts.SSHDConfig{{PID: 50, ConfigFile: "/srv/ssh/sshd_config"}},
		Redis:      []facts.RedisConfig{{PID: 77, ConfigFile: "/etc/redis/redis.conf", Port: 6379}},
		PostgreSQL: []facts.PostgreSQLConfig{{PID: 90, ConfigFile: "/etc/postgresql/15/main/postgresql.conf", Port: 5432}},
		Firewall:   facts.Firewall{Kind: "none"},
	}
	h.Observation = observed(ObserveAFPacket, map[string]int{})
	byPort := map[int]finding.Finding{}
	for _, f := range JudgeUnused(h) {
		byPort[f.Port] = f
	}
	if len(byPort) != 4 {
		t.Fatalf("got %d findings, want 4 (9000 once for 0.0.0.0 and ::): %v", len(byPort), byPort)
	}
	tests := []struct {
		port           int
		evidence, fix  []string
		unexpectedText []string
	}{
		{9000,
			[]string{"python3 (pid 1234, user www-data) listens on 0.0.0.0:9000 and [::]:9000/tcp", "bound to 0.0.0.0", "no inbound connection in 20s of SYN capture"},
			[]string{"kill 1234 (python3, started as: python3 -m http.server 9000)", "127.0.0.1:9000",
				`nft add table inet vigil && nft add chain inet vigil input '{ type filter hook input priority 0; }' && nft add rule inet vigil input iifname != "lo" tcp dport 9000 drop`},
			[]string{"systemctl"}},
		{2222, []string{"sshd (pid 50)"},
			[]string{"in /srv/ssh/sshd_config replace the ListenAddress lines with \"ListenAddress 127.0.0.1:2222\"", "sshd -t -f /srv/ssh/sshd_config",
				`nft add rule inet vigil input iifname != "lo" ip daddr 10.0.0.5 tcp dport 2222 drop`}, nil},
		{6379, []string{"unit redis-server.service"},
			[]string{"systemctl disable --now redis-server.service", "in /etc/redis/redis.conf set \"bind 127.0.0.1 -::1\", then systemctl restart redis-server.service"}, nil},
		{5432, nil,
			[]string{"systemctl disable --now postgresql@15-main.service", "in /etc/postgresql/15/main/postgresql.conf set listen_addresses = 'localhost'"}, nil},
	}
	for _, tc := range tests {
		f, ok := byPort[tc.port]
		if !ok {
			t.Errorf("no finding for port %d", tc.port)
			continue
		}
		for _, s := range tc.evidence {
			if !strings.Contains(f.Evidence, s) {
				t.Errorf("port %d evidence %q lacks %q", tc.port, f.Evidence, s)
			}
		}
		for _, s := range tc.fix {
			if !strings.Contains(f.Recommendation, s) {
				t.Errorf("port %d fix %q lacks %q", tc.port, f.Recommendation, s)
			}
		}
		for _, s := range tc.unexpectedText {
			if strings.Contains(f.Recommendation, s) {
				t.Errorf("port %d fix %q should not mention %q", tc.port, f.Recommendation, s)
			}
		}
	}
	// The same facts judged twice give the same IDs.
	again := JudgeUnused(h)
	for _, f := range again {
		if byPort[f.Port].ID != f.ID {
			t.Errorf("port %d: ID changed from %s to %s", f.Port, byPort[f.Port].ID, f.ID)
		}
	}
}

func TestJudgeUnusedNamesTheMachinesAddresses(t *testing.T) {
	h := &facts.HostAudit{Hostname: "h", Addresses: []string{"127.0.0.1", "192.168.1.5", "fd00::5", "fe80::1", "::1"},
		Listeners: []facts.Listener{
			{Transport: "tcp", Address: "0.0.0.0", Port: 9000, Process: "python3", Reachable: true},
			{Transport: "tcp", Address: "::", Port: 9000, Process: "python3", Reachable: true},
			{Transport: "tcp", Address: "::", Port: 9001, Process: "node", Reachable: true},
		},
		Observation: observed(ObserveAFPacket, nil)}
	var got []string
	for _, f := range JudgeUnused(h) {
		got = append(got, f.Host+" "+strconv.Itoa(f.Port))
	}
	want := []string{"192.168.1.5 9000", "fd00::5 9000", "192.168.1.5 9001", "fd00::5 9001"}
	if !sameSet(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestFirewallCommandIptables(t *testing.T) {
	h := &facts.HostAudit{Firewall: facts.Firewall{Kind: "iptables"}}
	got := FirewallCommand(h, facts.Listener{Transport: "udp", Address: "fd00::5", Port: 161})
	want := "ip6tables -I INPUT ! -i lo -d fd00::5 -p udp --dport 161 -j DROP"
	if !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want it to start with %q", got, want)
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		20 * time.Second: "20s", 5 * time.Minute: "5m", 90 * time.Minute: "1h30m", 24 * time.Hour: "24h",
		20*time.Second + 400*time.Millisecond: "20s", 61 * time.Second: "1m1s", 0: "under a second",
	} {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}
