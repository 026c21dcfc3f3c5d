package tlsaudit

import (
	"context"
	"fmt"
	"net"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/vigilsec/vigil/internal/wire"
)

// RDP security protocols (MS-RDPBCGR 2.2.1.1.1, requestedProtocols and
// selectedProtocol).
const (
	rdpProtocolRDP    = 0x00000000
	rdpProtocolSSL    = 0x00000001
	rdpProtocolHybrid = 0x00000002
	// maxRDPConfirm caps the X.224 Connection Confirm read.
	maxRDPConfirm = 1024
)

// rdpConnectionRequest is a TPKT-framed X.224 Connection Request (MS-RDPBCGR
// 2.2.1.1) whose RDP_NEG_REQ asks for PROTOCOL_SSL or PROTOCOL_HYBRID: the
// server then starts TLS on the next byte (for HYBRID, CredSSP runs inside
// that TLS, after the handshake vigil makes).
func rdpConnectionRequest() []byte {
	var b cryptobyte.Builder
	b.AddUint8(3) // TPKT version
	b.AddUint8(0)
	b.AddUint16(19)                                                 // TPKT length: 4 + 7 + 8
	b.AddUint8(14)                                                  // X.224 length indicator: 6 + RDP_NEG_REQ
	b.AddUint8(0xE0)                                                // CR | CDT
	b.AddUint16(0)                                                  // DST-REF
	b.AddUint16(0)                                                  // SRC-REF
	b.AddUint8(0)                                                   // class 0
	b.AddUint8(0x01)                                                // TYPE_RDP_NEG_REQ
	b.AddUint8(0)                                                   // flags
	b.AddBytes([]byte{8, 0})                                        // length 8, little-endian
	b.AddBytes([]byte{rdpProtocolSSL | rdpProtocolHybrid, 0, 0, 0}) // requestedProtocols, little-endian
	return b.BytesOrPanic()
}

// tpktComplete reports whether b holds a whole TPKT packet.
func tpktComplete(b []byte) bool {
	return len(b) >= 4 && (b[0] != 3 || len(b) >= int(b[2])<<8|int(b[3]))
}

// parseRDPConfirm reads an X.224 Connection Confirm (MS-RDPBCGR 2.2.1.2):
// the protocol the server selected, or why it will not speak TLS.
func parseRDPConfirm(b []byte) (uint32, error) {
	s := cryptobyte.String(b)
	var ver, reserved, li, code uint8
	var length uint16
	if !s.ReadUint8(&ver) || !s.ReadUint8(&reserved) || !s.ReadUint16(&length) || ver != 3 || int(length) != len(b) || length < 11 {
		return 0, fmt.Errorf("%w: not a TPKT packet (first bytes % x)", errNotTLS, b[:min(len(b), 8)])
	}
	var x224 cryptobyte.String
	if !s.ReadUint8(&li) || !s.ReadBytes((*[]byte)(&x224), int(li)) || !x224.ReadUint8(&code) || code&0xF0 != 0xD0 || !x224.Skip(5) {
		return 0, fmt.Errorf("%w: not an X.224 Connection Confirm", errMalformed)
	}
	if x224.Empty() {
		// No RDP_NEG_RSP: a server from before RDP 5.2, standard RDP
		// security only.
		return rdpProtocolRDP, nil
	}
	var typ, flags uint8
	var nlen uint16
	var val []byte
	if !x224.ReadUint8(&typ) || !x224.ReadUint8(&flags) || !x224.ReadUint16(&nlen) || !x224.ReadBytes(&val, 4) {
		return 0, fmt.Errorf("%w: RDP negotiation data", errMalformed)
	}
	le := uint32(val[0]) | uint32(val[1])<<8 | uint32(val[2])<<16 | uint32(val[3])<<24
	switch typ {
	case 0x02: // TYPE_RDP_NEG_RSP
		return le, nil
	case 0x03: // TYPE_RDP_NEG_FAILURE
		return 0, fmt.Errorf("the RDP server refused TLS (RDP_NEG_FAILURE code %d): %w", le, ErrNoStartTLS)
	}
	return 0, fmt.Errorf("%w: RDP negotiation type %d", errMalformed, typ)
}

// startRDP negotiates TLS for RDP: a Connection Request asking for
// PROTOCOL_SSL or PROTOCOL_HYBRID, and a Connection Confirm selecting one.
func startRDP(ctx context.Context, c net.Conn, timeout time.Duration) error {
	b, err := wire.Exchange(ctx, c, rdpConnectionRequest(), maxRDPConfirm, timeout, tpktComplete)
	if err != nil {
		return fmt.Errorf("RDP X.224 Connection Request: %w", err)
	}
	sel, err := parseRDPConfirm(b)
	if err != nil {
		return err
	}
	switch sel {
	case rdpProtocolSSL, rdpProtocolHybrid:
		return nil
	case rdpProtocolRDP:
		return fmt.Errorf("the RDP server selected standard RDP security, not TLS: %w", ErrNoStartTLS)
	}
	return fmt.Errorf("the RDP server selected protocol 0x%x, which was not requested", sel)
}
