package identify

import (
	"crypto/tls"
	"testing"
)

func TestLooksTLS(t *testing.T) {
	hello := make([]byte, 38+32)
	hello[0], hello[1] = 3, 1
	hs := append([]byte{2, 0, 0, byte(len(hello))}, hello...)
	rec := append([]byte{0x16, 3, 1, 0, byte(len(hs))}, hs...)
	flight := append([]byte{0x16, 3, 1, 0x04, 0x00}, hs...) // more handshake messages follow in the record
	tests := []struct {
		in   []byte
		want bool
	}{
		{rec, true},                             // a whole ServerHello record
		{flight, true},                          // ServerHello, Certificate, … in one record
		{[]byte{0x15, 3, 0, 0, 2, 2, 40}, true}, // SSLv3 fatal alert
		{rec[:len(rec)/2], false},               // ServerHello cut in half
		{[]byte{0x16, 3, 3, 0x40, 0, 2, 0xff, 0xff, 0xff, 3, 3}, false}, // claims 16 MiB
		{[]byte{0x15, 3, 0, 0, 2, 9, 40}, false},
		{[]byte{0x16, 3, 3, 0, 4, 11, 0, 0, 0}, false}, // not a ServerHello
		{[]byte{0x17, 3, 3, 0, 1, 0}, false},
		{[]byte("HTTP/1.1 400"), false},
		{[]byte{0x16, 3}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := looksTLS(tt.in); got != tt.want {
			t.Errorf("looksTLS(%x) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestTLSConfig(t *testing.T) {
	c := tlsConfig("")
	if !c.InsecureSkipVerify || c.MinVersion != tls.VersionTLS10 || len(c.NextProtos) != 0 {
		t.Errorf("config %+v", c)
	}
	has := func(id uint16) bool {
		for _, s := range c.CipherSuites {
			if s == id {
				return true
			}
		}
		return false
	}
	// Static-RSA and 3DES suites are off by default in Go; old servers
	// offer nothing else.
	if !has(tls.TLS_RSA_WITH_AES_128_CBC_SHA) || !has(tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA) {
		t.Error("legacy suites missing")
	}
	if tlsVersionName(tls.VersionTLS12) != "TLS1.2" || tlsVersionName(tls.VersionTLS13) != "TLS1.3" {
		t.Error("version names")
	}
}

func FuzzLooksTLS(f *testing.F) {
	f.Add([]byte{0x15, 3, 0, 0, 2, 2, 40})
	f.Add([]byte{0x16, 3, 3, 0x40, 0, 2, 0xff, 0xff, 0xff, 3, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		looksTLS(b)
	})
}
