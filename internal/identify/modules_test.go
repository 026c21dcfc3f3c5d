package identify

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
)

// fakeSession answers any datagram that starts with "pong".
type fakeSession struct{ env module.UDPEnv }

func (f *fakeSession) Request(try int) []byte { return []byte{'p', 'i', 'n', 'g', byte(try)} }
func (f *fakeSession) Answer(b []byte, s *facts.Service) (bool, bool) {
	if string(b) != "pong" {
		return false, false
	}
	s.Name = "fake"
	return true, true
}

// TestModuleAdapters: a module's entry points reach identification's
// registries unchanged: its banner matcher with its follow-up, its TCP
// probe (inside TLS only when it asks), and its UDP session with the
// socket's ends.
func TestModuleAdapters(t *testing.T) {
	var gotEnv module.UDPEnv
	ms := []module.Module{
		{Name: "fake",
			Banner: func(b []byte, s *facts.Service) (*module.FollowUp, error) {
				if string(b) != "HELLO\n" {
					return nil, module.NoMatch("fake", "no hello")
				}
				s.Name = "fake"
				return &module.FollowUp{Req: []byte("VERSION\n"), Done: func([]byte) bool { return true },
					Next: func(resp []byte, s *facts.Service) { s.Version = string(resp) }}, nil
			},
			Probe: func(ctx context.Context, c module.Conn, s *facts.Service) ([]byte, error) {
				s.Name, s.TLS = "fake", c.TLS()
				return nil, nil
			},
			UDP: func(e module.UDPEnv) module.UDPSession { gotEnv = e; return &fakeSession{env: e} }},
		{Name: "plain", Probe: func(context.Context, module.Conn, *facts.Service) ([]byte, error) { return nil, nil }, ProbeTLS: false},
	}

	matchers := moduleMatchers(ms)
	if len(matchers) != 1 || matchers[0].name != "fake" {
		t.Fatalf("matchers %+v", matchers)
	}
	var s facts.Service
	if _, err := matchers[0].match([]byte("nope"), &s); !errors.Is(err, ErrNoMatch) {
		t.Errorf("a mismatch gave %v, want ErrNoMatch", err)
	}
	f, err := matchers[0].match([]byte("HELLO\n"), &s)
	if err != nil || f == nil || string(f.req) != "VERSION\n" || !f.done(nil) {
		t.Fatalf("follow-up %+v, %v", f, err)
	}
	f.next([]byte("1.2"), &s)
	if s.Name != "fake" || s.Version != "1.2" {
		t.Errorf("after the follow-up: %+v", s)
	}

	if p := moduleProbes(ms, false); len(p) != 2 {
		t.Errorf("plain probes %d, want 2", len(p))
	}
	inTLS := moduleProbes(ms, true)
	if len(inTLS) != 0 {
		t.Errorf("probes inside TLS %d, want none (no module asked)", len(inTLS))
	}
	ms[0].ProbeTLS = true
	inTLS = moduleProbes(ms, true)
	if len(inTLS) != 1 || inTLS[0].name != "fake" {
		t.Fatalf("probes inside TLS %+v", inTLS)
	}
	var ps facts.Service
	if _, err := inTLS[0].run(t.Context(), &layer{tls: true}, &ps); err != nil || ps.Name != "fake" || !ps.TLS {
		t.Errorf("probe: %v %+v", err, ps)
	}

	udp := moduleUDPProbes(ms)
	if len(udp) != 1 || udp[0].name != "fake" {
		t.Fatalf("UDP probes %+v", udp)
	}
	local, remote := netip.MustParseAddrPort("127.0.0.1:5000"), netip.MustParseAddrPort("127.0.2.1:9")
	ss := udp[0].start(udpEnv{opt: Options{NoDefaultCreds: true}, local: local, remote: remote})
	if gotEnv.Local != local || gotEnv.Remote != remote || !gotEnv.NoDefaultCreds {
		t.Errorf("env %+v", gotEnv)
	}
	if string(ss.request(1)) != "ping\x01" {
		t.Errorf("request %q", ss.request(1))
	}
	var us facts.Service
	if m, c := ss.answer([]byte("pong"), &us); !m || !c || us.Name != "fake" {
		t.Errorf("answer %v %v %+v", m, c, us)
	}
}
