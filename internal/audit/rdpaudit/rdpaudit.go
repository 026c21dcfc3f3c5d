// Package rdpaudit learns whether an RDP server requires network-level
// authentication (NLA, CredSSP): it asks, on two fresh connections, for
// TLS alone and for standard RDP security alone ([MS-RDPBCGR] 2.2.1.1).
// A server that requires NLA answers both with HYBRID_REQUIRED_BY_SERVER
// (2.2.1.2.2); one that selects TLS or standard RDP security lets anyone
// reach its login screen before authenticating. Each connection ends after
// the Connection Confirm: nothing else is sent.
package rdpaudit

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/vigilsec/vigil/internal/audit/auditconn"
	"github.com/vigilsec/vigil/internal/codec/rdp"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/wire"
)

// Options tunes the audit.
type Options struct {
	// Timeout bounds each exchange; zero means the Dialer's timeout.
	Timeout time.Duration
}

// confirmCap caps the read of one Connection Confirm.
const confirmCap = 4096

// Applies reports whether Audit has anything to learn about s.
func Applies(s *facts.Service) bool {
	return s != nil && s.Name == proto.RDP && s.Transport == facts.TCP && !s.TLS
}

// Audit asks the server at addr for TLS alone and for standard RDP
// security alone and records the answers in s.RDP.
func Audit(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, s *facts.Service, opt Options) error {
	if !Applies(s) {
		return nil
	}
	if d == nil {
		return errors.New("rdp audit: no dialer")
	}
	opt.Timeout = auditconn.Timeout(d, opt.Timeout)
	if s.RDP == nil {
		s.RDP = &facts.RDP{}
	}
	var errs []error
	for _, q := range []struct {
		protocols uint32
		name      string
		into      *string
	}{
		{rdp.ProtocolSSL, "TLS", &s.RDP.TLSOnly},
		{rdp.ProtocolRDP, "standard RDP security", &s.RDP.RDPOnly},
	} {
		c, err := ask(ctx, d, addr, q.protocols, opt.Timeout)
		if err != nil {
			errs = append(errs, fmt.Errorf("asking for %s alone: %w", q.name, err))
			continue
		}
		*q.into = c.Answer()
	}
	return errors.Join(errs...)
}

// ask sends one Connection Request and parses the Confirm.
func ask(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, protocols uint32, timeout time.Duration) (rdp.Confirm, error) {
	c, err := d.Dial(ctx, "tcp", addr, timeout)
	if err != nil {
		return rdp.Confirm{}, err
	}
	defer c.Close()
	resp, err := wire.Exchange(ctx, c, rdp.ConnectionRequest(protocols), confirmCap, timeout, rdp.Complete)
	if err != nil && len(resp) == 0 {
		return rdp.Confirm{}, err
	}
	return rdp.ParseConfirm(resp)
}
