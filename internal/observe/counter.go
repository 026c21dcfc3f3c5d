package observe

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
)

// maxSeen caps the connections remembered for deduplication; past it the
// memory is cleared (a retransmitted SYN may then count twice).
const maxSeen = 1 << 16

// listenKey finds the listeners of one transport and port.
type listenKey struct {
	transport string
	port      uint16
}

// bound is one listener's bind address: any4 for 0.0.0.0, any6 for :: (which
// on Linux also accepts IPv4 unless the socket is IPV6_V6ONLY), or one
// address.
type bound struct {
	addr       netip.Addr
	any4, any6 bool
}

// flowKey identifies one connection (or UDP peer) to a listener.
type flowKey struct {
	transport string
	src, dst  netip.AddrPort
}

// counter attributes captured connection openings to listeners and counts
// each connection once.
type counter struct {
	local     map[netip.Addr]bool
	listeners map[listenKey][]bound
	seen      map[flowKey]struct{}
	counts    map[string]int
	// onNew, when set, hears of each connection counted.
	onNew func(transport string, from, to netip.AddrPort)
}

func newCounter(listeners []facts.Listener, local []netip.Addr) *counter {
	c := &counter{local: map[netip.Addr]bool{}, listeners: map[listenKey][]bound{}, seen: map[flowKey]struct{}{}, counts: map[string]int{}}
	for _, a := range local {
		c.local[a.Unmap().WithZone("")] = true
	}
	for _, l := range listeners {
		tr := strings.ToLower(l.Transport)
		if (tr != "tcp" && tr != "udp") || l.Port <= 0 || l.Port > 65535 {
			continue
		}
		var b bound
		switch a := strings.Trim(l.Address, "[]"); a {
		case "", "*":
			b.any4, b.any6 = true, true
		case "0.0.0.0":
			b.any4 = true
		case "::":
			b.any4, b.any6 = true, true
		default:
			addr, err := netip.ParseAddr(a)
			if err != nil {
				continue
			}
			b.addr = addr.Unmap().WithZone("")
			if b.addr.IsUnspecified() {
				b.any4, b.any6 = true, b.addr.Is6()
			}
		}
		k := listenKey{tr, uint16(l.Port)}
		c.listeners[k] = append(c.listeners[k], b)
	}
	return c
}

// listened reports whether some TCP listener has this port.
func (c *counter) listened(port uint16) bool {
	return len(c.listeners[listenKey{"tcp", port}]) > 0
}

// ports returns the listened ports of a transport.
func (c *counter) ports(transport string) []int {
	var out []int
	for k := range c.listeners {
		if k.transport == transport {
			out = append(out, int(k.port))
		}
	}
	return out
}

// isLocal reports whether a is one of this host's addresses.
func (c *counter) isLocal(a netip.Addr) bool {
	return a.IsLoopback() || c.local[a]
}

// accepts reports whether a listener would receive a connection to dst.
func (c *counter) accepts(transport string, dst netip.AddrPort) bool {
	a := dst.Addr().Unmap().WithZone("")
	for _, b := range c.listeners[listenKey{transport, dst.Port()}] {
		switch {
		case b.addr.IsValid() && !b.addr.IsUnspecified():
			if b.addr == a {
				return true
			}
		case a.Is4() && b.any4, a.Is6() && b.any6:
			if c.isLocal(a) {
				return true
			}
		}
	}
	return false
}

// add counts a connection opening (a SYN, a UDP datagram, a socket seen in
// the table) once per connection, and reports whether it was new.
func (c *counter) add(transport string, src, dst netip.AddrPort) bool {
	src = netip.AddrPortFrom(src.Addr().Unmap().WithZone(""), src.Port())
	dst = netip.AddrPortFrom(dst.Addr().Unmap().WithZone(""), dst.Port())
	if !c.accepts(transport, dst) {
		return false
	}
	k := flowKey{transport, src, dst}
	if _, dup := c.seen[k]; dup {
		return false
	}
	if len(c.seen) >= maxSeen {
		clear(c.seen)
	}
	c.seen[k] = struct{}{}
	c.counts[transport+"/"+strconv.Itoa(int(dst.Port()))]++
	if c.onNew != nil {
		c.onNew(transport, src, dst)
	}
	return true
}

// remember notes a connection as seen without counting it (it ended
// before the window opened), so that it is not counted later either.
func (c *counter) remember(transport string, src, dst netip.AddrPort) {
	src = netip.AddrPortFrom(src.Addr().Unmap().WithZone(""), src.Port())
	dst = netip.AddrPortFrom(dst.Addr().Unmap().WithZone(""), dst.Port())
	if !c.accepts(transport, dst) {
		return
	}
	if len(c.seen) >= maxSeen {
		clear(c.seen)
	}
	c.seen[flowKey{transport, src, dst}] = struct{}{}
}

// forgetExcept drops remembered connections not in keep (the socket
// table's current contents), so that memory follows what is open.
func (c *counter) forgetExcept(keep map[flowKey]bool) {
	for k := range c.seen {
		if !keep[k] {
			delete(c.seen, k)
		}
	}
}

// snapshot returns a copy of the counts.
func (c *counter) snapshot() map[string]int {
	out := make(map[string]int, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}
