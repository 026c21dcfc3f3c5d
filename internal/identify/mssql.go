package identify

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// MS-TDS packet types and PRELOGIN option tokens (MS-TDS 2.2.3.1, 2.2.6.5).
const (
	tdsPrelogin      = 0x12
	tdsResponse      = 0x04
	tdsOptVersion    = 0x00
	tdsOptEncryption = 0x01
	tdsOptTerminator = 0xff
	tdsMaxPacket     = 4096
)

// tdsPreloginRequest is a PRELOGIN packet offering ENCRYPT_OFF (encrypt
// the login only), so that the answer says what the server itself wants:
// OFF, ON, NOT_SUP or REQ.
var tdsPreloginRequest = func() []byte {
	// Options: VERSION(6) ENCRYPTION(1) INSTOPT(1) THREADID(4) MARS(1).
	opts := []struct {
		token byte
		data  []byte
	}{
		{0x00, []byte{0, 0, 0, 0, 0, 0}},
		{0x01, []byte{0x00}},
		{0x02, []byte{0x00}},
		{0x03, []byte{0, 0, 0, 0}},
		{0x04, []byte{0x00}},
	}
	off := 5*len(opts) + 1
	var head, data []byte
	for _, o := range opts {
		head = append(head, o.token, byte(off>>8), byte(off), 0, byte(len(o.data)))
		data = append(data, o.data...)
		off += len(o.data)
	}
	payload := append(append(head, tdsOptTerminator), data...)
	n := 8 + len(payload)
	return append([]byte{tdsPrelogin, 0x01, byte(n >> 8), byte(n), 0, 0, 0, 0}, payload...)
}()

// tdsDone reports whether b holds the whole TDS packet its header announces.
func tdsDone(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	n := int(binary.BigEndian.Uint16(b[2:]))
	return n < 8 || len(b) >= n
}

var tdsEncryption = map[byte]string{
	0: facts.MSSQLEncryptOff, 1: facts.MSSQLEncryptOn, 2: facts.MSSQLEncryptNotSup, 3: facts.MSSQLEncryptRequired,
}

// parseTDSPrelogin decodes a server's PRELOGIN answer: one tabular-result
// packet whose options include VERSION and ENCRYPTION.
func parseTDSPrelogin(b []byte) (facts.MSSQL, error) {
	var m facts.MSSQL
	if len(b) < 8 || b[0] != tdsResponse {
		return m, noMatch(proto.MSSQL, "not a TDS response packet")
	}
	n := int(binary.BigEndian.Uint16(b[2:]))
	if n < 8 || n > tdsMaxPacket || n > len(b) {
		return m, noMatch(proto.MSSQL, "TDS packet length %d", n)
	}
	p := b[8:n]
	var haveVersion, haveEncryption bool
	for i := 0; ; i += 5 {
		if i >= len(p) {
			return m, noMatch(proto.MSSQL, "PRELOGIN options without terminator")
		}
		if p[i] == tdsOptTerminator {
			break
		}
		if i+5 > len(p) {
			return m, noMatch(proto.MSSQL, "PRELOGIN option header cut")
		}
		tok, off, l := p[i], int(binary.BigEndian.Uint16(p[i+1:])), int(binary.BigEndian.Uint16(p[i+3:]))
		if off+l > len(p) {
			return m, noMatch(proto.MSSQL, "PRELOGIN option beyond the packet")
		}
		v := p[off : off+l]
		switch tok {
		case tdsOptVersion:
			if l < 6 {
				return m, noMatch(proto.MSSQL, "short VERSION option")
			}
			m.Version = fmt.Sprintf("%d.%d.%d", v[0], v[1], binary.BigEndian.Uint16(v[2:]))
			haveVersion = true
		case tdsOptEncryption:
			if l < 1 {
				return m, noMatch(proto.MSSQL, "empty ENCRYPTION option")
			}
			m.Encryption = tdsEncryption[v[0]]
			if m.Encryption == "" {
				m.Encryption = strconv.Itoa(int(v[0]))
			}
			haveEncryption = true
		}
	}
	if !haveVersion || !haveEncryption {
		return m, noMatch(proto.MSSQL, "PRELOGIN answer without VERSION and ENCRYPTION")
	}
	return m, nil
}

// probeMSSQL sends a PRELOGIN packet (MS-TDS 2.2.6.5).
func probeMSSQL(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	answer, err := l.exchange(ctx, tdsPreloginRequest, tdsMaxPacket, tdsDone)
	if len(answer) == 0 {
		return nil, ioNoMatch(proto.MSSQL, err)
	}
	m, err := parseTDSPrelogin(answer)
	if err != nil {
		return answer, err
	}
	s.Name, s.Product, s.Version = proto.MSSQL, "Microsoft SQL Server", m.Version
	s.MSSQL = &m
	s.Banner = fmt.Sprintf("TDS PRELOGIN: version %s, encryption %s", m.Version, m.Encryption)
	return nil, nil
}
