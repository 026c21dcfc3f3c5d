package access

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
)

// newDialer is the dialer tests use: loopback only.
func newDialer(t testing.TB) *dialer.Dialer {
	t.Helper()
	d, err := dialer.New(dialer.Config{Concurrency: 64, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// assertPrintable fails when a string the audit kept holds a control byte.
func assertPrintable(t testing.TB, s *facts.Service, a *facts.Access) {
	t.Helper()
	check := func(field, v string) {
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] == 0x7f {
				t.Fatalf("%s holds raw control byte %#x: %q", field, v[i], v)
			}
		}
	}
	for k, v := range s.Details {
		check("Details["+k+"]", v)
	}
	if a == nil {
		return
	}
	check("HTTPAuth", a.HTTPAuth)
	check("Unauthenticated", a.Unauthenticated)
	for _, l := range [][]string{a.PlaintextAuth, a.DefaultCredentials, a.Versions, a.SecurityTypes} {
		for _, v := range l {
			check("list entry", v)
		}
	}
}
