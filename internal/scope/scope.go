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
	"iter"
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

// ErrBadTarget is wrapped by every error that says a target expression,
// an exclusion or a target file is wrong: a mistake of the user's, not of
// the network.
var ErrBadTarget = errors.New("bad target")

// targetError is a mistake in the targets: it Is ErrBadTarget, and says
// only what the mistake is.
type targetError struct{ err error }

func (e targetError) Error() string        { return e.err.Error() }
func (e targetError) Unwrap() error        { return e.err }
func (e targetError) Is(target error) bool { return target == ErrBadTarget }

// badTarget returns a targetError formatted as fmt.Errorf does.
func badTarget(format string, args ...any) error {
	return targetError{fmt.Errorf(format, args...)}
}

// maxLine caps a line of a target file.
const maxLine = 64 << 10

// Host is one address to scan and the names it was given by.
type Host struct {
	Addr  netip.Addr
	Names []string
}

// Set is an expanded, de-duplicated target set. It holds address ranges,
// never one entry per address: a /8 costs a few bytes until a scan walks
// it, host by host, in address order.
type Set struct {
	ranges []addrRange // sorted, disjoint, exclusions cut out
	names  map[netip.Addr][]string
	n      int
}

// Contains reports whether a is in the set (IPv4-mapped IPv6 counts as IPv4).
func (s *Set) Contains(a netip.Addr) bool {
	if s == nil {
		return false
	}
	a = a.Unmap()
	// The first range that ends at or after a.
	i, _ := slices.BinarySearchFunc(s.ranges, a, func(r addrRange, a netip.Addr) int { return compareAddr(r.to, a) })
	return i < len(s.ranges) && s.ranges[i].contains(a)
}

// Len returns the number of hosts.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// Hosts yields the hosts in address order, with the names they were given.
func (s *Set) Hosts() iter.Seq[Host] {
	return func(yield func(Host) bool) {
		if s == nil {
			return
		}
		for _, r := range s.ranges {
			for a := r.from; ; a = a.Next() {
				if !yield(Host{Addr: a, Names: s.names[a]}) {
					return
				}
				if a == r.to {
					break
				}
			}
		}
	}
}

// Host returns the host of address a, with its names.
func (s *Set) Host(a netip.Addr) Host {
	a = a.Unmap()
	return Host{Addr: a, Names: s.names[a]}
}

// compareAddr orders addresses with every IPv4 one before every IPv6 one.
func compareAddr(a, b netip.Addr) int {
	if a.BitLen() != b.BitLen() {
		return a.BitLen() - b.BitLen()
	}
	return a.Compare(b)
}

// normalise sorts ranges and merges those that overlap or touch.
func normalise(rs []addrRange) []addrRange {
	slices.SortFunc(rs, func(a, b addrRange) int { return compareAddr(a.from, b.from) })
	var out []addrRange
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1].to.BitLen() == r.from.BitLen() &&
			(compareAddr(r.from, out[n-1].to) <= 0 || out[n-1].to.Next() == r.from) {
			if compareAddr(r.to, out[n-1].to) > 0 {
				out[n-1].to = r.to
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// sizeOf counts the addresses of disjoint ranges.
func sizeOf(rs []addrRange) *big.Int {
	n := new(big.Int)
	for _, r := range rs {
		n.Add(n, r.size())
	}
	return n
}

// subtract removes the ranges ex from the ranges rs.
func subtract(rs, ex []addrRange) []addrRange {
	var out []addrRange
	for _, r := range rs {
		cur := []addrRange{r}
		for _, e := range ex {
			var next []addrRange
			for _, c := range cur {
				if c.from.BitLen() != e.from.BitLen() || compareAddr(e.to, c.from) < 0 || compareAddr(c.to, e.from) < 0 {
					next = append(next, c) // no overlap
					continue
				}
				if compareAddr(c.from, e.from) < 0 {
					next = append(next, addrRange{c.from, e.from.Prev()})
				}
				if compareAddr(e.to, c.to) < 0 {
					next = append(next, addrRange{e.to.Next(), c.to})
				}
			}
			cur = next
		}
		out = append(out, cur...)
	}
	return out
}

// Expand parses targets and excludes and returns the set of addresses to
// scan. Each expression may be an IPv4 or IPv6 address, a CIDR network, a
// range ("10.0.0.1-20" or "10.0.0.1-10.0.0.20"), a host name, "@file" (one
// expression a line, # comments) or several of these separated by commas.
// Targets are counted as they are read: a set larger than MaxHosts is
// refused as soon as it is, before the rest is read.
func Expand(ctx context.Context, cfg Config, targets, excludes []string) (*Set, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, badTarget("no targets given")
	}
	var ex []addrRange
	for _, e := range excludes {
		items, err := parseAll(ctx, cfg, e, nil)
		if err != nil {
			return nil, fmt.Errorf("--exclude: %w", err)
		}
		for _, it := range items {
			ex = append(ex, it.ranges()...)
		}
	}
	ex = normalise(ex)

	var rs []addrRange
	names := map[netip.Addr][]string{}
	total := new(big.Int) // at least the number of addresses in rs
	limit := big.NewInt(int64(cfg.MaxHosts))
	tooMany := badTarget("the targets hold more than the limit of %d addresses: scan a smaller range, or raise the limit with --max-hosts", cfg.MaxHosts)
	// Each item is counted and kept as it is parsed, so a file far over the
	// limit is refused soon after it is, before the rest is read. Overlaps
	// are merged before a refusal, so a set is never refused for counting
	// an address twice; merging waits until the ranges doubled, or grew by
	// an eighth past the limit, so that it costs little per target.
	clean, next := 0, 4096 // ranges merged last time; when to merge next
	keep := func(it item) error {
		if !cfg.AllowPublic {
			if err := it.checkPrivate(); err != nil {
				return err
			}
		}
		rs = append(rs, it.ranges()...)
		for _, a := range it.named {
			if !slices.Contains(names[a], it.name) {
				names[a] = append(names[a], it.name)
			}
		}
		total.Add(total, it.size())
		if len(rs) >= next || total.Cmp(limit) > 0 && len(rs)-clean >= max(1, clean/8) {
			rs = normalise(rs)
			total = sizeOf(rs)
			clean, next = len(rs), max(4096, 2*len(rs))
			if total.Cmp(limit) > 0 {
				return tooMany
			}
		}
		return nil
	}
	for _, t := range targets {
		if _, err := parseAll(ctx, cfg, t, keep); err != nil {
			return nil, err
		}
	}
	rs = normalise(rs)
	if sizeOf(rs).Cmp(limit) > 0 {
		return nil, tooMany
	}
	if len(rs) == 0 {
		return nil, badTarget("no targets (the target list is empty)")
	}
	set := &Set{ranges: subtract(rs, ex), names: names}
	if len(set.ranges) == 0 {
		return nil, badTarget("every target is excluded: nothing left to scan")
	}
	set.n = int(sizeOf(set.ranges).Int64())
	for a := range names {
		if !set.Contains(a) {
			delete(names, a)
		}
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

// ranges returns the item's addresses as ranges.
func (it item) ranges() []addrRange {
	if it.name == "" {
		return []addrRange{it.r}
	}
	out := make([]addrRange, len(it.named))
	for i, a := range it.named {
		out[i] = addrRange{a, a}
	}
	return out
}

func (it item) checkPrivate() error {
	check := func(a netip.Addr) error {
		if !Allowed(a) {
			return badTarget("target %q includes %s, which is not a private, loopback or link-local address: vigil scans only your own networks unless you add --allow-public", it.expr, a)
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
	return a.BitLen() == r.from.BitLen() && compareAddr(r.from, a) <= 0 && compareAddr(a, r.to) <= 0
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
// list or an @file, and returns its items; when count is set, each item
// goes to count as it is parsed instead (count may stop the parse with an
// error), and none is returned.
func parseAll(ctx context.Context, cfg Config, arg string, count func(item) error) ([]item, error) {
	var out []item
	for _, expr := range strings.Split(arg, ",") {
		expr = strings.TrimSpace(expr)
		if expr == "" {
			continue
		}
		if file, ok := strings.CutPrefix(expr, "@"); ok {
			its, err := parseFile(ctx, cfg, file, count)
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
		if count != nil {
			if err := count(it); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, it)
	}
	return out, nil
}

func parseFile(ctx context.Context, cfg Config, path string, count func(item) error) ([]item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, badTarget("cannot read target file: %w", err)
	}
	defer f.Close()
	var out []item
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	line := 0
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		if strings.TrimSpace(text) == "" {
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(text), "@") {
			return nil, badTarget("%s:%d: a target file cannot include another (@…)", path, line)
		}
		its, err := parseAll(ctx, cfg, text, count)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if count == nil {
			out = append(out, its...) // counted items are kept by count
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, badTarget("%s:%d: a line longer than %d KiB: is this a file of targets, one a line?", path, line+1, maxLine>>10)
		}
		return nil, badTarget("cannot read target file %s: %w", path, err)
	}
	return out, nil
}

func parseOne(ctx context.Context, cfg Config, expr string) (item, error) {
	bad := func(format string, args ...any) (item, error) {
		return item{}, badTarget("target %q: "+format, append([]any{expr}, args...)...)
	}
	if strings.Contains(expr, "/") {
		p, err := netip.ParsePrefix(expr)
		if err != nil {
			why := strings.TrimPrefix(err.Error(), fmt.Sprintf("netip.ParsePrefix(%q): ", expr))
			return bad("not a network in CIDR form (like 10.0.0.0/24 or fd00::/120): %s", why)
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
		return item{}, badTarget("target %q: "+format, append([]any{expr}, args...)...)
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
