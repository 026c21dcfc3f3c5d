package identify

import (
	"context"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

// assertPrintable fails when any string of s that came from the network
// holds a control byte (ESC among them), which sanitize must have escaped.
func assertPrintable(t testing.TB, s facts.Service) {
	t.Helper()
	check := func(field, v string) {
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] == 0x7f {
				t.Fatalf("%s holds raw control byte %#x: %q", field, v[i], v)
			}
		}
	}
	check("Name", s.Name)
	check("Product", s.Product)
	check("Version", s.Version)
	check("Banner", s.Banner)
	for k, v := range s.Details {
		check("Details key", k)
		check("Details["+k+"]", v)
	}
}

// runMatchers runs every banner matcher over b the way the engine does for
// an answer (no connection for a follow-up) and returns the service.
func runMatchers(ctx context.Context, b []byte) (facts.Service, bool) {
	l := &layer{opt: Options{}.normalised(nil)}
	s := facts.Service{Name: facts.Unknown}
	ok := l.matchBanner(ctx, nil, b, &s)
	return s, ok
}

// newService is an empty service as the engine starts with.
func newService() facts.Service {
	return facts.Service{Port: 1, Transport: facts.TCP, Name: facts.Unknown}
}
