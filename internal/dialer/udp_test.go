package dialer

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

// DialUDP's connected socket gets the target port's answers; its side
// socket, a port of its own, gets what the target's host sends it from any
// port; nothing outside the scope is dialled or paced for.
func TestDialUDPSide(t *testing.T) {
	d, err := New(Config{Concurrency: 2, Timeout: time.Second}, only("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.DialUDP(t.Context(), netip.MustParseAddrPort("127.0.0.2:69"), 0); !errors.Is(err, ErrOutOfScope) {
		t.Errorf("out of scope: %v", err)
	}
	if err := d.Pace(t.Context(), netip.MustParseAddr("127.0.0.2")); !errors.Is(err, ErrOutOfScope) {
		t.Errorf("Pace out of scope: %v", err)
	}
	srv, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	other, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	c, err := d.DialUDP(t.Context(), srv.LocalAddr().(*net.UDPAddr).AddrPort(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 32)
	_ = srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	// What the connected socket sends is answered on it.
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	_, from, err := srv.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = srv.WriteTo([]byte("from the port"), from)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "from the port" {
		t.Errorf("connected read %q: %v", buf[:n], err)
	}
	// What the side socket sends is answered from another port, on it.
	if err := c.WriteSide([]byte("rrq"), time.Second); err != nil {
		t.Fatal(err)
	}
	n, sideFrom, err := srv.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "rrq" || sideFrom.String() == from.String() {
		t.Fatalf("side datagram %q from %v (connected socket %v): %v", buf[:n], sideFrom, from, err)
	}
	_, _ = other.WriteTo([]byte("from another port"), sideFrom)
	b, port, err := c.ReadSide(64, time.Now().Add(5*time.Second))
	if err != nil || string(b) != "from another port" || port != uint16(other.LocalAddr().(*net.UDPAddr).Port) {
		t.Errorf("side read %q from %d: %v", b, port, err)
	}
}
