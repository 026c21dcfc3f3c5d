package hostaudit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

// reachCase is one listener and what the firewall makes of it.
type reachCase struct {
	transport, bind string
	port            int
	reachable       bool
	reason          string // a part of the reason
}

// richCases are the verdicts of testdata/rules_rich.nft (an inet table
// with policy drop, a named set, ranges, source limits, a jump, a verdict
// map, and a second ip table that drops 3389).
var richCases = []reachCase{
	{"tcp", "0.0.0.0", 22, true, "nftables accepts tcp/22 from anywhere (rule: tcp dport 22 accept)"},
	{"tcp", "10.0.0.5", 443, true, "bound to 10.0.0.5; nftables accepts tcp/443 from anywhere (rule: tcp dport { 80, 443 } accept)"},
	{"tcp", "::", 5432, true, "accepts tcp/5432 only from 10.0.0.0/8"},
	{"tcp", "0.0.0.0", 3306, false, "dropped by nftables rule: tcp dport 3306 drop"},
	{"tcp", "0.0.0.0", 9005, true, "accepts tcp/9005 only from 192.168.1.0/24"},
	{"tcp", "0.0.0.0", 2222, true, "accepts tcp/2222 only from 192.168.1.0/24"},
	{"tcp", "0.0.0.0", 6005, true, "tcp dport 6000-6010 accept"},
	{"udp", "0.0.0.0", 53, true, "accepts udp/53 from anywhere"},
	{"udp", "0.0.0.0", 51820, true, "udp dport 51820 accept"},
	{"tcp", "0.0.0.0", 8080, true, `only when iifname "wg0"`},
	{"tcp", "0.0.0.0", 25, true, "tcp dport 25 accept"}, // in the jumped-to chain
	{"tcp", "0.0.0.0", 7000, true, "vmap"},
	{"tcp", "0.0.0.0", 7001, false, "dropped by nftables rule"},
	{"tcp", "0.0.0.0", 23, false, "dropped by nftables rule: tcp dport 23 reject"},
	{"tcp", "0.0.0.0", 3389, false, "dropped by nftables input policy drop"},
	{"tcp", "0.0.0.0", 9999, false, "dropped by nftables input policy drop"},
	{"udp", "0.0.0.0", 22, false, "dropped by nftables input policy drop"},
	{"tcp", "127.0.0.1", 3306, false, "bound to 127.0.0.1: loopback only"},
	{"tcp", "::1", 22, false, "bound to ::1: loopback only"},
}

func checkReach(t *testing.T, rs *Ruleset, cases []reachCase) {
	t.Helper()
	for _, c := range cases {
		ok, why := rs.Reach(c.transport, c.bind, c.port)
		if ok != c.reachable || !strings.Contains(why, c.reason) {
			t.Errorf("%s %s:%d: reachable %v (%s); want %v (%s)", c.transport, c.bind, c.port, ok, why, c.reachable, c.reason)
		}
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNftRich(t *testing.T) {
	rs, err := ParseNftJSON(readFixture(t, "nft_rich.json"))
	if err != nil {
		t.Fatal(err)
	}
	checkReach(t, rs, richCases)
	fw := rs.Facts()
	if fw.Kind != KindNftables || fw.InputPolicy != "drop" || !fw.Filtering {
		t.Errorf("facts = %s %s %v", fw.Kind, fw.InputPolicy, fw.Filtering)
	}
	want := map[string]facts.PortRule{
		"tcp/22":    {Transport: "tcp", Port: 22, Rule: "tcp dport 22 accept", Family: "inet", Table: "filter", Chain: "input", Handle: 8},
		"tcp/5432":  {Transport: "tcp", Port: 5432, From: "10.0.0.0/8", Rule: "tcp dport 5432 ip saddr 10.0.0.0/8 accept", Family: "inet", Table: "filter", Chain: "input", Handle: 11},
		"tcp/6000":  {Transport: "tcp", Port: 6000, PortEnd: 6010, Rule: "tcp dport 6000-6010 accept", Family: "inet", Table: "filter", Chain: "input", Handle: 13},
		"tcp/2222":  {Transport: "tcp", Port: 2222, From: "192.168.1.0/24", Rule: "tcp dport @admin_ports ip saddr 192.168.1.0/24 accept", Family: "inet", Table: "filter", Chain: "input", Handle: 14, Set: "admin_ports"},
		"tcp/25":    {Transport: "tcp", Port: 25, Rule: "tcp dport 25 accept", Family: "inet", Table: "filter", Chain: "services", Handle: 22},
		"udp/51820": {Transport: "udp", Port: 51820, Rule: "udp dport 51820 accept", Family: "inet", Table: "filter", Chain: "input", Handle: 12},
	}
	got := map[string]facts.PortRule{}
	for _, r := range fw.Allowed {
		got[fmt.Sprintf("%s/%d", r.Transport, r.Port)] = r
		if r.Port == 3306 || r.Port == 23 || r.Port == 7001 || r.Port == 3389 {
			t.Errorf("a dropped port is listed as allowed: %+v", r)
		}
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("allowed %s = %+v\nwant %+v", k, got[k], w)
		}
	}
}

func TestNftLabFirewalledHost(t *testing.T) {
	rs, err := ParseNftJSON(readFixture(t, "nft_vigil_fw.json"))
	if err != nil {
		t.Fatal(err)
	}
	checkReach(t, rs, []reachCase{
		{"tcp", "0.0.0.0", 22, true, "accepts tcp/22 from anywhere"},
		{"tcp", "10.77.0.2", 64999, true, "accepts tcp/64999"},
		{"tcp", "0.0.0.0", 7, false, "dropped by nftables input policy drop"},
		{"udp", "0.0.0.0", 53, false, "dropped by nftables input policy drop"},
	})
	if n := len(rs.Facts().Allowed); n != 44 {
		t.Errorf("%d allowed ports, want the lab's 44", n)
	}
}

func TestIptablesSave(t *testing.T) {
	rs := &Ruleset{Kind: KindIptables, Chains: append(ParseIptablesSave(readFixture(t, "iptables_save.txt"), "ip"),
		ParseIptablesSave(readFixture(t, "ip6tables_save.txt"), "ip6")...)}
	checkReach(t, rs, []reachCase{
		{"tcp", "0.0.0.0", 22, true, "iptables accepts tcp/22 from anywhere (rule: -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT)"},
		{"tcp", "0.0.0.0", 6379, true, "accepts tcp/6379 only from 10.0.0.0/8"},
		{"tcp", "0.0.0.0", 8050, true, "--dport 8000:8100"},
		{"udp", "0.0.0.0", 161, true, "-A SERVICES -p udp -m udp --dport 161 -j ACCEPT"},
		{"tcp", "0.0.0.0", 25, false, "dropped by iptables input policy drop"},
		{"udp", "0.0.0.0", 162, false, "dropped by iptables input policy drop"},
		// IPv6: ip6tables has an INPUT chain with policy ACCEPT.
		{"tcp", "2001:db8::5", 25, true, "the input policy accepts"},
	})
	fw := rs.Facts()
	if fw.Kind != KindIptables || fw.InputPolicy != "drop" || !fw.Filtering {
		t.Errorf("facts = %+v", fw)
	}
	var ports []string
	for _, r := range fw.Allowed {
		ports = append(ports, fmt.Sprintf("%s/%d-%d %s", r.Transport, r.Port, r.PortEnd, r.From))
	}
	want := "tcp/22-0 ,tcp/5432-0 10.0.0.0/8,tcp/6379-0 10.0.0.0/8,tcp/8000-8100 ,udp/161-0 ,tcp/443-0 "
	if got := strings.Join(ports, ","); got != want {
		t.Errorf("allowed = %s\nwant      %s", got, want)
	}
}

func TestIptablesRuleOptions(t *testing.T) {
	tests := []struct {
		line  string
		check func(r Rule) bool
	}{
		{`-A INPUT -p tcp --dport ! 22 -j DROP`, func(r Rule) bool { return r.Ports == nil && len(r.Other) == 1 && r.Verdict == "drop" }},
		{`-A INPUT ! -s 10.0.0.0/8 -p udp --dport 53 -j ACCEPT`, func(r Rule) bool { return r.From == "anywhere but 10.0.0.0/8" }},
		{`-A INPUT -i eth0 -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT`, func(r Rule) bool {
			return len(r.Ports) == 3 && r.Ports[2] == PortRange{8000, 8080} && r.Other[0] == "-i eth0"
		}},
		{`-A INPUT -p icmp --icmp-type 8 -j ACCEPT`, func(r Rule) bool { return r.Transports != nil && len(r.Transports) == 0 }},
		{`-A INPUT -m state --state NEW -p tcp --dport 22 -j ACCEPT`, func(r Rule) bool { return !r.Established && len(r.Other) == 0 }},
		{`-A INPUT -m comment --comment "a -j DROP \"quoted\"" -j LOG`, func(r Rule) bool { return r.Verdict == "" }},
		{`-A INPUT -p 6 --dport 1024: -g OTHER`, func(r Rule) bool {
			return r.Transports[0] == "tcp" && r.Ports[0] == PortRange{1024, 65535} && r.Verdict == "goto" && r.Target == "OTHER"
		}},
	}
	for _, tt := range tests {
		args := splitArgs(tt.line)
		if r := iptablesRule(args[2:], tt.line); !tt.check(r) {
			t.Errorf("%s\n  parsed as %+v", tt.line, r)
		}
	}
}

// fakeFirewall answers the firewall commands with captured real output.
type fakeFirewall map[string]string

func (f fakeFirewall) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	out, ok := f[strings.Join(append([]string{name}, args...), " ")]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, ErrNoCommand)
	}
	return []byte(out), nil
}

func (fakeFirewall) ReadFile(context.Context, string) ([]byte, error) { return nil, os.ErrNotExist }

func TestFirewallChoosesTheSource(t *testing.T) {
	rich := string(readFixture(t, "nft_rich.json"))
	compat := string(readFixture(t, "nft_from_iptables.json"))
	ipt := string(readFixture(t, "iptables_save.txt"))
	ip6 := string(readFixture(t, "ip6tables_save.txt"))
	empty := `{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}]}`
	tests := []struct {
		name     string
		commands fakeFirewall
		kind     string
		reach22  bool
		err      bool
	}{
		{"nftables", fakeFirewall{"nft -j list ruleset": rich, "iptables-save": "", "ip6tables-save": ""}, KindNftables, true, false},
		// iptables-nft: xtables matches in nft JSON; iptables-save has them whole.
		{"iptables-nft", fakeFirewall{"nft -j list ruleset": compat, "iptables-save": ipt, "ip6tables-save": ip6}, KindIptables, true, false},
		{"iptables-legacy", fakeFirewall{"nft -j list ruleset": empty, "iptables-save": ipt, "ip6tables-save": ip6}, KindIptables, true, false},
		{"no nft", fakeFirewall{"iptables-save": ipt}, KindIptables, true, false},
		{"none", fakeFirewall{"nft -j list ruleset": empty, "iptables-save": "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"}, KindNone, true, false},
		{"no tools", fakeFirewall{}, KindUnknown, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := firewall(t.Context(), tt.commands)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v", err)
			}
			if rs.Facts().Kind != tt.kind {
				t.Errorf("kind %s, want %s", rs.Facts().Kind, tt.kind)
			}
			if ok, why := rs.Reach("tcp", "0.0.0.0", 22); ok != tt.reach22 {
				t.Errorf("tcp/22: %v (%s)", ok, why)
			}
		})
	}
	// With iptables-nft, the conntrack rule is understood (from iptables-save)
	// instead of making every port conditional.
	rs, _ := firewall(t.Context(), fakeFirewall{"nft -j list ruleset": compat, "iptables-save": ipt, "ip6tables-save": ip6})
	checkReach(t, rs, []reachCase{{"tcp", "0.0.0.0", 9999, false, "dropped by iptables input policy drop"}})
}

// nsTarget runs commands inside a network namespace.
type nsTarget struct{ ns string }

func (n nsTarget) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return Local().Run(ctx, "ip", append([]string{"netns", "exec", n.ns, name}, args...)...)
}

func (n nsTarget) ReadFile(ctx context.Context, path string) ([]byte, error) {
	return n.Run(ctx, "cat", "--", path)
}

// newNetns creates a network namespace that the test deletes at its end.
// It skips without root (fails under CI=true).
func newNetns(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("network namespace tests need root")
		}
		t.Skip("network namespace tests need root")
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	ns := "vigil-ha-" + hex.EncodeToString(b[:])
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	if out, err := exec.Command("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v: %s", err, out)
	}
	return ns
}

// TestFirewallLive loads real rulesets into a namespace and reads them back
// through the collector: nftables, then iptables (nf_tables backend).
func TestFirewallLive(t *testing.T) {
	ns := newNetns(t)
	ctx := t.Context()
	tg := nsTarget{ns}
	rs, err := firewall(ctx, tg)
	if err != nil || rs.Facts().Kind != KindNone {
		t.Fatalf("a new namespace has firewall %+v, %v; want none", rs.Facts(), err)
	}
	if out, err := tg.Run(ctx, "nft", "-f", "testdata/rules_rich.nft"); err != nil {
		t.Fatalf("nft -f: %v %s", err, out)
	}
	rs, err = firewall(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	checkReach(t, rs, richCases)

	if _, err := tg.Run(ctx, "nft", "flush", "ruleset"); err != nil {
		t.Fatal(err)
	}
	for _, rule := range [][]string{
		{"-P", "INPUT", "DROP"},
		{"-A", "INPUT", "-i", "lo", "-j", "ACCEPT"},
		{"-A", "INPUT", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"},
		{"-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"},
		{"-A", "INPUT", "-s", "10.0.0.0/8", "-p", "tcp", "-m", "multiport", "--dports", "5432,6379", "-j", "ACCEPT"},
	} {
		if out, err := tg.Run(ctx, "iptables", rule...); err != nil {
			t.Skipf("iptables cannot run here: %v %s", err, out)
		}
	}
	rs, err = firewall(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	checkReach(t, rs, []reachCase{
		{"tcp", "0.0.0.0", 22, true, "iptables accepts tcp/22 from anywhere"},
		{"tcp", "0.0.0.0", 5432, true, "only from 10.0.0.0/8"},
		{"tcp", "0.0.0.0", 80, false, "dropped by iptables input policy drop"},
	})
}

func FuzzParseNftJSON(f *testing.F) {
	for _, n := range []string{"nft_rich.json", "nft_vigil_fw.json", "nft_from_iptables.json"} {
		f.Add(readFixture(f, n))
	}
	f.Add([]byte(`{"nftables":[{"rule":{"family":"inet","table":"t","chain":"c","expr":[{"vmap":{"key":{"payload":{"protocol":"tcp","field":"dport"}},"data":{"set":[[22,{"accept":null}],[{"range":[1,5]},{"jump":{"target":"x"}}]]}}}]}},{"chain":{"family":"inet","table":"t","name":"c","type":"filter","hook":"input","policy":"drop"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := ParseNftJSON(b)
		if err != nil {
			return
		}
		rs.Facts()
		rs.Reach("tcp", "0.0.0.0", 22)
		rs.Reach("udp", "::", 53)
	})
}

func FuzzParseIptablesSave(f *testing.F) {
	f.Add(readFixture(f, "iptables_save.txt"))
	f.Add([]byte("*filter\n:INPUT DROP [0:0]\n-A INPUT -j A\n-A A -j INPUT\n-A A -p tcp --dport 1:2 -g A\nCOMMIT\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs := &Ruleset{Kind: KindIptables, Chains: ParseIptablesSave(b, "ip")}
		rs.Facts()
		rs.Reach("tcp", "0.0.0.0", 22)
	})
}
