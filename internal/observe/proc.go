package observe

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// TCP states as /proc/net/tcp writes them (include/net/tcp_states.h).
const (
	tcpSynSent  = 0x02
	tcpTimeWait = 0x06
	tcpClose    = 0x07
	tcpListen   = 0x0A
)

// procSocket is one line of /proc/net/tcp or /proc/net/tcp6.
type procSocket struct {
	local, remote netip.AddrPort
	state         int
	inode         uint64 // 0 for sockets in TIME-WAIT and other orphans
}

// maxProcLines caps how many sockets one read of the table takes.
const maxProcLines = 1 << 20

// maxProcLine caps one line of the table (they are under 200 bytes).
const maxProcLine = 4096

// parseProcNet reads /proc/net/tcp or /proc/net/tcp6, keeping the sockets
// whose local port want accepts (every socket when want is nil). Addresses
// there are hexadecimal 32-bit words in the kernel's (host) byte order,
// ports hexadecimal in network order: "0100007F:1F90" is 127.0.0.1:8080 on
// a little-endian machine. A busy server's table has tens of thousands of
// lines, read every poll: lines of other ports are skipped after reading
// their port, without allocating.
func parseProcNet(r io.Reader, want func(port uint16) bool) ([]procSocket, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	var out []procSocket
	var fields [][]byte
	for n := 0; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxProcLine {
			return out, errors.New("socket table line too long")
		}
		if len(line) > 0 && !(n == 0 && bytes.Contains(line, []byte("local_address"))) {
			fields = splitFields(line, fields[:0], 10)
			if len(fields) >= 4 {
				if want != nil {
					port, ok := hexPort(fields[1])
					if !ok {
						return out, fmt.Errorf("socket table line %q: bad local address", line)
					}
					if !want(port) {
						continue
					}
				}
				ps, perr := parseProcLine(fields)
				if perr != nil {
					return out, fmt.Errorf("socket table line %q: %w", line, perr)
				}
				out = append(out, ps)
				if len(out) >= maxProcLines {
					return out, nil
				}
			}
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// splitFields splits b on spaces and tabs into at most max fields.
func splitFields(b []byte, dst [][]byte, max int) [][]byte {
	i := 0
	for i < len(b) && len(dst) < max {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n') {
			i++
		}
		j := i
		for j < len(b) && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' {
			j++
		}
		if j > i {
			dst = append(dst, b[i:j])
		}
		i = j
	}
	return dst
}

// hexPort reads the port of "ADDR:PORT".
func hexPort(f []byte) (uint16, bool) {
	i := bytes.IndexByte(f, ':')
	if i < 0 || len(f)-i-1 < 1 || len(f)-i-1 > 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(f[i+1:]), 16, 16)
	return uint16(v), err == nil
}

func parseProcLine(f [][]byte) (procSocket, error) {
	local, err := parseHexAddrPort(string(f[1]))
	if err != nil {
		return procSocket{}, err
	}
	remote, err := parseHexAddrPort(string(f[2]))
	if err != nil {
		return procSocket{}, err
	}
	st, err := strconv.ParseUint(string(f[3]), 16, 8)
	if err != nil {
		return procSocket{}, fmt.Errorf("bad state: %w", err)
	}
	ps := procSocket{local: local, remote: remote, state: int(st)}
	if len(f) > 9 {
		ps.inode, _ = strconv.ParseUint(string(f[9]), 10, 64)
	}
	return ps, nil
}

// parseHexAddrPort reads "0100007F:1F90" or a 32-hex-digit IPv6 address and
// port.
func parseHexAddrPort(s string) (netip.AddrPort, error) {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, errors.New("no port")
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad port %q", p)
	}
	raw, err := hex.DecodeString(h)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("bad address %q", h)
	}
	// Each 32-bit word was printed as a number in host byte order: read it
	// back as a number, then lay it out in memory order.
	var b [16]byte
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(b[i:], binary.BigEndian.Uint32(raw[i:i+4]))
	}
	var a netip.Addr
	if len(raw) == 4 {
		a = netip.AddrFrom4([4]byte(b[:4]))
	} else {
		a = netip.AddrFrom16(b).Unmap()
	}
	return netip.AddrPortFrom(a, uint16(port)), nil
}

// readSockets reads the TCP socket tables of the current network
// namespace, keeping the sockets whose local port want accepts (all when
// want is nil).
func readSockets(procDir string, want func(port uint16) bool) ([]procSocket, error) {
	var all []procSocket
	var firstErr error
	for _, name := range []string{"tcp", "tcp6"} {
		path := procDir + "/net/" + name
		fh, err := os.Open(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && name == "tcp6" {
				continue // IPv6 disabled
			}
			if firstErr == nil {
				firstErr = fmt.Errorf("cannot read the socket table %s: %w", path, err)
			}
			continue
		}
		s, err := parseProcNet(io.LimitReader(fh, 512<<20), want)
		fh.Close()
		all = append(all, s...)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("cannot read the socket table %s: %w", path, err)
		}
	}
	return all, firstErr
}

// countSockets counts, once each, the inbound TCP connections the socket
// table shows on listeners: every socket whose local end is a listener's
// address and port, in any state but LISTEN, SYN-SENT and CLOSE. A
// TIME-WAIT socket is a connection that has already ended: it counts when
// it shows up during the window (between two polls), but not in the table
// read when the window opens (first), where it is only remembered. It
// returns the connections present, so that memory can follow the table.
func countSockets(c *counter, socks []procSocket, first bool) map[flowKey]bool {
	present := map[flowKey]bool{}
	for _, s := range socks {
		switch s.state {
		case tcpListen, tcpSynSent, tcpClose:
			continue
		}
		if !s.remote.IsValid() || s.remote.Port() == 0 {
			continue
		}
		if first && s.state == tcpTimeWait {
			c.remember("tcp", s.remote, s.local)
		} else {
			c.add("tcp", s.remote, s.local)
		}
		present[flowKey{"tcp", unmapAP(s.remote), unmapAP(s.local)}] = true
	}
	return present
}

func unmapAP(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
}

// ListenSocket is a TCP socket in LISTEN state.
type ListenSocket struct {
	Addr netip.AddrPort
	// Inode identifies the socket: a daemon that re-executes itself opens
	// a new one.
	Inode uint64
}

// Listening returns the TCP sockets in LISTEN state in the current network
// namespace, read from procDir/net/tcp and tcp6 (procDir is usually
// "/proc"), with wildcard addresses as 0.0.0.0 and ::.
func Listening(procDir string) ([]ListenSocket, error) {
	socks, err := readSockets(procDir, nil)
	var out []ListenSocket
	for _, s := range socks {
		if s.state == tcpListen {
			out = append(out, ListenSocket{Addr: s.local, Inode: s.inode})
		}
	}
	return out, err
}
