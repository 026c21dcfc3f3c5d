package auditconn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
)

func TestTimeout(t *testing.T) {
	d, err := dialer.New(dialer.Config{Concurrency: 4, Timeout: 700 * time.Millisecond}, func(netip.Addr) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		d    *dialer.Dialer
		in   time.Duration
		want time.Duration
	}{
		{d, 2 * time.Second, 2 * time.Second},
		{d, 0, 700 * time.Millisecond},
		{nil, 0, DefaultTimeout},
	}
	for _, tt := range tests {
		if got := Timeout(tt.d, tt.in); got != tt.want {
			t.Errorf("Timeout(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestDial: plain TCP as it is; TLS from the first byte with any
// certificate (the TLS audit judges it); a port that does not speak TLS
// fails with the address in the error.
func TestDial(t *testing.T) {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = c.(*tls.Conn).Handshake(); _ = c.Close() }()
		}
	}()
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	go func() {
		for {
			c, err := plain.Accept()
			if err != nil {
				return
			}
			defer c.Close() // silent: never answers a ClientHello
		}
	}()
	d, err := dialer.New(dialer.Config{Concurrency: 4, Timeout: time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	c, err := Dial(t.Context(), d, addr, time.Second, true, "")
	if err != nil {
		t.Fatalf("TLS port: %v", err)
	}
	if _, ok := c.(*tls.Conn); !ok {
		t.Errorf("TLS port gave a %T", c)
	}
	c.Close()
	paddr := netip.MustParseAddrPort(plain.Addr().String())
	if c, err := Dial(t.Context(), d, paddr, time.Second, false, ""); err != nil {
		t.Errorf("plain port: %v", err)
	} else {
		c.Close()
	}
	if _, err := Dial(t.Context(), d, paddr, 300*time.Millisecond, true, ""); err == nil || !strings.Contains(err.Error(), paddr.String()) {
		t.Errorf("a silent port's handshake: %v, want an error naming %s", err, paddr)
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
