package tlsaudit

import (
	"bytes"
	"encoding/binary"
	"math/big"
	"slices"
	"strings"
	"testing"
)

// dheSKE builds a DHE ServerKeyExchange body with a prime of the given
// bytes (top bit set), generator 2, and a one-byte public value.
func dheSKE(primeBytes int) []byte {
	p := bytes.Repeat([]byte{0xff}, primeBytes)
	var b []byte
	b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
	b = append(b, p...)
	b = append(b, 0, 1, 2, 0, 1, 5)
	return append(b, 0x04, 0x01, 0, 2, 0xaa, 0xbb) // signature, ignored
}

func TestDHPrimeBits(t *testing.T) {
	for _, c := range []struct {
		ske  []byte
		bits int
		ok   bool
	}{
		{dheSKE(128), 1024, true},
		{dheSKE(256), 2048, true},
		{append([]byte{0, 3, 0, 1, 0}, 0, 1, 2, 0, 1, 5), 9, true}, // leading zero byte
		{nil, 0, false},
		{[]byte{0, 200, 1}, 0, false},
		{[]byte{0, 0, 0, 1, 2, 0, 1, 5}, 0, false}, // empty prime
	} {
		bits, err := dhPrimeBits(c.ske)
		if (err == nil) != c.ok || bits != c.bits {
			t.Errorf("dhPrimeBits(% x…) = %d, %v; want %d, ok %v", c.ske[:min(len(c.ske), 6)], bits, err, c.bits, c.ok)
		}
	}
}

// flightOf is a TLS 1.2 first flight: ServerHello with exts, then msgs.
func flightOf(exts []extension, msgs ...[]byte) []byte {
	hs := handshakeOf(hsServerHello, serverHelloBody(0x0303, nil, 0x009E, exts...))
	for _, m := range msgs {
		hs = append(hs, m...)
	}
	return recordOf(recHandshake, 0x0303, hs)
}

func TestScanFlight(t *testing.T) {
	full := flightOf([]extension{{extRenegotiationInfo, []byte{0}}, {extStatusRequest, nil}},
		handshakeOf(hsCertificate, certificateBody([]byte("leaf"))),
		handshakeOf(hsServerKeyExch, dheSKE(128)),
		handshakeOf(hsCertStatus, []byte{1, 0, 0, 1, 0}),
		handshakeOf(hsServerHelloDone, nil))
	f, final := scanFlight(full)
	if !final || f.err != nil || f.hello == nil || !f.done || !f.certStatus || len(f.certs) != 1 || f.ske == nil {
		t.Fatalf("full flight: final %v, %+v", final, f)
	}
	if !slices.Contains(f.hello.Extensions, extRenegotiationInfo) {
		t.Errorf("extensions %v lack renegotiation_info", f.hello.Extensions)
	}
	if bits, _ := dhPrimeBits(f.ske); bits != 1024 {
		t.Errorf("DH bits %d", bits)
	}
	// Every prefix is undecided, never an error.
	for n := 0; n < len(full); n++ {
		if f, final := scanFlight(full[:n]); final || f.err != nil {
			t.Fatalf("prefix of %d bytes: final %v err %v", n, final, f.err)
		}
	}
	if f, final := scanFlight(recordOf(recAlert, 0x0303, []byte{2, 40})); !final || f.alert == nil || f.alert.Description != 40 {
		t.Errorf("alert: final %v, %+v", final, f)
	}
	if f, final := scanFlight(recordOf(recHandshake, 0x0303, handshakeOf(hsCertificate, certificateBody([]byte("x"))))); !final || f.err == nil {
		t.Errorf("certificate first: final %v, %+v", final, f)
	}
	if f, final := scanFlight([]byte("HTTP/1.1 400 Bad Request\r\n")); !final || f.err == nil {
		t.Errorf("HTTP: final %v, %+v", final, f)
	}
}

func TestParseHTTPHead(t *testing.T) {
	for _, c := range []struct {
		in, status, enc string
		ok              bool
	}{
		{"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\nbody", "200", "gzip", true},
		{"HTTP/1.0 301 Moved\r\ncontent-encoding:  DEFLATE \r\n\r\n", "301", "deflate", true},
		{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", "200", "", true},
		{"HTTP/1.1 200 OK\r\n", "", "", false},
		{"SSH-2.0-x\r\n\r\n", "", "", false},
		{"HTTP/1.1 2x0 OK\r\n\r\n", "", "", false},
		{"HTTP/1.1 200 OK\r\nContent-Encoding: \x1b[31mgzip\r\n\r\n", "200", "", true},
	} {
		status, enc, ok := parseHTTPHead([]byte(c.in))
		if ok != c.ok || status != c.status || (c.enc != "" && enc != c.enc) || strings.ContainsRune(enc, 0x1b) {
			t.Errorf("parseHTTPHead(%q) = %q, %q, %v; want %q, %q, %v", c.in, status, enc, ok, c.status, c.enc, c.ok)
		}
	}
}

// TestRobotMessages: only the well-formed variant is PKCS #1 v1.5
// conforming with a 48-byte premaster of the right version.
func TestRobotMessages(t *testing.T) {
	const k = 256
	for i, name := range robotVariants {
		m := robotMessage(i, k, 0x0303)
		if len(m) != k {
			t.Fatalf("%s: %d bytes", name, len(m))
		}
		conforming := m[0] == 0 && m[1] == 2
		sep := -1
		if conforming {
			sep = bytes.IndexByte(m[2:], 0)
			conforming = sep >= 8
		}
		good := conforming && k-(sep+3) == 48 && binary.BigEndian.Uint16(m[sep+3:]) == 0x0303
		if good != (i == 0) {
			t.Errorf("%s: well-formed = %v", name, good)
		}
		if new(big.Int).SetBytes(m).BitLen() > 8*k {
			t.Errorf("%s: message larger than the modulus", name)
		}
	}
}

func FuzzScanFlight(f *testing.F) {
	f.Add(flightOf(nil, handshakeOf(hsServerHelloDone, nil)))
	f.Add(flightOf([]extension{{extHeartbeat, []byte{1}}}, handshakeOf(hsServerKeyExch, dheSKE(64)), handshakeOf(hsServerHelloDone, nil)))
	f.Add(recordOf(recAlert, 0x0303, []byte{2, 10}))
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, final := scanFlight(b)
		if fl.done && fl.hello == nil {
			t.Error("ServerHelloDone without ServerHello")
		}
		if !final && (fl.err != nil || fl.alert != nil) {
			t.Error("undecided flight with an error or alert")
		}
		if len(fl.certs) > maxChainCerts {
			t.Errorf("%d certificates kept", len(fl.certs))
		}
	})
}

func FuzzDHPrimeBits(f *testing.F) {
	f.Add(dheSKE(128))
	f.Add([]byte{0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		bits, err := dhPrimeBits(b)
		if err == nil && (bits <= 0 || bits > 8*len(b)) {
			t.Errorf("%d bits from %d bytes", bits, len(b))
		}
	})
}

func FuzzHTTPHead(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n"))
	f.Add([]byte("\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		status, enc, ok := parseHTTPHead(b)
		if ok && len(status) != 3 {
			t.Errorf("status %q", status)
		}
		for _, r := range enc {
			if r < 0x20 || r == 0x7f {
				t.Errorf("control character in %q", enc)
			}
		}
	})
}
