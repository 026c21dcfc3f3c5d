package tlsaudit

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/wire"
)

// StartTLS protocol names accepted in Options.StartTLS.
const (
	StartSMTP       = "smtp"
	StartIMAP       = "imap"
	StartPOP3       = "pop3"
	StartFTP        = "ftp"
	StartLDAP       = "ldap"
	StartPostgreSQL = "postgresql"
	StartMySQL      = "mysql"
)

// maxPreamble caps what one STARTTLS exchange may read.
const maxPreamble = 16 << 10

// ErrNoStartTLS means the server does not offer, or refused, the upgrade
// to TLS.
var ErrNoStartTLS = errors.New("server does not offer an upgrade to TLS")

// startTLS runs the protocol's upgrade on a fresh connection, leaving it
// ready for a ClientHello.
func startTLS(ctx context.Context, c net.Conn, proto string, timeout time.Duration) error {
	switch proto {
	case "":
		return nil
	case StartSMTP:
		return startSMTP(ctx, c, timeout)
	case StartIMAP:
		return startIMAP(ctx, c, timeout)
	case StartPOP3:
		return startPOP3(ctx, c, timeout)
	case StartFTP:
		return startFTP(ctx, c, timeout)
	case StartLDAP:
		return startLDAP(ctx, c, timeout)
	case StartPostgreSQL:
		return startPostgreSQL(ctx, c, timeout)
	case StartMySQL:
		return startMySQL(ctx, c, timeout)
	}
	return fmt.Errorf("unknown STARTTLS protocol %q", proto)
}

// reply is a numbered line-oriented reply (SMTP, FTP).
type reply struct {
	Code  int
	Lines []string
}

// parseReply reads an SMTP (RFC 5321 4.2) or FTP (RFC 959 4.2) reply:
// "250-…" lines continue, "250 …" ends it. FTP allows free text between the
// first and last line. complete is false while the last line is missing.
func parseReply(buf []byte) (r reply, complete bool, err error) {
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			return r, false, nil
		}
		line := strings.TrimRight(string(buf[:i]), "\r")
		buf = buf[i+1:]
		if len(r.Lines) == 0 {
			if len(line) < 3 {
				return r, false, fmt.Errorf("reply line %q has no status code", sanitize.String(line, 80))
			}
			code, cerr := strconv.Atoi(line[:3])
			if cerr != nil || code < 100 || code > 599 {
				return r, false, fmt.Errorf("reply line %q has no status code", sanitize.String(line, 80))
			}
			r.Code = code
		}
		r.Lines = append(r.Lines, line)
		if len(line) >= 3 && line[:3] == strconv.Itoa(r.Code) && (len(line) == 3 || line[3] == ' ') {
			return r, true, nil
		}
		if len(r.Lines) > 256 {
			return r, false, fmt.Errorf("reply of more than 256 lines")
		}
	}
}

// readReply reads one complete SMTP/FTP reply.
func readReply(ctx context.Context, c net.Conn, timeout time.Duration) (reply, error) {
	var r reply
	var perr error
	buf, err := wire.ReadUntil(ctx, c, maxPreamble, timeout, func(b []byte) bool {
		var complete bool
		r, complete, perr = parseReply(b)
		return complete || perr != nil
	})
	if perr != nil {
		return r, perr
	}
	if err != nil {
		return r, fmt.Errorf("reading reply (%q): %w", sanitize.Printable(buf, 80), err)
	}
	return r, nil
}

func exchangeReply(ctx context.Context, c net.Conn, cmd string, timeout time.Duration) (reply, error) {
	if err := wire.Write(ctx, c, []byte(cmd), timeout); err != nil {
		return reply{}, err
	}
	return readReply(ctx, c, timeout)
}

func startSMTP(ctx context.Context, c net.Conn, timeout time.Duration) error {
	r, err := readReply(ctx, c, timeout)
	if err != nil {
		return fmt.Errorf("SMTP greeting: %w", err)
	}
	if r.Code != 220 {
		return fmt.Errorf("SMTP greeting %q: %w", sanitize.String(r.Lines[0], 120), ErrNoStartTLS)
	}
	// An address literal names the client without any DNS.
	r, err = exchangeReply(ctx, c, "EHLO "+ehloName(c)+"\r\n", timeout)
	if err != nil {
		return fmt.Errorf("SMTP EHLO: %w", err)
	}
	if r.Code != 250 || !smtpHasStartTLS(r) {
		return fmt.Errorf("SMTP EHLO reply lists no STARTTLS: %w", ErrNoStartTLS)
	}
	r, err = exchangeReply(ctx, c, "STARTTLS\r\n", timeout)
	if err != nil {
		return fmt.Errorf("SMTP STARTTLS: %w", err)
	}
	if r.Code != 220 {
		return fmt.Errorf("SMTP STARTTLS answered %q: %w", sanitize.String(r.Lines[0], 120), ErrNoStartTLS)
	}
	return nil
}

func ehloName(c net.Conn) string {
	if ap, err := netip.ParseAddrPort(c.LocalAddr().String()); err == nil {
		if a := ap.Addr().Unmap(); a.Is4() {
			return "[" + a.String() + "]"
		} else {
			return "[IPv6:" + a.String() + "]"
		}
	}
	return "[127.0.0.1]"
}

// smtpHasStartTLS reports whether an EHLO reply lists the STARTTLS keyword.
func smtpHasStartTLS(r reply) bool {
	if len(r.Lines) < 2 {
		return false // the first line is the greeting, never a keyword
	}
	for _, l := range r.Lines[1:] {
		if len(l) > 4 && strings.EqualFold(strings.TrimSpace(l[4:]), "STARTTLS") {
			return true
		}
	}
	return false
}

func startFTP(ctx context.Context, c net.Conn, timeout time.Duration) error {
	r, err := readReply(ctx, c, timeout)
	if err != nil {
		return fmt.Errorf("FTP greeting: %w", err)
	}
	if r.Code != 220 {
		return fmt.Errorf("FTP greeting %q: %w", sanitize.String(r.Lines[0], 120), ErrNoStartTLS)
	}
	r, err = exchangeReply(ctx, c, "AUTH TLS\r\n", timeout)
	if err != nil {
		return fmt.Errorf("FTP AUTH TLS: %w", err)
	}
	if r.Code != 234 {
		return fmt.Errorf("FTP AUTH TLS answered %q: %w", sanitize.String(r.Lines[0], 120), ErrNoStartTLS)
	}
	return nil
}

// imapTag is the tag vigil's IMAP commands carry.
const imapTag = "V1"

// parseIMAPTagged looks for the tagged completion of a command (RFC 3501
// 7.1) and returns its status: OK, NO or BAD. Untagged lines before it are
// skipped. complete is false while the tagged line is missing.
func parseIMAPTagged(buf []byte, tag string) (status string, complete bool, err error) {
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			return "", false, nil
		}
		line := strings.TrimRight(string(buf[:i]), "\r")
		buf = buf[i+1:]
		if rest, ok := strings.CutPrefix(line, tag+" "); ok {
			st, _, _ := strings.Cut(rest, " ")
			st = strings.ToUpper(st)
			switch st {
			case "OK", "NO", "BAD":
				return st, true, nil
			}
			return "", false, fmt.Errorf("IMAP tagged reply %q has no status", sanitize.String(line, 80))
		}
	}
}

func startIMAP(ctx context.Context, c net.Conn, timeout time.Duration) error {
	g, err := wire.ReadLine(ctx, c, maxPreamble, timeout)
	if err != nil {
		return fmt.Errorf("IMAP greeting: %w", err)
	}
	if !bytes.HasPrefix(bytes.ToUpper(g), []byte("* OK")) {
		return fmt.Errorf("IMAP greeting %q: %w", sanitize.Line(g, 120), ErrNoStartTLS)
	}
	if err := wire.Write(ctx, c, []byte(imapTag+" STARTTLS\r\n"), timeout); err != nil {
		return fmt.Errorf("IMAP STARTTLS: %w", err)
	}
	var status string
	var perr error
	buf, err := wire.ReadUntil(ctx, c, maxPreamble, timeout, func(b []byte) bool {
		var complete bool
		status, complete, perr = parseIMAPTagged(b, imapTag)
		return complete || perr != nil
	})
	if perr != nil {
		return perr
	}
	if err != nil {
		return fmt.Errorf("IMAP STARTTLS (%q): %w", sanitize.Printable(buf, 80), err)
	}
	if status != "OK" {
		return fmt.Errorf("IMAP STARTTLS answered %s: %w", status, ErrNoStartTLS)
	}
	return nil
}

// parsePOP3Status reads a POP3 status line (RFC 1939 3): +OK or -ERR.
func parsePOP3Status(line []byte) (ok bool, err error) {
	switch {
	case bytes.HasPrefix(line, []byte("+OK")):
		return true, nil
	case bytes.HasPrefix(line, []byte("-ERR")):
		return false, nil
	}
	return false, fmt.Errorf("POP3 status line %q is neither +OK nor -ERR", sanitize.Line(line, 80))
}

func startPOP3(ctx context.Context, c net.Conn, timeout time.Duration) error {
	for i, cmd := range []string{"", "STLS\r\n"} {
		if cmd != "" {
			if err := wire.Write(ctx, c, []byte(cmd), timeout); err != nil {
				return fmt.Errorf("POP3 STLS: %w", err)
			}
		}
		line, err := wire.ReadLine(ctx, c, maxPreamble, timeout)
		if err != nil {
			return fmt.Errorf("POP3 step %d: %w", i+1, err)
		}
		ok, err := parsePOP3Status(line)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("POP3 answered %q: %w", sanitize.Line(line, 120), ErrNoStartTLS)
		}
	}
	return nil
}

// ldapStartTLSRequest is the LDAPv3 ExtendedRequest for StartTLS
// (RFC 4511 4.14.1, OID 1.3.6.1.4.1.1466.20037), message ID 1.
var ldapStartTLSRequest = func() []byte {
	oid := []byte("1.3.6.1.4.1.1466.20037")
	op := append([]byte{0x80, byte(len(oid))}, oid...) // [0] requestName
	op = append([]byte{0x77, byte(len(op))}, op...)    // [APPLICATION 23]
	msg := append([]byte{0x02, 0x01, 0x01}, op...)     // messageID 1
	return append([]byte{0x30, byte(len(msg))}, msg...)
}()

// berElement reads one BER tag-length-value with a definite length.
// complete is false while more bytes are needed.
func berElement(b []byte) (tag byte, value, rest []byte, complete bool, err error) {
	if len(b) < 2 {
		return 0, nil, b, false, nil
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, b, false, fmt.Errorf("BER multi-byte tag 0x%02x not expected", tag)
	}
	n, hdr := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 {
			return 0, nil, b, false, fmt.Errorf("BER length form 0x%02x not supported", b[1])
		}
		if len(b) < 2+k {
			return 0, nil, b, false, nil
		}
		n = 0
		for _, x := range b[2 : 2+k] {
			n = n<<8 | int(x)
		}
		hdr = 2 + k
	}
	if n > maxPreamble {
		return 0, nil, b, false, fmt.Errorf("BER element of %d bytes", n)
	}
	if len(b) < hdr+n {
		return tag, nil, b, false, nil
	}
	return tag, b[hdr : hdr+n], b[hdr+n:], true, nil
}

// parseLDAPExtendedResponse decodes an LDAPMessage holding an
// ExtendedResponse (RFC 4511 4.12) and returns its resultCode.
func parseLDAPExtendedResponse(b []byte) (resultCode int, complete bool, err error) {
	tag, msg, _, complete, err := berElement(b)
	if err != nil || !complete {
		return 0, complete, err
	}
	if tag != 0x30 {
		return 0, false, fmt.Errorf("LDAP answer does not start with a SEQUENCE (tag 0x%02x)", tag)
	}
	tag, _, rest, ok, err := berElement(msg)
	if err != nil || !ok || tag != 0x02 {
		return 0, false, fmt.Errorf("LDAP answer has no message ID")
	}
	tag, op, _, ok, err := berElement(rest)
	if err != nil || !ok {
		return 0, false, fmt.Errorf("LDAP answer has no protocol operation")
	}
	if tag != 0x78 {
		return 0, false, fmt.Errorf("LDAP answer is operation 0x%02x, not an ExtendedResponse", tag)
	}
	tag, rc, _, ok, err := berElement(op)
	if err != nil || !ok || tag != 0x0a || len(rc) == 0 || len(rc) > 4 {
		return 0, false, fmt.Errorf("LDAP ExtendedResponse has no result code")
	}
	for _, x := range rc {
		resultCode = resultCode<<8 | int(x)
	}
	return resultCode, true, nil
}

func startLDAP(ctx context.Context, c net.Conn, timeout time.Duration) error {
	var code int
	var perr error
	buf, err := wire.Exchange(ctx, c, ldapStartTLSRequest, maxPreamble, timeout, func(b []byte) bool {
		var complete bool
		code, complete, perr = parseLDAPExtendedResponse(b)
		return complete || perr != nil
	})
	if perr != nil {
		return perr
	}
	if err != nil {
		return fmt.Errorf("LDAP StartTLS (% x): %w", buf[:min(len(buf), 16)], err)
	}
	if code != 0 {
		return fmt.Errorf("LDAP StartTLS result code %d: %w", code, ErrNoStartTLS)
	}
	return nil
}

// pgSSLRequest is PostgreSQL's SSLRequest: length 8, code 80877103.
var pgSSLRequest = []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}

// parsePGSSLReply reads the one-byte answer to an SSLRequest: 'S' to go on
// with TLS, 'N' to refuse; anything else (an 'E' error packet from very old
// servers, or garbage) is an error.
func parsePGSSLReply(b []byte) (ok bool, err error) {
	if len(b) == 0 {
		return false, fmt.Errorf("no answer to SSLRequest")
	}
	switch b[0] {
	case 'S':
		if len(b) > 1 {
			// Bytes after 'S' before our ClientHello could be injected
			// by an attacker on the path (CVE-2021-23214).
			return false, fmt.Errorf("server sent %d bytes after 'S'", len(b)-1)
		}
		return true, nil
	case 'N':
		return false, nil
	}
	return false, fmt.Errorf("SSLRequest answered %q", sanitize.Printable(b[:min(len(b), 40)], 40))
}

func startPostgreSQL(ctx context.Context, c net.Conn, timeout time.Duration) error {
	b, err := wire.Exchange(ctx, c, pgSSLRequest, 1, timeout, func(b []byte) bool { return len(b) >= 1 })
	if err != nil {
		return fmt.Errorf("PostgreSQL SSLRequest: %w", err)
	}
	ok, err := parsePGSSLReply(b)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("PostgreSQL answered 'N' to SSLRequest: %w", ErrNoStartTLS)
	}
	return nil
}

// MySQL capability flags (client/server protocol, "Capabilities Flags").
const (
	mysqlClientLongPassword     = 0x00000001
	mysqlClientProtocol41       = 0x00000200
	mysqlClientSSL              = 0x00000800
	mysqlClientSecureConnection = 0x00008000
)

// mysqlHandshake is what vigil reads of a MySQL/MariaDB initial handshake
// packet (protocol version 10).
type mysqlHandshake struct {
	ServerVersion string
	Capabilities  uint32
	Charset       byte
}

// parseMySQLHandshake decodes the server's first packet. complete is false
// while the packet is incomplete. An ERR packet (0xff) is an error.
func parseMySQLHandshake(b []byte) (h mysqlHandshake, complete bool, err error) {
	if len(b) < 4 {
		return h, false, nil
	}
	n := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
	if n > maxPreamble {
		return h, false, fmt.Errorf("MySQL handshake packet of %d bytes", n)
	}
	if len(b) < 4+n {
		return h, false, nil
	}
	p := b[4 : 4+n]
	if len(p) == 0 {
		return h, false, fmt.Errorf("empty MySQL handshake packet")
	}
	if p[0] == 0xff {
		msg := p[1:]
		if len(msg) >= 2 {
			msg = msg[2:]
		}
		return h, false, fmt.Errorf("MySQL server refused the connection: %q", sanitize.Printable(msg, 120))
	}
	if p[0] != 10 {
		return h, false, fmt.Errorf("MySQL handshake protocol version %d, not 10", p[0])
	}
	p = p[1:]
	z := bytes.IndexByte(p, 0)
	if z < 0 {
		return h, false, fmt.Errorf("MySQL handshake: unterminated server version")
	}
	h.ServerVersion = sanitize.Printable(p[:z], 80)
	p = p[z+1:]
	// connection id (4), auth-plugin-data part 1 (8), filler (1), capability low (2)
	if len(p) < 15 {
		return h, false, fmt.Errorf("MySQL handshake too short")
	}
	h.Capabilities = uint32(binary.LittleEndian.Uint16(p[13:15]))
	p = p[15:]
	if len(p) >= 5 { // charset (1), status (2), capability high (2)
		h.Charset = p[0]
		h.Capabilities |= uint32(binary.LittleEndian.Uint16(p[3:5])) << 16
	}
	return h, true, nil
}

// mysqlSSLRequest builds the SSLRequest packet (sequence 1) that asks the
// server to switch to TLS.
func mysqlSSLRequest(charset byte) []byte {
	if charset == 0 {
		charset = 0x21 // utf8_general_ci
	}
	p := make([]byte, 32)
	binary.LittleEndian.PutUint32(p[0:4], mysqlClientLongPassword|mysqlClientProtocol41|mysqlClientSSL|mysqlClientSecureConnection)
	binary.LittleEndian.PutUint32(p[4:8], 1<<24)
	p[8] = charset
	return append([]byte{32, 0, 0, 1}, p...)
}

func startMySQL(ctx context.Context, c net.Conn, timeout time.Duration) error {
	var h mysqlHandshake
	var perr error
	_, err := wire.ReadUntil(ctx, c, maxPreamble, timeout, func(b []byte) bool {
		var complete bool
		h, complete, perr = parseMySQLHandshake(b)
		return complete || perr != nil
	})
	if perr != nil {
		return perr
	}
	if err != nil {
		return fmt.Errorf("MySQL handshake: %w", err)
	}
	if h.Capabilities&mysqlClientSSL == 0 {
		return fmt.Errorf("MySQL server %s lacks CLIENT_SSL: %w", h.ServerVersion, ErrNoStartTLS)
	}
	if err := wire.Write(ctx, c, mysqlSSLRequest(h.Charset), timeout); err != nil {
		return fmt.Errorf("MySQL SSL request: %w", err)
	}
	return nil
}
