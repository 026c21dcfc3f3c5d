package identify

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// MySQL capability flags used here (MySQL client/server protocol).
const (
	mysqlClientSSL        = 0x00000800
	mysqlClientPluginAuth = 0x00080000
	mysqlClientSecureConn = 0x00008000
)

// mysqlHandshake is the server's first packet: an initial handshake
// (protocol 10, or the ancient 9) or an error packet sent instead of it
// (too many connections, host not allowed).
type mysqlHandshake struct {
	protocol      byte
	serverVersion string
	connID        uint32
	capabilities  uint32
	authPlugin    string
	errCode       uint16 // non-zero for an error packet
	errMsg        string
}

// mysqlPacketLen returns the total length (header included) of the MySQL
// packet b starts with, when b looks like the first packet of a MySQL
// server: sequence 0 and a handshake or error payload.
func mysqlPacketLen(b []byte) (int, bool) {
	if len(b) < 5 || b[3] != 0 {
		return 0, false
	}
	n := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
	if n < 3 || n > bannerCap-4 {
		return 0, false
	}
	switch b[4] {
	case 10, 9, 0xff:
		return 4 + n, true
	}
	return 0, false
}

// parseMySQLHandshake parses the first packet a MySQL or MariaDB server
// sends.
func parseMySQLHandshake(b []byte) (mysqlHandshake, error) {
	n, ok := mysqlPacketLen(b)
	if !ok || len(b) < n {
		return mysqlHandshake{}, noMatch(proto.MySQL, "no complete handshake packet")
	}
	p := b[4:n]
	h := mysqlHandshake{protocol: p[0]}
	if p[0] == 0xff {
		if len(p) < 4 {
			return mysqlHandshake{}, noMatch(proto.MySQL, "short error packet")
		}
		h.errCode = binary.LittleEndian.Uint16(p[1:3])
		msg := p[3:]
		if len(msg) >= 6 && msg[0] == '#' {
			msg = msg[6:] // SQL state marker and state
		}
		if h.errCode < 1000 || h.errCode >= 60000 || !printableText(msg) || len(msg) == 0 {
			return mysqlHandshake{}, noMatch(proto.MySQL, "not a MySQL error packet")
		}
		h.errMsg = string(msg)
		return h, nil
	}
	p = p[1:]
	z := bytes.IndexByte(p, 0)
	if z <= 0 || !printableText(p[:z]) || !isDigit(p[0]) {
		return mysqlHandshake{}, noMatch(proto.MySQL, "bad server version")
	}
	h.serverVersion = string(p[:z])
	p = p[z+1:]
	if h.protocol == 9 {
		if len(p) < 4 {
			return mysqlHandshake{}, noMatch(proto.MySQL, "short v9 handshake")
		}
		h.connID = binary.LittleEndian.Uint32(p)
		return h, nil
	}
	// thread id (4), auth-plugin-data part 1 (8), filler (1), capabilities (2)
	if len(p) < 15 {
		return mysqlHandshake{}, noMatch(proto.MySQL, "short v10 handshake")
	}
	h.connID = binary.LittleEndian.Uint32(p)
	h.capabilities = uint32(binary.LittleEndian.Uint16(p[13:15]))
	p = p[15:]
	// character set (1), status (2), capabilities upper (2), auth data
	// length (1), reserved (10)
	if len(p) < 16 {
		return h, nil
	}
	h.capabilities |= uint32(binary.LittleEndian.Uint16(p[3:5])) << 16
	authLen := int(p[5])
	p = p[16:]
	if h.capabilities&mysqlClientSecureConn != 0 {
		skip := max(13, authLen-8)
		if len(p) < skip {
			return h, nil
		}
		p = p[skip:]
	}
	if h.capabilities&mysqlClientPluginAuth != 0 {
		name, _, _ := bytes.Cut(p, []byte{0})
		if printableText(name) {
			h.authPlugin = string(name)
		}
	}
	return h, nil
}

// mysqlProduct returns product and version from a server version string:
// "10.11.6-MariaDB-0+deb12u1" is MariaDB 10.11.6 (MariaDB before 11 may
// prefix "5.5.5-" for old replication clients); anything else is MySQL.
func mysqlProduct(v string) (product, version string) {
	if strings.Contains(strings.ToLower(v), "mariadb") {
		return "MariaDB", leadingVersion(strings.TrimPrefix(v, "5.5.5-"))
	}
	return "MySQL", leadingVersion(v)
}

// matchMySQL recognises the first packet of a MySQL or MariaDB server.
func matchMySQL(b []byte, s *facts.Service) (*followUp, error) {
	h, err := parseMySQLHandshake(b)
	if err != nil {
		return nil, err
	}
	s.Name = proto.MySQL
	if h.errCode != 0 {
		switch low := strings.ToLower(h.errMsg); {
		case strings.Contains(low, "mariadb"):
			s.Product = "MariaDB"
		case strings.Contains(low, "mysql"):
			s.Product = "MySQL"
		}
		s.Banner = clean(h.errMsg, 256)
		s.SetDetail(facts.DetailMySQLError, clean(fmt.Sprintf("%d: %s", h.errCode, h.errMsg), 256))
		return nil, nil
	}
	s.Product, s.Version = mysqlProduct(h.serverVersion)
	s.Banner = clean(h.serverVersion, 256)
	s.SetDetail(facts.DetailMySQLProtocol, fmt.Sprint(h.protocol))
	s.SetDetail(facts.DetailMySQLServerVersion, clean(h.serverVersion, 128))
	if h.protocol == 10 {
		s.SetDetail(facts.DetailMySQLCapabilities, fmt.Sprintf("0x%08x", h.capabilities))
		s.SetDetail(facts.DetailMySQLSSL, fmt.Sprint(h.capabilities&mysqlClientSSL != 0))
	}
	if h.authPlugin != "" {
		s.SetDetail(facts.DetailMySQLAuthPlugin, clean(h.authPlugin, 64))
	}
	return nil, nil
}
