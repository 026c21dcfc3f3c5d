package main

// The vulnerable-TLS emulator plays TLS 1.0–1.2 servers with the flaws of
// OpenSSL releases from before 2014–2018, which Debian's OpenSSL no longer
// has, so that vigil's probes meet a positive case. Each variant answers
// the ClientHello with ServerHello, Certificate and ServerHelloDone (static
// RSA suites) and then misbehaves in one way:
//
//   - heartbleed: acknowledges the heartbeat extension (RFC 6520) and
//     answers a heartbeat request with as many bytes as it claims
//     (CVE-2014-0160); the "memory" is zeros, nothing real leaks.
//   - ccs: takes a ChangeCipherSpec before the key exchange and fails the
//     next record's MAC (CVE-2014-0224) instead of unexpected_message.
//   - robot: decrypts the ClientKeyExchange with its key and answers bad
//     PKCS #1 v1.5 padding with handshake_failure, good padding with
//     bad_record_mac after the Finished (a Bleichenbacher oracle).
//   - crime: chooses DEFLATE compression when offered and ignores RFC 5746
//     (no renegotiation_info in the ServerHello).
//
// Every variant ignores TLS_FALLBACK_SCSV, as servers of that age did. It
// never completes a handshake.

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
)

// Record types and alerts the emulator uses besides legacytls.go's.
const (
	recChangeCipherSpec = 20
	recHeartbeat        = 24
	verTLS12            = 0x0303
	hsClientKeyExchange = 16
	alertUnexpectedMsg  = 10
	alertBadRecordMAC   = 20
	maxHeartbeatAnswer  = 16 << 10
)

// vulnSuites are the static-RSA suites the emulator accepts, in its order.
var vulnSuites = []uint16{0x002f, 0x0035, 0x009c, 0x003c}

// vulnTLS is one emulated vulnerable server.
type vulnTLS struct {
	variant string
	chain   [][]byte
	key     *rsa.PrivateKey
}

func newVulnTLS(variant, pemFile string) (*vulnTLS, error) {
	switch variant {
	case "heartbleed", "ccs", "robot", "crime":
	default:
		return nil, fmt.Errorf("vuln-tls variant %q: use heartbleed, ccs, robot or crime", variant)
	}
	chain, err := loadChain(pemFile)
	if err != nil {
		return nil, err
	}
	key, err := loadRSAKey(pemFile)
	if err != nil {
		return nil, err
	}
	return &vulnTLS{variant: variant, chain: chain, key: key}, nil
}

// loadRSAKey reads the first RSA private key of a PEM file (PKCS #1 or
// PKCS #8).
func loadRSAKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("%s holds no RSA private key", path)
		}
		switch blk.Type {
		case "RSA PRIVATE KEY":
			return x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, err
			}
			if rk, ok := k.(*rsa.PrivateKey); ok {
				return rk, nil
			}
			return nil, fmt.Errorf("%s: the private key is not RSA", path)
		}
	}
}

func (v *vulnTLS) handle(ctx context.Context, c net.Conn) {
	h, err := readClientHello(c)
	if err != nil {
		return
	}
	if h.v2Format || h.version < verTLS10 {
		_, _ = c.Write(alert(verSSL3, alertHandshakeFail))
		return
	}
	ver := min(h.version, verTLS12)
	suite, ok := uint16(0), false
	for _, want := range vulnSuites {
		for _, s := range h.suites {
			if s == want && (want < 0x003c || ver == verTLS12) {
				suite, ok = s, true
				break
			}
		}
		if ok {
			break
		}
	}
	if !ok || !h.nullCompression && !h.deflate {
		_, _ = c.Write(alert(ver, alertHandshakeFail))
		return
	}
	_, _ = c.Write(v.flight(ver, suite, h))
	v.afterFlight(c, ver)
}

// flight builds ServerHello, Certificate and ServerHelloDone.
func (v *vulnTLS) flight(ver, suite uint16, h *clientHello) []byte {
	var hello []byte
	hello = binary.BigEndian.AppendUint16(hello, ver)
	hello = append(hello, serverRandom()...)
	hello = append(hello, 0) // no session id
	hello = binary.BigEndian.AppendUint16(hello, suite)
	if v.variant == "crime" && h.deflate {
		hello = append(hello, 1)
	} else {
		hello = append(hello, 0)
	}
	var exts []byte
	if h.secureRenegotiation && v.variant != "crime" {
		exts = append(exts, 0xff, 0x01, 0, 1, 0)
	}
	if h.heartbeat && v.variant == "heartbleed" {
		exts = append(exts, 0, 15, 0, 1, 1)
	}
	if len(exts) > 0 {
		hello = binary.BigEndian.AppendUint16(hello, uint16(len(exts)))
		hello = append(hello, exts...)
	}
	var certs []byte
	for _, der := range v.chain {
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

// readRecord reads one record with a deadline and the size cap.
func readRecord(c net.Conn) (typ byte, payload []byte, err error) {
	hdr, err := readFull(c, 5, 10*time.Second)
	if err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint16(hdr[3:]))
	if n > maxRecord {
		return 0, nil, fmt.Errorf("record length %d", n)
	}
	payload, err = readFull(c, n, 10*time.Second)
	return hdr[0], payload, err
}

// afterFlight plays the variant's flaw on what the client sends next.
func (v *vulnTLS) afterFlight(c net.Conn, ver uint16) {
	ccsSeen, keyed := false, false
	paddingOK := true
	for range 8 {
		typ, p, err := readRecord(c)
		if err != nil {
			return
		}
		switch {
		case typ == recHeartbeat && v.variant == "heartbleed":
			if len(p) < 3 || p[0] != 1 {
				return
			}
			claim := min(int(binary.BigEndian.Uint16(p[1:3])), maxHeartbeatAnswer)
			// Copy what the request holds, then "memory" (zeros): the
			// length check that RFC 6520 requires is what is missing.
			echo := make([]byte, claim)
			copy(echo, p[3:])
			resp := append([]byte{2}, binary.BigEndian.AppendUint16(nil, uint16(claim))...)
			resp = append(resp, echo...)
			resp = append(resp, make([]byte, 16)...)
			_, _ = c.Write(record(recHeartbeat, ver, resp))
		case ccsSeen:
			// Whatever follows a ChangeCipherSpec is "encrypted" with keys
			// the client cannot have: its MAC fails.
			if !paddingOK {
				_, _ = c.Write(alert(ver, alertHandshakeFail))
				return
			}
			_, _ = c.Write(alert(ver, alertBadRecordMAC))
			return
		case typ == recChangeCipherSpec:
			if !keyed && v.variant != "ccs" {
				_, _ = c.Write(alert(ver, alertUnexpectedMsg))
				return
			}
			ccsSeen = true
		case typ == recHandshake && len(p) >= 6 && p[0] == hsClientKeyExchange:
			keyed = true
			if v.variant == "robot" {
				n := int(binary.BigEndian.Uint16(p[4:6]))
				if 6+n <= len(p) {
					paddingOK = v.checkPremaster(p[6:6+n], ver)
				}
			}
		default:
			_, _ = c.Write(alert(ver, alertUnexpectedMsg))
			return
		}
	}
}

// checkPremaster decrypts an encrypted premaster and reports whether it is
// PKCS #1 v1.5 conforming with a 48-byte secret of the right version: the
// very distinction a server must not reveal.
//
// The RSA operation is done by hand (textbook RSA, then the padding check
// in the open) because revealing that check is the point: crypto/rsa
// rightly discourages exactly this.
func (v *vulnTLS) checkPremaster(enc []byte, ver uint16) bool {
	k := v.key.Size()
	c := new(big.Int).SetBytes(enc)
	if len(enc) != k || c.Cmp(v.key.N) >= 0 {
		return false
	}
	em := new(big.Int).Exp(c, v.key.D, v.key.N).FillBytes(make([]byte, k))
	if em[0] != 0 || em[1] != 2 {
		return false
	}
	sep := bytes.IndexByte(em[2:], 0)
	if sep < 8 {
		return false
	}
	pm := em[2+sep+1:]
	return len(pm) == 48 && binary.BigEndian.Uint16(pm) == ver
}

// errVulnUsage is returned for a vuln-tls without a key.
var errVulnUsage = errors.New("usage: labd -cert PEM -variant heartbleed|ccs|robot|crime vuln-tls ADDR (PEM holds the certificate and its RSA key)")
