package identify

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/codec/snmp"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/wire"
)

// udpSession is one UDP probe in flight: the datagram it sends on each
// try and how it recognises the answers.
type udpSession interface {
	// request returns the datagram to send on try (0, 1, …), nil for none.
	request(try int) []byte
	// answer inspects one datagram. matched is true when it answers this
	// probe (s was then updated); complete when no further answer is awaited.
	answer(b []byte, s *facts.Service) (matched, complete bool)
}

// followUpSession is a udpSession with more to ask once it matched, such
// as the other SNMP versions: the port is then known to speak it.
type followUpSession interface {
	followUps() [][]byte
}

// sideSession is a udpSession whose server answers from another port of
// the same host (TFTP): its datagrams go out from the side socket, which
// receives its answers from any port (dialer.UDPConn).
type sideSession interface {
	fromOtherPorts()
}

// udpProbe starts a udpSession with fresh identifiers.
type udpProbe struct {
	name  string
	start func(e udpEnv) udpSession
}

// udpEnv is what a UDP probe may need to build its datagrams: the options
// and both ends of the socket.
type udpEnv struct {
	opt           Options
	local, remote netip.AddrPort
}

// udpTries is how many times each probe is sent to a silent port.
const udpTries = 2

// udpReaderIdle bounds a read that nothing else ends: the readers stop
// when UDP returns and closes the socket.
const udpReaderIdle = time.Minute

// UDP sends the UDP probes to a port; ok is false when nothing answered.
// A port that answered no probe in its protocol's words is still open: it
// comes back unknown, with the first datagram it sent as its banner (or,
// when that datagram was a probe's own, marked an echo service).
//
// Each probe sends one datagram per try, the probes of the port's customary
// protocols first (proto.UDPHints), then the others, each datagram paced by
// the dialer's rate limit. The next probe goes out when the previous one got
// no answer within its slice of the Timeout: half the Timeout per try, of
// which the hinted probes share one half and the others the other, so a
// silent port costs one Timeout in all, plus what the rate limit makes it
// wait. Answers are tied to their probe by
// identifiers (DNS id, NTP origin timestamp, SNMP request and message ids,
// SIP Call-ID, CoAP message id and token, …) and may come late: every probe
// sent so far is still listening. An ICMP refusal ends the wait at once.
func UDP(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, opt Options) (s facts.Service, ok bool) {
	return udpWith(ctx, d, addr, opt, udpHints(addr.Port()))
}

// udpIn is one datagram read, or the error that ended a reader.
type udpIn struct {
	b    []byte
	side bool
	err  error
}

// udpWith is UDP with the hints given.
func udpWith(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, opt Options, hints []string) (s facts.Service, ok bool) {
	s = facts.Service{Port: int(addr.Port()), Transport: facts.UDP, Name: facts.Unknown}
	if d == nil {
		return s, false
	}
	opt = opt.normalised(d)
	// No deadline of its own: the schedule below bounds the wait, and the
	// rate limit may stretch it (every probe still goes out, as every TCP
	// connect does). Cancelling ends the readers once the socket closes.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c, err := d.DialUDP(ctx, addr, opt.Timeout)
	if err != nil {
		return s, false
	}
	defer func() { _ = c.Close() }()

	probes := orderedBy(udpProbes, func(p udpProbe) string { return p.name }, hints)
	hinted := 0
	for _, p := range probes {
		if slices.Contains(hints, p.name) {
			hinted++
		}
	}
	sessions := make([]udpSession, len(probes))
	for i, p := range probes {
		sessions[i] = p.start(udpEnv{opt: opt, local: localAddrPort(c), remote: addr})
	}
	slot := udpSlices(opt.Timeout, len(sessions), hinted)

	in := make(chan udpIn, 8)
	go func() {
		for {
			b, err := wire.ReadSome(ctx, c, udpCap, udpReaderIdle)
			select {
			case in <- udpIn{b: b, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		for {
			b, _, err := c.ReadSide(udpCap, time.Now().Add(udpReaderIdle))
			if err != nil {
				return
			}
			select {
			case in <- udpIn{b: b, side: true}:
			case <-ctx.Done():
				return
			}
		}
	}()

	// The schedule is fixed from the start, so that a slow wake-up does
	// not push the later probes out of the budget; time spent waiting for
	// the rate limit moves it on.
	next := time.Now()
	first := true
	var requests [][]byte // every datagram sent, to tell an echo
	send := func(ss udpSession, b []byte) error {
		if !first {
			start := time.Now()
			if err := d.Pace(ctx, addr.Addr()); err != nil {
				return err
			}
			next = next.Add(time.Since(start))
		}
		first = false
		requests = append(requests, b)
		if _, side := ss.(sideSession); side {
			return c.WriteSide(b, opt.Timeout)
		}
		return wire.Write(ctx, c, b, opt.Timeout)
	}

	var winner udpSession
	got := s
	var stray []byte // the first answer no probe recognised
	sent := 0        // sessions[:sent] have sent at least once
	refused := false
	// listen reads answers until the deadline, a winner's last answer, or
	// a refusal; it reports whether to stop.
	listen := func(deadline time.Time) bool {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return true
			case <-timer.C:
				return false
			case r := <-in:
				if r.err != nil {
					if !errors.Is(r.err, os.ErrDeadlineExceeded) {
						refused = true // ICMP port unreachable, closed, cancelled
					}
					return true
				}
				if winner != nil {
					if _, side := winner.(sideSession); r.side != side {
						continue
					}
					if m, complete := winner.answer(r.b, &got); m && complete {
						return true
					}
					continue
				}
				for _, ss := range sessions[:sent] {
					if _, side := ss.(sideSession); r.side != side {
						continue
					}
					tmp := clone(&s)
					if m, complete := ss.answer(r.b, &tmp); m {
						winner, got = ss, tmp
						return complete
					}
				}
				if stray == nil && !r.side && len(r.b) > 0 {
					stray = r.b
				}
			}
		}
	}

	done := false
tries:
	for try := range udpTries {
		for i, ss := range sessions {
			if req := ss.request(try); req != nil {
				if send(ss, req) != nil {
					break tries
				}
			}
			sent = max(sent, i+1)
			next = next.Add(slot[i])
			if done = listen(next); done || winner != nil {
				break tries
			}
		}
	}
	if winner != nil && !done && !refused && ctx.Err() == nil {
		// Linger a little for the probe's other answers, asking its
		// follow-up questions.
		if f, ok := winner.(followUpSession); ok {
			for _, b := range f.followUps() {
				if send(winner, b) != nil {
					break
				}
			}
		}
		listen(time.Now().Add(opt.Timeout / 4))
	}
	if winner == nil {
		if stray == nil {
			return s, false
		}
		if slices.ContainsFunc(requests, func(b []byte) bool { return bytes.Equal(b, stray) }) {
			s.SetDetail(facts.DetailEcho, "yes")
		} else {
			s.Banner = snippet(stray)
		}
		return s, true
	}
	return got, true
}

// udpSlices splits the Timeout over the probes of one try: half of it per
// try, the hinted probes sharing one half of that and the others the other
// (all of it when there are only one or the other).
func udpSlices(timeout time.Duration, n, hinted int) []time.Duration {
	out := make([]time.Duration, n)
	perTry := timeout / udpTries
	for i := range out {
		switch {
		case hinted == 0 || hinted == n:
			out[i] = perTry / time.Duration(n)
		case i < hinted:
			out[i] = perTry / 2 / time.Duration(hinted)
		default:
			out[i] = perTry / 2 / time.Duration(n-hinted)
		}
	}
	return out
}

// dnsSession asks version.bind on the first try and the root's SOA (class
// IN, no recursion) on the second: a server that rate-limits its version
// answers (BIND answers three a second per /24) is still identified.
type dnsSession struct {
	id, rootID          uint16
	version, rootAnswer bool
}

func newDNSSession(udpEnv) udpSession {
	d := &dnsSession{id: dnsID(), rootID: dnsID()}
	for d.rootID == d.id {
		d.rootID = dnsID()
	}
	return d
}

// dnsID is a random DNS message id with its high bit set: the first bytes of
// the other probes (NTP 0x23…, BER 0x30…, TFTP 0x00…, SIP "OP", SSDP "M-",
// CoAP 0x4…) never are, so a DNS server answering one of them with an
// error cannot pass for an answer to this query.
func dnsID() uint16 { return rand16() | 0x8000 }

func (d *dnsSession) request(try int) []byte {
	if try == 0 {
		return dnsVersionQuery(d.id)
	}
	return dnsRootSOAQuery(d.rootID)
}

func (d *dnsSession) answer(b []byte, s *facts.Service) (bool, bool) {
	if a, err := parseDNSAnswer(b, d.id); err == nil && !d.version {
		d.version = true
		applyDNS(a, s)
		return true, true
	}
	if a, err := parseDNSAnswer(b, d.rootID); err == nil && !d.rootAnswer {
		d.rootAnswer = true
		if s.Name != proto.DNS {
			s.Name = proto.DNS
			s.SetDetail(facts.DetailDNSRootSoaRcode, dnsRcodeNames[a.rcode])
		}
		// The version.bind answer may still come: not complete.
		return true, false
	}
	return false, false
}

// snmpSession is SNMPv3 engine discovery and, unless default credentials
// are off, v2c and v1 GetRequests for sysDescr.0 with community "public".
type snmpSession struct {
	msgID, v3Req, v2Req, v1Req int32
	communities                bool
	seen                       map[int64]bool // versions that answered
}

func newSNMPSession(e udpEnv) udpSession {
	opt := e.opt
	r := func() int32 { return int32(rand.Uint32() >> 1) }
	return &snmpSession{msgID: r(), v3Req: r(), v2Req: r(), v1Req: r(), communities: !opt.NoDefaultCreds, seen: map[int64]bool{}}
}

// request is SNMPv3 engine discovery on the first try, which every
// net-snmp agent answers, and the v2c "public" GetRequest on the second
// (for v1/v2c-only agents) unless default credentials are off.
func (p *snmpSession) request(try int) []byte {
	if try > 0 && p.communities {
		return snmp.Get(snmp.V2c, "public", p.v2Req, snmp.SysDescr)
	}
	return snmp.V3Discovery(p.msgID, p.v3Req)
}

// followUps asks in the versions that have not answered yet.
func (p *snmpSession) followUps() [][]byte {
	var out [][]byte
	if !p.seen[snmp.V3] {
		out = append(out, snmp.V3Discovery(p.msgID, p.v3Req))
	}
	if p.communities {
		if !p.seen[snmp.V2c] {
			out = append(out, snmp.Get(snmp.V2c, "public", p.v2Req, snmp.SysDescr))
		}
		if !p.seen[snmp.V1] {
			out = append(out, snmp.Get(snmp.V1, "public", p.v1Req, snmp.SysDescr))
		}
	}
	return out
}

func (p *snmpSession) answer(b []byte, s *facts.Service) (bool, bool) {
	m, err := snmp.Parse(b)
	if err != nil || p.seen[m.Version] {
		return false, false
	}
	switch {
	case m.Version == snmp.V3 && m.MsgID == int64(p.msgID) && m.PDUType != snmp.GetRequest:
		applySNMPv3(m, s)
	case m.Version == snmp.V2c && p.communities && m.ReqID == int64(p.v2Req) && m.PDUType == snmp.GetResponse,
		m.Version == snmp.V1 && p.communities && m.ReqID == int64(p.v1Req) && m.PDUType == snmp.GetResponse:
		applySNMPCommunity(m, s)
	default:
		return false, false
	}
	p.seen[m.Version] = true
	addSNMPVersion(s, m.Version)
	want := 1
	if p.communities {
		want = 3
	}
	return true, len(p.seen) == want
}

// localAddrPort is the local end of c, zero when unknown.
func localAddrPort(c net.Conn) netip.AddrPort {
	switch a := c.LocalAddr().(type) {
	case *net.UDPAddr:
		return a.AddrPort()
	case *net.TCPAddr:
		return a.AddrPort()
	}
	return netip.AddrPort{}
}
