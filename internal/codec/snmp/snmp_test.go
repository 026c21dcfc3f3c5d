package snmp

import (
	"testing"

	"github.com/vigilsec/vigil/internal/codec/ber"
)

// v3Report builds an agent's Report to a discovery request.
func v3Report(msgID int64, engineID string) []byte {
	header := ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, msgID), ber.Integer(ber.TagInteger, 65507),
		ber.Octets("\x00"), ber.Integer(ber.TagInteger, 3)))
	usm := ber.TLV(ber.TagSequence, ber.Concat(ber.Octets(engineID), ber.Integer(ber.TagInteger, 4), ber.Integer(ber.TagInteger, 1234),
		ber.Octets(""), ber.Octets(""), ber.Octets("")))
	vb := ber.TLV(ber.TagSequence, ber.TLV(ber.TagSequence, ber.Concat(ber.EncodeOID("1.3.6.1.6.3.15.1.1.4.0"), ber.TLV(ber.Application|1, []byte{1}))))
	pdu := ber.TLV(Report, ber.Concat(ber.Integer(ber.TagInteger, 0), ber.Integer(ber.TagInteger, 0), ber.Integer(ber.TagInteger, 0), vb))
	scoped := ber.TLV(ber.TagSequence, ber.Concat(ber.Octets(engineID), ber.Octets(""), pdu))
	return ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, 3), header, ber.TLV(ber.TagOctetString, usm), scoped))
}

// response builds a v1/v2c GetResponse carrying sysDescr.0 = descr.
func response(version, reqID int64, community, descr string) []byte {
	vb := ber.TLV(ber.TagSequence, ber.TLV(ber.TagSequence, ber.Concat(ber.EncodeOID(SysDescr), ber.Octets(descr))))
	pdu := ber.TLV(GetResponse, ber.Concat(ber.Integer(ber.TagInteger, reqID), ber.Integer(ber.TagInteger, 0), ber.Integer(ber.TagInteger, 0), vb))
	return ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, version), ber.Octets(community), pdu))
}

const netSNMPEngine = "\x80\x00\x1f\x88\x80\x9f\xe8\x50\x12\x1e\x8c\x04\x6b\x00\x00\x00\x00"

func TestRequestsDecode(t *testing.T) {
	m, err := Parse(Get(V2c, "public", 77, SysDescr))
	if err != nil || m.Version != V2c || m.Community != "public" || m.ReqID != 77 || m.PDUType != GetRequest || m.OID != SysDescr {
		t.Errorf("v2c request decodes as %+v, %v", m, err)
	}
	m, err = Parse(V3Discovery(11, 12))
	if err != nil || m.Version != V3 || m.MsgID != 11 || m.ReqID != 12 || len(m.EngineID) != 0 {
		t.Errorf("v3 discovery decodes as %+v, %v", m, err)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		in         []byte
		ok         bool
		version    int64
		pdu        int
		value      string
		enterprise uint32
	}{
		{"v3 report net-snmp", v3Report(11, netSNMPEngine), true, 3, Report, "\x01", 8072},
		{"v2c response", response(1, 5, "public", "Linux lab 6.1.0 x86_64"), true, 1, GetResponse, "Linux lab 6.1.0 x86_64", 0},
		{"v1 response", response(0, 5, "private", "Linux"), true, 0, GetResponse, "Linux", 0},
		{"not ber", []byte("hello"), false, 0, 0, "", 0},
		{"version 7", ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, 7), ber.Octets("x"), ber.Octets("y"))), false, 0, 0, "", 0},
		{"no pdu", ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, 1), ber.Octets("x"), ber.Octets("y"))), false, 0, 0, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("error %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if m.Version != tt.version || m.PDUType != tt.pdu || string(m.Value) != tt.value {
				t.Errorf("got %+v", m)
			}
			if e, ok := Enterprise(m.EngineID); ok != (tt.enterprise != 0) || e != tt.enterprise {
				t.Errorf("enterprise %d %v, want %d", e, ok, tt.enterprise)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(v3Report(1, netSNMPEngine))
	f.Add(response(1, 5, "public", "Linux"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := Parse(b); err == nil {
			Enterprise(m.EngineID)
		}
	})
}
