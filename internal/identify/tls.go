package identify

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"net"
	"sync"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/tlsinfo"
)

// tlsConfig is the client configuration identification uses: any
// certificate, TLS 1.0 and up, every suite Go implements (weak ones too, so
// that old servers still complete the handshake), no ALPN (a server with its
// own ALPN list would refuse a foreign one).
func tlsConfig(serverName string) *tls.Config {
	var suites []uint16
	for _, cs := range tls.CipherSuites() {
		suites = append(suites, cs.ID)
	}
	for _, cs := range tls.InsecureCipherSuites() {
		suites = append(suites, cs.ID)
	}
	return &tls.Config{
		InsecureSkipVerify: true, // identification, not trust: the TLS audit judges the chain
		MinVersion:         tls.VersionTLS10,
		CipherSuites:       suites,
		ServerName:         serverName,
	}
}

// tlsVersionName returns the facts name of a TLS version.
func tlsVersionName(v uint16) string { return tlsinfo.VersionName(v) }

// looksTLS reports whether b starts with what a TLS server sends first: a
// whole alert record, or a handshake record holding a whole ServerHello.
// Bytes that merely start like a record (a ServerHello cut in half, one
// that claims megabytes, random bytes) are not TLS.
func looksTLS(b []byte) bool {
	if len(b) < 5 || b[1] != 3 || b[2] > 4 {
		return false
	}
	n := int(binary.BigEndian.Uint16(b[3:5]))
	if n == 0 || n > 16384+2048 {
		return false
	}
	body := b[5:]
	switch b[0] {
	case 0x15: // alert: level (warning or fatal) and description
		return n == 2 && len(body) >= 2 && (body[0] == 1 || body[0] == 2)
	case 0x16: // handshake: a ServerHello, whole
		if len(body) < 4 || body[0] != 2 {
			return false
		}
		m := int(body[1])<<16 | int(body[2])<<8 | int(body[3])
		return m >= 38 && 4+m <= n && len(body) >= 4+m
	}
	return false
}

// recordConn keeps a copy of the first bytes read through it.
type recordConn struct {
	net.Conn
	mu  sync.Mutex
	buf []byte
	max int
}

func (c *recordConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		if room := c.max - len(c.buf); room > 0 {
			c.buf = append(c.buf, p[:min(n, room)]...)
		}
		c.mu.Unlock()
	}
	return n, err
}

func (c *recordConn) recorded() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.buf...)
}

// handshake runs a TLS client handshake over raw within the probe timeout.
func (l *layer) handshake(ctx context.Context, raw net.Conn) (*tls.Conn, error) {
	tc := tls.Client(raw, tlsConfig(l.opt.ServerName))
	hctx, cancel := context.WithTimeout(ctx, l.opt.Timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return nil, err
	}
	return tc, nil
}

// dialTLS opens a fresh TLS connection to the port (the open function of
// the layer inside TLS).
func (l *layer) dialTLS(ctx context.Context) (net.Conn, error) {
	raw, err := l.d.Dial(ctx, "tcp", l.addr, l.opt.Timeout)
	if err != nil {
		return nil, err
	}
	tc, err := l.handshake(ctx, raw)
	if err != nil {
		_ = raw.Close()
		return nil, err
	}
	return tc, nil
}

// probeTLS sends a TLS ClientHello. When the server completes the
// handshake, the protocol inside TLS is identified the same way as on a
// plain port (banner first, then client-first probes). A server that
// answers with TLS records but cannot complete a handshake with crypto/tls
// (SSLv3 only, exotic suites) is still TLS, with an unknown inner protocol.
func probeTLS(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	raw, err := l.open(ctx)
	if err != nil {
		return nil, ioNoMatch("tls", err)
	}
	rec := &recordConn{Conn: raw, max: 2048}
	tc, err := l.handshake(ctx, rec)
	if err != nil {
		_ = raw.Close()
		got := rec.recorded()
		if !looksTLS(got) {
			return got, ioNoMatch("tls", err)
		}
		s.Name, s.TLS = facts.Unknown, true
		s.SetDetail(facts.DetailTLSHandshake, clean(err.Error(), 256))
		return nil, nil
	}
	s.TLS = true
	st := tc.ConnectionState()
	s.SetDetail(facts.DetailTLSVersion, tlsVersionName(st.Version))
	s.SetDetail(facts.DetailTLSCipher, tls.CipherSuiteName(st.CipherSuite))
	inner := &layer{d: l.d, addr: l.addr, opt: l.opt, tls: true, bannerWait: bannerWaitFor(l.opt, l.addr.Port(), true),
		speculate: !serverFirstPort(l.addr.Port(), true)}
	inner.open = inner.dialTLS
	inner.identify(ctx, s, tc, ordered(tlsProbes, tlsHints(l.addr.Port())))
	return nil, nil
}
