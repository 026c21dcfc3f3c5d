package check

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

// hostApacheChecks are the checks judged from Apache httpd's configuration
// files, as a host audit read them (facts.ApacheConfig).
var hostApacheChecks = []Check{
	{ID: "http.config.status-public", Severity: finding.Medium, Title: "Apache httpd configuration shows server-status or server-info to anyone",
		Rationale: "mod_status and mod_info pages list client addresses, requested URLs, virtual hosts, loaded modules and the configuration itself: reconnaissance for an attacker. A <Location> that hands requests to them without a Require that limits who may ask serves them to everyone who reaches the server.",
		Fix:       "In the <Location> of the page, replace Require all granted with Require local (or Require ip of a management network), check the configuration (apache2ctl configtest), then reload Apache.", Frameworks: fwUnneeded},
	{ID: "http.config.trace", Severity: finding.Low, Title: "Apache httpd configuration leaves TRACE enabled",
		Rationale: "TraceEnable defaults to On: the server echoes TRACE requests back, headers included, which a script injection flaw can turn into cross-site tracing of cookies and authorisation headers. Nothing needs it in production.",
		Fix:       "Set TraceEnable Off server-wide and in each <VirtualHost> that sets it, check the configuration (apache2ctl configtest), then reload Apache.", Frameworks: fwUnneeded},
	{ID: "http.config.listing", Severity: finding.Medium, Title: "Apache httpd configuration lists directory contents",
		Rationale: "With Options Indexes and mod_autoindex loaded, a directory without an index page is answered with the list of its files, backups and exports included, files never meant to be linked.",
		Fix:       "In the <Directory> that the site serves, replace Indexes with -Indexes (or drop it from the Options list), check the configuration (apache2ctl configtest), then reload Apache.", Frameworks: fwUnneeded},
}

// haApacheEndpoint is one address and port an httpd answers on.
type haApacheEndpoint struct {
	target haTarget
	addr   netip.Addr
}

// haApacheEndpoints are where an httpd answers: its listeners (a listener
// on every address stands for each address of the machine), else its
// Listen directives.
func haApacheEndpoints(h *facts.HostAudit, c facts.ApacheConfig) []haApacheEndpoint {
	var declared []string
	for _, l := range c.Listen {
		if _, err := strconv.Atoi(l); err == nil {
			l = ":" + l
		}
		declared = append(declared, l)
	}
	var out []haApacheEndpoint
	for _, t := range haTargets(h, c.PID, declared, 0) {
		if t.port == 0 {
			continue // nothing says where it listens
		}
		a, _ := netip.ParseAddr(t.host)
		out = append(out, haApacheEndpoint{target: t, addr: a.Unmap().WithZone("")})
	}
	return out
}

// haApacheReload says how to check and reload an httpd.
func haApacheReload(h *facts.HostAudit, c facts.ApacheConfig) string {
	exe := c.Daemon.Exe
	if exe == "" {
		exe = "apache2"
	}
	check := "apache2ctl configtest"
	if c.ConfigFile != "/etc/apache2/apache2.conf" {
		check = exe + " -t -f " + c.ConfigFile
		if c.ServerRoot != "" {
			check += " -d " + c.ServerRoot
		}
	}
	reload := "reload Apache"
	switch u := haUnit(h, c.PID); {
	case u != "":
		reload = "reload Apache: systemctl reload " + u
	case c.PID > 0:
		reload = fmt.Sprintf("reload Apache gracefully: kill -USR1 %d", c.PID)
	}
	return fmt.Sprintf("check it with %s, then %s", check, reload)
}

// haApacheServerName names a server for evidence.
func haApacheServerName(s facts.ApacheServer) string {
	if len(s.VirtualHost) == 0 {
		return "the main server"
	}
	n := "<VirtualHost " + strings.Join(s.VirtualHost, " ") + ">"
	if s.ServerName != "" {
		n += " (" + s.ServerName + ")"
	}
	return n
}

func judgeHostApache(h *facts.HostAudit, _ time.Time) []finding.Finding {
	var out []finding.Finding
	for _, c := range h.Apache {
		if len(c.Unread) > 0 {
			continue // what the unread files set is unknown: nothing is judged
		}
		reload := haApacheReload(h, c)
		for _, e := range haApacheEndpoints(h, c) {
			if !haBeyondLoopback(e.target.host) {
				continue
			}
			where := net.JoinHostPort(e.target.host, strconv.Itoa(e.target.port))
			var trace, traceFix, status, statusFix, listing, listingFix []string
			for _, i := range c.ServersFor(e.addr, e.target.port) {
				s := c.Servers[i]
				if s.TraceEnable != "off" {
					src := s.Sources["TraceEnable"]
					trace = append(trace, fmt.Sprintf("%s has TraceEnable %s (%s)", haApacheServerName(s), s.TraceEnable,
						haSource(s.Sources, "TraceEnable", "not set: httpd's default is On")))
					switch {
					case src != "":
						traceFix = append(traceFix, "TraceEnable Off at "+haWhereToSet(src, c.ConfigFile))
					case len(s.VirtualHost) > 0:
						traceFix = append(traceFix, fmt.Sprintf("TraceEnable Off inside %s, which opens at %s", haApacheServerName(s), haWhereToSet(s.Section, c.ConfigFile)))
					default:
						traceFix = append(traceFix, "TraceEnable Off in "+c.ConfigFile)
					}
				}
				for _, d := range s.Listings {
					set := d.Options
					listing = append(listing, fmt.Sprintf("%s lists %s (%s)", haApacheServerName(s), d.Directory, set))
					listingFix = append(listingFix, "the Options line at "+haWhereToSet(set, c.ConfigFile))
				}
				for _, p := range s.StatusPages {
					if !p.Open {
						continue
					}
					access := "no Require line limits it"
					if len(p.Access) > 0 {
						access = "access: " + strings.Join(p.Access, "; ")
					}
					status = append(status, fmt.Sprintf("%s hands %s to %s (%s; %s)", haApacheServerName(s), p.Path, p.Handler, p.Section, access))
					statusFix = append(statusFix, fmt.Sprintf("the <Location %s> at %s", p.Path, haWhereToSet(p.Section, c.ConfigFile)))
				}
			}
			if len(trace) > 0 {
				out = append(out, MakeFinding(Hit{Check: "http.config.trace",
					Evidence: fmt.Sprintf("Apache httpd (pid %d, %s) answers TRACE on %s: %s", c.PID, c.ConfigFile, where, strings.Join(dedup(trace), "; ")),
					Fix:      fmt.Sprintf("Set %s; %s.", strings.Join(dedup(traceFix), ", and "), reload),
				}, e.target.host, e.target.port, e.target.transport))
			}
			if len(listing) > 0 {
				out = append(out, MakeFinding(Hit{Check: "http.config.listing",
					Evidence: fmt.Sprintf("Apache httpd (pid %d, %s) lists directories on %s: %s", c.PID, c.ConfigFile, where, strings.Join(dedup(listing), "; ")),
					Fix:      fmt.Sprintf("In %s, replace Indexes with -Indexes (or remove it from the list); %s.", strings.Join(dedup(listingFix), " and "), reload),
				}, e.target.host, e.target.port, e.target.transport))
			}
			if len(status) > 0 {
				out = append(out, MakeFinding(Hit{Check: "http.config.status-public",
					Evidence: fmt.Sprintf("Apache httpd (pid %d, %s) serves status pages to anyone on %s: %s", c.PID, c.ConfigFile, where, strings.Join(dedup(status), "; ")),
					Fix:      fmt.Sprintf("In %s, replace Require all granted with Require local (or Require ip of your management network), or add Require local when it has no Require; %s.", strings.Join(dedup(statusFix), " and "), reload),
				}, e.target.host, e.target.port, e.target.transport))
			}
		}
	}
	return out
}

// dedup drops repeated strings, keeping the first of each.
func dedup(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
