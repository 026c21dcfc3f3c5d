package rdp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"testing"
)

func TestConnectionRequest(t *testing.T) {
	want := "\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00"
	if got := ConnectionRequest(ProtocolSSL | ProtocolHybrid); string(got) != want {
		t.Errorf("request = %x, want %x", got, want)
	}
	if got := ConnectionRequest(ProtocolRDP); got[15] != 0 || len(got) != 19 {
		t.Errorf("RDP-only request = %x", got)
	}
}

// confirm builds a Connection Confirm with source reference src and an
// optional negotiation structure.
func confirm(src uint16, neg []byte) []byte {
	x := append([]byte{byte(6 + len(neg)), 0xd0, 0, 0, byte(src >> 8), byte(src), 0}, neg...)
	b := []byte{3, 0, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(4+len(x)))
	return append(b, x...)
}

func TestParseConfirm(t *testing.T) {
	tests := []struct {
		name              string
		in                []byte
		ok                bool
		protocol, failure string
		flags             byte
		src               uint16
		negotiated        bool
	}{
		{"xrdp tls", confirm(0x1234, []byte{2, 1, 8, 0, 1, 0, 0, 0}), true, "tls", "", 1, 0x1234, true},
		{"freerdp credssp", confirm(0, []byte{2, 3, 8, 0, 2, 0, 0, 0}), true, "credssp", "", 3, 0, true},
		{"hybrid required", confirm(0, []byte{3, 0, 8, 0, 5, 0, 0, 0}), true, "", "hybrid-required", 0, 0, true},
		{"unknown failure", confirm(0, []byte{3, 0, 8, 0, 9, 0, 0, 0}), true, "", "9", 0, 0, true},
		{"unknown protocol", confirm(0, []byte{2, 0, 8, 0, 0x20, 0, 0, 0}), true, "32", "", 0, 0, true},
		{"legacy", confirm(0x1234, nil), true, "rdp", "", 0, 0x1234, false},
		{"bad neg type", confirm(0, []byte{9, 0, 8, 0, 5, 0, 0, 0}), false, "", "", 0, 0, false},
		{"connection request", ConnectionRequest(3), false, "", "", 0, 0, false},
		{"cut", confirm(0, []byte{2, 0, 8, 0, 1, 0, 0, 0})[:12], false, "", "", 0, 0, false},
		{"bad li", []byte{3, 0, 0, 11, 0x40, 0xd0, 0, 0, 0, 0, 0}, false, "", "", 0, 0, false},
		{"not tpkt", []byte("HTTP/1.1 400 Bad"), false, "", "", 0, 0, false},
		// What the lab's servers sent (also in testdata/fuzz).
		{"real xrdp", hexBytes("030000130ed000001234000201080001000000"), true, "tls", "", 1, 0x1234, true},
		{"real xrdp, no negotiation asked", hexBytes("0300000b06d00000123400"), true, "rdp", "", 0, 0x1234, false},
		{"real freerdp", hexBytes("030000130ed000000000000203080002000000"), true, "credssp", "", 3, 0, true},
		{"real freerdp, TLS alone", hexBytes("030000130ed000000000000300080005000000"), true, "", "hybrid-required", 0, 0, true},
	}
	for _, tt := range tests {
		c, err := ParseConfirm(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("%s: error %v", tt.name, err)
			continue
		}
		if c.Protocol != tt.protocol || c.Failure != tt.failure || c.Flags != tt.flags || c.SrcRef != tt.src || c.Negotiated != tt.negotiated {
			t.Errorf("%s: got %+v", tt.name, c)
		}
	}
	if a := (Confirm{Failure: "hybrid-required"}).Answer(); a != "hybrid-required" {
		t.Errorf("Answer = %q", a)
	}
	if a := (Confirm{Protocol: "tls"}).Answer(); a != "tls" {
		t.Errorf("Answer = %q", a)
	}
}

func hexBytes(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestComplete(t *testing.T) {
	c := confirm(0, []byte{2, 0, 8, 0, 1, 0, 0, 0})
	if !Complete(c) || Complete(c[:10]) || Complete(c[:3]) || !Complete([]byte("HTTP")) {
		t.Error("Complete")
	}
}

func TestTSRequest(t *testing.T) {
	tok := bytes.Repeat([]byte{'N'}, 40)
	b := TSRequest(tok)
	want := []byte{0x30, 0x37, 0xa0, 0x03, 0x02, 0x01, 0x02, 0xa1, 0x30, 0x30, 0x2e, 0x30, 0x2c, 0xa0, 0x2a, 0x04, 0x28}
	if !bytes.HasPrefix(b, want) || !bytes.HasSuffix(b, tok) || len(b) != len(want)+len(tok) {
		t.Errorf("TSRequest = %x", b)
	}
	if !TSComplete(b) || TSComplete(b[:len(b)-1]) || TSComplete(b[:1]) {
		t.Error("TSComplete on a short request")
	}
	long := TSRequest(bytes.Repeat([]byte{1}, 300))
	if long[1] != 0x82 || !TSComplete(long) || TSComplete(long[:200]) {
		t.Errorf("long TSRequest header %x", long[:4])
	}
	if !TSComplete([]byte{0x02, 0x01}) {
		t.Error("a non-SEQUENCE answer is complete")
	}
}

func FuzzParseConfirm(f *testing.F) {
	f.Add(confirm(0x1234, []byte{2, 1, 8, 0, 1, 0, 0, 0}))
	f.Add(confirm(0, []byte{3, 0, 8, 0, 5, 0, 0, 0}))
	f.Add(confirm(0, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		Complete(b)
		TSComplete(b)
		c, err := ParseConfirm(b)
		if err == nil && c.Protocol == "" && c.Failure == "" {
			t.Errorf("parsed %x without protocol or failure", b)
		}
	})
}
