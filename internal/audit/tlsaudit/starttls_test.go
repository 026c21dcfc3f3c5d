package tlsaudit

import (
	"testing"

	"github.com/vigilsec/vigil/internal/codec/reply"
)

func TestSMTPHasStartTLS(t *testing.T) {
	tests := []struct {
		name string
		ehlo string
		want bool
	}{
		{"keyword line", "250-mail.example\r\n250-SIZE 1000\r\n250-STARTTLS\r\n250 8BITMIME\r\n", true},
		{"lower case, last line", "250-mail.example\r\n250-SIZE 1000\r\n250 starttls\r\n", true},
		{"inside another extension", "250-mail.example\r\n250-AUTH PLAIN STARTTLS\r\n250 8BITMIME\r\n", false},
		{"prefix of a longer keyword", "250-mail.example\r\n250 STARTTLSX\r\n", false},
		{"greeting line only", "250 STARTTLS\r\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := reply.Parse([]byte(tt.ehlo))
			if len(rs) != 1 || !rs[0].Complete {
				t.Fatalf("EHLO reply parses as %+v", rs)
			}
			if got := smtpHasStartTLS(rs[0]); got != tt.want {
				t.Errorf("smtpHasStartTLS = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseIMAPTagged(t *testing.T) {
	tests := []struct {
		in       string
		status   string
		complete bool
		err      bool
	}{
		{"V1 OK Begin TLS negotiation now\r\n", "OK", true, false},
		{"* CAPABILITY IMAP4rev1\r\nV1 OK done\r\n", "OK", true, false},
		{"V1 BAD unknown command\r\n", "BAD", true, false},
		{"V1 NO [PRIVACYREQUIRED]\r\n", "NO", true, false},
		{"* OK still waiting\r\n", "", false, false},
		{"V1 WHAT\r\n", "", false, true},
		{"V10 OK other tag\r\n", "", false, false},
	}
	for _, tt := range tests {
		st, complete, err := parseIMAPTagged([]byte(tt.in), imapTag)
		if st != tt.status || complete != tt.complete || (err != nil) != tt.err {
			t.Errorf("%q: %q %v %v", tt.in, st, complete, err)
		}
	}
}

func TestParsePOP3Status(t *testing.T) {
	tests := []struct {
		in      string
		ok, err bool
	}{
		{"+OK Dovecot ready.\r\n", true, false},
		{"+OK\r\n", true, false},
		{"-ERR STLS not available\r\n", false, false},
		{"220 smtp\r\n", false, true},
		{"", false, true},
	}
	for _, tt := range tests {
		ok, err := parsePOP3Status([]byte(tt.in))
		if ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("%q: %v %v", tt.in, ok, err)
		}
	}
}

// ldapResponse builds, byte by byte, an LDAPMessage with message ID 1
// holding an ExtendedResponse with resultCode code; long puts the outer
// length in the long form.
func ldapResponse(code byte, long bool) []byte {
	op := []byte{0x0a, 0x01, code, 0x04, 0x00, 0x04, 0x00}
	op = append([]byte{0x78, byte(len(op))}, op...)
	msg := append([]byte{0x02, 0x01, 0x01}, op...)
	if long {
		return append([]byte{0x30, 0x81, byte(len(msg))}, msg...)
	}
	return append([]byte{0x30, byte(len(msg))}, msg...)
}

func TestParsePGSSLReply(t *testing.T) {
	tests := []struct {
		in      string
		ok, err bool
	}{
		{"S", true, false},
		{"N", false, false},
		{"E", false, true},
		{"", false, true},
		{"SX", false, true},
	}
	for _, tt := range tests {
		ok, err := parsePGSSLReply([]byte(tt.in))
		if ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("%q: %v %v", tt.in, ok, err)
		}
	}
}

// mysqlGreeting builds a protocol-10 initial handshake packet.
func mysqlGreeting(version string, capLow, capHigh uint16) []byte {
	p := []byte{10}
	p = append(p, version...)
	p = append(p, 0)
	p = append(p, 1, 0, 0, 0)                    // connection id
	p = append(p, []byte("abcdefgh")...)         // auth-plugin-data part 1
	p = append(p, 0)                             // filler
	p = append(p, byte(capLow), byte(capLow>>8)) // capability flags, low
	p = append(p, 0x21, 2, 0)                    // charset, status
	p = append(p, byte(capHigh), byte(capHigh>>8))
	p = append(p, 21)                  // auth data length
	p = append(p, make([]byte, 10)...) // reserved
	p = append(p, []byte("ijklmnopqrst\x00")...)
	p = append(p, []byte("mysql_native_password\x00")...)
	return append([]byte{byte(len(p)), byte(len(p) >> 8), 0, 0}, p...)
}

func TestParseMySQLHandshake(t *testing.T) {
	tests := []struct {
		name     string
		in       []byte
		ssl      bool
		version  string
		complete bool
		err      bool
	}{
		{"MariaDB with SSL", mysqlGreeting("5.5.5-10.11.6-MariaDB-0+deb12u1", 0xfffe, 0x81ff), true, "5.5.5-10.11.6-MariaDB-0+deb12u1", true, false},
		{"without SSL", mysqlGreeting("8.0.36", 0xf7fe&^0x0800, 0x81ff), false, "8.0.36", true, false},
		{"incomplete", mysqlGreeting("8.0.36", 0xffff, 0)[:20], false, "", false, false},
		{"ERR packet", []byte{0x16, 0, 0, 0, 0xff, 0x6a, 0x04, 'H', 'o', 's', 't', ' ', 'i', 's', ' ', 'n', 'o', 't', ' ', 'a', 'l', 'l', 'o', 'w', 'e', 'd'}, false, "", false, true},
		{"protocol 9", []byte{2, 0, 0, 0, 9, 0}, false, "", false, true},
		{"unterminated version", []byte{4, 0, 0, 0, 10, 'a', 'b', 'c'}, false, "", false, true},
		{"huge packet", []byte{0xff, 0xff, 0xff, 0}, false, "", false, true},
	}
	for _, tt := range tests {
		h, complete, err := parseMySQLHandshake(tt.in)
		if complete != tt.complete || (err != nil) != tt.err || (h.Capabilities&mysqlClientSSL != 0) != tt.ssl || h.ServerVersion != tt.version {
			t.Errorf("%s: %+v %v %v", tt.name, h, complete, err)
		}
	}
	req := mysqlSSLRequest(0x21)
	if len(req) != 36 || req[3] != 1 || req[4+1]&0x08 == 0 {
		t.Errorf("SSL request % x", req)
	}
}
