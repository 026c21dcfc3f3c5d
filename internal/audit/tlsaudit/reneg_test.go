package tlsaudit

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/tlsinfo"
)

// TestPRF12 checks the TLS 1.2 PRF against the published SHA-256 test
// vector (the IETF TLS working group's, 100 bytes of output).
func TestPRF12(t *testing.T) {
	secret, _ := hex.DecodeString("9bbe436ba940f017b17652849a71db35")
	seed, _ := hex.DecodeString("a0ba9f936cda311827a6f796ffd5198c")
	want := "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66"
	got := hex.EncodeToString(prf12(renegSuites[0].hash(), secret, "test label", seed, 100))
	if got != want {
		t.Errorf("PRF:\n got %s\nwant %s", got, want)
	}
}

func TestHalfConn(t *testing.T) {
	for _, s := range renegSuites {
		pre, cr, sr := make([]byte, 48), make([]byte, 32), make([]byte, 32)
		_, _ = rand.Read(pre)
		_, _ = rand.Read(cr)
		_, _ = rand.Read(sr)
		_, w, _, err := deriveKeys(s, pre, cr, sr)
		if err != nil {
			t.Fatal(err)
		}
		_, r, other, _ := deriveKeys(s, pre, cr, sr)
		for i, msg := range []string{"first", "second record", "", strings.Repeat("long ", 100)} {
			frag := w.seal(recHandshake, tlsinfo.VersionTLS12, []byte(msg))
			if bytes.Contains(frag, []byte("second")) {
				t.Errorf("suite %04X: plaintext in the fragment", s.id)
			}
			if i == 1 {
				// A record of another type, a tampered one, or one read
				// with the other direction's keys must not authenticate,
				// nor change the sequence number.
				if _, err := r.open(recApplicationData, tlsinfo.VersionTLS12, frag); !errors.Is(err, errDecrypt) {
					t.Errorf("suite %04X: wrong type opened: %v", s.id, err)
				}
				for _, j := range []int{len(frag) - 1, len(frag) / 2, 0} {
					bad := slices.Clone(frag)
					bad[j] ^= 1
					if _, err := r.open(recHandshake, tlsinfo.VersionTLS12, bad); !errors.Is(err, errDecrypt) {
						t.Errorf("suite %04X: record tampered at %d opened: %v", s.id, j, err)
					}
				}
				other.seq = r.seq
				if _, err := other.open(recHandshake, tlsinfo.VersionTLS12, frag); err == nil {
					t.Errorf("suite %04X: the server's keys opened a client record", s.id)
				}
			}
			got, err := r.open(recHandshake, tlsinfo.VersionTLS12, frag)
			if err != nil || string(got) != msg {
				t.Errorf("suite %04X record %d: %q, %v", s.id, i, got, err)
			}
		}
		if _, err := r.open(recHandshake, tlsinfo.VersionTLS12, []byte{1, 2}); err == nil {
			t.Errorf("suite %04X: a 2-byte fragment opened", s.id)
		}
	}
}

// tls12Facts are audit facts saying the server accepts TLS 1.2 with ids.
func tls12Facts(ids ...uint16) *facts.TLS {
	v := facts.TLSVersion{Name: facts.TLS12, Accepted: true}
	for _, id := range ids {
		v.Suites = append(v.Suites, facts.Suite{ID: uint32(id)})
	}
	return &facts.TLS{Versions: []facts.TLSVersion{{Name: facts.TLS13}, v}}
}

// allRenegSuites are the facts of a server accepting every suite the
// probe speaks.
func allRenegSuites() *facts.TLS {
	var ids []uint16
	for _, s := range renegSuites {
		ids = append(ids, s.id)
	}
	return tls12Facts(ids...)
}

func renegAuditor(t *testing.T, addr netip.AddrPort, http bool) *auditor {
	d := testDialer(t)
	return &auditor{d: d, addr: addr, timeout: d.Timeout(), sem: make(chan struct{}, 1), opt: Options{HTTP: http}}
}

// TestRenegCryptoTLSServer: Go's TLS server completes the handshake with
// every suite and group of the probe and refuses the renegotiation with
// unexpected_message (it never renegotiates), so the probe is examined and
// negative.
func TestRenegCryptoTLSServer(t *testing.T) {
	pki := newPKI(t) // an ECDSA leaf
	rsaCert := rsaTestCert(t)
	for _, c := range []struct {
		name   string
		suite  uint16
		curve  tls.CurveID
		rsa    bool
		auth   tls.ClientAuthType
		wantIn string
	}{
		{"ecdsa aes128 x25519", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.X25519, false, tls.NoClientCert, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, group x25519"},
		{"ecdsa aes256 p384", tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.CurveP384, false, tls.NoClientCert, "AES_256_GCM_SHA384, group secp384r1"},
		{"ecdsa chacha p256", tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.CurveP256, false, tls.NoClientCert, "CHACHA20_POLY1305_SHA256, group secp256r1"},
		{"rsa aes128", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.X25519, true, tls.NoClientCert, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{"rsa aes256 client cert asked", tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.X25519, true, tls.RequestClientCert, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
		{"ecdsa cbc sha", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.X25519, false, tls.NoClientCert, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, group x25519"},
		{"ecdsa cbc sha256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.CurveP256, false, tls.NoClientCert, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
		{"rsa cbc sha aes256", tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, tls.X25519, true, tls.NoClientCert, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
		{"rsa kx gcm", tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.X25519, true, tls.NoClientCert, "TLS_RSA_WITH_AES_128_GCM_SHA256, RSA key exchange"},
		{"rsa kx gcm sha384", tls.TLS_RSA_WITH_AES_256_GCM_SHA384, tls.X25519, true, tls.NoClientCert, "TLS_RSA_WITH_AES_256_GCM_SHA384, RSA key exchange"},
		{"rsa kx cbc sha", tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.X25519, true, tls.NoClientCert, "TLS_RSA_WITH_AES_128_CBC_SHA, RSA key exchange"},
		{"rsa kx cbc sha256", tls.TLS_RSA_WITH_AES_128_CBC_SHA256, tls.X25519, true, tls.NoClientCert, "TLS_RSA_WITH_AES_128_CBC_SHA256, RSA key exchange"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := &tls.Config{Certificates: []tls.Certificate{pki.cert}, MaxVersion: tls.VersionTLS12,
				CipherSuites: []uint16{c.suite}, CurvePreferences: []tls.CurveID{c.curve}, ClientAuth: c.auth}
			if c.rsa {
				cfg.Certificates = []tls.Certificate{rsaCert}
			}
			addr := serve(t, func(conn net.Conn) {
				tc := tls.Server(conn, cfg)
				if tc.Handshake() == nil {
					_, _ = tc.Read(make([]byte, 1)) // processes the second hello
				}
			})
			p, why := renegAuditor(t, addr, false).probeClientReneg(t.Context(), allRenegSuites())
			if !p.IsNot() || why != "" {
				t.Fatalf("probe %+v, not examined %q; want examined and negative", p, why)
			}
			if !strings.Contains(p.Evidence, c.wantIn) || !strings.Contains(p.Evidence, "unexpected_message") {
				t.Errorf("evidence %q lacks %q or the alert", p.Evidence, c.wantIn)
			}
		})
	}
}

// TestRenegNotExamined: servers the probe cannot handshake with are "not
// examined", with the reason, never a negative.
func TestRenegNotExamined(t *testing.T) {
	pki := newPKI(t)
	cbcOnly := serve(t, func(conn net.Conn) {
		_ = tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{pki.cert}, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}).Handshake()
	})
	silent := serve(t, func(conn net.Conn) { _, _ = io.Copy(io.Discard, conn) })
	for _, c := range []struct {
		name  string
		addr  netip.AddrPort
		facts *facts.TLS
		why   string
	}{
		{"TLS 1.3 only", silent, &facts.TLS{Versions: []facts.TLSVersion{{Name: facts.TLS12}, {Name: facts.TLS13, Accepted: true}}}, "accepts no TLS 1.2"},
		{"no suite of the probe (DHE only)", silent, tls12Facts(0x009E, 0x0033), "none of the TLS 1.2 suites the renegotiation probe speaks"},
		{"facts say yes, the server refuses", cbcOnly, tls12Facts(0xC02B), "did not complete"},
		{"silent server", silent, tls12Facts(0xC02B), "did not complete"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := renegAuditor(t, c.addr, false)
			a.timeout = 300 * time.Millisecond
			p, why := a.probeClientReneg(t.Context(), c.facts)
			if p != nil || !strings.Contains(why, c.why) {
				t.Errorf("probe %+v, why %q; want not examined, %q", p, why, c.why)
			}
		})
	}
}

// fakeRenegServer is a TLS 1.2 server built from the probe's own
// primitives, which renegotiates at the client's request: it accepts the
// first accept renegotiations and refuses the next with refuse (an alert
// description; -1 closes the connection; -2 answers with a ServerHello,
// then closes). It sends an empty Certificate and an unsigned key
// exchange: the probe verifies neither.
func fakeRenegServer(accept, refuse int) func(net.Conn) {
	return func(c net.Conn) {
		r := &renegConn{ctx: context.Background(), c: c, timeout: 2 * time.Second}
		for n := 0; ; n++ {
			m, err := r.readMsg()
			if err != nil || m[0] != hsClientHello {
				return
			}
			if n > accept {
				if refuse == -2 {
					_ = fakeServerHandshake(r, m, true)
					return
				}
				if refuse < 0 {
					return
				}
				_ = r.writeRecord(recAlert, tlsinfo.VersionTLS12, []byte{1, byte(refuse)})
				_, _ = r.readMsg()
				return
			}
			if err := fakeServerHandshake(r, m, false); err != nil {
				return
			}
		}
	}
}

// fakeServerHandshake answers the ClientHello m with a full handshake, or
// with its ServerHello alone when helloOnly.
func fakeServerHandshake(r *renegConn, m []byte, helloOnly bool) error {
	s := cryptobyte.String(m[4:])
	var cRandom []byte
	var sid, suites, comp, exts cryptobyte.String
	if !s.Skip(2) || !s.ReadBytes(&cRandom, 32) || !s.ReadUint8LengthPrefixed(&sid) || !s.ReadUint16LengthPrefixed(&suites) ||
		!s.ReadUint8LengthPrefixed(&comp) || !s.ReadUint16LengthPrefixed(&exts) {
		return errors.New("bad ClientHello")
	}
	var suite uint16
	suites.ReadUint16(&suite)
	rs, _ := lookupRenegSuite(suite)
	var ri []byte
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		exts.ReadUint16(&typ)
		exts.ReadUint16LengthPrefixed(&data)
		if typ == extRenegotiationInfo {
			ri = data
		}
	}
	if !bytes.Equal(ri, append([]byte{byte(len(r.clientVerify))}, r.clientVerify...)) {
		return errors.New("renegotiation_info does not carry the client's verify_data")
	}
	sRandom := make([]byte, 32)
	_, _ = rand.Read(sRandom)
	transcript := slices.Clone(m)
	var b cryptobyte.Builder
	msg := func(typ uint8, body func(*cryptobyte.Builder)) {
		b.AddUint8(typ)
		b.AddUint24LengthPrefixed(body)
	}
	msg(hsServerHello, func(b *cryptobyte.Builder) {
		b.AddUint16(tlsinfo.VersionTLS12)
		b.AddBytes(sRandom)
		b.AddUint8(0)
		b.AddUint16(suite)
		b.AddUint8(0)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddBytes(extBytes(extRenegotiationInfo, append([]byte{byte(2 * len(r.clientVerify))}, slices.Concat(r.clientVerify, r.serverVerify)...)))
		})
	})
	if helloOnly {
		return r.writeRecord(recHandshake, tlsinfo.VersionTLS12, b.BytesOrPanic())
	}
	msg(hsCertificate, func(b *cryptobyte.Builder) { b.AddUint24(0) })
	priv, _ := ecdh.X25519().GenerateKey(rand.Reader)
	msg(hsServerKeyExch, func(b *cryptobyte.Builder) {
		b.AddUint8(curveTypeNamedCurve)
		b.AddUint16(0x001D)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(priv.PublicKey().Bytes()) })
		b.AddUint16(0x0401)
		b.AddUint16(0) // no signature
	})
	msg(hsServerHelloDone, func(*cryptobyte.Builder) {})
	flight := b.BytesOrPanic()
	transcript = append(transcript, flight...)
	if err := r.writeRecord(recHandshake, tlsinfo.VersionTLS12, flight); err != nil {
		return err
	}
	cke, err := r.readMsg()
	if err != nil || cke[0] != hsClientKeyExchange || len(cke) < 5 {
		return errors.New("no ClientKeyExchange")
	}
	transcript = append(transcript, cke...)
	peer, err := ecdh.X25519().NewPublicKey(cke[5:])
	if err != nil {
		return err
	}
	pre, _ := priv.ECDH(peer)
	h := rs.hash()
	master, in, out, err := deriveKeys(rs, pre, cRandom, sRandom)
	if err != nil {
		return err
	}
	if rec, err := r.readRecord(); err != nil || rec.typ != recChangeCipherSpec {
		return errors.New("no ChangeCipherSpec")
	}
	r.in = in
	fin, err := r.readMsg()
	cv := prf12(h, master, "client finished", digest(h, transcript), verifyDataLen)
	if err != nil || subtle.ConstantTimeCompare(fin[4:], cv) != 1 {
		return errors.New("client Finished does not verify")
	}
	transcript = append(transcript, fin...)
	sv := prf12(h, master, "server finished", digest(h, transcript), verifyDataLen)
	if err := r.writeRecord(recChangeCipherSpec, tlsinfo.VersionTLS12, []byte{1}); err != nil {
		return err
	}
	r.out = out
	if err := r.writeRecord(recHandshake, tlsinfo.VersionTLS12, append([]byte{hsFinished, 0, 0, verifyDataLen}, sv...)); err != nil {
		return err
	}
	r.clientVerify, r.serverVerify = cv, sv
	return nil
}

// TestRenegAnswers: the verdict follows the server's answer to the
// renegotiating ClientHello, as testssl.sh's does.
func TestRenegAnswers(t *testing.T) {
	for _, c := range []struct {
		name           string
		accept, refuse int
		http           bool
		positive       bool
		wantIn         string
	}{
		{"renegotiates", 1, alertNoRenegotiate, false, true, "answered with a ServerHello and the renegotiation completed"},
		{"renegotiates freely (HTTP)", 4, alertNoRenegotiate, true, true, "4 times in a row"},
		{"refuses with no_renegotiation", 0, alertNoRenegotiate, false, false, "refused it with alert warning no_renegotiation (100)"},
		{"refuses with another alert", 0, 40, false, false, "answered with alert warning handshake_failure (40)"},
		{"closes", 0, -1, false, false, "closed the connection"},
		{"limits renegotiations (HTTP)", 2, alertNoRenegotiate, true, false, "answered with a ServerHello 2 time(s), then the server refused it"},
		{"answers a ServerHello, then fails", 0, -2, false, true, "answered with a ServerHello (the renegotiation's own completion failed"},
		{"answers a ServerHello, then fails (HTTP)", 1, -2, true, true, "answered with a ServerHello, 2 times in a row; the renegotiation then failed"},
		// One renegotiation is enough outside HTTP, whatever comes later.
		{"limits renegotiations (not HTTP)", 1, alertNoRenegotiate, false, true, "renegotiation completed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := serve(t, fakeRenegServer(c.accept, c.refuse))
			p, why := renegAuditor(t, addr, c.http).probeClientReneg(t.Context(), allRenegSuites())
			if p == nil || p.Positive != c.positive || !strings.Contains(p.Evidence, c.wantIn) {
				t.Errorf("probe %+v (not examined: %q); want positive %v with %q", p, why, c.positive, c.wantIn)
			}
		})
	}
	// A silent server: refused, and the evidence says so.
	addr := serve(t, func(c net.Conn) {
		r := &renegConn{ctx: context.Background(), c: c, timeout: 2 * time.Second}
		m, err := r.readMsg()
		if err == nil && fakeServerHandshake(r, m, false) == nil {
			_, _ = io.Copy(io.Discard, c)
		}
	})
	a := renegAuditor(t, addr, false)
	a.timeout = 300 * time.Millisecond
	if p, why := a.probeClientReneg(t.Context(), allRenegSuites()); !p.IsNot() || !strings.Contains(p.Evidence, "gave no answer within") {
		t.Errorf("silent after the handshake: %+v, %q", p, why)
	}
}

func TestRefusal(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&alertError{alert{1, alertNoRenegotiate}}, "refused it with alert warning no_renegotiation (100)"},
		{&alertError{alert{2, 10}}, "answered with alert fatal unexpected_message (10)"},
		{io.EOF, "closed the connection"},
		{os.ErrDeadlineExceeded, "gave no answer within 1s"},
		{errors.New("odd\x1b[31m"), "answered with no ServerHello (odd"},
	} {
		if got := refusal(c.err, time.Second); !strings.HasPrefix(got, c.want) || strings.Contains(got, "\x1b") {
			t.Errorf("refusal(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// rsaTestCert is a throwaway self-signed RSA-2048 certificate for the
// ECDHE-RSA cases (the probe does not verify it).
func rsaTestCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "rsa.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func FuzzECDHEParams(f *testing.F) {
	f.Add(append([]byte{curveTypeNamedCurve, 0, 0x1D, 32}, make([]byte, 32+4)...))
	f.Add([]byte{curveTypeNamedCurve, 0, 0x17, 0})
	f.Add([]byte{1, 0, 0x17})
	f.Fuzz(func(t *testing.T, b []byte) {
		g, pt, err := parseECDHEParams(b)
		if err == nil && (len(pt) == 0 || len(pt)+4 > len(b) || b[0] != curveTypeNamedCurve) {
			t.Errorf("group %04X, point of %d bytes from %d bytes", g, len(pt), len(b))
		}
	})
}

func FuzzServerHelloExt(f *testing.F) {
	f.Add(serverHelloBody(0x0303, nil, 0xC02F, extension{extRenegotiationInfo, []byte{0}}))
	f.Add(serverHelloBody(0x0303, nil, 0xC02F))
	f.Add([]byte{3, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, ok := serverHelloExt(b, extRenegotiationInfo); ok && len(d) > len(b) {
			t.Errorf("extension of %d bytes from %d", len(d), len(b))
		}
	})
}

// bytesConn is a connection whose peer sends b and then closes; what is
// written to it is dropped.
type bytesConn struct {
	net.Conn
	r *bytes.Reader
}

func (c *bytesConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *bytesConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *bytesConn) SetReadDeadline(time.Time) error  { return nil }
func (c *bytesConn) SetWriteDeadline(time.Time) error { return nil }
func (c *bytesConn) Close() error                     { return nil }

// FuzzRenegHandshake feeds any bytes to the renegotiation client as the
// server's answer to its first hello: it must stop with an error, never
// panic, and read no more than its cap.
func FuzzRenegHandshake(f *testing.F) {
	f.Add(flightOf([]extension{{extRenegotiationInfo, []byte{0}}},
		handshakeOf(hsCertificate, certificateBody([]byte("leaf"))),
		handshakeOf(hsServerKeyExch, append([]byte{curveTypeNamedCurve, 0, 0x1D, 32}, bytes.Repeat([]byte{9}, 32)...)),
		handshakeOf(hsServerHelloDone, nil)))
	f.Add(recordOf(recAlert, 0x0303, []byte{2, 40}))
	f.Add(recordOf(recHandshake, 0x0303, handshakeOf(hsServerHello, serverHelloBody(0x0303, nil, 0xC02B, extension{extRenegotiationInfo, []byte{0}}))))
	f.Add([]byte{22, 3, 3, 0, 4, 2, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &renegConn{ctx: context.Background(), c: &bytesConn{r: bytes.NewReader(b)}, timeout: time.Second,
			suites: []uint16{0xC02B, 0xC02F, 0xCCA8}}
		stage, err := r.handshake()
		if err == nil || stage == stageDone {
			t.Errorf("a handshake completed from %d unauthenticated bytes", len(b))
		}
		if r.read > maxRenegRead {
			t.Errorf("read %d bytes, over the cap", r.read)
		}
	})
}

// FuzzRenegRecords feeds any bytes to the protected record layer, under
// AES-GCM and under AES-CBC with HMAC: records that do not authenticate
// are errors, and nothing panics.
func FuzzRenegRecords(f *testing.F) {
	gcm, _ := lookupRenegSuite(0xC02F)
	cbc, _ := lookupRenegSuite(0xC013)
	pre, cr, sr := bytes.Repeat([]byte{1}, 48), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)
	for _, s := range []renegSuite{gcm, cbc} {
		_, _, w, _ := deriveKeys(s, pre, cr, sr)
		var seed []byte
		for _, rec := range []struct {
			typ  uint8
			data []byte
		}{{recHandshake, handshakeOf(hsServerHello, serverHelloBody(0x0303, nil, 0xC02B))}, {recAlert, []byte{1, alertNoRenegotiate}}} {
			seed = append(seed, tlsRecord(rec.typ, tlsinfo.VersionTLS12, w.seal(rec.typ, tlsinfo.VersionTLS12, rec.data))...)
		}
		f.Add(seed)
		f.Add(seed[:len(seed)-3])
	}
	f.Add([]byte{21, 3, 3, 0, 2, 1, 100})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range []renegSuite{gcm, cbc} {
			_, _, in, _ := deriveKeys(s, pre, cr, sr)
			r := &renegConn{ctx: context.Background(), c: &bytesConn{r: bytes.NewReader(b)}, timeout: time.Second, in: in}
			for range 8 {
				m, err := r.readMsg()
				if err != nil {
					break
				}
				if len(m) < 4 || len(m) > maxHandshakeMsg+4 {
					t.Fatalf("handshake message of %d bytes", len(m))
				}
			}
		}
	})
}
