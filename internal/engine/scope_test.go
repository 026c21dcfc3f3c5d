package engine

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/portscan"
	"github.com/vigilsec/vigil/internal/scope"
)

// requireRoot skips a test that needs root, except under CI where the
// environment must provide it.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test needs root, and CI runs as root")
		}
		t.Skip("needs root to capture packets")
	}
}

// capture records the destination of every TCP SYN and UDP datagram seen
// on the loopback interface until stop is called.
type capture struct {
	fd     int
	mu     sync.Mutex
	syn    map[netip.Addr]int
	udp    map[netip.Addr]int
	done   chan struct{}
	exited chan struct{}
}

func startCapture(t *testing.T) *capture {
	t.Helper()
	proto := int(htons(unix.ETH_P_ALL))
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM, proto)
	if err != nil {
		t.Fatalf("packet socket: %v", err)
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: lo.Index}); err != nil {
		t.Fatalf("bind to lo: %v", err)
	}
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 100000})
	// A large buffer, so a burst of probes is not dropped before it is read.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 256<<20); err != nil {
		t.Fatalf("packet socket buffer: %v", err)
	}
	c := &capture{fd: fd, syn: map[netip.Addr]int{}, udp: map[netip.Addr]int{}, done: make(chan struct{}), exited: make(chan struct{})}
	go c.run()
	return c
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (c *capture) run() {
	defer close(c.exited)
	buf := make([]byte, 65536)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			// A quiet receive timeout after stop: everything is read.
			select {
			case <-c.done:
				return
			default:
				continue
			}
		}
		if n < 20 || buf[0]>>4 != 4 {
			continue
		}
		ihl := int(buf[0]&0x0f) * 4
		dst := netip.AddrFrom4([4]byte(buf[16:20]))
		switch buf[9] {
		case unix.IPPROTO_TCP:
			if n >= ihl+14 && buf[ihl+13]&0x12 == 0x02 { // SYN without ACK
				c.mu.Lock()
				c.syn[dst]++
				c.mu.Unlock()
			}
		case unix.IPPROTO_UDP:
			if n >= ihl+4 && binary.BigEndian.Uint16(buf[ihl:]) != 53 { // not a DNS reply
				c.mu.Lock()
				c.udp[dst]++
				c.mu.Unlock()
			}
		}
	}
}

// stop ends the capture once every queued packet has been read.
func (c *capture) stop() {
	close(c.done)
	<-c.exited
	unix.Close(c.fd)
}

// TestScanTouchesOnlyItsTargets runs a whole scan (discovery, all phases,
// TCP and UDP) of a range with an exclusion, captures every packet on lo,
// and checks that no SYN or UDP probe went to an address of the
// neighbourhood outside the expanded target set.
func TestScanTouchesOnlyItsTargets(t *testing.T) {
	requireRoot(t)
	// A listener on each target and on the excluded and neighbouring
	// addresses, so there is something to find everywhere.
	for _, a := range []string{"127.0.66.1", "127.0.66.2", "127.0.66.3", "127.0.66.4", "127.0.66.5", "127.0.66.9"} {
		ln, err := net.Listen("tcp", a+":4242")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Write([]byte("SSH-2.0-test\r\n"))
				c.Close()
			}
		}()
	}
	ports, err := portscan.ParsePorts("1-1024,4242")
	if err != nil {
		t.Fatal(err)
	}
	cp := startCapture(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	doc, err := Run(ctx, Config{
		Targets:    []string{"127.0.66.1-4"},
		Excludes:   []string{"127.0.66.3"},
		Scope:      scope.Config{MaxHosts: 16},
		Dial:       dialer.Config{Concurrency: 256, Timeout: time.Second},
		Ports:      ports,
		UDPPorts:   []uint16{53, 123, 161},
		Discovery:  true,
		MinTimeout: 100 * time.Millisecond,
	})
	cp.stop()
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[netip.Addr]bool{}
	for _, a := range []string{"127.0.66.1", "127.0.66.2", "127.0.66.4"} {
		allowed[netip.MustParseAddr(a)] = true
	}
	hood := netip.MustParsePrefix("127.0.66.0/24")
	cp.mu.Lock()
	defer cp.mu.Unlock()
	for a, n := range cp.syn {
		if hood.Contains(a) && !allowed[a] {
			t.Errorf("%d SYN(s) sent to %s, outside the target set", n, a)
		}
	}
	for a, n := range cp.udp {
		if hood.Contains(a) && !allowed[a] {
			t.Errorf("%d UDP datagram(s) sent to %s, outside the target set", n, a)
		}
	}
	// The capture must have seen the scan itself, or it proves nothing.
	for a := range allowed {
		if cp.syn[a] < len(ports) {
			t.Errorf("saw %d SYNs to target %s, want at least %d: is the capture working?", cp.syn[a], a, len(ports))
		}
		if cp.udp[a] < 3 {
			t.Errorf("saw %d UDP probes to target %s, want at least 3", cp.udp[a], a)
		}
	}
	if len(doc.Hosts) != 3 {
		t.Errorf("document has %d hosts, want 3", len(doc.Hosts))
	}
	for _, h := range doc.Hosts {
		found := false
		for _, s := range h.Services {
			found = found || (s.Port == 4242 && s.Name == "ssh")
		}
		if !found {
			t.Errorf("%s: the listener on 4242 was not found as ssh: %+v", h.Address, h.Services)
		}
	}
}
