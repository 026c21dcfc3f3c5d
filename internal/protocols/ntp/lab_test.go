package ntp_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/protocols/ntp"
	"github.com/vigilsec/vigil/lab"
)

// TestLabNTP measures the lab part dns's NTP servers: the weak one (labd
// playing ntpd 4.2.6) amplifies with mode 6 and mode 7, chronyd answers
// neither.
func TestLabNTP(t *testing.T) {
	m := lab.RequirePart(t, "dns-ntp-weak", "dns-ntp-hard")
	d, err := dialer.New(dialer.Config{Concurrency: 4, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   string
		want map[string]string // check → a part of its evidence
	}{
		{"dns-ntp-weak", map[string]string{
			"ntp.mode6": "one 12-byte READVAR request drew 1 datagrams",
			"ntp.mode7": "one 48-byte MON_GETLIST_1 request drew 10 datagrams, 4400 bytes: amplification 91.7× (60 recent-client entries)"}},
		{"dns-ntp-hard", nil},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			svc := m.Find(tt.id)
			if svc.ID == "" {
				t.Fatalf("the lab has no %s", tt.id)
			}
			s := facts.Service{Port: svc.Port, Transport: facts.UDP, Name: "ntp"}
			if err := ntp.Module.Audit.Run(t.Context(), module.Env{Dialer: d}, svc.AddrPort(), &s); err != nil {
				t.Fatal(err)
			}
			got := 0
			for _, f := range check.JudgeScan([]facts.Host{{Address: svc.Host, Services: []facts.Service{s}}}, check.Scope{Now: time.Now()}) {
				if !strings.HasPrefix(f.Check, "ntp.") {
					continue
				}
				t.Logf("%s %s: %s", f.Check, f.Severity, f.Evidence)
				got++
				if ev, ok := tt.want[f.Check]; !ok {
					t.Errorf("unexpected %s", f.Check)
				} else if !strings.Contains(f.Evidence, ev) {
					t.Errorf("%s evidence %q lacks %q", f.Check, f.Evidence, ev)
				}
			}
			if got != len(tt.want) {
				t.Errorf("%d findings, want %v", got, tt.want)
			}
		})
	}
}
