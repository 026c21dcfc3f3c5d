// Package auditconn opens the connections an audit makes to the port it
// inspects: through vigil's one dialer, within a deadline, and inside TLS
// when the port speaks TLS from the first byte.
package auditconn

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
)

// DefaultTimeout bounds an exchange when neither the audit's options nor
// the dialer say.
const DefaultTimeout = 3 * time.Second

// Timeout returns t when set, else the dialer's timeout, else
// DefaultTimeout.
func Timeout(d *dialer.Dialer, t time.Duration) time.Duration {
	if t <= 0 && d != nil {
		t = d.Timeout()
	}
	if t <= 0 {
		t = DefaultTimeout
	}
	return t
}

// Dial opens a TCP connection to addr, inside TLS when tlsFirst, with SNI
// serverName ("" for none). The certificate is not checked: inspecting it
// is the TLS audit's job. The connect and the handshake each get timeout.
func Dial(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, timeout time.Duration, tlsFirst bool, serverName string) (net.Conn, error) {
	c, err := d.Dial(ctx, "tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	if !tlsFirst {
		return c, nil
	}
	tc := tls.Client(c, &tls.Config{
		InsecureSkipVerify: true, // inspection, not trust: the TLS audit judges the chain
		ServerName:         serverName,
		MinVersion:         tls.VersionTLS10,
	})
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("TLS handshake with %s failed: %w", addr, err)
	}
	return tc, nil
}
