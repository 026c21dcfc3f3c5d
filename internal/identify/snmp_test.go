package identify

import (
	"testing"

	"github.com/vigilsec/vigil/internal/codec/ber"
	"github.com/vigilsec/vigil/internal/codec/snmp"
)

// snmpV3Report builds an agent's Report to a discovery request.
func snmpV3Report(msgID int64, engineID string) []byte {
	header := ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, msgID), ber.Integer(ber.TagInteger, 65507),
		ber.Octets("\x00"), ber.Integer(ber.TagInteger, 3)))
	usm := ber.TLV(ber.TagSequence, ber.Concat(ber.Octets(engineID), ber.Integer(ber.TagInteger, 4), ber.Integer(ber.TagInteger, 1234),
		ber.Octets(""), ber.Octets(""), ber.Octets("")))
	vb := ber.TLV(ber.TagSequence, ber.TLV(ber.TagSequence, ber.Concat(ber.EncodeOID("1.3.6.1.6.3.15.1.1.4.0"), ber.TLV(ber.Application|1, []byte{1}))))
	pdu := ber.TLV(snmp.Report, ber.Concat(ber.Integer(ber.TagInteger, 0), ber.Integer(ber.TagInteger, 0), ber.Integer(ber.TagInteger, 0), vb))
	scoped := ber.TLV(ber.TagSequence, ber.Concat(ber.Octets(engineID), ber.Octets(""), pdu))
	return ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, 3), header, ber.TLV(ber.TagOctetString, usm), scoped))
}

// snmpResponse builds a v1/v2c GetResponse carrying sysDescr.0 = descr.
func snmpResponse(version, reqID int64, community, descr string) []byte {
	vb := ber.TLV(ber.TagSequence, ber.TLV(ber.TagSequence, ber.Concat(ber.EncodeOID(snmp.SysDescr), ber.Octets(descr))))
	pdu := ber.TLV(snmp.GetResponse, ber.Concat(ber.Integer(ber.TagInteger, reqID), ber.Integer(ber.TagInteger, 0), ber.Integer(ber.TagInteger, 0), vb))
	return ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, version), ber.Octets(community), pdu))
}

const netSNMPEngine = "\x80\x00\x1f\x88\x80\x9f\xe8\x50\x12\x1e\x8c\x04\x6b\x00\x00\x00\x00"

func TestParseSNMP(t *testing.T) {
	tests := []struct {
		name      string
		in        []byte
		ok        bool
		version   int64
		product   string
		sysdescr  string
		engineHex string
	}{
		{"v3 report net-snmp", snmpV3Report(11, netSNMPEngine), true, 3, "net-snmp", "", "80001f88809fe850121e8c046b00000000"},
		{"v3 report cisco", snmpV3Report(11, "\x80\x00\x00\x09\x03\x00\x11\x22\x33\x44\x55"), true, 3, "Cisco SNMP", "", "800000090300112233445566"[:22]},
		{"v2c response", snmpResponse(1, 5, "public", "Linux lab 6.1.0 x86_64"), true, 1, "", "Linux lab 6.1.0 x86_64", ""},
		{"v1 response", snmpResponse(0, 5, "public", "Linux"), true, 0, "", "Linux", ""},
		{"v2c escape", snmpResponse(1, 5, "public", "evil\x1b[2J"), true, 1, "", `evil\x1b[2J`, ""},
		{"not ber", []byte("hello"), false, 0, "", "", ""},
		{"version 7", ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, 7), ber.Octets("x"), ber.Octets("y"))), false, 0, "", "", ""},
		{"no pdu", ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, 1), ber.Octets("x"), ber.Octets("y"))), false, 0, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := snmp.Parse(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("error %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			s := newService()
			if m.Version == snmp.V3 {
				applySNMPv3(m, &s)
			} else {
				applySNMPCommunity(m, &s)
			}
			if m.Version != tt.version || s.Name != "snmp" || s.Product != tt.product || s.Detail("snmp.sysdescr") != tt.sysdescr || s.Detail("snmp.engineid") != tt.engineHex {
				t.Errorf("got v%d %s %q sysdescr %q engine %q", m.Version, s.Name, s.Product, s.Detail("snmp.sysdescr"), s.Detail("snmp.engineid"))
			}
			assertPrintable(t, s)
		})
	}
}

func TestSNMPSession(t *testing.T) {
	p := newSNMPSession(udpEnv{}).(*snmpSession)
	version := func(b []byte) int64 {
		m, err := snmp.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return m.Version
	}
	if v0, v1 := version(p.request(0)), version(p.request(1)); v0 != snmp.V3 || v1 != snmp.V2c {
		t.Fatalf("tries send versions %d, %d; want v3 discovery, then v2c", v0, v1)
	}
	if n := len(p.followUps()); n != 3 {
		t.Fatalf("%d follow-ups before any answer, want v3 + v2c + v1", n)
	}
	s := newService()
	if m, _ := p.answer(snmpResponse(1, int64(p.v2Req)+1, "public", "x"), &s); m {
		t.Error("answer to another request id accepted")
	}
	if m, _ := p.answer(snmp.Get(snmp.V2c, "public", p.v2Req, snmp.SysDescr), &s); m {
		t.Error("an echoed GetRequest accepted")
	}
	if m, c := p.answer(snmpV3Report(int64(p.msgID), netSNMPEngine), &s); !m || c {
		t.Errorf("v3 report: matched %v complete %v", m, c)
	}
	if m, c := p.answer(snmpResponse(1, int64(p.v2Req), "public", "Linux"), &s); !m || c {
		t.Errorf("v2c: matched %v complete %v", m, c)
	}
	if f := p.followUps(); len(f) != 1 || version(f[0]) != snmp.V1 {
		t.Errorf("follow-ups after v3 and v2c answered: %d, want v1 only", len(f))
	}
	if m, c := p.answer(snmpResponse(0, int64(p.v1Req), "public", "Linux"), &s); !m || !c {
		t.Errorf("v1: matched %v complete %v", m, c)
	}
	if s.Detail("snmp.versions") != "v1,v2c,v3" || s.Detail("snmp.community") != "public" || s.Product != "net-snmp" {
		t.Errorf("details %v product %q", s.Details, s.Product)
	}

	quiet := newSNMPSession(udpEnv{opt: Options{NoDefaultCreds: true}}).(*snmpSession)
	if n := len(quiet.followUps()); n != 1 {
		t.Errorf("NoDefaultCreds asks %d follow-ups, want only v3 discovery", n)
	}
	for _, req := range append(quiet.followUps(), quiet.request(0), quiet.request(1)) {
		if m, err := snmp.Parse(req); err != nil || m.Version != snmp.V3 || m.Community != "" {
			t.Errorf("NoDefaultCreds request %+v", m)
		}
	}
}

func FuzzParseSNMP(f *testing.F) {
	f.Add(snmpV3Report(1, netSNMPEngine))
	f.Add(snmpResponse(1, 5, "public", "Linux"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := snmp.Parse(b)
		if err != nil {
			return
		}
		s := newService()
		applySNMPv3(m, &s)
		applySNMPCommunity(m, &s)
		assertPrintable(t, s)
	})
}
