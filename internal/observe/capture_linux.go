package observe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sys/unix"
)

// capture is an AF_PACKET socket with the connection-opening filter
// attached in the kernel.
type capture struct {
	fd int
	// ignoreOutgoing is true when the kernel drops our own outgoing
	// packets before the socket (PACKET_IGNORE_OUTGOING, Linux 4.20+).
	ignoreOutgoing bool
}

// rcvBuf is the packet socket's receive buffer.
const rcvBuf = 4 << 20

// htons converts a 16-bit protocol number to network byte order, as
// sockaddr_ll and socket(AF_PACKET, …) want it.
func htons(v uint16) uint16 { return v<<8 | v>>8 }

// openCapture opens the packet socket on every interface. The socket is
// created with protocol 0, so it receives nothing until it is bound: the
// filter is in place before the first packet arrives.
func openCapture(tcpPorts, udpPorts []int) (*capture, error) {
	raw, err := Filter(tcpPorts, udpPorts)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot open a packet socket (needs root or CAP_NET_RAW): %w", err)
	}
	c := &capture{fd: fd}
	ins := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		ins[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	prog := unix.SockFprog{Len: uint16(len(ins)), Filter: &ins[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); err != nil {
		c.close()
		return nil, fmt.Errorf("cannot attach the packet filter: %w", err)
	}
	c.ignoreOutgoing = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1) == nil
	// A large buffer holds the packets of one batch (see batchWait); as
	// root the size may exceed net.core.rmem_max.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvBuf) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvBuf)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL)}); err != nil {
		c.close()
		return nil, fmt.Errorf("cannot bind the packet socket: %w", err)
	}
	return c, nil
}

func (c *capture) close() { _ = unix.Close(c.fd) }

// drops returns how many packets the kernel dropped for lack of buffer
// since the last call.
func (c *capture) drops() uint32 {
	st, err := unix.GetsockoptTpacketStats(c.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return 0
	}
	return st.Drops
}

// run reads packets until ctx is done or the deadline passes, giving each
// parsed packet addressed to this host to onPacket. It reads in batches,
// every batchWait, and once more at the end.
func (c *capture) run(ctx context.Context, until time.Time, log *slog.Logger, onPacket func(segment)) error {
	buf := make([]byte, 256)
	drain := func() error {
		for {
			m, from, err := unix.Recvfrom(c.fd, buf, unix.MSG_TRUNC|unix.MSG_DONTWAIT)
			if err != nil {
				if errors.Is(err, unix.EAGAIN) {
					return nil
				}
				if errors.Is(err, unix.EINTR) {
					continue
				}
				return fmt.Errorf("reading the packet socket: %w", err)
			}
			if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype != unix.PACKET_HOST {
				continue // our own outgoing copy, broadcast or another host's
			}
			seg, err := parsePacket(buf[:min(m, len(buf))])
			if err != nil {
				log.Debug("observe: packet skipped", "err", err)
				continue
			}
			onPacket(seg)
		}
	}
	for {
		if err := drain(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		left := time.Until(until)
		if left <= 0 {
			return nil
		}
		// Let packets gather in the socket's buffer: one wake-up per
		// batch instead of one per connection.
		select {
		case <-ctx.Done():
		case <-time.After(min(left, batchWait)):
		}
	}
}

// batchWait is the pause between two reads of the packet socket. At most
// rcvBuf worth of packets arrive in it (some 5,000 SYNs in 4 MiB): far
// more than a server's new connections in a fifth of a second.
const batchWait = 200 * time.Millisecond
