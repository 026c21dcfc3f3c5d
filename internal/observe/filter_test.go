package observe

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"
)

// tcpHdr builds a 20-byte TCP header.
func tcpHdr(sport, dport uint16, flags byte) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	h[12] = 5 << 4
	h[13] = flags
	return h
}

// udpHdr builds an 8-byte UDP header.
func udpHdr(sport, dport uint16) []byte {
	h := make([]byte, 8)
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint16(h[4:], 8)
	return h
}

// ipv4 builds an IPv4 packet with optLen bytes of options (a multiple of 4).
func ipv4(src, dst string, proto byte, optLen int, fragOff uint16, payload []byte) []byte {
	hl := 20 + optLen
	b := make([]byte, hl+len(payload))
	b[0] = 0x40 | byte(hl/4)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	binary.BigEndian.PutUint16(b[6:], fragOff)
	b[8] = 64
	b[9] = proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	for i := 20; i < hl; i++ {
		b[i] = 1 // NOP options
	}
	copy(b[hl:], payload)
	return b
}

// ipv6 builds an IPv6 packet.
func ipv6(src, dst string, next byte, payload []byte) []byte {
	b := make([]byte, 40+len(payload))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	b[6] = next
	b[7] = 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	copy(b[40:], payload)
	return b
}

func TestFilter(t *testing.T) {
	const (
		syn    = tcpSYN
		synack = tcpSYN | tcpACK
		ack    = tcpACK
		fin    = 0x01 | tcpACK
		rst    = 0x04
	)
	tests := []struct {
		name   string
		pkt    []byte
		accept bool
	}{
		{"IPv4 SYN to a listened port", ipv4("10.78.0.1", "10.78.0.2", 6, 0, 0, tcpHdr(40000, 9001, syn)), true},
		{"IPv4 SYN with ECN bits", ipv4("10.78.0.1", "10.78.0.2", 6, 0, 0, tcpHdr(40000, 9001, syn|0xc0)), true},
		{"IPv4 SYN with IP options", ipv4("10.78.0.1", "10.78.0.2", 6, 8, 0, tcpHdr(40000, 9002, syn)), true},
		{"IPv4 SYN to another port", ipv4("10.78.0.1", "10.78.0.2", 6, 0, 0, tcpHdr(40000, 9003, syn)), false},
		{"IPv4 SYN-ACK (a reply)", ipv4("10.78.0.1", "10.78.0.2", 6, 0, 0, tcpHdr(40000, 9001, synack)), false},
		{"IPv4 ACK (established traffic)", ipv4("10.78.0.1", "10.78.0.2", 6, 0, 0, tcpHdr(40000, 9001, ack)), false},
		{"IPv4 FIN", ipv4("10.78.0.1", "10.78.0.2", 6, 0, 0, tcpHdr(40000, 9001, fin)), false},
		{"IPv4 RST", ipv4("10.78.0.1", "10.78.0.2", 6, 0, 0, tcpHdr(40000, 9001, rst)), false},
		{"IPv4 later fragment", ipv4("10.78.0.1", "10.78.0.2", 6, 0, 185, tcpHdr(40000, 9001, syn)), false},
		{"IPv4 first fragment (MF set)", ipv4("10.78.0.1", "10.78.0.2", 6, 0, 0x2000, tcpHdr(40000, 9001, syn)), true},
		{"IPv4 UDP to a listened port", ipv4("10.78.0.1", "10.78.0.2", 17, 0, 0, udpHdr(5000, 161)), true},
		{"IPv4 UDP to a TCP-only port", ipv4("10.78.0.1", "10.78.0.2", 17, 0, 0, udpHdr(5000, 9001)), false},
		{"IPv4 TCP SYN to a UDP-only port", ipv4("10.78.0.1", "10.78.0.2", 6, 0, 0, tcpHdr(5000, 161, syn)), false},
		{"IPv4 ICMP", ipv4("10.78.0.1", "10.78.0.2", 1, 0, 0, make([]byte, 8)), false},
		{"IPv6 SYN", ipv6("fd00::1", "fd00::2", 6, tcpHdr(40000, 9001, syn)), true},
		{"IPv6 ACK", ipv6("fd00::1", "fd00::2", 6, tcpHdr(40000, 9001, ack)), false},
		{"IPv6 SYN to another port", ipv6("fd00::1", "fd00::2", 6, tcpHdr(40000, 22, syn)), false},
		{"IPv6 UDP", ipv6("fd00::1", "fd00::2", 17, udpHdr(5000, 161)), true},
		{"IPv6 hop-by-hop header first", ipv6("fd00::1", "fd00::2", 0, append(make([]byte, 8), tcpHdr(1, 9001, syn)...)), false},
		{"ARP-like garbage", []byte{0x00, 0x01, 0x08, 0x00}, false},
		{"truncated IPv4", ipv4("10.78.0.1", "10.78.0.2", 6, 0, 0, tcpHdr(40000, 9001, syn))[:30], false},
		{"empty", nil, false},
	}
	raw, err := Filter([]int{9001, 9002, 9001}, []int{161})
	if err != nil {
		t.Fatal(err)
	}
	vm := loadVM(t, raw)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := vm.Run(tc.pkt)
			if err != nil {
				t.Fatalf("filter error: %v", err)
			}
			if got := n > 0; got != tc.accept {
				t.Errorf("accepted %d bytes, want accept=%v", n, tc.accept)
			}
			if n > SnapLen {
				t.Errorf("passed %d bytes, more than SnapLen", n)
			}
			if n > 0 {
				if _, err := parsePacket(tc.pkt[:min(n, len(tc.pkt))]); err != nil {
					t.Errorf("user space cannot parse what the filter passed: %v", err)
				}
			}
		})
	}
}

func loadVM(t *testing.T, raw []bpf.RawInstruction) *bpf.VM {
	t.Helper()
	ins, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatalf("the filter does not disassemble")
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatalf("the filter does not load: %v", err)
	}
	return vm
}

func TestFilterManyPorts(t *testing.T) {
	var many []int
	for p := 1; p <= 3000; p++ {
		many = append(many, p)
	}
	raw, err := Filter(many, []int{53})
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 4096 {
		t.Fatalf("%d instructions", len(raw))
	}
	vm := loadVM(t, raw)
	for _, port := range []uint16{1, 2999, 40000} {
		n, err := vm.Run(ipv4("10.0.0.1", "10.0.0.2", 6, 0, 0, tcpHdr(1234, port, tcpSYN)))
		if err != nil || n == 0 {
			t.Errorf("port %d: n=%d err=%v; with too many ports to list every SYN passes", port, n, err)
		}
	}
	n, _ := vm.Run(ipv4("10.0.0.1", "10.0.0.2", 6, 0, 0, tcpHdr(1234, 80, tcpACK)))
	if n != 0 {
		t.Errorf("an ACK passed")
	}
	// Several hundred ports are still listed one by one (long jumps).
	raw, err = Filter(many[:700], many[:300])
	if err != nil {
		t.Fatal(err)
	}
	vm = loadVM(t, raw)
	for port, want := range map[uint16]bool{700: true, 701: false} {
		n, _ := vm.Run(ipv4("10.0.0.1", "10.0.0.2", 6, 0, 0, tcpHdr(1234, port, tcpSYN)))
		if (n > 0) != want {
			t.Errorf("TCP port %d accepted=%v", port, n > 0)
		}
	}
	for port, want := range map[uint16]bool{300: true, 301: false} {
		n, _ := vm.Run(ipv6("fd00::1", "fd00::2", 17, udpHdr(1234, port)))
		if (n > 0) != want {
			t.Errorf("UDP port %d accepted=%v", port, n > 0)
		}
	}
}

func TestFilterNoPorts(t *testing.T) {
	raw, err := Filter(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	vm := loadVM(t, raw)
	if n, _ := vm.Run(ipv4("10.0.0.1", "10.0.0.2", 6, 0, 0, tcpHdr(1, 2, tcpSYN))); n != 0 {
		t.Errorf("a filter without ports accepted a SYN")
	}
}

func TestParsePacket(t *testing.T) {
	tests := []struct {
		name string
		pkt  []byte
		want segment
		ok   bool
	}{
		{"IPv4 SYN", ipv4("10.78.0.1", "10.78.0.2", 6, 4, 0, tcpHdr(40000, 9001, tcpSYN)),
			segment{"tcp", netip.MustParseAddrPort("10.78.0.1:40000"), netip.MustParseAddrPort("10.78.0.2:9001")}, true},
		{"IPv6 UDP", ipv6("fd00::1", "fd00::2", 17, udpHdr(5000, 161)),
			segment{"udp", netip.MustParseAddrPort("[fd00::1]:5000"), netip.MustParseAddrPort("[fd00::2]:161")}, true},
		{"IPv4-mapped IPv6 is unmapped", ipv6("::ffff:10.0.0.1", "::ffff:10.0.0.2", 6, tcpHdr(1, 2, tcpSYN)),
			segment{"tcp", netip.MustParseAddrPort("10.0.0.1:1"), netip.MustParseAddrPort("10.0.0.2:2")}, true},
		{"SYN-ACK", ipv4("10.0.0.1", "10.0.0.2", 6, 0, 0, tcpHdr(1, 2, tcpSYN|tcpACK)), segment{}, false},
		{"bad IHL", func() []byte { p := ipv4("10.0.0.1", "10.0.0.2", 6, 0, 0, tcpHdr(1, 2, tcpSYN)); p[0] = 0x41; return p }(), segment{}, false},
		{"IHL beyond the data", func() []byte {
			p := ipv4("10.0.0.1", "10.0.0.2", 6, 0, 0, tcpHdr(1, 2, tcpSYN))
			p[0] = 0x4f
			return p[:40]
		}(), segment{}, false},
		{"short TCP", ipv4("10.0.0.1", "10.0.0.2", 6, 0, 0, tcpHdr(1, 2, tcpSYN))[:30], segment{}, false},
		{"short UDP", ipv6("fd00::1", "fd00::2", 17, udpHdr(1, 2))[:42], segment{}, false},
		{"version 5", []byte{0x50, 0, 0, 0}, segment{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePacket(tc.pkt)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// FuzzParsePacket feeds arbitrary bytes (what a hostile peer can put on the
// wire) to the packet parser: it must never panic, and what it accepts must
// be a TCP SYN or UDP datagram whose ports are in the packet.
func FuzzParsePacket(f *testing.F) {
	f.Add(ipv4("10.78.0.1", "10.78.0.2", 6, 0, 0, tcpHdr(40000, 9001, tcpSYN)))
	f.Add(ipv4("10.78.0.1", "10.78.0.2", 6, 40, 0, tcpHdr(40000, 9001, tcpSYN)))
	f.Add(ipv6("fd00::1", "fd00::2", 17, udpHdr(5000, 161)))
	f.Add([]byte{0x4f})
	f.Add([]byte{0x60, 0, 0, 0})
	raw, err := Filter([]int{9001}, []int{161})
	if err != nil {
		f.Fatal(err)
	}
	ins, _ := bpf.Disassemble(raw)
	vm, err := bpf.NewVM(ins)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parsePacket(b)
		if err == nil && s.transport != "tcp" && s.transport != "udp" {
			t.Fatalf("accepted transport %q", s.transport)
		}
		// Whatever the kernel filter passes, user space parses.
		if n, err := vm.Run(b); err == nil && n > 0 {
			if _, err := parsePacket(b[:min(n, len(b))]); err != nil {
				t.Fatalf("filter passed %x but the parser refuses it: %v", b[:min(n, len(b))], err)
			}
		}
	})
}
