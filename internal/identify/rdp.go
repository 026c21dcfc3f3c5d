package identify

import (
	"context"
	"encoding/binary"
	"strconv"

	"github.com/vigilsec/vigil/internal/facts"
)

// RDP negotiation ([MS-RDPBCGR] 2.2.1.1 and 2.2.1.2): a TPKT (RFC 1006)
// carrying an X.224 Connection Request with an RDP_NEG_REQ.
const (
	rdpNegReq     = 0x01
	rdpNegRsp     = 0x02
	rdpNegFailure = 0x03
	x224CR        = 0xe0
	x224CC        = 0xd0
)

// rdpConnectionRequest asks for TLS or CredSSP security.
func rdpConnectionRequest() []byte {
	neg := []byte{rdpNegReq, 0, 8, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(neg[4:], 0x3) // PROTOCOL_SSL | PROTOCOL_HYBRID
	x224 := append([]byte{byte(6 + len(neg)), x224CR, 0, 0, 0, 0, 0}, neg...)
	tpkt := []byte{3, 0, 0, 0}
	binary.BigEndian.PutUint16(tpkt[2:], uint16(4+len(x224)))
	return append(tpkt, x224...)
}

// rdpProtocols names the selectedProtocol values of RDP_NEG_RSP.
var rdpProtocols = map[uint32]string{
	0: "rdp", 1: "tls", 2: "credssp", 4: "rdstls", 8: "credssp-early-auth",
}

// rdpFailures names the failure codes of RDP_NEG_FAILURE.
var rdpFailures = map[uint32]string{
	1: "ssl-required", 2: "ssl-not-allowed", 3: "ssl-cert-not-on-server",
	4: "inconsistent-flags", 5: "hybrid-required", 6: "ssl-with-user-auth-required",
}

// rdpConfirm is the server's X.224 Connection Confirm.
type rdpConfirm struct {
	protocol string // selected security protocol, "" when not negotiated
	failure  string // negotiation failure, "" when none
}

// tpktComplete reports whether b holds the whole TPKT it starts with.
func tpktComplete(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	if b[0] != 3 {
		return true // not a TPKT: nothing more to wait for
	}
	return len(b) >= int(binary.BigEndian.Uint16(b[2:]))
}

// parseRDPConfirm parses the answer to rdpConnectionRequest.
func parseRDPConfirm(b []byte) (rdpConfirm, error) {
	if len(b) < 11 || b[0] != 3 || b[1] != 0 {
		return rdpConfirm{}, noMatch("rdp", "not a TPKT")
	}
	n := int(binary.BigEndian.Uint16(b[2:]))
	li := int(b[4])
	if n < 11 || n > len(b) || li < 6 || 5+li > n || b[5]&0xf0 != x224CC {
		return rdpConfirm{}, noMatch("rdp", "not an X.224 Connection Confirm")
	}
	var c rdpConfirm
	neg := b[11 : 5+li]
	if len(neg) < 8 {
		return c, nil // a server from before negotiation: standard RDP security
	}
	v := binary.LittleEndian.Uint32(neg[4:])
	switch neg[0] {
	case rdpNegRsp:
		c.protocol = rdpProtocols[v]
		if c.protocol == "" {
			c.protocol = strconv.FormatUint(uint64(v), 10)
		}
	case rdpNegFailure:
		c.failure = rdpFailures[v]
		if c.failure == "" {
			c.failure = strconv.FormatUint(uint64(v), 10)
		}
	default:
		return rdpConfirm{}, noMatch("rdp", "negotiation type %d", neg[0])
	}
	return c, nil
}

// probeRDP sends an X.224 Connection Request.
func probeRDP(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	resp, err := l.exchange(ctx, rdpConnectionRequest(), lineCap, tpktComplete)
	c, perr := parseRDPConfirm(resp)
	if perr != nil {
		if len(resp) == 0 {
			return nil, ioNoMatch("rdp", err)
		}
		return resp, perr
	}
	s.Name = "rdp"
	if c.protocol != "" {
		s.SetDetail("rdp.protocol", c.protocol)
	}
	if c.failure != "" {
		s.SetDetail("rdp.failure", c.failure)
	}
	return nil, nil
}
