package identify

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// NetBIOS name service (RFC 1002) constants used here.
const (
	nbTypeNBSTAT = 0x21
	nbClassIN    = 1
)

// nbEncodedWildcard is the name "*" padded with NULs to 16 bytes in
// first-level encoding (RFC 1001 §14.1): each half-byte plus 'A'.
var nbEncodedWildcard = func() []byte {
	name := make([]byte, 16)
	name[0] = '*'
	out := make([]byte, 0, 32)
	for _, c := range name {
		out = append(out, 'A'+c>>4, 'A'+c&0xf)
	}
	return out
}()

// nbstatQuery is a NODE STATUS REQUEST (RFC 1002 §4.2.17) for "*".
func nbstatQuery(id uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0) // query, QDCOUNT 1
	b = append(b, 32)
	b = append(b, nbEncodedWildcard...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, nbTypeNBSTAT)
	return binary.BigEndian.AppendUint16(b, nbClassIN)
}

// nbName is one entry of a node's name table.
type nbName struct {
	name   string // without the padding, sanitised
	suffix byte   // the 16th byte: 0x00 workstation, 0x20 file server, …
	group  bool
	active bool
}

// nbStatus is what a NODE STATUS RESPONSE told.
type nbStatus struct {
	names []nbName
	mac   string // unit id, "" when absent
}

// parseNBSTAT parses a NODE STATUS RESPONSE (RFC 1002 §4.2.18) to
// nbstatQuery(id).
func parseNBSTAT(msg []byte, id uint16) (nbStatus, error) {
	if len(msg) < dnsHeaderLen || binary.BigEndian.Uint16(msg) != id {
		return nbStatus{}, noMatch(proto.NetBIOSNS, "not an answer to our query")
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	if flags&0x8000 == 0 || (flags>>11)&0xf != 0 || flags&0xf != 0 {
		return nbStatus{}, noMatch(proto.NetBIOSNS, "not a positive query response")
	}
	qd, an := binary.BigEndian.Uint16(msg[4:]), binary.BigEndian.Uint16(msg[6:])
	if an == 0 || qd > 1 {
		return nbStatus{}, noMatch(proto.NetBIOSNS, "%d questions, %d answers", qd, an)
	}
	off := dnsHeaderLen
	var err error
	if qd == 1 {
		if off, err = dnsSkipName(msg, off); err != nil {
			return nbStatus{}, err
		}
		off += 4
	}
	if off, err = dnsSkipName(msg, off); err != nil {
		return nbStatus{}, err
	}
	if off+10 > len(msg) {
		return nbStatus{}, noMatch(proto.NetBIOSNS, "record cut short")
	}
	if binary.BigEndian.Uint16(msg[off:]) != nbTypeNBSTAT || binary.BigEndian.Uint16(msg[off+2:]) != nbClassIN {
		return nbStatus{}, noMatch(proto.NetBIOSNS, "not a node status record")
	}
	rdlen := int(binary.BigEndian.Uint16(msg[off+8:]))
	off += 10
	if off+rdlen > len(msg) || rdlen < 1 {
		return nbStatus{}, noMatch(proto.NetBIOSNS, "node status cut short")
	}
	rd := msg[off : off+rdlen]
	n := int(rd[0])
	if n == 0 || 1+18*n > len(rd) {
		return nbStatus{}, noMatch(proto.NetBIOSNS, "name table of %d names cut short", n)
	}
	var st nbStatus
	for i := range n {
		e := rd[1+18*i : 1+18*(i+1)]
		fl := binary.BigEndian.Uint16(e[16:])
		st.names = append(st.names, nbName{
			name:   clean(strings.TrimRight(string(e[:15]), " \x00"), 32),
			suffix: e[15],
			group:  fl&0x8000 != 0,
			active: fl&0x0400 != 0,
		})
	}
	if rest := rd[1+18*n:]; len(rest) >= 6 {
		st.mac = fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", rest[0], rest[1], rest[2], rest[3], rest[4], rest[5])
	}
	return st, nil
}

// applyNBSTAT records a node status in s: details netbios.names (each
// name<suffix>, with /g for group names), netbios.computer (the unique
// workstation name), netbios.workgroup (the group name of suffix 00) and
// netbios.mac (the unit id; all zeros from Samba).
func applyNBSTAT(st nbStatus, s *facts.Service) {
	s.Name = proto.NetBIOSNS
	var all []string
	for _, n := range st.names {
		e := fmt.Sprintf("%s<%02x>", n.name, n.suffix)
		if n.group {
			e += "/g"
		}
		all = append(all, e)
		switch {
		case n.suffix == 0 && !n.group && s.Detail(facts.DetailNetbiosComputer) == "":
			s.SetDetail(facts.DetailNetbiosComputer, n.name)
		case n.suffix == 0 && n.group && s.Detail(facts.DetailNetbiosWorkgroup) == "":
			s.SetDetail(facts.DetailNetbiosWorkgroup, n.name)
		}
	}
	s.SetDetail(facts.DetailNetbiosNames, strings.Join(all, ","))
	if st.mac != "" {
		s.SetDetail(facts.DetailNetbiosMac, st.mac)
	}
	switch c, w := s.Detail(facts.DetailNetbiosComputer), s.Detail(facts.DetailNetbiosWorkgroup); {
	case c != "" && w != "":
		s.Banner = c + " (" + w + ")"
	default:
		s.Banner = c + w
	}
}

// nbstatSession is the node status request for "*".
type nbstatSession struct{ id uint16 }

func newNBSTATSession(udpEnv) udpSession { return &nbstatSession{id: dnsID()} }

func (n *nbstatSession) request(int) []byte { return nbstatQuery(n.id) }

func (n *nbstatSession) answer(b []byte, s *facts.Service) (bool, bool) {
	st, err := parseNBSTAT(b, n.id)
	if err != nil {
		return false, false
	}
	applyNBSTAT(st, s)
	return true, true
}
