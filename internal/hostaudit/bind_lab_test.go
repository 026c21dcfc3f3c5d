package hostaudit

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/lab"
)

// TestLabBind audits the lab's two BIND twins (and the canary root server,
// a third named) from their own command lines: the weak one's open
// recursion, open transfers and shown version are found in its named.conf
// and judged; the hard one gets no dns.config finding.
func TestLabBind(t *testing.T) {
	m := lab.Require(t)
	h, err := Collect(t.Context(), Local(), Options{Dialer: loopbackDialer(t)})
	if err != nil {
		t.Fatal(err)
	}
	weak, hard := m.Find("dns-bind-weak-tcp"), m.Find("dns-bind-hard-tcp")
	if weak.Host == "" || hard.Host == "" {
		t.Fatal("the lab's manifest has no dns-bind-weak-tcp or dns-bind-hard-tcp")
	}
	byFile := map[string]facts.BindConfig{}
	for _, c := range h.Bind {
		byFile[c.ConfigFile] = c
	}
	wc, ok := byFile[m.Dir+"/dns/bind-weak/named.conf"]
	if !ok {
		t.Fatalf("no configuration of the weak named among %+v (errors %q)", h.Bind, h.Errors)
	}
	hc, ok := byFile[m.Dir+"/dns/bind-hard/named.conf"]
	if !ok {
		t.Fatalf("no configuration of the hard named among %+v", h.Bind)
	}
	for _, c := range []facts.BindConfig{wc, hc} {
		if len(c.Incomplete) > 0 || c.PID == 0 || c.Checkconf == "" {
			t.Errorf("%s: pid %d, incomplete %q, named-checkconf %q", c.ConfigFile, c.PID, c.Incomplete, c.Checkconf)
		}
	}
	// The weak twin: a CHAOS view serving the built-in version, then the
	// view "lab" inheriting recursion and allow-transfer any.
	if wc.VersionSet || wc.ChaosView != "lab-chaos" || wc.ChaosVersion != "_builtin version" || len(wc.Views) != 1 || wc.ListenOn[0] != weak.Host {
		t.Errorf("weak named: %+v", wc)
	} else {
		v := wc.Views[0]
		if v.Name != "lab" || !v.Recursion || !v.RecursionOpen || v.AllowRecursionBy != "allow-recursion" {
			t.Errorf("weak view: %+v", v)
		}
		primaries := 0
		for _, z := range v.Zones {
			if z.Primary() {
				primaries++
				if !z.TransferOpen || !strings.Contains(z.TransferFrom, "allow-transfer { any; };") {
					t.Errorf("weak zone: %+v", z)
				}
			}
		}
		if primaries != 2 {
			t.Errorf("weak named has %d primary zones, want 2: %+v", primaries, v.Zones)
		}
	}
	if !hc.VersionSet || hc.Version != "none" || len(hc.Views) != 1 || hc.Views[0].Recursion {
		t.Errorf("hard named: %+v", hc)
	} else {
		for _, z := range hc.Views[0].Zones {
			if z.TransferOpen {
				t.Errorf("hard zone open: %+v", z)
			}
		}
	}

	fs := check.JudgeHostAudit(h, h.Time)
	conf := m.Dir + "/dns/bind-weak/named.conf:"
	requireFinding(t, fs, "dns.config.recursion", weak.Host, weak.Port, conf, "recursion yes;", "allow-recursion { any; };")
	requireFinding(t, fs, "dns.config.version", weak.Host, weak.Port, `view "lab-chaos" serves version.bind`)
	if got := findingsAt(fs, "dns.config.axfr", weak.Host, weak.Port); len(got) != 2 {
		t.Errorf("%d dns.config.axfr findings on the weak named, want 2 (its two primary zones)", len(got))
	}
	root := m.Dir + "/dns/root/named.conf"
	for _, f := range fs {
		if !strings.HasPrefix(f.Check, "dns.config.") {
			continue
		}
		if f.Host == hard.Host || strings.Contains(f.Evidence, root) {
			t.Errorf("the hardened named (or the canary root) has finding %s on %s:%d: %s", f.Check, f.Host, f.Port, f.Evidence)
		}
	}
	if _, ok := byFile[root]; !ok {
		t.Errorf("the canary root named was not read")
	}
}
