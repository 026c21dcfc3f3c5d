package identify

import (
	"encoding/binary"
	"errors"
	"testing"
)

// dnsTXTAnswer builds a response to dnsVersionQuery(id) with TXT txt (or
// none when txt is "") and rcode.
func dnsTXTAnswer(id uint16, rcode int, txt string) []byte {
	q := dnsVersionQuery(id)
	b := append([]byte(nil), q...)
	binary.BigEndian.PutUint16(b[2:], 0x8400|uint16(rcode)) // QR, AA
	if txt != "" {
		binary.BigEndian.PutUint16(b[6:], 1)
		b = append(b, 0xc0, 12) // pointer to the question name
		b = binary.BigEndian.AppendUint16(b, dnsTypeTXT)
		b = binary.BigEndian.AppendUint16(b, dnsClassCH)
		b = binary.BigEndian.AppendUint32(b, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(len(txt)+1))
		b = append(append(b, byte(len(txt))), txt...)
	}
	return b
}

func TestParseDNSAnswer(t *testing.T) {
	tests := []struct {
		name             string
		in               []byte
		ok               bool
		rcode            string
		product, version string
	}{
		{"dnsmasq", dnsTXTAnswer(7, 0, "dnsmasq-2.89"), true, "NOERROR", "dnsmasq", "2.89"},
		{"bind debian", dnsTXTAnswer(7, 0, "9.18.19-1~deb12u1-Debian"), true, "NOERROR", "BIND", "9.18.19"},
		{"unbound", dnsTXTAnswer(7, 0, "unbound 1.17.1"), true, "NOERROR", "Unbound", "1.17.1"},
		{"powerdns", dnsTXTAnswer(7, 0, "PowerDNS Authoritative Server 4.8.3 (built Jan 1)"), true, "NOERROR", "PowerDNS Authoritative Server", "4.8.3"},
		{"hidden", dnsTXTAnswer(7, 0, "none of your business"), true, "NOERROR", "", ""},
		{"refused", dnsTXTAnswer(7, 5, ""), true, "REFUSED", "", ""},
		{"other id", dnsTXTAnswer(8, 0, "dnsmasq-2.89"), false, "", "", ""},
		{"query echoed", dnsVersionQuery(7), false, "", "", ""},
		{"short", []byte{0, 7, 0x84}, false, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := parseDNSAnswer(tt.in, 7)
			if (err == nil) != tt.ok {
				t.Fatalf("error %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			s := newService()
			applyDNS(a, &s)
			if s.Name != "dns" || s.Detail("dns.rcode") != tt.rcode || s.Product != tt.product || s.Version != tt.version {
				t.Errorf("got %s rcode %q %q %q", s.Name, s.Detail("dns.rcode"), s.Product, s.Version)
			}
		})
	}
	done := dnsTCPComplete(0x0102)
	if !done([]byte{0, 2, 1, 2}) || done([]byte{0, 3, 1, 2}) || !done([]byte{0x16, 3, 3, 0}) {
		t.Error("dnsTCPComplete")
	}
}

func FuzzParseDNSAnswer(f *testing.F) {
	f.Add(dnsTXTAnswer(7, 0, "dnsmasq-2.89"))
	f.Add(dnsTXTAnswer(7, 5, ""))
	f.Fuzz(func(t *testing.T, b []byte) {
		dnsTCPComplete(7)(b)
		a, err := parseDNSAnswer(b, 7)
		if err != nil {
			return
		}
		s := newService()
		applyDNS(a, &s)
		assertPrintable(t, s)
	})
}

// TestDNSSessionRootAnswer: a server whose version.bind answer is dropped
// (BIND rate-limits CHAOS answers) is still identified by its answer to the
// root SOA query; a version.bind answer that follows adds the product.
func TestDNSSessionRootAnswer(t *testing.T) {
	d := newDNSSession(udpEnv{}).(*dnsSession)
	if q, err := parseDNSQuestionID(d.request(0)); err != nil || q != d.id {
		t.Fatalf("first try: %v, id %#x, want the version.bind query %#x", err, q, d.id)
	}
	if q, err := parseDNSQuestionID(d.request(1)); err != nil || q != d.rootID {
		t.Fatalf("second try: %v, id %#x, want the root SOA query %#x", err, q, d.rootID)
	}
	refused := dnsRootSOAQuery(d.rootID)
	refused[2], refused[3] = 0x80, 0x05 // QR, REFUSED
	s := newService()
	if m, complete := d.answer(refused, &s); !m || complete || s.Name != "dns" || s.Detail("dns.root-soa-rcode") != "REFUSED" {
		t.Fatalf("root answer: matched %v complete %v, service %+v", m, complete, s)
	}
	if m, _ := d.answer(refused, &s); m {
		t.Error("the same answer matched twice")
	}
	if m, complete := d.answer(dnsTXTAnswer(d.id, 0, "9.18.49-1~deb12u3-Debian"), &s); !m || !complete || s.Product != "BIND" {
		t.Errorf("version answer: matched %v complete %v, product %q", m, complete, s.Product)
	}
}

// parseDNSQuestionID returns a DNS query's id.
func parseDNSQuestionID(b []byte) (uint16, error) {
	if len(b) < 12 {
		return 0, errors.New("short DNS message")
	}
	return uint16(b[0])<<8 | uint16(b[1]), nil
}
