package main

// The legacy TLS emulator answers ClientHellos the way a server from the
// 1990s and 2000s would: it speaks SSL 2.0 (the SSL 2.0 draft specification),
// SSL 3.0 (RFC 6101) and TLS 1.0 (RFC 2246), and accepts EXPORT, RC4, DES,
// 3DES and NULL suites that OpenSSL 3 can no longer offer. It sends the
// server's first flight (ServerHello, Certificate, ServerHelloDone; or
// SSLv2 SERVER-HELLO) and closes: enough for a scanner to learn which
// versions and suites are accepted, without a key exchange.

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// Protocol versions as they appear on the wire.
const (
	verSSL2  = 0x0002
	verSSL3  = 0x0300
	verTLS10 = 0x0301
)

// Record and handshake types (RFC 2246 sections 6.2.1 and 7.4).
const (
	recAlert            = 21
	recHandshake        = 22
	hsClientHello       = 1
	hsServerHello       = 2
	hsCertificate       = 11
	hsServerHelloDone   = 14
	alertFatal          = 2
	alertHandshakeFail  = 40
	maxRecord           = 16384 + 2048
	maxClientHelloBytes = 64 << 10
)

// legacySuites are the SSL 3.0 / TLS 1.0 cipher suites the emulator
// accepts: EXPORT, NULL, RC4, DES, 3DES, and two static-RSA AES suites so
// that a client offering only common suites still sees TLS 1.0 accepted.
var legacySuites = map[uint16]string{
	0x0001: "TLS_RSA_WITH_NULL_MD5",
	0x0002: "TLS_RSA_WITH_NULL_SHA",
	0x0003: "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
	0x0004: "TLS_RSA_WITH_RC4_128_MD5",
	0x0005: "TLS_RSA_WITH_RC4_128_SHA",
	0x0006: "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5",
	0x0008: "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA",
	0x0009: "TLS_RSA_WITH_DES_CBC_SHA",
	0x000a: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
	0x002f: "TLS_RSA_WITH_AES_128_CBC_SHA",
	0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
}

// ssl2Ciphers are the SSL 2.0 cipher kinds the emulator accepts.
var ssl2Ciphers = map[uint32]string{
	0x010080: "SSL_CK_RC4_128_WITH_MD5",
	0x020080: "SSL_CK_RC4_128_EXPORT40_WITH_MD5",
	0x030080: "SSL_CK_RC2_128_CBC_WITH_MD5",
	0x040080: "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5",
	0x060040: "SSL_CK_DES_64_CBC_WITH_MD5",
	0x0700c0: "SSL_CK_DES_192_EDE3_CBC_WITH_MD5",
}

// clientHello is what the emulator needs from a ClientHello.
type clientHello struct {
	// v2Format is true for an SSL 2.0 CLIENT-HELLO message, which SSL 2.0
	// clients send and SSL 3.0 / TLS 1.0 clients may send for
	// compatibility.
	v2Format bool
	// version is the highest version the client offers.
	version uint16
	// suites are the SSL 3.0 / TLS suites offered, in the client's order.
	suites []uint16
	// ssl2Ciphers are the SSL 2.0 cipher kinds offered (v2Format only).
	ssl2Ciphers []uint32
	// nullCompression is true when the client offers compression method 0
	// (always true for the v2 format).
	nullCompression bool
	// secureRenegotiation is true when the client signals RFC 5746 support
	// (the renegotiation_info extension or the SCSV suite 0x00ff).
	secureRenegotiation bool
	// deflate is true when the client offers DEFLATE compression (1);
	// heartbeat when it sends the heartbeat extension (RFC 6520).
	deflate, heartbeat bool
}

// readClientHello reads one ClientHello in either record format, with a
// deadline on every read and a size cap on the whole message.
func readClientHello(c net.Conn) (*clientHello, error) {
	hdr, err := readFull(c, 2, 10*time.Second)
	if err != nil {
		return nil, err
	}
	if hdr[0]&0x80 != 0 {
		// SSL 2.0 record with a two-byte header.
		n := int(binary.BigEndian.Uint16(hdr) & 0x7fff)
		body, err := readFull(c, n, 10*time.Second)
		if err != nil {
			return nil, err
		}
		return parseSSL2ClientHello(body)
	}
	var msg []byte
	for first := true; ; first = false {
		if !first {
			if hdr, err = readFull(c, 2, 10*time.Second); err != nil {
				return nil, err
			}
		}
		if hdr[0] != recHandshake {
			return nil, fmt.Errorf("not a handshake record (content type %d)", hdr[0])
		}
		rest, err := readFull(c, 3, 10*time.Second) // version's second byte, length
		if err != nil {
			return nil, err
		}
		n := int(binary.BigEndian.Uint16(rest[1:]))
		if n == 0 || n > maxRecord {
			return nil, fmt.Errorf("record length %d", n)
		}
		frag, err := readFull(c, n, 10*time.Second)
		if err != nil {
			return nil, err
		}
		msg = append(msg, frag...)
		if len(msg) >= 4 {
			want := 4 + (int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3]))
			if want > maxClientHelloBytes {
				return nil, fmt.Errorf("ClientHello of %d bytes", want)
			}
			if len(msg) >= want {
				return parseClientHello(msg[:want])
			}
		}
		if len(msg) > maxClientHelloBytes {
			return nil, errors.New("ClientHello too large")
		}
	}
}

// parseSSL2ClientHello parses an SSL 2.0 CLIENT-HELLO message (the record
// body, starting with the message type).
func parseSSL2ClientHello(b []byte) (*clientHello, error) {
	if len(b) < 9 || b[0] != hsClientHello {
		return nil, errors.New("not an SSL 2.0 CLIENT-HELLO")
	}
	h := &clientHello{v2Format: true, version: binary.BigEndian.Uint16(b[1:3]), nullCompression: true}
	specLen := int(binary.BigEndian.Uint16(b[3:5]))
	sidLen := int(binary.BigEndian.Uint16(b[5:7]))
	chLen := int(binary.BigEndian.Uint16(b[7:9]))
	if specLen%3 != 0 || len(b) != 9+specLen+sidLen+chLen {
		return nil, errors.New("SSL 2.0 CLIENT-HELLO lengths do not add up")
	}
	for spec := b[9 : 9+specLen]; len(spec) >= 3; spec = spec[3:] {
		if spec[0] == 0 {
			suite := binary.BigEndian.Uint16(spec[1:3])
			h.suites = append(h.suites, suite)
			if suite == 0x00ff {
				h.secureRenegotiation = true
			}
		} else {
			h.ssl2Ciphers = append(h.ssl2Ciphers, uint32(spec[0])<<16|uint32(spec[1])<<8|uint32(spec[2]))
		}
	}
	return h, nil
}

// parseClientHello parses an SSL 3.0 / TLS handshake message of type
// ClientHello, header included.
func parseClientHello(b []byte) (*clientHello, error) {
	if len(b) < 4 || b[0] != hsClientHello {
		return nil, errors.New("not a ClientHello")
	}
	body := b[4:]
	if len(body) < 2+32+1 {
		return nil, errors.New("ClientHello too short")
	}
	h := &clientHello{version: binary.BigEndian.Uint16(body[:2])}
	p := body[34:]
	sid := int(p[0])
	if sid > 32 || len(p) < 1+sid+2 {
		return nil, errors.New("bad session id")
	}
	p = p[1+sid:]
	n := int(binary.BigEndian.Uint16(p))
	if n%2 != 0 || len(p) < 2+n+1 {
		return nil, errors.New("bad cipher suite list")
	}
	for s := p[2 : 2+n]; len(s) >= 2; s = s[2:] {
		suite := binary.BigEndian.Uint16(s)
		h.suites = append(h.suites, suite)
		if suite == 0x00ff {
			h.secureRenegotiation = true
		}
	}
	p = p[2+n:]
	m := int(p[0])
	if len(p) < 1+m {
		return nil, errors.New("bad compression list")
	}
	for _, c := range p[1 : 1+m] {
		if c == 0 {
			h.nullCompression = true
		}
		if c == 1 {
			h.deflate = true
		}
	}
	// Extensions, if any, follow; only renegotiation_info matters.
	p = p[1+m:]
	if len(p) < 2 {
		return h, nil
	}
	ext := p[2:]
	if n := int(binary.BigEndian.Uint16(p)); n < len(ext) {
		ext = ext[:n]
	}
	for len(ext) >= 4 {
		typ, n := binary.BigEndian.Uint16(ext), int(binary.BigEndian.Uint16(ext[2:]))
		if 4+n > len(ext) {
			break
		}
		if typ == 0xff01 {
			h.secureRenegotiation = true
		}
		if typ == 15 {
			h.heartbeat = true
		}
		ext = ext[4+n:]
	}
	return h, nil
}

// legacyTLS holds the certificate chain the emulator presents.
type legacyTLS struct {
	chain [][]byte // DER, leaf first
}

func newLegacyTLS(certFile string) (*legacyTLS, error) {
	chain, err := loadChain(certFile)
	if err != nil {
		return nil, err
	}
	return &legacyTLS{chain: chain}, nil
}

// loadChain reads the CERTIFICATE blocks of a PEM file.
func loadChain(path string) ([][]byte, error) {
	if path == "" {
		return nil, errors.New("-cert is required")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var chain [][]byte
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type == "CERTIFICATE" {
			chain = append(chain, blk.Bytes)
		}
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("%s holds no certificate", path)
	}
	return chain, nil
}

func (l *legacyTLS) handle(ctx context.Context, c net.Conn) {
	h, err := readClientHello(c)
	if err != nil {
		return
	}
	_, _ = c.Write(l.respond(h))
	finish(c)
}

// respond returns the server's answer to a ClientHello.
func (l *legacyTLS) respond(h *clientHello) []byte {
	if h.v2Format && h.version == verSSL2 {
		return l.ssl2ServerHello(h)
	}
	if h.version < verSSL3 {
		return alert(verSSL3, alertHandshakeFail)
	}
	ver := min(h.version, verTLS10)
	suite, ok := chooseSuite(h.suites)
	if !ok || !h.nullCompression {
		return alert(ver, alertHandshakeFail)
	}
	return l.serverFlight(ver, suite, h.secureRenegotiation)
}

// chooseSuite returns the first offered suite the emulator accepts.
func chooseSuite(offered []uint16) (uint16, bool) {
	for _, s := range offered {
		if _, ok := legacySuites[s]; ok {
			return s, true
		}
	}
	return 0, false
}

// serverFlight builds ServerHello, Certificate and ServerHelloDone in one
// handshake record. When the client signalled RFC 5746, the ServerHello
// carries an empty renegotiation_info extension, as servers patched after
// 2009 answer (today's clients refuse to continue without it).
func (l *legacyTLS) serverFlight(ver, suite uint16, renegotiationInfo bool) []byte {
	var hello []byte
	hello = binary.BigEndian.AppendUint16(hello, ver)
	hello = append(hello, serverRandom()...)
	sid := make([]byte, 32)
	_, _ = rand.Read(sid)
	hello = append(hello, byte(len(sid)))
	hello = append(hello, sid...)
	hello = binary.BigEndian.AppendUint16(hello, suite)
	hello = append(hello, 0) // null compression
	if renegotiationInfo {
		hello = append(hello, 0, 5, 0xff, 0x01, 0, 1, 0)
	}

	var certs []byte
	for _, der := range l.chain {
		certs = appendUint24(certs, len(der))
		certs = append(certs, der...)
	}
	certMsg := appendUint24(nil, len(certs))
	certMsg = append(certMsg, certs...)

	var hs []byte
	hs = appendHandshake(hs, hsServerHello, hello)
	hs = appendHandshake(hs, hsCertificate, certMsg)
	hs = appendHandshake(hs, hsServerHelloDone, nil)
	return record(recHandshake, ver, hs)
}

// ssl2ServerHello answers an SSL 2.0 CLIENT-HELLO: a SERVER-HELLO listing
// the cipher kinds both sides support, with the certificate, or an ERROR
// message (NO-CIPHER-ERROR) when there are none.
func (l *legacyTLS) ssl2ServerHello(h *clientHello) []byte {
	var specs []byte
	for _, k := range h.ssl2Ciphers {
		if _, ok := ssl2Ciphers[k]; ok {
			specs = append(specs, byte(k>>16), byte(k>>8), byte(k))
		}
	}
	if len(specs) == 0 {
		return ssl2Record([]byte{0, 0x00, 0x01}) // ERROR, NO-CIPHER-ERROR
	}
	cert := l.chain[0]
	connID := make([]byte, 16)
	_, _ = rand.Read(connID)
	msg := []byte{4, 0, 1} // SERVER-HELLO, session-id-hit 0, X.509 certificate
	msg = binary.BigEndian.AppendUint16(msg, verSSL2)
	msg = binary.BigEndian.AppendUint16(msg, uint16(len(cert)))
	msg = binary.BigEndian.AppendUint16(msg, uint16(len(specs)))
	msg = binary.BigEndian.AppendUint16(msg, uint16(len(connID)))
	msg = append(msg, cert...)
	msg = append(msg, specs...)
	msg = append(msg, connID...)
	return ssl2Record(msg)
}

// ssl2Record frames msg with the two-byte SSL 2.0 record header.
func ssl2Record(msg []byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, 0x8000|uint16(len(msg))), msg...)
}

// alert builds a fatal alert record.
func alert(ver uint16, desc byte) []byte {
	return record(recAlert, ver, []byte{alertFatal, desc})
}

func record(typ byte, ver uint16, body []byte) []byte {
	out := []byte{typ}
	out = binary.BigEndian.AppendUint16(out, ver)
	out = binary.BigEndian.AppendUint16(out, uint16(len(body)))
	return append(out, body...)
}

func appendHandshake(b []byte, typ byte, body []byte) []byte {
	b = append(b, typ)
	b = appendUint24(b, len(body))
	return append(b, body...)
}

func appendUint24(b []byte, n int) []byte {
	return append(b, byte(n>>16), byte(n>>8), byte(n))
}

// serverRandom is gmt_unix_time followed by 28 random bytes.
func serverRandom() []byte {
	r := binary.BigEndian.AppendUint32(nil, uint32(time.Now().Unix()))
	rest := make([]byte, 28)
	_, _ = rand.Read(rest)
	return append(r, rest...)
}
