package tlsaudit

import (
	"io"

	"bytes"
	"encoding/binary"
	"errors"
	"github.com/vigilsec/vigil/internal/wire"
	"slices"
	"testing"
)

// Builders of server messages for tests and fuzz seeds.

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

func u24(n int) []byte { return []byte{byte(n >> 16), byte(n >> 8), byte(n)} }

func recordOf(typ uint8, version uint16, payload []byte) []byte {
	b := []byte{typ}
	b = binary.BigEndian.AppendUint16(b, version)
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	return append(b, payload...)
}

func handshakeOf(typ uint8, body []byte) []byte {
	return append(append([]byte{typ}, u24(len(body))...), body...)
}

type extension struct {
	typ  uint16
	data []byte
}

func serverHelloBody(version uint16, random []byte, suite uint16, exts ...extension) []byte {
	b := u16(version)
	if random == nil {
		random = bytes.Repeat([]byte{0x42}, 32)
	}
	b = append(b, random...)
	b = append(b, 0) // empty session id
	b = append(b, u16(suite)...)
	b = append(b, 0) // null compression
	if exts != nil {
		var e []byte
		for _, x := range exts {
			e = append(e, u16(x.typ)...)
			e = append(e, u16(uint16(len(x.data)))...)
			e = append(e, x.data...)
		}
		b = append(b, u16(uint16(len(e)))...)
		b = append(b, e...)
	}
	return b
}

func certificateBody(certs ...[]byte) []byte {
	var list []byte
	for _, c := range certs {
		list = append(list, u24(len(c))...)
		list = append(list, c...)
	}
	return append(u24(len(list)), list...)
}

func ssl2ServerHelloMsg(cert []byte, kinds ...uint32) []byte {
	m := []byte{ssl2MsgServerHello, 0, 1}
	m = append(m, u16(0x0002)...)
	m = append(m, u16(uint16(len(cert)))...)
	m = append(m, u16(uint16(3*len(kinds)))...)
	m = append(m, u16(16)...)
	m = append(m, cert...)
	for _, k := range kinds {
		m = append(m, byte(k>>16), byte(k>>8), byte(k))
	}
	return append(m, bytes.Repeat([]byte{7}, 16)...)
}

func ssl2Record(msg []byte) []byte {
	return append([]byte{0x80 | byte(len(msg)>>8), byte(len(msg))}, msg...)
}

func TestParseServerHello(t *testing.T) {
	tests := []struct {
		name        string
		body        []byte
		wantVersion uint16
		wantSuite   uint16
		wantHRR     bool
		wantGroup   uint16
		wantErr     bool
	}{
		{"TLS 1.2 without extensions", serverHelloBody(0x0303, nil, 0xC02F), 0x0303, 0xC02F, false, 0, false},
		{"TLS 1.0 with renegotiation_info", serverHelloBody(0x0301, nil, 0x002F, extension{0xFF01, []byte{0}}), 0x0301, 0x002F, false, 0, false},
		{"TLS 1.3", serverHelloBody(0x0303, nil, 0x1301, extension{extSupportedVersions, u16(0x0304)}, extension{extKeyShare, append(u16(0x001D), append(u16(32), make([]byte, 32)...)...)}), 0x0304, 0x1301, false, 0x001D, false},
		{"HelloRetryRequest", serverHelloBody(0x0303, helloRetryRandom, 0x1302, extension{extSupportedVersions, u16(0x0304)}, extension{extKeyShare, u16(0x0017)}), 0x0304, 0x1302, true, 0x0017, false},
		{"truncated", serverHelloBody(0x0303, nil, 0xC02F)[:20], 0, 0, false, 0, true},
		{"extension overruns", append(serverHelloBody(0x0303, nil, 0xC02F), 0, 10, 0, 1), 0, 0, false, 0, true},
		{"short supported_versions", serverHelloBody(0x0303, nil, 0x1301, extension{extSupportedVersions, []byte{3}}), 0, 0, false, 0, true},
		{"trailing byte after extensions", append(serverHelloBody(0x0303, nil, 0xC02F, extension{0xFF01, []byte{0}}), 9), 0, 0, false, 0, true},
		{"empty", nil, 0, 0, false, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := parseServerHello(tt.body)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, errMalformed) {
					t.Errorf("error %v is not errMalformed", err)
				}
				return
			}
			if h.Version() != tt.wantVersion || h.Suite != tt.wantSuite || h.HelloRetry != tt.wantHRR || h.KeyShareGroup != tt.wantGroup {
				t.Errorf("got version %04x suite %04x hrr %v group %04x", h.Version(), h.Suite, h.HelloRetry, h.KeyShareGroup)
			}
		})
	}
}

func TestParseAlert(t *testing.T) {
	tests := []struct {
		in      []byte
		want    string
		wantErr bool
	}{
		{[]byte{2, 40}, "fatal handshake_failure (40)", false},
		{[]byte{2, 70}, "fatal protocol_version (70)", false},
		{[]byte{1, 112}, "warning unrecognized_name (112)", false},
		{[]byte{2, 250}, "fatal alert (250)", false},
		{[]byte{2}, "", true},
		{nil, "", true},
	}
	for _, tt := range tests {
		a, err := parseAlert(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseAlert(% x) err = %v", tt.in, err)
			continue
		}
		if err == nil && a.String() != tt.want {
			t.Errorf("parseAlert(% x) = %q, want %q", tt.in, a.String(), tt.want)
		}
	}
}

func TestParseCertificateMsg(t *testing.T) {
	c1, c2 := []byte("leaf-der"), []byte("intermediate-der")
	many := make([][]byte, 40)
	for i := range many {
		many[i] = []byte{byte(i + 1)}
	}
	tests := []struct {
		name    string
		body    []byte
		want    [][]byte
		wantErr bool
	}{
		{"two certificates", certificateBody(c1, c2), [][]byte{c1, c2}, false},
		{"empty list", certificateBody(), nil, false},
		{"capped at maxChainCerts", certificateBody(many...), many[:maxChainCerts], false},
		{"inner length overruns", append(u24(5), append(u24(9), 1, 2)...), nil, true},
		{"outer length overruns", u24(100), nil, true},
		{"zero-length certificate", certificateBody([]byte{}), nil, true},
		{"trailing bytes", append(certificateBody(c1), 0), nil, true},
	}
	for _, tt := range tests {
		got, err := parseCertificateMsg(tt.body)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		if !slices.EqualFunc(got, tt.want, bytes.Equal) {
			t.Errorf("%s: got %d certificates, want %d", tt.name, len(got), len(tt.want))
		}
	}
}

func TestParseSSLv2ServerHello(t *testing.T) {
	msg := ssl2ServerHelloMsg([]byte("cert"), 0x010080, 0x0700C0)
	h, err := parseSSLv2ServerHello(msg)
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != 2 || string(h.Certificate) != "cert" || !slices.Equal(h.Kinds, []uint32{0x010080, 0x0700C0}) {
		t.Errorf("got %+v", h)
	}
	bad := [][]byte{
		msg[:10],                      // truncated
		append([]byte{1}, msg[1:]...), // CLIENT-HELLO type
		func() []byte { m := slices.Clone(msg); m[8] = 4; return m }(), // spec length not a multiple of 3
	}
	for i, b := range bad {
		if _, err := parseSSLv2ServerHello(b); err == nil {
			t.Errorf("bad SERVER-HELLO %d parsed", i)
		}
	}
}

func TestParseRecords(t *testing.T) {
	r1 := recordOf(recHandshake, 0x0303, []byte{1, 2, 3})
	r2 := recordOf(recAlert, 0x0303, []byte{2, 40})
	tests := []struct {
		name     string
		in       []byte
		wantRecs int
		wantRest int
		wantErr  error
	}{
		{"two records", append(slices.Clone(r1), r2...), 2, 0, nil},
		{"partial second", append(slices.Clone(r1), r2[:4]...), 1, 4, nil},
		{"partial header", r1[:3], 0, 3, nil},
		{"HTTP answer", []byte("HTTP/1.1 400 Bad Request\r\n"), 0, 26, errNotTLS},
		{"SSH banner", []byte("SSH-2.0-OpenSSH_9.2\r\n"), 0, 21, errNotTLS},
		{"bad major version", []byte{22, 2, 0, 0, 1, 0}, 0, 6, errNotTLS},
		{"over-long record", []byte{22, 3, 3, 0xff, 0xff}, 0, 5, errMalformed},
	}
	for _, tt := range tests {
		recs, rest, err := parseRecords(tt.in)
		if len(recs) != tt.wantRecs || len(rest) != tt.wantRest || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
			t.Errorf("%s: %d records, %d rest, err %v", tt.name, len(recs), len(rest), err)
		}
	}
}

func TestParseHandshakes(t *testing.T) {
	m1 := handshakeOf(hsServerHello, []byte{1, 2})
	m2 := handshakeOf(hsServerHelloDone, nil)
	msgs, rest, err := parseHandshakes(append(slices.Clone(m1), m2...))
	if err != nil || len(msgs) != 2 || len(rest) != 0 || msgs[0].typ != hsServerHello || msgs[1].typ != hsServerHelloDone {
		t.Errorf("got %v %d %v", msgs, len(rest), err)
	}
	msgs, rest, err = parseHandshakes(m1[:5])
	if err != nil || len(msgs) != 0 || len(rest) != 5 {
		t.Errorf("partial: got %v %d %v", msgs, len(rest), err)
	}
	if _, _, err := parseHandshakes([]byte{11, 0x10, 0, 0}); err == nil {
		t.Error("a 1 MiB handshake message was accepted")
	}
}

func TestScanAnswer(t *testing.T) {
	sh12 := handshakeOf(hsServerHello, serverHelloBody(0x0303, nil, 0xC02F, extension{0xFF01, []byte{0}}))
	cert := handshakeOf(hsCertificate, certificateBody([]byte("leaf"), []byte("ca")))
	done := handshakeOf(hsServerHelloDone, nil)
	sh13 := handshakeOf(hsServerHello, serverHelloBody(0x0303, nil, 0x1301, extension{extSupportedVersions, u16(0x0304)}))
	flight := recordOf(recHandshake, 0x0303, append(append(slices.Clone(sh12), cert...), done...))
	// The same flight, each message split across records.
	var split []byte
	all := append(append(slices.Clone(sh12), cert...), done...)
	for i := 0; i < len(all); i += 7 {
		split = append(split, recordOf(recHandshake, 0x0303, all[i:min(i+7, len(all))])...)
	}

	tests := []struct {
		name      string
		in        []byte
		wantCert  bool
		final     bool
		suite     uint16
		certs     int
		alert     bool
		ssl2Kinds int
		err       bool
	}{
		{"nothing yet", nil, true, false, 0, 0, false, 0, false},
		{"hello only, no cert wanted", recordOf(recHandshake, 0x0303, sh12), false, true, 0xC02F, 0, false, 0, false},
		{"hello only, cert wanted", recordOf(recHandshake, 0x0303, sh12), true, false, 0xC02F, 0, false, 0, false},
		{"full flight", flight, true, true, 0xC02F, 2, false, 0, false},
		{"flight split in small records", split, true, true, 0xC02F, 2, false, 0, false},
		{"half a record", flight[:30], false, false, 0, 0, false, 0, false},
		{"TLS 1.3 hello then encrypted records", append(recordOf(recHandshake, 0x0303, sh13), recordOf(recChangeCipherSpec, 0x0303, []byte{1})...), true, true, 0x1301, 0, false, 0, false},
		{"handshake_failure alert", recordOf(recAlert, 0x0303, []byte{2, 40}), true, true, 0, 0, true, 0, false},
		{"anonymous suite: no certificate", recordOf(recHandshake, 0x0303, append(slices.Clone(sh12), done...)), true, true, 0xC02F, 0, false, 0, false},
		{"SSLv2 SERVER-HELLO", ssl2Record(ssl2ServerHelloMsg([]byte("cert"), 0x010080, 0x020080)), true, true, 0, 1, false, 2, false},
		{"SSLv2 ERROR", ssl2Record([]byte{0, 0, 1}), true, true, 0, 0, false, 0, true},
		{"HTTP", []byte("HTTP/1.0 400 Bad Request\r\n\r\n"), true, true, 0, 0, false, 0, true},
		{"application data first", recordOf(recApplicationData, 0x0303, []byte{1, 2, 3}), true, true, 0, 0, false, 0, true},
		{"certificate before hello", recordOf(recHandshake, 0x0303, cert), true, true, 0, 0, false, 0, true},
		{"malformed hello", recordOf(recHandshake, 0x0303, handshakeOf(hsServerHello, []byte{3, 3, 1})), true, true, 0, 0, false, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, final := scanAnswer(tt.in, tt.wantCert)
			if final != tt.final {
				t.Errorf("final = %v, want %v", final, tt.final)
			}
			if (a.err != nil) != tt.err {
				t.Errorf("err = %v, want error %v", a.err, tt.err)
			}
			var suite uint16
			if a.hello != nil {
				suite = a.hello.Suite
			}
			if suite != tt.suite || len(a.certs) != tt.certs || (a.alert != nil) != tt.alert {
				t.Errorf("suite %04x certs %d alert %v", suite, len(a.certs), a.alert)
			}
			if a.ssl2 != nil && len(a.ssl2.Kinds) != tt.ssl2Kinds || a.ssl2 == nil && tt.ssl2Kinds != 0 {
				t.Errorf("ssl2 = %+v", a.ssl2)
			}
		})
	}
}

func TestInterpret(t *testing.T) {
	sh := func(v, suite uint16) answer {
		h := serverHello{LegacyVersion: v, Suite: suite}
		return answer{hello: &h}
	}
	offered := []uint32{0xC02F, 0x002F}
	tests := []struct {
		name string
		v    uint16
		ans  answer
		n    int
		rerr error
		want outcome
	}{
		{"accepted", 0x0303, sh(0x0303, 0xC02F), 50, nil, accepted},
		{"other version", 0x0303, sh(0x0301, 0x002F), 50, nil, refused},
		{"suite not offered", 0x0303, sh(0x0303, 0x0005), 50, nil, failed},
		{"alert", 0x0303, answer{alert: &alert{2, 40}}, 7, nil, refused},
		{"garbage", 0x0303, answer{err: errNotTLS}, 20, nil, failed},
		{"closed at once", 0x0303, answer{}, 0, errEOF(), refused},
		{"closed mid-answer", 0x0303, answer{}, 30, errEOF(), failed},
		{"endless", 0x0303, answer{}, maxAnswer, errTooLarge(), failed},
		{"SSLv2 answer to a TLS hello", 0x0303, answer{ssl2: &ssl2ServerHello{Kinds: []uint32{0x010080}}}, 30, nil, refused},
		{"SSLv2 no common kind", 0x0002, answer{ssl2: &ssl2ServerHello{Kinds: []uint32{0x090080}}}, 30, nil, refused},
	}
	for _, tt := range tests {
		if got := interpret(tt.v, offered, tt.ans, tt.n, tt.rerr, 0); got.kind != tt.want {
			t.Errorf("%s: kind %v (%v, %s), want %v", tt.name, got.kind, got.err, got.why, tt.want)
		}
	}
	r := interpret(0x0002, []uint32{0x010080, 0x0700C0}, answer{ssl2: &ssl2ServerHello{Kinds: []uint32{0x0700C0, 0x010080, 0x060040}}}, 30, nil, 0)
	if r.kind != accepted || !slices.Equal(r.kinds, []uint32{0x010080, 0x0700C0}) {
		t.Errorf("SSLv2: %+v", r)
	}
}

func errEOF() error      { return io.EOF }
func errTooLarge() error { return wire.ErrTooLarge }
