package tlsaudit

import (
	"slices"
	"testing"
)

// Every parser of server bytes is fuzzed: none may panic, and each must keep
// its own invariants on any input.

func FuzzServerHello(f *testing.F) {
	f.Add(serverHelloBody(0x0303, nil, 0xC02F))
	f.Add(serverHelloBody(0x0303, nil, 0x1301, extension{extSupportedVersions, u16(0x0304)}))
	f.Add(serverHelloBody(0x0303, helloRetryRandom, 0x1302, extension{extSupportedVersions, u16(0x0304)}, extension{extKeyShare, u16(0x0017)}))
	f.Add([]byte{3, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseServerHello(b)
		if err == nil && len(h.SessionID) > 32 {
			t.Errorf("accepted a %d-byte session id", len(h.SessionID))
		}
	})
}

func FuzzAlert(f *testing.F) {
	f.Add([]byte{2, 40})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseAlert(b)
		if err == nil && a.String() == "" {
			t.Error("empty alert text")
		}
	})
}

func FuzzCertificateMessage(f *testing.F) {
	f.Add(certificateBody([]byte("leaf"), []byte("ca")))
	f.Add(certificateBody())
	f.Add(u24(100))
	f.Fuzz(func(t *testing.T, b []byte) {
		certs, err := parseCertificateMsg(b)
		if err == nil && len(certs) > maxChainCerts {
			t.Errorf("kept %d certificates", len(certs))
		}
	})
}

func FuzzSSLv2ServerHello(f *testing.F) {
	f.Add(ssl2ServerHelloMsg([]byte("cert"), 0x010080, 0x0700C0))
	f.Add([]byte{4, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseSSLv2ServerHello(b)
		if err == nil && len(h.Certificate)+3*len(h.Kinds) > len(b) {
			t.Error("parsed more than the message holds")
		}
	})
}

func FuzzSSLv2Record(f *testing.F) {
	f.Add(ssl2Record(ssl2ServerHelloMsg([]byte("c"), 0x010080)))
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		msg, complete, err := parseSSLv2Record(b)
		if complete && (err != nil || len(msg) > len(b)) {
			t.Error("inconsistent result")
		}
	})
}

func FuzzRecords(f *testing.F) {
	f.Add(recordOf(recHandshake, 0x0303, []byte{1, 2, 3}))
	f.Add([]byte("HTTP/1.1 200 OK\r\n"))
	f.Add([]byte{22, 3, 3, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, rest, err := parseRecords(b)
		total := len(rest)
		for _, r := range recs {
			if len(r.payload) > maxRecordLen {
				t.Errorf("record of %d bytes", len(r.payload))
			}
			total += recordHeaderLen + len(r.payload)
		}
		if err == nil && total != len(b) {
			t.Errorf("records and rest cover %d of %d bytes", total, len(b))
		}
	})
}

func FuzzHandshakes(f *testing.F) {
	f.Add(handshakeOf(hsServerHello, serverHelloBody(0x0303, nil, 0xC02F)))
	f.Add([]byte{11, 0x10, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, rest, err := parseHandshakes(b)
		if err != nil {
			return
		}
		total := len(rest)
		for _, m := range msgs {
			total += 4 + len(m.body)
		}
		if total != len(b) {
			t.Errorf("messages and rest cover %d of %d bytes", total, len(b))
		}
	})
}

// FuzzScanAnswer drives the whole answer scanner, with and without the
// certificate, and checks that what it decides stays decided as more
// bytes arrive (the reader stops at the first final answer).
func FuzzScanAnswer(f *testing.F) {
	sh := handshakeOf(hsServerHello, serverHelloBody(0x0303, nil, 0xC02F))
	cert := handshakeOf(hsCertificate, certificateBody([]byte("leaf")))
	f.Add(recordOf(recHandshake, 0x0303, append(append(slices.Clone(sh), cert...), handshakeOf(hsServerHelloDone, nil)...)), true)
	f.Add(recordOf(recAlert, 0x0303, []byte{2, 40}), false)
	f.Add(ssl2Record(ssl2ServerHelloMsg([]byte("c"), 0x010080)), true)
	f.Add([]byte("garbage"), false)
	f.Fuzz(func(t *testing.T, b []byte, wantCert bool) {
		a, final := scanAnswer(b, wantCert)
		if a.hello != nil && a.ssl2 != nil {
			t.Error("both a TLS and an SSLv2 hello")
		}
		if len(a.certs) > maxChainCerts {
			t.Errorf("%d certificates", len(a.certs))
		}
		if !final && a.err != nil {
			t.Errorf("error %v but not final", a.err)
		}
	})
}

func FuzzIMAPTagged(f *testing.F) {
	f.Add([]byte("* OK\r\nV1 OK go\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, complete, err := parseIMAPTagged(b, imapTag)
		if complete && st != "OK" && st != "NO" && st != "BAD" {
			t.Errorf("status %q", st)
		}
		if complete && err != nil {
			t.Error("complete with error")
		}
	})
}

func FuzzPOP3Status(f *testing.F) {
	f.Add([]byte("+OK ready\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ok, err := parsePOP3Status(b)
		if ok && err != nil {
			t.Error("ok with error")
		}
	})
}

func FuzzPGSSLReply(f *testing.F) {
	f.Add([]byte("S"))
	f.Add([]byte("E\x00\x00\x00\x10"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ok, err := parsePGSSLReply(b)
		if ok && (err != nil || len(b) != 1 || b[0] != 'S') {
			t.Error("accepted something other than 'S'")
		}
	})
}

func FuzzMySQLHandshake(f *testing.F) {
	f.Add(mysqlGreeting("8.0.36", 0xffff, 0x81ff))
	f.Add([]byte{0x05, 0, 0, 0, 0xff, 0x6a, 0x04, 'x', 'y'})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, complete, err := parseMySQLHandshake(b)
		if complete && err != nil {
			t.Error("complete with error")
		}
		if len(h.ServerVersion) > 4*80+8 {
			t.Errorf("server version of %d bytes kept", len(h.ServerVersion))
		}
	})
}
