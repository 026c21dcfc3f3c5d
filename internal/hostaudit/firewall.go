package hostaudit

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
)

// Firewall kinds, as facts.Firewall.Kind names them.
const (
	KindNftables = "nftables"
	KindIptables = "iptables"
	KindNone     = "none"
	// KindUnknown means the rules could not be read (vigil was not root).
	KindUnknown = ""
)

// Ruleset is the inbound part of a firewall configuration, in a form both
// nftables and iptables rulesets reduce to: chains of rules that match on
// transport, destination port and source, with a verdict.
type Ruleset struct {
	Kind   string // nftables or iptables
	Source string // the command that printed it
	Chains []*Chain
	// compat is true when nftables holds rules that iptables-nft wrote
	// with xtables matches nft cannot show; iptables-save shows them whole.
	compat bool
}

// Chain is one chain. Base chains on the input hook have Hook "input";
// chains only reached by jump or goto have none.
type Chain struct {
	Family string // ip, ip6, inet (nftables) or ip, ip6 (iptables)
	Table  string
	Name   string
	Hook   string
	Policy string // accept or drop, for base chains
	Rules  []Rule
}

// PortRange is an inclusive range of ports; From == To for one port.
type PortRange struct{ From, To int }

// Rule is one rule as far as inbound reachability is concerned.
type Rule struct {
	// Transports the rule matches (tcp, udp); nil matches any, an empty
	// non-nil slice matches neither (ICMP rules).
	Transports []string
	// Ports the rule matches; nil matches any.
	Ports []PortRange
	// Set names the named set holding Ports, when the rule refers to one.
	Set string
	// From is the source restriction as written ("10.0.0.0/8"); "" is
	// any source.
	From string
	// Loopback is true when the rule only matches traffic arriving on the
	// loopback interface (iif lo).
	Loopback bool
	// Established is true when the rule only matches packets of existing
	// connections (ct state established,related; invalid): never a new one.
	Established bool
	// Other lists conditions vigil does not model (an input interface, a
	// rate limit, a destination address…); they make the rule conditional.
	Other []string
	// Verdict is accept, drop, reject, jump, goto, return or "" (none).
	Verdict string
	// Target is the chain of a jump or goto.
	Target string
	Handle int
	// Text is the rule in the firewall's own syntax, for evidence.
	Text string
}

// matches reports whether the rule can match a new connection from outside
// to port over transport, ignoring source and other conditions.
func (r *Rule) matches(transport string, port int) bool {
	if r.Loopback || r.Established {
		return false
	}
	if r.Transports != nil && !slices.Contains(r.Transports, transport) {
		return false
	}
	if r.Ports == nil {
		return true
	}
	for _, p := range r.Ports {
		if port >= p.From && port <= p.To {
			return true
		}
	}
	return false
}

// conditional reports whether the rule matches only some sources or under
// conditions vigil does not model.
func (r *Rule) conditional() bool { return r.From != "" || len(r.Other) > 0 }

// condition describes what limits a conditional rule, in words.
func (r *Rule) condition() string {
	var parts []string
	if r.From != "" {
		parts = append(parts, "from "+r.From)
	}
	if len(r.Other) > 0 {
		parts = append(parts, "when "+strings.Join(r.Other, ", "))
	}
	return strings.Join(parts, " ")
}

// base returns the input base chains.
func (rs *Ruleset) base() []*Chain {
	var out []*Chain
	for _, c := range rs.Chains {
		if c.Hook == "input" {
			out = append(out, c)
		}
	}
	return out
}

// chain finds a regular chain by name in the same table as from.
func (rs *Ruleset) chain(from *Chain, name string) *Chain {
	for _, c := range rs.Chains {
		if c.Family == from.Family && c.Table == from.Table && c.Name == name {
			return c
		}
	}
	return nil
}

// Empty reports whether the ruleset filters nothing inbound: no input base
// chain, or only ones without rules whose policy accepts.
func (rs *Ruleset) Empty() bool {
	for _, c := range rs.base() {
		if len(c.Rules) > 0 || c.Policy == "drop" {
			return false
		}
	}
	return true
}

// outcome is the fate of a new inbound connection in one chain.
type outcome struct {
	final   string // accept, drop, or "" when the chain ended without a verdict
	by      *Rule  // the rule that decided; nil for the policy
	partial []*Rule
}

const maxJumps = 16

// walk follows a chain's rules for a new connection from an arbitrary
// outside source.
func (rs *Ruleset) walk(c *Chain, transport string, port, depth int) outcome {
	var o outcome
	if depth > maxJumps {
		return o
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		if !r.matches(transport, port) {
			continue
		}
		switch r.Verdict {
		case "accept":
			if r.conditional() {
				o.partial = append(o.partial, r)
				continue
			}
			o.final, o.by = "accept", r
			return o
		case "drop", "reject":
			if r.conditional() {
				continue
			}
			o.final, o.by = "drop", r
			return o
		case "jump", "goto":
			sub := rs.chain(c, r.Target)
			if sub == nil {
				continue
			}
			so := rs.walk(sub, transport, port, depth+1)
			o.partial = append(o.partial, so.partial...)
			if so.final == "" {
				continue
			}
			if r.conditional() {
				if so.final == "accept" {
					o.partial = append(o.partial, so.by)
				}
				continue
			}
			o.final, o.by = so.final, so.by
			return o
		case "return":
			if !r.conditional() {
				return o
			}
		}
	}
	return o
}

// Reach decides whether a listener bound to bind is reachable from beyond
// this host, and says why.
func (rs *Ruleset) Reach(transport, bind string, port int) (bool, string) {
	addr, err := netip.ParseAddr(strings.Trim(bind, "[]"))
	if err == nil && addr.Unmap().IsLoopback() {
		return false, fmt.Sprintf("bound to %s: loopback only", bind)
	}
	if rs == nil || rs.Kind == KindUnknown {
		return true, fmt.Sprintf("bound to %s; the firewall rules could not be read, so nothing shows it is blocked", bind)
	}
	if rs.Empty() {
		return true, fmt.Sprintf("bound to %s and no firewall filters inbound traffic", bind)
	}
	families := []bool{false} // IPv4
	switch {
	case err == nil && addr.Is6() && !addr.Is4In6() && !addr.IsUnspecified():
		families = []bool{true}
	case err == nil && addr.Is6() && addr.IsUnspecified():
		families = []bool{true, false} // dual-stack
	}
	best := ""
	for _, v6 := range families {
		ok, why := rs.reachFamily(transport, bind, port, v6)
		if ok {
			return true, why
		}
		if best == "" {
			best = why
		}
	}
	return false, best
}

func (rs *Ruleset) reachFamily(transport, bind string, port int, v6 bool) (bool, string) {
	what := fmt.Sprintf("%s/%d", transport, port)
	fam := "IPv4"
	if v6 {
		fam = "IPv6"
	}
	// A packet must pass every base chain on the input hook: one drop is
	// final, an accept only ends its own chain.
	var accepts, partial []string
	chains := 0
	for _, c := range rs.base() {
		if (c.Family == "ip" && v6) || (c.Family == "ip6" && !v6) {
			continue
		}
		chains++
		o := rs.walk(c, transport, port, 0)
		switch {
		case o.final == "drop" && len(o.partial) == 0:
			return false, fmt.Sprintf("dropped by %s rule: %s", rs.Kind, o.by.Text)
		case o.final == "" && c.Policy == "drop" && len(o.partial) == 0:
			return false, fmt.Sprintf("dropped by %s input policy drop", rs.Kind)
		case o.final == "accept":
			accepts = append(accepts, fmt.Sprintf("%s accepts %s from anywhere (rule: %s)", rs.Kind, what, o.by.Text))
		case o.final == "" && c.Policy != "drop":
			// the chain's policy accepts
		default:
			for _, r := range o.partial {
				partial = append(partial, r.condition())
			}
		}
	}
	slices.Sort(partial)
	partial = slices.Compact(partial)
	switch {
	case chains == 0:
		return true, fmt.Sprintf("bound to %s and no %s input chain filters %s", bind, rs.Kind, fam)
	case len(partial) > 0:
		return true, fmt.Sprintf("bound to %s; %s accepts %s only %s", bind, rs.Kind, what, strings.Join(partial, "; or "))
	case len(accepts) > 0:
		return true, fmt.Sprintf("bound to %s; %s", bind, accepts[0])
	}
	return true, fmt.Sprintf("bound to %s and the input policy accepts", bind)
}

// Facts summarises the ruleset for facts.Firewall.
func (rs *Ruleset) Facts() facts.Firewall {
	if rs == nil || rs.Kind == KindUnknown {
		return facts.Firewall{Kind: KindUnknown}
	}
	if rs.Empty() {
		fw := facts.Firewall{Kind: KindNone}
		if rs != nil {
			fw.Source = rs.Source
			if len(rs.base()) > 0 {
				fw.InputPolicy = "accept"
			}
		}
		return fw
	}
	fw := facts.Firewall{Kind: rs.Kind, Source: rs.Source, InputPolicy: "accept"}
	for _, c := range rs.base() {
		if c.Policy == "drop" {
			fw.InputPolicy = "drop"
			fw.Filtering = true
		}
		rs.collect(c, c, &fw, 0, map[*Chain]bool{})
	}
	return fw
}

// collect gathers the accept rules and whether anything drops, following
// jumps.
func (rs *Ruleset) collect(base, c *Chain, fw *facts.Firewall, depth int, seen map[*Chain]bool) {
	if depth > maxJumps || seen[c] {
		return
	}
	seen[c] = true
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.Loopback || r.Established {
			continue
		}
		switch r.Verdict {
		case "drop", "reject":
			fw.Filtering = true
		case "jump", "goto":
			if sub := rs.chain(c, r.Target); sub != nil {
				rs.collect(base, sub, fw, depth+1, seen)
			}
		case "accept":
			trs := r.Transports
			if trs == nil {
				trs = []string{"tcp", "udp"}
			}
			from := r.From
			if len(r.Other) > 0 {
				from = strings.TrimSpace(from + " " + strings.Join(r.Other, " "))
			}
			for _, tr := range trs {
				if tr != "tcp" && tr != "udp" {
					continue
				}
				pr := facts.PortRule{Transport: tr, From: from, Rule: r.Text, Family: c.Family, Table: c.Table, Chain: c.Name, Handle: r.Handle, Set: r.Set}
				if r.Ports == nil {
					fw.Allowed = append(fw.Allowed, pr)
					continue
				}
				for _, p := range r.Ports {
					x := pr
					x.Port = p.From
					if p.To != p.From {
						x.PortEnd = p.To
					}
					fw.Allowed = append(fw.Allowed, x)
				}
			}
		}
	}
}

// firewall reads the target's inbound firewall: nftables first, then
// iptables-save and ip6tables-save when nftables is missing or empty.
func firewall(ctx context.Context, t Target) (*Ruleset, error) {
	var errs []error
	var read []string
	var nft *Ruleset
	out, err := t.Run(ctx, "nft", "-j", "list", "ruleset")
	switch {
	case err == nil:
		rs, perr := ParseNftJSON(out)
		if perr != nil {
			errs = append(errs, perr)
			break
		}
		rs.Source = "nft -j list ruleset"
		if !rs.Empty() && !rs.compat {
			return rs, nil
		}
		nft = rs
		read = append(read, rs.Source)
	case errors.Is(err, ErrNoCommand):
		errs = append(errs, errors.New("nft is not installed"))
	default:
		errs = append(errs, err)
	}
	ipt := &Ruleset{Kind: KindIptables}
	var srcs []string
	for _, cmd := range []struct{ name, family string }{{"iptables-save", "ip"}, {"ip6tables-save", "ip6"}} {
		out, err := t.Run(ctx, cmd.name)
		if err != nil {
			if errors.Is(err, ErrNoCommand) {
				err = fmt.Errorf("%s is not installed", cmd.name)
			}
			errs = append(errs, err)
			continue
		}
		srcs = append(srcs, cmd.name)
		ipt.Chains = append(ipt.Chains, ParseIptablesSave(out, cmd.family)...)
	}
	read = append(read, srcs...)
	switch {
	case nft != nil && nft.compat && !ipt.Empty():
		// iptables-nft: its tables come from iptables-save, whole; other
		// nftables tables stay.
		merged := &Ruleset{Kind: KindIptables, Source: strings.Join(read, ", ")}
		for _, c := range nft.Chains {
			if (c.Family == "ip" || c.Family == "ip6") && c.Table == "filter" {
				continue
			}
			merged.Chains = append(merged.Chains, c)
			if c.Hook == "input" {
				merged.Kind = KindNftables
			}
		}
		merged.Chains = append(merged.Chains, ipt.Chains...)
		return merged, nil
	case nft != nil && !nft.Empty():
		return nft, nil
	case !ipt.Empty():
		ipt.Source = strings.Join(srcs, ", ")
		return ipt, nil
	}
	if len(read) == 0 {
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, e.Error())
		}
		return &Ruleset{Kind: KindUnknown}, fmt.Errorf("cannot read the firewall rules: %s", strings.Join(msgs, "; "))
	}
	return &Ruleset{Kind: KindNone, Source: strings.Join(read, ", ")}, nil
}
