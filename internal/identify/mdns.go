package identify

import (
	"encoding/binary"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// mdnsServices is the DNS-SD service type enumeration name (RFC 6763 §9).
const mdnsServices = "_services._dns-sd._udp.local"

const dnsTypePTR = 12

// mdnsQuery is a legacy unicast query (RFC 6762 §6.7: from a port other
// than 5353, with a non-zero id the responder echoes) for the PTR records
// of mdnsServices, with the unicast-response bit set.
func mdnsQuery(id uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0)
	for label := range strings.SplitSeq(mdnsServices, ".") {
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, dnsTypePTR)
	return binary.BigEndian.AppendUint16(b, 0x8001) // QU, class IN
}

// dnsReadName reads the (possibly compressed) name at off and returns it
// and the offset after it.
func dnsReadName(msg []byte, off int) (string, int, error) {
	var labels []string
	end := -1
	for steps := 0; steps < 128; steps++ {
		if off >= len(msg) {
			return "", 0, noMatch(proto.DNS, "name cut short")
		}
		l := int(msg[off])
		switch {
		case l == 0:
			if end < 0 {
				end = off + 1
			}
			return strings.Join(labels, "."), end, nil
		case l&0xc0 == 0xc0:
			if off+2 > len(msg) {
				return "", 0, noMatch(proto.DNS, "pointer cut short")
			}
			if end < 0 {
				end = off + 2
			}
			off = int(binary.BigEndian.Uint16(msg[off:]) & 0x3fff)
			continue
		case l&0xc0 != 0:
			return "", 0, noMatch(proto.DNS, "bad label type")
		}
		if off+1+l > len(msg) {
			return "", 0, noMatch(proto.DNS, "label cut short")
		}
		labels = append(labels, string(msg[off+1:off+1+l]))
		off += 1 + l
	}
	return "", 0, noMatch(proto.DNS, "name too long")
}

// parseMDNSAnswer parses a responder's answer to mdnsQuery(id) and returns
// the service types it announced. A unicast DNS server answering the same
// query (with an error, or no records) is no mDNS responder: an answer
// must be authoritative, NOERROR, and hold at least one PTR record.
func parseMDNSAnswer(msg []byte, id uint16) ([]string, error) {
	if len(msg) < dnsHeaderLen || binary.BigEndian.Uint16(msg) != id {
		return nil, noMatch(proto.MDNS, "not an answer to our query")
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	if flags&0x8000 == 0 || flags&0x0400 == 0 || (flags>>11)&0xf != 0 || flags&0xf != 0 {
		return nil, noMatch(proto.MDNS, "not an authoritative NOERROR response")
	}
	qd, an := int(binary.BigEndian.Uint16(msg[4:])), int(binary.BigEndian.Uint16(msg[6:]))
	if qd > 1 || an == 0 {
		return nil, noMatch(proto.MDNS, "%d questions, %d answers", qd, an)
	}
	off := dnsHeaderLen
	for range qd {
		var err error
		if off, err = dnsSkipName(msg, off); err != nil {
			return nil, err
		}
		off += 4
	}
	var types []string
	for range min(an, 64) {
		name, next, err := dnsReadName(msg, off)
		if err != nil || next+10 > len(msg) {
			break
		}
		typ := binary.BigEndian.Uint16(msg[next:])
		rdlen := int(binary.BigEndian.Uint16(msg[next+8:]))
		off = next + 10
		if off+rdlen > len(msg) {
			break
		}
		if typ == dnsTypePTR && strings.EqualFold(name, mdnsServices) {
			if target, _, err := dnsReadName(msg, off); err == nil {
				t := clean(strings.TrimSuffix(target, ".local"), 64)
				if t != "" && !slices.Contains(types, t) && len(types) < 32 {
					types = append(types, t)
				}
			}
		}
		off += rdlen
	}
	if len(types) == 0 {
		return nil, noMatch(proto.MDNS, "no service type announced")
	}
	return types, nil
}

// applyMDNS records an mDNS answer in s: details mdns.services, the
// DNS-SD service types announced ("_ssh._tcp,_ipp._tcp").
func applyMDNS(types []string, s *facts.Service) {
	s.Name = proto.MDNS
	s.SetDetail(facts.DetailMdnsServices, strings.Join(types, ","))
	s.Banner = s.Detail(facts.DetailMdnsServices)
}

// mdnsSession is the legacy unicast service enumeration.
type mdnsSession struct{ id uint16 }

func newMDNSSession(udpEnv) udpSession { return &mdnsSession{id: dnsID()} }

func (m *mdnsSession) request(int) []byte { return mdnsQuery(m.id) }

func (m *mdnsSession) answer(b []byte, s *facts.Service) (bool, bool) {
	types, err := parseMDNSAnswer(b, m.id)
	if err != nil {
		return false, false
	}
	applyMDNS(types, s)
	return true, true
}
