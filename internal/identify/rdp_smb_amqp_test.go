package identify

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/vigilsec/vigil/internal/codec/rdp"
	"github.com/vigilsec/vigil/internal/facts"
)

func TestRDPConnectionRequest(t *testing.T) {
	req := rdpConnectionRequest()
	want := "\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00"
	if string(req) != want {
		t.Errorf("request = %x, want %x", req, want)
	}
}

// rdpConfirmMsg builds a Connection Confirm with an optional negotiation
// structure.
func rdpConfirmMsg(neg []byte) []byte {
	x := append([]byte{byte(6 + len(neg)), 0xd0, 0, 0, 0x12, 0x34, 0}, neg...)
	b := []byte{3, 0, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(4+len(x)))
	return append(b, x...)
}

func TestRDPProduct(t *testing.T) {
	win := &facts.NTLMInfo{OSVersion: "10.0.20348"}
	tests := []struct {
		name             string
		c                rdp.Confirm
		ntlm             *facts.NTLMInfo
		product, version string
	}{
		{"xrdp", rdp.Confirm{Protocol: "tls", Negotiated: true, Flags: 1, SrcRef: 0x1234}, nil, "xrdp", ""},
		{"freerdp", rdp.Confirm{Protocol: "credssp", Negotiated: true, Flags: 3}, &facts.NTLMInfo{OSVersion: "6.1.7601"}, "FreeRDP", ""},
		{"windows", rdp.Confirm{Protocol: "credssp", Negotiated: true, Flags: 0x1f, SrcRef: 0x1234}, win, "Windows", "10.0.20348"},
		{"windows tls only", rdp.Confirm{Protocol: "tls", Negotiated: true, Flags: 0x1f, SrcRef: 0x1234}, nil, "", ""},
		{"build zero", rdp.Confirm{Protocol: "credssp", Negotiated: true, Flags: 0x1f, SrcRef: 0x1234}, &facts.NTLMInfo{OSVersion: "6.1.0"}, "", ""},
		{"legacy", rdp.Confirm{Protocol: "rdp", SrcRef: 0}, nil, "", ""},
	}
	for _, tt := range tests {
		p, v := rdpProduct(tt.c, tt.ntlm)
		if p != tt.product || v != tt.version {
			t.Errorf("%s: got %q %q, want %q %q", tt.name, p, v, tt.product, tt.version)
		}
	}
}

func TestSMBProduct(t *testing.T) {
	tests := []struct {
		name, lanman, os string
		ntlm             *facts.NTLMInfo
		product, version string
	}{
		{"samba smb1", "Samba 4.17.12-Debian", "Windows 6.1", nil, "Samba", "4.17.12"},
		{"samba ntlm", "", "", &facts.NTLMInfo{OSVersion: "6.1.0"}, "Samba", ""},
		{"windows", "", "", &facts.NTLMInfo{OSVersion: "10.0.17763"}, "Windows", "10.0.17763"},
		{"windows smb1", "Windows Server 2003 5.2", "Windows Server 2003 3790 Service Pack 2", nil, "Windows", ""},
		{"nothing", "", "", nil, "", ""},
	}
	for _, tt := range tests {
		p, v := smbProduct(tt.lanman, tt.os, tt.ntlm)
		if p != tt.product || v != tt.version {
			t.Errorf("%s: got %q %q, want %q %q", tt.name, p, v, tt.product, tt.version)
		}
	}
}

// smbResponse builds an SMB2 NEGOTIATE response.
func smbResponse(status uint32, mode, dialect uint16) []byte {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64)
	binary.LittleEndian.PutUint32(h[8:], status)
	binary.LittleEndian.PutUint32(h[16:], 1) // SERVER_TO_REDIR
	body := make([]byte, 64)
	binary.LittleEndian.PutUint16(body, 65)
	binary.LittleEndian.PutUint16(body[2:], mode)
	binary.LittleEndian.PutUint16(body[4:], dialect)
	m := append(h, body...)
	return append([]byte{0, 0, byte(len(m) >> 8), byte(len(m))}, m...)
}

func TestSMB2Negotiate(t *testing.T) {
	req := smb2Negotiate([16]byte{1}, [32]byte{2})
	n := int(req[1])<<16 | int(req[2])<<8 | int(req[3])
	if n != len(req)-4 || string(req[4:8]) != "\xfeSMB" {
		t.Fatalf("framing: %d vs %d", n, len(req)-4)
	}
	body := req[4+64:]
	if binary.LittleEndian.Uint16(body) != 36 || binary.LittleEndian.Uint16(body[2:]) != 5 {
		t.Errorf("negotiate header %x", body[:8])
	}
	off := binary.LittleEndian.Uint32(body[28:])
	if off%8 != 0 || int(off) >= n || binary.LittleEndian.Uint16(req[4+off:]) != 1 {
		t.Errorf("negotiate context at %d", off)
	}
}

func TestParseSMBNegotiate(t *testing.T) {
	tests := []struct {
		name             string
		in               []byte
		ok               bool
		dialect, signing string
	}{
		{"311 signing enabled", smbResponse(0, 1, 0x0311), true, "3.1.1", "enabled"},
		{"210 required", smbResponse(0, 3, 0x0210), true, "2.1", "required"},
		{"unknown dialect", smbResponse(0, 0, 0x0399), true, "0x0399", "disabled"},
		{"smb1", append([]byte{0, 0, 0, 8}, "\xffSMBrest"...), true, "1", ""},
		{"error", append(append([]byte{0, 0, 0, 73}, smbResponse(0xc0000022, 0, 0)[4:4+64]...), 9, 0, 0, 0, 0, 0, 0, 0, 0), true, "", ""},
		{"cut", smbResponse(0, 1, 0x0311)[:40], false, "", ""},
		{"not smb", append([]byte{0, 0, 0, 4}, "HTTP"...), false, "", ""},
		{"netbios type", []byte{0x82, 0, 0, 0}, false, "", ""},
	}
	for _, tt := range tests {
		a, err := parseSMBNegotiate(tt.in)
		if (err == nil) != tt.ok || a.dialect != tt.dialect || a.signing != tt.signing {
			t.Errorf("%s: got %+v, %v", tt.name, a, err)
		}
	}
}

// amqpStartFrame builds Connection.Start with server-properties.
func amqpStartFrame(props map[string]string) []byte {
	var tbl []byte
	for k, v := range props {
		tbl = append(append(append(tbl, byte(len(k))), k...), 'S')
		tbl = binary.BigEndian.AppendUint32(tbl, uint32(len(v)))
		tbl = append(tbl, v...)
	}
	// a nested table and a boolean, as RabbitMQ sends under capabilities
	nested := append([]byte{9}, "publisher"...)
	nested = append(nested, 't', 1)
	tbl = append(append(tbl, 12), "capabilities"...)
	tbl = append(tbl, 'F')
	tbl = binary.BigEndian.AppendUint32(tbl, uint32(len(nested)))
	tbl = append(tbl, nested...)
	p := []byte{0, 10, 0, 10, 0, 9}
	p = binary.BigEndian.AppendUint32(p, uint32(len(tbl)))
	p = append(p, tbl...)
	p = binary.BigEndian.AppendUint32(p, 14)
	p = append(p, "AMQPLAIN PLAIN"...)
	p = binary.BigEndian.AppendUint32(p, 5)
	p = append(p, "en_US"...)
	f := []byte{1, 0, 0}
	f = binary.BigEndian.AppendUint32(f, uint32(len(p)))
	return append(append(f, p...), 0xce)
}

func TestParseAMQPStart(t *testing.T) {
	frame := amqpStartFrame(map[string]string{"product": "RabbitMQ", "version": "3.12.1", "platform": "Erlang/OTP 25"})
	if !amqpComplete(frame) || amqpComplete(frame[:20]) {
		t.Error("amqpComplete")
	}
	st, err := parseAMQPStart(frame)
	if err != nil || st.version != "0-9-1" || st.properties["product"] != "RabbitMQ" || st.properties["version"] != "3.12.1" || st.mechanisms != "AMQPLAIN PLAIN" {
		t.Errorf("got %+v, %v", st, err)
	}
	if st, err := parseAMQPStart([]byte("AMQP\x00\x01\x00\x00")); err != nil || st.version != "1.0.0" {
		t.Errorf("AMQP 1.0 header: %+v %v", st, err)
	}
	for _, bad := range [][]byte{frame[:len(frame)-1], append(frame[:len(frame)-1], 0), []byte("HTTP/1.1 400"), {1, 0, 0, 0, 0, 0, 2, 0, 10, 0xce}, amqpHeader, append(slices.Clone(amqpHeader), "AMQP\x00\x00\x09\x01"...)} {
		if _, err := parseAMQPStart(bad); err == nil {
			t.Errorf("parseAMQPStart(%q) succeeded", bad)
		}
	}
}

func FuzzParseSMBNegotiate(f *testing.F) {
	f.Add(smbResponse(0, 1, 0x0311))
	f.Add(append([]byte{0, 0, 0, 8}, "\xffSMBrest"...))
	f.Fuzz(func(t *testing.T, b []byte) {
		nbComplete(b)
		parseSMBNegotiate(b)
	})
}

func FuzzParseAMQPStart(f *testing.F) {
	f.Add(amqpStartFrame(map[string]string{"product": "RabbitMQ", "version": "3.12.1"}))
	f.Add([]byte("AMQP\x00\x01\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		amqpComplete(b)
		parseAMQPStart(b)
	})
}
