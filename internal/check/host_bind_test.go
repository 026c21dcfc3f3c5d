package check

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

// weakBind is a named like the lab's weak twin: open recursion, primary
// zones transferred to anyone, its version shown.
func weakBind() facts.BindConfig {
	const f = "/etc/bind/named.conf"
	return facts.BindConfig{PID: 40, ConfigFile: f, ListenOn: []string{"192.0.2.53"},
		Views: []facts.BindView{{Name: "", Recursion: true, RecursionFrom: f + ":3: recursion yes;",
			AllowRecursion: []string{"any"}, AllowRecursionBy: "allow-recursion", AllowRecursionFrom: f + ":4: allow-recursion { any; };", RecursionOpen: true,
			Zones: []facts.BindZone{
				{Name: "example.org", Type: "primary", TransferOpen: true, Source: f + ":9: zone \"example.org\""},
				{Name: "hint.", Type: "hint", TransferOpen: true},
				{Name: "sec.example.org", Type: "secondary", TransferOpen: true},
				{Name: "closed.example.org", Type: "master", AllowTransfer: []string{"none"}, TransferFrom: f + ":12: allow-transfer { none; };"},
			}}},
		Sources: map[string]string{}}
}

func bindWith(mod func(c *facts.BindConfig)) facts.BindConfig {
	c := weakBind()
	mod(&c)
	return c
}

func withBind(h *facts.HostAudit, cs ...facts.BindConfig) *facts.HostAudit {
	h.Bind = cs
	return h
}

func TestJudgeHostBind(t *testing.T) {
	addrs := []string{"127.0.0.1", "192.0.2.53"}
	named := func(addr string) facts.Listener { return tcp(addr, 53, 40, "named") }
	all := []string{"dns.config.recursion@192.0.2.53:53", "dns.config.axfr@192.0.2.53:53", "dns.config.version@192.0.2.53:53"}
	for _, tc := range []hostCase{
		{name: "weak: all three, on the listener",
			h:        withBind(machine(addrs, named("192.0.2.53")), weakBind()),
			want:     all,
			subject:  "example.org",
			evidence: []string{`named (pid 40) transfers primary zone "example.org"`, "BIND 9.18's default allows transfers to all hosts"},
			fix:      []string{"allow-transfer { none; }; in the options block of /etc/bind/named.conf", "named-checkconf /etc/bind/named.conf", "kill -HUP 40"}},
		{name: "recursion names the line and the unit",
			h: withBind(machine(addrs, facts.Listener{Transport: "tcp", Address: "192.0.2.53", Port: 53, PID: 40, Process: "named", Unit: "named.service"}),
				bindWith(func(c *facts.BindConfig) { c.Views[0].Zones = nil; c.VersionSet, c.Version = true, "none" })),
			want:     []string{"dns.config.recursion@192.0.2.53:53"},
			evidence: []string{"/etc/bind/named.conf:3: recursion yes;", "/etc/bind/named.conf:4: allow-recursion { any; };"},
			fix:      []string{"at line 4 of /etc/bind/named.conf", "systemctl reload named.service"}},
		{name: "recursion from allow-query, recursion left at its default",
			h: withBind(machine(addrs, named("192.0.2.53")), bindWith(func(c *facts.BindConfig) {
				c.Views[0].Zones, c.VersionSet = nil, true
				c.Views[0].RecursionFrom, c.Views[0].AllowRecursionBy = "", "allow-query"
			})),
			want:     []string{"dns.config.recursion@192.0.2.53:53"},
			evidence: []string{"recursion is not set, and named's default is yes", "allow-recursion is not set, so named uses allow-query"},
			fix:      []string{"in the options block of /etc/bind/named.conf"}},
		{name: "the hard twin: nothing",
			h: withBind(machine(addrs, named("192.0.2.53")), bindWith(func(c *facts.BindConfig) {
				c.VersionSet, c.Version = true, "none"
				c.Views[0].Recursion, c.Views[0].RecursionOpen = false, true // allow-query any, but no recursion
				for i := range c.Views[0].Zones {
					c.Views[0].Zones[i].TransferOpen = false
				}
			}))},
		{name: "restricted recursion (the default localnets; localhost) is silent",
			h: withBind(machine(addrs, named("192.0.2.53")), bindWith(func(c *facts.BindConfig) {
				c.Views[0].RecursionOpen, c.Views[0].AllowRecursionBy = false, "default"
			})),
			want: []string{"dns.config.axfr@192.0.2.53:53", "dns.config.version@192.0.2.53:53"}},
		{name: "on loopback only: silent",
			h: withBind(machine(addrs, named("127.0.0.1")), bindWith(func(c *facts.BindConfig) { c.ListenOn = []string{"127.0.0.1"} }))},
		{name: "no listener seen: listen-on decides (the default, every address)",
			h:    withBind(machine(addrs), bindWith(func(c *facts.BindConfig) { c.ListenOn = []string{"any"}; c.PID = 0 })),
			want: []string{"dns.config.recursion@192.0.2.53:53", "dns.config.axfr@192.0.2.53:53", "dns.config.version@192.0.2.53:53"}},
		{name: "an include vigil could not read: neither raised nor cleared",
			h: withBind(machine(addrs, named("192.0.2.53")), bindWith(func(c *facts.BindConfig) {
				c.Incomplete = []string{"cannot read /etc/bind/named.conf.local: permission denied"}
			}))},
		{name: "an undefined acl: that view is not judged, the rest is",
			h: withBind(machine(addrs, named("192.0.2.53")), bindWith(func(c *facts.BindConfig) {
				c.Views[0].Unresolved = `acl "trusted" is not defined`
				c.Views[0].Zones[0].Unresolved = `acl "secondaries" is not defined`
			})),
			want: []string{"dns.config.version@192.0.2.53:53"}},
		{name: "a CHAOS view that does not serve the built-in version hides it",
			h: withBind(machine(addrs, named("192.0.2.53")), bindWith(func(c *facts.BindConfig) {
				c.Views[0].RecursionOpen, c.Views[0].Zones = false, nil
				c.ChaosView, c.ChaosVersion = "chaos", "_builtin empty"
			}))},
		{name: "a CHAOS view serving the built-in version shows it",
			h: withBind(machine(addrs, named("192.0.2.53")), bindWith(func(c *facts.BindConfig) {
				c.Views[0].RecursionOpen, c.Views[0].Zones = false, nil
				c.ChaosView, c.ChaosVersion = "lab-chaos", "_builtin version"
			})),
			want:     []string{"dns.config.version@192.0.2.53:53"},
			evidence: []string{`view "lab-chaos" serves version.bind from named's built-in version`},
			fix:      []string{"Add version none; to the options block of /etc/bind/named.conf"}},
		{name: "views: one finding per open view",
			h: withBind(machine(addrs, named("192.0.2.53")), bindWith(func(c *facts.BindConfig) {
				c.VersionSet = true
				c.Views[0].Name, c.Views[0].Zones = "outside", nil
				c.Views = append(c.Views, facts.BindView{Name: "inside", Recursion: true, RecursionOpen: true, AllowRecursionBy: "allow-recursion"})
			})),
			want:     []string{"dns.config.recursion@192.0.2.53:53", "dns.config.recursion@192.0.2.53:53"},
			subject:  "inside",
			evidence: []string{`named's view "inside" (pid 40)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := judgeHostBind(tc.h, hostNow)
			assertHostFindings(t, fs, tc.want, tc.subject, tc.evidence, tc.fix)
		})
	}
	// Through JudgeHostAudit, each check fires once per zone and target.
	fs := JudgeHostAudit(withBind(machine(addrs, named("192.0.2.53")), weakBind()), hostNow)
	n := 0
	for _, f := range fs {
		if strings.HasPrefix(f.Check, "dns.config.") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("JudgeHostAudit made %d dns.config findings, want 3: %v", n, fs)
	}
}
