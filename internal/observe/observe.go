// Package observe watches which of a host's listening ports are actually
// used: it counts new inbound connections to each listener over a window,
// for `vigil host observe` and the port.open-unused check.
//
// # Methods
//
// af_packet (privileged, preferred): one AF_PACKET socket on every
// interface with a classic BPF program attached in the kernel
// (SO_ATTACH_FILTER) that passes only TCP SYN-without-ACK segments and UDP
// datagrams addressed to a listened port, IPv4 and IPv6. Established
// traffic never reaches user space, and the socket is read in batches
// every 200 ms, so watching a busy server costs well under 1% of a core
// (docs/benchmarks.md). The socket is made with protocol 0 and
// bound only after the filter is attached, and asks the kernel to leave out
// this host's own outgoing copies (PACKET_IGNORE_OUTGOING). A connection
// counts for a listener when its destination is this host (one of its
// addresses or loopback) and the listener's bind address accepts it;
// retransmitted SYNs count once. Limits: IPv6 packets whose first header
// after the fixed one is an extension header are not seen; a UDP "connection"
// is a distinct source address and port.
//
// proc (unprivileged fallback): polls /proc/net/tcp and /proc/net/tcp6 and
// counts each socket whose local end is a TCP listener (any state after the
// handshake began). It is weaker: a connection opened and closed between
// two polls is missed, and UDP is not seen at all.
//
// Both methods also count the inbound connections already open when the
// window starts (from the socket table): a port with a long-lived session,
// such as a database pool, is in use even if nobody connects anew.
//
// conntrack NEW events were considered and not used: they exist only while
// the nf_conntrack module is loaded and some rule makes the kernel track
// connections, which is not so on many hosts (and the hosts that track do
// so only for the families their rules name), so the result would depend
// on the firewall. AF_PACKET sees every interface whatever the firewall.
package observe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
)

// Methods, as facts.Observation.Method names them.
const (
	MethodAuto     = "auto"
	MethodAFPacket = "af_packet"
	MethodProc     = "proc"
)

// DefaultPoll is the proc method's default poll interval.
const DefaultPoll = time.Second

// Config says how to watch.
type Config struct {
	// Window is how long to watch.
	Window time.Duration
	// Method is MethodAuto (or ""), MethodAFPacket or MethodProc. Auto uses
	// af_packet when the process may open packet sockets, proc otherwise.
	Method string
	// Poll is the proc method's interval; DefaultPoll when zero.
	Poll time.Duration
	// ProcDir is where proc is mounted; "/proc" when empty.
	ProcDir string
	// Log receives debug messages; nil discards them.
	Log *slog.Logger
	// OnStart, when set, is called once watching has begun, with the
	// method used and when the window ends.
	OnStart func(method string, until time.Time)
	// OnConnection, when set, is called for each connection counted, from
	// the goroutine that called Watch.
	OnConnection func(transport string, from, to netip.AddrPort)
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Window <= 0:
		return fmt.Errorf("--for %v: the observation window must be positive", c.Window)
	case c.Poll < 0:
		return fmt.Errorf("--poll %v: must be positive", c.Poll)
	}
	switch c.Method {
	case "", MethodAuto, MethodAFPacket, MethodProc:
	default:
		return fmt.Errorf("--method %q: use auto, af_packet or proc", c.Method)
	}
	return nil
}

// Result is what a watch saw.
type Result struct {
	Observation facts.Observation
	// Notes are caveats for the audit's Errors, such as packets the kernel
	// dropped or why the weaker method was used.
	Notes []string
}

// Watch counts inbound connections to listeners for cfg.Window, or until ctx
// is done. When ctx ends early the result covers the time watched and the
// error is ctx's; the result is nil only when watching could not start.
func Watch(ctx context.Context, listeners []facts.Listener, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	procDir := cfg.ProcDir
	if procDir == "" {
		procDir = "/proc"
	}
	poll := cfg.Poll
	if poll == 0 {
		poll = DefaultPoll
	}
	c := newCounter(listeners, localAddrs(log))
	c.onNew = func(tr string, from, to netip.AddrPort) {
		log.Debug("observe: connection", "transport", tr, "from", from, "to", to)
		if cfg.OnConnection != nil {
			cfg.OnConnection(tr, from, to)
		}
	}
	res := &Result{}

	var capt *capture
	method := cfg.Method
	if method == "" || method == MethodAuto || method == MethodAFPacket {
		var err error
		capt, err = openCapture(c.ports("tcp"), c.ports("udp"))
		switch {
		case err == nil:
			method = MethodAFPacket
		case cfg.Method == MethodAFPacket:
			return nil, err
		default:
			log.Debug("observe: falling back to polling the socket table", "err", err)
			res.Notes = append(res.Notes, "observe: "+err.Error()+"; polled the socket table instead, which misses connections shorter than "+poll.String())
			method = MethodProc
		}
	}
	if capt != nil {
		defer capt.close()
	}

	started := time.Now()
	until := started.Add(cfg.Window)
	// Connections already open count: the port is in use.
	socks, err := readSockets(procDir, c.listened)
	if err != nil {
		if method == MethodProc {
			return nil, err
		}
		res.Notes = append(res.Notes, "observe: "+err.Error()+"; connections open before the window are not counted")
	}
	present := countSockets(c, socks, true)
	if cfg.OnStart != nil {
		cfg.OnStart(method, until)
	}

	var runErr error
	if method == MethodAFPacket {
		capt.drops() // reset the kernel's counters
		runErr = capt.run(ctx, until, log, func(s segment) { c.add(s.transport, s.src, s.dst) })
		if d := capt.drops(); d > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("observe: the kernel dropped %d captured packets for lack of buffer: counts are lower bounds", d))
		}
	} else {
		c.forgetExcept(present)
		runErr = pollSockets(ctx, until, poll, procDir, c, log)
	}
	ended := time.Now()
	if ended.After(until) {
		ended = until
	}
	res.Observation = facts.Observation{Started: started.UTC(), Ended: ended.UTC(), Method: method, Connections: c.snapshot()}
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, context.DeadlineExceeded) {
		return nil, runErr
	}
	return res, runErr
}

// pollSockets reads the socket table every interval until the deadline.
func pollSockets(ctx context.Context, until time.Time, every time.Duration, procDir string, c *counter, log *slog.Logger) error {
	t := time.NewTicker(every)
	defer t.Stop()
	end := time.NewTimer(time.Until(until))
	defer end.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-end.C:
			return nil
		case <-t.C:
		}
		socks, err := readSockets(procDir, c.listened)
		if err != nil {
			return err
		}
		c.forgetExcept(countSockets(c, socks, false))
		log.Debug("observe: polled the socket table", "sockets", len(socks))
	}
}

// localAddrs returns this host's addresses (in the current network
// namespace); loopback is always local.
func localAddrs(log *slog.Logger) []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		log.Debug("observe: cannot list the interface addresses", "err", err)
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().Unmap().WithZone(""))
		}
	}
	return out
}
