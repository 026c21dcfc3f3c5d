package identify

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/vigilsec/vigil/internal/facts"
)

// SMB2 over direct TCP ([MS-SMB2] 2.1, 2.2.3, 2.2.4).
var smb2Dialects = []uint16{0x0202, 0x0210, 0x0300, 0x0302, 0x0311}

// smbDialectNames names SMB2 dialect revisions.
var smbDialectNames = map[uint16]string{
	0x0202: "2.0.2", 0x0210: "2.1", 0x0300: "3.0", 0x0302: "3.0.2", 0x0311: "3.1.1", 0x02ff: "2.x",
}

// smb2Negotiate is a NEGOTIATE request offering SMB 2.0.2 to 3.1.1 (with the
// pre-authentication integrity context 3.1.1 requires), in a 4-byte direct
// TCP transport header.
func smb2Negotiate(guid [16]byte, salt [32]byte) []byte {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64) // StructureSize
	binary.LittleEndian.PutUint16(h[14:], 1) // CreditRequest
	n := make([]byte, 36)
	binary.LittleEndian.PutUint16(n, 36) // StructureSize
	binary.LittleEndian.PutUint16(n[2:], uint16(len(smb2Dialects)))
	binary.LittleEndian.PutUint16(n[4:], 1) // SecurityMode: signing enabled
	copy(n[12:], guid[:])
	for _, d := range smb2Dialects {
		n = binary.LittleEndian.AppendUint16(n, d)
	}
	for (64+len(n))%8 != 0 {
		n = append(n, 0)
	}
	binary.LittleEndian.PutUint32(n[28:], uint32(64+len(n))) // NegotiateContextOffset
	binary.LittleEndian.PutUint16(n[32:], 1)                 // NegotiateContextCount
	ctxData := []byte{1, 0, 32, 0, 1, 0}                     // one hash (SHA-512), 32-byte salt
	ctxData = append(ctxData, salt[:]...)
	n = binary.LittleEndian.AppendUint16(n, 1) // SMB2_PREAUTH_INTEGRITY_CAPABILITIES
	n = binary.LittleEndian.AppendUint16(n, uint16(len(ctxData)))
	n = append(n, 0, 0, 0, 0)
	n = append(n, ctxData...)
	msg := append(h, n...)
	return append([]byte{0, byte(len(msg) >> 16), byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// smbNegotiateAnswer is what a NEGOTIATE response told.
type smbNegotiateAnswer struct {
	smb1    bool
	status  uint32
	dialect string
	signing string // "required", "enabled", "disabled"
}

// nbComplete reports whether b holds the whole direct-TCP message it starts
// with.
func nbComplete(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	if b[0] != 0 {
		return true
	}
	return len(b) >= 4+(int(b[1])<<16|int(b[2])<<8|int(b[3]))
}

// parseSMBNegotiate parses the answer to smb2Negotiate.
func parseSMBNegotiate(b []byte) (smbNegotiateAnswer, error) {
	if len(b) < 8 || b[0] != 0 {
		return smbNegotiateAnswer{}, noMatch("smb", "no direct TCP header")
	}
	n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if n < 4 || len(b) < 4+n {
		return smbNegotiateAnswer{}, noMatch("smb", "message cut short")
	}
	m := b[4 : 4+n]
	switch string(m[:4]) {
	case "\xffSMB":
		return smbNegotiateAnswer{smb1: true, dialect: "1"}, nil
	case "\xfeSMB":
	default:
		return smbNegotiateAnswer{}, noMatch("smb", "no SMB protocol id")
	}
	if len(m) < 64 || binary.LittleEndian.Uint16(m[4:]) != 64 || binary.LittleEndian.Uint16(m[12:]) != 0 {
		return smbNegotiateAnswer{}, noMatch("smb", "not an SMB2 NEGOTIATE response")
	}
	a := smbNegotiateAnswer{status: binary.LittleEndian.Uint32(m[8:])}
	if len(m) < 64+6 || binary.LittleEndian.Uint16(m[64:]) != 65 {
		return a, nil // an error response
	}
	mode := binary.LittleEndian.Uint16(m[66:])
	d := binary.LittleEndian.Uint16(m[68:])
	a.dialect = smbDialectNames[d]
	if a.dialect == "" {
		a.dialect = fmt.Sprintf("0x%04x", d)
	}
	switch {
	case mode&2 != 0:
		a.signing = "required"
	case mode&1 != 0:
		a.signing = "enabled"
	default:
		a.signing = "disabled"
	}
	return a, nil
}

// probeSMB sends an SMB2 NEGOTIATE.
func probeSMB(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	var guid [16]byte
	var salt [32]byte
	fillRandom(guid[:])
	fillRandom(salt[:])
	resp, err := l.exchange(ctx, smb2Negotiate(guid, salt), bannerCap, nbComplete)
	a, perr := parseSMBNegotiate(resp)
	if perr != nil {
		if len(resp) == 0 {
			return nil, ioNoMatch("smb", err)
		}
		return resp, perr
	}
	s.Name = "smb"
	if a.dialect != "" {
		s.SetDetail("smb.dialect", a.dialect)
	}
	if a.signing != "" {
		s.SetDetail("smb.signing", a.signing)
	}
	if a.status != 0 {
		s.SetDetail("smb.status", fmt.Sprintf("0x%08x", a.status))
	}
	return nil, nil
}
