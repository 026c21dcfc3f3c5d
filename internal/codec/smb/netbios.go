package smb

import "fmt"

// NetBIOS session service (RFC 1002 4.3): on port 139 a client first sends
// a SESSION REQUEST naming the server; the server answers POSITIVE (0x82)
// or NEGATIVE (0x83) SESSION RESPONSE, and SMB messages follow in the same
// 4-byte framing as over direct TCP.
const (
	nbSessionRequest    = 0x81
	nbPositive          = 0x82
	nbNegative          = 0x83
	nbSMBServerWildcard = "*SMBSERVER"
)

// encodeName is the first-level encoding of a NetBIOS name (RFC 1001
// 14.1): padded with spaces to 15 characters plus suffix, each half-byte
// as a letter from 'A', preceded by its length and followed by the root
// label.
func encodeName(name string, suffix byte) []byte {
	n := []byte(name)
	for len(n) < 15 {
		n = append(n, ' ')
	}
	n = append(n[:15], suffix)
	b := []byte{32}
	for _, c := range n {
		b = append(b, 'A'+c>>4, 'A'+c&15)
	}
	return append(b, 0)
}

// SessionRequest is a NetBIOS SESSION REQUEST to the wildcard server name
// *SMBSERVER (which Windows and Samba answer for whatever their name) from
// calling.
func SessionRequest(calling string) []byte {
	body := append(encodeName(nbSMBServerWildcard, 0x20), encodeName(calling, 0)...)
	return append([]byte{nbSessionRequest, 0, 0, byte(len(body))}, body...)
}

// IsNegativeSessionResponse reports whether b starts with a NEGATIVE
// SESSION RESPONSE: the server wants a SESSION REQUEST first.
func IsNegativeSessionResponse(b []byte) bool { return len(b) >= 4 && b[0] == nbNegative }

// ParseSessionResponse reports whether the server accepted a SESSION
// REQUEST; a refusal names RFC 1002's error code.
func ParseSessionResponse(b []byte) error {
	if len(b) < 4 {
		return fmt.Errorf("%w: NetBIOS session response cut short", ErrMalformed)
	}
	switch b[0] {
	case nbPositive:
		return nil
	case nbNegative:
		if len(b) >= 5 {
			return fmt.Errorf("NetBIOS session refused (error 0x%02x)", b[4])
		}
		return fmt.Errorf("NetBIOS session refused")
	}
	return fmt.Errorf("%w: not a NetBIOS session response (type 0x%02x)", ErrMalformed, b[0])
}
