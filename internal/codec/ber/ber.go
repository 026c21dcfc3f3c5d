// Package ber is a small BER (ITU-T X.690) encoder and decoder: enough for
// LDAP (RFC 4511) and SNMP (RFC 3416, RFC 3412) messages. Definite lengths
// only, as both protocols require. Decoding never panics on hostile input.
package ber

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Identifier octet classes and the constructed bit.
const (
	Universal   = 0x00
	Application = 0x40
	Context     = 0x80
	Private     = 0xc0
	Constructed = 0x20
)

// Universal tags, as identifier octets.
const (
	TagBoolean     = 0x01
	TagInteger     = 0x02
	TagOctetString = 0x04
	TagNull        = 0x05
	TagOID         = 0x06
	TagEnumerated  = 0x0a
	TagSequence    = 0x30 // constructed SEQUENCE
	TagSet         = 0x31 // constructed SET
)

// ErrMalformed is the cause of every decoding failure.
var ErrMalformed = errors.New("malformed BER")

// Elem is one decoded TLV.
type Elem struct {
	Class       byte // Universal, Application, Context or Private
	Constructed bool
	Tag         int // tag number
	Content     []byte
}

// ID returns the identifier octet for tags below 31, as used in switches
// (class | constructed | tag).
func (e Elem) ID() int {
	c := 0
	if e.Constructed {
		c = Constructed
	}
	return int(e.Class) | c | e.Tag
}

// errShort marks a header cut short: more bytes may complete it.
var errShort = errors.New("truncated")

// header decodes the identifier and length octets at the start of b: the
// element without its content, the header's length and the content's. Its
// error is errShort while more bytes may complete the header, or wraps
// ErrMalformed when none can.
func header(b []byte) (e Elem, hdr, n int, err error) {
	if len(b) < 2 {
		return Elem{}, 0, 0, errShort
	}
	e = Elem{Class: b[0] & 0xc0, Constructed: b[0]&Constructed != 0, Tag: int(b[0] & 0x1f)}
	i := 1
	if e.Tag == 0x1f { // high tag number form
		e.Tag = 0
		for {
			if i > 4 {
				return Elem{}, 0, 0, fmt.Errorf("%w: bad tag", ErrMalformed)
			}
			if i >= len(b) {
				return Elem{}, 0, 0, errShort
			}
			e.Tag = e.Tag<<7 | int(b[i]&0x7f)
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return Elem{}, 0, 0, errShort
	}
	l := int(b[i])
	i++
	if l&0x80 != 0 {
		k := l & 0x7f
		if k == 0 || k > 4 { // indefinite length, or more than 4 length octets
			return Elem{}, 0, 0, fmt.Errorf("%w: bad length", ErrMalformed)
		}
		if i+k > len(b) {
			return Elem{}, 0, 0, errShort
		}
		l = 0
		for _, c := range b[i : i+k] {
			l = l<<8 | int(c)
		}
		i += k
	}
	if l < 0 {
		return Elem{}, 0, 0, fmt.Errorf("%w: length %d", ErrMalformed, l)
	}
	return e, i, l, nil
}

// Parse decodes the TLV at the start of b and returns it and the bytes
// after it.
func Parse(b []byte) (Elem, []byte, error) {
	e, i, l, err := header(b)
	if errors.Is(err, errShort) {
		return Elem{}, nil, fmt.Errorf("%w: truncated header", ErrMalformed)
	}
	if err != nil {
		return Elem{}, nil, err
	}
	if l > len(b)-i {
		return Elem{}, nil, fmt.Errorf("%w: length %d beyond data", ErrMalformed, l)
	}
	e.Content = b[i : i+l]
	return e, b[i+l:], nil
}

// Need returns how many bytes the TLV at the start of b occupies in all,
// header and content, once its header has arrived (it may be more than
// len(b)), or 0 while the header is incomplete. Its error, wrapping
// ErrMalformed, means no further bytes can make b start a definite-length
// element (an indefinite length, too many length or tag octets), so a
// reader can give up at once instead of waiting for more.
func Need(b []byte) (int, error) {
	_, hdr, n, err := header(b)
	switch {
	case errors.Is(err, errShort):
		return 0, nil
	case err != nil:
		return 0, err
	case n > math.MaxInt-hdr:
		return 0, fmt.Errorf("%w: length %d", ErrMalformed, n)
	}
	return hdr + n, nil
}

// Len returns the total length of the TLV b starts with when it is
// complete, for reading messages off a stream.
func Len(b []byte) (int, bool) {
	_, rest, err := Parse(b)
	if err != nil {
		return 0, false
	}
	return len(b) - len(rest), true
}

// Children decodes the TLVs inside a constructed element.
func Children(content []byte) ([]Elem, error) {
	var out []Elem
	for len(content) > 0 {
		e, rest, err := Parse(content)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		content = rest
	}
	return out, nil
}

// Int decodes an INTEGER or ENUMERATED content as int64. Unsigned values
// up to 2^64-1 with a leading zero octet (SNMP counters) are accepted when
// they fit.
func Int(content []byte) (int64, error) {
	if len(content) == 0 || len(content) > 9 || (len(content) == 9 && content[0] != 0) {
		return 0, fmt.Errorf("%w: integer of %d octets", ErrMalformed, len(content))
	}
	var v int64
	if content[0]&0x80 != 0 {
		v = -1
	}
	for _, c := range content {
		v = v<<8 | int64(c)
	}
	return v, nil
}

// OID decodes an OBJECT IDENTIFIER content as dotted text.
func OID(content []byte) (string, error) {
	if len(content) == 0 {
		return "", fmt.Errorf("%w: empty OID", ErrMalformed)
	}
	var parts []string
	var v uint64
	for i, c := range content {
		if v > 1<<56 {
			return "", fmt.Errorf("%w: OID arc too large", ErrMalformed)
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			if i == len(content)-1 {
				return "", fmt.Errorf("%w: OID cut short", ErrMalformed)
			}
			continue
		}
		if len(parts) == 0 {
			first := min(v/40, 2)
			parts = append(parts, strconv.FormatUint(first, 10), strconv.FormatUint(v-first*40, 10))
		} else {
			parts = append(parts, strconv.FormatUint(v, 10))
		}
		v = 0
	}
	return strings.Join(parts, "."), nil
}

// Encoding.

// TLV encodes one element with identifier octet id.
func TLV(id byte, content []byte) []byte {
	b := []byte{id}
	switch n := len(content); {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	case n < 0x10000:
		b = append(b, 0x82, byte(n>>8), byte(n))
	default:
		b = append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, content...)
}

// Concat joins encoded elements into the content of a constructed one.
func Concat(elems ...[]byte) []byte {
	var b []byte
	for _, e := range elems {
		b = append(b, e...)
	}
	return b
}

// IntBytes encodes v as the minimal two's complement content of an
// INTEGER.
func IntBytes(v int64) []byte {
	b := []byte{byte(v)}
	for v >>= 8; !(v == 0 && b[0]&0x80 == 0) && !(v == -1 && b[0]&0x80 != 0); v >>= 8 {
		b = append([]byte{byte(v)}, b...)
	}
	return b
}

// Integer encodes an INTEGER (or, with another id, an ENUMERATED).
func Integer(id byte, v int64) []byte { return TLV(id, IntBytes(v)) }

// Octets encodes an OCTET STRING.
func Octets(s string) []byte { return TLV(TagOctetString, []byte(s)) }

// EncodeOID encodes a dotted OBJECT IDENTIFIER; it panics on a malformed
// constant, as it is only used with literals.
func EncodeOID(oid string) []byte {
	parts := strings.Split(oid, ".")
	arcs := make([]uint64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			panic("ber: bad OID literal " + oid)
		}
		arcs[i] = v
	}
	if len(arcs) < 2 {
		panic("ber: bad OID literal " + oid)
	}
	var b []byte
	enc := func(v uint64) {
		var tmp []byte
		tmp = append(tmp, byte(v&0x7f))
		for v >>= 7; v > 0; v >>= 7 {
			tmp = append([]byte{byte(v&0x7f) | 0x80}, tmp...)
		}
		b = append(b, tmp...)
	}
	enc(arcs[0]*40 + arcs[1])
	for _, a := range arcs[2:] {
		enc(a)
	}
	return TLV(TagOID, b)
}
