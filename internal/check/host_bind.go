package check

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

// hostBindChecks are the checks of a running BIND named's own
// configuration, judged by judgeHostBind from a host audit
// (facts.BindConfig): what a scan from one place can only sample, the
// configuration says for every client.
var hostBindChecks = []Check{
	{ID: "dns.config.recursion", Severity: finding.High, Title: "named's configuration offers recursion to any address",
		Rationale: "A resolver that resolves for anyone is used to amplify denial-of-service attacks and to poison its cache for its real clients. " +
			"vigil reads named.conf as named does (BIND 9.18): recursion defaults to yes, and allow-recursion, when not set, is allow-query-cache, else allow-query, else localnets and localhost; a view inherits the options. " +
			"It fires when recursion is on and that list lets any address in (any, 0.0.0.0/0, ::/0, or an acl that resolves to them), for a named that listens beyond loopback.",
		Fix:        "Set allow-recursion { localhost; localnets; }; (or your own networks) in the options block or the view, or recursion no; on an authoritative-only server; then reload named.",
		Frameworks: []string{hipaaAccess, gdprConfidential, cisSecureConfig, cisUnneeded, pciServices}},
	{ID: "dns.config.axfr", Severity: finding.High, Title: "named's configuration transfers a primary zone to anyone",
		Rationale: "A zone transfer hands over every name and address of the zone. In BIND 9.18 allow-transfer, when neither the zone, its view nor the options set it, allows transfers to all hosts. " +
			"vigil fires for each primary zone whose effective allow-transfer lets any address in, for a named that listens beyond loopback.",
		Fix:        "Set allow-transfer { none; }; in the options block and list only your secondaries (with a TSIG key) in the zones that need transfers; then reload named.",
		Frameworks: []string{hipaaAccess, gdprConfidential, cisSecureConfig, cisAccessControl, pciServices}},
	{ID: "dns.config.version", Severity: finding.Low, Title: "named's configuration does not hide its version",
		Rationale: "Without a version option named answers version.bind (CHAOS TXT) with its exact version, which tells anyone which exploits to look up. " +
			"vigil fires when the options set no version and the first CHAOS view, if any, serves version.bind from named's built-in version, for a named that listens beyond loopback.",
		Fix:        "Set version none; in the options block, then reload named.",
		Frameworks: []string{cisSecureConfig, pciServices}},
}

// haBindReach reports whether a named listens beyond loopback (its
// listeners, else its listen-on lists), and the addresses findings name.
func haBindReach(h *facts.HostAudit, c facts.BindConfig) (bool, []string) {
	beyond, seen := false, false
	for _, l := range h.Listeners {
		if l.PID == c.PID && c.PID > 0 {
			seen = true
			beyond = beyond || haBeyondLoopback(l.Address)
		}
	}
	var declared []string
	for _, a := range c.ListenOn {
		switch a = strings.ToLower(a); {
		case a == "none" || strings.HasPrefix(a, "!") || strings.HasPrefix(a, "{"):
			continue
		case a == "any":
			a = "0.0.0.0"
		}
		if !seen {
			beyond = beyond || haBeyondLoopback(a)
		}
		if !strings.Contains(a, "/") && a != "localnets" && a != "localhost" {
			declared = append(declared, a)
		}
	}
	return beyond, declared
}

// haBindReload says how to make a named re-read its configuration.
func haBindReload(h *facts.HostAudit, c facts.BindConfig) string {
	if u := haUnit(h, c.PID); u != "" {
		return "systemctl reload " + u
	}
	if c.PID > 0 {
		return fmt.Sprintf("kill -HUP %d (named re-reads its configuration and zones on SIGHUP), or rndc reconfig", c.PID)
	}
	return "rndc reconfig"
}

// haBindCheck is the command that checks the configuration.
func haBindCheck(c facts.BindConfig) string {
	if c.Chroot != "" {
		return fmt.Sprintf("named-checkconf -t %s %s", c.Chroot, c.ConfigFile)
	}
	return "named-checkconf " + c.ConfigFile
}

// haBindView names a view in evidence.
func haBindView(v facts.BindView) string {
	if v.Name == "" {
		return "named"
	}
	return fmt.Sprintf("named's view %q", v.Name)
}

func judgeHostBind(h *facts.HostAudit, _ time.Time) []finding.Finding {
	var out []finding.Finding
	for _, c := range h.Bind {
		if len(c.Incomplete) > 0 {
			continue // what vigil could not read may change any of it
		}
		beyond, declared := haBindReach(h, c)
		if !beyond {
			continue
		}
		targets := haTargets(h, c.PID, declared, 53)
		then := fmt.Sprintf("check it with `%s`, then reload named: %s.", haBindCheck(c), haBindReload(h, c))
		for _, v := range c.Views {
			if v.Unresolved != "" || !v.Recursion || !v.RecursionOpen {
				continue
			}
			rec := haOr(v.RecursionFrom, "recursion is not set, and named's default is yes")
			var acl string
			switch v.AllowRecursionBy {
			case "allow-recursion":
				acl = v.AllowRecursionFrom
			default:
				acl = fmt.Sprintf("allow-recursion is not set, so named uses %s: %s", v.AllowRecursionBy, v.AllowRecursionFrom)
			}
			ev := fmt.Sprintf("%s (pid %d) resolves recursively for any address: %s, and %s", haBindView(v), c.PID, rec, acl)
			where := "in the options block of " + c.ConfigFile
			if v.AllowRecursionBy == "allow-recursion" {
				where = "at " + haWhereToSet(v.AllowRecursionFrom, c.ConfigFile)
			}
			fix := fmt.Sprintf("Set allow-recursion { localhost; localnets; }; (or your own networks) %s, or recursion no; if this server only answers for its own zones; %s", where, then)
			out = append(out, haMake(targets, Hit{Check: "dns.config.recursion", Subject: v.Name, Evidence: ev, Fix: fix})...)
		}
		for _, v := range c.Views {
			for _, z := range v.Zones {
				if z.Unresolved != "" || !z.Primary() || !z.TransferOpen {
					continue
				}
				set := haOr(z.TransferFrom, "allow-transfer is set neither in the zone, its view nor the options, and BIND 9.18's default allows transfers to all hosts")
				ev := fmt.Sprintf("%s (pid %d) transfers primary zone %q (%s) to any address: %s", haBindView(v), c.PID, z.Name, z.Source, set)
				where := "in the options block of " + c.ConfigFile
				if z.TransferFrom != "" {
					where = "at " + haWhereToSet(z.TransferFrom, c.ConfigFile)
				}
				fix := fmt.Sprintf("Set allow-transfer { none; }; %s, and in zone %q list only your secondaries with a TSIG key (allow-transfer { key \"xfr-key\"; };); %s", where, z.Name, then)
				subject := z.Name
				if v.Name != "" {
					subject = v.Name + "/" + z.Name
				}
				out = append(out, haMake(targets, Hit{Check: "dns.config.axfr", Subject: subject, Evidence: ev, Fix: fix})...)
			}
		}
		if !c.VersionSet && (c.ChaosView == "" || c.ChaosVersion == "_builtin version") {
			ev := fmt.Sprintf("named (pid %d) tells its version to anyone who asks version.bind: the options set no version (%s)", c.PID, c.ConfigFile)
			if c.ChaosView != "" {
				ev += fmt.Sprintf(", and view %q serves version.bind from named's built-in version", c.ChaosView)
			}
			fix := fmt.Sprintf("Add version none; to the options block of %s; %s", c.ConfigFile, then)
			out = append(out, haMake(targets, Hit{Check: "dns.config.version", Evidence: ev, Fix: fix})...)
		}
	}
	return out
}
