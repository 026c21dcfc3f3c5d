package observe

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// segment is what the counter needs of one captured packet.
type segment struct {
	transport string // tcp or udp
	src, dst  netip.AddrPort
}

var errShort = errors.New("packet too short")

// parsePacket reads the addresses and ports of an IPv4 or IPv6 TCP or UDP
// packet that starts at its network header, as a SOCK_DGRAM packet socket
// delivers it (truncated to SnapLen). The bytes come from the network: every
// offset is checked.
func parsePacket(b []byte) (segment, error) {
	if len(b) < 1 {
		return segment{}, errShort
	}
	var (
		proto    byte
		src, dst netip.Addr
		l4       int
	)
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return segment{}, errShort
		}
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 {
			return segment{}, errors.New("IPv4 header length under 20")
		}
		if binary.BigEndian.Uint16(b[6:8])&0x1fff != 0 {
			return segment{}, errors.New("IPv4 fragment after the first")
		}
		proto = b[9]
		src = netip.AddrFrom4([4]byte(b[12:16]))
		dst = netip.AddrFrom4([4]byte(b[16:20]))
		l4 = ihl
	case 6:
		if len(b) < 40 {
			return segment{}, errShort
		}
		proto = b[6]
		src = netip.AddrFrom16([16]byte(b[8:24])).Unmap()
		dst = netip.AddrFrom16([16]byte(b[24:40])).Unmap()
		l4 = 40
	default:
		return segment{}, errors.New("not IPv4 or IPv6")
	}
	var tr string
	switch proto {
	case 6:
		tr = "tcp"
		if len(b) < l4+14 {
			return segment{}, errShort
		}
		if b[l4+13]&(tcpSYN|tcpACK) != tcpSYN {
			return segment{}, errors.New("TCP segment is not a SYN")
		}
	case 17:
		tr = "udp"
		if len(b) < l4+4 {
			return segment{}, errShort
		}
	default:
		return segment{}, errors.New("not TCP or UDP")
	}
	sport := binary.BigEndian.Uint16(b[l4 : l4+2])
	dport := binary.BigEndian.Uint16(b[l4+2 : l4+4])
	return segment{transport: tr, src: netip.AddrPortFrom(src, sport), dst: netip.AddrPortFrom(dst, dport)}, nil
}
