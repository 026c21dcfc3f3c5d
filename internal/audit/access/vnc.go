package access

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/rfb"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/wire"
)

// RFB security types (RFC 6143 section 7.1.2 and the IANA "Remote
// Framebuffer Security Types" registry) by number, as vigil names them.
var rfbSecurityNames = map[uint32]string{
	0: "Invalid", 1: "None", 2: "VNC", 5: "RA2", 6: "RA2ne", 13: "RA2TwoStep",
	16: "Tight", 17: "Ultra", 18: "TLS", 19: "VeNCrypt", 20: "SASL", 21: "MD5",
	22: "xvp", 23: "SecureTunnel", 24: "IntegratedSSH", 30: "DiffieHellman",
	113: "MSLogonII", 129: "RA2_256", 130: "RA2ne_256", 133: "RA2TwoStep_256",
}

// VeNCrypt sub-types by number.
var vencryptNames = map[uint32]string{
	256: "Plain", 257: "TLSNone", 258: "TLSVnc", 259: "TLSPlain",
	260: "X509None", 261: "X509Vnc", 262: "X509Plain",
	265: "Ident", 266: "TLSIdent", 267: "X509Ident",
}

// rfbTypeName names a security type.
func rfbTypeName(t uint32) string {
	if n, ok := rfbSecurityNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type %d", t)
}

// vencryptName names a VeNCrypt sub-type, "VeNCrypt/TLSVnc"; sub-types
// below 256 are the plain RFB types ("VeNCrypt/VNC": VNC authentication
// without TLS).
func vencryptName(t uint32) string {
	if n, ok := vencryptNames[t]; ok {
		return "VeNCrypt/" + n
	}
	if n, ok := rfbSecurityNames[t]; ok && t < 256 {
		return "VeNCrypt/" + n
	}
	return fmt.Sprintf("VeNCrypt/%d", t)
}

// rfbSecurity is the server's security handshake message, parsed.
type rfbSecurity struct {
	types  []uint32 // offered types; one for RFB 3.3
	reason string   // why the server refused, when it offered none
}

// parseRFBSecurity parses what a server sends after the version exchange
// (RFC 6143 section 7.1.2; RFB 3.3 sends one U32 type instead of a list).
// need is how many more bytes are required (0 when b is complete), and err
// is set when b cannot be such a message.
func parseRFBSecurity(b []byte, v33 bool) (sec rfbSecurity, need int, err error) {
	reasonAt := 0
	if v33 {
		if len(b) < 4 {
			return sec, 4 - len(b), nil
		}
		t := binary.BigEndian.Uint32(b)
		if t != 0 {
			return rfbSecurity{types: []uint32{t}}, 0, nil
		}
		reasonAt = 4
	} else {
		if len(b) < 1 {
			return sec, 1, nil
		}
		n := int(b[0])
		if n > 0 {
			if len(b) < 1+n {
				return sec, 1 + n - len(b), nil
			}
			for _, t := range b[1 : 1+n] {
				sec.types = append(sec.types, uint32(t))
			}
			return sec, 0, nil
		}
		reasonAt = 1
	}
	// No type: a reason string follows (U32 length, text).
	if len(b) < reasonAt+4 {
		return sec, reasonAt + 4 - len(b), nil
	}
	l := binary.BigEndian.Uint32(b[reasonAt:])
	if l > 4096 {
		return sec, 0, fmt.Errorf("%w: vnc: a reason of %d bytes", ErrProtocol, l)
	}
	end := reasonAt + 4 + int(l)
	if len(b) < end {
		return sec, end - len(b), nil
	}
	sec.reason = string(b[reasonAt+4 : end])
	return sec, 0, nil
}

// parseVeNCryptTypes parses the VeNCrypt 0.2 sub-type list (a U8 count,
// then U32 sub-types); need is as in parseRFBSecurity.
func parseVeNCryptTypes(b []byte) (types []uint32, need int) {
	if len(b) < 1 {
		return nil, 1
	}
	n := int(b[0])
	if len(b) < 1+4*n {
		return nil, 1 + 4*n - len(b)
	}
	for i := range n {
		types = append(types, binary.BigEndian.Uint32(b[1+4*i:]))
	}
	return types, 0
}

// auditVNC reads the security types a VNC server offers: it sends its
// version, reads the list and closes without choosing one. When VeNCrypt
// is offered it chooses it only to read its sub-type list (VeNCrypt 0.2),
// then closes.
func auditVNC(ctx context.Context, p *prober, s *facts.Service) (*facts.Access, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	vb, err := wire.ReadFull(ctx, c, rfb.Len, p.opt.Timeout)
	if err != nil {
		return nil, err
	}
	v, verr := rfb.ParseVersion(vb)
	if verr != nil || v.Major < 3 {
		return nil, protocolError(proto.VNC, "no RFB version", vb)
	}
	// Answer with the highest version both speak (3.889 is Apple's 3.8).
	v33 := false
	answer := rfb.Version{Major: 3, Minor: 8}
	switch {
	case v.Major == 3 && v.Minor == 7:
		answer = rfb.Version{Major: 3, Minor: 7}
	case v.Major == 3 && v.Minor < 7:
		answer, v33 = rfb.Version{Major: 3, Minor: 3}, true
	}
	b, err := p.exchange(ctx, c, answer.Message(), 8<<10, func(b []byte) bool {
		_, need, err := parseRFBSecurity(b, v33)
		return need == 0 || err != nil
	})
	sec, need, perr := parseRFBSecurity(b, v33)
	switch {
	case perr != nil:
		return nil, perr
	case need > 0 && err != nil:
		return nil, fmt.Errorf("vnc: no security types from %s: %w", p.addr, err)
	case need > 0:
		return nil, protocolError(proto.VNC, "security types cut short", b)
	}
	a := &facts.Access{}
	if len(sec.types) == 0 {
		s.SetDetail(facts.DetailVNCSecurityError, clean(sec.reason, 256))
		return a, nil
	}
	hasVeNCrypt := false
	for _, t := range sec.types {
		a.SecurityTypes = appendUnique(a.SecurityTypes, rfbTypeName(t))
		hasVeNCrypt = hasVeNCrypt || t == 19
	}
	if hasVeNCrypt && !v33 {
		if subs, err := vencryptSubtypes(ctx, p, c); err == nil {
			var names []string
			for _, t := range subs {
				names = append(names, vencryptName(t))
			}
			a.SecurityTypes = appendUnique(a.SecurityTypes, names...)
			s.SetDetail(facts.DetailVNCVeNCrypt, clean(strings.Join(names, ", "), 256))
		}
	}
	return a, nil
}

// vencryptSubtypes chooses VeNCrypt and reads its sub-types: the server
// sends its highest version (two U8), vigil answers 0.2, the server
// acknowledges (U8 0) and lists the sub-types. Nothing more is sent.
func vencryptSubtypes(ctx context.Context, p *prober, c net.Conn) ([]uint32, error) {
	v, err := p.exchange(ctx, c, []byte{19}, 2, func(b []byte) bool { return len(b) >= 2 })
	if err != nil {
		return nil, err
	}
	if v[0] != 0 || v[1] < 2 {
		return nil, protocolError(proto.VNC, "VeNCrypt version other than 0.2", v)
	}
	ack, err := p.exchange(ctx, c, []byte{0, 2}, 1, func(b []byte) bool { return len(b) >= 1 })
	if err != nil {
		return nil, err
	}
	if ack[0] != 0 {
		return nil, protocolError(proto.VNC, "VeNCrypt 0.2 refused", ack)
	}
	b, err := p.exchange(ctx, c, nil, 1+4*255, func(b []byte) bool {
		_, need := parseVeNCryptTypes(b)
		return need == 0
	})
	types, need := parseVeNCryptTypes(b)
	if need > 0 {
		if err != nil {
			return nil, err
		}
		return nil, protocolError(proto.VNC, "VeNCrypt sub-types cut short", b)
	}
	return types, nil
}
