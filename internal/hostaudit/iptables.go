package hostaudit

import (
	"strconv"
	"strings"
)

// ParseIptablesSave reads the filter table of `iptables-save` (family
// "ip") or `ip6tables-save` ("ip6") output: the INPUT chain with its
// policy, the chains it jumps to, and their -A rules.
func ParseIptablesSave(b []byte, family string) []*Chain {
	var chains []*Chain
	byName := map[string]*Chain{}
	inFilter := false
	for line := range strings.SplitSeq(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "*"):
			inFilter = line == "*filter"
		case line == "COMMIT":
			inFilter = false
		case !inFilter:
		case strings.HasPrefix(line, ":"):
			f := strings.Fields(line[1:])
			if len(f) < 2 {
				continue
			}
			c := &Chain{Family: family, Table: "filter", Name: f[0]}
			if f[0] == "INPUT" {
				c.Hook = "input"
				c.Policy = strings.ToLower(f[1])
				if c.Policy != "drop" {
					c.Policy = "accept"
				}
			}
			if byName[c.Name] == nil {
				byName[c.Name] = c
				chains = append(chains, c)
			}
		case strings.HasPrefix(line, "-A "):
			args := splitArgs(line)
			if len(args) < 2 {
				continue
			}
			c := byName[args[1]]
			if c == nil {
				c = &Chain{Family: family, Table: "filter", Name: args[1]}
				byName[c.Name] = c
				chains = append(chains, c)
			}
			c.Rules = append(c.Rules, iptablesRule(args[2:], line))
		}
	}
	return chains
}

// iptablesRule reads the options of one -A line.
func iptablesRule(args []string, text string) Rule {
	r := Rule{Text: text}
	neg := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "!" {
			neg = true
			continue
		}
		if !strings.HasPrefix(a, "-") {
			continue // a value of an option already read, or stray text
		}
		var vals []string
		for j := i + 1; j < len(args) && args[j] != "!" && !strings.HasPrefix(args[j], "-"); j++ {
			vals = append(vals, args[j])
		}
		// "--dport ! 22" is the old spelling of "! --dport 22".
		if len(vals) == 0 && i+2 < len(args) && args[i+1] == "!" {
			neg = true
			vals = []string{args[i+2]}
			i++
		}
		i += len(vals)
		val := strings.Join(vals, " ")
		opt := a
		isNeg := neg
		neg = false
		switch opt {
		case "-p", "--protocol":
			p := strings.ToLower(val)
			switch {
			case isNeg:
				r.Other = append(r.Other, "! -p "+val)
			case p == "tcp" || p == "udp" || p == "6" || p == "17":
				if p == "6" {
					p = "tcp"
				} else if p == "17" {
					p = "udp"
				}
				r.Transports = intersect(r.Transports, []string{p})
			case p == "all" || p == "0":
			default:
				r.Transports = []string{}
			}
		case "-s", "--source", "--src-range":
			if isNeg {
				r.From = "anywhere but " + val
			} else {
				r.From = val
			}
		case "-i", "--in-interface":
			switch {
			case val == "lo" && !isNeg:
				r.Loopback = true
			case val == "lo":
			default:
				r.Other = append(r.Other, negText(isNeg)+"-i "+val)
			}
		case "--dport", "--destination-port", "--dports", "--destination-ports":
			ports := iptablesPorts(val)
			if isNeg || ports == nil {
				r.Other = append(r.Other, negText(isNeg)+opt+" "+val)
				continue
			}
			r.Ports = ports
		case "--state", "--ctstate":
			old := !isNeg
			for s := range strings.SplitSeq(strings.ToUpper(val), ",") {
				if s != "ESTABLISHED" && s != "RELATED" && s != "INVALID" && s != "UNTRACKED" {
					old = false
				}
			}
			if old {
				r.Established = true
			} else if isNeg {
				r.Other = append(r.Other, "! "+opt+" "+val)
			}
		case "-j", "--jump", "-g", "--goto":
			switch strings.ToUpper(val) {
			case "ACCEPT":
				r.Verdict = "accept"
			case "DROP":
				r.Verdict = "drop"
			case "REJECT":
				r.Verdict = "reject"
			case "RETURN":
				r.Verdict = "return"
			case "LOG", "NFLOG", "ULOG", "CONNMARK", "MARK", "AUDIT", "TRACE", "CT", "NOTRACK":
			default:
				r.Verdict, r.Target = "jump", val
				if opt == "-g" || opt == "--goto" {
					r.Verdict = "goto"
				}
			}
		case "-m", "--match", "--comment", "--reject-with", "--log-prefix", "--log-level":
			// modules, comments and options of targets
		default:
			r.Other = append(r.Other, negText(isNeg)+strings.TrimSpace(opt+" "+val))
		}
	}
	return r
}

func negText(neg bool) string {
	if neg {
		return "! "
	}
	return ""
}

// iptablesPorts reads "22", "8000:8100" or a multiport list "22,80,8000:8100".
func iptablesPorts(s string) []PortRange {
	var out []PortRange
	for part := range strings.SplitSeq(s, ",") {
		a, b, isRange := strings.Cut(part, ":")
		from, err1 := strconv.Atoi(a)
		to := from
		var err2 error
		if isRange {
			to, err2 = strconv.Atoi(b)
			if a == "" {
				from, err1 = 0, nil
			}
			if b == "" {
				to, err2 = 65535, nil
			}
		}
		if err1 != nil || err2 != nil || from < 0 || to > 65535 || from > to {
			return nil
		}
		out = append(out, PortRange{from, to})
	}
	return out
}

// splitArgs splits an iptables-save line into words, honouring double
// quotes (comments) and backslash escapes inside them.
func splitArgs(s string) []string {
	var out []string
	var cur strings.Builder
	in, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == '"':
			quoted = !quoted
			in = true
		case !quoted && (c == ' ' || c == '\t'):
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}
