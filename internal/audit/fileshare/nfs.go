package fileshare

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/vigilsec/vigil/internal/codec/oncrpc"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/wire"
)

// mountd returns the mount daemon registration to ask: TCP before UDP,
// version 3 before 1 (both define MOUNTPROC_EXPORT); nil when none.
func mountd(r *facts.RPC) *facts.RPCProgram {
	var best *facts.RPCProgram
	score := func(p *facts.RPCProgram) int {
		n := 0
		if p.Transport == facts.TCP {
			n += 10
		}
		if p.Version == 3 {
			n += 2
		}
		if p.Version == 1 {
			n++
		}
		return n
	}
	for i := range r.Programs {
		p := &r.Programs[i]
		if p.Program != oncrpc.ProgMountd || p.Port <= 0 || p.Port > 65535 ||
			(p.Transport != facts.TCP && p.Transport != facts.UDP) || (p.Version != 1 && p.Version != 3) {
			continue
		}
		if best == nil || score(p) > score(best) {
			best = p
		}
	}
	return best
}

// auditExports asks the mount daemon the port mapper lists, on the same
// address, for its export list.
func auditExports(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, s *facts.Service, opt Options) error {
	m := mountd(s.RPC)
	if m == nil {
		return nil
	}
	target := netip.AddrPortFrom(addr.Addr(), uint16(m.Port))
	c, err := d.Dial(ctx, m.Transport, target, opt.Timeout)
	if err != nil {
		return fmt.Errorf("NFS mount daemon at %s/%s: %w", m.Transport, target, err)
	}
	defer func() { _ = c.Close() }()
	xid := rand.Uint32()
	call := oncrpc.Call(xid, oncrpc.ProgMountd, m.Version, oncrpc.MountProcExport, nil)
	var msg []byte
	if m.Transport == facts.TCP {
		b, err := wire.Exchange(ctx, c, oncrpc.Record(call), oncrpc.MaxRecord+4096, opt.Timeout, oncrpc.RecordDone)
		rec, complete, uerr := oncrpc.Unrecord(b)
		if !complete {
			if uerr != nil {
				err = uerr
			}
			return fmt.Errorf("NFS mount daemon at %s: no complete export list: %w", target, err)
		}
		msg = rec
	} else {
		b, err := wire.Exchange(ctx, c, call, 64<<10, opt.Timeout, func(b []byte) bool { return len(b) > 0 })
		if len(b) == 0 {
			return fmt.Errorf("NFS mount daemon at udp/%s did not answer: %w", target, err)
		}
		msg = b
	}
	r, err := oncrpc.ParseReply(msg)
	if err != nil {
		return fmt.Errorf("%w: NFS mount daemon at %s: %w", ErrProtocol, target, err)
	}
	if r.XID != xid || !r.Accepted || r.AcceptStat != oncrpc.Success {
		return fmt.Errorf("%w: NFS mount daemon at %s refused MOUNTPROC_EXPORT (accepted %v, status %d)", ErrProtocol, target, r.Accepted, r.AcceptStat)
	}
	es, err := oncrpc.ParseExports(r.Results)
	s.RPC.MountdPort = m.Port
	s.RPC.ExportsRead = err == nil
	for i, e := range es {
		if i == 128 {
			break
		}
		x := facts.NFSExport{Path: clean(e.Dir, 256)}
		for j, g := range e.Groups {
			if j == 32 {
				break
			}
			x.Groups = append(x.Groups, clean(g, 128))
		}
		s.RPC.Exports = append(s.RPC.Exports, x)
	}
	if err != nil {
		return fmt.Errorf("%w: NFS export list from %s: %w", ErrProtocol, target, err)
	}
	return nil
}
