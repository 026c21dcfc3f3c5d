package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPrintable(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"SSH-2.0-OpenSSH_9.2p1", 0, "SSH-2.0-OpenSSH_9.2p1"},
		{"a\x1b[31mred\x1b[0m", 0, `a\x1b[31mred\x1b[0m`},
		{"line\r\nnext", 0, `line\x0d\x0anext`},
		{"\x1b]0;pwned\x07", 0, `\x1b]0;pwned\x07`},
		{`back\slash`, 0, `back\\slash`},
		{"bad\xffutf8", 0, `bad\xffutf8`},
		{"café", 0, "café"},
		{"\u202etxt.exe", 0, `\u{202e}txt.exe`},
		{"\u009b31m", 0, `\u{9b}31m`},
		{"abcdef", 3, "abc…"},
		{"<script>alert(1)</script>", 0, "<script>alert(1)</script>"},
	}
	for _, tt := range tests {
		if got := String(tt.in, tt.max); got != tt.want {
			t.Errorf("String(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestLine(t *testing.T) {
	if got := Line([]byte("220 ready\r\n220 more"), 0); got != "220 ready" {
		t.Errorf("Line = %q", got)
	}
}

func TestTerminal(t *testing.T) {
	if got := Terminal("plain text"); got != "plain text" {
		t.Errorf("Terminal changed clean text: %q", got)
	}
	if got := Terminal("x\x1b[2Jy"); strings.ContainsRune(got, 0x1b) {
		t.Errorf("Terminal left an ESC: %q", got)
	}
}

func FuzzPrintable(f *testing.F) {
	for _, s := range []string{"", "SSH-2.0-x", "\x1b[31m", "\xff\xfe", "\u202e", "\\x1b"} {
		f.Add([]byte(s), 10)
	}
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		max = max % 300
		got := Printable(b, max)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 out: %q", got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("control character %U in output %q", r, got)
			}
		}
		if Terminal(got) != got {
			t.Fatalf("Terminal changed already-printable text %q", got)
		}
	})
}
