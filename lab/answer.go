package lab

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"
)

// maxDatagram caps what Answer reads from one UDP reply.
const maxDatagram = 4096

// Answer reports whether the service is up: a TCP service must accept a
// connection; a UDP service (dns, ntp, snmp, tftp, sip, coap, ssdp, mdns,
// netbios-ns) must answer one request of its protocol. It sends nothing but
// to the service's own address (a loopback alias, or a host in a lab
// part's network namespace).
func (s Service) Answer(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	switch s.Transport {
	case "tcp":
		c, err := d.DialContext(ctx, "tcp", s.Address())
		if err != nil {
			return fmt.Errorf("%s (%s) does not accept connections: %w", s.ID, s.Address(), err)
		}
		return c.Close()
	case "udp":
		if s.Name == "tftp" {
			return answerTFTP(ctx, s)
		}
		probes, valid := udpProbe(s.Name)
		if probes == nil {
			return fmt.Errorf("%s (%s/udp): no probe for protocol %q", s.ID, s.Address(), s.Name)
		}
		c, err := d.DialContext(ctx, "udp", s.Address())
		if err != nil {
			return fmt.Errorf("cannot open a socket to %s (%s/udp): %w", s.ID, s.Address(), err)
		}
		defer c.Close()
		if s.Name == "sip" {
			probes, valid = sipProbe(c.LocalAddr().String())
		}
		return exchangeUDP(ctx, c, probes, valid, s)
	}
	return fmt.Errorf("%s: unknown transport %q", s.ID, s.Transport)
}

// exchangeUDP sends every probe, resending every 300ms, until a datagram
// that valid accepts arrives or ctx ends.
func exchangeUDP(ctx context.Context, c net.Conn, probes [][]byte, valid func([]byte) bool, s Service) error {
	buf := make([]byte, maxDatagram)
	var last, bad error
	for {
		for _, p := range probes {
			if _, err := c.Write(p); err != nil {
				last = err
			}
		}
		wait := time.Now().Add(300 * time.Millisecond)
		if dl, ok := ctx.Deadline(); ok && dl.Before(wait) {
			wait = dl
		}
		if err := c.SetReadDeadline(wait); err != nil {
			return err
		}
		for {
			n, err := c.Read(buf)
			if err != nil {
				last = err
				break
			}
			if valid(buf[:n]) {
				return nil
			}
			bad = fmt.Errorf("unexpected %d-byte reply", n)
		}
		if ctx.Err() != nil {
			if bad != nil {
				last = bad
			}
			if last == nil {
				last = ctx.Err()
			}
			return fmt.Errorf("%s (%s/udp) did not answer a %s request: %w", s.ID, s.Address(), s.Name, last)
		}
	}
}

// udpProbe returns the requests that a live server of protocol name must
// answer, and a check of the answer.
func udpProbe(name string) ([][]byte, func([]byte) bool) {
	switch name {
	case "dns":
		q := dnsQuery(randomID(), "www.lab.vigil.test")
		return [][]byte{q}, func(b []byte) bool { return ValidDNSReply(q, b) }
	case "ntp":
		q := make([]byte, 48)
		q[0] = 0x23 // LI 0, version 4, mode 3 (client)
		return [][]byte{q}, ValidNTPReply
	case "snmp":
		// A v2c get with community "public" for agents that allow it, and a
		// v3 engine-ID discovery, which every v3 agent answers with a
		// report (RFC 3414 section 4).
		return [][]byte{snmpV2cGet("public"), snmpV3Discovery()}, ValidSNMPReply
	case "rpcbind":
		// The port mapper's NULL procedure (RFC 1833, RFC 5531).
		xid := uint32(randomID())<<16 | uint32(randomID())
		q := binary.BigEndian.AppendUint32(nil, xid)
		for _, v := range []uint32{0, 2, 100000, 2, 0, 0, 0, 0, 0} {
			q = binary.BigEndian.AppendUint32(q, v)
		}
		return [][]byte{q}, func(b []byte) bool {
			return len(b) >= 24 && binary.BigEndian.Uint32(b) == xid && binary.BigEndian.Uint32(b[4:]) == 1
		}
	case "kerberos":
		return [][]byte{krbASReq()}, ValidKerberosReply
	case "sip":
		return sipProbe("127.0.0.1:9") // replaced by the socket's address in Answer
	case "coap", "ssdp", "mdns", "netbios-ns":
		return udpPartProbe(name)
	}
	return nil, nil
}

func randomID() uint16 {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint16(b[:])
}

// dnsQuery builds a recursive A query for name (RFC 1035 section 4.1).
func dnsQuery(id uint16, name string) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0) // RD; one question
	for _, label := range bytes.Split([]byte(name), []byte(".")) {
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	return append(b, 0, 0, 1, 0, 1) // root, type A, class IN
}

// ValidDNSReply reports whether reply answers query: same ID, the QR bit
// set, and a header's worth of bytes.
func ValidDNSReply(query, reply []byte) bool {
	return len(reply) >= 12 && len(query) >= 2 &&
		reply[0] == query[0] && reply[1] == query[1] && reply[2]&0x80 != 0
}

// ValidNTPReply reports whether b is an NTP server reply (RFC 5905: at least
// 48 bytes, mode 4).
func ValidNTPReply(b []byte) bool {
	return len(b) >= 48 && b[0]&0x07 == 4
}

// ValidSNMPReply reports whether b is a BER SEQUENCE whose length matches
// the datagram, holding an INTEGER version 0, 1 or 3 first, which is how
// every SNMP message begins (RFC 3416, RFC 3412).
func ValidSNMPReply(b []byte) bool {
	if len(b) < 2 || b[0] != 0x30 {
		return false
	}
	n, rest, err := berLength(b[1:])
	if err != nil || n != len(rest) {
		return false
	}
	return len(rest) >= 3 && rest[0] == 0x02 && rest[1] == 1 && (rest[2] <= 1 || rest[2] == 3)
}

// berLength decodes a BER definite length.
func berLength(b []byte) (int, []byte, error) {
	if len(b) == 0 {
		return 0, nil, errors.New("no length")
	}
	if b[0] < 0x80 {
		return int(b[0]), b[1:], nil
	}
	k := int(b[0] & 0x7f)
	if k == 0 || k > 3 || len(b) < 1+k {
		return 0, nil, errors.New("bad length")
	}
	n := 0
	for _, c := range b[1 : 1+k] {
		n = n<<8 | int(c)
	}
	return n, b[1+k:], nil
}

// tlv encodes one BER element.
func tlv(tag byte, parts ...[]byte) []byte {
	content := bytes.Join(parts, nil)
	out := []byte{tag}
	switch n := len(content); {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, content...)
}

func berInt(v uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, v)
	for len(b) > 1 && b[0] == 0 && b[1] < 0x80 {
		b = b[1:]
	}
	if b[0] >= 0x80 {
		b = append([]byte{0}, b...)
	}
	return tlv(0x02, b)
}

// snmpV2cGet builds a GetRequest for sysDescr.0 (1.3.6.1.2.1.1.1.0).
func snmpV2cGet(community string) []byte {
	oid := tlv(0x06, []byte{0x2b, 6, 1, 2, 1, 1, 1, 0})
	varbinds := tlv(0x30, tlv(0x30, oid, []byte{0x05, 0x00}))
	pdu := tlv(0xa0, berInt(uint32(randomID())), berInt(0), berInt(0), varbinds)
	return tlv(0x30, berInt(1), tlv(0x04, []byte(community)), pdu)
}

// snmpV3Discovery builds an unauthenticated, reportable v3 GetRequest with
// an empty engine ID (RFC 3414 section 4).
func snmpV3Discovery() []byte {
	global := tlv(0x30, berInt(uint32(randomID())), berInt(65507), tlv(0x04, []byte{0x04}), berInt(3))
	usm := tlv(0x30, tlv(0x04, nil), berInt(0), berInt(0), tlv(0x04, nil), tlv(0x04, nil), tlv(0x04, nil))
	pdu := tlv(0xa0, berInt(uint32(randomID())), berInt(0), berInt(0), tlv(0x30))
	scoped := tlv(0x30, tlv(0x04, nil), tlv(0x04, nil), pdu)
	return tlv(0x30, berInt(3), global, tlv(0x04, usm), scoped)
}

// krbASReq builds an AS-REQ (RFC 4120 section 5.4.1) for krbtgt/LAB.VIGIL
// from a client that does not exist.
func krbASReq() []byte {
	str := func(s string) []byte { return tlv(0x1b, []byte(s)) }
	principal := func(typ uint32, names ...string) []byte {
		var ns [][]byte
		for _, n := range names {
			ns = append(ns, str(n))
		}
		return tlv(0x30, tlv(0xa0, berInt(typ)), tlv(0xa1, tlv(0x30, ns...)))
	}
	body := tlv(0x30,
		tlv(0xa0, tlv(0x03, []byte{0, 0, 0, 0, 0})),
		tlv(0xa1, principal(1, "lab-wait")),
		tlv(0xa2, str("LAB.VIGIL")),
		tlv(0xa3, principal(2, "krbtgt", "LAB.VIGIL")),
		tlv(0xa5, tlv(0x18, []byte("20370913024805Z"))),
		tlv(0xa7, berInt(uint32(randomID()))),
		tlv(0xa8, tlv(0x30, berInt(18), berInt(17))))
	return tlv(0x6a, tlv(0x30, tlv(0xa1, berInt(5)), tlv(0xa2, berInt(10)), tlv(0xa4, body)))
}

// ValidKerberosReply reports whether b is a KRB-ERROR or an AS-REP
// (APPLICATION 30 or 11, RFC 4120) whose length matches the datagram.
func ValidKerberosReply(b []byte) bool {
	if len(b) < 2 || (b[0] != 0x7e && b[0] != 0x6b) {
		return false
	}
	n, rest, err := berLength(b[1:])
	return err == nil && n == len(rest)
}
