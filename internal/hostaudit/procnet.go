package hostaudit

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Socket states of /proc/net/tcp (include/net/tcp_states.h).
const (
	stateEstablished = 0x01
	stateClose       = 0x07 // unconnected UDP sockets are in this state
	stateListen      = 0x0A
)

// Socket is one row of /proc/net/{tcp,tcp6,udp,udp6}.
type Socket struct {
	Transport string // tcp or udp
	Local     netip.AddrPort
	Remote    netip.AddrPort
	State     int
	UID       int
	Inode     uint64
}

// Listening reports whether the socket waits for connections: a TCP socket
// in LISTEN, or a bound UDP socket that is not connected to a peer.
func (s Socket) Listening() bool {
	if s.Transport == "udp" {
		return s.State == stateClose && s.Remote.Port() == 0 && s.Remote.Addr().IsUnspecified()
	}
	return s.State == stateListen
}

// ParseProcNet parses a /proc/net/tcp, tcp6, udp or udp6 table. The kernel
// prints each 32-bit word of an address in the byte order of the machine
// that made the table, so bigEndian says which it was. Malformed rows are
// skipped; an error means the text is not such a table at all.
func ParseProcNet(b []byte, transport string, bigEndian bool) ([]Socket, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	var out []Socket
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			first = false
			if !strings.Contains(line, "local_address") {
				return nil, fmt.Errorf("not a /proc/net socket table: the header is %q", clip(line, 80))
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) < 10 || !strings.HasSuffix(f[0], ":") {
			continue
		}
		local, err1 := parseHexAddrPort(f[1], bigEndian)
		rem, err2 := parseHexAddrPort(f[2], bigEndian)
		st, err3 := strconv.ParseUint(f[3], 16, 8)
		uid, err4 := strconv.ParseUint(f[7], 10, 32)
		inode, err5 := strconv.ParseUint(f[9], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil {
			continue
		}
		out = append(out, Socket{Transport: transport, Local: local, Remote: rem, State: int(st), UID: int(uid), Inode: inode})
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("reading the socket table: %w", err)
	}
	if first {
		return nil, fmt.Errorf("the socket table is empty, without even a header")
	}
	return out, nil
}

// parseHexAddrPort reads "0100007F:0016" (IPv4) or a 32-digit IPv6 address
// and a port, as /proc/net prints them.
func parseHexAddrPort(s string, bigEndian bool) (netip.AddrPort, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok || len(p) != 4 {
		return netip.AddrPort{}, fmt.Errorf("bad address %q", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, err
	}
	raw, err := hex.DecodeString(a)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("bad address %q", s)
	}
	if !bigEndian {
		// Each 32-bit word was printed as a little-endian number.
		for i := 0; i < len(raw); i += 4 {
			raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
		}
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}

// ParseSocketLinks reads "DIR LINK" lines, where DIR is /proc/PID/fd and
// LINK the target of one of its descriptors ("socket:[12345]"), as
// `find /proc/[0-9]*/fd -lname 'socket:*' -printf '%h %l\n'` prints them,
// and returns the processes holding each socket inode.
func ParseSocketLinks(b []byte) map[uint64][]int {
	out := map[uint64][]int{}
	for line := range strings.SplitSeq(string(b), "\n") {
		dir, link, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		pid, ok := pidOfProcPath(dir, "fd")
		if !ok {
			continue
		}
		num, ok := strings.CutPrefix(link, "socket:[")
		if !ok || !strings.HasSuffix(num, "]") {
			continue
		}
		inode, err := strconv.ParseUint(strings.TrimSuffix(num, "]"), 10, 64)
		if err != nil {
			continue
		}
		pids := out[inode]
		if len(pids) == 0 || pids[len(pids)-1] != pid {
			out[inode] = append(pids, pid)
		}
	}
	return out
}

// pidOfProcPath returns PID from "/proc/PID/LEAF".
func pidOfProcPath(path, leaf string) (int, bool) {
	rest, ok := strings.CutPrefix(path, "/proc/")
	if !ok {
		return 0, false
	}
	num, ok := strings.CutSuffix(rest, "/"+leaf)
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(num)
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// clip shortens s to n bytes for messages.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
