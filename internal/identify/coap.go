package identify

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// CoAP (RFC 7252) message types and the option numbers used here.
const (
	coapCON           = 0
	coapNON           = 1
	coapACK           = 2
	coapRST           = 3
	coapOptUriPath    = 11
	coapOptContentFmt = 12
)

// coapGetCore is a confirmable GET /.well-known/core (RFC 6690) with
// message id mid and token tok.
func coapGetCore(mid uint16, tok [4]byte) []byte {
	b := []byte{1<<6 | coapCON<<4 | byte(len(tok)), 0x01} // ver 1, CON, TKL 4; GET
	b = binary.BigEndian.AppendUint16(b, mid)
	b = append(b, tok[:]...)
	b = append(b, coapOptUriPath<<4|11)
	b = append(b, ".well-known"...)
	b = append(b, 0<<4|4)
	return append(b, "core"...)
}

// coapMessage is a parsed CoAP message.
type coapMessage struct {
	typ     int
	code    byte // class<<5 | detail
	mid     uint16
	token   []byte
	format  int // Content-Format, -1 when absent
	payload []byte
}

// codeString is the code as "2.05".
func (m coapMessage) codeString() string { return fmt.Sprintf("%d.%02d", m.code>>5, m.code&0x1f) }

// parseCoAP parses one CoAP message over UDP.
func parseCoAP(b []byte) (coapMessage, error) {
	if len(b) < 4 || b[0]>>6 != 1 {
		return coapMessage{}, noMatch(proto.CoAP, "not CoAP version 1")
	}
	m := coapMessage{typ: int(b[0] >> 4 & 3), code: b[1], mid: binary.BigEndian.Uint16(b[2:]), format: -1}
	tkl := int(b[0] & 0xf)
	if tkl > 8 || len(b) < 4+tkl {
		return coapMessage{}, noMatch(proto.CoAP, "bad token length")
	}
	m.token = b[4 : 4+tkl]
	if m.code == 0 { // empty message: nothing may follow the header
		if tkl != 0 || len(b) != 4 {
			return coapMessage{}, noMatch(proto.CoAP, "empty message with content")
		}
		return m, nil
	}
	if c := m.code >> 5; c != 2 && c != 4 && c != 5 {
		return coapMessage{}, noMatch(proto.CoAP, "code %d.%02d is no response", c, m.code&0x1f)
	}
	opts, num := b[4+tkl:], 0
	for len(opts) > 0 {
		if opts[0] == 0xff {
			if len(opts) == 1 {
				return coapMessage{}, noMatch(proto.CoAP, "payload marker without payload")
			}
			m.payload = opts[1:]
			break
		}
		delta, length := int(opts[0]>>4), int(opts[0]&0xf)
		opts = opts[1:]
		var err error
		if delta, opts, err = coapExtended(delta, opts); err != nil {
			return coapMessage{}, err
		}
		if length, opts, err = coapExtended(length, opts); err != nil {
			return coapMessage{}, err
		}
		if length > len(opts) {
			return coapMessage{}, noMatch(proto.CoAP, "option cut short")
		}
		num += delta
		if num == coapOptContentFmt {
			v := 0
			for _, c := range opts[:min(length, 2)] {
				v = v<<8 | int(c)
			}
			m.format = v
		}
		opts = opts[length:]
	}
	return m, nil
}

// coapExtended decodes an option delta or length nibble (RFC 7252 §3.1).
func coapExtended(n int, b []byte) (int, []byte, error) {
	switch n {
	case 13:
		if len(b) < 1 {
			return 0, nil, noMatch(proto.CoAP, "option cut short")
		}
		return int(b[0]) + 13, b[1:], nil
	case 14:
		if len(b) < 2 {
			return 0, nil, noMatch(proto.CoAP, "option cut short")
		}
		return int(binary.BigEndian.Uint16(b)) + 269, b[2:], nil
	case 15:
		return 0, nil, noMatch(proto.CoAP, "reserved option nibble")
	}
	return n, b, nil
}

// coapResources lists the link targets of a link-format payload (RFC 6690:
// </sensors/temp>;rt="…",</…>), at most max of them.
func coapResources(payload []byte, max int) []string {
	var out []string
	for part := range bytes.SplitSeq(payload, []byte(",")) {
		part = bytes.TrimSpace(part)
		if len(part) < 2 || part[0] != '<' {
			continue
		}
		end := bytes.IndexByte(part, '>')
		if end < 0 {
			continue
		}
		out = append(out, clean(string(part[1:end]), 64))
		if len(out) == max {
			break
		}
	}
	return out
}

// applyCoAP records a CoAP answer in s: details coap.code ("2.05"), and
// coap.resources (the links /.well-known/core listed, comma-separated).
func applyCoAP(m coapMessage, s *facts.Service) {
	s.Name = proto.CoAP
	if m.typ == coapRST {
		s.SetDetail(facts.DetailCoapCode, "reset")
		return
	}
	s.SetDetail(facts.DetailCoapCode, m.codeString())
	if m.code>>5 == 2 && (m.format == 40 || m.format == -1) {
		if r := coapResources(m.payload, 32); len(r) > 0 {
			s.SetDetail(facts.DetailCoapResources, strings.Join(r, ","))
			s.Banner = clean(string(m.payload), 256)
		}
	}
}

// coapSession is the GET /.well-known/core exchange: the acknowledgement
// (or reset) carries its message id, a response its token. An empty
// acknowledgement announces a separate response, which is awaited.
type coapSession struct {
	mid uint16
	tok [4]byte
}

func newCoAPSession(udpEnv) udpSession {
	c := &coapSession{mid: rand16()}
	fillRandom(c.tok[:])
	return c
}

func (c *coapSession) request(int) []byte { return coapGetCore(c.mid, c.tok) }

func (c *coapSession) answer(b []byte, s *facts.Service) (bool, bool) {
	m, err := parseCoAP(b)
	if err != nil {
		return false, false
	}
	switch {
	case m.code == 0 && (m.typ == coapACK || m.typ == coapRST) && m.mid == c.mid:
		if s.Name != proto.CoAP || m.typ == coapRST {
			applyCoAP(m, s)
		}
		return true, m.typ == coapRST
	case m.code != 0 && bytes.Equal(m.token, c.tok[:]) && (m.typ != coapACK || m.mid == c.mid):
		applyCoAP(m, s)
		return true, true
	}
	return false, false
}
