package ber

import (
	"bytes"
	"errors"
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

func TestNeed(t *testing.T) {
	long := TLV(TagOctetString, bytes.Repeat([]byte{'a'}, 300)) // 0x04 0x82 0x01 0x2c …
	tests := []struct {
		name string
		in   []byte
		want int
		bad  bool
	}{
		{"complete", []byte{0x04, 0x01, 'a', 0xff}, 3, false},
		{"content still missing", []byte{0x04, 0x05, 'a'}, 7, false},
		{"long form, content missing", long[:10], len(long), false},
		{"empty", nil, 0, false},
		{"identifier only", []byte{0x30}, 0, false},
		{"length octets cut", long[:3], 0, false},
		{"high tag cut", []byte{0x9f, 0x81}, 0, false},
		{"high tag", []byte{0x9f, 0x81, 0x00, 0x02}, 6, false},
		{"indefinite length", []byte{0x30, 0x80}, 0, true},
		{"length of 5 octets", []byte{0x04, 0x85, 1}, 0, true},
		{"tag too long", []byte{0x1f, 0x81, 0x81, 0x81, 0x81, 0x81}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Need(tt.in)
			if n != tt.want || (err != nil) != tt.bad {
				t.Fatalf("Need(%x) = %d, %v; want %d, malformed %v", tt.in, n, err, tt.want, tt.bad)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", err)
			}
		})
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

// FuzzNeed checks Need against Parse: whenever Need says the element is
// all there, Parse decodes exactly that many bytes, and the reverse.
func FuzzNeed(f *testing.F) {
	f.Add(TLV(TagSequence, Concat(Integer(TagInteger, 1), Octets("public"))))
	f.Add([]byte{0x30, 0x80, 0, 0})
	f.Add([]byte{0x9f, 0x81, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := Need(b)
		_, rest, perr := Parse(b)
		switch {
		case err != nil && perr == nil:
			t.Fatalf("Need fails (%v) where Parse succeeds", err)
		case n < 0:
			t.Fatalf("Need = %d", n)
		case perr == nil && n != len(b)-len(rest):
			t.Fatalf("Need = %d, Parse used %d", n, len(b)-len(rest))
		case perr != nil && err == nil && n > 0 && n <= len(b):
			t.Fatalf("Need = %d of %d bytes but Parse fails: %v", n, len(b), perr)
		}
	})
}
