package tlsaudit

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/codec/ldap"
	"github.com/vigilsec/vigil/internal/codec/reply"
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
	StartRDP        = "rdp"
)

// maxPreamble caps what one STARTTLS exchange may read.
const maxPreamble = 16 << 10

// ErrNoStartTLS means the server does not offer, or refused, the upgrade
// to TLS.
var ErrNoStartTLS = errors.New("server does not offer an upgrade to TLS")

// errNotReply means an SMTP or FTP server answered with something other
// than a numbered reply.
var errNotReply = errors.New("not a numbered reply")

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
	case StartRDP:
		return startRDP(ctx, c, timeout)
	}
	return fmt.Errorf("unknown STARTTLS protocol %q", proto)
}

// readReply reads one complete SMTP (RFC 5321 4.2) or FTP (RFC 959 4.2)
// reply.
func readReply(ctx context.Context, c net.Conn, timeout time.Duration) (reply.Reply, error) {
	buf, err := wire.ReadUntil(ctx, c, maxPreamble, timeout, reply.Complete)
	if err != nil {
		return reply.Reply{}, fmt.Errorf("reading reply (%q): %w", sanitize.Printable(buf, 80), err)
	}
	rs := reply.Parse(buf)
	if len(rs) == 0 || !rs[0].Complete {
		return reply.Reply{}, fmt.Errorf("answer %q: %w", sanitize.Printable(buf, 80), errNotReply)
	}
	return rs[0], nil
}

func exchangeReply(ctx context.Context, c net.Conn, cmd string, timeout time.Duration) (reply.Reply, error) {
	if err := wire.Write(ctx, c, []byte(cmd), timeout); err != nil {
		return reply.Reply{}, err
	}
	return readReply(ctx, c, timeout)
}

// replyText is a reply as the server sent it, made printable, for errors.
func replyText(r reply.Reply) string {
	return sanitize.String(fmt.Sprintf("%d %s", r.Code, r.Text()), 120)
}

func startSMTP(ctx context.Context, c net.Conn, timeout time.Duration) error {
	r, err := readReply(ctx, c, timeout)
	if err != nil {
		return fmt.Errorf("SMTP greeting: %w", err)
	}
	if r.Code != 220 {
		return fmt.Errorf("SMTP greeting %q: %w", replyText(r), ErrNoStartTLS)
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
		return fmt.Errorf("SMTP STARTTLS answered %q: %w", replyText(r), ErrNoStartTLS)
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

// smtpHasStartTLS reports whether an EHLO reply lists the STARTTLS keyword
// (RFC 3207) on one of its extension lines.
func smtpHasStartTLS(r reply.Reply) bool {
	if len(r.Lines) < 2 {
		return false // the first line is the greeting, never a keyword
	}
	for _, l := range r.Lines[1:] {
		if kw, _, _ := strings.Cut(strings.TrimSpace(l), " "); strings.EqualFold(kw, "STARTTLS") {
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
		return fmt.Errorf("FTP greeting %q: %w", replyText(r), ErrNoStartTLS)
	}
	r, err = exchangeReply(ctx, c, "AUTH TLS\r\n", timeout)
	if err != nil {
		return fmt.Errorf("FTP AUTH TLS: %w", err)
	}
	if r.Code != 234 {
		return fmt.Errorf("FTP AUTH TLS answered %q: %w", replyText(r), ErrNoStartTLS)
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

// ldapMsgID is the message ID of vigil's StartTLS extended request.
const ldapMsgID = 1

// startLDAP sends the StartTLS extended request (RFC 4511 4.14.1) and
// reads its ExtendedResponse, or a Notice of Disconnection.
func startLDAP(ctx context.Context, c net.Conn, timeout time.Duration) error {
	var r ldap.Result
	var done bool
	var perr error
	buf, err := wire.Exchange(ctx, c, ldap.ExtendedRequest(ldapMsgID, ldap.StartTLSOID), maxPreamble, timeout, func(b []byte) bool {
		r, done, perr = ldap.ExtendedResult(b, ldapMsgID)
		return done
	})
	if perr != nil {
		return fmt.Errorf("LDAP StartTLS answer (% x): %w", buf[:min(len(buf), 16)], perr)
	}
	if err != nil {
		return fmt.Errorf("LDAP StartTLS (% x): %w", buf[:min(len(buf), 16)], err)
	}
	if r.Code != ldap.Success {
		return fmt.Errorf("LDAP StartTLS result code %d %q: %w", r.Code, sanitize.String(r.Diagnostic, 120), ErrNoStartTLS)
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
