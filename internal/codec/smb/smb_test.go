package smb

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"strings"
	"testing"

	//lint:ignore SA1019 NTLM is defined over MD4: the test recomputes the constant with it
	"golang.org/x/crypto/md4"
)

// avPair encodes one AV_PAIR with a UTF-16 value.
func avPair(id uint16, v string) []byte {
	b := binary.LittleEndian.AppendUint16(nil, id)
	u := utf16le(v)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(u)))
	return append(b, u...)
}

// challengeMsg builds a CHALLENGE_MESSAGE like Samba's or Windows'.
func challengeMsg(target string, info []byte, version []byte) []byte {
	flags := uint32(ntlmFlags)
	if version == nil {
		flags &^= ntlmVersion
	}
	name := utf16le(target)
	b := append([]byte{}, ntlmSignature...)
	b = binary.LittleEndian.AppendUint32(b, 2)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(name)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(name)))
	b = binary.LittleEndian.AppendUint32(b, 56)
	b = binary.LittleEndian.AppendUint32(b, flags)
	b = append(b, 1, 2, 3, 4, 5, 6, 7, 8) // challenge
	b = append(b, make([]byte, 8)...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(info)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(info)))
	b = binary.LittleEndian.AppendUint32(b, uint32(56+len(name)))
	if version == nil {
		version = make([]byte, 8)
	}
	b = append(b, version...)
	b = append(b, name...)
	return append(b, info...)
}

func sambaInfo() []byte {
	var info []byte
	info = append(info, avPair(2, "SMBWEAK")...)
	info = append(info, avPair(1, "SMBWEAK")...)
	info = append(info, avPair(4, "")...)
	info = append(info, avPair(3, "vm")...)
	ts := binary.LittleEndian.AppendUint16(nil, 7)
	ts = binary.LittleEndian.AppendUint16(ts, 8)
	ts = binary.LittleEndian.AppendUint64(ts, 0x01db0000deadbeef)
	info = append(info, ts...)
	return append(info, 0, 0, 0, 0)
}

func TestParseChallenge(t *testing.T) {
	samba := challengeMsg("SMBWEAK", sambaInfo(), []byte{6, 1, 0, 0, 0, 0, 0, 15})
	c, err := ParseChallenge(FindNTLM(SPNEGOResponse(samba)))
	if err != nil {
		t.Fatal(err)
	}
	if c.TargetName != "SMBWEAK" || c.NetBIOSComputer != "SMBWEAK" || c.NetBIOSDomain != "SMBWEAK" || c.DNSComputer != "vm" ||
		c.OSVersion() != "6.1.0" || c.Timestamp != 0x01db0000deadbeef || c.Challenge != [8]byte{1, 2, 3, 4, 5, 6, 7, 8} {
		t.Errorf("samba challenge: %+v", c)
	}
	win := challengeMsg("CORP", append(avPair(3, "dc1.corp.example"), 0, 0, 0, 0), []byte{10, 0, 0x7c, 0x4f, 0, 0, 0, 15})
	if c, err := ParseChallenge(win); err != nil || c.OSVersion() != "10.0.20348" || c.DNSComputer != "dc1.corp.example" {
		t.Errorf("windows challenge: %+v %v", c, err)
	}
	if c, err := ParseChallenge(challengeMsg("X", nil, nil)); err != nil || c.HasVersion || c.OSVersion() != "" {
		t.Errorf("no version: %+v %v", c, err)
	}
	for _, bad := range [][]byte{nil, []byte("NTLMSSP\x00\x01\x00\x00\x00"), NTLMNegotiate(), samba[:40]} {
		if _, err := ParseChallenge(bad); err == nil {
			t.Errorf("ParseChallenge(%x) succeeded", bad)
		}
	}
	// Fields that point outside the message are ignored, not trusted.
	broken := append([]byte{}, samba...)
	binary.LittleEndian.PutUint32(broken[44:], 0xffff)
	if c, err := ParseChallenge(broken); err != nil || c.TargetInfo != nil || c.NetBIOSComputer != "" {
		t.Errorf("target info past the end: %+v %v", c, err)
	}
}

func TestNTLMNegotiate(t *testing.T) {
	b := NTLMNegotiate()
	if !bytes.HasPrefix(b, ntlmSignature) || binary.LittleEndian.Uint32(b[8:]) != 1 || len(b) != 40 {
		t.Fatalf("negotiate = %x", b)
	}
	if f := binary.LittleEndian.Uint32(b[12:]); f&ntlmVersion == 0 || f&ntlmTargetInfo == 0 || f&0x10 != 0 || f&0x20 != 0 {
		t.Errorf("flags %08x: want version and target info, no sign or seal", f)
	}
	init := SPNEGOInit(b)
	if init[0] != 0x60 || !bytes.Contains(init, oidNTLM) || !bytes.HasSuffix(init, b) || int(init[1]) != len(init)-2 {
		t.Errorf("SPNEGO init = %x", init)
	}
}

// authField returns an AUTHENTICATE field.
func authField(t *testing.T, b []byte, i int) []byte {
	t.Helper()
	f, ok := field(b, 12+8*i)
	if !ok {
		t.Fatalf("field %d outside the message", i)
	}
	return f
}

func TestNTLMAuthenticate(t *testing.T) {
	ch, err := ParseChallenge(challengeMsg("SMBWEAK", sambaInfo(), []byte{6, 1, 0, 0, 0, 0, 0, 15}))
	if err != nil {
		t.Fatal(err)
	}
	cc := [8]byte{9, 9, 9, 9, 9, 9, 9, 9}

	null := NTLMAuthenticate(ch, "", cc, 1)
	if binary.LittleEndian.Uint32(null[8:]) != 3 || binary.LittleEndian.Uint32(null[60:])&ntlmAnonymous == 0 {
		t.Errorf("null session message %x", null[:64])
	}
	if lm, nt, user := authField(t, null, 0), authField(t, null, 1), authField(t, null, 3); !bytes.Equal(lm, []byte{0}) || len(nt) != 0 || len(user) != 0 {
		t.Errorf("null session: lm %x nt %x user %x", lm, nt, user)
	}

	guest := NTLMAuthenticate(ch, "guest", cc, 1)
	if binary.LittleEndian.Uint32(guest[60:])&ntlmAnonymous != 0 {
		t.Error("guest login flagged anonymous")
	}
	if u := fromUTF16(authField(t, guest, 3)); u != "guest" {
		t.Errorf("user %q", u)
	}
	if d := fromUTF16(authField(t, guest, 2)); d != "SMBWEAK" {
		t.Errorf("domain %q", d)
	}
	nt := authField(t, guest, 1)
	// NTLMv2 ([MS-NLMP] 3.3.2), recomputed: NTProofStr over the
	// server challenge and the blob that follows it.
	temp := nt[16:]
	if !bytes.Equal(temp[:2], []byte{1, 1}) || binary.LittleEndian.Uint64(temp[8:]) != ch.Timestamp ||
		!bytes.Equal(temp[16:24], cc[:]) || !bytes.Contains(temp, ch.TargetInfo) {
		t.Errorf("NTLMv2 blob %x", temp)
	}
	mac := hmac.New(md5.New, ntHashEmpty)
	mac.Write(utf16le(strings.ToUpper("guest") + "SMBWEAK"))
	mac = hmac.New(md5.New, mac.Sum(nil))
	mac.Write(ch.Challenge[:])
	mac.Write(temp)
	if !bytes.Equal(mac.Sum(nil), nt[:16]) {
		t.Error("NTProofStr does not match")
	}
	// Without a server timestamp the caller's time is used.
	ch.Timestamp = 0
	if nt := authField(t, NTLMAuthenticate(ch, "guest", cc, 42), 1); binary.LittleEndian.Uint64(nt[24:]) != 42 {
		t.Error("timestamp not taken from the caller")
	}
	if r := SPNEGOResponse(guest); r[0] != 0xa1 || !bytes.HasSuffix(r, guest) {
		t.Errorf("SPNEGO response %x", r[:8])
	}
}

func TestNTHashEmpty(t *testing.T) {
	// NTOWFv1("") = MD4(UNICODE("")).
	h := md4.New()
	h.Write(utf16le(""))
	if got := h.Sum(nil); !bytes.Equal(got, ntHashEmpty) {
		t.Errorf("ntHashEmpty = %x, MD4 says %x", ntHashEmpty, got)
	}
}

func TestDER(t *testing.T) {
	for _, n := range []int{0, 127, 128, 255, 256, 1000} {
		b := der(0x04, make([]byte, n))
		l, hdr := 0, 0
		switch {
		case n < 128:
			l, hdr = int(b[1]), 2
		case n < 256:
			l, hdr = int(b[2]), 3
		default:
			l, hdr = int(b[2])<<8|int(b[3]), 4
		}
		if l != n || len(b) != hdr+n {
			t.Errorf("der(%d): header %x", n, b[:hdr])
		}
	}
}
