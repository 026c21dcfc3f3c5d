package tlsaudit

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // crypto.SHA1 for the CBC suites' HMAC
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/big"
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
// written from RFC 5246 (records, handshake, PRF, RSA key exchange, AES-CBC
// with HMAC), RFC 5746 (renegotiation_info), RFC 8422 and RFC 7748 (ECDHE
// over X25519, P-256, P-384), RFC 5288 (AES-GCM) and RFC 7905
// (ChaCha20-Poly1305). It
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
	// sha384 makes SHA-384 the PRF's hash (SHA-256 otherwise).
	sha384 bool
	chacha bool
	// mac is the HMAC of an AES-CBC suite (RFC 5246 6.2.3.2); 0 for AEAD.
	mac crypto.Hash
	// rsaKx: RSA key exchange (the premaster encrypted to the
	// certificate's key) instead of ECDHE.
	rsaKx bool
}

// renegSuites are the TLS 1.2 suites the client offers, in its order of
// preference: ECDHE with AEAD, ECDHE with AES-CBC, then RSA key exchange,
// for RSA and ECDSA certificates alike.
var renegSuites = []renegSuite{
	{id: 0xC02F, keyLen: 16},                                   // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	{id: 0xC030, keyLen: 32, sha384: true},                     // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
	{id: 0xC02B, keyLen: 16},                                   // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	{id: 0xC02C, keyLen: 32, sha384: true},                     // TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
	{id: 0xCCA8, keyLen: 32, chacha: true},                     // TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
	{id: 0xCCA9, keyLen: 32, chacha: true},                     // TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
	{id: 0xC027, keyLen: 16, mac: crypto.SHA256},               // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256
	{id: 0xC028, keyLen: 32, mac: crypto.SHA384, sha384: true}, // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384
	{id: 0xC023, keyLen: 16, mac: crypto.SHA256},               // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256
	{id: 0xC024, keyLen: 32, mac: crypto.SHA384, sha384: true}, // TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384
	{id: 0xC013, keyLen: 16, mac: crypto.SHA1},                 // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
	{id: 0xC014, keyLen: 32, mac: crypto.SHA1},                 // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
	{id: 0xC009, keyLen: 16, mac: crypto.SHA1},                 // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
	{id: 0xC00A, keyLen: 32, mac: crypto.SHA1},                 // TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA
	{id: 0x009C, keyLen: 16, rsaKx: true},                      // TLS_RSA_WITH_AES_128_GCM_SHA256
	{id: 0x009D, keyLen: 32, sha384: true, rsaKx: true},        // TLS_RSA_WITH_AES_256_GCM_SHA384
	{id: 0x003C, keyLen: 16, mac: crypto.SHA256, rsaKx: true},  // TLS_RSA_WITH_AES_128_CBC_SHA256
	{id: 0x003D, keyLen: 32, mac: crypto.SHA256, rsaKx: true},  // TLS_RSA_WITH_AES_256_CBC_SHA256
	{id: 0x002F, keyLen: 16, mac: crypto.SHA1, rsaKx: true},    // TLS_RSA_WITH_AES_128_CBC_SHA
	{id: 0x0035, keyLen: 32, mac: crypto.SHA1, rsaKx: true},    // TLS_RSA_WITH_AES_256_CBC_SHA
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
// and the sequence number, or AES-CBC with its HMAC.
type halfConn struct {
	aead cipher.AEAD
	// iv is the 4-byte salt of AES-GCM (RFC 5288, with an 8-byte explicit
	// nonce in each record) or the 12-byte IV of ChaCha20-Poly1305
	// (RFC 7905, XORed with the sequence number, nothing explicit).
	iv  []byte
	seq uint64
	// block, mac and macKey protect an AES-CBC suite's records
	// (RFC 5246 6.2.3.2: MAC, then padding, then CBC with an explicit IV).
	block  cipher.Block
	mac    crypto.Hash
	macKey []byte
}

// ivLen is the length of the fixed IV the key block holds for s.
func (s renegSuite) ivLen() int {
	switch {
	case s.chacha:
		return 12
	case s.mac != 0:
		return aes.BlockSize // generated, unused: TLS 1.2 CBC IVs are explicit
	}
	return 4
}

func newHalfConn(s renegSuite, macKey, key, iv []byte) (*halfConn, error) {
	if s.chacha {
		aead, err := chacha20poly1305.New(key)
		if err != nil {
			return nil, err
		}
		return &halfConn{aead: aead, iv: slices.Clone(iv)}, nil
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if s.mac != 0 {
		return &halfConn{block: b, mac: s.mac, macKey: slices.Clone(macKey)}, nil
	}
	aead, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &halfConn{aead: aead, iv: slices.Clone(iv)}, nil
}

// deriveKeys computes the master secret and the record protection of
// both directions from the premaster secret (RFC 5246 8.1, 6.3).
func deriveKeys(s renegSuite, pre, cRandom, sRandom []byte) (master []byte, client, server *halfConn, err error) {
	h := s.hash()
	master = prf12(h, pre, "master secret", slices.Concat(cRandom, sRandom), 48)
	macLen := 0
	if s.mac != 0 {
		macLen = s.mac.Size()
	}
	ivLen := s.ivLen()
	kb := prf12(h, master, "key expansion", slices.Concat(sRandom, cRandom), 2*macLen+2*s.keyLen+2*ivLen)
	take := func(n int) []byte { b := kb[:n]; kb = kb[n:]; return b }
	cMAC, sMAC, cKey, sKey, cIV, sIV := take(macLen), take(macLen), take(s.keyLen), take(s.keyLen), take(ivLen), take(ivLen)
	if client, err = newHalfConn(s, cMAC, cKey, cIV); err != nil {
		return nil, nil, nil, err
	}
	if server, err = newHalfConn(s, sMAC, sKey, sIV); err != nil {
		return nil, nil, nil, err
	}
	return master, client, server, nil
}

// recordMAC is the HMAC of one CBC record (RFC 5246 6.2.3.1).
func (h *halfConn) recordMAC(typ uint8, v uint16, plain []byte) []byte {
	m := hmac.New(h.mac.New, h.macKey)
	m.Write(h.aad(typ, v, len(plain)))
	m.Write(plain)
	return m.Sum(nil)
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
	if h.block != nil {
		data := append(slices.Clone(plain), h.recordMAC(typ, v, plain)...)
		pad := aes.BlockSize - len(data)%aes.BlockSize
		data = append(data, bytes.Repeat([]byte{byte(pad - 1)}, pad)...)
		out := make([]byte, aes.BlockSize+len(data))
		_, _ = rand.Read(out[:aes.BlockSize])
		cipher.NewCBCEncrypter(h.block, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], data)
		h.seq++
		return out
	}
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
	if h.block != nil {
		return h.openCBC(typ, v, frag)
	}
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

// openCBC checks and removes an AES-CBC record's protection. A probe
// needs no constant-time padding check: it only reads the server's
// answer.
func (h *halfConn) openCBC(typ uint8, v uint16, frag []byte) ([]byte, error) {
	macLen := h.mac.Size()
	if len(frag) < aes.BlockSize+max(macLen+1, aes.BlockSize) || len(frag)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: protected record of %d bytes", errMalformed, len(frag))
	}
	data := make([]byte, len(frag)-aes.BlockSize)
	cipher.NewCBCDecrypter(h.block, frag[:aes.BlockSize]).CryptBlocks(data, frag[aes.BlockSize:])
	pad := int(data[len(data)-1]) + 1
	if pad+macLen > len(data) {
		return nil, errDecrypt
	}
	for _, b := range data[len(data)-pad:] {
		if int(b) != pad-1 {
			return nil, errDecrypt
		}
	}
	data = data[:len(data)-pad]
	plain, mac := data[:len(data)-macLen], data[len(data)-macLen:]
	if !hmac.Equal(mac, h.recordMAC(typ, v, plain)) {
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
	var certs [][]byte
	certReq := false
	for done := false; !done; {
		m, err := r.readMsg()
		if err != nil {
			return stageAnswer, err
		}
		switch m[0] {
		case hsCertificate:
			// Not verified: see the comment at the top of this file. Its
			// key encrypts the premaster of an RSA key exchange.
			if certs, err = parseCertificateMsg(m[4:]); err != nil {
				return stageAnswer, err
			}
		case hsCertStatus:
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
	pre, ckxBody, err := keyExchange(suite, group, point, certs)
	if err != nil {
		return stageAnswer, err
	}

	var flight []byte
	if certReq {
		flight = append(flight, hsCertificate, 0, 0, 3, 0, 0, 0) // no client certificate
	}
	var ckx cryptobyte.Builder
	ckx.AddUint8(hsClientKeyExchange)
	ckx.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(ckxBody) })
	flight = append(flight, ckx.BytesOrPanic()...)
	transcript = append(transcript, flight...)

	h := suite.hash()
	master, newOut, newIn, err := deriveKeys(suite, pre, random, serverRandom)
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

// keyExchange makes the premaster secret and the ClientKeyExchange body:
// ECDHE with the server's group and point (RFC 8422 5.7), or a random
// premaster encrypted to the certificate's RSA key (RFC 5246 7.4.7.1).
func keyExchange(s renegSuite, group uint16, point []byte, certs [][]byte) (pre, body []byte, err error) {
	if s.rsaKx {
		if len(certs) == 0 {
			return nil, nil, errors.New("RSA key exchange without a server certificate")
		}
		leaf, err := x509.ParseCertificate(certs[0])
		if err != nil {
			return nil, nil, fmt.Errorf("the server's certificate: %w", err)
		}
		pub, ok := leaf.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, nil, errors.New("RSA key exchange with a certificate whose key is not RSA")
		}
		k := (pub.N.BitLen() + 7) / 8
		if k < 64 {
			return nil, nil, fmt.Errorf("RSA key of %d bits is too small", pub.N.BitLen())
		}
		// PKCS #1 v1.5 encryption of a 48-byte premaster that starts with
		// the version (the ROBOT probe's well-formed message).
		msg := robotMessage(0, k, tlsinfo.VersionTLS12)
		pre = slices.Clone(msg[k-48:])
		enc := new(big.Int).Exp(new(big.Int).SetBytes(msg), big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, k))
		var b cryptobyte.Builder
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(enc) })
		return pre, b.BytesOrPanic(), nil
	}
	curve := curveOf(group)
	if curve == nil {
		return nil, nil, fmt.Errorf("the server's key exchange uses group 0x%04X, which was not offered", group)
	}
	peer, err := curve.NewPublicKey(point)
	if err != nil {
		return nil, nil, fmt.Errorf("the server's ECDHE public key: %w", err)
	}
	priv, err := curve.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	if pre, err = priv.ECDH(peer); err != nil {
		return nil, nil, fmt.Errorf("the ECDHE shared secret: %w", err)
	}
	pub := priv.PublicKey().Bytes()
	return pre, append([]byte{byte(len(pub))}, pub...), nil
}

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
		return nil, "the server accepts none of the TLS 1.2 suites the renegotiation probe speaks (ECDHE or RSA key exchange with AES-GCM, AES-CBC or ChaCha20-Poly1305)"
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
	kx := "RSA key exchange"
	if !r.suite.rsaKx {
		kx = "group " + groupName(r.group)
	}
	first := fmt.Sprintf("after a TLS 1.2 handshake (%s, %s), a ClientHello carrying the client's Finished in renegotiation_info",
		suiteName(r.suite.id), kx)
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
