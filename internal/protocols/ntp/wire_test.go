package ntp

import (
	"encoding/binary"
	"strings"
	"testing"
	"unicode"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
)

// mode6Reply is a READVAR answer fragment with data.
func mode6Reply(seq uint16, more, errBit bool, data string) []byte {
	b := make([]byte, 12, 12+len(data)+3)
	b[0] = 2<<3 | mode6
	b[1] = 0x80 | opReadVar
	if errBit {
		b[1] |= 0x40
		b[4] = 5
	}
	if more {
		b[1] |= 0x20
	}
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint16(b[10:], uint16(len(data)))
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// mode7Reply is a MON_GETLIST_1 answer packet with n items of size 72.
func mode7Reply(more bool, errCode, n int) []byte {
	b := make([]byte, 8+n*72)
	b[0] = 0x80 | 2<<3 | mode7
	if more {
		b[0] |= 0x40
	}
	b[2], b[3] = implXNTPD, reqMonGetList
	binary.BigEndian.PutUint16(b[4:], uint16(errCode<<12|n))
	binary.BigEndian.PutUint16(b[6:], 72)
	return b
}

func TestRequests(t *testing.T) {
	r := readVarRequest(0x1234)
	if len(r) != 12 || r[0] != 0x16 || r[1] != 2 || binary.BigEndian.Uint16(r[2:]) != 0x1234 {
		t.Errorf("READVAR request % x", r)
	}
	m := monListRequest()
	if len(m) != 48 || m[0] != 0x17 || m[2] != 3 || m[3] != 42 {
		t.Errorf("MON_GETLIST_1 request % x", m[:8])
	}
}

func TestParseAnswer(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want answer
	}{
		{"readvar", mode6Reply(5, false, false, "version=\"ntpd 4.2.8\", stratum=2, refid=1.2.3.4"), answer{mode: 6, last: true, items: 3}},
		{"readvar fragment", mode6Reply(5, true, false, "a=1"), answer{mode: 6, items: 1}},
		{"readvar error", mode6Reply(5, false, true, ""), answer{mode: 6, last: true, err: 5}},
		{"readvar of another sequence", mode6Reply(6, false, false, "a=1"), answer{}},
		{"our own request echoed", readVarRequest(5), answer{}},
		{"monlist", mode7Reply(false, 0, 6), answer{mode: 7, last: true, items: 6}},
		{"monlist with more", mode7Reply(true, 0, 6), answer{mode: 7, items: 6}},
		{"monlist refused", mode7Reply(false, 4, 0), answer{mode: 7, last: true, err: 4}},
		{"our own monlist request", monListRequest(), answer{}},
		{"mode 4", append([]byte{0x24}, make([]byte, 47)...), answer{}},
		{"short", []byte{0x97, 0, 3}, answer{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseAnswer(tt.b, 5); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTally(t *testing.T) {
	tl := &tally{}
	if tl.result() != nil {
		t.Fatal("a request nothing answered has a result")
	}
	tl.amp.Sent = 48
	tl.add(answer{mode: 7, items: 6}, 440)
	tl.add(answer{mode: 7, last: true, items: 2}, 152)
	r := tl.result()
	if r.Packets != 2 || r.Received != 592 || r.Items != 8 || !tl.last || r.Factor() < 12.3 || r.Factor() > 12.4 || !r.Amplifies() {
		t.Errorf("got %+v factor %v", r, r.Factor())
	}
}

func FuzzParseAnswer(f *testing.F) {
	f.Add(mode6Reply(5, false, false, "version=\"x\""))
	f.Add(mode7Reply(true, 0, 6))
	f.Add(mode7Reply(false, 4, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		a := parseAnswer(b, 5)
		if a.mode != 0 && a.mode != 6 && a.mode != 7 {
			t.Fatalf("mode %d", a.mode)
		}
		if a.items < 0 || a.items > len(b) {
			if a.mode == 6 {
				t.Fatalf("%d items from %d bytes", a.items, len(b))
			}
		}
	})
}

func TestParseReply(t *testing.T) {
	nonce := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	req := request(nonce)
	if len(req) != 48 || req[0] != 0x23 {
		t.Fatalf("request %x", req[:4])
	}
	reply := func(first, stratum byte, ref string, origin [8]byte) []byte {
		b := make([]byte, 48)
		b[0], b[1] = first, stratum
		copy(b[12:], ref)
		copy(b[24:], origin[:])
		return b
	}
	tests := []struct {
		name           string
		in             []byte
		ok             bool
		stratum, refid string
	}{
		{"stratum 2", reply(0x24, 2, "\x7f\x7f\x01\x01", nonce), true, "2", "127.127.1.1"},
		{"stratum 1 gps", reply(0x24, 1, "GPS\x00", nonce), true, "1", "GPS"},
		{"kiss of death", reply(0xe4, 0, "RATE", nonce), true, "0", "RATE"},
		{"v3 server", reply(0x1c, 3, "\x0a\x00\x00\x01", nonce), true, "3", "10.0.0.1"},
		{"wrong origin", reply(0x24, 2, "xxxx", [8]byte{}), false, "", ""},
		{"client mode", reply(0x23, 2, "xxxx", nonce), false, "", ""},
		{"short", req[:40], false, "", ""},
	}
	for _, tt := range tests {
		r, err := parseReply(tt.in, nonce)
		if (err == nil) != tt.ok {
			t.Errorf("%s: error %v, want ok %v", tt.name, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		s := facts.Service{Port: 123, Transport: facts.UDP, Name: facts.Unknown}
		apply(r, &s)
		if s.Name != "ntp" || s.Detail("ntp.stratum") != tt.stratum || s.Detail("ntp.refid") != tt.refid {
			t.Errorf("%s: got %v", tt.name, s.Details)
		}
	}
}

// TestSession: the session sends the same request on every try, matches
// only the reply that echoes its nonce, and is then complete.
func TestSession(t *testing.T) {
	ss := newSession(module.UDPEnv{})
	req := ss.Request(0)
	if string(ss.Request(1)) != string(req) {
		t.Error("the request changes between tries")
	}
	var s facts.Service
	if m, _ := ss.Answer(req, &s); m {
		t.Error("our own request matched")
	}
	answer := append([]byte(nil), req...)
	answer[0], answer[1] = 0x24, 3
	copy(answer[24:32], req[40:48])
	if m, complete := ss.Answer(answer, &s); !m || !complete || s.Name != "ntp" || s.Banner != "NTPv4 stratum 3 refid 0.0.0.0" {
		t.Errorf("matched %v complete %v: %+v", m, complete, s)
	}
}

func FuzzParseReply(f *testing.F) {
	b := make([]byte, 48)
	b[0], b[1] = 0x24, 2
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseReply(b, [8]byte{})
		if err != nil {
			return
		}
		s := facts.Service{Port: 123, Transport: facts.UDP, Name: facts.Unknown}
		apply(r, &s)
		for _, v := range append([]string{s.Banner}, s.Details[facts.DetailNTPRefID]) {
			if strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) }) >= 0 {
				t.Fatalf("not printable: %q", v)
			}
		}
	})
}
