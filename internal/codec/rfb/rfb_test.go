package rfb

import (
	"errors"
	"testing"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want Version
		err  error
	}{
		{"RFB 003.008\n", Version{3, 8}, nil},
		{"RFB 003.003\n", Version{3, 3}, nil},
		{"RFB 003.889\n", Version{3, 889}, nil},
		{"RFB 004.001\nmore", Version{4, 1}, nil},
		{"RFB 003.008", Version{}, ErrNoVersion},
		{"RFB 03.008\n", Version{}, ErrNoVersion},
		{"RFB 003,008\n", Version{}, ErrNoVersion},
		{"SSH-2.0-x\r\n", Version{}, ErrNoVersion},
		{"", Version{}, ErrNoVersion},
		{"RFB 0x3.008\n", Version{}, ErrBadDigits},
		{"RFB 003.00x\n", Version{}, ErrBadDigits},
	}
	for _, tc := range tests {
		got, err := ParseVersion([]byte(tc.in))
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestMessage(t *testing.T) {
	for v, want := range map[Version]string{{3, 8}: "RFB 003.008\n", {3, 3}: "RFB 003.003\n", {3, 889}: "RFB 003.889\n", {1000, -1}: "RFB 999.000\n"} {
		if got := string(v.Message()); got != want {
			t.Errorf("%v.Message() = %q, want %q", v, got, want)
		}
	}
	if s := (Version{3, 889}).String(); s != "3.889" {
		t.Errorf("String = %q", s)
	}
}

func FuzzParseVersion(f *testing.F) {
	f.Add([]byte("RFB 003.008\n"))
	f.Add([]byte("RFB 003.889\nxyz"))
	f.Add([]byte("RFB 0x3.008\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseVersion(b)
		if err != nil {
			return
		}
		if v.Major < 0 || v.Major > 999 || v.Minor < 0 || v.Minor > 999 {
			t.Fatalf("version %v out of range", v)
		}
		if got := string(v.Message()); got != string(b[:Len]) {
			t.Fatalf("Message() = %q, read from %q", got, b[:Len])
		}
	})
}
