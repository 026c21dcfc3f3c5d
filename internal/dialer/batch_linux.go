package dialer

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ProbeMany runs TCP connect probes until next reports no more work, calling
// done with each final result. It drives non-blocking sockets through epoll
// directly (one loop per CPU), which costs far less per probe than a
// goroutine and net.Dialer each, and obeys the same scope, rate and
// concurrency limits as Probe. A probe that gets no answer is tried again
// req.Retries times, each time with twice the timeout; one whose socket
// connected to itself is no open port and is tried again on a fresh socket
// (see selfConnected). next and done are called from several goroutines at
// once; next must not block, and returning ok=false ends the run once every
// probe in flight is done.
func (d *Dialer) ProbeMany(ctx context.Context, next func() (ProbeRequest, bool), done func(ProbeResult)) error {
	loops := max(1, min(runtime.GOMAXPROCS(0), d.cfg.Concurrency))
	perLoop := max(1, d.cfg.Concurrency/loops)
	var wg sync.WaitGroup
	errs := make([]error, loops)
	for i := range loops {
		wg.Go(func() { errs[i] = d.probeLoop(ctx, perLoop, next, done) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// startBatch is how many probes a loop starts before it collects answers.
const startBatch = 128

type pending struct {
	req      ProbeRequest
	fd       int
	start    time.Time
	deadline time.Time
	release  func()
	index    int // in the deadline heap
}

type deadlines []*pending

func (h deadlines) Len() int           { return len(h) }
func (h deadlines) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
func (h deadlines) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *deadlines) Push(x any)        { p := x.(*pending); p.index = len(*h); *h = append(*h, p) }
func (h *deadlines) Pop() any {
	old := *h
	p := old[len(old)-1]
	*h = old[:len(old)-1]
	return p
}

func (d *Dialer) probeLoop(ctx context.Context, capacity int, next func() (ProbeRequest, bool), done func(ProbeResult)) error {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return fmt.Errorf("cannot create an epoll instance: %w", err)
	}
	defer unix.Close(ep)
	spares := spareSockets{late: map[netip.Addr]bool{}}
	defer spares.close()
	inflight := map[int]*pending{}
	var queue deadlines
	var again []ProbeRequest // retries, and probes that hit local exhaustion
	// conclude reports a probe's result, or queues the probe again when its
	// socket connected to itself: a fresh socket gets another source port.
	conclude := func(req ProbeRequest, st Status, rtt time.Duration, err error) {
		if errors.Is(err, errSelfConnected) {
			if req.self++; req.self < maxSelfConnects {
				again = append(again, req)
				return
			}
			err = nil // st is Closed: nothing is bound to a port picked as a source
		}
		done(ProbeResult{Req: req, Status: st, RTT: rtt, Err: err})
	}
	finish := func(p *pending, st Status, err error) {
		delete(inflight, p.fd)
		if p.index >= 0 && p.index < len(queue) && queue[p.index] == p {
			heap.Remove(&queue, p.index)
		}
		if st == Open || errors.Is(err, errSelfConnected) {
			// Close with a reset: no TIME_WAIT left behind, and the
			// server frees its end at once.
			_ = unix.SetsockoptLinger(p.fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
		}
		_ = unix.Close(p.fd) // also removes it from the epoll set
		p.release()
		if st == Filtered && err == nil && p.req.Retries > 0 && ctx.Err() == nil {
			r := p.req
			r.Retries--
			r.Timeout *= 2
			again = append(again, r)
			return
		}
		conclude(p.req, st, time.Since(p.start), err)
	}
	defer func() {
		for _, p := range inflight {
			p.req.Retries = 0
			finish(p, Filtered, ctx.Err())
		}
	}()
	events := make([]unix.EpollEvent, 256)
	exhausted := false
	backoff := time.Time{}
	for {
		// Start probes until the loop is full or the work runs out, a
		// batch at a time so answers are collected between batches.
		for started := 0; started < startBatch && len(inflight) < capacity && time.Now().After(backoff); started++ {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var req ProbeRequest
			if len(again) > 0 {
				req, again = again[len(again)-1], again[:len(again)-1]
			} else if exhausted {
				break
			} else if r, ok := next(); ok {
				req = r
			} else {
				exhausted = true
				break
			}
			p, st, err := d.start(ctx, ep, req, &spares)
			switch {
			case p != nil:
				inflight[p.fd] = p
				heap.Push(&queue, p)
			case err != nil && transient(err) && req.busy < 5:
				// Out of sockets or local ports for a moment: wait, retry.
				req.busy++
				again = append(again, req)
				backoff = time.Now().Add(time.Duration(req.busy) * 10 * time.Millisecond)
			default:
				conclude(req, st, 0, err)
			}
		}
		if len(inflight) == 0 {
			if exhausted && len(again) == 0 {
				return nil
			}
			time.Sleep(time.Until(backoff))
			continue
		}
		wait := 10 * time.Millisecond
		if len(queue) > 0 {
			wait = min(wait, time.Until(queue[0].deadline))
		}
		// Collect every answer that has arrived before expiring anything:
		// when this loop was slow to run, answers wait in the ready list
		// and must not be mistaken for silence.
		ms := max(int(wait/time.Millisecond), 0)
		for {
			n, err := unix.EpollWait(ep, events, ms)
			if err != nil && !errors.Is(err, unix.EINTR) {
				return fmt.Errorf("waiting for connections: %w", err)
			}
			for _, ev := range events[:max(n, 0)] {
				p := inflight[int(ev.Fd)]
				if p == nil {
					continue
				}
				soErr, err := unix.GetsockoptInt(p.fd, unix.SOL_SOCKET, unix.SO_ERROR)
				switch {
				case err != nil:
					finish(p, Filtered, fmt.Errorf("probing %s: %w", p.req.Addr, err))
				case soErr == 0 && socketSelfConnected(p.fd, p.req.Addr):
					finish(p, Closed, errSelfConnected)
				case soErr == 0:
					finish(p, Open, nil)
				default:
					st, e := statusOf(unix.Errno(soErr))
					finish(p, st, e)
				}
			}
			if n < len(events) {
				break
			}
			ms = 0
		}
		now := time.Now()
		for len(queue) > 0 && !queue[0].deadline.After(now) {
			finish(queue[0], Filtered, nil)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// start begins connecting to req.Addr on a spare socket or a new one. It
// returns a nil pending when the probe finished at once: on loopback and
// other local paths the kernel has handled the answer before connect
// returns. To loopback addresses the socket is blocking with a send timeout
// of one clock tick, so that one connect call returns the answer; elsewhere
// it is non-blocking and a second connect asks for an answer already there.
// Either way most local probes need no epoll, and a refused socket is kept
// for the next probe instead of being closed and opened again. Together
// these cut a local sweep's time by more than half.
func (d *Dialer) start(ctx context.Context, ep int, req ProbeRequest, spares *spareSockets) (*pending, Status, error) {
	release, err := d.acquire(ctx, req.Addr.Addr())
	if err != nil {
		return nil, Filtered, err
	}
	a := req.Addr.Addr().Unmap()
	family := unix.AF_INET
	var sa unix.Sockaddr
	if a.Is4() {
		sa = &unix.SockaddrInet4{Port: int(req.Addr.Port()), Addr: a.As4()}
	} else {
		family = unix.AF_INET6
		sa6 := &unix.SockaddrInet6{Port: int(req.Addr.Port()), Addr: a.As16()}
		if z := a.Zone(); z != "" {
			if ifi, err := interfaceIndex(z); err == nil {
				sa6.ZoneId = uint32(ifi)
			}
		}
		sa = sa6
	}
	// A loopback host that once left a probe unanswered for a tick (a
	// firewall on lo) gets non-blocking sockets: a tick per probe is slow.
	kind := sockKind{family: family, blocking: a.IsLoopback() && !spares.late[a]}
	fd, ok := spares.take(kind)
	if !ok {
		if fd, err = newProbeSocket(kind); err != nil {
			release()
			return nil, Filtered, err
		}
	}
	start := time.Now()
	err = unix.Connect(fd, sa)
	if err == unix.EINTR || (err == unix.EINPROGRESS && !kind.blocking) {
		// EALREADY: still waiting for the answer; nil: connected;
		// otherwise the error the answer left on the socket.
		err = unix.Connect(fd, sa)
	}
	if err == unix.EINPROGRESS || err == unix.EALREADY {
		if kind.blocking {
			spares.late[a] = true
		}
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLERR | unix.EPOLLHUP, Fd: int32(fd)}); err != nil {
			_ = unix.Close(fd)
			release()
			return nil, Filtered, fmt.Errorf("cannot watch a socket: %w", err)
		}
		return &pending{req: req, fd: fd, start: start, deadline: start.Add(req.Timeout), release: release}, Filtered, nil
	}
	defer release()
	switch {
	case err == nil:
		self := socketSelfConnected(fd, req.Addr)
		_ = unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
		_ = unix.Close(fd)
		if self {
			return nil, Closed, errSelfConnected
		}
		return nil, Open, nil
	case err == unix.ECONNREFUSED:
		// The failed connect left the socket unconnected and reusable.
		spares.put(kind, fd)
		return nil, Closed, nil
	}
	_ = unix.Close(fd)
	st, e := statusOf(err)
	return nil, st, e
}

// errSelfConnected means a probe's socket connected to itself, which is no
// open port (see selfConnected); ProbeMany probes the port again.
var errSelfConnected = errors.New("the socket connected to itself")

// socketSelfConnected reports whether the connected socket fd connected
// to itself: its own address and port are to's. It costs one getsockname,
// only on sockets that connected.
func socketSelfConnected(fd int, to netip.AddrPort) bool {
	var local netip.AddrPort
	switch sa, _ := unix.Getsockname(fd); sa := sa.(type) {
	case *unix.SockaddrInet4:
		local = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		local = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return selfConnected(local, to)
}

// sockKind says which probe sockets can stand in for one another.
type sockKind struct {
	family   int
	blocking bool
}

// newProbeSocket opens a TCP socket of kind: a blocking one waits at most
// one clock tick in connect.
func newProbeSocket(kind sockKind) (int, error) {
	flags := unix.SOCK_STREAM | unix.SOCK_CLOEXEC
	if !kind.blocking {
		flags |= unix.SOCK_NONBLOCK
	}
	fd, err := unix.Socket(kind.family, flags, unix.IPPROTO_TCP)
	if err != nil {
		return -1, fmt.Errorf("cannot open a socket: %w", err)
	}
	if kind.blocking {
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &unix.Timeval{Usec: 1}); err != nil {
			_ = unix.Close(fd)
			return -1, fmt.Errorf("cannot set up a socket: %w", err)
		}
	}
	return fd, nil
}

// spareSockets holds one probe loop's refused, unconnected sockets for
// reuse, by kind, and the loopback hosts that answer late.
type spareSockets struct {
	free map[sockKind][]int
	late map[netip.Addr]bool
}

// maxSpares bounds the sockets of a kind a loop keeps beyond its probes in
// flight.
const maxSpares = 8

func (s *spareSockets) take(kind sockKind) (int, bool) {
	l := s.free[kind]
	if len(l) == 0 {
		return -1, false
	}
	s.free[kind] = l[:len(l)-1]
	return l[len(l)-1], true
}

func (s *spareSockets) put(kind sockKind, fd int) {
	if len(s.free[kind]) >= maxSpares {
		_ = unix.Close(fd)
		return
	}
	if s.free == nil {
		s.free = map[sockKind][]int{}
	}
	s.free[kind] = append(s.free[kind], fd)
}

func (s *spareSockets) close() {
	for _, l := range s.free {
		for _, fd := range l {
			_ = unix.Close(fd)
		}
	}
	s.free = nil
}

// statusOf maps a connect error to a port state; errors that say nothing
// about the port (local exhaustion) are returned.
func statusOf(err error) (Status, error) {
	switch {
	case errors.Is(err, unix.ECONNREFUSED), errors.Is(err, unix.ECONNRESET):
		return Closed, nil
	case errors.Is(err, unix.ETIMEDOUT), errors.Is(err, unix.EHOSTUNREACH), errors.Is(err, unix.ENETUNREACH),
		errors.Is(err, unix.EHOSTDOWN), errors.Is(err, unix.ENETDOWN), errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return Filtered, nil
	}
	return Filtered, err
}
