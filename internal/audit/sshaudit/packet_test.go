package sshaudit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// sampleKexInit is what a Debian 12 OpenSSH offers by default, trimmed.
func sampleKexInit() *KexInit {
	return &KexInit{
		Cookie:                  [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		KexAlgorithms:           []string{"sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "diffie-hellman-group14-sha1", "kex-strict-s-v00@openssh.com"},
		HostKeyAlgorithms:       []string{"rsa-sha2-512", "rsa-sha2-256", "ecdsa-sha2-nistp256", "ssh-ed25519"},
		CiphersClientToServer:   []string{"chacha20-poly1305@openssh.com", "aes128-ctr"},
		CiphersServerToClient:   []string{"chacha20-poly1305@openssh.com", "aes256-ctr"},
		MACsClientToServer:      []string{"umac-64-etm@openssh.com", "hmac-sha2-256"},
		MACsServerToClient:      []string{"hmac-sha1"},
		CompressionClientServer: []string{"none", "zlib@openssh.com"},
		CompressionServerClient: []string{"none"},
		LanguagesClientToServer: []string{},
		LanguagesServerToClient: []string{},
		FirstKexPacketFollows:   true,
	}
}

func TestKexInitRoundTrip(t *testing.T) {
	want := sampleKexInit()
	payload := EncodeKexInit(want)
	pkt := EncodePacket(payload)
	if len(pkt)%8 != 0 || pkt[4] < 4 {
		t.Errorf("packet of %d bytes with %d bytes of padding: want a multiple of 8 and at least 4", len(pkt), pkt[4])
	}
	got, n, err := ParsePacket(append(pkt, "trailing"...))
	if err != nil || n != len(pkt) || !bytes.Equal(got, payload) {
		t.Fatalf("ParsePacket: %v, n %d of %d, payload equal %v", err, n, len(pkt), bytes.Equal(got, payload))
	}
	k, err := ParseKexInit(got)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(k, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", k, want)
	}
}

func TestPacketHeader(t *testing.T) {
	hdr := func(length uint32, pad byte) []byte {
		return append(binary.BigEndian.AppendUint32(nil, length), pad)
	}
	tests := []struct {
		name string
		in   []byte
		want int
		err  error
	}{
		{name: "ordinary", in: hdr(1020, 10), want: 1020},
		{name: "largest", in: hdr(MaxPacketBytes-4, 4), want: MaxPacketBytes - 4},
		{name: "one too large", in: hdr(MaxPacketBytes-3, 4), err: ErrBadPacket},
		{name: "2^31 bytes", in: hdr(1<<31, 4), err: ErrBadPacket},
		{name: "max uint32", in: hdr(0xffffffff, 4), err: ErrBadPacket},
		{name: "padding leaves no payload", in: hdr(5, 4), err: ErrBadPacket},
		{name: "smallest", in: hdr(6, 4), want: 6},
		{name: "zero", in: hdr(0, 0), err: ErrBadPacket},
		{name: "short", in: []byte{0, 0, 0}, err: ErrShortPacket},
	}
	for _, tt := range tests {
		got, err := PacketHeader(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("%s: got %d, %v; want %d, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}

func TestParsePacketShort(t *testing.T) {
	pkt := EncodePacket([]byte{msgIgnore, 0, 0, 0, 0})
	for i := range len(pkt) {
		if _, _, err := ParsePacket(pkt[:i]); !errors.Is(err, ErrShortPacket) && !errors.Is(err, ErrBadPacket) {
			t.Errorf("cut at %d: err = %v", i, err)
		}
	}
}

func TestParseKexInitErrors(t *testing.T) {
	full := EncodeKexInit(sampleKexInit())
	// Every cut before first_kex_packet_follows must fail cleanly.
	end := len(full) - 5
	for i := range end {
		if _, err := ParseKexInit(full[:i]); err == nil {
			t.Errorf("cut at %d of %d parsed", i, len(full))
		}
	}
	if _, err := ParseKexInit(full[:end+1]); err != nil {
		t.Errorf("without the reserved field: %v", err)
	}

	tooMany := sampleKexInit()
	tooMany.KexAlgorithms = strings.Split(strings.Repeat("a,", maxNames+1), ",")
	if _, err := ParseKexInit(EncodeKexInit(tooMany)); !errors.Is(err, ErrBadPacket) || !strings.Contains(err.Error(), "kex_algorithms") {
		t.Errorf("too many names: %v", err)
	}
	if _, err := ParseKexInit([]byte{msgIgnore}); err == nil {
		t.Error("IGNORE parsed as KEXINIT")
	}
}

func TestParseNameList(t *testing.T) {
	list := func(s string, rest ...byte) []byte {
		return append(append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...), rest...)
	}
	tests := []struct {
		name string
		in   []byte
		want []string
		rest []byte
		err  bool
	}{
		{name: "two", in: list("a,b", 9), want: []string{"a", "b"}, rest: []byte{9}},
		{name: "empty", in: list(""), want: []string{}, rest: []byte{}},
		{name: "empty names dropped", in: list(",a,,b,"), want: []string{"a", "b"}, rest: []byte{}},
		{name: "control bytes escaped", in: list("a\x1b[2J,b\xff"), want: []string{`a\x1b[2J`, `b\xff`}, rest: []byte{}},
		{name: "long name capped", in: list(strings.Repeat("n", 100)), want: []string{strings.Repeat("n", 64) + "…"}, rest: []byte{}},
		{name: "length past end", in: append(binary.BigEndian.AppendUint32(nil, 10), "abc"...), err: true},
		{name: "huge length", in: append(binary.BigEndian.AppendUint32(nil, 0xffffffff), "abc"...), err: true},
		{name: "no length", in: []byte{0, 0}, err: true},
	}
	for _, tt := range tests {
		got, rest, err := ParseNameList(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		if err == nil && (!reflect.DeepEqual(got, tt.want) || !bytes.Equal(rest, tt.rest)) {
			t.Errorf("%s: got %q rest %v; want %q rest %v", tt.name, got, rest, tt.want, tt.rest)
		}
	}
}

func TestParseDisconnect(t *testing.T) {
	msg := []byte{msgDisconnect, 0, 0, 0, 2}
	msg = binary.BigEndian.AppendUint32(msg, 14)
	msg = append(msg, "Bad \x1b[31mthing"...)
	code, desc, err := ParseDisconnect(msg)
	if err != nil || code != 2 || desc != `Bad \x1b[31mthing` {
		t.Errorf("got %d %q %v", code, desc, err)
	}
	if _, _, err := ParseDisconnect([]byte{msgDisconnect, 0}); err == nil {
		t.Error("short DISCONNECT parsed")
	}
	if _, desc, err := ParseDisconnect(append(msg[:9:9], "short"...)); err != nil || desc != "short" {
		t.Errorf("description shorter than its length: %q %v", desc, err)
	}
}

// FuzzPacket checks that any bytes either parse into a payload that lies
// inside them, or fail, and never need more than MaxPacketBytes.
func FuzzPacket(f *testing.F) {
	f.Add(EncodePacket(EncodeKexInit(sampleKexInit())))
	f.Add(EncodePacket([]byte{msgIgnore}))
	f.Add([]byte{0x80, 0, 0, 0, 4, 'x', 'x'})
	f.Add([]byte{0, 0, 0, 5, 4, 1, 2, 3, 4})
	f.Add([]byte{0, 0, 0, 6, 200, 1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, b []byte) {
		payload, n, err := ParsePacket(b)
		if err != nil {
			return
		}
		if n > len(b) || n > MaxPacketBytes || len(payload) == 0 || len(payload) > n-5 {
			t.Fatalf("payload %d bytes, consumed %d of %d", len(payload), n, len(b))
		}
	})
}

// FuzzKexInit parses arbitrary payloads: no panic, and every name kept is
// printable and within the caps.
func FuzzKexInit(f *testing.F) {
	f.Add(EncodeKexInit(sampleKexInit()))
	f.Add(EncodeKexInit(&KexInit{}))
	f.Add([]byte{msgKexInit})
	f.Add(append([]byte{msgKexInit}, make([]byte, 16+40)...))
	f.Add(append(append([]byte{msgKexInit}, make([]byte, 16)...), 0xff, 0xff, 0xff, 0xff))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKexInit(b)
		if err != nil {
			return
		}
		for _, l := range k.lists() {
			if len(*l) > maxNames {
				t.Fatalf("%d names kept", len(*l))
			}
			for _, n := range *l {
				if n == "" || !utf8.ValidString(n) || strings.ContainsAny(n, ",\x00\x1b\r\n") || utf8.RuneCountInString(n) > 10*maxNameRunes+1 {
					t.Fatalf("unsafe name %q", n)
				}
			}
		}
	})
}

// FuzzNameList parses arbitrary bytes as a name-list: the rest is always a
// suffix of the input.
func FuzzNameList(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x03a,b"))
	f.Add([]byte("\x00\x00\x00\x00"))
	f.Add([]byte("\x00\x00\x00\x05,,,,,rest"))
	f.Add([]byte("\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		names, rest, err := ParseNameList(b)
		if err != nil {
			return
		}
		if !bytes.HasSuffix(b, rest) || len(names) > maxNames {
			t.Fatalf("rest %q not a suffix of %q, or %d names", rest, b, len(names))
		}
	})
}

// FuzzDisconnect parses arbitrary DISCONNECT payloads.
func FuzzDisconnect(f *testing.F) {
	f.Add([]byte{msgDisconnect, 0, 0, 0, 2, 0, 0, 0, 3, 'b', 'y', 'e'})
	f.Add([]byte{msgDisconnect, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 'x'})
	f.Add([]byte{msgDisconnect})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, desc, err := ParseDisconnect(b)
		if err == nil && (!utf8.ValidString(desc) || strings.ContainsAny(desc, "\x00\x1b\r\n")) {
			t.Fatalf("unsafe description %q", desc)
		}
	})
}
