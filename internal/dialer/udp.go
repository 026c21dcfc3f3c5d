package dialer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// UDPConn is a UDP socket connected to one address, plus a second socket
// bound to the same local address and port that receives what the
// address's host sends from other ports (a TFTP server answers from a
// fresh port, RFC 1350). Conn reports ICMP refusals like any connected UDP
// socket; Side only ever yields datagrams from the target's address.
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
	for range maxSelfConnects {
		nd := net.Dialer{Timeout: timeout, Control: reuseAddr}
		c, err := nd.DialContext(ctx, "udp", address.String())
		if err != nil {
			return fail(err)
		}
		local := c.LocalAddr().(*net.UDPAddr).AddrPort()
		if selfConnected(local, address) {
			_ = c.Close()
			continue
		}
		lc := net.ListenConfig{Control: reuseAddr}
		pc, err := lc.ListenPacket(ctx, "udp", local.String())
		if err != nil {
			_ = c.Close()
			return fail(err)
		}
		return &UDPConn{Conn: c, side: pc.(*net.UDPConn), target: address, release: release}, nil
	}
	return fail(fmt.Errorf("%s connected to itself %d times: %w", address, maxSelfConnects, syscall.ECONNREFUSED))
}

// reuseAddr sets SO_REUSEADDR, so that the side socket may share the
// connected socket's port: the kernel gives each datagram to the socket
// that matches it best, the connected one for its peer's port.
func reuseAddr(_, _ string, rc syscall.RawConn) error {
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	}); err != nil {
		return err
	}
	return serr
}

// ReadSide reads one datagram of at most max bytes that the target's host
// sent from another port, until deadline. Datagrams from other addresses
// are dropped. It returns the datagram and the port it came from.
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
		if from.Addr().Unmap() == u.target.Addr().Unmap() && from.Port() != u.target.Port() {
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
