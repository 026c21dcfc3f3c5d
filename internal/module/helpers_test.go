package module

import (
	"errors"
	"io"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

func TestHelpers(t *testing.T) {
	if err := NoMatch("x11", "status %d", 3); !errors.Is(err, ErrNoMatch) || err.Error() != "the answer is not this protocol: x11: status 3" {
		t.Errorf("NoMatch: %v", err)
	}
	if err := IONoMatch("x11", io.EOF); !errors.Is(err, ErrNoMatch) || !errors.Is(err, io.EOF) {
		t.Errorf("IONoMatch: %v", err)
	}
	if err := IONoMatch("x11", nil); !errors.Is(err, ErrNoMatch) {
		t.Errorf("IONoMatch without an error: %v", err)
	}
	if got := Clean("a\x1b[2Jb", 64); got != `a\x1b[2Jb` {
		t.Errorf("Clean: %q", got)
	}
	if got := []rune(Clean("\x00\x00\x00\x00\x00\x00", 10)); len(got) > 10 {
		t.Errorf("Clean kept %d runes, cap 10", len(got))
	}
	if got := FirstLine([]byte("@RSYNCD: 31.0\r\nmore")); got != "@RSYNCD: 31.0" {
		t.Errorf("FirstLine: %q", got)
	}
	for _, tt := range []struct {
		s    facts.Service
		want string
	}{
		{facts.Service{Product: "ntpd", Version: "4.2.6"}, " (ntpd 4.2.6)"},
		{facts.Service{Product: "chrony"}, " (chrony)"},
		{facts.Service{Version: "1"}, ""},
	} {
		if got := ProductNote(&tt.s); got != tt.want {
			t.Errorf("ProductNote(%+v) = %q", tt.s, got)
		}
	}
	if got := ListSome([]string{"a", "b", "c"}, 2); got != `"a", "b", and 1 more` {
		t.Errorf("ListSome: %q", got)
	}
	if got := ListSome(nil, 2); got != "" {
		t.Errorf("ListSome(nil): %q", got)
	}
	if a, b := FwNoAuth(), FwNoAuth(); len(a) == 0 || &a[0] == &b[0] {
		t.Error("FwNoAuth must return a fresh list")
	}
}
