package identify

import (
	"context"
	"encoding/binary"
	"regexp"
	"strconv"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// DNS (RFC 1035) constants used here.
const (
	dnsTypeTXT   = 16
	dnsTypeSOA   = 6
	dnsClassIN   = 1
	dnsClassCH   = 3
	dnsHeaderLen = 12
)

// dnsVersionQuery is a query for version.bind CHAOS TXT (non-recursive).
func dnsVersionQuery(id uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0) // flags, QDCOUNT 1
	b = append(b, 7)
	b = append(b, "version"...)
	b = append(b, 4)
	b = append(b, "bind"...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, dnsTypeTXT)
	return binary.BigEndian.AppendUint16(b, dnsClassCH)
}

// dnsRootSOAQuery is a query for the root zone's SOA, class IN, without
// recursion: any DNS server answers it (from its cache or hints, with a
// referral, or REFUSED) without asking another. It identifies a DNS server
// over UDP when the version.bind answer is dropped, as BIND's rate limit
// of CHAOS answers (three a second to a /24) does.
func dnsRootSOAQuery(id uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0) // flags, QDCOUNT 1
	b = append(b, 0)                            // the root
	b = binary.BigEndian.AppendUint16(b, dnsTypeSOA)
	return binary.BigEndian.AppendUint16(b, dnsClassIN)
}

// dnsRcodeNames names response codes.
var dnsRcodeNames = map[int]string{
	0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
}

// dnsAnswer is what a response to dnsVersionQuery told.
type dnsAnswer struct {
	rcode int
	txt   []string // TXT strings of the answers
}

// dnsSkipName returns the offset after the (possibly compressed) name at
// off.
func dnsSkipName(msg []byte, off int) (int, error) {
	for steps := 0; steps < 128; steps++ {
		if off >= len(msg) {
			return 0, noMatch(proto.DNS, "name cut short")
		}
		l := int(msg[off])
		switch {
		case l == 0:
			return off + 1, nil
		case l&0xc0 == 0xc0:
			if off+2 > len(msg) {
				return 0, noMatch(proto.DNS, "pointer cut short")
			}
			return off + 2, nil
		case l&0xc0 != 0:
			return 0, noMatch(proto.DNS, "bad label type")
		}
		off += 1 + l
	}
	return 0, noMatch(proto.DNS, "name too long")
}

// parseDNSAnswer parses a response to a query with id.
func parseDNSAnswer(msg []byte, id uint16) (dnsAnswer, error) {
	if len(msg) < dnsHeaderLen {
		return dnsAnswer{}, noMatch(proto.DNS, "short message")
	}
	if binary.BigEndian.Uint16(msg) != id {
		return dnsAnswer{}, noMatch(proto.DNS, "answer to another query")
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	if flags&0x8000 == 0 || (flags>>11)&0xf != 0 {
		return dnsAnswer{}, noMatch(proto.DNS, "not a standard query response")
	}
	a := dnsAnswer{rcode: int(flags & 0xf)}
	qd, an := int(binary.BigEndian.Uint16(msg[4:])), int(binary.BigEndian.Uint16(msg[6:]))
	if qd > 1 {
		return dnsAnswer{}, noMatch(proto.DNS, "%d questions", qd)
	}
	off := dnsHeaderLen
	for range qd {
		var err error
		if off, err = dnsSkipName(msg, off); err != nil {
			return dnsAnswer{}, err
		}
		off += 4
	}
	for range min(an, 16) {
		var err error
		if off, err = dnsSkipName(msg, off); err != nil {
			return a, nil
		}
		if off+10 > len(msg) {
			return a, nil
		}
		typ := binary.BigEndian.Uint16(msg[off:])
		rdlen := int(binary.BigEndian.Uint16(msg[off+8:]))
		off += 10
		if off+rdlen > len(msg) {
			return a, nil
		}
		if typ == dnsTypeTXT {
			var txt []byte
			for rd := msg[off : off+rdlen]; len(rd) > 0; {
				n := int(rd[0])
				if 1+n > len(rd) {
					break
				}
				txt = append(txt, rd[1:1+n]...)
				rd = rd[1+n:]
			}
			a.txt = append(a.txt, string(txt))
		}
		off += rdlen
	}
	return a, nil
}

// dnsProducts maps a version.bind answer to a product; the first
// sub-match is the version.
var dnsProducts = []productRule{
	{regexp.MustCompile(`^dnsmasq-(\d[\w.]*)`), "dnsmasq"},
	{regexp.MustCompile(`^(9\.\d+\.\d+[\w.]*?)(?:-|$)`), "BIND"},
	{regexp.MustCompile(`^BIND (\d[\w.]*)`), "BIND"},
	{regexp.MustCompile(`^unbound (\d[\w.]*)`), "Unbound"},
	{regexp.MustCompile(`^PowerDNS Authoritative Server (\d[\w.]*)`), "PowerDNS Authoritative Server"},
	{regexp.MustCompile(`^PowerDNS Recursor (\d[\w.]*)`), "PowerDNS Recursor"},
	{regexp.MustCompile(`^Knot DNS (\d[\w.]*)`), "Knot DNS"},
	{regexp.MustCompile(`^Knot Resolver (\d[\w.]*)`), "Knot Resolver"},
	{regexp.MustCompile(`^NSD (\d[\w.]*)`), "NSD"},
	{regexp.MustCompile(`^CoreDNS-(\d[\w.]*)`), "CoreDNS"},
	{regexp.MustCompile(`^Microsoft DNS (\d[\w.]*)`), "Microsoft DNS"},
}

// applyDNS records a DNS answer in s.
func applyDNS(a dnsAnswer, s *facts.Service) {
	s.Name = proto.DNS
	s.SetDetail(facts.DetailDNSRcode, dnsRcodeNames[a.rcode])
	if s.Detail(facts.DetailDNSRcode) == "" {
		s.SetDetail(facts.DetailDNSRcode, strconv.Itoa(a.rcode))
	}
	if len(a.txt) > 0 {
		v := a.txt[0]
		s.SetDetail(facts.DetailDNSVersionBind, clean(v, 128))
		s.Banner = clean(v, 256)
		p, ver := productFrom(dnsProducts, v)
		s.Product, s.Version = p, ver
	}
}

// dnsTCPComplete reports whether b holds the whole length-prefixed message,
// or a message whose id is not id.
func dnsTCPComplete(id uint16) func([]byte) bool {
	return func(b []byte) bool {
		if len(b) >= 4 && binary.BigEndian.Uint16(b[2:]) != id {
			return true
		}
		return len(b) >= 2 && len(b) >= 2+int(binary.BigEndian.Uint16(b))
	}
}

// probeDNS sends the version.bind query over TCP (RFC 1035 section 4.2.2:
// a two-byte length before each message).
func probeDNS(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	id := rand16()
	q := dnsVersionQuery(id)
	req := append(binary.BigEndian.AppendUint16(nil, uint16(len(q))), q...)
	resp, err := l.exchange(ctx, req, 64<<10+2, dnsTCPComplete(id))
	if len(resp) < 2 {
		return resp, ioNoMatch(proto.DNS, err)
	}
	n := int(binary.BigEndian.Uint16(resp))
	if len(resp) < 2+n {
		return resp, noMatch(proto.DNS, "message cut short")
	}
	a, perr := parseDNSAnswer(resp[2:2+n], id)
	if perr != nil {
		return resp, perr
	}
	applyDNS(a, s)
	return nil, nil
}

// DNSProduct names the product and version that a version.bind or
// version.server answer announces; both are "" when it names no product
// vigil knows.
func DNSProduct(txt string) (product, version string) { return productFrom(dnsProducts, txt) }
