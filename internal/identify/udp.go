package identify

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"os"
	"time"

	"github.com/vigilsec/vigil/internal/codec/snmp"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/wire"
)

// udpSession is one UDP probe in flight: the datagrams it sends and how it
// recognises the answers.
type udpSession interface {
	requests() [][]byte
	// answer inspects one datagram. matched is true when it answers this
	// probe (s was then updated); complete when no further answer is awaited.
	answer(b []byte, s *facts.Service) (matched, complete bool)
}

// udpProbe starts a udpSession with fresh identifiers.
type udpProbe struct {
	name  string
	start func(opt Options) udpSession
}

// UDP sends the UDP probes (DNS, NTP, SNMP) to a port; ok is false when
// nothing answered.
//
// All probes go out at once on one socket (each answer is tied to its
// probe by an identifier: DNS id, NTP origin timestamp, SNMP request and
// message ids), once more after half the Timeout when nothing answered, so
// a silent port costs one Timeout.
func UDP(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, opt Options) (s facts.Service, ok bool) {
	s = facts.Service{Port: int(addr.Port()), Transport: facts.UDP, Name: facts.Unknown}
	if d == nil {
		return s, false
	}
	opt = opt.normalised(d)
	ctx, cancel := context.WithTimeout(ctx, 2*opt.Timeout)
	defer cancel()
	c, err := d.Dial(ctx, "udp", addr, opt.Timeout)
	if err != nil {
		return s, false
	}
	defer func() { _ = c.Close() }()

	var sessions []udpSession
	for _, p := range orderedBy(udpProbes, func(p udpProbe) string { return p.name }, udpHints(addr.Port())) {
		sessions = append(sessions, p.start(opt))
	}
	send := func() error {
		for _, ss := range sessions {
			for _, req := range ss.requests() {
				if err := wire.Write(ctx, c, req, opt.Timeout); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if send() != nil {
		return s, false
	}
	var winner udpSession
	got := s
	resent := false
	deadline := time.Now().Add(opt.Timeout / 2)
	for ctx.Err() == nil {
		wait := time.Until(deadline)
		if wait <= 0 {
			if winner != nil || resent {
				break
			}
			resent = true
			if send() != nil {
				break
			}
			deadline = time.Now().Add(opt.Timeout / 2)
			continue
		}
		b, err := wire.ReadSome(ctx, c, udpCap, wait)
		if len(b) > 0 {
			if winner != nil {
				if m, complete := winner.answer(b, &got); m && complete {
					break
				}
				continue
			}
			done := false
			for _, ss := range sessions {
				tmp := clone(&s)
				if m, complete := ss.answer(b, &tmp); m {
					winner, got, done = ss, tmp, complete
					// Linger a little for the probe's other answers.
					deadline = time.Now().Add(min(wait, opt.Timeout/4))
					break
				}
			}
			if done {
				break
			}
			continue
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			break // refused (ICMP port unreachable), closed, cancelled
		}
	}
	if winner == nil {
		return s, false
	}
	return got, true
}

// dnsSession is the version.bind query over UDP, and a query for the
// root's SOA that identifies the server when the first is not answered.
type dnsSession struct {
	id, rootID          uint16
	version, rootAnswer bool
}

func newDNSSession(Options) udpSession {
	pick := func() uint16 {
		id := rand16()
		// Keep clear of ids that the first bytes of the other probes (NTP
		// 0x23…, BER 0x30…) would give a server answering them with a DNS
		// error.
		for id>>8 == 0x23 || id>>8 == 0x30 {
			id = rand16()
		}
		return id
	}
	d := &dnsSession{id: pick(), rootID: pick()}
	for d.rootID == d.id {
		d.rootID = pick()
	}
	return d
}

func (d *dnsSession) requests() [][]byte {
	var out [][]byte
	if !d.version {
		out = append(out, dnsVersionQuery(d.id))
	}
	if !d.rootAnswer {
		out = append(out, dnsRootSOAQuery(d.rootID))
	}
	return out
}

func (d *dnsSession) answer(b []byte, s *facts.Service) (bool, bool) {
	if a, err := parseDNSAnswer(b, d.id); err == nil && !d.version {
		d.version = true
		applyDNS(a, s)
		return true, true
	}
	if a, err := parseDNSAnswer(b, d.rootID); err == nil && !d.rootAnswer {
		d.rootAnswer = true
		if s.Name != "dns" {
			s.Name = "dns"
			s.SetDetail("dns.root-soa-rcode", dnsRcodeNames[a.rcode])
		}
		// The version.bind answer may still come: not complete.
		return true, false
	}
	return false, false
}

// ntpSession is one NTP client request.
type ntpSession struct{ nonce [8]byte }

func newNTPSession(Options) udpSession {
	n := &ntpSession{}
	fillRandom(n.nonce[:])
	return n
}

func (n *ntpSession) requests() [][]byte { return [][]byte{ntpRequest(n.nonce)} }

func (n *ntpSession) answer(b []byte, s *facts.Service) (bool, bool) {
	r, err := parseNTPReply(b, n.nonce)
	if err != nil {
		return false, false
	}
	applyNTP(r, s)
	return true, true
}

// snmpSession is SNMPv3 engine discovery and, unless default credentials
// are off, v2c and v1 GetRequests for sysDescr.0 with community "public".
type snmpSession struct {
	msgID, v3Req, v2Req, v1Req int32
	communities                bool
	seen                       map[int64]bool // versions that answered
}

func newSNMPSession(opt Options) udpSession {
	r := func() int32 { return int32(rand.Uint32() >> 1) }
	return &snmpSession{msgID: r(), v3Req: r(), v2Req: r(), v1Req: r(), communities: !opt.NoDefaultCreds, seen: map[int64]bool{}}
}

func (p *snmpSession) requests() [][]byte {
	reqs := [][]byte{snmp.V3Discovery(p.msgID, p.v3Req)}
	if p.communities {
		reqs = append(reqs, snmp.Get(snmp.V2c, "public", p.v2Req, snmp.SysDescr), snmp.Get(snmp.V1, "public", p.v1Req, snmp.SysDescr))
	}
	return reqs
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
