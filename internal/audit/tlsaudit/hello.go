package tlsaudit

import (
	"golang.org/x/crypto/cryptobyte"

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
	legacy := min(p.Version, tlsinfo.VersionTLS12)
	var hb cryptobyte.Builder
	hb.AddUint16(legacy)
	hb.AddBytes(p.Random)
	hb.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(p.SessionID) })
	hb.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, s := range p.Suites {
			b.AddUint16(s)
		}
	})
	compression := p.Compression
	if compression == nil {
		compression = []byte{0} // null only
	}
	hb.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(compression) })
	body := hb.BytesOrPanic()

	if p.Version >= tlsinfo.VersionTLS10 {
		exts := helloExtensions(p)
		// RFC 7685: keep the hello out of 256–511 bytes, which some
		// server implementations mishandle.
		if n := 4 + len(body) + 2 + len(exts); n >= 256 && n < 512 {
			exts = append(exts, extBytes(extPadding, make([]byte, max(512-n-4, 0)))...)
		}
		var b cryptobyte.Builder
		b.AddBytes(body)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(exts) })
		body = b.BytesOrPanic()
	}

	recVersion := tlsinfo.VersionTLS10
	if p.Version == tlsinfo.VersionSSL3 {
		recVersion = tlsinfo.VersionSSL3
	}
	var rec cryptobyte.Builder
	rec.AddUint8(recHandshake)
	rec.AddUint16(recVersion)
	rec.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint8(1) // client_hello
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
	})
	return rec.BytesOrPanic()
}

func helloExtensions(p helloParams) []byte {
	var b cryptobyte.Builder
	ext := func(typ uint16, add func(*cryptobyte.Builder)) {
		b.AddUint16(typ)
		b.AddUint16LengthPrefixed(add)
	}
	if p.ServerName != "" && !isIPLiteral(p.ServerName) {
		ext(extServerName, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint8(0) // host_name
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p.ServerName)) })
			})
		})
	}
	ext(extSupportedGroups, func(b *cryptobyte.Builder) { b.AddBytes(u16list(helloGroups)) })
	ext(extECPointFormats, func(b *cryptobyte.Builder) { b.AddBytes([]byte{3, 0, 1, 2}) })
	if p.Version >= tlsinfo.VersionTLS12 {
		ext(extSignatureAlgorithms, func(b *cryptobyte.Builder) { b.AddBytes(u16list(helloSigAlgs)) })
	}
	if p.Version <= tlsinfo.VersionTLS12 {
		ext(extRenegotiationInfo, func(b *cryptobyte.Builder) { b.AddUint8(0) })
	}
	if p.Version == tlsinfo.VersionTLS13 {
		ext(extSupportedVersions, func(b *cryptobyte.Builder) { b.AddBytes([]byte{2, 0x03, 0x04}) })
		ext(extKeyShare, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint16(groupX25519)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(p.KeyShare) })
			})
		})
		ext(extPSKModes, func(b *cryptobyte.Builder) { b.AddBytes([]byte{1, 1}) }) // psk_dhe_ke
	}
	return append(b.BytesOrPanic(), p.Extra...)
}

// u16list encodes a list of 16-bit values with a 2-byte length prefix.
func u16list(vs []uint16) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, v := range vs {
			b.AddUint16(v)
		}
	})
	return b.BytesOrPanic()
}

// buildSSLv2ClientHello returns an SSLv2 CLIENT-HELLO record (two-byte
// header) offering the given cipher kinds with a 16-byte challenge.
func buildSSLv2ClientHello(kinds []uint32, challenge []byte) []byte {
	var m cryptobyte.Builder
	m.AddUint8(ssl2MsgClientHello)
	m.AddUint16(tlsinfo.VersionSSL2)
	m.AddUint16(uint16(3 * len(kinds)))
	m.AddUint16(0) // session id length
	m.AddUint16(uint16(len(challenge)))
	for _, k := range kinds {
		m.AddUint24(k)
	}
	m.AddBytes(challenge)
	msg := m.BytesOrPanic()
	var rec cryptobyte.Builder
	rec.AddUint16(0x8000 | uint16(len(msg)))
	rec.AddBytes(msg)
	return rec.BytesOrPanic()
}
