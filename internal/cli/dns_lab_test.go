package cli

import (
	"fmt"
	"slices"
	"testing"

	"github.com/vigilsec/vigil/lab"
)

// TestLabDNSScan scans the lab part dns end to end (identification, DNS
// and NTP audits, findings, levels), from the scanner's own network and
// then as from an untrusted one: open recursion is medium from inside and
// high from outside (the weak Unbound's host also runs a weak NSD, whose
// zone transfer is high either way); hardened twins stay at level 4 with no DNS or NTP
// finding at all.
func TestLabDNSScan(t *testing.T) {
	lab.RequirePart(t, "dns-bind-weak", "dns-bind-hard", "dns-unbound-weak", "dns-unbound-hard", "dns-nsd-weak", "dns-ntp-weak", "dns-ntp-hard")
	tests := []struct {
		untrusted bool
		levels    map[string]int
		findings  []string // "host port/transport check severity"
	}{
		{false, map[string]int{"127.0.2.40": 2, "127.0.2.41": 4, "127.0.2.42": 2, "127.0.2.43": 4, "127.0.2.44": 2}, []string{
			"127.0.2.40 53/udp dns.recursion.open medium",
			"127.0.2.40 53/tcp dns.axfr.open high",
			"127.0.2.42 53/udp dns.recursion.open medium",
			"127.0.2.42 5353/tcp dns.axfr.open high",
			"127.0.2.44 123/udp ntp.mode6 medium",
			"127.0.2.44 123/udp ntp.mode7 high",
		}},
		{true, map[string]int{"127.0.2.40": 2, "127.0.2.41": 4, "127.0.2.42": 2, "127.0.2.43": 4, "127.0.2.44": 2}, []string{
			"127.0.2.40 53/udp dns.recursion.open high",
			"127.0.2.42 53/udp dns.recursion.open high",
		}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("untrusted=%v", tt.untrusted), func(t *testing.T) {
			args := []string{"127.0.2.40-44", "-p", "53,5353", "--udp-ports", "53,123", "--no-store"}
			if tt.untrusted {
				args = append(args, "--untrusted")
			}
			doc := labScan(t, args...)
			var got []string
			for _, f := range doc.Findings {
				s := fmt.Sprintf("%s %d/%s %s %s", f.Host, f.Port, f.Transport, f.Check, f.Severity)
				got = append(got, s)
				t.Log(s, f.Subject, f.Evidence)
				if (f.Host == "127.0.2.41" || f.Host == "127.0.2.43") && f.Port != 0 {
					t.Errorf("hardened host: %s: %s", s, f.Evidence)
				}
			}
			for _, w := range tt.findings {
				if !slices.Contains(got, w) {
					t.Errorf("no finding %q", w)
				}
			}
			// BIND rate-limits CHAOS answers over UDP: the version may be
			// seen, and so reported, only over TCP.
			for _, h := range []string{"127.0.2.40", "127.0.2.42"} {
				if !slices.Contains(got, h+" 53/udp dns.version.disclosed low") && !slices.Contains(got, h+" 53/tcp dns.version.disclosed low") {
					t.Errorf("no dns.version.disclosed on %s", h)
				}
			}
			for _, h := range doc.Hosts {
				if want, ok := tt.levels[h.Address]; ok && h.Level != want {
					t.Errorf("%s: level %d, want %d", h.Address, h.Level, want)
				}
			}
		})
	}
}
