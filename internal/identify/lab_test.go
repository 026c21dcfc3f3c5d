package identify

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"

	"github.com/vigilsec/vigil/lab"
)

// hostileKinds are the lab servers that speak no protocol at all: they must
// come out "unknown", quickly bounded, with a banner safe to print.
var hostileKinds = map[string]bool{"trickle": true, "flood": true, "escape": true}

// TestLabServices identifies every service of the lab (real Debian daemons,
// hostile servers and protocol emulators on 127.0.2.x) and compares with
// what the lab's manifest says correct identification reports.
func TestLabServices(t *testing.T) {
	m := lab.Require(t)
	// Loopback, and the hosts parts put in network namespaces of their own.
	hosts := map[netip.Addr]bool{}
	for _, s := range m.Services {
		hosts[s.AddrPort().Addr()] = true
	}
	d, err := dialer.New(dialer.Config{Concurrency: 64, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() || hosts[a] })
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{} // the defaults a scan uses
	for _, svc := range m.Services {
		t.Run(svc.ID, func(t *testing.T) {
			t.Parallel()
			addr := svc.AddrPort()
			if !addr.IsValid() {
				t.Fatalf("manifest host %q is not an address", svc.Host)
			}
			var got = newService()
			switch svc.Transport {
			case "tcp":
				got = TCP(t.Context(), d, addr, opt)
			case "udp":
				var ok bool
				got, ok = UDP(t.Context(), d, addr, opt)
				if !ok && svc.Name != "unknown" {
					t.Fatalf("%s/udp: nothing answered", addr)
				}
			default:
				t.Fatalf("transport %q", svc.Transport)
			}
			t.Logf("%s %s/%s: name %q tls %v product %q version %q banner %q", svc.ID, addr, svc.Transport, got.Name, got.TLS, got.Product, got.Version, got.Banner)
			if got.Port != svc.Port || got.Transport != svc.Transport {
				t.Errorf("port/transport %d/%s, want %d/%s", got.Port, got.Transport, svc.Port, svc.Transport)
			}
			for i := 0; i < len(got.Banner); i++ {
				if c := got.Banner[i]; c < 0x20 || c == 0x1b || c == 0x7f {
					t.Fatalf("Banner holds raw byte %#x: %q", c, got.Banner)
				}
			}
			assertPrintable(t, got)
			if hostileKinds[svc.Hostile] {
				if got.Name != "unknown" {
					t.Errorf("hostile %s server identified as %q, want unknown", svc.Hostile, got.Name)
				}
				return
			}
			if got.Name != svc.Name || got.TLS != svc.TLS || got.Product != svc.Product {
				t.Errorf("got name %q tls %v product %q; manifest says %q %v %q (%s)", got.Name, got.TLS, got.Product, svc.Name, svc.TLS, svc.Product, svc.Notes)
			}
			if svc.Version != "" && got.Version != svc.Version {
				t.Errorf("version %q, manifest says %q", got.Version, svc.Version)
			}
		})
	}
}
