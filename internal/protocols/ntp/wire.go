package ntp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/wire"
)

// Identification: one NTPv4 client request (RFC 5905), answered by any
// NTP server with its version, stratum and reference.

// request is a 48-byte NTPv4 client packet (RFC 5905: LI 0, VN 4, mode 3)
// whose transmit timestamp is the nonce the server echoes as origin.
func request(nonce [8]byte) []byte {
	b := make([]byte, 48)
	b[0] = 0<<6 | 4<<3 | 3
	copy(b[40:], nonce[:])
	return b
}

// reply is what a mode-4 server reply told.
type reply struct {
	version int
	stratum int
	refID   string
}

// parseReply parses a server reply to request(nonce).
func parseReply(b []byte, nonce [8]byte) (reply, error) {
	if len(b) < 48 {
		return reply{}, module.NoMatch(proto.NTP, "short packet")
	}
	vn, mode := int(b[0]>>3&7), b[0]&7
	if mode != 4 || vn < 1 || vn > 4 {
		return reply{}, module.NoMatch(proto.NTP, "mode %d version %d", mode, vn)
	}
	if [8]byte(b[24:32]) != nonce {
		return reply{}, module.NoMatch(proto.NTP, "origin timestamp is not ours")
	}
	r := reply{version: vn, stratum: int(b[1])}
	ref := b[12:16]
	switch {
	case r.stratum <= 1: // kiss code or reference source, ASCII
		txt := make([]byte, 0, 4)
		for _, c := range ref {
			if c == 0 {
				break
			}
			txt = append(txt, c)
		}
		r.refID = module.Clean(string(txt), 8)
	default:
		r.refID = netip.AddrFrom4([4]byte(ref)).String()
	}
	return r, nil
}

// apply records an NTP reply in s. The mode-4 reply names no product.
func apply(r reply, s *facts.Service) {
	s.Name = proto.NTP
	s.SetDetail(facts.DetailNTPVersion, strconv.Itoa(r.version))
	s.SetDetail(facts.DetailNTPStratum, strconv.Itoa(r.stratum))
	s.SetDetail(facts.DetailNTPRefID, r.refID)
	s.Banner = fmt.Sprintf("NTPv%d stratum %d refid %s", r.version, r.stratum, r.refID)
}

// session is one NTP client request in flight.
type session struct{ nonce [8]byte }

func newSession(module.UDPEnv) module.UDPSession {
	n := &session{}
	for i := range n.nonce {
		n.nonce[i] = byte(rand.Uint32())
	}
	return n
}

// Request returns the client request, the same on every try.
func (n *session) Request(int) []byte { return request(n.nonce) }

// Answer recognises the server's reply to the request.
func (n *session) Answer(b []byte, s *facts.Service) (bool, bool) {
	r, err := parseReply(b, n.nonce)
	if err != nil {
		return false, false
	}
	apply(r, s)
	return true, true
}

// The audit: one mode 6 READVAR and one mode 7 MON_GETLIST_1 request.
//
// Exactly one datagram of each kind, both at once on one socket, never
// resent: a 12-byte READVAR request for association 0 and a 48-byte
// MON_GETLIST_1 request (implementation XNTPD, an 8-byte header and 40 zero
// bytes). Both only read; neither changes the server's state beyond its
// own rate-limiting counters. Answers are read for at most the timeout,
// up to 128 datagrams or 128 KiB.

// Caps of what is read.
const (
	maxPackets = 128
	maxBytes   = 128 << 10
	maxDgram   = 2048
)

// Mode 6 and mode 7 constants (RFC 9327; ntpd's ntp_request.h).
const (
	mode6         = 6
	mode7         = 7
	opReadVar     = 2
	implXNTPD     = 3
	reqMonGetList = 42 // MON_GETLIST_1
	mode7ReqLen   = 48
)

// Request names, as Amplification.Request.
const (
	ReadVar     = "READVAR"
	MonGetList1 = "MON_GETLIST_1"
)

// readVarRequest is a mode 6 READVAR request for the system variables
// (association 0, no data): LI 0, VN 2, mode 6.
func readVarRequest(seq uint16) []byte {
	b := make([]byte, 12)
	b[0] = 2<<3 | mode6
	b[1] = opReadVar
	binary.BigEndian.PutUint16(b[2:], seq)
	return b
}

// monListRequest is a mode 7 MON_GETLIST_1 request: LI 0, VN 2, mode 7,
// sequence 0, implementation XNTPD, no items.
func monListRequest() []byte {
	b := make([]byte, mode7ReqLen)
	b[0] = 2<<3 | mode7
	b[2] = implXNTPD
	b[3] = reqMonGetList
	return b
}

// answer is what one datagram told.
type answer struct {
	mode  int  // 6 or 7; 0 when it answers neither request
	last  bool // no more fragments follow
	err   int  // error code, 0 for data
	items int  // mode 7: items; mode 6: variables (commas + 1) in the data
}

// parseAnswer classifies one datagram as an answer to readVarRequest(seq)
// or to monListRequest.
func parseAnswer(b []byte, seq uint16) answer {
	if len(b) < 8 {
		return answer{}
	}
	switch int(b[0] & 7) {
	case mode6:
		if len(b) < 12 || b[1]&0x80 == 0 || b[1]&0x1f != opReadVar || binary.BigEndian.Uint16(b[2:]) != seq {
			return answer{}
		}
		a := answer{mode: mode6, last: b[1]&0x20 == 0}
		if b[1]&0x40 != 0 {
			a.err = int(b[4])
			if a.err == 0 {
				a.err = 0xff
			}
			return a
		}
		n := min(int(binary.BigEndian.Uint16(b[10:])), len(b)-12)
		if n > 0 {
			a.items = 1
			for _, c := range b[12 : 12+n] {
				if c == ',' {
					a.items++
				}
			}
		}
		return a
	case mode7:
		if b[0]&0x80 == 0 || b[2] != implXNTPD || b[3] != reqMonGetList {
			return answer{}
		}
		nitems := int(binary.BigEndian.Uint16(b[4:]) & 0x0fff)
		return answer{mode: mode7, last: b[0]&0x40 == 0, err: int(b[4] >> 4), items: nitems}
	}
	return answer{}
}

// tally sums the answers to one request.
type tally struct {
	amp  Amplification
	last bool
}

func (t *tally) add(a answer, size int) {
	t.amp.Packets++
	t.amp.Received += size
	t.amp.Items += a.items
	if a.err != 0 {
		t.amp.Error = a.err
	}
	t.last = t.last || a.last
}

func (t *tally) result() *Amplification {
	if t.amp.Packets == 0 {
		return nil
	}
	a := t.amp
	return &a
}

// runAudit measures s and keeps the result as its Evidence.
func runAudit(ctx context.Context, env module.Env, addr netip.AddrPort, s *facts.Service) error {
	a, err := measure(ctx, env.Dialer, addr, env.Timeout)
	if a != nil {
		Evidence.Set(s, a)
	}
	return err
}

// measure sends the two requests to addr and measures the answers, each
// awaited for at most timeout (the dialer's when zero). It returns an
// error only when the socket could not be used.
func measure(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, timeout time.Duration) (*Audit, error) {
	if d == nil {
		return nil, errors.New("NTP audit: no dialer")
	}
	if timeout <= 0 {
		timeout = d.Timeout()
	}
	c, err := d.Dial(ctx, "udp", addr, timeout)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	seq := uint16(rand.Uint32()) | 1
	r6, r7 := readVarRequest(seq), monListRequest()
	t6 := &tally{amp: Amplification{Request: ReadVar, Sent: len(r6)}}
	t7 := &tally{amp: Amplification{Request: MonGetList1, Sent: len(r7)}}
	for _, r := range [][]byte{r6, r7} {
		if err := wire.Write(ctx, c, r, timeout); err != nil {
			return nil, err
		}
	}
	end := time.Now().Add(timeout)
	packets, total := 0, 0
	for ctx.Err() == nil && !(t6.last && t7.last) {
		wait := time.Until(end)
		if wait <= 0 {
			break
		}
		if packets >= maxPackets || total >= maxBytes {
			t6.amp.Capped, t7.amp.Capped = !t6.last, !t7.last
			break
		}
		b, err := wire.ReadSome(ctx, c, maxDgram, wait)
		if len(b) > 0 {
			packets++
			total += len(b)
			switch a := parseAnswer(b, seq); a.mode {
			case mode6:
				t6.add(a, len(b))
			case mode7:
				t7.add(a, len(b))
			}
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			break // refused (ICMP port unreachable), cancelled
		}
	}
	return &Audit{Mode6: t6.result(), Mode7: t7.result()}, nil
}
