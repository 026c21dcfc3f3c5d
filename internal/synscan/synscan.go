// Package synscan finds open TCP ports by half-open (SYN) scanning: it
// sends bare SYN segments through a raw socket and reads the answers from
// it, never completing a connection. A SYN-ACK means open (the kernel, which
// knows no such connection, resets it), a RST means closed, silence means
// filtered. It costs far less per port than a connect scan but needs raw
// sockets (root or CAP_NET_RAW) and speaks IPv4 only.
package synscan

import (
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/dialer"
)

// ErrNeedsRoot is returned by New when raw sockets are not allowed.
var ErrNeedsRoot = errors.New("a SYN scan needs raw sockets: run vigil as root (or with CAP_NET_RAW), or leave out --syn")

// recvBuf is the raw socket's receive buffer: answers to thousands of
// probes in flight must not overflow it, or open ports would look filtered.
const recvBuf = 32 << 20

// maxPacket caps one read from the raw socket: an IPv4 header, a TCP header
// and whatever follows are cut there.
const maxPacket = 256

// Scanner sends SYN probes within a Dialer's scope and rate limits. It is
// safe for concurrent use but runs one ProbeMany at a time.
type Scanner struct {
	d     *dialer.Dialer
	fd    int
	sport uint16
	seed  maphash.Seed
	mu    sync.Mutex // serialises ProbeMany
	srcMu sync.Mutex
	src   map[netip.Addr]netip.Addr // the source address the kernel uses per target
}

// New opens the raw socket a SYN scan needs. Close it when done.
func New(d *dialer.Dialer) (*Scanner, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return nil, ErrNeedsRoot
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open a raw socket for the SYN scan: %w", err)
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, recvBuf) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, recvBuf)
	}
	// Reads wake up often enough to notice the end of the scan.
	tv := unix.NsecToTimeval((20 * time.Millisecond).Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("cannot set up the raw socket: %w", err)
	}
	// An ephemeral-range port no local socket is likely to hold; the
	// kernel resets whatever reaches it, which is what a SYN scan needs.
	sport := uint16(40000 + rand.IntN(20000))
	prog := answerFilter(sport)
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("cannot set up the raw socket: %w", err)
	}
	return &Scanner{d: d, fd: fd, sport: sport, seed: maphash.MakeSeed(), src: map[netip.Addr]netip.Addr{}}, nil
}

// answerFilter is a classic BPF program that lets through to the raw
// socket only what can answer a SYN from sport: unfragmented TCP segments
// to sport with ACK set. The kernel then drops the rest of the machine's
// TCP traffic (our own SYNs too, on loopback) before it costs a read.
func answerFilter(sport uint16) []unix.SockFilter {
	return []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_H | unix.BPF_ABS, K: 6},                     // 0: flags and fragment offset
		{Code: unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K, Jt: 6, K: 0x1fff},       // 1: a later fragment: drop
		{Code: unix.BPF_LDX | unix.BPF_B | unix.BPF_MSH, K: 0},                    // 2: X = IP header length
		{Code: unix.BPF_LD | unix.BPF_H | unix.BPF_IND, K: 2},                     // 3: TCP destination port
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jf: 3, K: uint32(sport)}, // 4: not ours: drop
		{Code: unix.BPF_LD | unix.BPF_B | unix.BPF_IND, K: 13},                    // 5: TCP flags
		{Code: unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K, Jf: 1, K: 0x10},         // 6: no ACK: drop
		{Code: unix.BPF_RET | unix.BPF_K, K: maxPacket},                           // 7: keep
		{Code: unix.BPF_RET | unix.BPF_K, K: 0},                                   // 8: drop
	}
}

// Close releases the raw socket.
func (s *Scanner) Close() error { return unix.Close(s.fd) }

// pending is one probe awaiting its answer.
type pending struct {
	req      dialer.ProbeRequest
	timeout  time.Duration
	sent     time.Time
	deadline time.Time
	index    int // in the deadline heap; -1 once answered
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
	p.index = -1
	return p
}

// ProbeMany has the contract of dialer.Dialer.ProbeMany: it probes until
// next reports no more work, calling done with each final result; a probe
// that gets no answer is sent again req.Retries times, each time waiting
// twice as long. IPv6 addresses are refused with an error result.
func (s *Scanner) ProbeMany(ctx context.Context, next func() (dialer.ProbeRequest, bool), done func(dialer.ProbeResult)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var mu sync.Mutex
	inflight := map[netip.AddrPort]*pending{}
	var heapq deadlines
	slots := make(chan struct{}, max(1, s.d.Concurrency()))
	finish := func(p *pending, st dialer.Status, rtt time.Duration) {
		<-slots
		done(dialer.ProbeResult{Req: p.req, Status: st, RTT: rtt})
	}

	var wg sync.WaitGroup
	senderDone := make(chan struct{})
	var errOnce sync.Once
	var runErr error
	fail := func(err error) {
		errOnce.Do(func() { runErr = err })
		cancel()
	}
	send := func() {
		for ctx.Err() == nil {
			req, ok := next()
			if !ok {
				return
			}
			if !req.Addr.Addr().Unmap().Is4() {
				done(dialer.ProbeResult{Req: req, Err: fmt.Errorf("%s: a SYN scan speaks IPv4 only; leave out --syn for IPv6 targets", req.Addr)})
				continue
			}
			req.Addr = netip.AddrPortFrom(req.Addr.Addr().Unmap(), req.Addr.Port())
			if err := s.d.Admit(ctx, req.Addr.Addr()); err != nil {
				done(dialer.ProbeResult{Req: req, Err: err})
				continue
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			p := &pending{req: req, timeout: req.Timeout}
			mu.Lock()
			inflight[req.Addr] = p
			p.sent = time.Now()
			p.deadline = p.sent.Add(p.timeout)
			heap.Push(&heapq, p)
			mu.Unlock()
			if err := s.send(ctx, req.Addr); err != nil {
				fail(err)
				return
			}
		}
	}
	// Senders, one per CPU: on loopback or a fast link the kernel's work
	// for each packet sent is most of the cost.
	var senders sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		senders.Go(send)
	}
	wg.Go(func() {
		senders.Wait()
		close(senderDone)
	})

	// The receiver matches answers to probes in flight.
	wg.Go(func() {
		buf := make([]byte, maxPacket)
		for ctx.Err() == nil {
			n, err := unix.Read(s.fd, buf)
			if err != nil {
				if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
					continue
				}
				fail(fmt.Errorf("reading the SYN scan's answers: %w", err))
				return
			}
			a, ok := ParseAnswer(buf[:n])
			if !ok || a.DstPort != s.sport {
				continue
			}
			key := netip.AddrPortFrom(a.Src, a.SrcPort)
			if a.Ack != s.cookie(key)+1 {
				continue // not an answer to our SYN
			}
			mu.Lock()
			p := inflight[key]
			if p != nil {
				delete(inflight, key)
				heap.Remove(&heapq, p.index)
			}
			mu.Unlock()
			if p == nil {
				continue
			}
			st := dialer.Closed
			if a.SYN {
				st = dialer.Open
			}
			finish(p, st, time.Since(p.sent))
		}
	})

	// The clock retries or gives up on probes nobody answered, and ends
	// the run once the sender is done and nothing is in flight.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
		now := time.Now()
		var expired, resend []*pending
		mu.Lock()
		for heapq.Len() > 0 && !heapq[0].deadline.After(now) {
			p := heap.Pop(&heapq).(*pending)
			if p.req.Retries > 0 && ctx.Err() == nil {
				p.req.Retries--
				p.timeout *= 2
				p.sent = now
				p.deadline = now.Add(p.timeout)
				heap.Push(&heapq, p)
				resend = append(resend, p)
				continue
			}
			delete(inflight, p.req.Addr)
			expired = append(expired, p)
		}
		idle := len(inflight) == 0
		mu.Unlock()
		for _, p := range resend {
			// A retry is a new attempt: it waits for the rate limiter too.
			if err := s.d.Admit(ctx, p.req.Addr.Addr()); err != nil {
				break
			}
			if err := s.send(ctx, p.req.Addr); err != nil && ctx.Err() == nil {
				fail(err)
			}
		}
		for _, p := range expired {
			finish(p, dialer.Filtered, p.timeout)
		}
		select {
		case <-senderDone:
			if idle || ctx.Err() != nil {
				cancel()
				wg.Wait()
				mu.Lock()
				for _, p := range inflight {
					finish(p, dialer.Filtered, p.timeout)
				}
				mu.Unlock()
				if runErr != nil {
					return runErr
				}
				return parent.Err()
			}
		default:
		}
	}
}

// cookie is the sequence number of the SYN to addr: a keyed hash, so an
// answer is recognised without state and a forged one is not.
func (s *Scanner) cookie(addr netip.AddrPort) uint32 {
	b := addr.Addr().As4()
	var in [6]byte
	copy(in[:], b[:])
	binary.BigEndian.PutUint16(in[4:], addr.Port())
	return uint32(maphash.Bytes(s.seed, in[:]))
}

// send writes one SYN to addr, waiting out a full send buffer.
func (s *Scanner) send(ctx context.Context, addr netip.AddrPort) error {
	src, err := s.source(addr.Addr())
	if err != nil {
		return err
	}
	pkt, err := SYN(src, addr, s.sport, s.cookie(addr))
	if err != nil {
		return err
	}
	to := &unix.SockaddrInet4{Addr: addr.Addr().As4()}
	for {
		err := unix.Sendto(s.fd, pkt, 0, to)
		if !errors.Is(err, unix.ENOBUFS) && !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			if err != nil {
				return fmt.Errorf("cannot send a SYN to %s: %w", addr, err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// source returns the local address the kernel would send from to dst,
// found by connecting a UDP socket, which sends nothing.
func (s *Scanner) source(dst netip.Addr) (netip.Addr, error) {
	s.srcMu.Lock()
	defer s.srcMu.Unlock()
	if a, ok := s.src[dst]; ok {
		return a, nil
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("cannot find the route to %s: %w", dst, err)
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: 9, Addr: dst.As4()}); err != nil {
		return netip.Addr{}, fmt.Errorf("no route to %s: %w", dst, err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("cannot find the route to %s: %w", dst, err)
	}
	in4, ok := sa.(*unix.SockaddrInet4)
	if !ok {
		return netip.Addr{}, fmt.Errorf("no IPv4 route to %s", dst)
	}
	a := netip.AddrFrom4(in4.Addr)
	s.src[dst] = a
	return a, nil
}

// SYN returns the TCP segment (no IP header: the kernel adds it) of a SYN
// from src:sport to dst with sequence number seq.
func SYN(src netip.Addr, dst netip.AddrPort, sport uint16, seq uint32) ([]byte, error) {
	ip := &layers.IPv4{SrcIP: src.AsSlice(), DstIP: dst.Addr().AsSlice(), Protocol: layers.IPProtocolTCP}
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dst.Port()),
		Seq: seq, SYN: true, Window: 1024,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}},
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		return nil, err
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}, tcp); err != nil {
		return nil, fmt.Errorf("cannot build a SYN to %s: %w", dst, err)
	}
	return buf.Bytes(), nil
}

// Answer is what a SYN scan reads from one packet.
type Answer struct {
	Src              netip.Addr
	SrcPort, DstPort uint16
	Ack              uint32
	SYN, RST         bool
}

// ParseAnswer reads an IPv4 packet as the raw socket delivers it (IP header
// first) and reports a TCP segment that answers a SYN: a SYN-ACK or a RST.
// Anything else, malformed or not, gives ok false.
func ParseAnswer(b []byte) (Answer, bool) {
	var ip layers.IPv4
	if err := ip.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil || ip.Protocol != layers.IPProtocolTCP {
		return Answer{}, false
	}
	if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
		return Answer{}, false
	}
	var tcp layers.TCP
	if err := tcp.DecodeFromBytes(ip.Payload, gopacket.NilDecodeFeedback); err != nil {
		return Answer{}, false
	}
	src, ok := netip.AddrFromSlice(ip.SrcIP)
	if !ok || !tcp.ACK || !(tcp.SYN || tcp.RST) || (tcp.SYN && tcp.RST) {
		return Answer{}, false
	}
	return Answer{Src: src.Unmap(), SrcPort: uint16(tcp.SrcPort), DstPort: uint16(tcp.DstPort),
		Ack: tcp.Ack, SYN: tcp.SYN, RST: tcp.RST}, true
}
