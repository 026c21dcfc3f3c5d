// Package snmp builds and decodes the SNMP messages vigil sends and reads:
// v1 and v2c GetRequests with a community (RFC 1157, RFC 3416), the SNMPv3
// engine discovery request (RFC 3412, RFC 3414 section 4), and the answers
// to both. Decoding never panics on hostile input.
package snmp

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/vigilsec/vigil/internal/codec/ber"
)

// PDU types, as identifier octets, and message versions.
const (
	GetRequest  = ber.Context | ber.Constructed // [0]
	GetResponse = ber.Context | ber.Constructed | 2
	Report      = ber.Context | ber.Constructed | 8
	V1          = 0
	V2c         = 1
	V3          = 3
)

// SysDescr is the OID of sysDescr.0 (RFC 3418).
const SysDescr = "1.3.6.1.2.1.1.1.0"

// VersionNames names message versions as vigil reports them.
var VersionNames = map[int64]string{V1: "v1", V2c: "v2c", V3: "v3"}

// ErrMalformed is the cause of every decoding failure.
var ErrMalformed = errors.New("not an SNMP message")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Get is a v1 or v2c GetRequest for oid with community.
func Get(version int64, community string, reqID int32, oid string) []byte {
	vb := ber.TLV(ber.TagSequence, ber.TLV(ber.TagSequence, ber.Concat(ber.EncodeOID(oid), ber.TLV(ber.TagNull, nil))))
	pdu := ber.TLV(GetRequest, ber.Concat(
		ber.Integer(ber.TagInteger, int64(reqID)), ber.Integer(ber.TagInteger, 0), ber.Integer(ber.TagInteger, 0), vb))
	return ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, version), ber.Octets(community), pdu))
}

// V3Discovery is an SNMPv3 noAuthNoPriv, reportable GetRequest with an
// empty engine ID: an agent answers it with a Report carrying its engine ID
// (RFC 3414 section 4), no credentials needed.
func V3Discovery(msgID, reqID int32) []byte {
	header := ber.TLV(ber.TagSequence, ber.Concat(
		ber.Integer(ber.TagInteger, int64(msgID)),
		ber.Integer(ber.TagInteger, 65507),
		ber.Octets("\x04"),             // reportable
		ber.Integer(ber.TagInteger, 3), // USM
	))
	usm := ber.TLV(ber.TagSequence, ber.Concat(
		ber.Octets(""), ber.Integer(ber.TagInteger, 0), ber.Integer(ber.TagInteger, 0),
		ber.Octets(""), ber.Octets(""), ber.Octets("")))
	pdu := ber.TLV(GetRequest, ber.Concat(
		ber.Integer(ber.TagInteger, int64(reqID)), ber.Integer(ber.TagInteger, 0), ber.Integer(ber.TagInteger, 0),
		ber.TLV(ber.TagSequence, nil)))
	scoped := ber.TLV(ber.TagSequence, ber.Concat(ber.Octets(""), ber.Octets(""), pdu))
	return ber.TLV(ber.TagSequence, ber.Concat(
		ber.Integer(ber.TagInteger, V3), header, ber.TLV(ber.TagOctetString, usm), scoped))
}

// Message is a decoded SNMP message.
type Message struct {
	Version   int64
	Community string // v1, v2c
	MsgID     int64  // v3
	EngineID  []byte // v3
	Boots     int64  // v3
	Time      int64  // v3
	PDUType   int    // 0 when a v3 scoped PDU is encrypted
	ReqID     int64
	ErrStatus int64
	// The first variable binding: its OID, the value's identifier octet
	// and content.
	OID      string
	ValueTag int
	Value    []byte
}

// Parse decodes an SNMP v1, v2c or v3 message.
func Parse(b []byte) (Message, error) {
	top, _, err := ber.Parse(b)
	if err != nil || top.ID() != ber.TagSequence {
		return Message{}, malformed("not a BER sequence")
	}
	kids, err := ber.Children(top.Content)
	if err != nil || len(kids) < 3 || kids[0].ID() != ber.TagInteger {
		return Message{}, malformed("no version")
	}
	var m Message
	if m.Version, err = ber.Int(kids[0].Content); err != nil {
		return Message{}, malformed("bad version")
	}
	var pdu ber.Elem
	switch m.Version {
	case V1, V2c:
		if kids[1].ID() != ber.TagOctetString {
			return Message{}, malformed("no community")
		}
		m.Community, pdu = string(kids[1].Content), kids[2]
	case V3:
		if len(kids) < 4 {
			return Message{}, malformed("short v3 message")
		}
		hdr, err := ber.Children(kids[1].Content)
		if err != nil || len(hdr) < 4 || hdr[0].ID() != ber.TagInteger {
			return Message{}, malformed("bad v3 header")
		}
		if m.MsgID, err = ber.Int(hdr[0].Content); err != nil {
			return Message{}, malformed("bad msgID")
		}
		if kids[2].ID() == ber.TagOctetString {
			if usm, _, err := ber.Parse(kids[2].Content); err == nil {
				if f, err := ber.Children(usm.Content); err == nil && len(f) >= 3 {
					m.EngineID = f[0].Content
					m.Boots, _ = ber.Int(f[1].Content)
					m.Time, _ = ber.Int(f[2].Content)
				}
			}
		}
		if kids[3].ID() != ber.TagSequence {
			return m, nil // encrypted scoped PDU
		}
		scoped, err := ber.Children(kids[3].Content)
		if err != nil || len(scoped) < 3 {
			return Message{}, malformed("bad scoped PDU")
		}
		pdu = scoped[2]
	default:
		return Message{}, malformed("version %d", m.Version)
	}
	if pdu.Class != ber.Context || !pdu.Constructed {
		return Message{}, malformed("no PDU")
	}
	m.PDUType = pdu.ID()
	f, err := ber.Children(pdu.Content)
	if err != nil || len(f) < 4 {
		return Message{}, malformed("bad PDU")
	}
	m.ReqID, _ = ber.Int(f[0].Content)
	m.ErrStatus, _ = ber.Int(f[1].Content)
	if vbs, err := ber.Children(f[3].Content); err == nil && len(vbs) > 0 {
		if vb, err := ber.Children(vbs[0].Content); err == nil && len(vb) >= 2 && vb[0].ID() == ber.TagOID {
			m.OID, _ = ber.OID(vb[0].Content)
			m.ValueTag = vb[1].ID()
			m.Value = vb[1].Content
		}
	}
	return m, nil
}

// Enterprise returns the enterprise number an engine ID starts with (RFC
// 3411 SnmpEngineID: four octets, the first bit set in the new format).
func Enterprise(id []byte) (uint32, bool) {
	if len(id) < 5 {
		return 0, false
	}
	return binary.BigEndian.Uint32(id) &^ 0x80000000, true
}
