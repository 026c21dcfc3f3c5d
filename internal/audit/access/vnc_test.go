package access

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"slices"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

func TestParseRFBSecurity(t *testing.T) {
	reason := append(binary.BigEndian.AppendUint32(nil, 11), "Too many!!!"...)
	tests := []struct {
		name   string
		in     []byte
		v33    bool
		types  []uint32
		reason string
		need   int
		bad    bool
	}{
		{"none only", []byte{1, 1}, false, []uint32{1}, "", 0, false},
		{"tigervnc default", []byte{2, 19, 2}, false, []uint32{19, 2}, "", 0, false},
		{"cut", []byte{3, 19}, false, nil, "", 2, false},
		{"empty", nil, false, nil, "", 1, false},
		{"refused", append([]byte{0}, reason...), false, nil, "Too many!!!", 0, false},
		{"refused, reason cut", append([]byte{0}, reason[:6]...), false, nil, "", 9, false},
		{"3.3 vnc auth", []byte{0, 0, 0, 2}, true, []uint32{2}, "", 0, false},
		{"3.3 refused", append([]byte{0, 0, 0, 0}, reason...), true, nil, "Too many!!!", 0, false},
		{"huge reason", []byte{0, 0xff, 0xff, 0xff, 0xff}, false, nil, "", 0, true},
	}
	for _, tt := range tests {
		sec, need, err := parseRFBSecurity(tt.in, tt.v33)
		if (err != nil) != tt.bad || need != tt.need || !slices.Equal(sec.types, tt.types) || sec.reason != tt.reason {
			t.Errorf("%s: got %+v need %d err %v", tt.name, sec, need, err)
		}
	}
	types, need := parseVeNCryptTypes([]byte{2, 0, 0, 1, 2, 0, 0, 1, 5})
	if need != 0 || !slices.Equal(types, []uint32{258, 261}) {
		t.Errorf("VeNCrypt types %v need %d", types, need)
	}
	if _, need := parseVeNCryptTypes([]byte{2, 0, 0, 1}); need != 5 {
		t.Errorf("need %d", need)
	}
}

func FuzzRFBSecurity(f *testing.F) {
	f.Add([]byte{2, 19, 2}, false)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 3, 'b', 'y', 'e'}, true)
	f.Fuzz(func(t *testing.T, b []byte, v33 bool) {
		sec, need, err := parseRFBSecurity(b, v33)
		if err == nil && need == 0 {
			for _, ty := range sec.types {
				assertClean(t, rfbTypeName(ty))
			}
		}
		if need < 0 {
			t.Fatalf("need %d", need)
		}
		if types, need := parseVeNCryptTypes(b); need == 0 {
			for _, ty := range types {
				assertClean(t, vencryptName(ty))
			}
		}
	})
}

// vncServer speaks RFB version version with the given security message;
// when VeNCrypt is chosen it lists subtypes.
func vncServer(version string, security []byte, subtypes []uint32) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		if _, err := c.Write([]byte(version)); err != nil {
			return
		}
		buf := make([]byte, 12)
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		if _, err := c.Write(security); err != nil {
			return
		}
		choice := make([]byte, 1)
		if _, err := io.ReadFull(c, choice); err != nil || choice[0] != 19 {
			return
		}
		_, _ = c.Write([]byte{0, 2})
		if _, err := io.ReadFull(c, buf[:2]); err != nil || buf[0] != 0 || buf[1] != 2 {
			return
		}
		msg := []byte{0, byte(len(subtypes))}
		for _, s := range subtypes {
			msg = binary.BigEndian.AppendUint32(msg, s)
		}
		_, _ = c.Write(msg)
	}
}

func TestAuditVNC(t *testing.T) {
	tests := []struct {
		name  string
		srv   func(context.Context, net.Conn)
		types []string
		err   bool
	}{
		{"none", vncServer("RFB 003.008\n", []byte{1, 1}, nil), []string{"None"}, false},
		{"tigervnc", vncServer("RFB 003.008\n", []byte{2, 19, 2}, []uint32{258, 261, 2}), []string{"VeNCrypt", "VNC", "VeNCrypt/TLSVnc", "VeNCrypt/X509Vnc", "VeNCrypt/VNC"}, false},
		{"rfb 3.3 vnc auth", vncServer("RFB 003.003\n", []byte{0, 0, 0, 2}, nil), []string{"VNC"}, false},
		{"apple", vncServer("RFB 003.889\n", []byte{2, 30, 2}, nil), []string{"DiffieHellman", "VNC"}, false},
		{"refused", vncServer("RFB 003.008\n", append([]byte{0, 0, 0, 0, 4}, "busy"...), nil), nil, false},
		{"not rfb", lineServer("SSH-2.0-OpenSSH_9.2\r\n"), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serve(t, tt.srv)
			s := &facts.Service{Name: "vnc"}
			a, err := auditAt(t, addr, s, Options{})
			if (err != nil) != tt.err {
				t.Fatalf("err %v", err)
			}
			if err == nil && !slices.Equal(a.SecurityTypes, tt.types) {
				t.Errorf("types %q, want %q", a.SecurityTypes, tt.types)
			}
			if tt.name == "refused" && s.Detail("vnc.security-error") != "busy" {
				t.Errorf("details %v", s.Details)
			}
		})
	}
}
