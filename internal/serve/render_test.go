package serve

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestVisible(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain <b>text</b>\n\ttab", "plain <b>text</b>\n\ttab"},
		{"\x1b[31mred\x1b[0m", "␛[31mred␛[0m"},
		{"bell\x07 nul\x00 del\x7f", "bell␇ nul␀ del␡"},
		{"csi\u009b1m rlo\u202eabc", "csi\uFFFD1m rlo\uFFFDabc"},
		{"bad \xff\xfe utf8", "bad \uFFFD utf8"},
	}
	for _, tt := range tests {
		if got := visible(tt.in); got != tt.want {
			t.Errorf("visible(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzVisible(f *testing.F) {
	for _, s := range []string{"", "<p>ok</p>\n", "\x1b]0;title\x07", "\u202e\u2066x\u2069", "\xc3\x28", "\r\n\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := visible(s)
		if !utf8.ValidString(out) {
			t.Fatalf("visible(%q) is not UTF-8", s)
		}
		for _, r := range out {
			if r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 ||
				r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
				t.Fatalf("visible(%q) keeps %U", s, r)
			}
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
			return r < 0x20 || r >= 0x7f && r < 0xa0 || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
		}) && out != s {
			t.Fatalf("visible changed a clean string %q to %q", s, out)
		}
	})
}
