package identify

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// ntpRequest is a 48-byte NTPv4 client packet (RFC 5905: LI 0, VN 4, mode
// 3) whose transmit timestamp is the nonce the server echoes as origin.
func ntpRequest(nonce [8]byte) []byte {
	b := make([]byte, 48)
	b[0] = 0<<6 | 4<<3 | 3
	copy(b[40:], nonce[:])
	return b
}

// ntpReply is what a mode-4 server reply told.
type ntpReply struct {
	version int
	stratum int
	refID   string
}

// parseNTPReply parses a server reply to ntpRequest(nonce).
func parseNTPReply(b []byte, nonce [8]byte) (ntpReply, error) {
	if len(b) < 48 {
		return ntpReply{}, noMatch(proto.NTP, "short packet")
	}
	vn, mode := int(b[0]>>3&7), b[0]&7
	if mode != 4 || vn < 1 || vn > 4 {
		return ntpReply{}, noMatch(proto.NTP, "mode %d version %d", mode, vn)
	}
	if [8]byte(b[24:32]) != nonce {
		return ntpReply{}, noMatch(proto.NTP, "origin timestamp is not ours")
	}
	r := ntpReply{version: vn, stratum: int(b[1])}
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
		r.refID = clean(string(txt), 8)
	default:
		r.refID = netip.AddrFrom4([4]byte(ref)).String()
	}
	return r, nil
}

// applyNTP records an NTP reply in s. The mode-4 reply names no product.
func applyNTP(r ntpReply, s *facts.Service) {
	s.Name = proto.NTP
	s.SetDetail(facts.DetailNTPVersion, strconv.Itoa(r.version))
	s.SetDetail(facts.DetailNTPStratum, strconv.Itoa(r.stratum))
	s.SetDetail(facts.DetailNTPRefID, r.refID)
	s.Banner = fmt.Sprintf("NTPv%d stratum %d refid %s", r.version, r.stratum, r.refID)
}
