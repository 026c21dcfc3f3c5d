package tlsaudit

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/cryptobyte"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/tlsinfo"
	"github.com/vigilsec/vigil/internal/wire"
)

// The client-initiated renegotiation probe needs what crypto/tls cannot
// do: a completed TLS 1.2 handshake followed by a second, encrypted
// ClientHello on the same connection. It is a minimal TLS 1.2 client
// written from RFC 5246 (records, handshake, PRF), RFC 5746
// (renegotiation_info), RFC 8422 and RFC 7748 (ECDHE over X25519, P-256,
// P-384), RFC 5288 (AES-GCM) and RFC 7905 (ChaCha20-Poly1305). It
// verifies the server's Finished, so that a ServerHello answering the
// second hello is known to come from the peer of the first handshake.
//
// It does not verify the server's certificate or the signature over the
// key exchange: it is a probe that sends no application data and trusts
// nothing the server says beyond "did you renegotiate". The certificate
// audit judges the chain separately.

// Handshake message types the renegotiation client sends or reads besides
// those of parse.go.
const (
	hsClientHello       = 1
	hsNewSessionTicket  = 4
	hsFinished          = 20
	alertNoRenegotiate  = 100
	curveTypeNamedCurve = 3
	// maxRenegRead caps the bytes read on one renegotiation probe
	// connection: up to renegHTTPTries+1 full handshakes.
	maxRenegRead = 6 * maxAnswer
	// maxHandshakeMsg caps one handshake message (a certificate chain).
	maxHandshakeMsg = maxAnswer
	// renegHTTPTries is how many renegotiations an HTTP server must accept
	// in a row for the probe to call it open to them, as testssl.sh does:
	// some servers (node.js) accept a few, then refuse.
	renegHTTPTries = 4
	// verifyDataLen is the length of Finished.verify_data in TLS 1.2.
	verifyDataLen = 12
)

// renegSuite is one cipher suite the renegotiation client speaks.
type renegSuite struct {
	id     uint16
	keyLen int
	sha384 bool
	chacha bool
}

// renegSuites are the ECDHE AEAD suites of TLS 1.2 the client offers, RSA
// and ECDSA certificates alike.
var renegSuites = []renegSuite{
	{id: 0xC02F, keyLen: 16},               // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	{id: 0xC030, keyLen: 32, sha384: true}, // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
	{id: 0xC02B, keyLen: 16},               // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	{id: 0xC02C, keyLen: 32, sha384: true}, // TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
	{id: 0xCCA8, keyLen: 32, chacha: true}, // TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
	{id: 0xCCA9, keyLen: 32, chacha: true}, // TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
}

func lookupRenegSuite(id uint16) (renegSuite, bool) {
	for _, s := range renegSuites {
		if s.id == id {
			return s, true
		}
	}
	return renegSuite{}, false
}

func (s renegSuite) hash() func() hash.Hash {
	if s.sha384 {
		return sha512.New384
	}
	return sha256.New
}

// renegGroups are the named groups offered: x25519, secp256r1, secp384r1.
var renegGroups = []uint16{0x001D, 0x0017, 0x0018}

func curveOf(group uint16) ecdh.Curve {
	switch group {
	case 0x001D:
		return ecdh.X25519()
	case 0x0017:
		return ecdh.P256()
	case 0x0018:
		return ecdh.P384()
	}
	return nil
}

// prf12 is the TLS 1.2 PRF (RFC 5246 section 5): P_hash(secret, label ||
// seed) cut to n bytes.
func prf12(h func() hash.Hash, secret []byte, label string, seed []byte, n int) []byte {
	ls := append([]byte(label), seed...)
	mac := hmac.New(h, secret)
	mac.Write(ls)
	a := mac.Sum(nil)
	out := make([]byte, 0, n+64)
	for len(out) < n {
		mac.Reset()
		mac.Write(a)
		mac.Write(ls)
		out = mac.Sum(out)
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(nil)
	}
	return out[:n]
}

// halfConn is one direction's record protection: an AEAD, its fixed IV
// and the sequence number.
type halfConn struct {
	aead cipher.AEAD
	// iv is the 4-byte salt of AES-GCM (RFC 5288, with an 8-byte explicit
	// nonce in each record) or the 12-byte IV of ChaCha20-Poly1305
	// (RFC 7905, XORed with the sequence number, nothing explicit).
	iv  []byte
	seq uint64
}

func newHalfConn(s renegSuite, key, iv []byte) (*halfConn, error) {
	var aead cipher.AEAD
	var err error
	if s.chacha {
		aead, err = chacha20poly1305.New(key)
	} else {
		var b cipher.Block
		b, err = aes.NewCipher(key)
		if err == nil {
			aead, err = cipher.NewGCM(b)
		}
	}
	if err != nil {
		return nil, err
	}
	return &halfConn{aead: aead, iv: slices.Clone(iv)}, nil
}

func (h *halfConn) explicit() bool { return len(h.iv) == 4 }

func (h *halfConn) nonce(explicit []byte) []byte {
	if h.explicit() {
		return append(slices.Clone(h.iv), explicit...)
	}
	n := slices.Clone(h.iv)
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], h.seq)
	for i := range seq {
		n[4+i] ^= seq[i]
	}
	return n
}

func (h *halfConn) aad(typ uint8, v uint16, n int) []byte {
	ad := binary.BigEndian.AppendUint64(nil, h.seq)
	ad = append(ad, typ)
	ad = binary.BigEndian.AppendUint16(ad, v)
	return binary.BigEndian.AppendUint16(ad, uint16(n))
}

// seal protects one record's plaintext; the result is the record's
// fragment.
func (h *halfConn) seal(typ uint8, v uint16, plain []byte) []byte {
	var out, explicit []byte
	if h.explicit() {
		explicit = binary.BigEndian.AppendUint64(nil, h.seq)
		out = slices.Clone(explicit)
	}
	out = h.aead.Seal(out, h.nonce(explicit), plain, h.aad(typ, v, len(plain)))
	h.seq++
	return out
}

// errDecrypt means a protected record did not authenticate.
var errDecrypt = errors.New("a protected record did not decrypt (bad_record_mac)")

// open checks and removes one record's protection.
func (h *halfConn) open(typ uint8, v uint16, frag []byte) ([]byte, error) {
	var explicit []byte
	if h.explicit() {
		if len(frag) < 8 {
			return nil, fmt.Errorf("%w: protected record of %d bytes", errMalformed, len(frag))
		}
		explicit, frag = frag[:8], frag[8:]
	}
	if len(frag) < h.aead.Overhead() {
		return nil, fmt.Errorf("%w: protected record of %d bytes", errMalformed, len(frag))
	}
	plain, err := h.aead.Open(nil, h.nonce(explicit), frag, h.aad(typ, v, len(frag)-h.aead.Overhead()))
	if err != nil {
		return nil, errDecrypt
	}
	h.seq++
	return plain, nil
}

// alertError is an alert the server sent.
type alertError struct{ alert alert }

func (e *alertError) Error() string { return "the server sent alert " + e.alert.String() }

// renegConn is the record layer and handshake state of the renegotiation
// client on one connection.
type renegConn struct {
	ctx     context.Context
	c       net.Conn
	timeout time.Duration
	// buf holds bytes read but not yet consumed; read counts every byte
	// read, against maxRenegRead.
	buf  []byte
	read int
	// hs holds handshake bytes of records read but not yet consumed.
	hs      []byte
	in, out *halfConn
	// serverName goes in server_name when it is a name.
	serverName string
	// suites are offered in the hello.
	suites []uint16
	// The verify_data of the last Finished messages (RFC 5746).
	clientVerify, serverVerify []byte
	// suite is the suite of the last handshake.
	suite renegSuite
	group uint16
}

// fill makes buf hold at least n bytes, reading within the timeout and
// within the connection's byte budget.
func (r *renegConn) fill(n int) error {
	if len(r.buf) >= n {
		return nil
	}
	budget := maxRenegRead - r.read
	if budget <= 0 {
		return fmt.Errorf("the server sent more than %d bytes: %w", maxRenegRead, wire.ErrTooLarge)
	}
	need := n - len(r.buf)
	b, err := wire.ReadUntil(r.ctx, r.c, budget, r.timeout, func(b []byte) bool { return len(b) >= need })
	r.read += len(b)
	r.buf = append(r.buf, b...)
	if len(r.buf) >= n {
		return nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// readRecord reads one record and removes its protection.
func (r *renegConn) readRecord() (record, error) {
	if err := r.fill(recordHeaderLen); err != nil {
		return record{}, err
	}
	if err := checkRecordHeader(r.buf[:recordHeaderLen]); err != nil {
		return record{}, err
	}
	n := int(binary.BigEndian.Uint16(r.buf[3:5]))
	if err := r.fill(recordHeaderLen + n); err != nil {
		return record{}, err
	}
	rec := record{typ: r.buf[0], version: binary.BigEndian.Uint16(r.buf[1:3]), payload: slices.Clone(r.buf[recordHeaderLen : recordHeaderLen+n])}
	r.buf = r.buf[recordHeaderLen+n:]
	if r.in != nil {
		p, err := r.in.open(rec.typ, rec.version, rec.payload)
		if err != nil {
			return record{}, err
		}
		rec.payload = p
	}
	return rec, nil
}

// writeRecord protects (once keys are in force) and sends one record.
func (r *renegConn) writeRecord(typ uint8, v uint16, payload []byte) error {
	if r.out != nil {
		payload = r.out.seal(typ, v, payload)
	}
	return wire.Write(r.ctx, r.c, tlsRecord(typ, v, payload), r.timeout)
}

// errRecordType is a record of a type the handshake did not expect.
type errRecordType struct{ typ uint8 }

func (e errRecordType) Error() string {
	return fmt.Sprintf("%v: record type %d in the handshake", errMalformed, e.typ)
}

// readMsg returns the next handshake message whole (header included),
// skipping HelloRequest. An alert is an *alertError; a record that is
// neither handshake nor alert is an errRecordType.
func (r *renegConn) readMsg() ([]byte, error) {
	for {
		if len(r.hs) >= 4 {
			n := int(r.hs[1])<<16 | int(r.hs[2])<<8 | int(r.hs[3])
			if n > maxHandshakeMsg {
				return nil, fmt.Errorf("%w: handshake message type %d of %d bytes", errMalformed, r.hs[0], n)
			}
			if len(r.hs) >= 4+n {
				m := slices.Clone(r.hs[:4+n])
				r.hs = r.hs[4+n:]
				if m[0] == hsHelloRequest {
					continue
				}
				return m, nil
			}
		}
		rec, err := r.readRecord()
		if err != nil {
			return nil, err
		}
		switch rec.typ {
		case recHandshake:
			r.hs = append(r.hs, rec.payload...)
		case recAlert:
			al, err := parseAlert(rec.payload)
			if err != nil {
				return nil, err
			}
			return nil, &alertError{al}
		default:
			return nil, errRecordType{rec.typ}
		}
	}
}

// renegHello builds a TLS 1.2 ClientHello handshake message offering the
// client's suites and groups; renegInfo is renegotiation_info's content:
// empty on the first handshake, the client's last verify_data on a
// renegotiation (RFC 5746 3.5).
func renegHello(random []byte, serverName string, suites []uint16, renegInfo []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(hsClientHello)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(tlsinfo.VersionTLS12)
		b.AddBytes(random)
		b.AddUint8(0) // no session id: no resumption
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, s := range suites {
				b.AddUint16(s)
			}
		})
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) }) // null compression
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			ext := func(typ uint16, data []byte) { b.AddBytes(extBytes(typ, data)) }
			if serverName != "" && !isIPLiteral(serverName) {
				var sn cryptobyte.Builder
				sn.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
					b.AddUint8(0) // host_name
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(serverName)) })
				})
				ext(extServerName, sn.BytesOrPanic())
			}
			ext(extSupportedGroups, u16list(renegGroups))
			ext(extECPointFormats, []byte{1, 0}) // uncompressed
			ext(extSignatureAlgorithms, u16list(helloSigAlgs))
			ext(extRenegotiationInfo, append([]byte{byte(len(renegInfo))}, renegInfo...))
		})
	})
	return b.BytesOrPanic()
}

// serverHelloExt returns the data of extension typ in a ServerHello body.
func serverHelloExt(body []byte, typ uint16) ([]byte, bool) {
	s := cryptobyte.String(body)
	var sid, exts cryptobyte.String
	if !s.Skip(2+32) || !s.ReadUint8LengthPrefixed(&sid) || !s.Skip(3) || !s.ReadUint16LengthPrefixed(&exts) {
		return nil, false
	}
	for !exts.Empty() {
		var t uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&t) || !exts.ReadUint16LengthPrefixed(&data) {
			return nil, false
		}
		if t == typ {
			return data, true
		}
	}
	return nil, false
}

// parseECDHEParams reads the named curve and public point of an ECDHE
// ServerKeyExchange body (RFC 8422 5.4); the signature that follows is
// not read.
func parseECDHEParams(ske []byte) (group uint16, point []byte, err error) {
	s := cryptobyte.String(ske)
	var ct uint8
	var pt cryptobyte.String
	if !s.ReadUint8(&ct) || ct != curveTypeNamedCurve || !s.ReadUint16(&group) || !s.ReadUint8LengthPrefixed(&pt) || len(pt) == 0 {
		return 0, nil, fmt.Errorf("%w: ECDHE ServerKeyExchange of %d bytes", errMalformed, len(ske))
	}
	return group, pt, nil
}

// handshakeStage says how far a handshake got.
type handshakeStage int

const (
	stageHello  handshakeStage = iota // nothing from the server yet
	stageAnswer                       // the server answered with a ServerHello
	stageDone                         // Finished verified both ways
)

// handshake runs one full TLS 1.2 handshake over the current record
// protection: the first one in the clear, a renegotiation under the keys
// of the last. It returns how far it got and, short of stageDone, why it
// stopped.
func (r *renegConn) handshake() (handshakeStage, error) {
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	renegotiating := r.clientVerify != nil
	hello := renegHello(random, r.serverName, r.suites, r.clientVerify)
	recVersion := tlsinfo.VersionTLS10
	if renegotiating {
		recVersion = tlsinfo.VersionTLS12
	}
	if err := r.writeRecord(recHandshake, recVersion, hello); err != nil {
		return stageHello, fmt.Errorf("sending the ClientHello: %w", err)
	}
	transcript := slices.Clone(hello)

	// A server that renegotiates does the work of a handshake before it
	// answers: silence is taken for a refusal only after twice the time.
	timeout := r.timeout
	if renegotiating {
		r.timeout = renegAnswerTimeout(timeout)
	}
	m, err := r.readMsg()
	r.timeout = timeout
	if err != nil {
		return stageHello, err
	}
	if m[0] != hsServerHello {
		return stageHello, fmt.Errorf("%w: handshake message type %d instead of ServerHello", errMalformed, m[0])
	}
	body := m[4:]
	sh, err := parseServerHello(body)
	if err != nil {
		return stageHello, err
	}
	if sh.Version() != tlsinfo.VersionTLS12 {
		return stageAnswer, fmt.Errorf("the server chose %s instead of TLS 1.2", versionName(sh.Version()))
	}
	suite, ok := lookupRenegSuite(sh.Suite)
	if !ok || !slices.Contains(r.suites, sh.Suite) || sh.Compression != 0 {
		return stageAnswer, fmt.Errorf("the server chose suite 0x%04X and compression %d, not offered", sh.Suite, sh.Compression)
	}
	ri, ok := serverHelloExt(body, extRenegotiationInfo)
	want := append([]byte{byte(len(r.clientVerify) + len(r.serverVerify))}, slices.Concat(r.clientVerify, r.serverVerify)...)
	if !ok {
		return stageAnswer, errors.New("the ServerHello carries no renegotiation_info: the server lacks RFC 5746 secure renegotiation")
	}
	if !bytes.Equal(ri, want) {
		return stageAnswer, errors.New("the ServerHello's renegotiation_info does not carry the last Finished messages (RFC 5746)")
	}
	serverRandom := body[2:34]
	transcript = append(transcript, m...)

	var group uint16
	var point []byte
	certReq := false
	for done := false; !done; {
		m, err := r.readMsg()
		if err != nil {
			return stageAnswer, err
		}
		switch m[0] {
		case hsCertificate, hsCertStatus:
			// Not verified: see the comment at the top of this file.
		case hsServerKeyExch:
			if group, point, err = parseECDHEParams(m[4:]); err != nil {
				return stageAnswer, err
			}
		case hsCertRequest:
			certReq = true
		case hsServerHelloDone:
			done = true
		default:
			return stageAnswer, fmt.Errorf("%w: handshake message type %d in the server's flight", errMalformed, m[0])
		}
		transcript = append(transcript, m...)
	}
	curve := curveOf(group)
	if curve == nil {
		return stageAnswer, fmt.Errorf("the server's key exchange uses group 0x%04X, which was not offered", group)
	}
	peer, err := curve.NewPublicKey(point)
	if err != nil {
		return stageAnswer, fmt.Errorf("the server's ECDHE public key: %w", err)
	}
	priv, err := curve.GenerateKey(rand.Reader)
	if err != nil {
		return stageAnswer, err
	}
	pre, err := priv.ECDH(peer)
	if err != nil {
		return stageAnswer, fmt.Errorf("the ECDHE shared secret: %w", err)
	}

	var flight []byte
	if certReq {
		flight = append(flight, hsCertificate, 0, 0, 3, 0, 0, 0) // no client certificate
	}
	var ckx cryptobyte.Builder
	ckx.AddUint8(hsClientKeyExchange)
	ckx.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(priv.PublicKey().Bytes()) })
	})
	flight = append(flight, ckx.BytesOrPanic()...)
	transcript = append(transcript, flight...)

	h := suite.hash()
	master := prf12(h, pre, "master secret", slices.Concat(random, serverRandom), 48)
	ivLen := 4
	if suite.chacha {
		ivLen = 12
	}
	kb := prf12(h, master, "key expansion", slices.Concat(serverRandom, random), 2*suite.keyLen+2*ivLen)
	cKey, sKey := kb[:suite.keyLen], kb[suite.keyLen:2*suite.keyLen]
	cIV, sIV := kb[2*suite.keyLen:2*suite.keyLen+ivLen], kb[2*suite.keyLen+ivLen:]
	newOut, err := newHalfConn(suite, cKey, cIV)
	if err != nil {
		return stageAnswer, err
	}
	newIn, err := newHalfConn(suite, sKey, sIV)
	if err != nil {
		return stageAnswer, err
	}
	clientVerify := prf12(h, master, "client finished", digest(h, transcript), verifyDataLen)
	fin := append([]byte{hsFinished, 0, 0, verifyDataLen}, clientVerify...)
	transcript = append(transcript, fin...)

	if err := r.writeRecord(recHandshake, tlsinfo.VersionTLS12, flight); err != nil {
		return stageAnswer, fmt.Errorf("sending the key exchange: %w", err)
	}
	if err := r.writeRecord(recChangeCipherSpec, tlsinfo.VersionTLS12, []byte{1}); err != nil {
		return stageAnswer, fmt.Errorf("sending ChangeCipherSpec: %w", err)
	}
	r.out = newOut
	if err := r.writeRecord(recHandshake, tlsinfo.VersionTLS12, fin); err != nil {
		return stageAnswer, fmt.Errorf("sending Finished: %w", err)
	}

	// The server may send a NewSessionTicket first (not offered, but
	// allowed to come), then ChangeCipherSpec and its Finished.
	for {
		if len(r.hs) > 0 {
			m, err := r.readMsg()
			if err != nil {
				return stageAnswer, err
			}
			if m[0] != hsNewSessionTicket {
				return stageAnswer, fmt.Errorf("%w: handshake message type %d before the server's ChangeCipherSpec", errMalformed, m[0])
			}
			transcript = append(transcript, m...)
			continue
		}
		rec, err := r.readRecord()
		if err != nil {
			return stageAnswer, err
		}
		if rec.typ == recChangeCipherSpec {
			if !bytes.Equal(rec.payload, []byte{1}) {
				return stageAnswer, fmt.Errorf("%w: ChangeCipherSpec of % x", errMalformed, rec.payload)
			}
			break
		}
		switch rec.typ {
		case recHandshake:
			r.hs = append(r.hs, rec.payload...)
		case recAlert:
			al, err := parseAlert(rec.payload)
			if err != nil {
				return stageAnswer, err
			}
			return stageAnswer, &alertError{al}
		default:
			return stageAnswer, errRecordType{rec.typ}
		}
	}
	r.in = newIn
	m, err = r.readMsg()
	if err != nil {
		return stageAnswer, fmt.Errorf("the server's Finished: %w", err)
	}
	serverVerify := prf12(h, master, "server finished", digest(h, transcript), verifyDataLen)
	if m[0] != hsFinished || subtle.ConstantTimeCompare(m[4:], serverVerify) != 1 {
		return stageAnswer, errors.New("the server's Finished does not verify")
	}
	r.clientVerify, r.serverVerify, r.suite, r.group = clientVerify, serverVerify, suite, group
	return stageDone, nil
}

// renegAnswerTimeout is how long the answer to a renegotiating hello is
// awaited.
func renegAnswerTimeout(timeout time.Duration) time.Duration { return 2 * timeout }

func digest(h func() hash.Hash, b []byte) []byte {
	d := h()
	d.Write(b)
	return d.Sum(nil)
}

// refusal describes how the server met a renegotiation it did not take.
func refusal(err error, timeout time.Duration) string {
	var ae *alertError
	switch {
	case errors.As(err, &ae):
		if ae.alert.Description == alertNoRenegotiate {
			return "refused it with alert " + ae.alert.String()
		}
		return "answered with alert " + ae.alert.String()
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || closed(err):
		return "closed the connection"
	case errors.Is(err, os.ErrDeadlineExceeded) || timedOut(err):
		return fmt.Sprintf("gave no answer within %v", timeout)
	}
	return "answered with no ServerHello (" + sanitize.String(err.Error(), 200) + ")"
}

// renegCandidates are the suites of the probe that t records as accepted
// with TLS 1.2, in the probe's order.
func renegCandidates(t *facts.TLS) []uint16 {
	acc := acceptedIDs(t, tlsinfo.VersionTLS12)
	var out []uint16
	for _, s := range renegSuites {
		if slices.Contains(acc, uint32(s.id)) {
			out = append(out, s.id)
		}
	}
	return out
}

// probeClientReneg completes a TLS 1.2 handshake with the renegotiation
// client, then sends a second ClientHello, encrypted, whose
// renegotiation_info carries the client's verify_data. A ServerHello in
// answer means the server renegotiates at the client's request; an alert
// (no_renegotiation or any other), a close or silence means it refused.
// Like testssl.sh, an HTTP server must take renegHTTPTries renegotiations
// in a row, to tell servers that limit them (node.js) apart.
func (a *auditor) probeClientReneg(ctx context.Context, t *facts.TLS) (*facts.TLSProbe, string) {
	if t.Accepted(facts.TLS12) == nil {
		return nil, "the server accepts no TLS 1.2, where client-initiated renegotiation is tested (TLS 1.3 has no renegotiation)"
	}
	suites := renegCandidates(t)
	if len(suites) == 0 {
		return nil, "the server accepts none of the TLS 1.2 ECDHE suites with AES-GCM or ChaCha20-Poly1305 that the renegotiation probe speaks"
	}
	release, err := a.acquire(ctx)
	if err != nil {
		return nil, err.Error()
	}
	defer release()
	c, err := a.connect(ctx, a.timeout)
	if err != nil && timedOut(err) && ctx.Err() == nil {
		c, err = a.connect(ctx, 2*a.timeout)
	}
	if err != nil {
		return nil, sanitize.String(err.Error(), 300)
	}
	defer c.Close()
	r := &renegConn{ctx: ctx, c: c, timeout: a.timeout, serverName: a.opt.ServerName, suites: suites}
	p, why := renegotiate(r, a.opt.HTTP)
	if r.out != nil {
		_ = r.writeRecord(recAlert, tlsinfo.VersionTLS12, []byte{1, 0}) // close_notify, best effort
	}
	return p, why
}

// renegotiate runs the probe on r: the first handshake, then one
// renegotiation, or renegHTTPTries for an HTTP server.
func renegotiate(r *renegConn, http bool) (*facts.TLSProbe, string) {
	if _, err := r.handshake(); err != nil {
		return nil, "the TLS 1.2 handshake of the renegotiation probe did not complete: " + sanitize.String(err.Error(), 300)
	}
	first := fmt.Sprintf("after a TLS 1.2 handshake (%s, group %s), a ClientHello carrying the client's Finished in renegotiation_info",
		suiteName(r.suite.id), groupName(r.group))
	tries := 1
	if http {
		tries = renegHTTPTries
	}
	for i := 1; i <= tries; i++ {
		stage, err := r.handshake()
		switch {
		case stage == stageHello && i == 1:
			return &facts.TLSProbe{Evidence: first + ": the server " + refusal(err, renegAnswerTimeout(r.timeout))}, ""
		case stage == stageHello:
			return &facts.TLSProbe{Evidence: fmt.Sprintf("%s was answered with a ServerHello %d time(s), then the server %s: renegotiation is limited (as testssl.sh says, mitigated)",
				first, i-1, refusal(err, renegAnswerTimeout(r.timeout)))}, ""
		case stage == stageAnswer && i == tries:
			return &facts.TLSProbe{Positive: true, Evidence: fmt.Sprintf("%s was answered with a ServerHello%s (the renegotiation's own completion failed: %s)",
				first, times(i), sanitize.String(err.Error(), 200))}, ""
		case stage == stageAnswer:
			return &facts.TLSProbe{Positive: true, Evidence: fmt.Sprintf("%s was answered with a ServerHello%s; the renegotiation then failed (%s), so no further one was tried",
				first, times(i), sanitize.String(err.Error(), 200))}, ""
		}
	}
	return &facts.TLSProbe{Positive: true, Evidence: first + " was answered with a ServerHello and the renegotiation completed" + times(tries)}, ""
}

func times(n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf(", %d times in a row", n)
}

func suiteName(id uint16) string {
	if s, ok := tlsinfo.Lookup(uint32(id)); ok {
		return s.Name
	}
	return fmt.Sprintf("0x%04X", id)
}

func groupName(g uint16) string {
	switch g {
	case 0x001D:
		return "x25519"
	case 0x0017:
		return "secp256r1"
	case 0x0018:
		return "secp384r1"
	}
	return strings.ToLower(fmt.Sprintf("0x%04X", g))
}
