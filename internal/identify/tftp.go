package identify

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strconv"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// TFTP (RFC 1350) opcodes.
const (
	tftpRRQ   = 1
	tftpDATA  = 3
	tftpERROR = 5
	tftpOACK  = 6 // RFC 2347
)

// tftpReadRequest is a read request (RRQ) for name in octet mode.
func tftpReadRequest(name string) []byte {
	b := binary.BigEndian.AppendUint16(nil, tftpRRQ)
	b = append(b, name...)
	b = append(b, 0)
	b = append(b, "octet"...)
	return append(b, 0)
}

// tftpReply is what a server answered to a read request.
type tftpReply struct {
	opcode int
	code   int    // error code of an ERROR packet
	msg    string // its message, sanitised
}

// tftpErrorNames names the error codes of RFC 1350 and RFC 2347.
var tftpErrorNames = map[int]string{
	0: "not defined", 1: "file not found", 2: "access violation", 3: "disk full",
	4: "illegal operation", 5: "unknown transfer id", 6: "file already exists", 7: "no such user", 8: "option refused",
}

// parseTFTPReply parses a server's first answer to a read request: an
// ERROR packet (the usual answer to a file that does not exist), the first
// DATA block (block 1) or an option acknowledgement.
func parseTFTPReply(b []byte) (tftpReply, error) {
	if len(b) < 4 {
		return tftpReply{}, noMatch(proto.TFTP, "short packet")
	}
	r := tftpReply{opcode: int(binary.BigEndian.Uint16(b))}
	switch r.opcode {
	case tftpERROR:
		r.code = int(binary.BigEndian.Uint16(b[2:]))
		if _, ok := tftpErrorNames[r.code]; !ok {
			return tftpReply{}, noMatch(proto.TFTP, "error code %d", r.code)
		}
		msg := b[4:]
		end := bytes.IndexByte(msg, 0)
		if end < 0 || end != len(msg)-1 {
			return tftpReply{}, noMatch(proto.TFTP, "error message not NUL-terminated")
		}
		r.msg = clean(string(msg[:end]), 128)
	case tftpDATA:
		if binary.BigEndian.Uint16(b[2:]) != 1 || len(b) > 4+512 {
			return tftpReply{}, noMatch(proto.TFTP, "not the first data block")
		}
	case tftpOACK:
		if b[len(b)-1] != 0 {
			return tftpReply{}, noMatch(proto.TFTP, "option acknowledgement not NUL-terminated")
		}
	default:
		return tftpReply{}, noMatch(proto.TFTP, "opcode %d", r.opcode)
	}
	return r, nil
}

// applyTFTP records a TFTP answer in s: details tftp.answer ("error",
// "data", "oack"), and for an error tftp.error ("CODE message").
func applyTFTP(r tftpReply, s *facts.Service) {
	s.Name = proto.TFTP
	switch r.opcode {
	case tftpERROR:
		s.SetDetail(facts.DetailTftpAnswer, "error")
		s.SetDetail(facts.DetailTftpError, strconv.Itoa(r.code)+" "+r.msg)
		s.Banner = r.msg
	case tftpDATA:
		s.SetDetail(facts.DetailTftpAnswer, "data")
	case tftpOACK:
		s.SetDetail(facts.DetailTftpAnswer, "oack")
	}
}

// tftpSession asks to read a file whose random name no server holds: the
// ERROR packet that comes back identifies TFTP, and nothing is read (a
// DATA block that came all the same is never acknowledged, which ends the
// transfer). The server answers from a fresh port of its own.
type tftpSession struct{ name string }

func newTFTPSession(udpEnv) udpSession {
	var n [8]byte
	fillRandom(n[:])
	return &tftpSession{name: "vigil-probe-" + hex.EncodeToString(n[:])}
}

func (t *tftpSession) request(int) []byte { return tftpReadRequest(t.name) }

func (t *tftpSession) fromOtherPorts() {}

func (t *tftpSession) answer(b []byte, s *facts.Service) (bool, bool) {
	r, err := parseTFTPReply(b)
	if err != nil {
		return false, false
	}
	applyTFTP(r, s)
	return true, true
}
