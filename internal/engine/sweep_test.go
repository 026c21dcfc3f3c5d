package engine

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/scope"
)

// ntpResponder answers NTP client requests (mode 3) on addr with a
// stratum-2 server reply (mode 4) that echoes the transmit timestamp as
// the origin timestamp (RFC 5905, section 8); it returns the UDP port.
func ntpResponder(t *testing.T, addr string) uint16 {
	t.Helper()
	c, err := net.ListenPacket("udp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 48 || buf[0]&7 != 3 {
				continue
			}
			reply := make([]byte, 48)
			reply[0], reply[1] = 4<<3|4, 2
			copy(reply[12:16], []byte{127, 0, 0, 1})
			copy(reply[24:32], buf[40:48])
			c.WriteTo(reply, from)
		}
	}()
	return uint16(c.LocalAddr().(*net.UDPAddr).Port)
}

// TestSweepListsWhatItFound sweeps 64 loopback addresses in batches of 16,
// where every address answers (refuses) and three hold a service: the
// hosts with services are listed wherever their batch fell, the first
// quiet hosts are listed up to the limit and the rest only counted, and a
// counted host on which UDP then finds a service is listed after all.
func TestSweepListsWhatItFound(t *testing.T) {
	port := greeter(t, "127.0.100.7", "SSH-2.0-OpenSSH_9.2p1\r\n", 0)
	ln, err := net.Listen("tcp", netip.AddrPortFrom(netip.MustParseAddr("127.0.100.50"), port).String())
	if err != nil {
		t.Skipf("port %d is taken on 127.0.100.50: %v", port, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("SSH-2.0-OpenSSH_9.2p1\r\n"))
			c.Close()
		}
	}()
	udp := ntpResponder(t, "127.0.100.40")

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	doc, err := Run(ctx, Config{
		Targets:    []string{"127.0.100.0/26"},
		Scope:      scope.Config{MaxHosts: 64},
		Dial:       dialer.Config{Concurrency: 128, Timeout: time.Second},
		Ports:      []uint16{port},
		UDPPorts:   []uint16{udp},
		Discovery:  true,
		MinTimeout: 100 * time.Millisecond,
		batch:      16,
		maxQuiet:   5,
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range doc.Hosts {
		got = append(got, h.Address)
	}
	want := []string{"127.0.100.0", "127.0.100.1", "127.0.100.2", "127.0.100.3", "127.0.100.4",
		"127.0.100.7", "127.0.100.40", "127.0.100.50"}
	if !slices.Equal(got, want) {
		t.Errorf("listed hosts %v, want %v", got, want)
	}
	if doc.QuietHosts != 64-len(want) {
		t.Errorf("quiet hosts counted: %d, want %d", doc.QuietHosts, 64-len(want))
	}
	names := map[string]string{}
	for _, h := range doc.Hosts {
		for _, s := range h.Services {
			names[h.Address] = s.Name
		}
	}
	for addr, name := range map[string]string{"127.0.100.7": "ssh", "127.0.100.50": "ssh", "127.0.100.40": "ntp"} {
		if names[addr] != name {
			t.Errorf("%s: service %q, want %q", addr, names[addr], name)
		}
	}
}
