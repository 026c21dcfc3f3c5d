package tlsaudit

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/vigilsec/vigil/internal/codec/ber"
	"github.com/vigilsec/vigil/internal/codec/ldap"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/tlsinfo"
)

func testDialer(t testing.TB) *dialer.Dialer {
	t.Helper()
	d, err := dialer.New(dialer.Config{Concurrency: 64, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// testPKI is a CA and a leaf for 127.0.0.1 and leaf.test.
type testPKI struct {
	roots *x509.CertPool
	cert  tls.Certificate
}

func newPKI(t testing.TB) testPKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tlsaudit test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "leaf.test"},
		DNSNames: []string{"leaf.test"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return testPKI{roots: roots, cert: tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key}}
}

// serve accepts connections on a fresh loopback port and hands each to h
// until the test ends.
func serve(t testing.TB, h func(net.Conn)) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				h(c)
			})
		}
	})
	return netip.MustParseAddrPort(ln.Addr().String())
}

// goTLSConfig is a crypto/tls server: TLS 1.0 to 1.3, three ECDSA suites.
func goTLSConfig(p testPKI) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{p.cert},
		MinVersion:   tls.VersionTLS10,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
	}
}

func suiteIDs(v *facts.TLSVersion) []uint32 {
	var ids []uint32
	for _, s := range v.Suites {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	return ids
}

func versionByName(t *testing.T, tl *facts.TLS, name string) facts.TLSVersion {
	t.Helper()
	for _, v := range tl.Versions {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("version %s missing", name)
	return facts.TLSVersion{}
}

func TestAuditCryptoTLSServer(t *testing.T) {
	pki := newPKI(t)
	cfg := goTLSConfig(pki)
	addr := serve(t, func(c net.Conn) { _ = tls.Server(c, cfg).Handshake() })

	tests := []struct {
		name       string
		opt        Options
		trusted    bool
		nameMatch  bool
		nameChosen string
	}{
		{"by IP with the test CA", Options{Roots: pki.roots}, true, true, "127.0.0.1"},
		{"by name with the test CA", Options{Roots: pki.roots, ServerName: "leaf.test"}, true, true, "leaf.test"},
		{"other name", Options{Roots: pki.roots, ServerName: "other.test"}, true, false, "other.test"},
		{"system roots only", Options{}, false, true, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Audit(t.Context(), testDialer(t), addr, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]uint32{
				facts.SSLv2: nil, facts.SSLv3: nil,
				facts.TLS10: {0xC009}, facts.TLS11: {0xC009},
				facts.TLS12: {0xC009, 0xC02B, 0xCCA9},
				facts.TLS13: {0x1301, 0x1302, 0x1303},
			}
			for name, ids := range want {
				v := versionByName(t, res, name)
				if v.Accepted != (ids != nil) || !slices.Equal(suiteIDs(&v), ids) {
					t.Errorf("%s: accepted %v suites %04x, want %04x", name, v.Accepted, suiteIDs(&v), ids)
				}
			}
			if len(res.Chain) != 2 || res.Chain[0].Subject != "CN=leaf.test" || res.Chain[0].KeyAlgorithm != "ECDSA" || res.Chain[0].KeyBits != 256 ||
				!res.Chain[1].IsCA || !res.Chain[1].SelfSigned || res.Chain[0].SelfSigned || len(res.Chain[0].SHA256) != 64 {
				t.Errorf("chain %+v", res.Chain)
			}
			if res.Trusted != tt.trusted || res.NameMatch != tt.nameMatch || res.NameChecked != tt.nameChosen {
				t.Errorf("trusted %v (%s) name %q match %v", res.Trusted, res.TrustError, res.NameChecked, res.NameMatch)
			}
			if !tt.trusted && !strings.Contains(res.TrustError, "tlsaudit test CA") {
				t.Errorf("trust error %q does not name the CA", res.TrustError)
			}
		})
	}
}

// clientHelloInfo is what the fake legacy server reads of a hello.
type clientHelloInfo struct {
	sslv2   bool
	version uint16
	suites  []uint32
}

// readClientHello reads one ClientHello (SSLv2 or TLS record format).
func readClientHello(c net.Conn) (clientHelloInfo, error) {
	var h clientHelloInfo
	br := bufio.NewReader(c)
	head := make([]byte, 2)
	if _, err := io.ReadFull(br, head); err != nil {
		return h, err
	}
	if head[0]&0x80 != 0 {
		msg := make([]byte, int(head[0]&0x7f)<<8|int(head[1]))
		if _, err := io.ReadFull(br, msg); err != nil {
			return h, err
		}
		r := cryptobyte.String(msg[1:])
		h.sslv2 = true
		var specLen uint16
		var specs cryptobyte.String
		if !r.ReadUint16(&h.version) || !r.ReadUint16(&specLen) || !r.Skip(4) || !r.ReadBytes((*[]byte)(&specs), int(specLen)) {
			return h, errMalformed
		}
		for !specs.Empty() {
			var k uint32
			if !specs.ReadUint24(&k) {
				return h, errMalformed
			}
			h.suites = append(h.suites, k)
		}
		return h, nil
	}
	rest := make([]byte, 3)
	if _, err := io.ReadFull(br, rest); err != nil {
		return h, err
	}
	body := make([]byte, int(rest[1])<<8|int(rest[2]))
	if _, err := io.ReadFull(br, body); err != nil {
		return h, err
	}
	r := cryptobyte.String(body[4:])
	var sid, cs cryptobyte.String
	if !r.ReadUint16(&h.version) || !r.Skip(32) || !r.ReadUint8LengthPrefixed(&sid) || !r.ReadUint16LengthPrefixed(&cs) {
		return h, errMalformed
	}
	for !cs.Empty() {
		var id uint16
		if !cs.ReadUint16(&id) {
			return h, errMalformed
		}
		h.suites = append(h.suites, uint32(id))
	}
	return h, nil
}

// legacyServer emulates an SSLv2/SSLv3-only server: SSLv2 with three
// kinds, SSLv3 with its own preference order, TLS refused with an alert.
func legacyServer(certDER []byte, order []uint32, followClient bool) func(net.Conn) {
	kinds := []uint32{0x0700C0, 0x020080, 0x010080}
	return func(c net.Conn) {
		h, err := readClientHello(c)
		if err != nil {
			return
		}
		switch {
		case h.sslv2:
			var common []uint32
			for _, k := range kinds {
				if slices.Contains(h.suites, k) {
					common = append(common, k)
				}
			}
			_, _ = c.Write(ssl2Record(ssl2ServerHelloMsg(certDER, common...)))
		case h.version == 0x0300:
			prefs, supported := order, h.suites
			if followClient {
				prefs, supported = h.suites, order
			}
			for _, s := range prefs {
				if slices.Contains(supported, s) {
					flight := handshakeOf(hsServerHello, serverHelloBody(0x0300, nil, uint16(s)))
					flight = append(flight, handshakeOf(hsCertificate, certificateBody(certDER))...)
					flight = append(flight, handshakeOf(hsServerHelloDone, nil)...)
					_, _ = c.Write(recordOf(recHandshake, 0x0300, flight))
					return
				}
			}
			_, _ = c.Write(recordOf(recAlert, 0x0300, []byte{2, 40}))
		default:
			_, _ = c.Write(recordOf(recAlert, 0x0300, []byte{2, 70}))
		}
	}
}

func TestAuditLegacyServer(t *testing.T) {
	ssl3 := offer(tlsinfo.VersionSSL3)
	many := slices.Clone(ssl3[len(ssl3)-12:])
	slices.Reverse(many)
	tests := []struct {
		name  string
		order []uint32
		// hellos is how many SSLv3 handshakes the audit may make: the
		// version probe, one per further suite plus the refusal, and one
		// order probe (the enumeration's picks are the ranking).
		hellos int64
		// followClient: the server takes the client's preference.
		followClient bool
	}{
		{"few suites, enumerated in one chain", []uint32{0x0005, 0x000A, 0x0003, 0x0009}, 1 + 4 + 1, false},
		{"many suites, enumerated in parallel", many, 0, false},
		{"a server following the client's order", []uint32{0x0005, 0x000A, 0x0003, 0x0009}, 1 + 4 + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pki := newPKI(t)
			var hellos atomic.Int64
			legacy := legacyServer(pki.cert.Certificate[0], tt.order, tt.followClient)
			addr := serve(t, func(c net.Conn) {
				legacy(&countingConn{Conn: c, ssl3: &hellos})
			})
			res, err := Audit(t.Context(), testDialer(t), addr, Options{Roots: pki.roots})
			if err != nil {
				t.Fatal(err)
			}
			v2 := versionByName(t, res, facts.SSLv2)
			if !v2.Accepted || !slices.Equal(suiteIDs(&v2), []uint32{0x010080, 0x020080, 0x0700C0}) {
				t.Errorf("SSLv2: %+v", v2)
			}
			v3 := versionByName(t, res, facts.SSLv3)
			var got []uint32
			for _, s := range v3.Suites {
				got = append(got, s.ID)
			}
			switch {
			case tt.followClient:
				if !v3.Accepted || v3.ServerOrder == nil || *v3.ServerOrder || !slices.Equal(got, slices.Sorted(slices.Values(tt.order))) {
					t.Errorf("SSLv3: accepted %v order %v suites %04x, want the client's order and %04x sorted", v3.Accepted, v3.ServerOrder, got, tt.order)
				}
			case !v3.Accepted || v3.ServerOrder == nil || !*v3.ServerOrder || !slices.Equal(got, tt.order):
				t.Errorf("SSLv3: accepted %v order %v suites %04x, want server order %04x", v3.Accepted, v3.ServerOrder, got, tt.order)
			}
			if n := hellos.Load(); tt.hellos > 0 && n != tt.hellos {
				t.Errorf("%d SSLv3 handshakes, want %d", n, tt.hellos)
			}
			for _, n := range []string{facts.TLS10, facts.TLS11, facts.TLS12, facts.TLS13} {
				if versionByName(t, res, n).Accepted {
					t.Errorf("%s accepted", n)
				}
			}
			// crypto/tls cannot speak SSLv3: the chain comes from the raw message.
			if len(res.Chain) != 1 || res.Chain[0].Subject != "CN=leaf.test" || !res.NameMatch {
				t.Errorf("chain %+v name %v", res.Chain, res.NameMatch)
			}
		})
	}
}

// countingConn counts the SSLv3 hellos read through it: a handshake
// record (22) whose ClientHello asks for version 3.0.
type countingConn struct {
	net.Conn
	ssl3 *atomic.Int64
	head []byte
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if len(c.head) < 11 {
		c.head = append(c.head, b[:min(n, 11-len(c.head))]...)
		if len(c.head) == 11 && c.head[0] == 22 && c.head[9] == 3 && c.head[10] == 0 {
			c.ssl3.Add(1)
		}
	}
	return n, err
}

// scripted runs a STARTTLS server dialogue: each step reads a line (when
// expect is set) and writes a reply.
type step struct{ expect, reply string }

func scripted(cfg *tls.Config, steps []step) func(net.Conn) {
	return func(c net.Conn) {
		br := bufio.NewReader(c)
		for _, s := range steps {
			if s.expect != "" {
				line, err := br.ReadString('\n')
				if err != nil || !strings.HasPrefix(strings.ToUpper(line), s.expect) {
					return
				}
			}
			if _, err := c.Write([]byte(s.reply)); err != nil {
				return
			}
		}
		_ = tls.Server(c, cfg).Handshake()
	}
}

func TestAuditStartTLS(t *testing.T) {
	pki := newPKI(t)
	cfg := goTLSConfig(pki)
	cfg.MinVersion = tls.VersionTLS12
	binary := func(greeting []byte, reqLen int, answer []byte) func(net.Conn) {
		return func(c net.Conn) {
			if greeting != nil {
				if _, err := c.Write(greeting); err != nil {
					return
				}
			}
			if _, err := io.ReadFull(c, make([]byte, reqLen)); err != nil {
				return
			}
			if answer != nil {
				if _, err := c.Write(answer); err != nil {
					return
				}
			}
			_ = tls.Server(c, cfg).Handshake()
		}
	}
	ldapRequest := ldap.ExtendedRequest(ldapMsgID, ldap.StartTLSOID)
	// A Notice of Disconnection (RFC 4511 4.4.1): message ID 0,
	// resultCode unavailable, responseName 1.3.6.1.4.1.1466.20036.
	ldapNotice := ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, 0),
		ber.TLV(ldap.ExtendedResp, ber.Concat(ber.Integer(ber.TagEnumerated, 52), ber.Octets(""), ber.Octets("shutting down"),
			ber.TLV(ber.Context|10, []byte("1.3.6.1.4.1.1466.20036"))))))
	tests := []struct {
		proto   string
		handler func(net.Conn)
		wantErr error
	}{
		{StartSMTP, scripted(cfg, []step{{"", "220-fake.test ESMTP\r\n220 ready\r\n"}, {"EHLO [127.0.0.1]", "250-fake.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"}, {"STARTTLS", "220 2.0.0 Ready to start TLS\r\n"}}), nil},
		{StartSMTP, scripted(cfg, []step{{"", "220 fake.test ESMTP\r\n"}, {"EHLO", "250-fake.test\r\n250 8BITMIME\r\n"}}), ErrNoStartTLS},
		{StartIMAP, scripted(cfg, []step{{"", "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"}, {"V1 STARTTLS", "V1 OK Begin TLS negotiation now.\r\n"}}), nil},
		{StartIMAP, scripted(cfg, []step{{"", "* OK ready\r\n"}, {"V1 STARTTLS", "V1 BAD no\r\n"}}), ErrNoStartTLS},
		{StartPOP3, scripted(cfg, []step{{"", "+OK ready.\r\n"}, {"STLS", "+OK Begin TLS negotiation now.\r\n"}}), nil},
		{StartFTP, scripted(cfg, []step{{"", "220-Welcome\r\n220 (vsFTPd 3.0.3)\r\n"}, {"AUTH TLS", "234 Proceed with negotiation.\r\n"}}), nil},
		{StartFTP, scripted(cfg, []step{{"", "220 hi\r\n"}, {"AUTH TLS", "530 Please login with USER and PASS.\r\n"}}), ErrNoStartTLS},
		{StartFTP, scripted(cfg, []step{{"", "220-Welcome\r\n  free text inside\r\n220 ready\r\n"}, {"AUTH TLS", "234 Proceed with negotiation.\r\n"}}), nil},
		{StartSMTP, scripted(cfg, []step{{"", "SSH-2.0-OpenSSH_9.2p1\r\n"}}), errNotReply},
		{StartLDAP, binary(nil, len(ldapRequest), ldapResponse(0, false)), nil},
		{StartLDAP, binary(nil, len(ldapRequest), ldapResponse(0, true)), nil},
		{StartLDAP, binary(nil, len(ldapRequest), ldapResponse(2, false)), ErrNoStartTLS},
		{StartLDAP, binary(nil, len(ldapRequest), ldapNotice), ErrNoStartTLS},
		{StartLDAP, binary(nil, len(ldapRequest), []byte("HTTP/1.1 400 Bad Request\r\n\r\n")), ldap.ErrMalformed},
		{StartLDAP, binary(nil, len(ldapRequest), []byte{0x30, 0x80, 0x02, 0x01, 0x01}), ldap.ErrMalformed},
		{StartPostgreSQL, binary(nil, len(pgSSLRequest), []byte("S")), nil},
		{StartPostgreSQL, binary(nil, len(pgSSLRequest), []byte("N")), ErrNoStartTLS},
		{StartMySQL, binary(mysqlGreeting("8.0.36", 0xffff, 0x81ff), 36, nil), nil},
		{StartMySQL, binary(mysqlGreeting("8.0.36", 0xffff&^0x0800, 0x81ff), 36, nil), ErrNoStartTLS},
	}
	for _, tt := range tests {
		name := tt.proto
		switch {
		case errors.Is(tt.wantErr, ErrNoStartTLS):
			name += " refused"
		case tt.wantErr != nil:
			name += " malformed"
		}
		t.Run(name, func(t *testing.T) {
			addr := serve(t, tt.handler)
			res, err := Audit(t.Context(), testDialer(t), addr, Options{StartTLS: tt.proto, Roots: pki.roots})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || res != nil {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v12, v13 := versionByName(t, res, facts.TLS12), versionByName(t, res, facts.TLS13)
			if res.StartTLS != tt.proto || !v12.Accepted || len(v12.Suites) != 3 || !v13.Accepted || !res.Trusted {
				t.Errorf("starttls %q TLS1.2 %v (%d suites) TLS1.3 %v trusted %v", res.StartTLS, v12.Accepted, len(v12.Suites), v13.Accepted, res.Trusted)
			}
		})
	}
}

// TestAuditHostile: servers that are not TLS, stop half-way, never stop
// or never answer make the audit fail with an error, and the audit ends.
func TestAuditHostile(t *testing.T) {
	sh := recordOf(recHandshake, 0x0303, handshakeOf(hsServerHello, serverHelloBody(0x0303, nil, 0xC02F)))
	tests := []struct {
		name    string
		handler func(net.Conn)
		want    string
		is      error
	}{
		{"HTTP server", func(c net.Conn) {
			_, _ = io.ReadAtLeast(c, make([]byte, 64), 1)
			_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
		}, "not TLS", errNotTLS},
		{"garbage then silence", func(c net.Conn) {
			_, _ = c.Write([]byte{0x16, 0x03, 0x01, 0xff, 0xff, 0xde, 0xad})
			time.Sleep(700 * time.Millisecond)
		}, "record of 65535 bytes", errMalformed},
		{"truncated hello", func(c net.Conn) {
			_, _ = io.ReadAtLeast(c, make([]byte, 64), 1)
			_, _ = c.Write(sh[:len(sh)-10])
		}, "closed the connection after", nil},
		{"endless", func(c net.Conn) {
			_, _ = io.ReadAtLeast(c, make([]byte, 64), 1)
			chunk := recordOf(recHandshake, 0x0303, make([]byte, 16000))
			chunk[5] = hsHelloRequest // valid records, never a ServerHello
			for {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}, "", nil},
		{"silent", func(c net.Conn) {
			_, _ = io.Copy(io.Discard, c)
		}, "no answer", dialer.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serve(t, tt.handler)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			res, err := Audit(ctx, testDialer(t), addr, Options{Timeout: 500 * time.Millisecond})
			if err == nil || res != nil {
				t.Fatalf("res %v err %v, want an error", res, err)
			}
			if ctx.Err() != nil {
				t.Fatalf("the audit ran until the test's own deadline: %v", err)
			}
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestAuditNothingListening(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	_, err = Audit(t.Context(), testDialer(t), addr, Options{})
	if !errors.Is(err, dialer.ErrRefused) {
		t.Errorf("err = %v, want connection refused", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	bad := []Options{{StartTLS: "xmpp"}, {Timeout: -1}, {Parallel: -2}}
	for _, o := range bad {
		if o.Validate() == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if err := (Options{StartTLS: StartMySQL, Parallel: 4}).Validate(); err != nil {
		t.Error(err)
	}
}

// TestAuditRefusesEverything: a server that answers every hello with an
// alert yields ErrNoVersion and says what each version got.
func TestAuditRefusesEverything(t *testing.T) {
	addr := serve(t, func(c net.Conn) {
		if _, err := readClientHello(c); err == nil {
			_, _ = c.Write(recordOf(recAlert, 0x0303, []byte{2, 40}))
		}
	})
	_, err := Audit(t.Context(), testDialer(t), addr, Options{})
	if !errors.Is(err, ErrNoVersion) || !strings.Contains(err.Error(), "TLS1.2: alert fatal handshake_failure (40)") {
		t.Errorf("err = %v", err)
	}
}

// TestAuditHelloRetryRequest: a TLS 1.3 server that wants another key share
// group answers with a HelloRetryRequest, which still names its suite.
func TestAuditHelloRetryRequest(t *testing.T) {
	pki := newPKI(t)
	cfg := goTLSConfig(pki)
	cfg.MinVersion = tls.VersionTLS13
	cfg.CurvePreferences = []tls.CurveID{tls.CurveP384}
	addr := serve(t, func(c net.Conn) { _ = tls.Server(c, cfg).Handshake() })
	res, err := Audit(t.Context(), testDialer(t), addr, Options{Roots: pki.roots})
	if err != nil {
		t.Fatal(err)
	}
	v := versionByName(t, res, facts.TLS13)
	if !v.Accepted || !slices.Equal(suiteIDs(&v), []uint32{0x1301, 0x1302, 0x1303}) {
		t.Errorf("TLS 1.3: %+v", v)
	}
	if got := acceptedVersions(res); !slices.Equal(got, []string{facts.TLS13}) {
		t.Errorf("accepted %v", got)
	}
}

// A server too busy to answer the first connections within the timeout is
// tried again with more time: no version is lost and the audit succeeds.
func TestAuditRetriesSilentHandshakes(t *testing.T) {
	pki := newPKI(t)
	cfg := goTLSConfig(pki)
	var n atomic.Int32
	addr := serve(t, func(c net.Conn) {
		if n.Add(1) <= 3 {
			time.Sleep(time.Second) // silent past the timeout
			return
		}
		_ = tls.Server(c, cfg).Handshake()
	})
	res, err := Audit(t.Context(), testDialer(t), addr, Options{Roots: pki.roots, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{facts.TLS10, facts.TLS11, facts.TLS12, facts.TLS13} {
		if got := versionByName(t, res, v); !got.Accepted {
			t.Errorf("%s not accepted", v)
		}
	}
	for _, v := range []string{facts.SSLv2, facts.SSLv3} {
		if got := versionByName(t, res, v); got.Accepted {
			t.Errorf("%s accepted", v)
		}
	}
}
