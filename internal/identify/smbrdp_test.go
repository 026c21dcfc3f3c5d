package identify

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"net"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/vigilsec/vigil/internal/codec/rdp"
	"github.com/vigilsec/vigil/internal/codec/smb"
)

// windowsChallenge is an NTLM CHALLENGE as Windows Server 2022 sends it:
// Version 10.0 build 20348, names in the target information.
func windowsChallenge() []byte {
	var info []byte
	for _, p := range []struct {
		id uint16
		v  string
	}{{2, "CORP"}, {1, "FS1"}, {4, "corp.example"}, {3, "fs1.corp.example"}} {
		var u []byte
		for _, c := range utf16.Encode([]rune(p.v)) {
			u = binary.LittleEndian.AppendUint16(u, c)
		}
		info = binary.LittleEndian.AppendUint16(info, p.id)
		info = binary.LittleEndian.AppendUint16(info, uint16(len(u)))
		info = append(info, u...)
	}
	info = append(info, 0, 0, 0, 0)
	b := []byte("NTLMSSP\x00\x02\x00\x00\x00")
	b = append(b, 0, 0, 0, 0, 56, 0, 0, 0)
	b = binary.LittleEndian.AppendUint32(b, 0xe28a8215)
	b = append(b, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(info)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(info)))
	b = binary.LittleEndian.AppendUint32(b, 56)
	b = append(b, 10, 0, 0x7c, 0x4f, 0, 0, 0, 15)
	return append(b, info...)
}

// readMsg reads one whole message that complete recognises.
func readMsg(c net.Conn, complete func([]byte) bool) []byte {
	var buf []byte
	chunk := make([]byte, 4096)
	for !complete(buf) {
		n, err := c.Read(chunk)
		if err != nil {
			return nil
		}
		buf = append(buf, chunk[:n]...)
	}
	return buf
}

// windowsSMB answers an SMB2 NEGOTIATE (signing required, 3.1.1) and the
// NTLM NEGOTIATE of a SESSION_SETUP like Windows; it resets an SMBv1
// NEGOTIATE, as Windows with SMBv1 removed does.
func windowsSMB(_ context.Context, c net.Conn) {
	for {
		m := readMsg(c, nbComplete)
		if len(m) < 4+64 || m[0] != 0 {
			if len(m) > 8 && m[4] == 0xff {
				if tc, ok := c.(*net.TCPConn); ok {
					_ = tc.SetLinger(0)
				}
			}
			return // another probe, or SMBv1: reset
		}
		switch binary.LittleEndian.Uint16(m[4+12:]) {
		case smb.CmdNegotiate:
			_, _ = c.Write(smbResponse(0, 3, 0x0311))
		case smb.CmdSessionSetup:
			ch := windowsChallenge()
			h := make([]byte, 64)
			copy(h, "\xfeSMB")
			binary.LittleEndian.PutUint16(h[4:], 64)
			binary.LittleEndian.PutUint32(h[8:], smb.StatusMoreProcessingRequired)
			binary.LittleEndian.PutUint16(h[12:], smb.CmdSessionSetup)
			binary.LittleEndian.PutUint32(h[16:], 1)
			body := []byte{9, 0, 0, 0, 72, 0, byte(len(ch)), 0}
			_, _ = c.Write(smb.Frame(append(append(h, body...), ch...)))
		default:
			return
		}
	}
}

// netbiosSession wraps a handler in the NetBIOS session service: a
// message before a SESSION REQUEST gets a NEGATIVE SESSION RESPONSE
// (called name not present), as Windows answers on port 139.
func netbiosSession(inner func(context.Context, net.Conn)) func(context.Context, net.Conn) {
	return func(ctx context.Context, c net.Conn) {
		m := readMsg(c, func(b []byte) bool { return len(b) >= 4 && len(b) >= 4+int(b[3]) })
		if len(m) < 4 || m[0] != 0x81 {
			_, _ = c.Write([]byte{0x83, 0, 0, 1, 0x82})
			return
		}
		_, _ = c.Write([]byte{0x82, 0, 0, 0})
		inner(ctx, c)
	}
}

func TestTCPWindowsSMBOverNetBIOS(t *testing.T) {
	srv := serveTCP(t, netbiosSession(windowsSMB))
	s := TCP(t.Context(), newDialer(t), srv.addr, Options{Timeout: 2 * time.Second})
	if s.Name != "smb" || s.Product != "Windows" || s.SMB == nil || !s.SMB.NetBIOSSession || s.SMB.SMB1 == nil || *s.SMB.SMB1 {
		t.Errorf("got %q %q, facts %+v", s.Name, s.Product, s.SMB)
	}
}

func TestTCPWindowsSMB(t *testing.T) {
	srv := serveTCP(t, windowsSMB)
	s := TCP(t.Context(), newDialer(t), srv.addr, Options{Timeout: 2 * time.Second})
	f := s.SMB
	if s.Name != "smb" || s.Product != "Windows" || s.Version != "10.0.20348" || f == nil {
		t.Fatalf("got %q %q %q, facts %+v", s.Name, s.Product, s.Version, f)
	}
	if f.Signing != "required" || f.Dialect != "3.1.1" || f.SMB1 == nil || *f.SMB1 || f.NTLM == nil ||
		f.NTLM.NetBIOSName != "FS1" || f.NTLM.DNSDomain != "corp.example" || f.NTLM.DNSName != "fs1.corp.example" {
		t.Errorf("facts %+v ntlm %+v", f, f.NTLM)
	}
}

// windowsRDP answers a Connection Request by selecting CredSSP like
// Windows (source reference 0x1234, flags 0x1f), then, inside TLS, a
// TSRequest with the CHALLENGE.
func windowsRDP(t *testing.T) func(context.Context, net.Conn) {
	cfg := &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	return func(ctx context.Context, c net.Conn) {
		if m := readMsg(c, rdp.Complete); len(m) < 11 || m[0] != 3 {
			return // another probe
		}
		_, _ = c.Write(rdpConfirmMsg([]byte{2, 0x1f, 8, 0, 2, 0, 0, 0}))
		tc := tls.Server(c, cfg)
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		if tc.HandshakeContext(ctx) != nil || readMsg(tc, rdp.TSComplete) == nil {
			return
		}
		_, _ = tc.Write(rdp.TSRequest(windowsChallenge()))
	}
}

func TestTCPWindowsRDP(t *testing.T) {
	srv := serveTCP(t, windowsRDP(t))
	s := TCP(t.Context(), newDialer(t), srv.addr, Options{Timeout: 2 * time.Second})
	if s.Name != "rdp" || s.Product != "Windows" || s.Version != "10.0.20348" || s.RDP == nil || s.RDP.Selected != "credssp" ||
		s.RDP.NTLM == nil || s.RDP.NTLM.NetBIOSDomain != "CORP" {
		t.Errorf("got %q %q %q, facts %+v", s.Name, s.Product, s.Version, s.RDP)
	}
}
