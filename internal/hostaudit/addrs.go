package hostaudit

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// ParseIPAddrJSON reads the output of `ip -j addr` and returns every
// address of every interface with its prefix length.
func ParseIPAddrJSON(b []byte) ([]netip.Prefix, error) {
	var ifs []struct {
		Name  string `json:"ifname"`
		Addrs []struct {
			Family    string `json:"family"`
			Local     string `json:"local"`
			PrefixLen int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal(b, &ifs); err != nil {
		return nil, fmt.Errorf("ip -j addr printed something else than JSON: %w", err)
	}
	var out []netip.Prefix
	for _, i := range ifs {
		for _, a := range i.Addrs {
			if a.Family != "inet" && a.Family != "inet6" {
				continue
			}
			ip, err := netip.ParseAddr(a.Local)
			if err != nil {
				continue
			}
			ip = ip.WithZone("").Unmap()
			// The address with its prefix length, not the network.
			p := netip.PrefixFrom(ip, a.PrefixLen)
			if a.PrefixLen <= 0 || !p.IsValid() {
				p = netip.PrefixFrom(ip, ip.BitLen())
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// ParseIfInet6 reads /proc/net/if_inet6: one IPv6 address (32 hex digits,
// network order) per line, followed by interface index, prefix length,
// scope, flags and name.
func ParseIfInet6(b []byte) []netip.Addr {
	var out []netip.Addr
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || len(f[0]) != 32 {
			continue
		}
		raw, err := hex.DecodeString(f[0])
		if err != nil {
			continue
		}
		if a, ok := netip.AddrFromSlice(raw); ok {
			out = append(out, a)
		}
	}
	return out
}

// ParseFibTrie reads the local IPv4 addresses from /proc/net/fib_trie: a
// leaf "|-- A.B.C.D" followed by a "/32 host LOCAL" line.
func ParseFibTrie(b []byte) []netip.Addr {
	var out []netip.Addr
	var last netip.Addr
	for line := range strings.SplitSeq(string(b), "\n") {
		t := strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(t, "|-- "); ok {
			last, _ = netip.ParseAddr(strings.TrimSpace(rest))
			continue
		}
		if last.IsValid() && last.Is4() && strings.HasPrefix(t, "/32 host LOCAL") {
			out = append(out, last)
		}
	}
	return out
}

// addresses returns the machine's own addresses with their prefix lengths:
// from `ip -j addr`, or from /proc when ip is missing or too old (then
// each address stands alone, as /32 or /128).
func addresses(ctx context.Context, t Target) ([]netip.Prefix, error) {
	b, err := t.Run(ctx, "ip", "-j", "addr", "show")
	var ps []netip.Prefix
	if err == nil {
		ps, err = ParseIPAddrJSON(b)
	}
	if err != nil {
		fib, ferr := t.ReadFile(ctx, "/proc/net/fib_trie")
		in6, ierr := t.ReadFile(ctx, "/proc/net/if_inet6")
		if ferr != nil && ierr != nil {
			return nil, fmt.Errorf("cannot list the machine's addresses: %w; /proc/net/fib_trie: %w", err, ferr)
		}
		for _, a := range append(ParseFibTrie(fib), ParseIfInet6(in6)...) {
			ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	slices.SortFunc(ps, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	return slices.Compact(ps), nil
}

// machine reads the machine's identity: /etc/machine-id (or D-Bus's copy)
// and the network namespace its processes see.
func machine(ctx context.Context, t Target) (facts.Machine, error) {
	var m facts.Machine
	for _, f := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := t.ReadFile(ctx, f); err == nil {
			if id := strings.TrimSpace(string(b)); id != "" {
				m.ID = sanitize.String(id, 64)
				break
			}
		}
	}
	var ns string
	if isLocal(t) {
		ns, _ = os.Readlink("/proc/self/ns/net")
	} else if b, err := t.Run(ctx, "readlink", "/proc/self/ns/net"); err == nil {
		ns = strings.TrimSpace(string(b))
	}
	m.NetNS = sanitize.String(ns, 64)
	if !m.Known() {
		return m, errors.New("cannot tell which machine this is (/etc/machine-id, /proc/self/ns/net): its loopback addresses are not vouched for")
	}
	return m, nil
}

// Here returns the identity of the machine vigil runs on, for matching
// host audits to the addresses a scan reaches.
func Here(ctx context.Context) facts.Machine {
	m, _ := machine(ctx, Local())
	return m
}
