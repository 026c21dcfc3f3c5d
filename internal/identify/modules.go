package identify

import (
	"context"
	"net"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
)

// This file adapts the identification entry points of protocol modules
// (internal/protocols) to the registries in probes.go.

// moduleMatchers returns the banner matchers of ms, in order.
func moduleMatchers(ms []module.Module) []matcher {
	var out []matcher
	for _, m := range ms {
		if m.Banner == nil {
			continue
		}
		match := m.Banner
		out = append(out, matcher{m.Name, func(b []byte, s *facts.Service) (*followUp, error) {
			f, err := match(b, s)
			if err != nil || f == nil {
				return nil, err
			}
			return &followUp{req: f.Req, done: f.Done, next: f.Next}, nil
		}})
	}
	return out
}

// moduleProbes returns the TCP probes of ms, in order: those that also
// run inside TLS when inTLS.
func moduleProbes(ms []module.Module, inTLS bool) []probe {
	var out []probe
	for _, m := range ms {
		if m.Probe == nil || (inTLS && !m.ProbeTLS) {
			continue
		}
		run := m.Probe
		out = append(out, probe{m.Name, func(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
			return run(ctx, moduleConn{l}, s)
		}})
	}
	return out
}

// moduleUDPProbes returns the UDP probes of ms, in order.
func moduleUDPProbes(ms []module.Module) []udpProbe {
	var out []udpProbe
	for _, m := range ms {
		if m.UDP == nil {
			continue
		}
		start := m.UDP
		out = append(out, udpProbe{m.Name, func(e udpEnv) udpSession {
			return moduleSession{start(module.UDPEnv{Local: e.local, Remote: e.remote, NoDefaultCreds: e.opt.NoDefaultCreds})}
		}})
	}
	return out
}

// moduleConn is a layer as a module's probe sees it.
type moduleConn struct{ l *layer }

func (c moduleConn) Exchange(ctx context.Context, req []byte, max int, done func([]byte) bool) ([]byte, error) {
	return c.l.exchange(ctx, req, max, done)
}
func (c moduleConn) Open(ctx context.Context) (net.Conn, error) { return c.l.open(ctx) }
func (c moduleConn) Timeout() time.Duration                     { return c.l.opt.Timeout }
func (c moduleConn) TLS() bool                                  { return c.l.tls }
func (c moduleConn) ServerName() string                         { return c.l.opt.ServerName }

// moduleSession is a module's UDP session as the UDP scheduler sees it.
type moduleSession struct{ s module.UDPSession }

func (m moduleSession) request(try int) []byte { return m.s.Request(try) }
func (m moduleSession) answer(b []byte, s *facts.Service) (bool, bool) {
	return m.s.Answer(b, s)
}
