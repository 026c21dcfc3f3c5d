// Package fileshare audits file services read-only: it asks an NFS
// server's mount daemon (found through the port mapper) for its exports and
// who may mount them, and opens an iSCSI discovery session without CHAP to
// read the target names. The checks in package check judge what it records
// in the service's typed facts (facts.RPC, facts.ISCSI). rsync is a
// protocol module of its own (internal/protocols/rsync).
//
// # What is sent
//
// NFS: one MOUNTPROC_EXPORT call (RFC 1813
// appendix I) to the mountd the port mapper lists on the same address; no
// mount is made. iSCSI: a discovery-session login with AuthMethod=None and
// one SendTargets=All text request; no normal session, no SCSI command.
//
// Every read has a deadline and a size cap, and every string from the
// network is sanitised before it is recorded.
package fileshare

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/vigilsec/vigil/internal/audit/auditconn"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// Options tunes the audit.
type Options struct {
	// Timeout bounds each exchange; zero means the Dialer's timeout.
	Timeout time.Duration
}

// ErrProtocol means the server's answer did not follow its protocol.
var ErrProtocol = errors.New("unexpected answer")

// budgetExchanges bounds the whole audit of one service in Timeouts.
const budgetExchanges = 24

// Applies reports whether Audit has anything to learn about s.
func Applies(s *facts.Service) bool {
	if s == nil {
		return false
	}
	switch {
	case s.Name == proto.RPCBind && s.RPC != nil:
		return mountd(s.RPC) != nil
	case s.Name == proto.ISCSI && s.Transport == facts.TCP && !s.TLS:
		return true
	}
	return false
}

// Audit probes s read-only and records what it learnt in s's typed facts.
// On an error it keeps what it learnt before it.
func Audit(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, s *facts.Service, opt Options) error {
	if !Applies(s) {
		return nil
	}
	if d == nil {
		return errors.New("file-service audit: no dialer")
	}
	opt.Timeout = auditconn.Timeout(d, opt.Timeout)
	ctx, cancel := context.WithTimeout(ctx, budgetExchanges*opt.Timeout)
	defer cancel()
	switch s.Name {
	case proto.RPCBind:
		return auditExports(ctx, d, addr, s, opt)
	default:
		return auditISCSI(ctx, d, addr, s, opt)
	}
}

// clean makes a network string printable and caps it at max runes.
func clean(s string, max int) string { return sanitize.String(s, max) }
