// Package dialer is the only place vigil opens network sockets. Every
// connection goes through a Dialer, which refuses addresses outside the scan's
// scope and enforces the rate, concurrency and timeout limits, so no probe or
// audit can reach further or faster than the user allowed.
package dialer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// Sentinel errors, wrapped with %w by Dial and Probe.
var (
	// ErrOutOfScope means the address is not in the scan's target set.
	ErrOutOfScope = errors.New("address outside the scan's targets")
	// ErrTimeout means nothing answered before the deadline.
	ErrTimeout = errors.New("timed out")
	// ErrRefused means the host answered that nothing listens there.
	ErrRefused = errors.New("connection refused")
	// ErrUnreachable means the network or host cannot be reached.
	ErrUnreachable = errors.New("unreachable")
)

// Config holds the limits every connection obeys.
type Config struct {
	// Rate caps new connection attempts per second; 0 means no cap.
	Rate float64
	// Concurrency caps sockets open at once.
	Concurrency int
	// Timeout is the default time to wait for a connection or an answer.
	Timeout time.Duration
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("--rate %v: give a number of connections per second, or 0 for no cap", c.Rate)
	case c.Concurrency < 1:
		return fmt.Errorf("--concurrency %d: must be at least 1", c.Concurrency)
	case c.Timeout <= 0:
		return fmt.Errorf("--timeout %v: must be positive", c.Timeout)
	}
	return nil
}

// Dialer opens connections within a scope and its limits. It is safe for
// concurrent use.
type Dialer struct {
	cfg     Config
	allow   func(netip.Addr) bool
	limiter *rate.Limiter
	slots   chan struct{}
}

// New returns a Dialer that connects only to addresses allow accepts.
func New(cfg Config, allow func(netip.Addr) bool) (*Dialer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if allow == nil {
		return nil, errors.New("dialer: no scope given")
	}
	d := &Dialer{cfg: cfg, allow: allow, slots: make(chan struct{}, cfg.Concurrency)}
	if cfg.Rate > 0 {
		burst := int(cfg.Rate / 50)
		d.limiter = rate.NewLimiter(rate.Limit(cfg.Rate), max(burst, 1))
	}
	return d, nil
}

// Timeout returns the configured default timeout.
func (d *Dialer) Timeout() time.Duration { return d.cfg.Timeout }

// Concurrency returns the configured cap on open sockets.
func (d *Dialer) Concurrency() int { return d.cfg.Concurrency }

// acquire waits for a free socket slot and the rate limiter.
func (d *Dialer) acquire(ctx context.Context, addr netip.Addr) (release func(), err error) {
	if !d.allow(addr.Unmap()) {
		return nil, fmt.Errorf("%s: %w", addr, ErrOutOfScope)
	}
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if d.limiter != nil {
		if err := d.limiter.Wait(ctx); err != nil {
			<-d.slots
			return nil, err
		}
	}
	var once sync.Once
	return func() { once.Do(func() { <-d.slots }) }, nil
}

// Dial connects to address ("ip:port"; names are not resolved here) over
// network ("tcp" or "udp") within timeout (the default when zero). The
// returned connection holds one concurrency slot until closed; it is never
// a socket connected to itself (see selfConnected).
func (d *Dialer) Dial(ctx context.Context, network string, address netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	if timeout <= 0 {
		timeout = d.cfg.Timeout
	}
	release, err := d.acquire(ctx, address.Addr())
	if err != nil {
		return nil, err
	}
	c, err := dial(ctx, network, address, timeout)
	if err != nil {
		release()
		return nil, fmt.Errorf("cannot reach %s over %s: %w", address, network, classify(err, timeout))
	}
	return &conn{Conn: c, release: release}, nil
}

// Status is the state of a probed TCP port.
type Status int

// Port states.
const (
	Filtered Status = iota // no answer before the timeout
	Open                   // the connection was accepted
	Closed                 // the host refused it
)

// ProbeRequest asks ProbeMany to probe one TCP port.
type ProbeRequest struct {
	Addr    netip.AddrPort
	Timeout time.Duration
	// Retries is how many more times to try when nothing answers.
	Retries int
	busy    int // times local resources ran out for this probe
	self    int // times the probe's socket connected to itself
}

// ProbeResult is the final state of one probed port. RTT is the time the
// last attempt took; Err is set only for errors that say nothing about the
// port (out of scope, out of file descriptors, cancelled).
type ProbeResult struct {
	Req    ProbeRequest
	Status Status
	RTT    time.Duration
	Err    error
}

// transient reports local resource exhaustion that passes.
func transient(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.EAGAIN)
}

func interfaceIndex(name string) (int, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return 0, err
	}
	return ifi.Index, nil
}

// Probe connects to a TCP port and closes at once (with a reset, leaving no
// TIME_WAIT behind), returning the port's state and the time the answer
// took. A socket that connected to itself is no open port (see
// selfConnected). A timeout or an unreachable host is Filtered with a nil
// error; other errors (out of scope, cancelled, out of file descriptors)
// are returned.
func (d *Dialer) Probe(ctx context.Context, address netip.AddrPort, timeout time.Duration) (Status, time.Duration, error) {
	release, err := d.acquire(ctx, address.Addr())
	if err != nil {
		return Filtered, 0, err
	}
	defer release()
	start := time.Now()
	c, err := dial(ctx, "tcp", address, timeout)
	rtt := time.Since(start)
	if err == nil {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
		return Open, rtt, nil
	}
	if ctx.Err() != nil {
		return Filtered, rtt, ctx.Err()
	}
	switch e := classify(err, timeout); {
	case errors.Is(e, ErrRefused):
		return Closed, rtt, nil
	case errors.Is(e, ErrTimeout), errors.Is(e, ErrUnreachable):
		return Filtered, rtt, nil
	default:
		return Filtered, rtt, fmt.Errorf("probing %s: %w", address, e)
	}
}

// maxSelfConnects is how many times a probe may connect to itself before
// its port is taken as closed.
const maxSelfConnects = 3

// selfConnected reports a socket whose own address and port, local, are
// those it connected to, remote: nothing listened there, the kernel picked
// the probed port as the source port on the same address, and the socket
// met itself (TCP simultaneous open; a UDP socket reads back what it
// sends). That is no open port. Addresses alone would not do: a probe of 127.0.0.1 always
// comes from 127.0.0.1.
func selfConnected(local, remote netip.AddrPort) bool {
	return local.IsValid() && local.Port() == remote.Port() &&
		local.Addr().WithZone("").Unmap() == remote.Addr().WithZone("").Unmap()
}

// dial connects like net.Dialer, but never returns a socket connected to
// itself: it dials again on a fresh socket, which gets another source port,
// and after maxSelfConnects such sockets reports the port refused (the
// kernel only picks a source port that nothing is bound to).
func dial(ctx context.Context, network string, address netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	nd := net.Dialer{Timeout: timeout}
	for range maxSelfConnects {
		c, err := nd.DialContext(ctx, network, address.String())
		if err != nil {
			return nil, err
		}
		var local netip.AddrPort
		switch a := c.LocalAddr().(type) {
		case *net.TCPAddr:
			local = a.AddrPort()
		case *net.UDPAddr:
			local = a.AddrPort()
		}
		if !selfConnected(local, address) {
			return c, nil
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
	return nil, fmt.Errorf("%s connected to itself %d times: %w", address, maxSelfConnects, syscall.ECONNREFUSED)
}

// SourceFor returns the local address this machine sends from to reach
// addr, as its routes choose it. It asks the kernel by connecting a UDP
// socket, which sends nothing.
func (d *Dialer) SourceFor(addr netip.Addr) (netip.Addr, error) {
	if !d.allow(addr) {
		return netip.Addr{}, fmt.Errorf("%s: %w", addr, ErrOutOfScope)
	}
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 9)))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("no route to %s: %w", addr, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap().WithZone(""), nil
}

// classify maps a dial error onto the package's sentinel errors, keeping the
// original for detail.
func classify(err error, timeout time.Duration) error {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("%w", ErrRefused)
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%w after %v", ErrTimeout, timeout)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EHOSTDOWN), errors.Is(err, syscall.ENETDOWN):
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return err
}

// conn releases its concurrency slot when closed.
type conn struct {
	net.Conn
	release func()
}

// Close closes the connection and frees its slot.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
