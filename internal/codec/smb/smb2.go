package smb

import (
	"encoding/binary"
	"fmt"
)

// SMB2 commands ([MS-SMB2] 2.2.1).
const (
	CmdNegotiate    = 0x0000
	CmdSessionSetup = 0x0001
	CmdTreeConnect  = 0x0003
	CmdCreate       = 0x0005
	CmdClose        = 0x0006
	CmdRead         = 0x0008
	CmdWrite        = 0x0009
)

// SMB2 dialect revisions.
const (
	Dialect202 = 0x0202
	Dialect210 = 0x0210
	Dialect300 = 0x0300
	Dialect302 = 0x0302
	Dialect311 = 0x0311
)

// DialectName names an SMB2 dialect revision ("3.1.1"), or its hex value.
func DialectName(d uint16) string {
	switch d {
	case Dialect202:
		return "2.0.2"
	case Dialect210:
		return "2.1"
	case Dialect300:
		return "3.0"
	case Dialect302:
		return "3.0.2"
	case Dialect311:
		return "3.1.1"
	case 0x02ff:
		return "2.x"
	}
	return fmt.Sprintf("0x%04x", d)
}

// SecurityMode bits of SMB2 NEGOTIATE.
const (
	SigningEnabled  = 0x0001
	SigningRequired = 0x0002
)

// Session flags of SESSION_SETUP responses.
const (
	SessionGuest = 0x0001
	SessionNull  = 0x0002
)

// Header is the part of an SMB2 sync header vigil uses.
type Header struct {
	Command   uint16
	Status    uint32
	MessageID uint64
	TreeID    uint32
	SessionID uint64
}

// Message builds an SMB2 request with header h and body, framed for TCP.
func Message(h Header, body []byte) []byte {
	b := make([]byte, 64, 64+len(body))
	copy(b, "\xfeSMB")
	binary.LittleEndian.PutUint16(b[4:], 64)
	binary.LittleEndian.PutUint16(b[12:], h.Command)
	binary.LittleEndian.PutUint16(b[14:], 32) // CreditRequest
	binary.LittleEndian.PutUint64(b[24:], h.MessageID)
	binary.LittleEndian.PutUint32(b[36:], h.TreeID)
	binary.LittleEndian.PutUint64(b[40:], h.SessionID)
	return Frame(append(b, body...))
}

// Response is one SMB2 response: its header, body, and the whole message
// (offsets in bodies count from the header's start).
type Response struct {
	Header
	Body []byte
	Raw  []byte
}

// ParseResponse parses a framed SMB2 response.
func ParseResponse(b []byte) (Response, error) {
	m, err := Unframe(b)
	if err != nil {
		return Response{}, err
	}
	if len(m) < 64 || string(m[:4]) != "\xfeSMB" || binary.LittleEndian.Uint16(m[4:]) != 64 {
		return Response{}, fmt.Errorf("%w: not an SMB2 message", ErrMalformed)
	}
	if binary.LittleEndian.Uint32(m[16:])&1 == 0 {
		return Response{}, fmt.Errorf("%w: an SMB2 request, not a response", ErrMalformed)
	}
	r := Response{Raw: m, Body: m[64:]}
	r.Command = binary.LittleEndian.Uint16(m[12:])
	r.Status = binary.LittleEndian.Uint32(m[8:])
	r.MessageID = binary.LittleEndian.Uint64(m[24:])
	r.TreeID = binary.LittleEndian.Uint32(m[36:])
	r.SessionID = binary.LittleEndian.Uint64(m[40:])
	return r, nil
}

// IsError reports whether the body is an SMB2 ERROR response (StructureSize 9).
func (r Response) IsError() bool {
	return r.Status != StatusSuccess && r.Status != StatusMoreProcessingRequired && r.Status != StatusBufferOverflow
}

// buffer returns the (offset, length) buffer a response body points to.
func (r Response) buffer(offOff, lenOff int, wide bool) ([]byte, bool) {
	if len(r.Body) < lenOff+2 {
		return nil, false
	}
	off := int(binary.LittleEndian.Uint16(r.Body[offOff:]))
	var n int
	if wide {
		if len(r.Body) < lenOff+4 {
			return nil, false
		}
		n = int(binary.LittleEndian.Uint32(r.Body[lenOff:]))
	} else {
		n = int(binary.LittleEndian.Uint16(r.Body[lenOff:]))
	}
	return slice(r.Raw, off, n)
}

// NegotiateBody is a NEGOTIATE request body offering dialects; with 3.1.1
// among them it carries the pre-authentication integrity context (one
// SHA-512 hash, salt) that 3.1.1 requires.
func NegotiateBody(dialects []uint16, guid [16]byte, salt [32]byte) []byte {
	n := make([]byte, 36)
	binary.LittleEndian.PutUint16(n, 36)
	binary.LittleEndian.PutUint16(n[2:], uint16(len(dialects)))
	binary.LittleEndian.PutUint16(n[4:], SigningEnabled)
	copy(n[12:], guid[:])
	has311 := false
	for _, d := range dialects {
		n = binary.LittleEndian.AppendUint16(n, d)
		has311 = has311 || d == Dialect311
	}
	if !has311 {
		return n
	}
	for (64+len(n))%8 != 0 {
		n = append(n, 0)
	}
	binary.LittleEndian.PutUint32(n[28:], uint32(64+len(n)))
	binary.LittleEndian.PutUint16(n[32:], 1)
	ctx := []byte{1, 0, 32, 0, 1, 0}
	ctx = append(ctx, salt[:]...)
	n = binary.LittleEndian.AppendUint16(n, 1) // SMB2_PREAUTH_INTEGRITY_CAPABILITIES
	n = binary.LittleEndian.AppendUint16(n, uint16(len(ctx)))
	n = append(n, 0, 0, 0, 0)
	return append(n, ctx...)
}

// Negotiated is what an SMB2 NEGOTIATE response tells.
type Negotiated struct {
	SecurityMode uint16
	Dialect      uint16
	ServerGUID   [16]byte
	MaxRead      uint32
	// SecurityBlob is the server's initial GSS token (SPNEGO hints).
	SecurityBlob []byte
}

// ParseNegotiate parses a NEGOTIATE response body.
func ParseNegotiate(r Response) (Negotiated, error) {
	var n Negotiated
	if r.Command != CmdNegotiate || len(r.Body) < 64 || binary.LittleEndian.Uint16(r.Body) != 65 {
		return n, fmt.Errorf("%w: not an SMB2 NEGOTIATE response", ErrMalformed)
	}
	n.SecurityMode = binary.LittleEndian.Uint16(r.Body[2:])
	n.Dialect = binary.LittleEndian.Uint16(r.Body[4:])
	copy(n.ServerGUID[:], r.Body[8:24])
	n.MaxRead = binary.LittleEndian.Uint32(r.Body[32:])
	n.SecurityBlob, _ = r.buffer(56, 58, false)
	return n, nil
}

// SessionSetupBody is a SESSION_SETUP request body carrying token.
func SessionSetupBody(token []byte) []byte {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint16(b, 25)
	b[3] = SigningEnabled
	binary.LittleEndian.PutUint16(b[12:], 64+24)
	binary.LittleEndian.PutUint16(b[14:], uint16(len(token)))
	return append(b, token...)
}

// ParseSessionSetup returns the session flags and security token of a
// SESSION_SETUP response.
func ParseSessionSetup(r Response) (flags uint16, token []byte, err error) {
	if r.Command != CmdSessionSetup || len(r.Body) < 8 || binary.LittleEndian.Uint16(r.Body) != 9 {
		return 0, nil, fmt.Errorf("%w: not an SMB2 SESSION_SETUP response", ErrMalformed)
	}
	if r.IsError() {
		return 0, nil, nil
	}
	token, _ = r.buffer(4, 6, false)
	return binary.LittleEndian.Uint16(r.Body[2:]), token, nil
}

// TreeConnectBody is a TREE_CONNECT request body for path (\\server\share).
func TreeConnectBody(path string) []byte {
	p := utf16le(path)
	b := make([]byte, 8)
	binary.LittleEndian.PutUint16(b, 9)
	binary.LittleEndian.PutUint16(b[4:], 64+8)
	binary.LittleEndian.PutUint16(b[6:], uint16(len(p)))
	return append(b, p...)
}

// CreatePipeBody is a CREATE request body opening the named pipe name on
// IPC$ for reading and writing RPC messages.
func CreatePipeBody(name string) []byte {
	p := utf16le(name)
	b := make([]byte, 56)
	binary.LittleEndian.PutUint16(b, 57)
	binary.LittleEndian.PutUint32(b[4:], 2)           // ImpersonationLevel: Impersonation
	binary.LittleEndian.PutUint32(b[24:], 0x0012019f) // DesiredAccess: generic read/write of a pipe
	binary.LittleEndian.PutUint32(b[32:], 3)          // ShareAccess: read, write
	binary.LittleEndian.PutUint32(b[36:], 1)          // CreateDisposition: FILE_OPEN
	binary.LittleEndian.PutUint16(b[44:], 64+56)
	binary.LittleEndian.PutUint16(b[46:], uint16(len(p)))
	return append(b, p...)
}

// ParseCreate returns the FileId of a CREATE response.
func ParseCreate(r Response) ([16]byte, error) {
	var id [16]byte
	if r.Command != CmdCreate || len(r.Body) < 80 || binary.LittleEndian.Uint16(r.Body) != 89 {
		return id, fmt.Errorf("%w: not an SMB2 CREATE response", ErrMalformed)
	}
	copy(id[:], r.Body[64:80])
	return id, nil
}

// WriteBody is a WRITE request body writing data to file id at offset 0.
func WriteBody(id [16]byte, data []byte) []byte {
	b := make([]byte, 48)
	binary.LittleEndian.PutUint16(b, 49)
	binary.LittleEndian.PutUint16(b[2:], 64+48)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(data)))
	copy(b[16:], id[:])
	return append(b, data...)
}

// ReadBody is a READ request body reading up to n bytes of file id.
func ReadBody(id [16]byte, n uint32) []byte {
	b := make([]byte, 49)
	binary.LittleEndian.PutUint16(b, 49)
	b[2] = 0x50
	binary.LittleEndian.PutUint32(b[4:], n)
	copy(b[16:], id[:])
	return b
}

// ParseRead returns the data of a READ response.
func ParseRead(r Response) ([]byte, error) {
	if r.Command != CmdRead || len(r.Body) < 16 || binary.LittleEndian.Uint16(r.Body) != 17 {
		return nil, fmt.Errorf("%w: not an SMB2 READ response", ErrMalformed)
	}
	off := int(r.Body[2])
	n := int(binary.LittleEndian.Uint32(r.Body[4:]))
	d, ok := slice(r.Raw, off, n)
	if !ok {
		return nil, fmt.Errorf("%w: READ data outside the message", ErrMalformed)
	}
	return d, nil
}

// CloseBody is a CLOSE request body for file id.
func CloseBody(id [16]byte) []byte {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint16(b, 24)
	copy(b[8:], id[:])
	return b
}
