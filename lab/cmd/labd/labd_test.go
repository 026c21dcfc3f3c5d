package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"hash/crc32"
	"io"
	"log/slog"
	"math/big"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// startServer serves h on a fresh loopback port until the test ends.
func startServer(t *testing.T, h handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = acceptLoop(t.Context(), log, ln, 8, time.Minute, h)
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// roundTrip sends req, half-closes, and returns everything the server sends
// until it closes (at most 1 MiB, within 5 seconds).
func roundTrip(t *testing.T, addr string, req []byte) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(io.LimitReader(c, 1<<20))
	if err != nil {
		t.Fatalf("reading the answer: %v (got %d bytes)", err, len(b))
	}
	return b
}

// testCert is a throwaway self-signed certificate.
func testCert(t testing.TB) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "legacy.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// clientHello builds an SSL 3.0/TLS ClientHello record.
func buildClientHello(recordVersion, version uint16, suites []uint16, renegotiationInfo bool) []byte {
	body := binary.BigEndian.AppendUint16(nil, version)
	body = append(body, make([]byte, 32)...) // random
	body = append(body, 0)                   // session id
	body = binary.BigEndian.AppendUint16(body, uint16(2*len(suites)))
	for _, s := range suites {
		body = binary.BigEndian.AppendUint16(body, s)
	}
	body = append(body, 1, 0) // null compression
	if renegotiationInfo {
		body = append(body, 0, 5, 0xff, 0x01, 0, 1, 0)
	}
	return record(recHandshake, recordVersion, appendHandshake(nil, hsClientHello, body))
}

// ssl2ClientHello builds an SSL 2.0 CLIENT-HELLO record with the given
// version and 3-byte cipher specs.
func ssl2ClientHello(version uint16, specs []uint32) []byte {
	msg := []byte{hsClientHello}
	msg = binary.BigEndian.AppendUint16(msg, version)
	msg = binary.BigEndian.AppendUint16(msg, uint16(3*len(specs)))
	msg = binary.BigEndian.AppendUint16(msg, 0)  // session id
	msg = binary.BigEndian.AppendUint16(msg, 16) // challenge
	for _, s := range specs {
		msg = append(msg, byte(s>>16), byte(s>>8), byte(s))
	}
	msg = append(msg, make([]byte, 16)...)
	return ssl2Record(msg)
}

// serverFlight is what a TLS answer held.
type serverFlight struct {
	recordVersion, version, suite uint16
	renegotiationInfo             bool
	cert                          []byte
	done                          bool
	alert                         []byte
}

// parseFlight parses one record holding ServerHello, Certificate and
// ServerHelloDone, or an alert.
func parseFlight(t *testing.T, b []byte) serverFlight {
	t.Helper()
	var f serverFlight
	if len(b) < 5 {
		t.Fatalf("answer of %d bytes", len(b))
	}
	f.recordVersion = binary.BigEndian.Uint16(b[1:3])
	n := int(binary.BigEndian.Uint16(b[3:5]))
	if len(b) != 5+n {
		t.Fatalf("record says %d bytes, %d arrived", n, len(b)-5)
	}
	body := b[5:]
	if b[0] == recAlert {
		f.alert = body
		return f
	}
	if b[0] != recHandshake {
		t.Fatalf("record type %d", b[0])
	}
	for len(body) > 0 {
		typ, l := body[0], int(body[1])<<16|int(body[2])<<8|int(body[3])
		msg := body[4 : 4+l]
		body = body[4+l:]
		switch typ {
		case hsServerHello:
			f.version = binary.BigEndian.Uint16(msg)
			sid := int(msg[34])
			f.suite = binary.BigEndian.Uint16(msg[35+sid:])
			rest := msg[35+sid+3:]
			f.renegotiationInfo = bytes.Equal(rest, []byte{0, 5, 0xff, 0x01, 0, 1, 0})
		case hsCertificate:
			certs := msg[3:]
			f.cert = certs[3 : 3+(int(certs[0])<<16|int(certs[1])<<8|int(certs[2]))]
		case hsServerHelloDone:
			f.done = l == 0
		default:
			t.Fatalf("handshake message %d", typ)
		}
	}
	return f
}

func TestLegacyTLS(t *testing.T) {
	cert := testCert(t)
	l := &legacyTLS{chain: [][]byte{cert}}
	addr := startServer(t, l.handle)
	for _, tc := range []struct {
		name      string
		hello     []byte
		version   uint16 // 0: want a handshake_failure alert
		suite     uint16
		renegInfo bool
	}{
		{"TLS 1.2 client gets TLS 1.0 and its first legacy suite", buildClientHello(0x0301, 0x0303, []uint16{0xc02f, 0x0003, 0x0005}, true), verTLS10, 0x0003, true},
		{"TLS 1.0 client with RC4", buildClientHello(0x0301, 0x0301, []uint16{0x0005}, false), verTLS10, 0x0005, false},
		{"SSL 3.0 client with 3DES", buildClientHello(0x0300, 0x0300, []uint16{0x00ff, 0x000a}, false), verSSL3, 0x000a, true},
		{"NULL suite", buildClientHello(0x0301, 0x0301, []uint16{0x0002}, false), verTLS10, 0x0002, false},
		{"DES", buildClientHello(0x0301, 0x0302, []uint16{0x0009}, false), verTLS10, 0x0009, false},
		{"v2-format hello of a TLS 1.0 client", ssl2ClientHello(0x0301, []uint32{0x010080, 0x000004}), verTLS10, 0x0004, false},
		{"only modern suites", buildClientHello(0x0301, 0x0303, []uint16{0xc02f, 0x1301}, true), 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := parseFlight(t, roundTrip(t, addr, tc.hello))
			if tc.version == 0 {
				if !bytes.Equal(f.alert, []byte{alertFatal, alertHandshakeFail}) {
					t.Errorf("alert %x, want fatal handshake_failure", f.alert)
				}
				return
			}
			if f.alert != nil {
				t.Fatalf("alert %x", f.alert)
			}
			if f.recordVersion != tc.version || f.version != tc.version || f.suite != tc.suite {
				t.Errorf("record %#04x, version %#04x, suite %#04x; want %#04x, %#04x", f.recordVersion, f.version, f.suite, tc.version, tc.suite)
			}
			if f.renegotiationInfo != tc.renegInfo {
				t.Errorf("renegotiation_info %v, want %v", f.renegotiationInfo, tc.renegInfo)
			}
			if !bytes.Equal(f.cert, cert) || !f.done {
				t.Errorf("certificate or ServerHelloDone missing")
			}
		})
	}
}

func TestLegacySSL2(t *testing.T) {
	cert := testCert(t)
	addr := startServer(t, (&legacyTLS{chain: [][]byte{cert}}).handle)

	b := roundTrip(t, addr, ssl2ClientHello(verSSL2, []uint32{0x080080, 0x0700c0, 0x010080}))
	n := int(binary.BigEndian.Uint16(b) & 0x7fff)
	if b[0]&0x80 == 0 || len(b) != 2+n {
		t.Fatalf("not one SSL 2.0 record: % x", b[:min(len(b), 8)])
	}
	msg := b[2:]
	if msg[0] != 4 || msg[2] != 1 || binary.BigEndian.Uint16(msg[3:]) != verSSL2 {
		t.Fatalf("not an X.509 SERVER-HELLO for SSL 2.0: % x", msg[:7])
	}
	certLen, specLen, idLen := int(binary.BigEndian.Uint16(msg[5:])), int(binary.BigEndian.Uint16(msg[7:])), int(binary.BigEndian.Uint16(msg[9:]))
	if 11+certLen+specLen+idLen != len(msg) || !bytes.Equal(msg[11:11+certLen], cert) {
		t.Fatal("SERVER-HELLO lengths or certificate wrong")
	}
	if specs := msg[11+certLen : 11+certLen+specLen]; !bytes.Equal(specs, []byte{0x07, 0x00, 0xc0, 0x01, 0x00, 0x80}) {
		t.Errorf("cipher specs % x, want the two supported ones in the client's order", specs)
	}

	b = roundTrip(t, addr, ssl2ClientHello(verSSL2, []uint32{0x080080}))
	if !bytes.Equal(b, []byte{0x80, 0x03, 0x00, 0x00, 0x01}) {
		t.Errorf("no common cipher: % x, want an SSL 2.0 NO-CIPHER-ERROR", b)
	}
}

// TestLegacyTLSWithGo checks that a real TLS stack accepts the emulator's
// ServerHello and Certificate for TLS 1.0 with a static-RSA suite.
func TestLegacyTLSWithGo(t *testing.T) {
	cert := testCert(t)
	addr := startServer(t, (&legacyTLS{chain: [][]byte{cert}}).handle)
	var got []byte
	c, err := tls.Dial("tcp", addr, &tls.Config{
		MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10, InsecureSkipVerify: true,
		CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA},
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			got = raw[0]
			return nil
		},
	})
	if err == nil {
		c.Close()
		t.Fatal("the handshake completed, but the emulator never sends Finished")
	}
	if !bytes.Equal(got, cert) {
		t.Errorf("crypto/tls did not get to the certificate: %v", err)
	}
}

func TestParsePorts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		ok   bool
	}{
		{"22,80,443", []int{22, 80, 443}, true},
		{"8000-8002, 22,8001", []int{8000, 8001, 8002, 22}, true},
		{"0", nil, false},
		{"70000", nil, false},
		{"5-3", nil, false},
		{"x", nil, false},
		{"", nil, false},
	} {
		got, err := parsePorts(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("parsePorts(%q) = %v, %v", tc.in, got, err)
		}
	}
}

// kexinitNames parses the name-lists of an SSH_MSG_KEXINIT packet.
func kexinitNames(t *testing.T, pkt []byte) []string {
	t.Helper()
	n := int(binary.BigEndian.Uint32(pkt))
	if n+4 != len(pkt) || (n+4)%8 != 0 || int(pkt[4]) < 4 {
		t.Fatalf("bad packet framing: length %d, padding %d, %d bytes", n, pkt[4], len(pkt))
	}
	p := pkt[5 : 4+n-int(pkt[4])]
	if p[0] != 20 {
		t.Fatalf("message %d, want KEXINIT", p[0])
	}
	p = p[17:]
	var lists []string
	for range 10 {
		l := int(binary.BigEndian.Uint32(p))
		lists = append(lists, string(p[4:4+l]))
		p = p[4+l:]
	}
	if !bytes.Equal(p, []byte{0, 0, 0, 0, 0}) {
		t.Errorf("KEXINIT trailer % x", p)
	}
	return lists
}

func TestLegacySSH(t *testing.T) {
	for _, tc := range []struct {
		variant, banner string
		want, notWant   string
	}{
		{"terrapin", "SSH-2.0-OpenSSH_8.9\r\n", "chacha20-poly1305@openssh.com", "kex-strict-s-v00@openssh.com"},
		{"ssh199", "SSH-1.99-OpenSSH_7.4\r\n", "diffie-hellman-group1-sha1", "curve25519"},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			l, err := newLegacySSH(tc.variant, "")
			if err != nil {
				t.Fatal(err)
			}
			addr := startServer(t, l.handle)
			b := roundTrip(t, addr, append([]byte("SSH-2.0-test\r\n"), sshPacket(make([]byte, 30))...))
			if !bytes.HasPrefix(b, []byte(tc.banner)) {
				t.Fatalf("banner %q", b[:min(len(b), 40)])
			}
			names := strings.Join(kexinitNames(t, b[len(tc.banner):]), ",")
			if !strings.Contains(names, tc.want) || strings.Contains(names, tc.notWant) {
				t.Errorf("KEXINIT %s: want %s, not %s", names, tc.want, tc.notWant)
			}
		})
	}
}

func TestLegacySSH1(t *testing.T) {
	l, err := newLegacySSH("ssh1", "")
	if err != nil {
		t.Fatal(err)
	}
	addr := startServer(t, l.handle)
	b := roundTrip(t, addr, []byte("SSH-1.5-test\n"))
	banner, pkt, ok := bytes.Cut(b, []byte("\n"))
	if !ok || string(banner) != "SSH-1.5-OpenSSH_3.9p1" {
		t.Fatalf("banner %q", banner)
	}
	n := int(binary.BigEndian.Uint32(pkt))
	pad := 8 - n%8
	if len(pkt) != 4+pad+n {
		t.Fatalf("packet length %d with %d padding, %d bytes arrived", n, pad, len(pkt))
	}
	body := pkt[4 : 4+pad+n-4]
	if body[pad] != 2 {
		t.Errorf("message %d, want SSH_SMSG_PUBLIC_KEY (2)", body[pad])
	}
	if got := binary.BigEndian.Uint32(pkt[len(pkt)-4:]); got != ssh1CRC(body) {
		t.Errorf("CRC %08x, want %08x", got, ssh1CRC(body))
	}
	// The server key (768 bits) must be smaller than the host key (1024).
	data := body[pad+1+8:]
	if bits := binary.BigEndian.Uint32(data); bits != 768 {
		t.Errorf("server key of %d bits", bits)
	}
}

// TestSSH1CRC compares with the standard CRC-32, which differs from SSH-1's
// only by inverting before and after.
func TestSSH1CRC(t *testing.T) {
	for _, s := range []string{"", "a", "SSH-1 packet", strings.Repeat("xyz", 100)} {
		if got, want := ssh1CRC([]byte(s)), ^crc32.Update(0xffffffff, crc32.IEEETable, []byte(s)); got != want {
			t.Errorf("ssh1CRC(%q) = %08x, want %08x", s, got, want)
		}
	}
}

func TestHostile(t *testing.T) {
	t.Run("escape", func(t *testing.T) {
		addr := startServer(t, escape)
		b := roundTrip(t, addr, []byte("HELP\r\n"))
		if !bytes.HasPrefix(b, []byte(EscapeBanner)) || !bytes.Contains(b, []byte(escapeReply)) {
			t.Errorf("got %q", b)
		}
	})
	t.Run("flood", func(t *testing.T) {
		addr := startServer(t, flood)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(io.LimitReader(c, 4<<20))
		if err != nil || len(b) != 4<<20 || bytes.IndexByte(b, '\n') >= 0 {
			t.Errorf("read %d bytes (err %v); want 4 MiB without a line break", len(b), err)
		}
	})
	t.Run("trickle", func(t *testing.T) {
		addr := startServer(t, trickle)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		b := make([]byte, 16)
		n, err := c.Read(b)
		if err != nil || string(b[:n]) != trickleBanner[:n] {
			t.Errorf("first read %q, %v", b[:n], err)
		}
	})
	for name, h := range map[string]handler{"tls-garbage": tlsGarbage, "tls-endless": tlsEndless} {
		t.Run(name, func(t *testing.T) {
			addr := startServer(t, h)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write(buildClientHello(0x0301, 0x0303, []uint16{0xc02f}, false)); err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(io.LimitReader(c, 256<<10))
			if len(b) < 64<<10 {
				t.Errorf("only %d bytes", len(b))
			}
			if name == "tls-endless" && !bytes.HasPrefix(b, []byte{recHandshake, 3, 3, 0x40, 0, hsServerHello, 0xff, 0xff, 0xff}) {
				t.Errorf("starts % x", b[:9])
			}
		})
	}
}

func FuzzParseClientHello(f *testing.F) {
	f.Add(buildClientHello(0x0301, 0x0303, []uint16{0xc02f, 0x0003}, true)[5:])
	f.Add(buildClientHello(0x0300, 0x0300, []uint16{0x000a}, false)[5:])
	f.Add(ssl2ClientHello(verSSL2, []uint32{0x010080})[2:])
	f.Add(ssl2ClientHello(0x0301, []uint32{0x000005, 0x0000ff})[2:])
	f.Add([]byte{1, 0, 0, 0})
	l := &legacyTLS{chain: [][]byte{testCert(f)}}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, parse := range []func([]byte) (*clientHello, error){parseClientHello, parseSSL2ClientHello} {
			h, err := parse(b)
			if err != nil {
				continue
			}
			out := l.respond(h)
			if len(out) < 5 {
				t.Fatalf("answer of %d bytes to %x", len(out), b)
			}
		}
	})
}
