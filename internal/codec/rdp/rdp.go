// Package rdp encodes and decodes the start of an RDP connection, written
// from [MS-RDPBCGR] 2.2.1.1–2.2.1.2 and [MS-CSSP] 2.2.1: the X.224
// Connection Request and Confirm (in a TPKT, RFC 1006) with their
// negotiation structures, and the CredSSP TSRequest that carries an NTLM
// NEGOTIATE and brings back the server's CHALLENGE. Parsers take hostile
// bytes and never panic.
package rdp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// ErrMalformed means a message does not follow the protocol.
var ErrMalformed = errors.New("malformed RDP message")

// Requested protocols of RDP_NEG_REQ.
const (
	ProtocolRDP    = 0x0
	ProtocolSSL    = 0x1
	ProtocolHybrid = 0x2
)

const (
	negReq     = 0x01
	negRsp     = 0x02
	negFailure = 0x03
	x224CR     = 0xe0
	x224CC     = 0xd0
)

// ConnectionRequest is a TPKT-framed X.224 Connection Request with an
// RDP_NEG_REQ asking for protocols.
func ConnectionRequest(protocols uint32) []byte {
	neg := []byte{negReq, 0, 8, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(neg[4:], protocols)
	x224 := append([]byte{byte(6 + len(neg)), x224CR, 0, 0, 0, 0, 0}, neg...)
	tpkt := []byte{3, 0, 0, 0}
	binary.BigEndian.PutUint16(tpkt[2:], uint16(4+len(x224)))
	return append(tpkt, x224...)
}

// protocols names the selectedProtocol values of RDP_NEG_RSP.
var protocols = map[uint32]string{
	0: "rdp", 1: "tls", 2: "credssp", 4: "rdstls", 8: "credssp-early-auth",
}

// failures names the failure codes of RDP_NEG_FAILURE.
var failures = map[uint32]string{
	1: "ssl-required", 2: "ssl-not-allowed", 3: "ssl-cert-not-on-server",
	4: "inconsistent-flags", 5: "hybrid-required", 6: "ssl-with-user-auth-required",
}

// Confirm is the server's X.224 Connection Confirm.
type Confirm struct {
	// Protocol is the selected security protocol ("tls", "credssp", …);
	// "rdp" also when the server sent no negotiation structure (a server
	// from before negotiation: standard RDP security); "" on a failure.
	Protocol string
	// Failure names an RDP_NEG_FAILURE ("hybrid-required"); "" when none.
	Failure string
	// Negotiated is false when the answer had no negotiation structure.
	Negotiated bool
	// Flags are the RDP_NEG_RSP flags.
	Flags byte
	// SrcRef is the X.224 source reference the server chose.
	SrcRef uint16
}

// Complete reports whether b holds the whole TPKT it starts with (or
// something that is not one: nothing more to wait for).
func Complete(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	if b[0] != 3 {
		return true
	}
	return len(b) >= int(binary.BigEndian.Uint16(b[2:]))
}

// ParseConfirm parses the answer to a ConnectionRequest.
func ParseConfirm(b []byte) (Confirm, error) {
	if len(b) < 11 || b[0] != 3 || b[1] != 0 {
		return Confirm{}, fmt.Errorf("%w: not a TPKT", ErrMalformed)
	}
	n := int(binary.BigEndian.Uint16(b[2:]))
	li := int(b[4])
	if n < 11 || n > len(b) || li < 6 || 5+li > n || b[5]&0xf0 != x224CC {
		return Confirm{}, fmt.Errorf("%w: not an X.224 Connection Confirm", ErrMalformed)
	}
	c := Confirm{SrcRef: binary.BigEndian.Uint16(b[8:])}
	neg := b[11 : 5+li]
	if len(neg) < 8 {
		c.Protocol = "rdp"
		return c, nil
	}
	c.Negotiated = true
	v := binary.LittleEndian.Uint32(neg[4:])
	switch neg[0] {
	case negRsp:
		c.Flags = neg[1]
		c.Protocol = protocols[v]
		if c.Protocol == "" {
			c.Protocol = strconv.FormatUint(uint64(v), 10)
		}
	case negFailure:
		c.Failure = failures[v]
		if c.Failure == "" {
			c.Failure = strconv.FormatUint(uint64(v), 10)
		}
	default:
		return Confirm{}, fmt.Errorf("%w: negotiation type %d", ErrMalformed, neg[0])
	}
	return c, nil
}

// Answer is what a Confirm says in one word: the selected protocol or
// the failure.
func (c Confirm) Answer() string {
	if c.Failure != "" {
		return c.Failure
	}
	return c.Protocol
}

// der wraps content in a DER tag and length.
func der(tag byte, content ...[]byte) []byte {
	var c []byte
	for _, x := range content {
		c = append(c, x...)
	}
	n := len(c)
	switch {
	case n < 0x80:
		return append([]byte{tag, byte(n)}, c...)
	case n < 0x100:
		return append([]byte{tag, 0x81, byte(n)}, c...)
	default:
		return append([]byte{tag, 0x82, byte(n >> 8), byte(n)}, c...)
	}
}

// TSRequest is a CredSSP TSRequest (version 2) carrying token in
// negoTokens ([MS-CSSP] 2.2.1).
func TSRequest(token []byte) []byte {
	version := der(0xa0, der(0x02, []byte{2}))
	nego := der(0xa1, der(0x30, der(0x30, der(0xa0, der(0x04, token)))))
	return der(0x30, version, nego)
}

// TSComplete reports whether b holds the whole DER value it starts with.
func TSComplete(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	if b[0] != 0x30 {
		return true
	}
	n, hdr := derLen(b)
	if hdr == 0 {
		return len(b) >= 6
	}
	return len(b) >= hdr+n
}

// derLen returns the length of the DER value at b and its header size (0
// when not yet readable).
func derLen(b []byte) (int, int) {
	if len(b) < 2 {
		return 0, 0
	}
	l := int(b[1])
	if l < 0x80 {
		return l, 2
	}
	k := l & 0x7f
	if k == 0 || k > 3 || len(b) < 2+k {
		return 0, 0
	}
	n := 0
	for _, x := range b[2 : 2+k] {
		n = n<<8 | int(x)
	}
	return n, 2 + k
}
