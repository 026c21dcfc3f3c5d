package smb

import (
	"encoding/binary"
	"fmt"
)

// SMB1 ([MS-CIFS] 2.2.3.1, [MS-SMB] 2.2.4).
const (
	smb1Negotiate    = 0x72
	smb1SessionSetup = 0x73
	smb1Flags2       = 0x8000 | 0x4000 | 0x0800 | 0x0001 // Unicode, NT status, extended security, long names
	// SMB1SigningRequired is NEGOTIATE_SECURITY_SIGNATURES_REQUIRED.
	SMB1SigningRequired = 0x08
	// SMB1SigningEnabled is NEGOTIATE_SECURITY_SIGNATURES_ENABLED.
	SMB1SigningEnabled = 0x04
)

// smb1Header is an SMB1 header for command.
func smb1Header(command byte, mid uint16) []byte {
	h := make([]byte, 32)
	copy(h, "\xffSMB")
	h[4] = command
	h[9] = 0x18 // case-insensitive, canonicalised paths
	binary.LittleEndian.PutUint16(h[10:], smb1Flags2)
	binary.LittleEndian.PutUint16(h[26:], 0xfeff) // PIDLow
	binary.LittleEndian.PutUint16(h[30:], mid)
	return h
}

// SMB1Negotiate is an SMB1 NEGOTIATE offering only the NT LM 0.12 dialect:
// a server that accepts it speaks SMBv1.
func SMB1Negotiate() []byte {
	b := smb1Header(smb1Negotiate, 0)
	dialects := []byte("\x02NT LM 0.12\x00")
	b = append(b, 0) // WordCount
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dialects)))
	return Frame(append(b, dialects...))
}

// SMB1Negotiated is what an SMB1 NEGOTIATE response tells.
type SMB1Negotiated struct {
	// Accepted is false when the server chose no dialect (index 0xFFFF).
	Accepted     bool
	SecurityMode byte
	Capabilities uint32
}

// ParseSMB1Negotiate parses a framed SMB1 NEGOTIATE response.
func ParseSMB1Negotiate(b []byte) (SMB1Negotiated, error) {
	var n SMB1Negotiated
	m, err := Unframe(b)
	if err != nil {
		return n, err
	}
	if len(m) < 35 || string(m[:4]) != "\xffSMB" || m[4] != smb1Negotiate {
		return n, fmt.Errorf("%w: not an SMB1 NEGOTIATE response", ErrMalformed)
	}
	if st := binary.LittleEndian.Uint32(m[5:]); st != StatusSuccess {
		return n, nil
	}
	wc := int(m[32])
	if wc == 0 || len(m) < 33+2*wc || binary.LittleEndian.Uint16(m[33:]) == 0xffff {
		return n, nil
	}
	n.Accepted = true
	if wc >= 17 {
		w := m[33:]
		n.SecurityMode = w[2]
		n.Capabilities = binary.LittleEndian.Uint32(w[19:])
	}
	return n, nil
}

// SMB1SessionSetup is an SMB1 SESSION_SETUP_ANDX request with extended
// security carrying token (the first leg of a login).
func SMB1SessionSetup(token []byte) []byte {
	b := smb1Header(smb1SessionSetup, 1)
	w := make([]byte, 24)
	w[0] = 0xff                                  // no AndX command
	binary.LittleEndian.PutUint16(w[4:], 0xffff) // MaxBufferSize
	binary.LittleEndian.PutUint16(w[6:], 2)      // MaxMpxCount
	binary.LittleEndian.PutUint16(w[14:], uint16(len(token)))
	binary.LittleEndian.PutUint32(w[20:], 0x80000044) // extended security, NT status, Unicode
	b = append(b, 12)
	b = append(b, w...)
	data := append([]byte{}, token...)
	if (32+1+24+2+len(data))%2 != 0 {
		data = append(data, 0)
	}
	data = append(data, 0, 0, 0, 0) // empty NativeOS and NativeLanMan
	b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
	return Frame(append(b, data...))
}

// SMB1Setup is what an SMB1 SESSION_SETUP_ANDX response tells.
type SMB1Setup struct {
	Status                                uint32
	SecurityBlob                          []byte
	NativeOS, NativeLanMan, PrimaryDomain string
}

// ParseSMB1SessionSetup parses a framed SMB1 SESSION_SETUP_ANDX response
// with extended security ([MS-SMB] 2.2.4.6.2).
func ParseSMB1SessionSetup(b []byte) (SMB1Setup, error) {
	var s SMB1Setup
	m, err := Unframe(b)
	if err != nil {
		return s, err
	}
	if len(m) < 35 || string(m[:4]) != "\xffSMB" || m[4] != smb1SessionSetup {
		return s, fmt.Errorf("%w: not an SMB1 SESSION_SETUP_ANDX response", ErrMalformed)
	}
	s.Status = binary.LittleEndian.Uint32(m[5:])
	wc := int(m[32])
	if wc != 4 || len(m) < 33+8+2 {
		return s, nil // an error response carries no words
	}
	blobLen := int(binary.LittleEndian.Uint16(m[33+6:]))
	bc := int(binary.LittleEndian.Uint16(m[33+8:]))
	start := 33 + 8 + 2
	data, ok := slice(m, start, bc)
	if !ok {
		return s, fmt.Errorf("%w: SESSION_SETUP_ANDX byte count past the message", ErrMalformed)
	}
	if s.SecurityBlob, ok = slice(data, 0, blobLen); !ok {
		return s, fmt.Errorf("%w: security blob past the message", ErrMalformed)
	}
	pos := start + blobLen
	unicode := binary.LittleEndian.Uint16(m[10:])&0x8000 != 0
	if unicode && pos%2 != 0 {
		pos++
	}
	rest := m[min(pos, start+bc):min(len(m), start+bc)]
	strs := splitStrings(rest, unicode, 3)
	for i, v := range strs {
		switch i {
		case 0:
			s.NativeOS = v
		case 1:
			s.NativeLanMan = v
		case 2:
			s.PrimaryDomain = v
		}
	}
	return s, nil
}

// splitStrings reads up to n NUL-terminated strings.
func splitStrings(b []byte, unicode bool, n int) []string {
	var out []string
	for len(out) < n && len(b) > 0 {
		if unicode {
			i := 0
			for i+1 < len(b) && (b[i] != 0 || b[i+1] != 0) {
				i += 2
			}
			out = append(out, fromUTF16(b[:min(i, len(b))]))
			b = b[min(i+2, len(b)):]
			continue
		}
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		out = append(out, string(b[:i]))
		b = b[min(i+1, len(b)):]
	}
	return out
}
