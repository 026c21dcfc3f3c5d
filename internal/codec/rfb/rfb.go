// Package rfb reads the ProtocolVersion message of RFB, the remote
// framebuffer protocol VNC speaks (RFC 6143 section 7.1.1): the twelve
// bytes "RFB xxx.yyy\n" a server sends first and a client answers. It is
// vigil's one parser of them, for identification and access audits alike.
// It never panics on hostile input.
package rfb

import (
	"errors"
	"fmt"
)

// Len is the length of a ProtocolVersion message.
const Len = 12

// ErrNoVersion means the bytes do not start with a ProtocolVersion
// message.
var ErrNoVersion = errors.New("no RFB version")

// ErrBadDigits means the message has the shape of a ProtocolVersion but
// its version is not three digits, a dot and three digits.
var ErrBadDigits = errors.New("bad RFB version digits")

// Version is an RFB protocol version: 3.3, 3.7, 3.8, or a vendor's own
// (3.889 is Apple Remote Desktop).
type Version struct {
	Major, Minor int
}

// String returns the version as "3.8".
func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Message returns the ProtocolVersion message that announces v: "RFB
// 003.008\n". Numbers above 999 do not fit and are clipped to 999.
func (v Version) Message() []byte {
	return fmt.Appendf(nil, "RFB %03d.%03d\n", min(max(v.Major, 0), 999), min(max(v.Minor, 0), 999))
}

// ParseVersion reads the ProtocolVersion message at the start of b; bytes
// after its twelve are not looked at.
func ParseVersion(b []byte) (Version, error) {
	if len(b) < Len || string(b[:4]) != "RFB " || b[7] != '.' || b[11] != '\n' {
		return Version{}, ErrNoVersion
	}
	major, ok1 := digits(b[4:7])
	minor, ok2 := digits(b[8:11])
	if !ok1 || !ok2 {
		return Version{}, ErrBadDigits
	}
	return Version{Major: major, Minor: minor}, nil
}

// digits reads decimal digits and nothing else.
func digits(d []byte) (int, bool) {
	n := 0
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
