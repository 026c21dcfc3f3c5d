package ber

import (
	"bytes"
	"testing"
)

func TestIntegers(t *testing.T) {
	tests := []struct {
		v    int64
		want []byte
	}{
		{0, []byte{0}}, {1, []byte{1}}, {127, []byte{0x7f}}, {128, []byte{0, 0x80}},
		{256, []byte{1, 0}}, {-1, []byte{0xff}}, {-128, []byte{0x80}}, {-129, []byte{0xff, 0x7f}},
		{65507, []byte{0, 0xff, 0xe3}}, {1 << 40, []byte{1, 0, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		got := IntBytes(tt.v)
		if !bytes.Equal(got, tt.want) {
			t.Errorf("IntBytes(%d) = %x, want %x", tt.v, got, tt.want)
		}
		back, err := Int(got)
		if err != nil || back != tt.v {
			t.Errorf("Int(%x) = %d, %v", got, back, err)
		}
	}
	// An unsigned 32-bit counter with its leading zero.
	if v, err := Int([]byte{0, 0xff, 0xff, 0xff, 0xff}); err != nil || v != 0xffffffff {
		t.Errorf("counter = %d %v", v, err)
	}
	for _, bad := range [][]byte{nil, make([]byte, 10), {1, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if _, err := Int(bad); err == nil {
			t.Errorf("Int(%x) succeeded", bad)
		}
	}
}

func TestLengthsAndParse(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 255, 256, 70000} {
		content := bytes.Repeat([]byte{'a'}, n)
		enc := TLV(TagOctetString, content)
		e, rest, err := Parse(enc)
		if err != nil || len(rest) != 0 || !bytes.Equal(e.Content, content) || e.ID() != TagOctetString {
			t.Errorf("length %d: %v rest %d", n, err, len(rest))
		}
		if l, ok := Len(append(enc, 1, 2)); !ok || l != len(enc) {
			t.Errorf("Len(%d) = %d %v", n, l, ok)
		}
	}
	bad := [][]byte{
		{0x04},                      // no length
		{0x04, 0x05, 'a'},           // short content
		{0x04, 0x80},                // indefinite length
		{0x04, 0x85, 1, 1, 1, 1, 1}, // length of 5 octets
		{0x1f, 0x81, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00}, // tag too long
	}
	for _, b := range bad {
		if _, _, err := Parse(b); err == nil {
			t.Errorf("Parse(%x) succeeded", b)
		}
	}
	// High tag number form.
	if e, _, err := Parse([]byte{0x9f, 0x81, 0x00, 0x00}); err != nil || e.Tag != 128 || e.Class != Context {
		t.Errorf("high tag: %+v %v", e, err)
	}
}

func TestOID(t *testing.T) {
	for _, oid := range []string{"1.3.6.1.2.1.1.1.0", "1.3.6.1.6.3.15.1.1.4.0", "2.999.3", "1.2.840.113556.1.4.800"} {
		enc := EncodeOID(oid)
		e, _, err := Parse(enc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := OID(e.Content)
		if err != nil || got != oid {
			t.Errorf("OID %s round trip = %s, %v", oid, got, err)
		}
	}
	if !bytes.Equal(EncodeOID("1.3.6.1.2.1.1.1.0"), []byte{6, 8, 0x2b, 6, 1, 2, 1, 1, 1, 0}) {
		t.Errorf("sysDescr OID = %x", EncodeOID("1.3.6.1.2.1.1.1.0"))
	}
	for _, bad := range [][]byte{nil, {0x2b, 0x86}} {
		if _, err := OID(bad); err == nil {
			t.Errorf("OID(%x) succeeded", bad)
		}
	}
}

func FuzzBER(f *testing.F) {
	f.Add(TLV(TagSequence, Concat(Integer(TagInteger, 1), Octets("public"))))
	f.Add(EncodeOID("1.3.6.1.2.1.1.1.0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, _, err := Parse(b)
		if err != nil {
			return
		}
		Children(e.Content)
		Int(e.Content)
		OID(e.Content)
		Len(b)
	})
}
