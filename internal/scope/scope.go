// Package scope turns target expressions (addresses, networks, ranges, host
// names, @files) into the exact set of addresses a scan may touch, and
// enforces the guard rails: no public address without AllowPublic, no more
// hosts than MaxHosts, and exclusions that always win.
package scope

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"slices"
	"strings"
)

// DefaultMaxHosts is the largest target set accepted without MaxHosts.
const DefaultMaxHosts = 65536

// Resolver looks up host names. net.DefaultResolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Config holds the guard rails for expanding targets.
type Config struct {
	// AllowPublic permits addresses outside the private, loopback and
	// link-local ranges.
	AllowPublic bool
	// MaxHosts caps the size of the expanded set.
	MaxHosts int
	// Resolver resolves host names; names are refused when nil.
	Resolver Resolver
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.MaxHosts < 1 {
		return fmt.Errorf("--max-hosts %d: must be at least 1", c.MaxHosts)
	}
	return nil
}

// Host is one address to scan and the names it was given by.
type Host struct {
	Addr  netip.Addr
	Names []string
}

// Set is an expanded, de-duplicated target set in address order.
type Set struct {
	Hosts []Host
	index map[netip.Addr]int
}

// Contains reports whether a is in the set (IPv4-mapped IPv6 counts as IPv4).
func (s *Set) Contains(a netip.Addr) bool {
	if s == nil {
		return false
	}
	_, ok := s.index[a.Unmap()]
	return ok
}

// Len returns the number of hosts.
func (s *Set) Len() int { return len(s.Hosts) }

// Expand parses targets and excludes and returns the set of addresses to
// scan. Each expression may be an IPv4 or IPv6 address, a CIDR network, a
// range ("10.0.0.1-20" or "10.0.0.1-10.0.0.20"), a host name, "@file" (one
// expression a line, # comments) or several of these separated by commas.
func Expand(ctx context.Context, cfg Config, targets, excludes []string) (*Set, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, errors.New("no targets given")
	}
	ex := map[netip.Addr]bool{}
	var exRanges []addrRange
	for _, e := range excludes {
		items, err := parseAll(ctx, cfg, e)
		if err != nil {
			return nil, fmt.Errorf("--exclude: %w", err)
		}
		for _, it := range items {
			if it.name != "" || it.r.from == it.r.to {
				// Names and single addresses go in the map; ranges stay ranges
				// so a huge exclusion costs nothing.
				for _, a := range it.addrs() {
					ex[a] = true
				}
				continue
			}
			exRanges = append(exRanges, it.r)
		}
	}
	excluded := func(a netip.Addr) bool {
		if ex[a] {
			return true
		}
		for _, r := range exRanges {
			if r.contains(a) {
				return true
			}
		}
		return false
	}

	var items []item
	total := new(big.Int)
	for _, t := range targets {
		its, err := parseAll(ctx, cfg, t)
		if err != nil {
			return nil, err
		}
		for _, it := range its {
			if !cfg.AllowPublic {
				if err := it.checkPrivate(); err != nil {
					return nil, err
				}
			}
			total.Add(total, it.size())
		}
		items = append(items, its...)
	}
	if total.Cmp(big.NewInt(int64(cfg.MaxHosts))) > 0 {
		return nil, fmt.Errorf("the targets hold %s addresses, more than the limit of %d: scan a smaller range, or raise the limit with --max-hosts", total, cfg.MaxHosts)
	}

	set := &Set{index: map[netip.Addr]int{}}
	for _, it := range items {
		for _, a := range it.addrs() {
			if excluded(a) {
				continue
			}
			i, ok := set.index[a]
			if !ok {
				i = len(set.Hosts)
				set.index[a] = i
				set.Hosts = append(set.Hosts, Host{Addr: a})
			}
			if it.name != "" && !slices.Contains(set.Hosts[i].Names, it.name) {
				set.Hosts[i].Names = append(set.Hosts[i].Names, it.name)
			}
		}
	}
	if len(set.Hosts) == 0 {
		return nil, errors.New("every target is excluded: nothing left to scan")
	}
	slices.SortFunc(set.Hosts, func(a, b Host) int { return a.Addr.Compare(b.Addr) })
	for i, h := range set.Hosts {
		set.index[h.Addr] = i
	}
	return set, nil
}

// item is one parsed expression: a contiguous address range, or the
// addresses of a host name.
type item struct {
	expr  string
	r     addrRange
	name  string
	named []netip.Addr
}

func (it item) addrs() []netip.Addr {
	if it.name != "" {
		return it.named
	}
	var out []netip.Addr
	for a := it.r.from; ; a = a.Next() {
		out = append(out, a)
		if a == it.r.to {
			return out
		}
	}
}

func (it item) checkPrivate() error {
	check := func(a netip.Addr) error {
		if !Allowed(a) {
			return fmt.Errorf("target %q includes %s, which is not a private, loopback or link-local address: vigil scans only your own networks unless you add --allow-public", it.expr, a)
		}
		return nil
	}
	if it.name != "" {
		for _, a := range it.named {
			if err := check(a); err != nil {
				return err
			}
		}
		return nil
	}
	// A range is private only if both ends share one allowed prefix.
	for _, p := range allowedPrefixes {
		if p.Contains(it.r.from) && p.Contains(it.r.to) {
			return nil
		}
	}
	if !Allowed(it.r.from) {
		return check(it.r.from)
	}
	return check(it.r.to)
}

var allowedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
}

// Allowed reports whether a is private, loopback or link-local: the ranges
// vigil scans without --allow-public.
func Allowed(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range allowedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

type addrRange struct{ from, to netip.Addr }

func (r addrRange) contains(a netip.Addr) bool {
	return a.BitLen() == r.from.BitLen() && r.from.Compare(a) <= 0 && a.Compare(r.to) <= 0
}

func (it item) size() *big.Int {
	if it.name != "" {
		return big.NewInt(int64(len(it.named)))
	}
	return it.r.size()
}

func (r addrRange) size() *big.Int {
	f := new(big.Int).SetBytes(r.from.AsSlice())
	t := new(big.Int).SetBytes(r.to.AsSlice())
	return t.Sub(t, f).Add(t, big.NewInt(1))
}

// parseAll parses one command-line argument, which may be a comma-separated
// list or an @file.
func parseAll(ctx context.Context, cfg Config, arg string) ([]item, error) {
	var out []item
	for _, expr := range strings.Split(arg, ",") {
		expr = strings.TrimSpace(expr)
		if expr == "" {
			continue
		}
		if file, ok := strings.CutPrefix(expr, "@"); ok {
			its, err := parseFile(ctx, cfg, file)
			if err != nil {
				return nil, err
			}
			out = append(out, its...)
			continue
		}
		it, err := parseOne(ctx, cfg, expr)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

func parseFile(ctx context.Context, cfg Config, path string) ([]item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read target file: %w", err)
	}
	defer f.Close()
	var out []item
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		if strings.TrimSpace(text) == "" {
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(text), "@") {
			return nil, fmt.Errorf("%s:%d: a target file cannot include another (@…)", path, line)
		}
		its, err := parseAll(ctx, cfg, text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, its...)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read target file %s: %w", path, err)
	}
	return out, nil
}

func parseOne(ctx context.Context, cfg Config, expr string) (item, error) {
	bad := func(format string, args ...any) (item, error) {
		return item{}, fmt.Errorf("target %q: "+format, append([]any{expr}, args...)...)
	}
	if strings.Contains(expr, "/") {
		p, err := netip.ParsePrefix(expr)
		if err != nil {
			return bad("not a network in CIDR form (like 10.0.0.0/24 or fd00::/120): %v", err)
		}
		if p.Addr().Zone() != "" {
			return bad("a network cannot carry a zone")
		}
		p = p.Masked()
		return item{expr: expr, r: addrRange{p.Addr(), lastAddr(p)}}, nil
	}
	if a, err := netip.ParseAddr(expr); err == nil {
		a = a.Unmap()
		if err := usable(a); err != nil {
			return bad("%v", err)
		}
		return item{expr: expr, r: addrRange{a, a}}, nil
	}
	if from, to, ok := strings.Cut(expr, "-"); ok {
		if _, err := netip.ParseAddr(from); err == nil {
			return parseRange(expr, from, to)
		}
	}
	if strings.Trim(expr, "0123456789.-") == "" || strings.Contains(expr, ":") {
		return bad("not a valid address or range (like 10.0.0.5, 10.0.0.1-20 or fd00::1)")
	}
	if !validHostname(expr) {
		return bad("not an address, network (a.b.c.d/n), range (a.b.c.d-e) or host name")
	}
	if cfg.Resolver == nil {
		return bad("host names cannot be resolved here")
	}
	addrs, err := cfg.Resolver.LookupNetIP(ctx, "ip", expr)
	if err != nil {
		return bad("cannot resolve the name: %v", err)
	}
	it := item{expr: expr, name: strings.ToLower(expr)}
	for _, a := range addrs {
		a = a.Unmap()
		if usable(a) == nil && !slices.Contains(it.named, a) {
			it.named = append(it.named, a)
		}
	}
	if len(it.named) == 0 {
		return bad("the name resolves to no usable address")
	}
	slices.SortFunc(it.named, netip.Addr.Compare)
	return it, nil
}

// usable refuses addresses no scan should dial.
func usable(a netip.Addr) error {
	switch {
	case a.IsUnspecified():
		return errors.New("the unspecified address cannot be scanned")
	case a.IsMulticast():
		return errors.New("multicast addresses cannot be scanned")
	case a.Zone() != "" && !a.IsLinkLocalUnicast():
		return errors.New("only link-local addresses carry a zone")
	}
	return nil
}

func parseRange(expr, from, to string) (item, error) {
	bad := func(format string, args ...any) (item, error) {
		return item{}, fmt.Errorf("target %q: "+format, append([]any{expr}, args...)...)
	}
	start, err := netip.ParseAddr(from)
	if err != nil {
		return bad("the start of the range, %q, is not an address", from)
	}
	start = start.Unmap()
	var end netip.Addr
	if e, err := netip.ParseAddr(to); err == nil {
		end = e.Unmap()
	} else if start.Is4() {
		var last int
		if _, err := fmt.Sscanf(to, "%d", &last); err != nil || fmt.Sprint(last) != to || last < 0 || last > 255 {
			return bad("the end of the range, %q, is neither an address nor a last octet 0-255", to)
		}
		b := start.As4()
		b[3] = byte(last)
		end = netip.AddrFrom4(b)
	} else {
		return bad("the end of an IPv6 range must be a full address")
	}
	if start.BitLen() != end.BitLen() {
		return bad("the range mixes IPv4 and IPv6")
	}
	if end.Less(start) {
		return bad("the range ends (%s) before it starts (%s)", end, start)
	}
	return item{expr: expr, r: addrRange{start, end}}, nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func validHostname(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
