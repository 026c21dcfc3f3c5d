package synscan

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/lab"
)

// packet builds an IPv4 packet carrying tcp, as the raw socket delivers it.
func packet(t testing.TB, src, dst string, tcp *layers.TCP, opts gopacket.SerializeOptions) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, opts, ip, tcp); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseAnswer(t *testing.T) {
	opts := gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}
	synAck := packet(t, "127.0.8.1", "127.0.0.1", &layers.TCP{SrcPort: 22, DstPort: 40001, Ack: 7, SYN: true, ACK: true}, opts)
	rst := packet(t, "127.0.8.1", "127.0.0.1", &layers.TCP{SrcPort: 23, DstPort: 40001, Ack: 9, RST: true, ACK: true}, opts)
	tests := []struct {
		name string
		b    []byte
		want Answer
		ok   bool
	}{
		{"SYN-ACK", synAck, Answer{Src: netip.MustParseAddr("127.0.8.1"), SrcPort: 22, DstPort: 40001, Ack: 7, SYN: true}, true},
		{"RST-ACK", rst, Answer{Src: netip.MustParseAddr("127.0.8.1"), SrcPort: 23, DstPort: 40001, Ack: 9, RST: true}, true},
		{"our own SYN", packet(t, "127.0.0.1", "127.0.8.1", &layers.TCP{SrcPort: 40001, DstPort: 22, Seq: 6, SYN: true}, opts), Answer{}, false},
		{"plain ACK", packet(t, "127.0.8.1", "127.0.0.1", &layers.TCP{SrcPort: 22, DstPort: 40001, ACK: true}, opts), Answer{}, false},
		{"SYN and RST", packet(t, "127.0.8.1", "127.0.0.1", &layers.TCP{SrcPort: 22, DstPort: 40001, SYN: true, RST: true, ACK: true}, opts), Answer{}, false},
		{"cut short", synAck[:30], Answer{}, false},
		{"empty", nil, Answer{}, false},
		{"not IPv4", append([]byte{0x60}, synAck[1:]...), Answer{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseAnswer(tt.b)
			if ok != tt.ok || got != tt.want {
				t.Errorf("got %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParseAnswer(f *testing.F) {
	opts := gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}
	f.Add(packet(f, "127.0.8.1", "127.0.0.1", &layers.TCP{SrcPort: 22, DstPort: 40001, Ack: 7, SYN: true, ACK: true}, opts))
	f.Add(packet(f, "10.0.0.1", "10.0.0.2", &layers.TCP{SrcPort: 1, DstPort: 2, RST: true, ACK: true,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{5, 180}}}}, opts))
	f.Add([]byte{0x45, 0, 0, 20})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, ok := ParseAnswer(b)
		if ok && (!a.Src.Is4() || a.SYN == a.RST) {
			t.Errorf("accepted %+v", a)
		}
	})
}

func TestSYNIsWellFormed(t *testing.T) {
	src, dst := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddrPort("127.0.8.1:443")
	b, err := SYN(src, dst, 40001, 0xdeadbeef)
	if err != nil {
		t.Fatal(err)
	}
	var tcp layers.TCP
	if err := tcp.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	if !tcp.SYN || tcp.ACK || tcp.RST || tcp.SrcPort != 40001 || tcp.DstPort != 443 || tcp.Seq != 0xdeadbeef {
		t.Errorf("segment %+v", tcp)
	}
	// The checksum over the pseudo-header must verify: summing everything,
	// checksum included, gives 0xffff.
	sum := uint32(0)
	for _, a := range [][]byte{src.AsSlice(), dst.Addr().AsSlice()} {
		sum += uint32(a[0])<<8 | uint32(a[1]) + uint32(a[2])<<8 | uint32(a[3])
	}
	sum += uint32(layers.IPProtocolTCP) + uint32(len(b))
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	if sum != 0xffff {
		t.Errorf("checksum does not verify: %#x", sum)
	}
}

// requireRoot skips the test without raw sockets, or fails it under CI.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("SYN scan tests need root, and CI runs as root")
	}
	t.Skip("SYN scan tests need root")
}

// scan SYN-scans ports on addr within scope and returns each port's status.
func scan(t *testing.T, scope netip.Prefix, addr netip.Addr, ports []uint16, timeout time.Duration) (map[uint16]dialer.Status, []error) {
	t.Helper()
	d, err := dialer.New(dialer.Config{Concurrency: 1024, Timeout: timeout}, scope.Contains)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	got := map[uint16]dialer.Status{}
	var errs []error
	i := 0
	next := func() (dialer.ProbeRequest, bool) {
		mu.Lock()
		defer mu.Unlock()
		if i == len(ports) {
			return dialer.ProbeRequest{}, false
		}
		i++
		return dialer.ProbeRequest{Addr: netip.AddrPortFrom(addr, ports[i-1]), Timeout: timeout, Retries: 1}, true
	}
	done := func(r dialer.ProbeResult) {
		mu.Lock()
		defer mu.Unlock()
		if r.Err != nil {
			errs = append(errs, r.Err)
			return
		}
		if _, dup := got[r.Req.Addr.Port()]; dup {
			t.Errorf("port %d reported twice", r.Req.Addr.Port())
		}
		got[r.Req.Addr.Port()] = r.Status
	}
	if err := s.ProbeMany(t.Context(), next, done); err != nil {
		t.Fatal(err)
	}
	return got, errs
}

func TestProbeManyLoopback(t *testing.T) {
	requireRoot(t)
	host := netip.MustParseAddr("127.0.8.1")
	ln, err := net.Listen("tcp", "127.0.8.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	open := uint16(ln.Addr().(*net.TCPAddr).Port)
	ln2, err := net.Listen("tcp", "127.0.8.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := uint16(ln2.Addr().(*net.TCPAddr).Port)
	ln2.Close()

	got, errs := scan(t, netip.MustParsePrefix("127.0.8.1/32"), host, []uint16{open, closed}, time.Second)
	if len(errs) != 0 || got[open] != dialer.Open || got[closed] != dialer.Closed {
		t.Errorf("got %v (errors %v); want %d open, %d closed", got, errs, open, closed)
	}

	// Out of scope: nothing is sent and the probe reports why.
	_, errs = scan(t, netip.MustParsePrefix("127.0.8.2/32"), host, []uint16{open}, time.Second)
	if len(errs) != 1 || !errors.Is(errs[0], dialer.ErrOutOfScope) {
		t.Errorf("out-of-scope probe: errors %v", errs)
	}
}

// On the firewalled namespace host, every open port is found and every
// dropped port is filtered. The scan must run inside the client namespace,
// so the test runs itself there.
func TestProbeManyFirewalledHost(t *testing.T) {
	if os.Getenv("VIGIL_SYN_INNER") != "" {
		t.Skip("inner run")
	}
	n := lab.RequireNetns(t)
	ports := make([]string, len(n.OpenPorts))
	for i, p := range n.OpenPorts {
		ports[i] = strconv.Itoa(p)
	}
	cmd := exec.CommandContext(t.Context(), "ip", "netns", "exec", n.ClientNS, os.Args[0], "-test.run=^TestInNamespace$", "-test.v")
	cmd.Env = append(os.Environ(), "VIGIL_SYN_INNER="+n.Server, "VIGIL_SYN_OPEN="+strings.Join(ports, ","))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestInNamespace") {
		t.Errorf("inside %s: %v\n%s", n.ClientNS, err, out)
	}
}

// TestInNamespace is the inner half of TestProbeManyFirewalledHost.
func TestInNamespace(t *testing.T) {
	server := os.Getenv("VIGIL_SYN_INNER")
	if server == "" {
		t.Skip("run by TestProbeManyFirewalledHost")
	}
	addr := netip.MustParseAddr(server)
	var open []uint16
	for _, p := range strings.Split(os.Getenv("VIGIL_SYN_OPEN"), ",") {
		n, _ := strconv.Atoi(p)
		open = append(open, uint16(n))
	}
	var ports []uint16
	for p := uint16(1); p <= 3000; p++ {
		ports = append(ports, p)
	}
	for _, p := range open {
		if p > 3000 {
			ports = append(ports, p)
		}
	}
	got, errs := scan(t, netip.PrefixFrom(addr, 32), addr, ports, 300*time.Millisecond)
	if len(errs) != 0 || len(got) != len(ports) {
		t.Fatalf("%d results for %d ports, errors %v", len(got), len(ports), errs)
	}
	for _, p := range ports {
		want := dialer.Filtered
		if slices.Contains(open, p) {
			want = dialer.Open
		}
		if got[p] != want {
			t.Errorf("port %d: %v, want %v", p, got[p], want)
		}
	}
}

// ProbeMany returns at once, with the context's error, when it is cancelled.
func TestProbeManyCancelled(t *testing.T) {
	requireRoot(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	d, err := dialer.New(dialer.Config{Concurrency: 16, Timeout: time.Second}, func(netip.Addr) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	next := func() (dialer.ProbeRequest, bool) {
		return dialer.ProbeRequest{Addr: netip.MustParseAddrPort("127.0.8.1:1"), Timeout: time.Second}, true
	}
	if err := s.ProbeMany(ctx, next, func(dialer.ProbeResult) {}); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}
