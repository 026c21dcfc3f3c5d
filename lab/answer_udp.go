package lab

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"
)

// udpPartProbe returns the requests and the answer check for the protocols
// of the udp part (SIP: see sipProbe): CoAP GET /.well-known/core (RFC
// 7252), SSDP unicast M-SEARCH, mDNS legacy unicast (RFC 6762 §6.7) and
// NetBIOS node status (RFC 1002).
func udpPartProbe(name string) ([][]byte, func([]byte) bool) {
	switch name {
	case "coap":
		id := randomID()
		q := binary.BigEndian.AppendUint16([]byte{0x40, 0x01}, id) // CON GET, no token
		q = append(q, 0xbb)
		q = append(q, ".well-known"...)
		q = append(q, 0x04)
		q = append(q, "core"...)
		return [][]byte{q}, func(b []byte) bool {
			return len(b) >= 4 && b[0]>>6 == 1 && binary.BigEndian.Uint16(b[2:]) == id
		}
	case "ssdp":
		q := "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nST: ssdp:all\r\n\r\n"
		return [][]byte{[]byte(q)}, func(b []byte) bool { return bytes.HasPrefix(b, []byte("HTTP/1.1 200")) }
	case "mdns":
		q := dnsQuery(randomID()|1, "_services._dns-sd._udp.local")
		q[2] = 0                                     // no recursion desired
		binary.BigEndian.PutUint16(q[len(q)-4:], 12) // PTR
		return [][]byte{q}, func(b []byte) bool {
			return ValidDNSReply(q, b) && len(b) >= 8 && binary.BigEndian.Uint16(b[6:]) > 0
		}
	case "netbios-ns":
		id := randomID()
		q := binary.BigEndian.AppendUint16(nil, id)
		q = append(q, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 32, 'C', 'K')
		q = append(q, strings.Repeat("A", 30)...)
		q = append(q, 0, 0, 0x21, 0, 1) // NBSTAT, IN
		return [][]byte{q}, func(b []byte) bool { return ValidDNSReply(q, b) && len(b) >= 8 && binary.BigEndian.Uint16(b[6:]) > 0 }
	}
	return nil, nil
}

// sipProbe is an OPTIONS request whose Via names the socket's own address
// (local), where servers that ignore rport send the answer.
func sipProbe(local string) ([][]byte, func([]byte) bool) {
	callID := fmt.Sprintf("%x@lab", randomID())
	q := "OPTIONS sip:lab SIP/2.0\r\nVia: SIP/2.0/UDP " + local + ";branch=z9hG4bKlab;rport\r\nMax-Forwards: 0\r\n" +
		"From: <sip:lab@lab>;tag=1\r\nTo: <sip:lab@lab>\r\nCall-ID: " + callID + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	return [][]byte{[]byte(q)}, func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("SIP/2.0 ")) && bytes.Contains(b, []byte(callID))
	}
}

// answerTFTP asks a TFTP server for a file that does not exist and waits
// for its ERROR packet, which comes from another port (RFC 1350), so the
// socket is not connected; only datagrams from the service's address count.
func answerTFTP(ctx context.Context, s Service) error {
	addr, err := netip.ParseAddrPort(s.Address())
	if err != nil {
		return fmt.Errorf("%s: %w", s.ID, err)
	}
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", "127.0.0.1:0")
	if !addr.Addr().IsLoopback() {
		pc, err = lc.ListenPacket(ctx, "udp", ":0")
	}
	if err != nil {
		return fmt.Errorf("cannot open a socket for %s: %w", s.ID, err)
	}
	defer pc.Close()
	u := pc.(*net.UDPConn)
	rrq := append([]byte{0, 1}, fmt.Sprintf("lab-wait-%x", randomID())...)
	rrq = append(rrq, 0)
	rrq = append(rrq, "octet\x00"...)
	buf := make([]byte, maxDatagram)
	for {
		if _, err := u.WriteToUDPAddrPort(rrq, addr); err != nil {
			return fmt.Errorf("%s: %w", s.ID, err)
		}
		wait := time.Now().Add(300 * time.Millisecond)
		if dl, ok := ctx.Deadline(); ok && dl.Before(wait) {
			wait = dl
		}
		_ = u.SetReadDeadline(wait)
		for {
			n, from, err := u.ReadFromUDPAddrPort(buf)
			if err != nil {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					return fmt.Errorf("%s (%s/udp): %w", s.ID, s.Address(), err)
				}
				break
			}
			if from.Addr().Unmap() == addr.Addr() && n >= 4 && buf[0] == 0 && (buf[1] == 5 || buf[1] == 3) {
				return nil
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s (%s/udp) did not answer a TFTP read request: %w", s.ID, s.Address(), ctx.Err())
		}
	}
}
