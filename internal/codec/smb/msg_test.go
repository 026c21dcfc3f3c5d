package smb

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// response builds a framed SMB2 response.
func response(cmd uint16, status uint32, body []byte) []byte {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64)
	binary.LittleEndian.PutUint32(h[8:], status)
	binary.LittleEndian.PutUint16(h[12:], cmd)
	binary.LittleEndian.PutUint32(h[16:], 1) // SERVER_TO_REDIR
	binary.LittleEndian.PutUint32(h[36:], 7) // TreeId
	binary.LittleEndian.PutUint64(h[40:], 0x1122334455667788)
	return Frame(append(h, body...))
}

func negotiateResp(mode, dialect uint16, blob []byte) []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint16(b, 65)
	binary.LittleEndian.PutUint16(b[2:], mode)
	binary.LittleEndian.PutUint16(b[4:], dialect)
	binary.LittleEndian.PutUint32(b[32:], 8<<20)
	binary.LittleEndian.PutUint16(b[56:], 128)
	binary.LittleEndian.PutUint16(b[58:], uint16(len(blob)))
	return response(CmdNegotiate, 0, append(b, blob...))
}

func sessionResp(status uint32, flags uint16, token []byte) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint16(b, 9)
	binary.LittleEndian.PutUint16(b[2:], flags)
	binary.LittleEndian.PutUint16(b[4:], 72)
	binary.LittleEndian.PutUint16(b[6:], uint16(len(token)))
	return response(CmdSessionSetup, status, append(b, token...))
}

func errorResp(cmd uint16, status uint32) []byte {
	return response(cmd, status, []byte{9, 0, 0, 0, 0, 0, 0, 0, 0})
}

func createResp(id byte) []byte {
	b := make([]byte, 88)
	binary.LittleEndian.PutUint16(b, 89)
	for i := 64; i < 80; i++ {
		b[i] = id
	}
	return response(CmdCreate, 0, b)
}

func readResp(data []byte) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b, 17)
	b[2] = 80
	binary.LittleEndian.PutUint32(b[4:], uint32(len(data)))
	return response(CmdRead, 0, append(b, data...))
}

func parse(t *testing.T, b []byte) Response {
	t.Helper()
	r, err := ParseResponse(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNegotiate(t *testing.T) {
	req := Message(Header{Command: CmdNegotiate}, NegotiateBody([]uint16{Dialect202, Dialect311}, [16]byte{1}, [32]byte{2}))
	m, err := Unframe(req)
	if err != nil || !Complete(req) || Complete(req[:len(req)-1]) {
		t.Fatalf("framing: %v", err)
	}
	body := m[64:]
	if binary.LittleEndian.Uint16(body) != 36 || binary.LittleEndian.Uint16(body[2:]) != 2 {
		t.Errorf("negotiate header %x", body[:8])
	}
	if off := binary.LittleEndian.Uint32(body[28:]); off%8 != 0 || int(off) >= len(m) || binary.LittleEndian.Uint16(m[off:]) != 1 {
		t.Errorf("negotiate context at %d", off)
	}
	plain := NegotiateBody([]uint16{Dialect202, Dialect210}, [16]byte{}, [32]byte{})
	if len(plain) != 40 || binary.LittleEndian.Uint32(plain[28:]) != 0 {
		t.Errorf("without 3.1.1 there is no context: %x", plain)
	}

	n, err := ParseNegotiate(parse(t, negotiateResp(3, Dialect311, []byte("blob"))))
	if err != nil || n.Dialect != Dialect311 || n.SecurityMode != 3 || string(n.SecurityBlob) != "blob" || n.MaxRead != 8<<20 {
		t.Errorf("negotiate response: %+v %v", n, err)
	}
	if _, err := ParseNegotiate(parse(t, errorResp(CmdNegotiate, 0xc0000022))); err == nil {
		t.Error("error response parsed as NEGOTIATE")
	}
	for _, d := range []struct {
		d    uint16
		want string
	}{{Dialect202, "2.0.2"}, {Dialect210, "2.1"}, {Dialect300, "3.0"}, {Dialect302, "3.0.2"}, {Dialect311, "3.1.1"}, {0x02ff, "2.x"}, {0x0399, "0x0399"}} {
		if got := DialectName(d.d); got != d.want {
			t.Errorf("DialectName(%x) = %q", d.d, got)
		}
	}
}

func TestParseResponseRejects(t *testing.T) {
	req := Message(Header{Command: CmdNegotiate}, nil)
	for name, b := range map[string][]byte{
		"request":    req,
		"smb1":       Frame([]byte("\xffSMBr\x00\x00\x00\x00")),
		"short":      Frame([]byte("\xfeSMB")),
		"cut":        negotiateResp(1, Dialect311, nil)[:40],
		"netbios":    {0x82, 0, 0, 0},
		"not framed": []byte("HTTP/1.1 400 Bad Request"),
	} {
		if _, err := ParseResponse(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestSessionSetup(t *testing.T) {
	tok := SPNEGOInit(NTLMNegotiate())
	req := Message(Header{Command: CmdSessionSetup, MessageID: 1, SessionID: 5}, SessionSetupBody(tok))
	m, _ := Unframe(req)
	if binary.LittleEndian.Uint64(m[40:]) != 5 || binary.LittleEndian.Uint64(m[24:]) != 1 {
		t.Errorf("header %x", m[:64])
	}
	if off, n := binary.LittleEndian.Uint16(m[64+12:]), binary.LittleEndian.Uint16(m[64+14:]); !bytes.Equal(m[off:int(off)+int(n)], tok) {
		t.Error("security buffer misplaced")
	}
	r := parse(t, sessionResp(StatusMoreProcessingRequired, 0, []byte("NTLMSSP\x00token")))
	flags, got, err := ParseSessionSetup(r)
	if err != nil || string(got) != "NTLMSSP\x00token" || flags != 0 || r.SessionID != 0x1122334455667788 {
		t.Errorf("challenge leg: %q %v", got, err)
	}
	if flags, _, err := ParseSessionSetup(parse(t, sessionResp(0, SessionGuest, nil))); err != nil || flags != SessionGuest {
		t.Errorf("guest session flags %x %v", flags, err)
	}
	if _, tok, err := ParseSessionSetup(parse(t, errorResp(CmdSessionSetup, 0xc000006d))); err != nil || tok != nil {
		t.Errorf("logon failure: %v", err)
	}
	if _, _, err := ParseSessionSetup(parse(t, negotiateResp(1, Dialect210, nil))); err == nil {
		t.Error("NEGOTIATE parsed as SESSION_SETUP")
	}
}

func TestTreeCreateReadWrite(t *testing.T) {
	b := TreeConnectBody(`\\127.0.2.45\IPC$`)
	if fromUTF16(b[8:]) != `\\127.0.2.45\IPC$` || int(binary.LittleEndian.Uint16(b[6:])) != len(b)-8 {
		t.Errorf("tree connect %x", b)
	}
	c := CreatePipeBody("srvsvc")
	if len(c) != 56+12 || fromUTF16(c[56:]) != "srvsvc" || binary.LittleEndian.Uint32(c[36:]) != 1 {
		t.Errorf("create %x", c)
	}
	id, err := ParseCreate(parse(t, createResp(0xab)))
	if err != nil || id[0] != 0xab || id[15] != 0xab {
		t.Errorf("create response %x %v", id, err)
	}
	if _, err := ParseCreate(parse(t, errorResp(CmdCreate, 0xc0000034))); err == nil {
		t.Error("error parsed as CREATE")
	}
	w := WriteBody(id, []byte("pdu"))
	if string(w[48:]) != "pdu" || binary.LittleEndian.Uint32(w[4:]) != 3 || w[16] != 0xab {
		t.Errorf("write %x", w)
	}
	if r := ReadBody(id, 65536); len(r) != 49 || binary.LittleEndian.Uint32(r[4:]) != 65536 {
		t.Errorf("read %x", r)
	}
	if d, err := ParseRead(parse(t, readResp([]byte("answer")))); err != nil || string(d) != "answer" {
		t.Errorf("read response %q %v", d, err)
	}
	bad := readResp([]byte("answer"))
	binary.LittleEndian.PutUint32(bad[4+64+4:], 1000)
	if _, err := ParseRead(parse(t, bad)); err == nil {
		t.Error("READ length past the message accepted")
	}
	if cl := CloseBody(id); len(cl) != 24 || cl[8] != 0xab {
		t.Errorf("close %x", cl)
	}
}

// smb1NegotiateResp builds an SMB1 NEGOTIATE response (extended security).
func smb1NegotiateResp(index uint16, mode byte) []byte {
	h := make([]byte, 32)
	copy(h, "\xffSMB")
	h[4] = 0x72
	w := make([]byte, 34)
	binary.LittleEndian.PutUint16(w, index)
	w[2] = mode
	binary.LittleEndian.PutUint32(w[19:], 0x8000e3fd)
	b := append(h, 17)
	b = append(b, w...)
	b = binary.LittleEndian.AppendUint16(b, 16)
	return Frame(append(b, make([]byte, 16)...))
}

// smb1SetupResp builds an SMB1 SESSION_SETUP_ANDX response.
func smb1SetupResp(blob []byte, strs ...string) []byte {
	h := make([]byte, 32)
	copy(h, "\xffSMB")
	h[4] = 0x73
	binary.LittleEndian.PutUint32(h[5:], StatusMoreProcessingRequired)
	binary.LittleEndian.PutUint16(h[10:], 0xc801)
	w := make([]byte, 8)
	w[0] = 0xff
	binary.LittleEndian.PutUint16(w[6:], uint16(len(blob)))
	data := append([]byte{}, blob...)
	if (32+1+8+2+len(data))%2 != 0 {
		data = append(data, 0)
	}
	for _, s := range strs {
		data = append(append(data, utf16le(s)...), 0, 0)
	}
	b := append(h, 4)
	b = append(b, w...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
	return Frame(append(b, data...))
}

func TestSMB1(t *testing.T) {
	req := SMB1Negotiate()
	m, _ := Unframe(req)
	if string(m[:5]) != "\xffSMBr" || !bytes.Contains(m, []byte("\x02NT LM 0.12\x00")) {
		t.Errorf("SMB1 negotiate %x", m)
	}
	n, err := ParseSMB1Negotiate(smb1NegotiateResp(0, 0x03))
	if err != nil || !n.Accepted || n.SecurityMode != 3 || n.Capabilities != 0x8000e3fd {
		t.Errorf("accepted: %+v %v", n, err)
	}
	if n, err := ParseSMB1Negotiate(smb1NegotiateResp(0xffff, 0)); err != nil || n.Accepted {
		t.Errorf("no dialect: %+v %v", n, err)
	}
	if _, err := ParseSMB1Negotiate(negotiateResp(1, Dialect210, nil)); err == nil {
		t.Error("SMB2 answer parsed as SMB1")
	}

	ss := SMB1SessionSetup(SPNEGOInit(NTLMNegotiate()))
	if m, _ := Unframe(ss); m[4] != 0x73 || m[32] != 12 {
		t.Errorf("session setup %x", m[:40])
	}
	for _, blob := range [][]byte{[]byte("odd"), []byte("even")} {
		s, err := ParseSMB1SessionSetup(smb1SetupResp(blob, "Windows 6.1", "Samba 4.17.12-Debian", "SMBWEAK"))
		if err != nil || string(s.SecurityBlob) != string(blob) || s.NativeOS != "Windows 6.1" || s.NativeLanMan != "Samba 4.17.12-Debian" || s.PrimaryDomain != "SMBWEAK" {
			t.Errorf("blob %q: %+v %v", blob, s, err)
		}
	}
	if s, err := ParseSMB1SessionSetup(smb1SetupResp(nil, "Unix")); err != nil || s.NativeOS != "Unix" || s.NativeLanMan != "" {
		t.Errorf("one string: %+v %v", s, err)
	}
	bad := smb1SetupResp([]byte("blob"), "x")
	binary.LittleEndian.PutUint16(bad[4+33+6:], 500)
	if _, err := ParseSMB1SessionSetup(bad); err == nil {
		t.Error("blob past the message accepted")
	}
}

// bindAck builds a bind_ack accepting (result 0) or not.
func bindAck(result uint16) []byte {
	b := []byte{5, 0, 12, 3, 0x10, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}
	b = append(b, 0xb8, 0x10, 0xb8, 0x10, 1, 0, 0, 0)
	b = append(b, 13, 0)
	b = append(b, "\\PIPE\\srvsvc\x00"...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, 1, 0, 0, 0)
	b = binary.LittleEndian.AppendUint16(b, result)
	b = append(b, 0, 0)
	b = append(b, ndrSyntax...)
	binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
	return b
}

// ndrString encodes a conformant varying string.
func ndrString(s string) []byte {
	u := append(utf16le(s), 0, 0)
	n := uint32(len(u) / 2)
	b := binary.LittleEndian.AppendUint32(nil, n)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, n)
	b = append(b, u...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// shareEnumStub builds a NetrShareEnumAll level-1 answer.
func shareEnumStub(shares []Share, werr uint32) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 1)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint32(b, 0x20000)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(shares)))
	b = binary.LittleEndian.AppendUint32(b, 0x20004)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(shares)))
	for i, s := range shares {
		b = binary.LittleEndian.AppendUint32(b, uint32(0x20008+8*i))
		b = binary.LittleEndian.AppendUint32(b, s.Type)
		b = binary.LittleEndian.AppendUint32(b, uint32(0x2000c+8*i))
	}
	for _, s := range shares {
		b = append(b, ndrString(s.Name)...)
		b = append(b, ndrString("comment of "+s.Name)...)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(shares)))
	b = binary.LittleEndian.AppendUint32(b, 0x30000)
	b = binary.LittleEndian.AppendUint32(b, 0)
	return binary.LittleEndian.AppendUint32(b, werr)
}

// rpcResp wraps a stub in a response PDU.
func rpcResp(stub []byte, last bool) []byte {
	flags := byte(rpcFirst)
	if last {
		flags |= rpcLast
	}
	b := []byte{5, 0, 2, flags, 0x10, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(stub)))
	b = append(b, 0, 0, 0, 0)
	b = append(b, stub...)
	binary.LittleEndian.PutUint16(b[8:], uint16(len(b)))
	return b
}

func TestRPC(t *testing.T) {
	bind := SrvsvcBind()
	if bind[2] != rpcBind || int(binary.LittleEndian.Uint16(bind[8:])) != len(bind) || !bytes.Contains(bind, srvsvcSyntax) {
		t.Errorf("bind %x", bind)
	}
	if err := ParseBindAck(bindAck(0)); err != nil {
		t.Errorf("bind_ack: %v", err)
	}
	if err := ParseBindAck(bindAck(2)); err == nil {
		t.Error("rejected bind accepted")
	}
	if err := ParseBindAck([]byte{5, 0, 13, 3, 0x10, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0}); err == nil {
		t.Error("bind_nak accepted")
	}
	req := NetShareEnumAll(`\\127.0.2.45`)
	if req[2] != rpcRequest || binary.LittleEndian.Uint16(req[22:]) != opNetrShareEnumAll || int(binary.LittleEndian.Uint16(req[8:])) != len(req) {
		t.Errorf("request %x", req[:24])
	}

	want := []Share{{"public", ShareDisk}, {"records", ShareDisk}, {"IPC$", ShareIPC | ShareSpecial}}
	frag, rest, err := ParseRPCResponse(rpcResp(shareEnumStub(want, 0), true))
	if err != nil || !frag.Last || len(rest) != 0 {
		t.Fatalf("response: %v", err)
	}
	got, werr, err := ParseNetShareEnumAll(frag.Stub)
	if err != nil || werr != 0 || len(got) != 3 || got[0] != want[0] || got[1] != want[1] || !got[2].IsIPC() || got[0].IsIPC() {
		t.Errorf("shares %+v werr %x %v", got, werr, err)
	}
	// Two fragments, back to back.
	stub := shareEnumStub(want, 0)
	two := append(rpcResp(stub[:20], false), rpcResp(stub[20:], true)...)
	f1, rest, err := ParseRPCResponse(two)
	if err != nil || f1.Last {
		t.Fatalf("first fragment: %v", err)
	}
	f2, _, err := ParseRPCResponse(rest)
	if err != nil || !f2.Last || !bytes.Equal(append(f1.Stub, f2.Stub...), stub) {
		t.Errorf("second fragment: %v", err)
	}
	if _, werr, err := ParseNetShareEnumAll(shareEnumStub(nil, 5)); err != nil || werr != 5 {
		t.Errorf("access denied: %x %v", werr, err)
	}
	fault := []byte{5, 0, 3, 3, 0x10, 0, 0, 0, 32, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0}
	if _, _, err := ParseRPCResponse(fault); err == nil {
		t.Error("fault accepted")
	}
	for _, cut := range []int{8, 30, 60} {
		if _, _, err := ParseNetShareEnumAll(stub[:cut]); err == nil {
			t.Errorf("stub cut at %d accepted", cut)
		}
	}
	huge := shareEnumStub(want, 0)
	binary.LittleEndian.PutUint32(huge[20:], 1<<30)
	if _, _, err := ParseNetShareEnumAll(huge); err == nil {
		t.Error("array of 2^30 accepted")
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add(negotiateResp(1, Dialect311, []byte("blob")))
	f.Add(sessionResp(StatusMoreProcessingRequired, 0, []byte("NTLMSSP\x00")))
	f.Add(createResp(1))
	f.Add(readResp([]byte("data")))
	f.Add(errorResp(CmdTreeConnect, 0xc0000022))
	f.Fuzz(func(t *testing.T, b []byte) {
		Complete(b)
		r, err := ParseResponse(b)
		if err != nil {
			return
		}
		_, _ = ParseNegotiate(r)
		_, _, _ = ParseSessionSetup(r)
		_, _ = ParseCreate(r)
		_, _ = ParseRead(r)
	})
}

func FuzzParseChallenge(f *testing.F) {
	f.Add(challengeMsg("SMBWEAK", sambaInfo(), []byte{6, 1, 0, 0, 0, 0, 0, 15}))
	f.Add(challengeMsg("X", nil, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseChallenge(FindNTLM(b))
		if err == nil {
			NTLMAuthenticate(c, "guest", [8]byte{}, 0)
		}
	})
}

func FuzzParseSMB1(f *testing.F) {
	f.Add(smb1NegotiateResp(0, 3))
	f.Add(smb1SetupResp([]byte("odd"), "Windows 6.1", "Samba 4.17.12-Debian", "SMBWEAK"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseSMB1Negotiate(b)
		_, _ = ParseSMB1SessionSetup(b)
	})
}

func FuzzParseRPC(f *testing.F) {
	f.Add(rpcResp(shareEnumStub([]Share{{"public", 0}, {"IPC$", 0x80000003}}, 0), true))
	f.Add(bindAck(0))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = ParseBindAck(b)
		if frag, _, err := ParseRPCResponse(b); err == nil {
			_, _, _ = ParseNetShareEnumAll(frag.Stub)
		}
		_, _, _ = ParseNetShareEnumAll(b)
	})
}

func TestNetBIOSSession(t *testing.T) {
	req := SessionRequest("VIGIL")
	if req[0] != 0x81 || int(req[3]) != len(req)-4 || len(req) != 4+68 {
		t.Fatalf("session request %x", req)
	}
	// RFC 1001 14.1: "*SMBSERVER" padded, suffix 0x20; '*' is 0x2A → "CK".
	if called := string(req[5:37]); called != "CKFDENECFDEFFCFGEFFCCACACACACACA" || req[4] != 32 || req[37] != 0 {
		t.Errorf("called name %q", called)
	}
	if err := ParseSessionResponse([]byte{0x82, 0, 0, 0}); err != nil {
		t.Errorf("positive: %v", err)
	}
	if err := ParseSessionResponse([]byte{0x83, 0, 0, 1, 0x82}); err == nil || !strings.Contains(err.Error(), "0x82") {
		t.Errorf("negative: %v", err)
	}
	for _, b := range [][]byte{{0x82}, {0, 0, 0, 4}} {
		if err := ParseSessionResponse(b); err == nil {
			t.Errorf("%x accepted", b)
		}
	}
	if !IsNegativeSessionResponse([]byte{0x83, 0, 0, 1, 0x80}) || IsNegativeSessionResponse([]byte{0, 0, 0, 1}) {
		t.Error("IsNegativeSessionResponse")
	}
}
