package hostaudit

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

func TestNamedArgs(t *testing.T) {
	for _, tc := range []struct {
		argv         []string
		file, chroot string
	}{
		{[]string{"/usr/sbin/named", "-f", "-u", "bind"}, "", ""},
		{[]string{"named", "-g", "-u", "root", "-c", "/tmp/x/named.conf"}, "/tmp/x/named.conf", ""},
		{[]string{"named", "-c/etc/n.conf", "-t", "/var/named/chroot"}, "/etc/n.conf", "/var/named/chroot"},
		{[]string{"named", "-gc", "/a.conf", "-t/jail"}, "/a.conf", "/jail"},
		{[]string{"named", "-u", "-c", "-c", "/b.conf"}, "/b.conf", ""}, // -u takes "-c" as its user
	} {
		file, chroot := namedArgs(tc.argv)
		if file != tc.file || chroot != tc.chroot {
			t.Errorf("namedArgs(%q) = %q, %q; want %q, %q", tc.argv, file, chroot, tc.file, tc.chroot)
		}
	}
}

// bindView returns the view called name.
func bindView(t *testing.T, c facts.BindConfig, name string) facts.BindView {
	t.Helper()
	for _, v := range c.Views {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no view %q in %+v", name, c.Views)
	return facts.BindView{}
}

func TestCollectBind(t *testing.T) {
	const main = "/etc/bind/named.conf"
	type zoneWant struct {
		open       bool
		from       string // substring of TransferFrom; "" for the default
		unresolved bool
	}
	for _, tc := range []struct {
		name  string
		files fakeFiles
		argv  []string
		// want, for the view named view
		view                 string
		recursion, open      bool
		by                   string
		unresolved           bool
		zones                map[string]zoneWant
		versionSet           bool
		chaos, chaosVersion  string
		listen               []string
		incomplete           bool
		sourceKey, sourceHas string
	}{
		{name: "defaults: recursion yes, localnets and localhost, transfers to all",
			files: fakeFiles{main: `options { directory "/var/cache/bind"; };
zone "example.org" { type primary; file "db.example"; };
zone "other.org" { type secondary; primaries { 192.0.2.1; }; };`},
			recursion: true, by: "default", listen: []string{"any"},
			zones: map[string]zoneWant{"example.org": {open: true}, "other.org": {open: true}}},
		{name: "allow-query any stands in for allow-recursion",
			files:     fakeFiles{main: `options { allow-query { any; }; };`},
			recursion: true, open: true, by: "allow-query", listen: []string{"any"}},
		{name: "allow-query-cache comes before allow-query",
			files:     fakeFiles{main: `options { allow-query { any; }; allow-query-cache { 10.0.0.0/8; localhost; }; };`},
			recursion: true, by: "allow-query-cache", listen: []string{"any"}},
		{name: "recursion no: allow-query any is not recursion",
			files:     fakeFiles{main: `options { recursion no; allow-query { any; }; allow-transfer { none; }; version none; listen-on { 10.0.0.5; }; };` + "\nzone \"a.test\" { type master; file \"a\"; };"},
			recursion: false, open: false, by: "default", versionSet: true, listen: []string{"10.0.0.5"},
			zones: map[string]zoneWant{"a.test": {open: false, from: "allow-transfer { none; }"}}},
		{name: "an acl that resolves to any, through another acl",
			files: fakeFiles{main: `acl inner { any; };
acl "outer" { inner; };
options { allow-recursion { outer; }; allow-transfer { !10/8; outer; }; };
zone "z.test" { type primary; file "z"; allow-transfer { key xfr; 192.0.2.7; }; };
zone "y.test" { type primary; file "y"; };`},
			recursion: true, open: true, by: "allow-recursion", listen: []string{"any"},
			zones: map[string]zoneWant{"z.test": {open: false, from: "192.0.2.7"}, "y.test": {open: true, from: "!10/8"}}},
		{name: "negated any first closes; a nested negated list opens",
			files: fakeFiles{main: `options { allow-recursion { !any; any; }; allow-transfer { !{ 10/8; }; }; };
zone "n.test" { type primary; file "n"; };`},
			recursion: true, open: false, by: "allow-recursion", listen: []string{"any"},
			// !{10/8} does not match an outside address: nothing matches, so it is refused.
			zones: map[string]zoneWant{"n.test": {open: false, from: "allow-transfer"}}},
		{name: "a 0/0 prefix is everyone",
			files:     fakeFiles{main: `options { allow-recursion { 127.0.0.1; ::/0; }; allow-query-cache { 10/8; }; };`},
			recursion: true, open: true, by: "allow-recursion", listen: []string{"any"}},
		{name: "prefixes of length 0 in any spelling; a key is no address",
			files: fakeFiles{main: `options { allow-recursion { key "k"; 10.1.0.0/0; }; };
zone "a.test" { type primary; file "a"; allow-transfer { 0/0; }; };
zone "b.test" { type primary; file "b"; allow-transfer { key "xfr"; 10/8; localnets; localhost; }; };`},
			recursion: true, open: true, by: "allow-recursion", listen: []string{"any"},
			zones: map[string]zoneWant{"a.test": {open: true, from: "0/0"}, "b.test": {open: false, from: "10/8"}}},
		{name: "an undefined acl is not judged",
			files: fakeFiles{main: `options { allow-recursion { trusted; }; };
zone "u.test" { type primary; file "u"; allow-transfer { secondaries; }; };`},
			recursion: true, open: false, by: "allow-recursion", unresolved: true, listen: []string{"any"},
			zones: map[string]zoneWant{"u.test": {unresolved: true, from: "secondaries"}}},
		{name: "views inherit the options; a zone overrides; a CHAOS view",
			files: fakeFiles{main: `options { recursion yes; allow-recursion { any; }; allow-transfer { any; }; listen-on port 53 { 127.0.2.40; }; listen-on-v6 { none; };
};
view "lab-chaos" chaos { recursion no; zone "version.bind" chaos { type primary; database "_builtin version"; }; };
view "lab" in { zone "a.test" { type primary; file "a"; }; zone "b.test" { type primary; file "b"; allow-transfer { none; }; }; };`},
			view: "lab", recursion: true, open: true, by: "allow-recursion", chaos: "lab-chaos", chaosVersion: "_builtin version",
			listen: []string{"127.0.2.40", "none"}, sourceKey: "listen-on", sourceHas: "named.conf:1: listen-on port 53 { 127.0.2.40; };",
			zones: map[string]zoneWant{"a.test": {open: true, from: "named.conf:1: allow-transfer { any; }"}, "b.test": {open: false, from: "named.conf:4"}}},
		{name: "a view for internal clients only is not open",
			files: fakeFiles{main: `options { allow-recursion { any; }; };
view "inside" { match-clients { 10.0.0.0/8; }; zone "i.test" { type primary; file "i"; }; };`},
			view: "inside", recursion: true, open: false, by: "allow-recursion", listen: []string{"any"},
			zones: map[string]zoneWant{"i.test": {open: false}}},
		{name: "includes, with a wildcard, read in place",
			files: fakeFiles{main: `include "/etc/bind/named.conf.options";
include "/etc/bind/zones/*.conf";`,
				"/etc/bind/named.conf.options": `options { allow-recursion { any; }; version "hidden"; };`,
				"/etc/bind/zones/a.conf":       `zone "inc.test" { type primary; file "x"; };`},
			recursion: true, open: true, by: "allow-recursion", versionSet: true, listen: []string{"any"},
			sourceKey: "allow-recursion", sourceHas: "/etc/bind/named.conf.options:1: allow-recursion { any; };",
			zones: map[string]zoneWant{"inc.test": {open: true}}},
		{name: "a missing include leaves the configuration incomplete",
			files:     fakeFiles{main: `include "/etc/bind/gone.conf"; options { allow-recursion { any; }; };`},
			recursion: true, open: true, by: "allow-recursion", listen: []string{"any"}, incomplete: true},
		{name: "a relative include is not guessed",
			files:     fakeFiles{main: `include "named.conf.local"; options { };`},
			recursion: true, by: "default", listen: []string{"any"}, incomplete: true},
		{name: "chroot: paths are inside it",
			argv: []string{"named", "-t", "/var/named/chroot", "-c", "/etc/named.conf"},
			files: fakeFiles{"/var/named/chroot/etc/named.conf": `include "/etc/named.inc"; options { allow-query { any; }; };`,
				"/var/named/chroot/etc/named.inc": `zone "c.test" { type primary; file "c"; allow-transfer { none; }; };`},
			recursion: true, open: true, by: "allow-query", listen: []string{"any"},
			zones: map[string]zoneWant{"c.test": {open: false, from: "/var/named/chroot/etc/named.inc:1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			argv := tc.argv
			if argv == nil {
				argv = []string{"/usr/sbin/named", "-f", "-u", "bind"}
			}
			cfg, errs := collectBind(t.Context(), asSelf(tc.files, &process{PID: 7, Args: argv}, "named", ""))
			if tc.incomplete != (len(cfg.Incomplete) > 0) || len(errs) != len(cfg.Incomplete) {
				t.Fatalf("incomplete = %q (errs %q), want incomplete %v", cfg.Incomplete, errs, tc.incomplete)
			}
			v := bindView(t, cfg, tc.view)
			if v.Recursion != tc.recursion || v.RecursionOpen != tc.open || v.AllowRecursionBy != tc.by || (v.Unresolved != "") != tc.unresolved {
				t.Errorf("view = %+v", v)
			}
			if cfg.VersionSet != tc.versionSet || cfg.ChaosView != tc.chaos || cfg.ChaosVersion != tc.chaosVersion {
				t.Errorf("version %q set %v, chaos %q %q", cfg.Version, cfg.VersionSet, cfg.ChaosView, cfg.ChaosVersion)
			}
			if !slices.Equal(cfg.ListenOn, tc.listen) {
				t.Errorf("listen-on = %q, want %q", cfg.ListenOn, tc.listen)
			}
			if tc.sourceKey != "" && !strings.HasSuffix(cfg.Sources[tc.sourceKey], tc.sourceHas) {
				t.Errorf("source of %s = %q, want …%q", tc.sourceKey, cfg.Sources[tc.sourceKey], tc.sourceHas)
			}
			got := map[string]facts.BindZone{}
			for _, z := range v.Zones {
				got[z.Name] = z
			}
			if len(got) != len(tc.zones) {
				t.Errorf("zones = %+v, want %d", v.Zones, len(tc.zones))
			}
			for name, w := range tc.zones {
				z := got[name]
				if z.TransferOpen != w.open || (z.Unresolved != "") != w.unresolved || !strings.Contains(z.TransferFrom, w.from) || (w.from == "" && z.TransferFrom != "") {
					t.Errorf("zone %s = %+v, want %+v", name, z, w)
				}
			}
		})
	}
}

// named-checkconf is offered only on this machine: fixes run here.
func TestCollectBindDoesNotRunCheckconfRemotely(t *testing.T) {
	files := fakeFiles{"/etc/bind/named.conf": `options { version none; };`}
	cfg, _ := collectBind(t.Context(), asSelf(files, &process{PID: 3, Args: []string{"named"}}, "named", ""))
	if cfg.Checkconf != "" {
		t.Errorf("Checkconf = %q on a target that is not this machine", cfg.Checkconf)
	}
	if cfg.ConfigFile != "/etc/bind/named.conf" || !cfg.VersionSet {
		t.Errorf("cfg = %+v", cfg)
	}
}
