package smb

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"strings"
)

// NTLMSSP ([MS-NLMP] 2.2).
const (
	ntlmUnicode         = 0x00000001
	ntlmRequestTarget   = 0x00000004
	ntlmNTLM            = 0x00000200
	ntlmAnonymous       = 0x00000800
	ntlmAlwaysSign      = 0x00008000
	ntlmExtendedSession = 0x00080000
	ntlmTargetInfo      = 0x00800000
	ntlmVersion         = 0x02000000
	ntlm128             = 0x20000000
	ntlm56              = 0x80000000

	ntlmFlags = ntlmUnicode | ntlmRequestTarget | ntlmNTLM | ntlmAlwaysSign | ntlmExtendedSession |
		ntlmTargetInfo | ntlmVersion | ntlm128 | ntlm56
)

var ntlmSignature = []byte("NTLMSSP\x00")

// clientVersion is the Version structure vigil sends (6.1, revision 15).
var clientVersion = []byte{6, 1, 0, 0, 0, 0, 0, 15}

// NTLMNegotiate is an NTLMSSP NEGOTIATE_MESSAGE asking for the target
// information and the server's version.
func NTLMNegotiate() []byte {
	b := append([]byte{}, ntlmSignature...)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint32(b, ntlmFlags)
	b = append(b, make([]byte, 16)...) // domain and workstation: empty
	return append(b, clientVersion...)
}

// Challenge is what an NTLMSSP CHALLENGE_MESSAGE tells about the server.
type Challenge struct {
	Flags      uint32
	Challenge  [8]byte
	TargetName string
	// TargetInfo is the raw AV_PAIR list, echoed in an NTLMv2 response.
	TargetInfo []byte
	// AV pairs ([MS-NLMP] 2.2.2.1).
	NetBIOSComputer, NetBIOSDomain, DNSComputer, DNSDomain, DNSTree string
	// Timestamp is MsvAvTimestamp (a FILETIME), zero when absent.
	Timestamp uint64
	// HasVersion is set when the Version structure was sent: Major.Minor
	// and Build are the server's OS version ([MS-NLMP] 2.2.2.10).
	HasVersion   bool
	Major, Minor byte
	Build        uint16
	Revision     byte
}

// OSVersion returns "major.minor.build", or "" without a Version structure.
func (c *Challenge) OSVersion() string {
	if !c.HasVersion {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", c.Major, c.Minor, c.Build)
}

// FindNTLM returns the NTLMSSP message inside a security blob (raw, or
// wrapped in SPNEGO), or nil.
func FindNTLM(blob []byte) []byte {
	i := bytes.Index(blob, ntlmSignature)
	if i < 0 {
		return nil
	}
	return blob[i:]
}

// ParseChallenge parses a CHALLENGE_MESSAGE.
func ParseChallenge(b []byte) (Challenge, error) {
	var c Challenge
	if len(b) < 48 || !bytes.HasPrefix(b, ntlmSignature) || binary.LittleEndian.Uint32(b[8:]) != 2 {
		return c, fmt.Errorf("%w: not an NTLMSSP CHALLENGE", ErrMalformed)
	}
	c.Flags = binary.LittleEndian.Uint32(b[20:])
	copy(c.Challenge[:], b[24:32])
	if name, ok := field(b, 12); ok {
		c.TargetName = ntlmString(name, c.Flags)
	}
	payload := len(b)
	if info, ok := field(b, 40); ok && len(info) > 0 {
		c.TargetInfo = info
		payload = min(payload, int(binary.LittleEndian.Uint32(b[44:])))
		c.parseAVPairs(info)
	}
	if n, ok := field(b, 12); ok && len(n) > 0 {
		payload = min(payload, int(binary.LittleEndian.Uint32(b[16:])))
	}
	if c.Flags&ntlmVersion != 0 && len(b) >= 56 && payload >= 56 {
		c.HasVersion = true
		c.Major, c.Minor = b[48], b[49]
		c.Build = binary.LittleEndian.Uint16(b[50:])
		c.Revision = b[55]
	}
	return c, nil
}

// field returns the payload a (Len, MaxLen, Offset) field at off points to.
func field(b []byte, off int) ([]byte, bool) {
	if len(b) < off+8 {
		return nil, false
	}
	n := int(binary.LittleEndian.Uint16(b[off:]))
	o := int(binary.LittleEndian.Uint32(b[off+4:]))
	return slice(b, o, n)
}

// ntlmString decodes a string field, UTF-16 when Unicode was negotiated.
func ntlmString(b []byte, flags uint32) string {
	if flags&ntlmUnicode != 0 {
		return fromUTF16(b)
	}
	return string(b)
}

// parseAVPairs reads the AV_PAIR list it knows of.
func (c *Challenge) parseAVPairs(b []byte) {
	for len(b) >= 4 {
		id := binary.LittleEndian.Uint16(b)
		n := int(binary.LittleEndian.Uint16(b[2:]))
		if id == 0 || len(b) < 4+n {
			return
		}
		v := b[4 : 4+n]
		switch id {
		case 1:
			c.NetBIOSComputer = fromUTF16(v)
		case 2:
			c.NetBIOSDomain = fromUTF16(v)
		case 3:
			c.DNSComputer = fromUTF16(v)
		case 4:
			c.DNSDomain = fromUTF16(v)
		case 5:
			c.DNSTree = fromUTF16(v)
		case 7:
			if n == 8 {
				c.Timestamp = binary.LittleEndian.Uint64(v)
			}
		}
		b = b[4+n:]
	}
}

// ntHashEmpty is MD4 of the empty password in UTF-16LE ([MS-NLMP] 3.3.1,
// NTOWFv1("")): the only password vigil ever uses.
var ntHashEmpty = []byte{0x31, 0xd6, 0xcf, 0xe0, 0xd1, 0x6a, 0xe9, 0x31, 0xb7, 0x3c, 0x59, 0xd7, 0xe0, 0xc0, 0x89, 0xc0}

// NTLMAuthenticate is an AUTHENTICATE_MESSAGE answering c. With user ""
// it is an anonymous (null session) login ([MS-NLMP] 3.2.5.1.2); otherwise
// an NTLMv2 response for user with the empty password, which servers that
// map unknown users to guest accept as the guest. clientChallenge and now
// (a FILETIME, used when the server sent no timestamp) are the caller's,
// so the message is reproducible.
func NTLMAuthenticate(c Challenge, user string, clientChallenge [8]byte, now uint64) []byte {
	var lm, nt []byte
	flags := uint32(ntlmFlags)
	if user == "" {
		lm = []byte{0}
		flags |= ntlmAnonymous
	} else {
		domain := c.NetBIOSDomain
		mac := hmac.New(md5.New, ntHashEmpty)
		mac.Write(utf16le(strings.ToUpper(user) + domain))
		owf := mac.Sum(nil)
		ts := c.Timestamp
		if ts == 0 {
			ts = now
		}
		temp := []byte{1, 1, 0, 0, 0, 0, 0, 0}
		temp = binary.LittleEndian.AppendUint64(temp, ts)
		temp = append(temp, clientChallenge[:]...)
		temp = append(temp, 0, 0, 0, 0)
		temp = append(temp, c.TargetInfo...)
		temp = append(temp, 0, 0, 0, 0)
		mac = hmac.New(md5.New, owf)
		mac.Write(c.Challenge[:])
		mac.Write(temp)
		nt = append(mac.Sum(nil), temp...)
		lm = make([]byte, 24)
	}
	domain := utf16le(c.NetBIOSDomain)
	if user == "" {
		domain = nil
	}
	fields := [][]byte{lm, nt, domain, utf16le(user), nil, nil} // LM, NT, domain, user, workstation, session key
	const head = 72
	b := append([]byte{}, ntlmSignature...)
	b = binary.LittleEndian.AppendUint32(b, 3)
	off := head
	for _, f := range fields {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(f)))
		b = binary.LittleEndian.AppendUint16(b, uint16(len(f)))
		b = binary.LittleEndian.AppendUint32(b, uint32(off))
		off += len(f)
	}
	b = binary.LittleEndian.AppendUint32(b, flags)
	b = append(b, clientVersion...)
	for _, f := range fields {
		b = append(b, f...)
	}
	return b
}

// SPNEGO wrapping (RFC 4178) of NTLMSSP tokens.
var (
	oidSPNEGO = []byte{0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}
	oidNTLM   = []byte{0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a}
)

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

// SPNEGOInit wraps an NTLMSSP NEGOTIATE in a NegTokenInit offering NTLM.
func SPNEGOInit(token []byte) []byte {
	mechs := der(0xa0, der(0x30, oidNTLM))
	tok := der(0xa2, der(0x04, token))
	return der(0x60, oidSPNEGO, der(0xa0, der(0x30, mechs, tok)))
}

// SPNEGOResponse wraps an NTLMSSP AUTHENTICATE in a NegTokenResp.
func SPNEGOResponse(token []byte) []byte {
	return der(0xa1, der(0x30, der(0xa2, der(0x04, token))))
}
