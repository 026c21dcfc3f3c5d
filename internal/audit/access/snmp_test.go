package access

import (
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/codec/ber"
	"github.com/vigilsec/vigil/internal/codec/snmp"
	"github.com/vigilsec/vigil/internal/facts"
)

// snmpResponse builds a v1/v2c GetResponse to reqID.
func snmpResponse(version, reqID int64, community string) []byte {
	vb := ber.TLV(ber.TagSequence, ber.TLV(ber.TagSequence, ber.Concat(ber.EncodeOID(snmp.SysDescr), ber.Octets("Linux agent"))))
	pdu := ber.TLV(snmp.GetResponse, ber.Concat(ber.Integer(ber.TagInteger, reqID), ber.Integer(ber.TagInteger, 0), ber.Integer(ber.TagInteger, 0), vb))
	return ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, version), ber.Octets(community), pdu))
}

// snmpReport builds an SNMPv3 Report answering message msgID.
func snmpReport(msgID int64) []byte {
	header := ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, msgID), ber.Integer(ber.TagInteger, 65507), ber.Octets("\x00"), ber.Integer(ber.TagInteger, 3)))
	usm := ber.TLV(ber.TagSequence, ber.Concat(ber.Octets("\x80\x00\x1f\x88\x80\x01\x02\x03\x04"), ber.Integer(ber.TagInteger, 1), ber.Integer(ber.TagInteger, 5), ber.Octets(""), ber.Octets(""), ber.Octets("")))
	pdu := ber.TLV(snmp.Report, ber.Concat(ber.Integer(ber.TagInteger, 0), ber.Integer(ber.TagInteger, 0), ber.Integer(ber.TagInteger, 0), ber.TLV(ber.TagSequence, nil)))
	scoped := ber.TLV(ber.TagSequence, ber.Concat(ber.Octets(""), ber.Octets(""), pdu))
	return ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, 3), header, ber.TLV(ber.TagOctetString, usm), scoped))
}

// snmpAgent is an in-process agent: it answers v3 discovery, and GetRequests
// whose community and version it accepts; it records every message.
type snmpAgent struct {
	mu       sync.Mutex
	received []snmp.Message
	accept   map[string][]int64 // community → versions
	echo     bool               // send every request back as is, first
	drop     int                // ignore the first drop requests (UDP loss)
}

func (ag *snmpAgent) start(t *testing.T) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			m, err := snmp.Parse(buf[:n])
			if err != nil {
				continue
			}
			ag.mu.Lock()
			ag.received = append(ag.received, m)
			drop := ag.drop > 0
			if drop {
				ag.drop--
			}
			ag.mu.Unlock()
			if drop {
				continue
			}
			if ag.echo {
				_, _ = pc.WriteTo(buf[:n], from)
			}
			switch {
			case m.Version == snmp.V3:
				_, _ = pc.WriteTo(snmpReport(m.MsgID), from)
			case slices.Contains(ag.accept[m.Community], m.Version):
				_, _ = pc.WriteTo(snmpResponse(m.Version, m.ReqID, m.Community), from)
			}
		}
	}()
	return netip.MustParseAddrPort(pc.LocalAddr().String())
}

func (ag *snmpAgent) messages() []snmp.Message {
	ag.mu.Lock()
	defer ag.mu.Unlock()
	return slices.Clone(ag.received)
}

func TestAuditSNMP(t *testing.T) {
	tests := []struct {
		name        string
		agent       *snmpAgent
		opt         Options
		defaults    []string
		versions    []string
		communities string
	}{
		{"both defaults", &snmpAgent{accept: map[string][]int64{"public": {0, 1}, "private": {0, 1}}}, Options{}, []string{"public", "private"}, []string{"v1", "v2c", "v3"}, "public: v1, v2c; private: v1, v2c"},
		{"public on v2c only, echoing", &snmpAgent{accept: map[string][]int64{"public": {1}}, echo: true}, Options{}, []string{"public"}, []string{"v2c", "v3"}, "public: v2c"},
		{"v3 only", &snmpAgent{}, Options{}, nil, []string{"v3"}, ""},
		{"lossy", &snmpAgent{accept: map[string][]int64{"private": {1}}, drop: 5}, Options{}, []string{"private"}, []string{"v2c", "v3"}, "private: v2c"},
		{"no default credentials", &snmpAgent{accept: map[string][]int64{"public": {0, 1}}}, Options{NoDefaultCreds: true}, nil, []string{"v3"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := tt.agent.start(t)
			s := &facts.Service{Name: "snmp", Transport: facts.UDP}
			opt := tt.opt
			opt.Timeout = 400 * time.Millisecond
			a, err := auditAt(t, addr, s, opt)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.DefaultCredentials, tt.defaults) || !slices.Equal(a.Versions, tt.versions) || s.Detail("snmp.default-communities") != tt.communities {
				t.Errorf("got %+v, details %v", *a, s.Details)
			}
			for _, m := range tt.agent.messages() {
				if tt.opt.NoDefaultCreds && (m.Version != snmp.V3 || m.Community != "") {
					t.Errorf("NoDefaultCreds sent a v%d message with community %q", m.Version, m.Community)
				}
				if m.Community != "" && m.Community != "public" && m.Community != "private" {
					t.Errorf("sent community %q", m.Community)
				}
				if m.PDUType != snmp.GetRequest || (m.Version != snmp.V3 && m.OID != snmp.SysDescr) {
					t.Errorf("sent %+v: only GetRequests for sysDescr.0", m)
				}
			}
		})
	}
}

// TestSNMPFromIdentification: what identification learnt counts too.
func TestSNMPFromIdentification(t *testing.T) {
	s := &facts.Service{Name: "snmp", Details: map[string]string{"snmp.versions": "v2c,v3", "snmp.community": "public"}}
	a := snmpAccess(nil, s)
	if !slices.Equal(a.DefaultCredentials, []string{"public"}) || !slices.Equal(a.Versions, []string{"v2c", "v3"}) || s.Detail("snmp.default-communities") != "public: v2c" {
		t.Errorf("got %+v %v", *a, s.Details)
	}
}

func FuzzSNMPAnswer(f *testing.F) {
	f.Add(snmpResponse(1, 7, "public"))
	f.Add(snmpReport(9))
	f.Fuzz(func(t *testing.T, b []byte) {
		probes := []*snmpProbe{{version: snmp.V3, id: 9}, {version: snmp.V2c, community: "public", id: 7}, {version: snmp.V1, community: "private", id: 8}}
		if pr := matchSNMP(probes, b); pr != nil {
			m, err := snmp.Parse(b)
			if err != nil || m.Version != pr.version {
				t.Fatalf("matched %+v to %+v", m, *pr)
			}
		}
	})
}
