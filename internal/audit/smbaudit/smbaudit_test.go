package smbaudit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/vigilsec/vigil/internal/codec/smb"
	"github.com/vigilsec/vigil/internal/facts"
)

// fakeServer plays an SMB2 server for the share listing: which logins it
// accepts, whether it answers READ with an interim STATUS_PENDING first,
// and which shares it lists.
type fakeServer struct {
	null, guest bool
	pending     bool
	shares      []string
	ipcStatus   uint32
	netbios     bool // a NetBIOS SESSION REQUEST comes first
}

func u16(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

// reply frames an SMB2 response to the request header req.
func reply(req []byte, status uint32, body []byte, async bool) []byte {
	h := make([]byte, 64)
	copy(h, req[:64])
	binary.LittleEndian.PutUint32(h[8:], status)
	flags := uint32(1)
	if async {
		flags |= 2
	}
	binary.LittleEndian.PutUint32(h[16:], flags)
	if binary.LittleEndian.Uint16(h[12:]) == smb.CmdSessionSetup {
		binary.LittleEndian.PutUint64(h[40:], 0x77)
	}
	if binary.LittleEndian.Uint16(h[12:]) == smb.CmdTreeConnect {
		binary.LittleEndian.PutUint32(h[36:], 5)
	}
	return smb.Frame(append(h, body...))
}

func structure(size uint16, n int) []byte {
	b := make([]byte, n)
	binary.LittleEndian.PutUint16(b, size)
	return b
}

var errBody = []byte{9, 0, 0, 0, 0, 0, 0, 0, 0}

func challenge() []byte {
	info := binary.LittleEndian.AppendUint16(nil, 2)
	name := u16("FAKE")
	info = binary.LittleEndian.AppendUint16(info, uint16(len(name)))
	info = append(append(info, name...), 0, 0, 0, 0)
	b := []byte("NTLMSSP\x00\x02\x00\x00\x00")
	b = append(b, 0, 0, 0, 0, 56, 0, 0, 0)              // target name: empty
	b = binary.LittleEndian.AppendUint32(b, 0x02888205) // flags with version and target info
	b = append(b, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(info)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(info)))
	b = binary.LittleEndian.AppendUint32(b, 56)
	b = append(b, 6, 1, 0, 0, 0, 0, 0, 15)
	return append(b, info...)
}

// shareAnswer is a NetrShareEnumAll response PDU listing names and IPC$.
func shareAnswer(names []string) []byte {
	all := append(slices.Clone(names), "IPC$")
	s := binary.LittleEndian.AppendUint32(nil, 1)
	s = binary.LittleEndian.AppendUint32(s, 1)
	s = binary.LittleEndian.AppendUint32(s, 0x20000)
	s = binary.LittleEndian.AppendUint32(s, uint32(len(all)))
	s = binary.LittleEndian.AppendUint32(s, 0x20004)
	s = binary.LittleEndian.AppendUint32(s, uint32(len(all)))
	for i, n := range all {
		typ := uint32(0)
		if n == "IPC$" {
			typ = 0x80000003
		}
		s = binary.LittleEndian.AppendUint32(s, uint32(8+i))
		s = binary.LittleEndian.AppendUint32(s, typ)
		s = binary.LittleEndian.AppendUint32(s, 0)
	}
	for _, n := range all {
		u := append(u16(n), 0, 0)
		for _, v := range []int{len(u) / 2, 0, len(u) / 2} {
			s = binary.LittleEndian.AppendUint32(s, uint32(v))
		}
		s = append(s, u...)
		for len(s)%4 != 0 {
			s = append(s, 0)
		}
	}
	s = append(s, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) // total, resume handle null, WERROR 0
	s[len(s)-12] = byte(len(all))
	b := []byte{5, 0, 2, 3, 0x10, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	b = append(b, 0, 0, 0, 0)
	b = append(b, s...)
	binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
	return b
}

var bindAck = func() []byte {
	b := []byte{5, 0, 12, 3, 0x10, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0xb8, 0x10, 0xb8, 0x10, 1, 0, 0, 0, 0, 0}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, 1, 0, 0, 0, 0, 0, 0, 0)
	b = append(b, make([]byte, 20)...)
	binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
	return b
}()

// handle serves one connection.
func (f *fakeServer) handle(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var lastWrite []byte
	buf := make([]byte, 0, 4096)
	tmp := make([]byte, 4096)
	if f.netbios {
		n, err := c.Read(tmp)
		if err != nil || n < 4 || tmp[0] != 0x81 {
			_, _ = c.Write([]byte{0x83, 0, 0, 1, 0x82})
			return
		}
		_, _ = c.Write([]byte{0x82, 0, 0, 0})
	}
	for {
		for !smb.Complete(buf) {
			n, err := c.Read(tmp)
			if err != nil {
				return
			}
			buf = append(buf, tmp[:n]...)
		}
		m, _ := smb.Unframe(buf)
		buf = buf[4+len(m):]
		body := m[64:]
		var out []byte
		switch binary.LittleEndian.Uint16(m[12:]) {
		case smb.CmdNegotiate:
			b := structure(65, 64)
			binary.LittleEndian.PutUint16(b[2:], 1)
			binary.LittleEndian.PutUint16(b[4:], smb.Dialect210)
			out = reply(m, 0, b, false)
		case smb.CmdSessionSetup:
			off := binary.LittleEndian.Uint16(body[12:])
			tok := m[off:]
			ntlm := smb.FindNTLM(tok)
			if binary.LittleEndian.Uint32(ntlm[8:]) == 1 {
				ch := challenge()
				b := structure(9, 8)
				binary.LittleEndian.PutUint16(b[4:], 72)
				binary.LittleEndian.PutUint16(b[6:], uint16(len(ch)))
				out = reply(m, smb.StatusMoreProcessingRequired, append(b, ch...), false)
				break
			}
			anonymous := binary.LittleEndian.Uint32(ntlm[60:])&0x800 != 0
			if anonymous && f.null || !anonymous && f.guest {
				out = reply(m, 0, structure(9, 8), false)
			} else {
				out = reply(m, 0xc000006d, errBody, false)
			}
		case smb.CmdTreeConnect:
			if f.ipcStatus != 0 {
				out = reply(m, f.ipcStatus, errBody, false)
			} else {
				out = reply(m, 0, structure(16, 16), false)
			}
		case smb.CmdCreate:
			out = reply(m, 0, structure(89, 88), false)
		case smb.CmdWrite:
			off := binary.LittleEndian.Uint16(body[2:])
			lastWrite = slices.Clone(m[off:])
			out = reply(m, 0, structure(17, 16), false)
		case smb.CmdRead:
			data := bindAck
			if lastWrite[2] == 0 {
				data = shareAnswer(f.shares)
			}
			b := structure(17, 16)
			b[2] = 80
			binary.LittleEndian.PutUint32(b[4:], uint32(len(data)))
			out = reply(m, 0, append(b, data...), false)
			if f.pending {
				out = append(reply(m, statusPending, errBody, true), out...)
			}
		case smb.CmdClose:
			out = reply(m, 0, structure(60, 60), false)
		default:
			return
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

func (f *fakeServer) start(t *testing.T) netip.AddrPort {
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
			go f.handle(c)
		}
	}()
	return netip.MustParseAddrPort(ln.Addr().String())
}

func TestAuditShares(t *testing.T) {
	d := newDialer(t)
	tests := []struct {
		name    string
		srv     fakeServer
		session string
		names   []string
		refused []string
	}{
		{"null session", fakeServer{null: true, guest: true, shares: []string{"public", "records"}}, "null", []string{"public", "records"}, nil},
		{"guest only, interim answers", fakeServer{guest: true, pending: true, shares: []string{"scans"}}, "guest", []string{"scans"}, nil},
		{"no login", fakeServer{shares: []string{"x"}}, "", nil, []string{"null session: login refused (STATUS_LOGON_FAILURE)", "guest session: login refused"}},
		{"IPC$ refused", fakeServer{null: true, guest: true, ipcStatus: 0xc0000022}, "", nil, []string{"IPC$ refused (STATUS_ACCESS_DENIED)"}},
		{"only IPC$", fakeServer{null: true}, "null", nil, nil},
		{"NetBIOS session", fakeServer{null: true, netbios: true, shares: []string{"data"}}, "null", []string{"data"}, nil},
	}
	for _, tt := range tests {
		s := &facts.Service{Port: 445, Transport: facts.TCP, Name: "smb", SMB: &facts.SMB{NetBIOSSession: tt.srv.netbios}}
		if err := Audit(t.Context(), d, tt.srv.start(t), s, Options{}); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		sh := s.SMB.Shares
		if sh.Session != tt.session || !slices.Equal(sh.Names, tt.names) {
			t.Errorf("%s: %+v", tt.name, sh)
		}
		for _, r := range tt.refused {
			if !strings.Contains(sh.Refused, r) {
				t.Errorf("%s: refusal %q lacks %q", tt.name, sh.Refused, r)
			}
		}
	}
}

// TestAuditHostile: a server that answers with garbage, or not at all, is
// an error, not a listing; the audit stays bounded.
func TestAuditHostile(t *testing.T) {
	d := newDialer(t)
	for name, answer := range map[string][]byte{
		"smb1":    smb.Frame([]byte("\xffSMBr\x00\x00\x00\x00\x88\x01\xc0\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xfe\x00\x00\x00\x00\x00\x00")),
		"http":    []byte("HTTP/1.1 400 Bad Request\r\n\r\n"),
		"huge":    {0, 0xff, 0xff, 0xff},
		"netbios": {0x83, 0, 0, 1, 0x8f},
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					_, _ = c.Read(make([]byte, 512))
					_, _ = c.Write(answer)
					if name == "huge" {
						_, _ = c.Write(bytes.Repeat([]byte{0}, 256<<10))
					}
				}()
			}
		}()
		s := &facts.Service{Port: 445, Transport: facts.TCP, Name: "smb"}
		err = Audit(t.Context(), d, netip.MustParseAddrPort(ln.Addr().String()), s, Options{Timeout: 500 * time.Millisecond})
		ln.Close()
		if err == nil || s.SMB.Shares.Listed() || s.SMB.Shares.Refused != "" {
			t.Errorf("%s: error %v, shares %+v", name, err, s.SMB.Shares)
		}
		if (name == "smb1") != errors.Is(err, ErrSMB1Only) {
			t.Errorf("%s: error %v", name, err)
		}
	}
}
