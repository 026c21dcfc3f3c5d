// Package ntpaudit measures how much an NTP server sends back to the two
// queries that make NTP servers traffic amplifiers: one mode 6 (control)
// READVAR request for the system variables (RFC 9327), and one mode 7
// (ntpd's private mode) MON_GETLIST_1 request, "monlist", which returns the
// addresses of the server's recent clients (CVE-2013-5211). It returns
// facts.NTPAudit; the checks in package check judge it.
//
// # What is sent
//
// Exactly one datagram of each kind, both at once on one socket, never
// resent: a 12-byte READVAR request for association 0 and a 48-byte
// MON_GETLIST_1 request (implementation XNTPD, an 8-byte header and 40 zero
// bytes). Both only read; neither changes the server's state beyond its
// own rate-limiting counters. Answers are read for at most the timeout,
// up to 128 datagrams or 128 KiB.
package ntpaudit

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/netip"
	"os"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/wire"
)

// Options tunes the audit.
type Options struct {
	// Timeout is how long answers are awaited; zero means the Dialer's
	// timeout.
	Timeout time.Duration
}

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

// Request names, as facts.NTPAmplification.Request.
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
	amp  facts.NTPAmplification
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

func (t *tally) result() *facts.NTPAmplification {
	if t.amp.Packets == 0 {
		return nil
	}
	a := t.amp
	return &a
}

// Audit sends the two requests to addr and measures the answers. It
// returns an error only when the socket could not be used.
func Audit(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, opt Options) (*facts.NTPAudit, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = d.Timeout()
	}
	c, err := d.Dial(ctx, "udp", addr, opt.Timeout)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	seq := uint16(rand.Uint32()) | 1
	r6, r7 := readVarRequest(seq), monListRequest()
	t6 := &tally{amp: facts.NTPAmplification{Request: ReadVar, Sent: len(r6)}}
	t7 := &tally{amp: facts.NTPAmplification{Request: MonGetList1, Sent: len(r7)}}
	for _, r := range [][]byte{r6, r7} {
		if err := wire.Write(ctx, c, r, opt.Timeout); err != nil {
			return nil, err
		}
	}
	end := time.Now().Add(opt.Timeout)
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
	return &facts.NTPAudit{Mode6: t6.result(), Mode7: t7.result()}, nil
}
