package hostaudit

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// ParseIPAddrJSON reads the output of `ip -j addr` and returns every
// address of every interface.
func ParseIPAddrJSON(b []byte) ([]netip.Addr, error) {
	var ifs []struct {
		Name  string `json:"ifname"`
		Addrs []struct {
			Family string `json:"family"`
			Local  string `json:"local"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal(b, &ifs); err != nil {
		return nil, fmt.Errorf("ip -j addr printed something else than JSON: %w", err)
	}
	var out []netip.Addr
	for _, i := range ifs {
		for _, a := range i.Addrs {
			if a.Family != "inet" && a.Family != "inet6" {
				continue
			}
			if ip, err := netip.ParseAddr(a.Local); err == nil {
				out = append(out, ip.WithZone("").Unmap())
			}
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

// addresses returns the machine's own addresses: from `ip -j addr`, or
// from /proc when ip is missing or too old.
func addresses(ctx context.Context, t Target) ([]string, error) {
	var addrs []netip.Addr
	b, err := t.Run(ctx, "ip", "-j", "addr", "show")
	if err == nil {
		addrs, err = ParseIPAddrJSON(b)
	}
	if err != nil {
		fib, ferr := t.ReadFile(ctx, "/proc/net/fib_trie")
		in6, ierr := t.ReadFile(ctx, "/proc/net/if_inet6")
		if ferr != nil && ierr != nil {
			return nil, fmt.Errorf("cannot list the machine's addresses: %w; /proc/net/fib_trie: %w", err, ferr)
		}
		addrs = append(ParseFibTrie(fib), ParseIfInet6(in6)...)
	}
	slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
	addrs = slices.Compact(addrs)
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.String())
	}
	return out, nil
}
