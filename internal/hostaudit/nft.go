package hostaudit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ParseNftJSON reads the output of `nft -j list ruleset` (libnftables' JSON
// schema) and keeps the chains and rules that decide inbound traffic.
// Expressions it does not model make a rule conditional rather than being
// ignored, so an unknown match never makes a port look more open than it is.
func ParseNftJSON(b []byte) (*Ruleset, error) {
	var doc struct {
		Nftables []map[string]json.RawMessage `json:"nftables"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("nft -j printed something else than JSON: %w", err)
	}
	if doc.Nftables == nil {
		return nil, fmt.Errorf("nft -j printed JSON without an nftables array")
	}
	rs := &Ruleset{Kind: KindNftables}
	sets := map[string][]PortRange{}
	type rawRule struct {
		Family, Table, Chain string
		Handle               int
		Expr                 []any
	}
	var rules []rawRule
	for _, obj := range doc.Nftables {
		for kind, raw := range obj {
			var v map[string]any
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if err := d.Decode(&v); err != nil || v == nil {
				continue
			}
			switch kind {
			case "chain":
				c := &Chain{Family: str(v["family"]), Table: str(v["table"]), Name: str(v["name"])}
				if str(v["type"]) == "filter" && str(v["hook"]) == "input" {
					c.Hook = "input"
					c.Policy = str(v["policy"])
					if c.Policy == "" {
						c.Policy = "accept"
					}
				}
				rs.Chains = append(rs.Chains, c)
			case "set":
				key := str(v["family"]) + " " + str(v["table"]) + " " + str(v["name"])
				var ports []PortRange
				if elems, ok := v["elem"].([]any); ok {
					for _, e := range elems {
						ports = append(ports, nftPorts(e)...)
					}
				}
				sets[key] = ports
			case "rule":
				expr, _ := v["expr"].([]any)
				rules = append(rules, rawRule{str(v["family"]), str(v["table"]), str(v["chain"]), num(v["handle"]), expr})
			}
		}
	}
	for _, r := range rules {
		var c *Chain
		for _, x := range rs.Chains {
			if x.Family == r.Family && x.Table == r.Table && x.Name == r.Chain {
				c = x
				break
			}
		}
		if c == nil {
			continue
		}
		setOf := func(name string) ([]PortRange, bool) {
			p, ok := sets[r.Family+" "+r.Table+" "+name]
			return p, ok
		}
		c.Rules = append(c.Rules, nftRules(r.Expr, r.Handle, setOf)...)
		for _, e := range r.Expr {
			if st, ok := e.(map[string]any); ok && st["xt"] != nil {
				rs.compat = true
			}
		}
	}
	return rs, nil
}

// nftRules turns one rule's statements into Rules: one, or one per entry
// of a verdict map on the destination port.
func nftRules(expr []any, handle int, setOf func(string) ([]PortRange, bool)) []Rule {
	r := Rule{Handle: handle}
	var text []string
	var vmap []Rule
	for _, e := range expr {
		st, ok := e.(map[string]any)
		if !ok || len(st) != 1 {
			r.Other = append(r.Other, "an unreadable statement")
			continue
		}
		for k, v := range st {
			switch k {
			case "match":
				m, _ := v.(map[string]any)
				text = append(text, nftMatch(&r, m, setOf))
			case "accept", "drop", "return":
				r.Verdict = k
				text = append(text, k)
			case "reject":
				r.Verdict = "reject"
				text = append(text, "reject")
			case "jump", "goto":
				m, _ := v.(map[string]any)
				r.Verdict, r.Target = k, str(m["target"])
				text = append(text, k+" "+r.Target)
			case "counter", "log", "comment", "notrack", "mangle", "set":
				// no effect on the verdict
			case "vmap":
				m, _ := v.(map[string]any)
				vmap = nftVmap(m, setOf)
				text = append(text, nftLeftText(mapOf(m["key"]))+" vmap { … }")
			case "xt":
				name := str(mapOf(v)["name"])
				r.Other = append(r.Other, "xt "+name)
				text = append(text, "xt "+name)
			default:
				r.Other = append(r.Other, k)
				text = append(text, k+" …")
			}
		}
	}
	r.Text = clip(strings.Join(text, " "), 240)
	if vmap == nil {
		return []Rule{r}
	}
	out := make([]Rule, 0, len(vmap))
	for _, v := range vmap {
		x := r
		x.Ports, x.Verdict, x.Target = v.Ports, v.Verdict, v.Target
		if x.Transports == nil {
			x.Transports = v.Transports
		}
		out = append(out, x)
	}
	return out
}

// nftMatch applies one match statement to r and returns its text.
func nftMatch(r *Rule, m map[string]any, setOf func(string) ([]PortRange, bool)) string {
	op := str(m["op"])
	left := mapOf(m["left"])
	right := m["right"]
	rt := nftRightText(right)
	if meta := mapOf(left["meta"]); meta != nil {
		if k := str(meta["key"]); k == "iif" || k == "iifname" || k == "oif" || k == "oifname" {
			if s, ok := right.(string); ok {
				rt = strconv.Quote(s) // interface names are quoted in nft syntax
			}
		}
	}
	text := strings.TrimSpace(nftLeftText(left) + " " + nftOpText(op) + rt)
	neg := op == "!="
	unknown := func() string {
		r.Other = append(r.Other, text)
		return text
	}
	switch {
	case left["payload"] != nil:
		p := mapOf(left["payload"])
		proto, field := str(p["protocol"]), str(p["field"])
		switch {
		case field == "dport" && (proto == "tcp" || proto == "udp" || proto == "th" || proto == "sctp" || proto == "dccp"):
			if neg {
				return unknown()
			}
			ports, set, ok := nftPortSet(right, setOf)
			if !ok {
				return unknown()
			}
			if proto != "th" {
				r.Transports = intersect(r.Transports, []string{proto})
			}
			r.Ports, r.Set = ports, set
		case (proto == "ip" || proto == "ip6") && field == "saddr":
			from := nftRightText(right)
			if neg {
				from = "anywhere but " + from
			}
			r.From = strings.TrimSpace(r.From + " " + from)
		case (proto == "ip" && field == "protocol") || (proto == "ip6" && field == "nexthdr"):
			trs, ok := nftNames(right)
			if !ok || neg {
				return unknown()
			}
			r.Transports = intersect(r.Transports, trs)
		case proto == "tcp" || proto == "udp" || proto == "th":
			if proto != "th" {
				r.Transports = intersect(r.Transports, []string{proto})
			}
			return unknown()
		case proto == "icmp" || proto == "icmpv6" || proto == "igmp" || proto == "esp" || proto == "ah":
			r.Transports = []string{}
		default:
			return unknown()
		}
	case left["meta"] != nil:
		key := str(mapOf(left["meta"])["key"])
		switch key {
		case "iif", "iifname":
			names, ok := nftNames(right)
			if ok && len(names) == 1 && names[0] == "lo" {
				if !neg {
					r.Loopback = true
				}
				return text
			}
			return unknown()
		case "l4proto":
			trs, ok := nftNames(right)
			if !ok || neg {
				return unknown()
			}
			r.Transports = intersect(r.Transports, trs)
		default:
			return unknown()
		}
	case left["ct"] != nil:
		key := str(mapOf(left["ct"])["key"])
		states, ok := nftNames(right)
		if key != "state" || !ok || neg {
			return unknown()
		}
		old := true
		for _, s := range states {
			if s != "established" && s != "related" && s != "invalid" && s != "untracked" {
				old = false
			}
		}
		if old {
			r.Established = true
		}
	default:
		return unknown()
	}
	return text
}

// nftVmap reads a verdict map keyed by destination port.
func nftVmap(m map[string]any, setOf func(string) ([]PortRange, bool)) []Rule {
	key := mapOf(mapOf(m["key"])["payload"])
	var trs []string
	switch str(key["protocol"]) {
	case "tcp", "udp":
		trs = []string{str(key["protocol"])}
	case "th":
	default:
		return []Rule{{Other: []string{"a verdict map"}, Verdict: "accept"}}
	}
	if str(key["field"]) != "dport" {
		return []Rule{{Other: []string{"a verdict map"}, Verdict: "accept"}}
	}
	data := mapOf(m["data"])
	entries, _ := data["set"].([]any)
	var out []Rule
	for _, e := range entries {
		pair, ok := e.([]any)
		if !ok || len(pair) != 2 {
			continue
		}
		ports := nftPorts(pair[0])
		verdict := mapOf(pair[1])
		for k, v := range verdict {
			r := Rule{Transports: trs, Ports: ports, Verdict: k}
			if k == "jump" || k == "goto" {
				r.Target = str(mapOf(v)["target"])
			}
			out = append(out, r)
		}
	}
	return out
}

// nftPortSet reads the right side of a dport match: a number, a range, an
// anonymous set or @named set.
func nftPortSet(v any, setOf func(string) ([]PortRange, bool)) ([]PortRange, string, bool) {
	if s, ok := v.(string); ok && strings.HasPrefix(s, "@") {
		ports, ok := setOf(s[1:])
		return ports, s[1:], ok && len(ports) > 0
	}
	var ports []PortRange
	if m, ok := v.(map[string]any); ok && m["set"] != nil {
		elems, _ := m["set"].([]any)
		for _, e := range elems {
			ports = append(ports, nftPorts(e)...)
		}
	} else {
		ports = nftPorts(v)
	}
	return ports, "", len(ports) > 0
}

// nftPorts reads one set element: a number, {"range": [a, b]}, or
// {"elem": {"val": …}}.
func nftPorts(v any) []PortRange {
	switch x := v.(type) {
	case json.Number, string:
		if p := num(x); p > 0 && p <= 65535 {
			return []PortRange{{p, p}}
		}
	case map[string]any:
		if rg, ok := x["range"].([]any); ok && len(rg) == 2 {
			a, b := num(rg[0]), num(rg[1])
			if a >= 0 && b <= 65535 && a <= b {
				return []PortRange{{a, b}}
			}
		}
		if el, ok := x["elem"].(map[string]any); ok {
			return nftPorts(el["val"])
		}
	}
	return nil
}

// nftNames reads names from a string or an array (or set) of strings.
func nftNames(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true
	case []any:
		var out []string
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, len(out) > 0
	case map[string]any:
		if s, ok := x["set"]; ok {
			return nftNames(s)
		}
	}
	return nil, false
}

func nftLeftText(m map[string]any) string {
	switch {
	case m["payload"] != nil:
		p := mapOf(m["payload"])
		return str(p["protocol"]) + " " + str(p["field"])
	case m["meta"] != nil:
		k := str(mapOf(m["meta"])["key"])
		if k == "iif" || k == "iifname" || k == "oif" || k == "oifname" {
			return k
		}
		return "meta " + k
	case m["ct"] != nil:
		return "ct " + str(mapOf(m["ct"])["key"])
	}
	for k := range m {
		return k
	}
	return "…"
}

func nftOpText(op string) string {
	switch op {
	case "", "==", "in":
		return ""
	}
	return op + " "
}

func nftRightText(v any) string {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "@") {
			return x
		}
		return x
	case json.Number:
		return x.String()
	case []any:
		var parts []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				parts = append(parts, s)
			} else {
				parts = append(parts, nftRightText(e))
			}
		}
		return strings.Join(parts, ",")
	case map[string]any:
		switch {
		case x["set"] != nil:
			elems, _ := x["set"].([]any)
			var parts []string
			for _, e := range elems {
				parts = append(parts, nftRightText(e))
			}
			return "{ " + strings.Join(parts, ", ") + " }"
		case x["range"] != nil:
			rg, _ := x["range"].([]any)
			if len(rg) == 2 {
				return nftRightText(rg[0]) + "-" + nftRightText(rg[1])
			}
		case x["prefix"] != nil:
			p := mapOf(x["prefix"])
			return str(p["addr"]) + "/" + strconv.Itoa(num(p["len"]))
		case x["elem"] != nil:
			return nftRightText(mapOf(x["elem"])["val"])
		}
	}
	return "…"
}

// intersect narrows a transport list (nil: any) by another.
func intersect(have, want []string) []string {
	if have == nil {
		return slices.Clone(want)
	}
	out := []string{}
	for _, w := range want {
		if slices.Contains(have, w) {
			out = append(out, w)
		}
	}
	return out
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

func num(v any) int {
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.Atoi(x.String())
		if err == nil {
			return n
		}
	case string:
		n, err := strconv.Atoi(x)
		if err == nil {
			return n
		}
	}
	return -1
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
