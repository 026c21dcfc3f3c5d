package tlsaudit

import (
	"bytes"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// Limits on what a server may send in answer to one ClientHello.
const (
	recordHeaderLen = 5
	// maxRecordLen is the largest TLSCiphertext fragment RFC 5246 allows.
	maxRecordLen = 16384 + 2048
	// maxAnswer caps the bytes read in answer to one hello: ServerHello,
	// Certificate (chains rarely pass 16 KiB) and the rest of the flight.
	maxAnswer = 64 << 10
	// maxChainCerts caps the certificates kept from one Certificate message.
	maxChainCerts = 16
)

// TLS record content types.
const (
	recChangeCipherSpec = 20
	recAlert            = 21
	recHandshake        = 22
	recApplicationData  = 23
	recHeartbeat        = 24
)

// Handshake message types.
const (
	hsHelloRequest    = 0
	hsServerHello     = 2
	hsCertificate     = 11
	hsServerKeyExch   = 12
	hsCertRequest     = 13
	hsServerHelloDone = 14
	hsCertStatus      = 22
)

// Errors for answers that are not well-formed TLS.
var (
	errNotTLS    = errors.New("the answer is not TLS")
	errMalformed = errors.New("malformed TLS message")
)

// record is one TLS record.
type record struct {
	typ     uint8
	version uint16
	payload []byte
}

// parseRecords splits buf into complete TLS records. rest is an incomplete
// record at the end, waiting for more bytes. A header that cannot start a
// TLS record (unknown type, major version not 3, length over the maximum) is
// an error.
func parseRecords(buf []byte) (recs []record, rest []byte, err error) {
	for len(buf) > 0 {
		if err := checkRecordHeader(buf); err != nil {
			return recs, buf, err
		}
		s := cryptobyte.String(buf)
		var r record
		var payload cryptobyte.String
		if !s.ReadUint8(&r.typ) || !s.ReadUint16(&r.version) || !s.ReadUint16LengthPrefixed(&payload) {
			return recs, buf, nil // incomplete: wait for more bytes
		}
		r.payload = payload
		recs = append(recs, r)
		buf = s
	}
	return recs, nil, nil
}

// checkRecordHeader validates as much of a record header as buf holds.
func checkRecordHeader(buf []byte) error {
	if buf[0] < recChangeCipherSpec || buf[0] > recHeartbeat {
		return fmt.Errorf("%w: record type 0x%02x (first bytes % x)", errNotTLS, buf[0], buf[:min(len(buf), 8)])
	}
	if len(buf) >= 2 && buf[1] != 3 {
		return fmt.Errorf("%w: record version 0x%02x%02x (first bytes % x)", errNotTLS, buf[1], at(buf, 2), buf[:min(len(buf), 8)])
	}
	hdr := cryptobyte.String(buf)
	var n uint16
	if hdr.Skip(3) && hdr.ReadUint16(&n) && int(n) > maxRecordLen {
		return fmt.Errorf("%w: record of %d bytes, over the %d maximum", errMalformed, n, maxRecordLen)
	}
	return nil
}

func at(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

// handshakeMsg is one handshake message: its type and body.
type handshakeMsg struct {
	typ  uint8
	body []byte
}

// parseHandshakes splits the concatenated payloads of handshake records into
// messages (a message may span records). rest is an incomplete message. A
// declared length over maxAnswer is an error.
func parseHandshakes(data []byte) (msgs []handshakeMsg, rest []byte, err error) {
	for len(data) >= 4 {
		s := cryptobyte.String(data)
		var m handshakeMsg
		var n uint32
		s.ReadUint8(&m.typ)
		s.ReadUint24(&n)
		if n > maxAnswer {
			return msgs, data, fmt.Errorf("%w: handshake message type %d of %d bytes", errMalformed, m.typ, n)
		}
		if !s.ReadBytes(&m.body, int(n)) {
			return msgs, data, nil // incomplete
		}
		msgs = append(msgs, m)
		data = s
	}
	return msgs, data, nil
}

// helloRetryRandom is the ServerHello.random value that marks a
// HelloRetryRequest (RFC 8446, 4.1.3).
var helloRetryRandom = []byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

// Extension numbers the parser reads or the hellos send.
const (
	extServerName          = 0
	extStatusRequest       = 5
	extSupportedGroups     = 10
	extECPointFormats      = 11
	extSignatureAlgorithms = 13
	extPadding             = 21
	extSupportedVersions   = 43
	extPSKModes            = 45
	extKeyShare            = 51
	extRenegotiationInfo   = 0xFF01
)

// serverHello is what vigil keeps of a ServerHello or HelloRetryRequest.
type serverHello struct {
	// LegacyVersion is the version field; SelectedVersion the
	// supported_versions extension's value (0 when absent).
	LegacyVersion   uint16
	SelectedVersion uint16
	Suite           uint16
	Compression     uint8
	SessionID       []byte
	HelloRetry      bool
	// KeyShareGroup is the group of the key_share extension (for a
	// HelloRetryRequest, the group the server asks for).
	KeyShareGroup uint16
	Extensions    []uint16
}

// Version returns the negotiated protocol version.
func (h serverHello) Version() uint16 {
	if h.SelectedVersion != 0 {
		return h.SelectedVersion
	}
	return h.LegacyVersion
}

// parseServerHello decodes a ServerHello body (RFC 5246 7.4.1.3, RFC 8446
// 4.1.3). Extensions are optional before TLS 1.3.
func parseServerHello(body []byte) (serverHello, error) {
	var h serverHello
	s := cryptobyte.String(body)
	var random []byte
	var sid cryptobyte.String
	if !s.ReadUint16(&h.LegacyVersion) || !s.ReadBytes(&random, 32) || !s.ReadUint8LengthPrefixed(&sid) ||
		!s.ReadUint16(&h.Suite) || !s.ReadUint8(&h.Compression) {
		return serverHello{}, fmt.Errorf("%w: ServerHello of %d bytes", errMalformed, len(body))
	}
	h.SessionID = sid
	h.HelloRetry = bytes.Equal(random, helloRetryRandom)
	if len(h.SessionID) > 32 {
		return h, fmt.Errorf("%w: ServerHello session id of %d bytes", errMalformed, len(h.SessionID))
	}
	if s.Empty() {
		return h, nil
	}
	var exts cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&exts) || !s.Empty() {
		return h, fmt.Errorf("%w: ServerHello extensions", errMalformed)
	}
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return h, fmt.Errorf("%w: ServerHello extension list", errMalformed)
		}
		h.Extensions = append(h.Extensions, typ)
		switch typ {
		case extSupportedVersions:
			if !data.ReadUint16(&h.SelectedVersion) {
				return h, fmt.Errorf("%w: supported_versions extension", errMalformed)
			}
		case extKeyShare:
			if !data.ReadUint16(&h.KeyShareGroup) {
				return h, fmt.Errorf("%w: key_share extension", errMalformed)
			}
		}
	}
	return h, nil
}

// alert is a TLS alert.
type alert struct {
	Level       uint8
	Description uint8
}

var alertNames = map[uint8]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 21: "decryption_failed",
	22: "record_overflow", 30: "decompression_failure", 40: "handshake_failure", 41: "no_certificate",
	42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked",
	45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
	49: "access_denied", 50: "decode_error", 51: "decrypt_error", 60: "export_restriction",
	70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
	86: "inappropriate_fallback", 90: "user_canceled", 100: "no_renegotiation",
	109: "missing_extension", 110: "unsupported_extension", 112: "unrecognized_name",
	113: "bad_certificate_status_response", 115: "unknown_psk_identity",
	116: "certificate_required", 120: "no_application_protocol",
}

// String names the alert, e.g. "fatal handshake_failure (40)".
func (a alert) String() string {
	lvl := "fatal"
	if a.Level == 1 {
		lvl = "warning"
	}
	name, ok := alertNames[a.Description]
	if !ok {
		name = "alert"
	}
	return fmt.Sprintf("%s %s (%d)", lvl, name, a.Description)
}

// parseAlert decodes an alert record's payload.
func parseAlert(p []byte) (alert, error) {
	if len(p) < 2 {
		return alert{}, fmt.Errorf("%w: alert of %d bytes", errMalformed, len(p))
	}
	return alert{Level: p[0], Description: p[1]}, nil
}

// parseCertificateMsg decodes a TLS 1.0–1.2 Certificate message body
// (RFC 5246 7.4.2) into DER certificates, leaf first, keeping at most
// maxChainCerts.
func parseCertificateMsg(body []byte) ([][]byte, error) {
	s := cryptobyte.String(body)
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return nil, fmt.Errorf("%w: Certificate message of %d bytes", errMalformed, len(body))
	}
	var certs [][]byte
	for !list.Empty() {
		var c cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&c) || len(c) == 0 {
			return nil, fmt.Errorf("%w: certificate list", errMalformed)
		}
		if len(certs) < maxChainCerts {
			certs = append(certs, c)
		}
	}
	return certs, nil
}

// SSLv2 message types.
const (
	ssl2MsgError       = 0
	ssl2MsgClientHello = 1
	ssl2MsgServerHello = 4
)

// ssl2ServerHello is an SSLv2 SERVER-HELLO.
type ssl2ServerHello struct {
	Version     uint16
	Certificate []byte
	Kinds       []uint32
}

// parseSSLv2Record reads one SSLv2 record with a two-byte header (the form
// servers use for SERVER-HELLO and ERROR). complete is false while more
// bytes are needed.
func parseSSLv2Record(buf []byte) (msg []byte, complete bool, err error) {
	if len(buf) == 0 {
		return nil, false, nil
	}
	if buf[0]&0x80 == 0 {
		return nil, false, fmt.Errorf("%w: not an SSLv2 record (first bytes % x)", errNotTLS, buf[:min(len(buf), 8)])
	}
	s := cryptobyte.String(buf)
	var hdr uint16
	if !s.ReadUint16(&hdr) {
		return nil, false, nil
	}
	n := int(hdr & 0x7fff)
	if n == 0 {
		return nil, false, fmt.Errorf("%w: empty SSLv2 record", errMalformed)
	}
	if !s.ReadBytes(&msg, n) {
		return nil, false, nil
	}
	return msg, true, nil
}

// parseSSLv2ServerHello decodes an SSLv2 SERVER-HELLO message (type 4).
func parseSSLv2ServerHello(msg []byte) (ssl2ServerHello, error) {
	var h ssl2ServerHello
	s := cryptobyte.String(msg)
	var typ uint8
	s.ReadUint8(&typ) // 0 when msg is empty
	if typ != ssl2MsgServerHello {
		return h, fmt.Errorf("%w: SSLv2 message type %d, not SERVER-HELLO", errMalformed, typ)
	}
	var certLen, specLen, connLen uint16
	var specs cryptobyte.String
	ok := s.Skip(2) && // session id hit, certificate type
		s.ReadUint16(&h.Version) && s.ReadUint16(&certLen) && s.ReadUint16(&specLen) && s.ReadUint16(&connLen) &&
		s.ReadBytes(&h.Certificate, int(certLen)) && s.ReadBytes((*[]byte)(&specs), int(specLen)) && s.Skip(int(connLen))
	if !ok || specLen%3 != 0 {
		return ssl2ServerHello{Version: h.Version}, fmt.Errorf("%w: SSLv2 SERVER-HELLO of %d bytes", errMalformed, len(msg))
	}
	for !specs.Empty() {
		var k uint32
		specs.ReadUint24(&k)
		h.Kinds = append(h.Kinds, k)
	}
	return h, nil
}

// answer is what the server sent in reply to one hello, as far as parsed.
type answer struct {
	hello    *serverHello
	alert    *alert
	ssl2     *ssl2ServerHello
	certs    [][]byte
	helloEnd bool // ServerHelloDone seen
	err      error
}

// scanAnswer parses the bytes received so far in answer to a ClientHello.
// final reports that nothing more is needed: the answer is decided (hello
// parsed, and the certificate too when wantCert), refused by an alert, or
// malformed. It never reads past what buf holds.
func scanAnswer(buf []byte, wantCert bool) (a answer, final bool) {
	if len(buf) == 0 {
		return a, false
	}
	if buf[0]&0x80 != 0 {
		msg, complete, err := parseSSLv2Record(buf)
		if err != nil || !complete {
			a.err = err
			return a, err != nil
		}
		switch msg[0] {
		case ssl2MsgServerHello:
			h, err := parseSSLv2ServerHello(msg)
			if err != nil {
				a.err = err
				return a, true
			}
			a.ssl2 = &h
			if len(h.Certificate) > 0 {
				a.certs = [][]byte{h.Certificate}
			}
		case ssl2MsgError:
			a.err = fmt.Errorf("SSLv2 ERROR message (% x)", msg[:min(len(msg), 3)])
		default:
			a.err = fmt.Errorf("%w: SSLv2 message type %d", errMalformed, msg[0])
		}
		return a, true
	}
	recs, _, err := parseRecords(buf)
	var hs []byte
	sawOther := false
	for _, rec := range recs {
		switch rec.typ {
		case recAlert:
			if a.hello == nil || wantCert && a.certs == nil && !a.helloEnd {
				al, perr := parseAlert(rec.payload)
				if perr != nil {
					a.err = perr
					return a, true
				}
				a.alert = &al
				return a, true
			}
		case recHandshake:
			if !sawOther {
				hs = append(hs, rec.payload...)
			}
		case recChangeCipherSpec, recApplicationData:
			sawOther = true
		}
		msgs, _, herr := parseHandshakes(hs)
		if herr != nil {
			a.err = herr
			return a, true
		}
		a.hello, a.certs, a.helloEnd = nil, nil, false
		for _, m := range msgs {
			switch m.typ {
			case hsHelloRequest:
			case hsServerHello:
				if a.hello != nil {
					continue
				}
				h, perr := parseServerHello(m.body)
				if perr != nil {
					a.err = perr
					return a, true
				}
				a.hello = &h
			case hsCertificate:
				if a.hello == nil {
					a.err = fmt.Errorf("%w: Certificate before ServerHello", errMalformed)
					return a, true
				}
				if a.certs == nil {
					certs, perr := parseCertificateMsg(m.body)
					if perr != nil {
						a.err = perr
						return a, true
					}
					a.certs = certs
				}
			case hsServerHelloDone:
				a.helloEnd = true
			default:
				if a.hello == nil {
					a.err = fmt.Errorf("%w: handshake message type %d before ServerHello", errMalformed, m.typ)
					return a, true
				}
			}
		}
		if a.hello != nil {
			if !wantCert || a.hello.HelloRetry || a.hello.Version() >= 0x0304 || a.certs != nil || a.helloEnd {
				return a, true
			}
		}
		if sawOther && a.hello == nil {
			a.err = fmt.Errorf("%w: record type %d before ServerHello", errMalformed, rec.typ)
			return a, true
		}
	}
	if err != nil {
		a.err = err
		return a, true
	}
	return a, false
}
