package dnsaudit

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/vigilsec/vigil/internal/facts"
)

// fakeServer answers like a BIND that recurses for anyone, tells its
// version and transfers fake.test. It returns the messages to send back.
func fakeServer(t testing.TB, req []byte) [][]byte {
	var p dnsmessage.Parser
	h, err := p.Start(req)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.ToLower(q.Name.String())
	qq := question{name: q.Name.String(), typ: q.Type, class: q.Class}
	reply := func(hd dnsmessage.Header, ans, auth []dnsmessage.Resource) [][]byte {
		hd.RecursionDesired = h.RecursionDesired
		return [][]byte{answerMsg(t, h.ID, qq, hd, ans, auth)}
	}
	refused := dnsmessage.Header{RCode: dnsmessage.RCodeRefused}
	switch {
	case q.Class == dnsmessage.ClassCHAOS && name == "version.bind.":
		return reply(dnsmessage.Header{Authoritative: true}, []dnsmessage.Resource{txt("version.bind.", "9.18.1-Debian")}, nil)
	case q.Class == dnsmessage.ClassCHAOS:
		return reply(refused, nil, nil)
	case name == RecursionName && h.RecursionDesired:
		return reply(dnsmessage.Header{RCode: dnsmessage.RCodeNameError, Authoritative: true, RecursionAvailable: true}, nil, []dnsmessage.Resource{soa("2.0.192.in-addr.arpa.")})
	case name == "1.0.0.127.in-addr.arpa." && q.Type == dnsmessage.TypePTR:
		ptr := dnsmessage.Resource{Header: dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET}, Body: &dnsmessage.PTRResource{PTR: dnsmessage.MustNewName("ns.fake.test.")}}
		return reply(dnsmessage.Header{Authoritative: true}, []dnsmessage.Resource{ptr}, nil)
	case q.Type == dnsmessage.TypeSOA && name == "fake.test.":
		return reply(dnsmessage.Header{Authoritative: true}, []dnsmessage.Resource{soa("fake.test.")}, nil)
	case q.Type == dnsmessage.TypeSOA && strings.HasSuffix(name, ".fake.test."):
		return reply(dnsmessage.Header{Authoritative: true}, nil, []dnsmessage.Resource{soa("fake.test.")})
	case q.Type == dnsmessage.TypeAXFR && name == "fake.test.":
		return [][]byte{
			answerMsg(t, h.ID, qq, dnsmessage.Header{Authoritative: true}, []dnsmessage.Resource{soa("fake.test."), a("www.fake.test.")}, nil),
			answerMsg(t, h.ID, question{}, dnsmessage.Header{Authoritative: true}, []dnsmessage.Resource{a("db.fake.test."), soa("fake.test.")}, nil),
		}
	}
	return reply(refused, nil, nil)
}

// serveDNS runs answer on a loopback UDP socket and a TCP listener of the
// same port; silent servers answer nothing.
func serveDNS(t *testing.T, silent bool) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close(); pc.Close() })
	answer := func(req []byte) [][]byte {
		if silent {
			return nil
		}
		return fakeServer(t, req)
	}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			for _, m := range answer(buf[:n]) {
				_, _ = pc.WriteTo(m, from)
			}
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				for {
					var l [2]byte
					if _, err := io.ReadFull(c, l[:]); err != nil {
						return
					}
					req := make([]byte, binary.BigEndian.Uint16(l[:]))
					if _, err := io.ReadFull(c, req); err != nil {
						return
					}
					for _, m := range answer(req) {
						if _, err := c.Write(tcpFrame(m)); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return netip.MustParseAddrPort(ln.Addr().String())
}

func TestAuditTCP(t *testing.T) {
	addr := serveDNS(t, false)
	s := &facts.Service{Port: int(addr.Port()), Transport: facts.TCP, Name: "dns"}
	a, err := Audit(t.Context(), newDialer(t), addr, s, Options{Timeout: time.Second, Zones: []string{"other.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Recursion.Resolved() || a.Recursion.Source != "127.0.0.1" {
		t.Errorf("recursion %+v", a.Recursion)
	}
	if a.ChaosText("version.bind") != "9.18.1-Debian" || len(a.Chaos) != 1 || s.Product != "BIND" || s.Version != "9.18.1" {
		t.Errorf("chaos %+v, product %q %q", a.Chaos, s.Product, s.Version)
	}
	var fake *facts.DNSZone
	for i := range a.Zones {
		if a.Zones[i].Zone == "fake.test." {
			fake = &a.Zones[i]
		}
	}
	if fake == nil || !fake.Transferred || fake.Records != 4 || fake.Capped || fake.Empty || fake.Source != "PTR of 127.0.0.1" ||
		strings.Join(fake.Owners, " ") != "fake.test. www.fake.test. db.fake.test." {
		t.Errorf("zones %+v", a.Zones)
	}
	if a.ZoneCandidates == 0 {
		t.Error("no candidates counted")
	}
}

func TestAuditUDP(t *testing.T) {
	addr := serveDNS(t, false)
	s := &facts.Service{Port: int(addr.Port()), Transport: facts.UDP, Name: "dns", Details: map[string]string{"dns.version-bind": "9.18.1-Debian"}}
	a, err := Audit(t.Context(), newDialer(t), addr, s, Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Recursion.Resolved() || a.ChaosText("version.bind") != "9.18.1-Debian" || len(a.Zones) != 0 || a.ZoneCandidates != 0 {
		t.Errorf("audit %+v", a)
	}
}

// TestAuditSilent: a server that answers nothing is no audit failure,
// and nothing is judged.
func TestAuditSilent(t *testing.T) {
	addr := serveDNS(t, true)
	for _, tr := range []string{facts.UDP, facts.TCP} {
		s := &facts.Service{Port: int(addr.Port()), Transport: tr, Name: "dns"}
		a, err := Audit(t.Context(), newDialer(t), addr, s, Options{Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Errorf("%s: %v", tr, err)
		}
		if a == nil || a.Recursion != nil || len(a.Chaos) != 0 || len(a.Zones) != 0 {
			t.Errorf("%s: %+v", tr, a)
		}
	}
}
