// Package smb encodes and decodes the small part of SMB that vigil speaks,
// written from [MS-SMB2], [MS-SMB], [MS-CIFS], [MS-NLMP], [MS-RPCE] and
// [MS-SRVS]: dialect negotiation (SMB1 and SMB2), the first leg of an NTLM
// session setup (the server's CHALLENGE names the server and its build), a
// null or guest session, and the srvsvc NetShareEnumAll call that lists
// share names. Nothing here opens a share or reads a file. Every parser
// takes hostile bytes and never panics; messages travel in the 4-byte
// direct-TCP framing ([MS-SMB2] 2.1).
package smb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// ErrMalformed means a message does not follow the protocol.
var ErrMalformed = errors.New("malformed SMB message")

// NT status codes vigil tells apart.
const (
	StatusSuccess                = 0x00000000
	StatusMoreProcessingRequired = 0xc0000016
	StatusBufferOverflow         = 0x80000005
)

// Frame puts msg in a direct-TCP transport header.
func Frame(msg []byte) []byte {
	n := len(msg)
	return append([]byte{0, byte(n >> 16), byte(n >> 8), byte(n)}, msg...)
}

// Complete reports whether b holds the whole direct-TCP message it starts
// with (or something that is not one: nothing more to wait for).
func Complete(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	if b[0] != 0 {
		return true
	}
	return len(b) >= 4+(int(b[1])<<16|int(b[2])<<8|int(b[3]))
}

// Unframe returns the message inside the direct-TCP header at the start of b.
func Unframe(b []byte) ([]byte, error) {
	if len(b) < 4 || b[0] != 0 {
		return nil, fmt.Errorf("%w: no direct TCP header", ErrMalformed)
	}
	n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if len(b) < 4+n {
		return nil, fmt.Errorf("%w: message cut short", ErrMalformed)
	}
	return b[4 : 4+n], nil
}

// utf16le encodes s as UTF-16LE without a terminator.
func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// fromUTF16 decodes UTF-16LE bytes up to the first NUL.
func fromUTF16(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// slice returns b[off:off+n] when it lies inside b.
func slice(b []byte, off, n int) ([]byte, bool) {
	if off < 0 || n < 0 || off > len(b) || n > len(b)-off {
		return nil, false
	}
	return b[off : off+n], true
}
