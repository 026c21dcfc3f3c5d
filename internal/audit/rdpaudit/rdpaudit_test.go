package rdpaudit

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
)

// confirm is a Connection Confirm with an RDP_NEG_RSP (typ 2) or
// RDP_NEG_FAILURE (typ 3) carrying v.
func confirm(typ byte, v uint32) []byte {
	neg := []byte{typ, 0, 8, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(neg[4:], v)
	x := append([]byte{14, 0xd0, 0, 0, 0x12, 0x34, 0}, neg...)
	return append([]byte{3, 0, 0, byte(4 + len(x))}, x...)
}

// serve answers each Connection Request with answer(requested protocols),
// or closes the connection when it returns nil.
func serve(t *testing.T, answer func(uint32) []byte) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				b := make([]byte, 19)
				if _, err := c.Read(b); err != nil {
					return
				}
				if a := answer(binary.LittleEndian.Uint32(b[15:])); a != nil {
					_, _ = c.Write(a)
				}
			}()
		}
	}()
	return netip.MustParseAddrPort(ln.Addr().String())
}

func TestAudit(t *testing.T) {
	d, err := dialer.New(dialer.Config{Concurrency: 4, Timeout: time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		answer   func(uint32) []byte
		tls, rdp string
		errs     bool
		without  bool
	}{
		{"nla required", func(uint32) []byte { return confirm(3, 5) }, "hybrid-required", "hybrid-required", false, false},
		{"tls and rdp", func(p uint32) []byte { return confirm(2, p) }, "tls", "rdp", false, true},
		{"tls only", func(p uint32) []byte {
			if p == 0 {
				return confirm(3, 1) // SSL_REQUIRED_BY_SERVER
			}
			return confirm(2, p)
		}, "tls", "ssl-required", false, true},
		{"closes", func(uint32) []byte { return nil }, "", "", true, false},
		{"garbage", func(uint32) []byte { return []byte("HTTP/1.1 400 Bad Request\r\n\r\n") }, "", "", true, false},
	}
	for _, tt := range tests {
		s := &facts.Service{Port: 3389, Transport: facts.TCP, Name: "rdp"}
		err := Audit(t.Context(), d, serve(t, tt.answer), s, Options{})
		if (err != nil) != tt.errs {
			t.Errorf("%s: error %v", tt.name, err)
		}
		if s.RDP.TLSOnly != tt.tls || s.RDP.RDPOnly != tt.rdp {
			t.Errorf("%s: %+v, want %q %q", tt.name, s.RDP, tt.tls, tt.rdp)
		}
		accepts, ok := s.RDP.AcceptsWithoutNLA()
		if accepts != tt.without || ok == tt.errs {
			t.Errorf("%s: AcceptsWithoutNLA %v %v", tt.name, accepts, ok)
		}
	}
	if err := Audit(t.Context(), d, netip.MustParseAddrPort("127.0.0.1:1"), &facts.Service{Name: "smb", Transport: facts.TCP}, Options{}); err != nil {
		t.Errorf("an SMB service was audited: %v", err)
	}
}
