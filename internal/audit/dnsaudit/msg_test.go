package dnsaudit

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// answerMsg builds a response to q with id, the given header bits and
// answer and authority records.
func answerMsg(t testing.TB, id uint16, q question, h dnsmessage.Header, answers, authority []dnsmessage.Resource) []byte {
	t.Helper()
	h.ID, h.Response = id, true
	m := dnsmessage.Message{Header: h, Answers: answers, Authorities: authority}
	if q.name != "" {
		m.Questions = []dnsmessage.Question{{Name: dnsmessage.MustNewName(q.name), Type: q.typ, Class: q.class}}
	}
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func soa(zone string) dnsmessage.Resource {
	n := dnsmessage.MustNewName(zone)
	return dnsmessage.Resource{Header: dnsmessage.ResourceHeader{Name: n, Class: dnsmessage.ClassINET, TTL: 60},
		Body: &dnsmessage.SOAResource{NS: dnsmessage.MustNewName("ns1." + zone), MBox: dnsmessage.MustNewName("hostmaster." + zone), Serial: 1, Refresh: 60, Retry: 60, Expire: 60, MinTTL: 60}}
}

func a(name string) dnsmessage.Resource {
	return dnsmessage.Resource{Header: dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassINET, TTL: 60},
		Body: &dnsmessage.AResource{A: [4]byte{127, 0, 2, 40}}}
}

func txt(name, s string) dnsmessage.Resource {
	return dnsmessage.Resource{Header: dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassCHAOS},
		Body: &dnsmessage.TXTResource{TXT: []string{s}}}
}

var (
	recQ     = question{name: RecursionName, typ: dnsmessage.TypePTR, class: dnsmessage.ClassINET, rd: true}
	versionQ = question{name: "version.bind.", typ: dnsmessage.TypeTXT, class: dnsmessage.ClassCHAOS}
)

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name    string
		msg     []byte
		q       question
		wantErr bool
		check   func(t *testing.T, r response)
	}{
		{"recursion offered", answerMsg(t, 7, recQ, dnsmessage.Header{RCode: dnsmessage.RCodeNameError, RecursionAvailable: true, Authoritative: true}, nil,
			[]dnsmessage.Resource{soa("2.0.192.in-addr.arpa.")}), recQ, false, func(t *testing.T, r response) {
			if !r.ra || !r.aa || rcodeName(r.rcode) != "NXDOMAIN" || r.soaAuth != "2.0.192.in-addr.arpa." {
				t.Errorf("got %+v", r)
			}
		}},
		{"refused without a question", answerMsg(t, 7, question{}, dnsmessage.Header{RCode: dnsmessage.RCodeRefused}, nil, nil), recQ, false, func(t *testing.T, r response) {
			if r.ra || rcodeName(r.rcode) != "REFUSED" {
				t.Errorf("got %+v", r)
			}
		}},
		{"version text", answerMsg(t, 7, versionQ, dnsmessage.Header{Authoritative: true}, []dnsmessage.Resource{txt("version.bind.", "9.18.49-1~deb12u3-Debian")}, nil), versionQ, false,
			func(t *testing.T, r response) {
				if len(r.answers) != 1 || r.answers[0].txt != "9.18.49-1~deb12u3-Debian" {
					t.Errorf("got %+v", r)
				}
			}},
		{"another id", answerMsg(t, 8, recQ, dnsmessage.Header{}, nil, nil), recQ, true, nil},
		{"another question", answerMsg(t, 7, versionQ, dnsmessage.Header{}, nil, nil), recQ, true, nil},
		{"a query, not an answer", func() []byte { b, _ := recQ.build(7); return b }(), recQ, true, nil},
		{"short", []byte{0, 7, 0x80}, recQ, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseResponse(tt.msg, 7, tt.q)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestTransfer(t *testing.T) {
	const zone = "lab.vigil.test."
	axfrQ := question{name: zone, typ: dnsmessage.TypeAXFR, class: dnsmessage.ClassINET}
	tests := []struct {
		name     string
		msgs     [][]byte
		done     bool
		records  int
		owners   int
		refusal  string
		parseErr bool
	}{
		{"one message", [][]byte{answerMsg(t, 9, axfrQ, dnsmessage.Header{Authoritative: true}, []dnsmessage.Resource{soa(zone), a("www." + zone), a("db." + zone), soa(zone)}, nil)},
			true, 4, 3, "", false},
		{"several messages", [][]byte{
			answerMsg(t, 9, axfrQ, dnsmessage.Header{}, []dnsmessage.Resource{soa(zone), a("a." + zone)}, nil),
			answerMsg(t, 9, question{}, dnsmessage.Header{}, []dnsmessage.Resource{a("b." + zone), a("c." + zone), a("d." + zone), a("e." + zone), a("f." + zone)}, nil),
			answerMsg(t, 9, question{}, dnsmessage.Header{}, []dnsmessage.Resource{soa(zone)}, nil),
		}, true, 8, maxOwners, "", false},
		{"refused", [][]byte{answerMsg(t, 9, axfrQ, dnsmessage.Header{RCode: dnsmessage.RCodeRefused}, nil, nil)}, true, 0, 0, "REFUSED", false},
		{"not authoritative", [][]byte{answerMsg(t, 9, axfrQ, dnsmessage.Header{RCode: 9}, nil, nil)}, true, 0, 0, "NOTAUTH", false},
		{"no SOA first", [][]byte{answerMsg(t, 9, axfrQ, dnsmessage.Header{}, []dnsmessage.Resource{a("www." + zone)}, nil)}, true, 0, 0, "no SOA first", false},
		{"another zone's SOA", [][]byte{answerMsg(t, 9, axfrQ, dnsmessage.Header{}, []dnsmessage.Resource{soa("other.test.")}, nil)}, true, 0, 0, "no SOA first", false},
		{"cut short", [][]byte{answerMsg(t, 9, axfrQ, dnsmessage.Header{}, []dnsmessage.Resource{soa(zone), a("www." + zone)}, nil)}, false, 2, 2, "", false},
		{"another id", [][]byte{answerMsg(t, 10, axfrQ, dnsmessage.Header{}, []dnsmessage.Resource{soa(zone)}, nil)}, false, 0, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &transfer{zone: zone, id: 9}
			var err error
			for _, m := range tt.msgs {
				if err = tr.add(m); err != nil {
					break
				}
			}
			if (err != nil) != tt.parseErr {
				t.Fatalf("err = %v", err)
			}
			if tt.records > 0 && tr.other == 0 {
				t.Errorf("A records not counted as content: %+v", tr)
			}
			if tr.done() != tt.done || tr.records != tt.records || len(tr.owners) != tt.owners || tr.refusal != tt.refusal {
				t.Errorf("got done %v records %d owners %v refusal %q", tr.done(), tr.records, tr.owners, tr.refusal)
			}
		})
	}
}

func TestReverseName(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.2.40":  "40.2.0.127.in-addr.arpa.",
		"::1":         "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
		"2001:db8::5": "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
	} {
		if got := reverseName(netip.MustParseAddr(in)); got != want {
			t.Errorf("reverseName(%s) = %s, want %s", in, got, want)
		}
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add(answerMsg(f, 7, recQ, dnsmessage.Header{RCode: dnsmessage.RCodeNameError, RecursionAvailable: true}, nil, []dnsmessage.Resource{soa("2.0.192.in-addr.arpa.")}))
	f.Add(answerMsg(f, 7, versionQ, dnsmessage.Header{}, []dnsmessage.Resource{txt("version.bind.", "9.18")}, nil))
	f.Add([]byte{0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0, 0x0c})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, q := range []question{recQ, versionQ} {
			r, err := parseResponse(b, 7, q)
			if err == nil && len(r.answers) > maxRecords {
				t.Fatalf("%d answers kept", len(r.answers))
			}
		}
	})
}

func FuzzTransfer(f *testing.F) {
	const zone = "lab.vigil.test."
	axfrQ := question{name: zone, typ: dnsmessage.TypeAXFR, class: dnsmessage.ClassINET}
	frame := func(msgs ...[]byte) []byte {
		var out []byte
		for _, m := range msgs {
			out = append(out, tcpFrame(m)...)
		}
		return out
	}
	f.Add(frame(answerMsg(f, 9, axfrQ, dnsmessage.Header{}, []dnsmessage.Resource{soa(zone), a("www." + zone), soa(zone)}, nil)))
	f.Add(frame(answerMsg(f, 9, axfrQ, dnsmessage.Header{}, []dnsmessage.Resource{soa(zone)}, nil), answerMsg(f, 9, question{}, dnsmessage.Header{}, []dnsmessage.Resource{soa(zone)}, nil)))
	f.Add(frame(answerMsg(f, 9, axfrQ, dnsmessage.Header{RCode: dnsmessage.RCodeRefused}, nil, nil)))
	f.Fuzz(func(t *testing.T, stream []byte) {
		tr := &transfer{zone: zone, id: 9}
		for len(stream) >= 2 && !tr.done() {
			n := int(binary.BigEndian.Uint16(stream))
			if len(stream) < 2+n {
				break
			}
			if tr.add(stream[2:2+n]) != nil {
				break
			}
			stream = stream[2+n:]
		}
		if len(tr.owners) > maxOwners || tr.soas > 2 || tr.soas > tr.records {
			t.Fatalf("bad state %+v", tr)
		}
	})
}

func TestTransferOfAnEmptyZone(t *testing.T) {
	const zone = "127.in-addr.arpa."
	ns := dnsmessage.Resource{Header: dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(zone), Class: dnsmessage.ClassINET},
		Body: &dnsmessage.NSResource{NS: dnsmessage.MustNewName("localhost.")}}
	tr := &transfer{zone: zone, id: 3}
	q := question{name: zone, typ: dnsmessage.TypeAXFR, class: dnsmessage.ClassINET}
	if err := tr.add(answerMsg(t, 3, q, dnsmessage.Header{}, []dnsmessage.Resource{soa(zone), ns, soa(zone)}, nil)); err != nil {
		t.Fatal(err)
	}
	if !tr.done() || tr.records != 3 || tr.other != 0 {
		t.Errorf("got %+v", tr)
	}
}
