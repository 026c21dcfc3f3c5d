package fix

import (
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

// memFiles is a machine of configuration files for the BIND plans.
type memFiles map[string]string

func (m memFiles) read(p string, _ Guard) ([]byte, fs.FileMode, error) {
	if b, ok := m[p]; ok {
		return []byte(b), 0o644, nil
	}
	return nil, 0, fs.ErrNotExist
}

func (m memFiles) glob(pat string) ([]string, error) {
	var out []string
	for p := range m {
		if ok, _ := path.Match(pat, p); ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

const bindMain = "/etc/bind/named.conf"

// weakNamed is the lab's weak twin's configuration (lab/parts/dns.sh).
const weakNamed = `options {
    directory "/var/cache/bind";
    listen-on port 53 { 127.0.4.53; };
    recursion yes; allow-recursion { any; }; allow-query { any; };
    allow-transfer { any; };
};
zone "open.test" { type primary; file "open.zone"; };
zone "own.test" { type primary; file "own.zone"; allow-transfer { any; }; };
zone "sec.test" { type primary; file "sec.zone"; allow-transfer { 10.0.0.2; }; };
`

func bindListener(pid int, unit string) facts.Listener {
	return facts.Listener{Transport: "tcp", Address: "127.0.4.53", Port: 53, PID: pid, Process: "named", Unit: unit, Cmdline: "named -g -u root -c " + bindMain}
}

// bindAudit is a host audit with one named whose configuration is c.
func bindAudit(c facts.BindConfig, ls ...facts.Listener) *facts.HostAudit {
	if len(ls) == 0 {
		ls = []facts.Listener{bindListener(c.PID, "")}
	}
	u := ls[0]
	u.Transport = "udp"
	ls = append(ls, u)
	return &facts.HostAudit{Hostname: "ns1", Listeners: ls, Bind: []facts.BindConfig{c}}
}

// weakBindFacts are what the host audit says of weakNamed.
func weakBindFacts() facts.BindConfig {
	return facts.BindConfig{PID: 53, ConfigFile: bindMain, Checkconf: "/usr/bin/named-checkconf", ListenOn: []string{"127.0.4.53"},
		Views: []facts.BindView{{Recursion: true, RecursionFrom: bindMain + ":4: recursion yes;",
			AllowRecursion: []string{"any"}, AllowRecursionBy: "allow-recursion", AllowRecursionFrom: bindMain + ":4: allow-recursion { any; };", RecursionOpen: true,
			Zones: []facts.BindZone{
				{Name: "open.test", Type: "primary", TransferOpen: true, TransferFrom: bindMain + ":5: allow-transfer { any; };"},
				{Name: "own.test", Type: "primary", TransferOpen: true, TransferFrom: bindMain + ":8: allow-transfer { any; };"},
				{Name: "sec.test", Type: "primary", TransferFrom: bindMain + ":9: allow-transfer { 10.0.0.2; };"},
			}}}}
}

func bindPlan(t *testing.T, files memFiles, h *facts.HostAudit, f finding.Finding, svc *facts.Service) (*Plan, error) {
	t.Helper()
	return MakePlan(Input{Finding: f, Service: svc, Host: h, ReadFile: files.read, Glob: files.glob, FixID: "T1", Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
}

var bindSvc = &facts.Service{Port: 53, Transport: "tcp", Name: "dns", Product: "BIND", Version: "9.18.49"}

func TestBindPlans(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   memFiles
		facts   func(c *facts.BindConfig)
		finding finding.Finding
		svc     *facts.Service
		// want maps each file changed to what it must become.
		want map[string]string
	}{
		{name: "recursion: the options' own list is replaced, the rest of its line stays",
			files: memFiles{bindMain: weakNamed}, finding: find("dns.recursion.open", "127.0.4.53", 53, "udp", ""), svc: bindSvc,
			want: map[string]string{bindMain: strings.Replace(weakNamed, "    recursion yes; allow-recursion { any; };",
				"    // vigil fix T1 replaced: allow-recursion { any; };\n    recursion yes; allow-recursion { localhost; localnets; };", 1)}},
		{name: "recursion through allow-query: allow-recursion is added to the options",
			files: memFiles{bindMain: "options {\n\tallow-query { any; };\n};\n"},
			facts: func(c *facts.BindConfig) {
				c.Views = []facts.BindView{{Recursion: true, AllowRecursionBy: "allow-query", AllowRecursionFrom: bindMain + ":2: allow-query { any; };", RecursionOpen: true}}
			},
			finding: find("dns.config.recursion", "127.0.4.53", 53, "tcp", ""),
			want:    map[string]string{bindMain: "options {\n\tallow-query { any; };\n\t// Set by vigil fix T1\n\tallow-recursion { localhost; localnets; };\n};\n"}},
		{name: "recursion in a view: the view gets it, the other view keeps its own",
			files: memFiles{bindMain: "options { allow-query-cache { any; }; };\nview \"outside\" {\n\tmatch-clients { any; };\n};\nview \"inside\" { allow-query-cache { 10/8; }; };\n"},
			facts: func(c *facts.BindConfig) {
				c.Views = []facts.BindView{
					{Name: "outside", Recursion: true, AllowRecursionBy: "allow-query-cache", AllowRecursionFrom: bindMain + ":1: allow-query-cache { any; };", RecursionOpen: true},
					{Name: "inside", Recursion: true, AllowRecursionBy: "allow-query-cache", AllowRecursionFrom: bindMain + ":5: allow-query-cache { 10/8; };"},
				}
			},
			finding: find("dns.recursion.open", "127.0.4.53", 53, "udp", ""), svc: bindSvc,
			want: map[string]string{bindMain: "options { allow-query-cache { any; }; };\nview \"outside\" {\n\tmatch-clients { any; };\n\t// Set by vigil fix T1\n\tallow-recursion { localhost; localnets; };\n};\nview \"inside\" { allow-query-cache { 10/8; }; };\n"}},
		{name: "transfers: open lists replaced, the stricter one kept",
			files: memFiles{bindMain: weakNamed}, finding: find("dns.axfr.open", "127.0.4.53", 53, "tcp", "open.test"), svc: bindSvc,
			want: map[string]string{bindMain: strings.NewReplacer(
				"    allow-transfer { any; };\n", "    // vigil fix T1 replaced: allow-transfer { any; };\n    allow-transfer { none; };\n",
				`zone "own.test" { type primary; file "own.zone"; allow-transfer { any; }; };`,
				"// vigil fix T1 replaced: allow-transfer { any; };\n"+`zone "own.test" { type primary; file "own.zone"; allow-transfer { none; }; };`,
			).Replace(weakNamed)}},
		{name: "transfers by default: the options get none, in an included file",
			files: memFiles{bindMain: "include \"/etc/bind/named.conf.options\";\ninclude \"/etc/bind/zones/*.conf\";\n",
				"/etc/bind/named.conf.options": "options { directory \"/var/cache/bind\"; };\n",
				"/etc/bind/zones/a.conf":       "zone \"a.test\" { type master; file \"a\"; };\n"},
			facts: func(c *facts.BindConfig) {
				c.Views = []facts.BindView{{Zones: []facts.BindZone{{Name: "a.test", Type: "master", TransferOpen: true}}}}
			},
			finding: find("dns.config.axfr", "127.0.4.53", 53, "tcp", "a.test"),
			want:    map[string]string{"/etc/bind/named.conf.options": "options { directory \"/var/cache/bind\";\n\t// Set by vigil fix T1\n\tallow-transfer { none; };\n};\n"}},
		{name: "version: added to the options",
			files: memFiles{bindMain: weakNamed}, finding: find("dns.version.disclosed", "127.0.4.53", 53, "udp", ""), svc: bindSvc,
			want: map[string]string{bindMain: strings.Replace(weakNamed, "    allow-transfer { any; };\n};", "    allow-transfer { any; };\n\t// Set by vigil fix T1\n\tversion none;\n\t// Set by vigil fix T1\n\thostname none;\n};", 1)}},
		{name: "version: a version string is replaced",
			files:   memFiles{bindMain: "options {\n  version \"9.9.9\";\n  hostname none;\n};\n"},
			facts:   func(c *facts.BindConfig) { c.Version, c.VersionSet = "9.9.9", true },
			finding: find("dns.version.disclosed", "127.0.4.53", 53, "udp", ""), svc: &facts.Service{Name: "dns"},
			want: map[string]string{bindMain: "options {\n  // vigil fix T1 replaced: version \"9.9.9\";\n  version none;\n  hostname none;\n};\n"}},
		{name: "no options block: one is added at the end",
			files:   memFiles{bindMain: "zone \"z.test\" { type primary; file \"z\"; };"},
			facts:   func(c *facts.BindConfig) { c.Views = nil },
			finding: find("dns.config.version", "127.0.4.53", 53, "tcp", ""),
			want:    map[string]string{bindMain: "zone \"z.test\" { type primary; file \"z\"; };\n// Set by vigil fix T1\noptions {\n\tversion none;\n};\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := weakBindFacts()
			if tc.facts != nil {
				tc.facts(&c)
			}
			p, err := bindPlan(t, tc.files, bindAudit(c), tc.finding, tc.svc)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, e := range p.Edits {
				got[e.Path] = string(e.After)
				if string(e.Before) != tc.files[e.Path] {
					t.Errorf("%s: Before is not the file", e.Path)
				}
			}
			for f, want := range tc.want {
				if got[f] != want {
					t.Errorf("%s becomes\n%s\nwant\n%s", f, got[f], want)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("changed %d files, want %d", len(got), len(tc.want))
			}
			if p.Applier != "named" || len(p.Validate) != 1 || !slices.Equal(p.Validate[0].Argv, []string{"/usr/bin/named-checkconf", bindMain}) {
				t.Errorf("plan %+v", p)
			}
			if len(p.Reload) != 1 || p.Reload[0].Kind != StepSignal || p.Reload[0].Signal != "HUP" || p.Reload[0].PID != 53 || p.Reload[0].Match != "named" {
				t.Errorf("reload %+v", p.Reload)
			}
			if len(p.Verify) != 1 || p.Verify[0].Kind != StepListen || p.Verify[0].Addr != "127.0.4.53:53" {
				t.Errorf("verify %+v", p.Verify)
			}
		})
	}
}

func TestBindPlanChrootAndUnit(t *testing.T) {
	c := weakBindFacts()
	c.Chroot = "/var/named/chroot"
	c.ConfigFile = "/etc/named.conf"
	host := "/var/named/chroot/etc/named.conf"
	c.Views[0].AllowRecursionFrom = host + ":4: allow-recursion { any; };"
	p, err := bindPlan(t, memFiles{host: weakNamed}, bindAudit(c, bindListener(53, "named.service")), find("dns.config.recursion", "127.0.4.53", 53, "tcp", ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Edits) != 1 || p.Edits[0].Path != host || !strings.Contains(string(p.Edits[0].After), "allow-recursion { localhost; localnets; };") {
		t.Errorf("edits %+v", p.Edits)
	}
	if !slices.Equal(p.Validate[0].Argv, []string{"/usr/bin/named-checkconf", "-t", "/var/named/chroot", "/etc/named.conf"}) {
		t.Errorf("validate %v", p.Validate[0].Argv)
	}
	if !slices.Equal(p.Reload[0].Argv, []string{"systemctl", "reload", "named.service"}) {
		t.Errorf("reload %+v", p.Reload)
	}
	if !strings.Contains(strings.Join(p.Notes, " "), "recursion no; would also stop the resolver your own networks use") {
		t.Errorf("notes %q", p.Notes)
	}
}

func TestBindPlanRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   memFiles
		facts   func(h *facts.HostAudit)
		finding finding.Finding
		svc     *facts.Service
		want    string
	}{
		{name: "an unreadable include", facts: func(h *facts.HostAudit) { h.Bind[0].Incomplete = []string{"cannot read /etc/bind/x.conf"} },
			finding: find("dns.recursion.open", "127.0.4.53", 53, "udp", ""), svc: bindSvc, want: "could not read all of named's configuration (cannot read /etc/bind/x.conf)"},
		{name: "no named-checkconf vigil may run", facts: func(h *facts.HostAudit) { h.Bind[0].Checkconf = "" },
			finding: find("dns.recursion.open", "127.0.4.53", 53, "udp", ""), svc: bindSvc, want: "found none it may run as root"},
		{name: "the file of another named", facts: func(h *facts.HostAudit) {
			o := weakBindFacts()
			o.PID = 54
			h.Bind = append(h.Bind, o)
		}, finding: find("dns.axfr.open", "127.0.4.53", 53, "tcp", "open.test"), svc: bindSvc, want: "also the configuration of another named (pid 54)"},
		{name: "an include another named reads too", files: memFiles{
			bindMain:                "include \"/etc/bind/shared.conf\";\n",
			"/etc/bind/shared.conf": "options { allow-query { any; }; };\n",
			"/etc/bind/other.conf":  "include \"/etc/bind/shared.conf\";\n",
		}, facts: func(h *facts.HostAudit) {
			h.Bind[0].Views = []facts.BindView{{Recursion: true, RecursionOpen: true, AllowRecursionBy: "allow-query", AllowRecursionFrom: "/etc/bind/shared.conf:1: allow-query { any; };"}}
			o := weakBindFacts()
			o.PID, o.ConfigFile = 54, "/etc/bind/other.conf"
			h.Bind = append(h.Bind, o)
		}, finding: find("dns.recursion.open", "127.0.4.53", 53, "udp", ""), svc: bindSvc, want: "/etc/bind/shared.conf is also read by another named (pid 54, /etc/bind/other.conf)"},
		{name: "the hard twin: nothing open", facts: func(h *facts.HostAudit) {
			h.Bind[0].Views[0].RecursionOpen = false
		}, finding: find("dns.recursion.open", "127.0.4.53", 53, "udp", ""), svc: bindSvc, want: "no view of this named that offers recursion to any address"},
		{name: "an acl the audit could not resolve", facts: func(h *facts.HostAudit) {
			h.Bind[0].Views[0].Zones[0].Unresolved = `acl "secondaries" is not defined`
		}, finding: find("dns.axfr.open", "127.0.4.53", 53, "tcp", "open.test"), svc: bindSvc, want: `acl "secondaries" is not defined`},
		{name: "the file changed since the audit", files: memFiles{bindMain: "options {\n};\n"},
			finding: find("dns.recursion.open", "127.0.4.53", 53, "udp", ""), svc: bindSvc, want: "no longer sets allow-recursion on line 4"},
		{name: "an include inside a block", files: memFiles{bindMain: "options { include \"/etc/bind/o.conf\"; };\n"},
			finding: find("dns.version.disclosed", "127.0.4.53", 53, "udp", ""), svc: bindSvc, want: "an include statement inside a block"},
		{name: "version and hostname already none", files: memFiles{bindMain: "options { version none; hostname none; };"},
			finding: find("dns.config.version", "127.0.4.53", 53, "tcp", ""), want: "already say version none; and hostname none;"},
		{name: "another DNS server", finding: find("dns.recursion.open", "127.0.4.53", 53, "udp", ""),
			svc: &facts.Service{Name: "dns", Product: "Unbound", Version: "1.17.1"}, want: "runs Unbound 1.17.1"},
		{name: "a process that is not named", facts: func(h *facts.HostAudit) {
			h.Bind = nil
			for i := range h.Listeners {
				h.Listeners[i].Process = "unbound"
			}
		}, finding: find("dns.recursion.open", "127.0.4.53", 53, "udp", ""), want: "served by unbound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := bindAudit(weakBindFacts())
			if tc.facts != nil {
				tc.facts(h)
			}
			files := tc.files
			if files == nil {
				files = memFiles{bindMain: weakNamed}
			}
			p, err := bindPlan(t, files, h, tc.finding, tc.svc)
			if err == nil {
				t.Fatalf("plan made: %s", p.Text())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func TestBindOffer(t *testing.T) {
	for _, tc := range []struct {
		check string
		svc   *facts.Service
		want  bool
	}{
		{"dns.recursion.open", bindSvc, true},
		{"dns.axfr.open", &facts.Service{Name: "dns", Product: "bind"}, true},
		{"dns.version.disclosed", &facts.Service{Name: "dns", Product: "Unbound"}, false},
		// The hard twin hides its version: no product, so no promise for a
		// network finding, but a host audit's own finding is named's.
		{"dns.recursion.open", &facts.Service{Name: "dns"}, false},
		{"dns.config.recursion", nil, true},
		{"dns.config.axfr", &facts.Service{Name: "dns"}, true},
		{"dns.config.version", &facts.Service{Name: "http"}, false},
	} {
		if got := Offer(finding.Finding{Check: tc.check}, tc.svc); got != tc.want {
			t.Errorf("Offer(%s, %+v) = %v, want %v", tc.check, tc.svc, got, tc.want)
		}
	}
	// A network finding on a server of unknown product is not refused:
	// the host audit then says whether named holds the port.
	if err := Supports(finding.Finding{Check: "dns.axfr.open"}, &facts.Service{Name: "dns"}); err != nil {
		t.Errorf("Supports of an unknown DNS server: %v", err)
	}
	if err := Supports(finding.Finding{Check: "dns.axfr.open", Host: "h", Port: 53}, &facts.Service{Name: "dns", Product: "NSD"}); !errors.Is(err, ErrNoApplier) {
		t.Errorf("Supports of NSD: %v", err)
	}
}
