package rdpaudit

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/lab"
)

// TestLabNLA asks the lab's RDP servers for TLS alone and standard RDP
// security alone: xrdp grants both; FreeRDP's shadow server with /sec:nla
// answers HYBRID_REQUIRED_BY_SERVER to both.
func TestLabNLA(t *testing.T) {
	m := lab.Require(t)
	d, err := dialer.New(dialer.Config{Concurrency: 4, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id, tls, rdp string
		without      bool
	}{
		{"rdp-weak", "tls", "rdp", true},
		{"rdp-hard", "hybrid-required", "hybrid-required", false},
	} {
		svc := m.Find(tt.id)
		if svc.ID == "" {
			t.Skipf("the lab has no %s (part smbrdp not up)", tt.id)
		}
		s := &facts.Service{Port: svc.Port, Transport: facts.TCP, Name: "rdp"}
		if err := Audit(t.Context(), d, svc.AddrPort(), s, Options{}); err != nil {
			t.Fatalf("%s: %v", tt.id, err)
		}
		accepts, ok := s.RDP.AcceptsWithoutNLA()
		if s.RDP.TLSOnly != tt.tls || s.RDP.RDPOnly != tt.rdp || !ok || accepts != tt.without {
			t.Errorf("%s: %+v, want TLS alone %q, RDP alone %q", tt.id, s.RDP, tt.tls, tt.rdp)
		}
	}
}
