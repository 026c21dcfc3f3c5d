package identify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/oncrpc"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/wire"
)

// rpcCap caps one ONC RPC reply read while identifying.
const rpcCap = 64 << 10

// rpcPrograms converts a port mapper's list to facts, names included.
func rpcPrograms(ms []oncrpc.Mapping) []facts.RPCProgram {
	out := make([]facts.RPCProgram, 0, len(ms))
	for _, m := range ms {
		tr := strconv.FormatUint(uint64(m.Prot), 10)
		switch m.Prot {
		case oncrpc.IPProtoTCP:
			tr = facts.TCP
		case oncrpc.IPProtoUDP:
			tr = facts.UDP
		}
		out = append(out, facts.RPCProgram{Program: m.Prog, Name: oncrpc.ProgramName(m.Prog), Version: m.Vers, Transport: tr, Port: int(m.Port)})
	}
	return out
}

// applyRPCBind records a port mapper's PMAPPROC_DUMP answer in s.
func applyRPCBind(results []byte, s *facts.Service) {
	s.Name = proto.RPCBind
	ms, err := oncrpc.ParseDump(results)
	s.RPC = &facts.RPC{Programs: rpcPrograms(ms)}
	var names []string
	for _, p := range s.RPC.Programs {
		n := p.Name
		if n == "" {
			n = strconv.FormatUint(uint64(p.Program), 10)
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	s.Banner = clean(fmt.Sprintf("ONC RPC port mapper: %d registrations (%s)", len(ms), strings.Join(names, ", ")), 256)
	if err != nil {
		s.Banner += " (list cut short)"
	}
}

// rpcReply decodes the record-marked reply to the call with xid.
func rpcReply(b []byte, xid uint32, tcp bool) (oncrpc.Reply, error) {
	msg := b
	if tcp {
		m, complete, err := oncrpc.Unrecord(b)
		if err != nil || !complete {
			return oncrpc.Reply{}, noMatch(proto.RPCBind, "no complete ONC RPC record")
		}
		msg = m
	}
	r, err := oncrpc.ParseReply(msg)
	if err != nil {
		return r, noMatch(proto.RPCBind, "%v", err)
	}
	if r.XID != xid {
		return r, noMatch(proto.RPCBind, "reply to another call")
	}
	return r, nil
}

// probeRPC calls the port mapper's PMAPPROC_DUMP (program 100000 version 2,
// RFC 1833) over TCP record marking (RFC 5531 section 11). An ONC RPC
// server that is not a port mapper answers PROG_UNAVAIL; it is then asked
// the NULL procedure of NFS version 3 (RFC 1813), which an NFS server
// answers SUCCESS or PROG_MISMATCH with the versions it serves; failing
// that, the NULL procedure of the NFS mount daemon (program 100005).
func probeRPC(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	c, err := l.open(ctx)
	if err != nil {
		return nil, ioNoMatch(proto.RPCBind, err)
	}
	defer func() { _ = c.Close() }()
	xid := rand.Uint32()
	answer, err := wire.Exchange(ctx, c, oncrpc.Record(oncrpc.Call(xid, oncrpc.ProgPortmap, 2, oncrpc.PmapProcDump, nil)), rpcCap, l.opt.Timeout, oncrpc.RecordDone)
	if len(answer) == 0 {
		return nil, ioNoMatch(proto.RPCBind, err)
	}
	r, err := rpcReply(answer, xid, true)
	if err != nil {
		return answer, err
	}
	if r.Accepted && r.AcceptStat == oncrpc.Success {
		applyRPCBind(r.Results, s)
		return nil, nil
	}
	// Another ONC RPC service: is it NFS?
	xid++
	answer, err = wire.Exchange(ctx, c, oncrpc.Record(oncrpc.Call(xid, oncrpc.ProgNFS, 3, oncrpc.ProcNull, nil)), rpcCap, l.opt.Timeout, oncrpc.RecordDone)
	if len(answer) == 0 {
		return nil, fmt.Errorf("%w: rpcbind: an ONC RPC service that is not a port mapper, silent to the NFS NULL call: %w", ErrNoMatch, err)
	}
	r, err = rpcReply(answer, xid, true)
	if err != nil {
		return nil, err
	}
	if r.Accepted && r.AcceptStat == oncrpc.ProgUnavail {
		// The NFS mount daemon (RFC 1813 appendix I) is part of NFS.
		xid++
		answer, err = wire.Exchange(ctx, c, oncrpc.Record(oncrpc.Call(xid, oncrpc.ProgMountd, 3, oncrpc.ProcNull, nil)), rpcCap, l.opt.Timeout, oncrpc.RecordDone)
		if len(answer) == 0 {
			return nil, ioNoMatch(proto.RPCBind, err)
		}
		if r, err = rpcReply(answer, xid, true); err != nil {
			return nil, err
		}
		if r.Accepted && (r.AcceptStat == oncrpc.Success || r.AcceptStat == oncrpc.ProgMismatch) {
			s.Name = proto.NFS
			s.Banner = fmt.Sprintf("ONC RPC: NFS mount daemon, program %d", oncrpc.ProgMountd)
			return nil, nil
		}
	}
	if !r.Accepted || (r.AcceptStat != oncrpc.Success && r.AcceptStat != oncrpc.ProgMismatch) {
		return nil, noMatch(proto.RPCBind, "an ONC RPC service that serves neither the port mapper nor NFS")
	}
	s.Name = proto.NFS
	switch {
	case r.AcceptStat == oncrpc.ProgMismatch:
		s.Banner = fmt.Sprintf("ONC RPC: NFS program %d, versions %d to %d", oncrpc.ProgNFS, r.Low, r.High)
	default:
		s.Banner = fmt.Sprintf("ONC RPC: NFS program %d, version 3 answers", oncrpc.ProgNFS)
	}
	return nil, nil
}

// rpcbindSession is PMAPPROC_DUMP over UDP.
type rpcbindSession struct{ xid uint32 }

func newRPCBindSession(udpEnv) udpSession { return &rpcbindSession{xid: rand.Uint32()} }

func (p *rpcbindSession) request(int) []byte {
	return oncrpc.Call(p.xid, oncrpc.ProgPortmap, 2, oncrpc.PmapProcDump, nil)
}

func (p *rpcbindSession) answer(b []byte, s *facts.Service) (bool, bool) {
	r, err := rpcReply(b, p.xid, false)
	if err != nil || !r.Accepted || r.AcceptStat != oncrpc.Success {
		return false, false
	}
	applyRPCBind(r.Results, s)
	return true, true
}
