package tlsaudit

import (
	"encoding/binary"

	"github.com/vigilsec/vigil/internal/tlsinfo"
)

// helloGroups are the named groups offered in supported_groups: every
// elliptic curve a TLS server may still be configured with (so ECDHE suites
// are not missed on servers limited to odd curves), X25519/X448, the
// brainpool curves and the RFC 7919 finite-field groups.
var helloGroups = []uint16{
	0x001D, 0x0017, 0x0018, 0x0019, 0x001E, // x25519, secp256r1, secp384r1, secp521r1, x448
	0x001A, 0x001B, 0x001C, // brainpoolP256r1, P384r1, P512r1
	0x0016, 0x0015, 0x0014, 0x0013, 0x0012, 0x0011, 0x0010, 0x000F, // secp256k1, secp224r1/k1, secp192r1/k1, secp160r2/r1/k1
	0x000E, 0x000D, 0x000C, 0x000B, 0x000A, 0x0009, 0x0008, 0x0007, // sect571r1 … sect239k1
	0x0006, 0x0005, 0x0004, 0x0003, 0x0002, 0x0001, // sect233r1 … sect163k1
	0x0100, 0x0101, 0x0102, 0x0103, 0x0104, // ffdhe2048 … ffdhe8192
}

// groupX25519 is the group of the TLS 1.3 key share vigil sends.
const groupX25519 = 0x001D

// helloSigAlgs are the signature schemes offered: every scheme a server
// certificate may need, including SHA-1, DSA and SHA-224 ones, so that old
// servers are not refused for want of a signature algorithm.
var helloSigAlgs = []uint16{
	0x0403, 0x0503, 0x0603, // ecdsa_secp256r1_sha256, secp384r1_sha384, secp521r1_sha512
	0x0807, 0x0808, // ed25519, ed448
	0x0804, 0x0805, 0x0806, // rsa_pss_rsae_sha256/384/512
	0x0809, 0x080A, 0x080B, // rsa_pss_pss_sha256/384/512
	0x0401, 0x0501, 0x0601, // rsa_pkcs1_sha256/384/512
	0x0303, 0x0301, 0x0302, // sha224 with ECDSA, RSA, DSA
	0x0203, 0x0201, 0x0202, // sha1 with ECDSA, RSA, DSA
	0x0402, 0x0502, 0x0602, // sha256/384/512 with DSA
}

// helloParams describe one ClientHello.
type helloParams struct {
	// Version is the protocol version offered: SSLv3 to TLS 1.3.
	Version uint16
	Suites  []uint16
	// ServerName goes in the server_name extension when not empty and not
	// an IP address (RFC 6066 forbids literal addresses there).
	ServerName string
	// Random is the 32-byte client random; SessionID is sent as is
	// (32 random bytes for TLS 1.3 middlebox compatibility).
	Random    []byte
	SessionID []byte
	// KeyShare is the X25519 public key for TLS 1.3.
	KeyShare []byte
	// Compression lists the compression methods offered; nil means null
	// only.
	Compression []byte
	// Extra are whole extensions (type, length, data) appended to the
	// usual ones, for the vulnerability probes.
	Extra []byte
}

// buildClientHello returns a complete TLS record holding a ClientHello.
// SSLv3 hellos carry no extensions (servers of that age may choke on them);
// TLS 1.0–1.2 carry server_name, supported_groups, ec_point_formats,
// renegotiation_info and, for 1.2, signature_algorithms; TLS 1.3 adds
// supported_versions (1.3 only), key_share and psk_key_exchange_modes.
func buildClientHello(p helloParams) []byte {
	legacy := p.Version
	if legacy > tlsinfo.VersionTLS12 {
		legacy = tlsinfo.VersionTLS12
	}
	var body []byte
	body = binary.BigEndian.AppendUint16(body, legacy)
	body = append(body, p.Random...)
	body = append(body, byte(len(p.SessionID)))
	body = append(body, p.SessionID...)
	body = binary.BigEndian.AppendUint16(body, uint16(2*len(p.Suites)))
	for _, s := range p.Suites {
		body = binary.BigEndian.AppendUint16(body, s)
	}
	if p.Compression == nil {
		body = append(body, 1, 0) // compression: null only
	} else {
		body = append(body, byte(len(p.Compression)))
		body = append(body, p.Compression...)
	}

	if p.Version >= tlsinfo.VersionTLS10 {
		exts := helloExtensions(p)
		// RFC 7685: keep the hello out of 256–511 bytes, which some
		// server implementations mishandle.
		if n := 4 + len(body) + 2 + len(exts); n >= 256 && n < 512 {
			pad := max(512-n-4, 0)
			exts = binary.BigEndian.AppendUint16(exts, extPadding)
			exts = binary.BigEndian.AppendUint16(exts, uint16(pad))
			exts = append(exts, make([]byte, pad)...)
		}
		body = binary.BigEndian.AppendUint16(body, uint16(len(exts)))
		body = append(body, exts...)
	}

	msg := []byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	msg = append(msg, body...)
	recVersion := tlsinfo.VersionTLS10
	if p.Version == tlsinfo.VersionSSL3 {
		recVersion = tlsinfo.VersionSSL3
	}
	rec := []byte{recHandshake, byte(recVersion >> 8), byte(recVersion)}
	rec = binary.BigEndian.AppendUint16(rec, uint16(len(msg)))
	return append(rec, msg...)
}

func helloExtensions(p helloParams) []byte {
	var b []byte
	ext := func(typ uint16, data []byte) {
		b = binary.BigEndian.AppendUint16(b, typ)
		b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
		b = append(b, data...)
	}
	if p.ServerName != "" && !isIPLiteral(p.ServerName) {
		name := []byte(p.ServerName)
		var d []byte
		d = binary.BigEndian.AppendUint16(d, uint16(len(name)+3))
		d = append(d, 0) // host_name
		d = binary.BigEndian.AppendUint16(d, uint16(len(name)))
		d = append(d, name...)
		ext(extServerName, d)
	}
	groups := u16list(helloGroups)
	ext(extSupportedGroups, groups)
	ext(extECPointFormats, []byte{3, 0, 1, 2})
	if p.Version >= tlsinfo.VersionTLS12 {
		ext(extSignatureAlgorithms, u16list(helloSigAlgs))
	}
	if p.Version <= tlsinfo.VersionTLS12 {
		ext(extRenegotiationInfo, []byte{0})
	}
	if p.Version == tlsinfo.VersionTLS13 {
		ext(extSupportedVersions, []byte{2, 0x03, 0x04})
		var ks []byte
		ks = binary.BigEndian.AppendUint16(ks, uint16(4+len(p.KeyShare)))
		ks = binary.BigEndian.AppendUint16(ks, groupX25519)
		ks = binary.BigEndian.AppendUint16(ks, uint16(len(p.KeyShare)))
		ks = append(ks, p.KeyShare...)
		ext(extKeyShare, ks)
		ext(extPSKModes, []byte{1, 1}) // psk_dhe_ke
	}
	return append(b, p.Extra...)
}

// u16list encodes a list of 16-bit values with a 2-byte length prefix.
func u16list(vs []uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(2*len(vs)))
	for _, v := range vs {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

// buildSSLv2ClientHello returns an SSLv2 CLIENT-HELLO record (two-byte
// header) offering the given cipher kinds with a 16-byte challenge.
func buildSSLv2ClientHello(kinds []uint32, challenge []byte) []byte {
	var msg []byte
	msg = append(msg, ssl2MsgClientHello)
	msg = binary.BigEndian.AppendUint16(msg, tlsinfo.VersionSSL2)
	msg = binary.BigEndian.AppendUint16(msg, uint16(3*len(kinds)))
	msg = binary.BigEndian.AppendUint16(msg, 0) // session id length
	msg = binary.BigEndian.AppendUint16(msg, uint16(len(challenge)))
	for _, k := range kinds {
		msg = append(msg, byte(k>>16), byte(k>>8), byte(k))
	}
	msg = append(msg, challenge...)
	return append([]byte{0x80 | byte(len(msg)>>8), byte(len(msg))}, msg...)
}
