package x11

import (
	"encoding/binary"
	"strings"
	"testing"
	"unicode"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
)

func TestJudge(t *testing.T) {
	tests := []struct {
		name string
		x    *Setup
		want []string // evidence of the one x11.open hit; nil for none
	}{
		{"open", &Setup{Status: Success, Vendor: "The X.Org Foundation", Release: 12101007, Screens: 1},
			[]string{"tcp/6000", "without any authorisation", "The X.Org Foundation"}},
		{"refused", &Setup{Status: Failed, Reason: "Authorization required"}, nil},
		{"authenticate", &Setup{Status: Authenticate}, nil},
		{"not identified by setup", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &facts.Service{Port: 6000, Transport: facts.TCP, Name: "x11"}
			Evidence.Set(s, tt.x)
			hits := Module.Judge(module.Input{Service: s})
			if tt.want == nil {
				if len(hits) != 0 {
					t.Fatalf("got %+v", hits)
				}
				return
			}
			if len(hits) != 1 || hits[0].Check != "x11.open" {
				t.Fatalf("got %+v", hits)
			}
			for _, w := range tt.want {
				if !strings.Contains(hits[0].Evidence, w) {
					t.Errorf("evidence %q lacks %q", hits[0].Evidence, w)
				}
			}
		})
	}
}

func TestParseSetup(t *testing.T) {
	x, err := parseSetup(reply(1, "", "The X.Org Foundation", 12101007))
	if err != nil || x.Status != Success || x.Vendor != "The X.Org Foundation" || x.ProtocolMajor != 11 {
		t.Fatalf("%+v %v", x, err)
	}
	if !setupDone(reply(0, "no", "", 0)) || setupDone([]byte{1, 0, 11}) {
		t.Error("setupDone")
	}
}

func TestParseX11SetupRejects(t *testing.T) {
	for _, b := range [][]byte{
		nil,
		{1, 0, 10, 0, 0, 0, 0, 0}, // protocol 10
		{3, 0, 11, 0, 0, 0, 0, 0}, // unknown status
		{0, 40, 11, 0, 0, 0, 1, 0, 'a', 'b', 'c', 'd'}, // reason longer than the reply
		reply(1, "", "vendor", 1)[:20],                 // cut Success
	} {
		if x, err := parseSetup(b); err == nil {
			t.Errorf("%x parsed: %+v", b, x)
		}
	}
}

func TestX11Product(t *testing.T) {
	tests := []struct {
		vendor           string
		release          uint32
		product, version string
	}{
		{"The X.Org Foundation", 12101007, "X.Org X Server", "21.1.7"},
		{"The X.Org Foundation", 12011000, "X.Org X Server", "1.20.11"},
		{"TigerVNC project", 12014000, "TigerVNC project", ""},
	}
	for _, tt := range tests {
		p, v := product(Setup{Vendor: tt.vendor, Release: tt.release})
		if p != tt.product || v != tt.version {
			t.Errorf("%s %d: %q %q", tt.vendor, tt.release, p, v)
		}
	}
}

func FuzzParseX11Setup(f *testing.F) {
	f.Add(reply(1, "", "The X.Org Foundation", 12101007))
	f.Add(reply(0, "no", "", 0))
	f.Add([]byte{2, 0, 0, 0, 0, 0, 1, 0, 'a', 'b', 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := parseSetup(b)
		if err != nil {
			return
		}
		s := facts.Service{Port: 6000, Transport: facts.TCP, Name: facts.Unknown}
		apply(x, &s)
		for _, v := range []string{s.Banner, s.Product, s.Version, x.Reason, x.Vendor} {
			if strings.IndexFunc(v, unicode.IsControl) >= 0 {
				t.Fatalf("not printable: %q", v)
			}
		}
	})
}

// reply is an X server's setup reply: Failed with reason when status is 0,
// else Success naming vendor and release.
func reply(status byte, reason string, vendor string, release uint32) []byte {
	if status == 0 {
		body := []byte(reason)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
		h := []byte{0, byte(len(reason)), 11, 0, 0, 0, 0, 0}
		binary.LittleEndian.PutUint16(h[6:], uint16(len(body)/4))
		return append(h, body...)
	}
	body := make([]byte, 32)
	binary.LittleEndian.PutUint32(body, release)
	binary.LittleEndian.PutUint16(body[16:], uint16(len(vendor)))
	body[20] = 1
	body = append(body, vendor...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	body = append(body, make([]byte, 64)...) // formats and screens, not read
	h := []byte{1, 0, 11, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(h[6:], uint16(len(body)/4))
	return append(h, body...)
}
