package identify

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/codec/snmp"
	"github.com/vigilsec/vigil/internal/dialer"
)

// udpProbeOf names the probe that sent datagram b, "" when none did.
func udpProbeOf(b []byte) string {
	switch {
	case len(b) == 48 && b[0] == 0x23:
		return "ntp"
	case bytes.HasPrefix(b, []byte{0, tftpRRQ}):
		return "tftp"
	case bytes.HasPrefix(b, []byte("OPTIONS sip:")):
		return "sip"
	case bytes.HasPrefix(b, []byte("M-SEARCH * HTTP/1.1\r\n")):
		return "ssdp"
	case len(b) > 4 && b[0] == 0x44 && b[1] == 0x01:
		return "coap"
	case len(b) > 12 && (bytes.Equal(b[2:], dnsVersionQuery(0)[2:]) || bytes.Equal(b[2:], dnsRootSOAQuery(0)[2:])):
		return "dns"
	case len(b) > 16 && bytes.Equal(b[4:12], []byte{0, 0, 0, 0, 0, 0, 0, 2}):
		return "rpcbind" // an ONC RPC call: message type 0, RPC version 2
	case len(b) > 2 && b[0] == 0x6a: // [APPLICATION 10] AS-REQ
		return "kerberos"
	case len(b) > 12 && bytes.Equal(b[2:], mdnsQuery(0)[2:]):
		return "mdns"
	case len(b) > 12 && bytes.Equal(b[2:], nbstatQuery(0)[2:]):
		return "netbios-ns"
	}
	if _, err := snmp.Parse(b); err == nil {
		return "snmp"
	}
	return ""
}

func allUDPProbeNames() []string {
	var out []string
	for _, p := range udpProbes {
		out = append(out, p.name)
	}
	return out
}

// A silent port gets one datagram per probe per try, the hinted probe
// first on each try, then the others in registry order.
func TestUDPOneDatagramPerProbePerTry(t *testing.T) {
	for _, hints := range [][]string{nil, {"coap"}, {"netbios-ns", "dns"}} {
		t.Run(strings.Join(hints, "+"), func(t *testing.T) {
			t.Parallel()
			addr, got := serveUDP(t, func([]byte) [][]byte { return nil })
			if s, ok := udpWith(t.Context(), newDialer(t), addr, testOptions, hints); ok || s.Name != "unknown" {
				t.Fatalf("silent port: ok %v name %q", ok, s.Name)
			}
			var seq []string
			for _, b := range got() {
				seq = append(seq, udpProbeOf(b))
			}
			order := orderedBy(allUDPProbeNames(), func(s string) string { return s }, hints)
			want := slices.Concat(order, order)
			if !slices.Equal(seq, want) {
				t.Errorf("datagrams in order\n%v\nwant\n%v", seq, want)
			}
		})
	}
}

// A refused port (ICMP port unreachable) ends the probing at once.
func TestUDPRefusedStops(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	_ = pc.Close()
	opt := testOptions
	opt.Timeout = time.Minute // a refusal must not wait for it
	done := make(chan bool, 1)
	go func() {
		_, ok := UDP(t.Context(), newDialer(t), closed, opt)
		done <- ok
	}()
	select {
	case ok := <-done:
		if ok {
			t.Error("a closed port answered")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a refused port was probed until the timeout")
	}
}

// The dialer's rate limit paces every datagram, not only the socket: at
// one datagram per thousand seconds, the socket's token lets the first
// datagram out and the next waits (until the test cancels), where without
// pacing all eighteen would be out at once.
func TestUDPRateLimited(t *testing.T) {
	d, err := dialer.New(dialer.Config{Rate: 0.001, Concurrency: 4, Timeout: time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	addr, got := serveUDP(t, func([]byte) [][]byte { return nil })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		UDP(ctx, d, addr, testOptions)
	}()
	for len(got()) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // room for datagrams the limit failed to hold back
	cancel()
	<-done
	if n := len(got()); n != 1 {
		t.Errorf("%d datagrams went out at one per thousand seconds, want 1", n)
	}
}

// Answers arrive for a probe sent before the one in flight: they are still
// matched to it by its identifiers.
func TestUDPLateAnswerStillMatches(t *testing.T) {
	var first []byte
	addr, _ := serveUDP(t, func(b []byte) [][]byte {
		switch udpProbeOf(b) {
		case "ntp":
			first = b // answered only when the next probe comes
		case "snmp":
			if first != nil {
				r := make([]byte, 48)
				r[0], r[1] = 0x24, 2
				copy(r[24:], first[40:48])
				return [][]byte{r}
			}
		}
		return nil
	})
	s, ok := udpWith(t.Context(), newDialer(t), addr, testOptions, []string{"ntp", "snmp"})
	if !ok || s.Name != "ntp" || s.Detail("ntp.stratum") != "2" {
		t.Errorf("ok %v %+v", ok, s)
	}
}

// tftpServer answers a read request with an ERROR packet from a fresh
// port, as RFC 1350 servers do; reads counts the read requests.
func tftpServer(t *testing.T) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 2 || binary.BigEndian.Uint16(buf) != tftpRRQ {
				continue
			}
			tid, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				return
			}
			_, _ = tid.WriteTo(append([]byte{0, tftpERROR, 0, 1}, "File not found\x00"...), from)
			_ = tid.Close()
		}
	}()
	t.Cleanup(func() { _ = pc.Close(); <-done })
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

func TestUDPNewProtocols(t *testing.T) {
	tests := []struct {
		name    string
		handler func(b []byte) [][]byte
		want    want
	}{
		{"sip", func(b []byte) [][]byte {
			if udpProbeOf(b) != "sip" {
				return nil
			}
			callID := ""
			for _, l := range strings.Split(string(b), "\r\n") {
				if v, ok := strings.CutPrefix(l, "Call-ID: "); ok {
					callID = v
				}
			}
			return [][]byte{
				fmt.Appendf(nil, "SIP/2.0 100 Trying\r\ni: %s\r\n\r\n", callID),
				fmt.Appendf(nil, "SIP/2.0 200 OK\r\nVia: x\r\nCall-ID: %s\r\nServer: kamailio (5.6.3 (x86_64/linux))\r\nAllow: INVITE, OPTIONS\r\nContent-Length: 0\r\n\r\n", callID),
			}
		}, want{name: "sip", product: "Kamailio", version: "5.6.3", banner: "kamailio",
			details: map[string]string{"sip.status": "200 OK", "sip.allow": "INVITE, OPTIONS"}}},
		{"coap", func(b []byte) [][]byte {
			if udpProbeOf(b) != "coap" {
				return nil
			}
			return [][]byte{coapReply(coapACK, 0x45, binary.BigEndian.Uint16(b[2:]), b[4:8], 40, "</time>;rt=\"clock\",</.well-known/core>")}
		}, want{name: "coap", details: map[string]string{"coap.code": "2.05", "coap.resources": "/time,/.well-known/core"}}},
		{"ssdp", func(b []byte) [][]byte {
			if udpProbeOf(b) != "ssdp" {
				return nil
			}
			r := "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: http://10.0.0.2:8200/rootDesc.xml\r\nSERVER: Debian DEB12 DLNADOC/1.50 UPnP/1.0 MiniDLNA/1.3.0\r\nST: %s\r\nUSN: uuid:4d696e69::%s\r\n\r\n"
			return [][]byte{fmt.Appendf(nil, r, "upnp:rootdevice", "upnp:rootdevice"), fmt.Appendf(nil, r, "urn:schemas-upnp-org:device:MediaServer:1", "x")}
		}, want{name: "ssdp", product: "MiniDLNA", version: "1.3.0",
			details: map[string]string{"ssdp.st": "upnp:rootdevice,urn:schemas-upnp-org:device:MediaServer:1", "ssdp.location": "http://10.0.0.2:8200/rootDesc.xml"}}},
		{"mdns", func(b []byte) [][]byte {
			if udpProbeOf(b) != "mdns" {
				return nil
			}
			return [][]byte{mdnsReply(binary.BigEndian.Uint16(b), 0x8400, "_workstation._tcp", "_ssh._tcp")}
		}, want{name: "mdns", details: map[string]string{"mdns.services": "_workstation._tcp,_ssh._tcp"}}},
		{"netbios-ns", func(b []byte) [][]byte {
			if udpProbeOf(b) != "netbios-ns" {
				return nil
			}
			return [][]byte{nbstatReply(binary.BigEndian.Uint16(b), labNames, true)}
		}, want{name: "netbios-ns", banner: "LABHOST (LABGROUP)",
			details: map[string]string{"netbios.computer": "LABHOST", "netbios.workgroup": "LABGROUP", "netbios.mac": "00:00:00:00:00:00",
				"netbios.names": "LABHOST<00>,LABHOST<20>,LABGROUP<00>/g,LABGROUP<1e>/g"}}},
	}
	d := newDialer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, _ := serveUDP(t, tt.handler)
			s, ok := UDP(t.Context(), d, addr, testOptions)
			if !ok || s.Transport != "udp" {
				t.Fatalf("ok %v %+v", ok, s)
			}
			tt.want.check(t, s)
		})
	}
	t.Run("tftp", func(t *testing.T) {
		s, ok := UDP(t.Context(), d, tftpServer(t), testOptions)
		if !ok {
			t.Fatal("the TFTP answer from a fresh port was not seen")
		}
		want{name: "tftp", banner: "File not found", details: map[string]string{"tftp.answer": "error", "tftp.error": "1 File not found"}}.check(t, s)
	})
}

// A DNS server answering the other probes with errors is DNS, never mDNS
// or NetBIOS, whatever ids it echoes.
func TestUDPDNSServerIsNotMDNS(t *testing.T) {
	addr, _ := serveUDP(t, func(b []byte) [][]byte {
		if len(b) < 12 {
			return nil
		}
		r := append([]byte(nil), b...)
		id := binary.BigEndian.Uint16(b)
		if udpProbeOf(b) == "dns" {
			return [][]byte{dnsTXTAnswer(id, 0, "dnsmasq-2.89")}
		}
		binary.BigEndian.PutUint16(r[2:], 0x8403) // NXDOMAIN, AA
		return [][]byte{r}
	})
	s, ok := udpWith(t.Context(), newDialer(t), addr, testOptions, []string{"mdns", "netbios-ns"})
	if !ok || s.Name != "dns" || s.Product != "dnsmasq" {
		t.Errorf("ok %v name %q product %q", ok, s.Name, s.Product)
	}
}

func TestUDPSlices(t *testing.T) {
	for _, tt := range []struct{ n, hinted int }{{9, 0}, {9, 1}, {9, 2}, {9, 9}, {1, 1}} {
		sl := udpSlices(time.Second, tt.n, tt.hinted)
		var sum time.Duration
		for _, d := range sl {
			sum += d
		}
		if sum*udpTries > time.Second || sum*udpTries < time.Second-time.Millisecond {
			t.Errorf("n %d hinted %d: tries cost %v, want about the timeout", tt.n, tt.hinted, sum*udpTries)
		}
		if tt.hinted > 0 && tt.hinted < tt.n && sl[0] <= sl[tt.n-1] {
			t.Errorf("n %d hinted %d: a hinted probe waits %v, no more than another's %v", tt.n, tt.hinted, sl[0], sl[tt.n-1])
		}
	}
}

// Probes of several ports of one host at once keep their answers apart:
// a TFTP server's answer from a fresh port reaches only the probe of the
// TFTP port, never that of a silent port probed at the same moment.
func TestUDPConcurrentProbesKeepTFTPApart(t *testing.T) {
	tftp := tftpServer(t)
	silent, _ := serveUDP(t, func([]byte) [][]byte { return nil })
	d := newDialer(t)
	type res struct {
		addr netip.AddrPort
		name string
	}
	out := make(chan res, 40)
	for i := range 40 {
		addr := tftp
		if i%2 == 1 {
			addr = silent
		}
		go func() {
			s, _ := UDP(t.Context(), d, addr, testOptions)
			out <- res{addr, s.Name}
		}()
	}
	for range 40 {
		r := <-out
		want := "unknown"
		if r.addr == tftp {
			want = "tftp"
		}
		if r.name != want {
			t.Errorf("%s identified as %q, want %q", r.addr, r.name, want)
		}
	}
}
