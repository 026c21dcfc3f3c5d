package tlsaudit

import (
	"bytes"
	"slices"
	"testing"

	"golang.org/x/crypto/cryptobyte"

	"github.com/vigilsec/vigil/internal/tlsinfo"
)

// parsedHello is a ClientHello as a server would read it.
type parsedHello struct {
	recVersion, version uint16
	sessionID           []byte
	suites              []uint16
	exts                map[uint16][]byte
	extOrder            []uint16
	size                int
}

func parseClientHello(t *testing.T, rec []byte) parsedHello {
	t.Helper()
	recs, rest, err := parseRecords(rec)
	if err != nil || len(recs) != 1 || len(rest) != 0 || recs[0].typ != recHandshake {
		t.Fatalf("not one handshake record: %v %d %v", len(recs), len(rest), err)
	}
	msgs, rest, err := parseHandshakes(recs[0].payload)
	if err != nil || len(msgs) != 1 || len(rest) != 0 || msgs[0].typ != 1 {
		t.Fatalf("not one ClientHello: %v", err)
	}
	p := parsedHello{recVersion: recs[0].version, exts: map[uint16][]byte{}, size: len(recs[0].payload)}
	r := cryptobyte.String(msgs[0].body)
	var sid, cs, comp cryptobyte.String
	if !r.ReadUint16(&p.version) || !r.Skip(32) || !r.ReadUint8LengthPrefixed(&sid) ||
		!r.ReadUint16LengthPrefixed(&cs) || !r.ReadUint8LengthPrefixed(&comp) {
		t.Fatal("short ClientHello")
	}
	p.sessionID = sid
	for !cs.Empty() {
		var id uint16
		if !cs.ReadUint16(&id) {
			t.Fatal("odd cipher suite list")
		}
		p.suites = append(p.suites, id)
	}
	if !bytes.Equal(comp, []byte{0}) {
		t.Fatalf("compression methods % x", []byte(comp))
	}
	if !r.Empty() {
		var exts cryptobyte.String
		if !r.ReadUint16LengthPrefixed(&exts) || !r.Empty() {
			t.Fatal("bad extensions")
		}
		for !exts.Empty() {
			var typ uint16
			var data cryptobyte.String
			if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
				t.Fatal("bad extensions")
			}
			p.exts[typ] = data
			p.extOrder = append(p.extOrder, typ)
		}
	}
	return p
}

func TestBuildClientHello(t *testing.T) {
	random := bytes.Repeat([]byte{1}, 32)
	key := bytes.Repeat([]byte{9}, 32)
	tests := []struct {
		name       string
		p          helloParams
		recVersion uint16
		version    uint16
		has, lacks []uint16
	}{
		{"SSLv3 without extensions", helloParams{Version: tlsinfo.VersionSSL3, Suites: []uint16{0x000A}, ServerName: "mail.example"}, 0x0300, 0x0300,
			nil, []uint16{extServerName, extSupportedGroups}},
		{"TLS 1.0 with SNI", helloParams{Version: tlsinfo.VersionTLS10, Suites: []uint16{0xC013}, ServerName: "mail.example"}, 0x0301, 0x0301,
			[]uint16{extServerName, extSupportedGroups, extECPointFormats, extRenegotiationInfo}, []uint16{extSignatureAlgorithms, extSupportedVersions}},
		{"TLS 1.2 to an IP: no SNI", helloParams{Version: tlsinfo.VersionTLS12, Suites: []uint16{0xC02F}, ServerName: "127.0.2.10"}, 0x0301, 0x0303,
			[]uint16{extSupportedGroups, extSignatureAlgorithms, extRenegotiationInfo}, []uint16{extServerName, extSupportedVersions, extKeyShare}},
		{"TLS 1.3", helloParams{Version: tlsinfo.VersionTLS13, Suites: []uint16{0x1301}, KeyShare: key, SessionID: random}, 0x0301, 0x0303,
			[]uint16{extSupportedVersions, extKeyShare, extSupportedGroups, extSignatureAlgorithms, extPSKModes}, []uint16{extRenegotiationInfo, extServerName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.p.Random = random
			h := parseClientHello(t, buildClientHello(tt.p))
			if h.recVersion != tt.recVersion || h.version != tt.version {
				t.Errorf("record version %04x hello version %04x", h.recVersion, h.version)
			}
			if !slices.Equal(h.suites, tt.p.Suites) {
				t.Errorf("suites %04x", h.suites)
			}
			for _, e := range tt.has {
				if _, ok := h.exts[e]; !ok {
					t.Errorf("lacks extension %d", e)
				}
			}
			for _, e := range tt.lacks {
				if _, ok := h.exts[e]; ok {
					t.Errorf("has extension %d", e)
				}
			}
			if sni, ok := h.exts[extServerName]; ok && !bytes.HasSuffix(sni, []byte(tt.p.ServerName)) {
				t.Errorf("server_name % x", sni)
			}
			if sv, ok := h.exts[extSupportedVersions]; ok && !bytes.Equal(sv, []byte{2, 3, 4}) {
				t.Errorf("supported_versions % x offers more than TLS 1.3", sv)
			}
			if ks, ok := h.exts[extKeyShare]; ok && (!bytes.HasSuffix(ks, key) || !bytes.HasPrefix(ks[2:], []byte{0, 0x1d, 0, 32})) {
				t.Errorf("key_share % x", ks)
			}
			if h.size >= 256 && h.size < 512 {
				t.Errorf("hello of %d bytes is in the 256–511 range", h.size)
			}
		})
	}
}

// TestHelloPadding: hellos that would fall in 256–511 bytes are padded to
// 512 (RFC 7685), whatever the number of suites.
func TestHelloPadding(t *testing.T) {
	for n := 1; n < 300; n++ {
		suites := make([]uint16, n)
		for i := range suites {
			suites[i] = uint16(i + 1)
		}
		rec := buildClientHello(helloParams{Version: tlsinfo.VersionTLS12, Suites: suites, Random: make([]byte, 32), ServerName: "host.example"})
		h := parseClientHello(t, rec)
		if h.size >= 256 && h.size < 512 {
			t.Fatalf("%d suites: hello of %d bytes", n, h.size)
		}
		if _, padded := h.exts[extPadding]; padded && (h.size < 512 || h.size > 515) {
			t.Fatalf("%d suites: padded hello of %d bytes", n, h.size)
		}
	}
}

func TestBuildSSLv2ClientHello(t *testing.T) {
	kinds := []uint32{0x010080, 0x0700C0}
	ch := bytes.Repeat([]byte{5}, 16)
	rec := buildSSLv2ClientHello(kinds, ch)
	msg, complete, err := parseSSLv2Record(rec)
	if err != nil || !complete {
		t.Fatal(err)
	}
	want := []byte{1, 0, 2, 0, 6, 0, 0, 0, 16, 0x01, 0x00, 0x80, 0x07, 0x00, 0xC0}
	want = append(want, ch...)
	if !bytes.Equal(msg, want) {
		t.Errorf("CLIENT-HELLO\n% x\nwant\n% x", msg, want)
	}
}
