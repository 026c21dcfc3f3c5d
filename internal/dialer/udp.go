package dialer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// UDPConn is a UDP socket connected to one address, plus a second,
// unconnected socket of its own port for protocols whose server answers
// from another port than the one asked (a TFTP server answers from a fresh
// port, RFC 1350): what is sent with WriteSide is answered on ReadSide.
// Conn reports ICMP refusals like any connected UDP socket; the side socket
// sends only to the target and yields only datagrams from its address.
type UDPConn struct {
	net.Conn
	side    *net.UDPConn
	target  netip.AddrPort
	once    sync.Once
	release func()
}

// DialUDP opens a UDPConn to address within the scope and limits, like
// Dial. It holds one concurrency slot until closed.
func (d *Dialer) DialUDP(ctx context.Context, address netip.AddrPort, timeout time.Duration) (*UDPConn, error) {
	if timeout <= 0 {
		timeout = d.cfg.Timeout
	}
	release, err := d.acquire(ctx, address.Addr())
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*UDPConn, error) {
		release()
		return nil, fmt.Errorf("cannot reach %s over udp: %w", address, classify(err, timeout))
	}
	c, err := dial(ctx, "udp", address, timeout)
	if err != nil {
		return fail(err)
	}
	// The side socket sends from the connected socket's local address
	// (the route's source), on a port of its own.
	local := c.LocalAddr().(*net.UDPAddr).AddrPort().Addr()
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", netip.AddrPortFrom(local, 0).String())
	if err != nil {
		_ = c.Close()
		return fail(err)
	}
	return &UDPConn{Conn: c, side: pc.(*net.UDPConn), target: address, release: release}, nil
}

// WriteSide sends b to the target from the side socket, within timeout.
func (u *UDPConn) WriteSide(b []byte, timeout time.Duration) error {
	if err := u.side.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	_, err := u.side.WriteToUDPAddrPort(b, u.target)
	return err
}

// ReadSide reads one datagram of at most max bytes that the target's host
// sent to the side socket, from any port, until deadline. Datagrams from
// other addresses are dropped. It returns the datagram and its source port.
func (u *UDPConn) ReadSide(max int, deadline time.Time) ([]byte, uint16, error) {
	if err := u.side.SetReadDeadline(deadline); err != nil {
		return nil, 0, err
	}
	buf := make([]byte, max)
	for {
		n, from, err := u.side.ReadFromUDPAddrPort(buf)
		if err != nil {
			return nil, 0, err
		}
		if from.Addr().Unmap() == u.target.Addr().Unmap() {
			return append([]byte(nil), buf[:n]...), from.Port(), nil
		}
	}
}

// Close closes both sockets and frees the slot.
func (u *UDPConn) Close() error {
	err := errors.Join(u.Conn.Close(), u.side.Close())
	u.once.Do(u.release)
	return err
}

// Pace waits for the rate limiter before one more datagram (or any other
// packet) to addr, which must be in scope; it takes no concurrency slot.
// Probes that send several datagrams on one socket call it before each
// after the first, so UDP obeys --rate like TCP connects do.
func (d *Dialer) Pace(ctx context.Context, addr netip.Addr) error {
	if !d.allow(addr.Unmap()) {
		return fmt.Errorf("%s: %w", addr, ErrOutOfScope)
	}
	if d.limiter == nil {
		return ctx.Err()
	}
	return d.limiter.Wait(ctx)
}
