package check

import (
	"fmt"
	"net"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

// Host audits (vigil host) are judged per machine rather than per service:
// a HostJudge looks at everything one audit saw and makes complete findings.
//
// Findings about a listener name its bind address and port. A listener on
// every address (0.0.0.0, ::) gives one finding per address of the machine
// that is neither loopback nor link-local (IPv4 ones for 0.0.0.0, all for
// ::), or one on the host name when the machine has none. Findings about
// the machine as a whole name its host name with port 0.
//
// "Beyond loopback", for the configuration checks, means any address but
// 127.0.0.1, ::1 and localhost: other 127/8 aliases stand for hosts of
// their own, as in vigil's lab (127.0.2.18 is db-weak). The facts keep the
// kernel's view: Listener.Reachable is false on every loopback address.

// HostJudge inspects one host audit and reports findings.
type HostJudge func(h *facts.HostAudit, now time.Time) []finding.Finding

// hostJudges lists the host judges in the order they run.
var hostJudges = []HostJudge{
	judgeHostSSHD,
	judgeHostPostgreSQL,
	judgeHostRedis,
	judgeHostFTP,
	judgeHostBind,
	judgeHostSamba,
	judgeHostApache,
	judgeHostFirewallNone,
	judgeHostAllowedNoListener,
}

// configChecks are the checks of each kind of daemon's configuration (the
// daemon's kind in internal/trust), which a host audit judges only when it
// read that configuration whole (facts.HostAudit.Unjudged).
var configChecks = map[string][]string{
	"sshd":       {"ssh.config.root-login", "ssh.config.password-auth"},
	"postgresql": {"postgresql.config.trust", "postgresql.config.no-ssl"},
	"redis":      {"redis.config.no-auth"},
	"vsftpd":     {"ftp.config.anonymous"},
	"proftpd":    {"ftp.config.anonymous"},
	"named":      checkIDs(hostBindChecks),
	"smbd":       checkIDs(hostSambaChecks),
	"apache2":    checkIDs(hostApacheChecks),
}

// ConfigChecks returns the checks of a kind of daemon's configuration
// (nil for a kind whose configuration no check judges: nginx's is read
// for vigil fix only).
func ConfigChecks(kind string) []string { return slices.Clone(configChecks[kind]) }

// IsConfigCheck reports whether a check judges a daemon's configuration.
func IsConfigCheck(id string) bool {
	for _, ids := range configChecks {
		if slices.Contains(ids, id) {
			return true
		}
	}
	return false
}

func checkIDs(cs []Check) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// JudgeHostAudit runs every host judge over a host audit and returns the
// findings, worst first, each ID once.
func JudgeHostAudit(h *facts.HostAudit, now time.Time) []finding.Finding {
	if h == nil {
		return nil
	}
	var out []finding.Finding
	seen := map[string]bool{}
	for _, j := range hostJudges {
		for _, f := range j(h, now) {
			if !seen[f.ID] {
				seen[f.ID] = true
				out = append(out, f)
			}
		}
	}
	finding.Sort(out)
	return out
}

// haTarget is where a finding about a service points.
type haTarget struct {
	host      string
	port      int
	transport string
}

// haHostsFor maps a bind address to the hosts findings name (see above).
func haHostsFor(h *facts.HostAudit, bind string) []string {
	b := strings.Trim(bind, "[]")
	a, err := netip.ParseAddr(b)
	if b == "" || b == "*" || (err == nil && a.IsUnspecified()) {
		v4only := err == nil && a.Is4()
		var out []string
		for _, s := range h.Addresses {
			x, err := netip.ParseAddr(s)
			if err != nil || x.IsLoopback() || x.IsLinkLocalUnicast() || (v4only && !x.Unmap().Is4()) {
				continue
			}
			out = append(out, x.Unmap().WithZone("").String())
		}
		if len(out) == 0 {
			return []string{haHostname(h)}
		}
		return out
	}
	if err == nil {
		return []string{a.Unmap().WithZone("").String()}
	}
	return []string{b}
}

func haHostname(h *facts.HostAudit) string {
	if h.Hostname != "" {
		return h.Hostname
	}
	return "localhost"
}

// haListenersOf returns the TCP listeners a process holds.
func haListenersOf(h *facts.HostAudit, pid int) []facts.Listener {
	var out []facts.Listener
	if pid <= 0 {
		return nil
	}
	for _, l := range h.Listeners {
		if l.PID == pid && l.Transport == facts.TCP {
			out = append(out, l)
		}
	}
	return out
}

// haTargets returns where findings about a service go: its process's
// listeners, else the addresses its configuration declares ("addr:port" or
// bare addresses with port), else the host name with port 0.
func haTargets(h *facts.HostAudit, pid int, declared []string, port int) []haTarget {
	var out []haTarget
	add := func(hosts []string, p int) {
		for _, x := range hosts {
			t := haTarget{x, p, facts.TCP}
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	for _, l := range haListenersOf(h, pid) {
		add(haHostsFor(h, l.Address), l.Port)
	}
	if len(out) == 0 {
		for _, d := range declared {
			addr, p := d, port
			if host, ps, err := net.SplitHostPort(d); err == nil {
				if n, err := strconv.Atoi(ps); err == nil {
					addr, p = host, n
				}
			}
			if addr == "localhost" {
				addr = "127.0.0.1"
			}
			add(haHostsFor(h, addr), p)
		}
	}
	if len(out) == 0 {
		out = append(out, haTarget{haHostname(h), 0, ""})
	}
	return out
}

// haBeyondLoopback reports whether a bind address or listen_addresses
// entry reaches further than this machine's own loopback address.
func haBeyondLoopback(addr string) bool {
	a := strings.TrimPrefix(strings.Trim(strings.TrimSpace(addr), "[]"), "-")
	switch strings.ToLower(a) {
	case "", "127.0.0.1", "::1", "localhost", "ip6-localhost", "0:0:0:0:0:0:0:1":
		return false
	}
	return true
}

// haUnit returns the systemd unit of a process, from its listeners.
func haUnit(h *facts.HostAudit, pid int) string {
	for _, l := range h.Listeners {
		if l.PID == pid && pid > 0 && l.Unit != "" && strings.HasSuffix(l.Unit, ".service") {
			return l.Unit
		}
	}
	return ""
}

// haCmdline returns the command line of a process, from its listeners.
func haCmdline(h *facts.HostAudit, pid int) string {
	for _, l := range h.Listeners {
		if l.PID == pid && pid > 0 && l.Cmdline != "" {
			return l.Cmdline
		}
	}
	return ""
}

// haMake makes one finding per target.
func haMake(targets []haTarget, hit Hit) []finding.Finding {
	var out []finding.Finding
	for _, t := range targets {
		out = append(out, MakeFinding(hit, t.host, t.port, t.transport))
	}
	return out
}

// haSource says where a setting came from, or the fallback sentence.
func haSource(sources map[string]string, key, otherwise string) string {
	if s := sources[key]; s != "" {
		return s
	}
	return otherwise
}

// haLineOf extracts the line number from a "FILE:LINE: text" source.
func haLineOf(src, file string) string {
	rest, ok := strings.CutPrefix(src, file+":")
	if !ok {
		return ""
	}
	n, _, ok := strings.Cut(rest, ":")
	if _, err := strconv.Atoi(n); !ok || err != nil {
		return ""
	}
	return n
}

// haWhereToSet says where to change a setting: "line 12 of FILE" when the
// file sets it, "FILE" otherwise.
func haWhereToSet(src, file string) string {
	if n := haLineOf(src, file); n != "" {
		return "line " + n + " of " + file
	}
	if f, rest, ok := strings.Cut(src, ":"); ok && strings.HasPrefix(f, "/") {
		if n, _, ok := strings.Cut(rest, ":"); ok {
			if _, err := strconv.Atoi(n); err == nil {
				return "line " + n + " of " + f
			}
		}
	}
	return file
}

// --- sshd ---

// haSSHPasswordPossible reports whether sshd lets a user in with a password
// alone, and which settings allow it.
func haSSHPasswordPossible(eff map[string]string) (bool, []string) {
	pw := eff["passwordauthentication"] == "yes"
	kbd := eff["kbdinteractiveauthentication"] == "yes"
	var how []string
	if pw {
		how = append(how, "passwordauthentication")
	}
	if kbd {
		how = append(how, "kbdinteractiveauthentication")
	}
	if !pw && !kbd {
		return false, nil
	}
	am := strings.TrimSpace(eff["authenticationmethods"])
	if am == "" || am == "any" {
		return true, how
	}
	for _, list := range strings.Fields(am) {
		alone := true
		usable := false
		for m := range strings.SplitSeq(list, ",") {
			switch {
			case m == "password":
				usable = usable || pw
			case strings.HasPrefix(m, "keyboard-interactive"):
				usable = usable || kbd
			default:
				alone = false // publickey, hostbased, gssapi-with-mic: another factor
			}
		}
		if alone && usable {
			return true, how
		}
	}
	return false, nil
}

func haSSHReload(h *facts.HostAudit, c facts.SSHDConfig) string {
	check := "sshd -t -f " + c.ConfigFile
	if u := haUnit(h, c.PID); u != "" {
		return fmt.Sprintf("check the file with %s, then reload sshd: systemctl reload %s", check, u)
	}
	if c.PID > 0 {
		return fmt.Sprintf("check the file with %s, then reload sshd: kill -HUP %d", check, c.PID)
	}
	return fmt.Sprintf("check the file with %s, then reload sshd", check)
}

var haSSHKeywords = map[string]string{
	"permitrootlogin":              "PermitRootLogin",
	"passwordauthentication":       "PasswordAuthentication",
	"kbdinteractiveauthentication": "KbdInteractiveAuthentication",
	"authenticationmethods":        "AuthenticationMethods",
}

// haSSHSetting describes one effective setting and where it comes from.
func haSSHSetting(c facts.SSHDConfig, key string) string {
	name := haSSHKeywords[key]
	val := c.Effective[key]
	// When the values come from the files, the evidence says why vigil did
	// not ask sshd itself.
	why := ""
	if c.Method == "file" && c.Daemon.Note != "" {
		why = "; " + c.Daemon.Note
	}
	if src := c.Sources[key]; src != "" {
		return fmt.Sprintf("%s %s (%s%s)", name, val, src, why)
	}
	how := "sshd -T reports it"
	if c.Method == "file" {
		how = "sshd's default"
	}
	return fmt.Sprintf("%s %s (not set in %s: %s%s)", name, val, c.ConfigFile, how, why)
}

func judgeHostSSHD(h *facts.HostAudit, _ time.Time) []finding.Finding {
	var out []finding.Finding
	for _, c := range h.SSHD {
		if c.Effective == nil {
			continue
		}
		ok, how := haSSHPasswordPossible(c.Effective)
		if !ok {
			continue
		}
		var declared []string
		declared = append(declared, strings.Fields(c.Effective["listenaddress"])...)
		port, _ := strconv.Atoi(strings.Fields(c.Effective["port"] + " 0")[0])
		targets := haTargets(h, c.PID, declared, port)
		var parts []string
		for _, k := range how {
			parts = append(parts, haSSHSetting(c, k))
		}
		if am := c.Effective["authenticationmethods"]; am != "" && am != "any" {
			parts = append(parts, haSSHSetting(c, "authenticationmethods"))
		}
		reload := haSSHReload(h, c)
		var where []string
		for _, k := range []string{"passwordauthentication", "kbdinteractiveauthentication"} {
			where = append(where, fmt.Sprintf("%s no (%s)", haSSHKeywords[k], haWhereToSet(c.Sources[k], c.ConfigFile)))
		}
		out = append(out, haMake(targets, Hit{
			Check:    "ssh.config.password-auth",
			Evidence: "sshd accepts passwords: " + strings.Join(parts, "; "),
			Fix: fmt.Sprintf("Make sure your own key login works first. In %s set %s, before any Match block; %s.",
				c.ConfigFile, strings.Join(where, " and "), reload),
		})...)
		if c.Effective["permitrootlogin"] == "yes" {
			out = append(out, haMake(targets, Hit{
				Check:    "ssh.config.root-login",
				Evidence: fmt.Sprintf("root may log in with a password: %s, with %s", haSSHSetting(c, "permitrootlogin"), strings.Join(parts, "; ")),
				Fix: fmt.Sprintf("In %s set PermitRootLogin prohibit-password (%s), or no if root never logs in over SSH; %s.",
					c.ConfigFile, haWhereToSet(c.Sources["permitrootlogin"], c.ConfigFile), reload),
			})...)
		}
	}
	return out
}

// --- PostgreSQL ---

func haPGReload(h *facts.HostAudit, c facts.PostgreSQLConfig) string {
	if u := haUnit(h, c.PID); u != "" {
		return "systemctl reload " + u
	}
	if cmd := strings.Fields(haCmdline(h, c.PID)); len(cmd) > 0 && strings.HasPrefix(cmd[0], "/") && c.DataDir != "" {
		return fmt.Sprintf("runuser -u postgres -- %s reload -D %s", path.Join(path.Dir(cmd[0]), "pg_ctl"), c.DataDir)
	}
	if c.PID > 0 {
		return fmt.Sprintf("kill -HUP %d", c.PID)
	}
	return "SELECT pg_reload_conf(); as a superuser"
}

// haPGNetworkAddress reports whether a pg_hba address field matches clients
// beyond this machine's loopback.
func haPGNetworkAddress(a string) bool {
	switch strings.ToLower(a) {
	case "samehost", "localhost", "127.0.0.1/32", "::1/128":
		return false
	case "all", "samenet", "":
		return true
	}
	if p, err := netip.ParsePrefix(a); err == nil {
		return !p.Masked().Addr().IsLoopback() || p.Bits() < 8
	}
	if ip, err := netip.ParseAddr(a); err == nil {
		return !ip.IsLoopback()
	}
	return true // a host name or a .domain suffix
}

func judgeHostPostgreSQL(h *facts.HostAudit, _ time.Time) []finding.Finding {
	var out []finding.Finding
	for _, c := range h.PostgreSQL {
		var declared []string
		for _, a := range strings.Split(c.ListenAddresses, ",") {
			if a = strings.TrimSpace(a); a != "" {
				declared = append(declared, a)
			}
		}
		targets := haTargets(h, c.PID, declared, c.Port)
		reload := haPGReload(h, c)

		var lines []string
		var nums []string
		example := ""
		for _, l := range c.HBA {
			if !strings.HasPrefix(l.Type, "host") || l.Method != "trust" || !haPGNetworkAddress(l.Address) {
				continue
			}
			file := l.File
			if file == "" {
				file = c.HBAFile
			}
			text := l.Text
			if text == "" {
				text = strings.Join([]string{l.Type, l.Database, l.User, l.Address, l.Method}, " ")
			}
			lines = append(lines, fmt.Sprintf("%s:%d: %s", file, l.Line, text))
			nums = append(nums, strconv.Itoa(l.Line))
			if example == "" {
				example = strings.Join([]string{l.Type, l.Database, l.User, l.Address, "scram-sha-256"}, " ")
			}
		}
		if len(lines) > 0 {
			out = append(out, haMake(targets, Hit{
				Check:    "postgresql.config.trust",
				Evidence: "pg_hba.conf trusts network clients without a password: " + strings.Join(lines, "; "),
				Fix: fmt.Sprintf("First give each role that logs in over the network a password (ALTER ROLE name PASSWORD '…' in psql, with password_encryption = scram-sha-256). Then in %s replace trust with scram-sha-256 on line(s) %s (for example: %s), and reload PostgreSQL: %s.",
					c.HBAFile, strings.Join(nums, ", "), example, reload),
			})...)
		}

		beyond := false
		for _, a := range declared {
			beyond = beyond || haBeyondLoopback(a)
		}
		if !c.SSL && beyond {
			ssl := haSource(c.Sources, "ssl", "ssl is not set, and PostgreSQL's default is off")
			listen := haSource(c.Sources, "listen_addresses", "listen_addresses = '"+c.ListenAddresses+"'")
			out = append(out, haMake(targets, Hit{
				Check:    "postgresql.config.no-ssl",
				Evidence: fmt.Sprintf("TLS is off (%s) while PostgreSQL listens on %s (%s)", ssl, c.ListenAddresses, listen),
				Fix: fmt.Sprintf("In %s set ssl = on (%s) with ssl_cert_file and ssl_key_file naming a certificate and its key (readable by postgres only), and ssl_min_protocol_version = 'TLSv1.2'; change the host lines of %s to hostssl so clients must use it; then reload PostgreSQL: %s.",
					c.ConfigFile, haWhereToSet(c.Sources["ssl"], c.ConfigFile), c.HBAFile, reload),
			})...)
		}
	}
	return out
}

// --- Redis ---

func judgeHostRedis(h *facts.HostAudit, _ time.Time) []finding.Finding {
	var out []finding.Finding
	for _, c := range h.Redis {
		if c.RequirePass || c.ACLUsers {
			continue
		}
		beyond := false
		for _, b := range c.Bind {
			beyond = beyond || haBeyondLoopback(b)
		}
		for _, l := range haListenersOf(h, c.PID) {
			beyond = beyond || haBeyondLoopback(l.Address)
		}
		defaultBind := len(c.Bind) == 0 || (slices.Contains(c.Bind, "*") && c.Sources["bind"] == "")
		if !beyond || (c.ProtectedMode && defaultBind) {
			continue // protected mode refuses clients beyond loopback
		}
		var declared []string
		for _, b := range c.Bind {
			declared = append(declared, strings.TrimPrefix(b, "-"))
		}
		targets := haTargets(h, c.PID, declared, c.Port)
		pm := "protected-mode yes"
		if !c.ProtectedMode {
			pm = "protected-mode no"
		}
		ev := fmt.Sprintf("Redis needs no password: %s; no ACL user has one; it is bound to %s (%s); %s",
			haSource(c.Sources, "requirepass", "requirepass is not set"), strings.Join(c.Bind, " "),
			haSource(c.Sources, "bind", "bind is not set"), pm)
		var fix string
		restart := "restart Redis"
		if u := haUnit(h, c.PID); u != "" {
			restart = "restart Redis: systemctl restart " + u
		}
		if c.ConfigFile != "" {
			fix = fmt.Sprintf("In %s add the line `requirepass <a long random password>` (or define ACL users and `user default off`), or bind it to loopback only with `bind 127.0.0.1 -::1`; then %s and give the password to its clients.", c.ConfigFile, restart)
		} else {
			addr := "127.0.0.1"
			if len(targets) > 0 && targets[0].port > 0 {
				addr = targets[0].host
			}
			fix = fmt.Sprintf("Redis was started without a configuration file (its settings are on its command line). Set a password at once with `redis-cli -h %s -p %d CONFIG SET requirepass '<a long random password>'`, then add `--requirepass '<the same password>'` to the command that starts it (or start it with a redis.conf holding requirepass, or bind it to 127.0.0.1), so the password survives a restart.", addr, c.Port)
		}
		out = append(out, haMake(targets, Hit{Check: "redis.config.no-auth", Evidence: ev, Fix: fix})...)
	}
	return out
}

// --- FTP ---

func judgeHostFTP(h *facts.HostAudit, _ time.Time) []finding.Finding {
	var out []finding.Finding
	for _, c := range h.FTP {
		if !c.Anonymous {
			continue
		}
		var declared []string
		if c.ListenAddress != "" {
			declared = append(declared, c.ListenAddress)
		}
		targets := haTargets(h, c.PID, declared, c.Port)
		u := haUnit(h, c.PID)
		var ev, fix string
		switch c.Product {
		case "proftpd":
			ev = "proftpd allows anonymous logins: " + haSource(c.Sources, "<anonymous>", "an <Anonymous> block in "+c.ConfigFile)
			restart := "restart proftpd"
			if u != "" {
				restart = "restart proftpd: systemctl restart " + u
			}
			fix = fmt.Sprintf("Remove the <Anonymous> … </Anonymous> block (%s), check the file with `proftpd -t -c %s`, then %s.", haWhereToSet(c.Sources["<anonymous>"], c.ConfigFile), c.ConfigFile, restart)
		default:
			ev = "vsftpd allows anonymous logins: " + haSource(c.Sources, "anonymous_enable",
				"anonymous_enable is not set in "+c.ConfigFile+", and vsftpd's built-in default is YES")
			restart := "restart vsftpd"
			switch {
			case u != "":
				restart = "restart vsftpd: systemctl restart " + u
			case c.PID > 0:
				restart = fmt.Sprintf("make vsftpd re-read it: kill -HUP %d", c.PID)
			}
			fix = fmt.Sprintf("In %s set anonymous_enable=NO (%s), then %s.", c.ConfigFile, haWhereToSet(c.Sources["anonymous_enable"], c.ConfigFile), restart)
		}
		out = append(out, haMake(targets, Hit{Check: "ftp.config.anonymous", Evidence: ev, Fix: fix})...)
	}
	return out
}

// --- firewall ---

// haEndpoint formats a bind address and port: 0.0.0.0:22, [::]:22.
func haEndpoint(addr string, port int) string {
	return net.JoinHostPort(strings.Trim(addr, "[]"), strconv.Itoa(port))
}

// haHolder names a listener's process: sshd (pid 812), or an unknown process.
func haHolder(l facts.Listener) string {
	if l.Process == "" {
		return "an unknown process"
	}
	if l.PID > 0 {
		return fmt.Sprintf("%s (pid %d)", l.Process, l.PID)
	}
	return l.Process
}

func judgeHostFirewallNone(h *facts.HostAudit, _ time.Time) []finding.Finding {
	fw := h.Firewall
	if fw.Filtering || fw.Kind == "" {
		return nil // filtering, or the rules could not be read
	}
	var exposed []facts.Listener
	ports := map[string][]int{}
	for _, l := range h.Listeners {
		a, err := netip.ParseAddr(strings.Trim(l.Address, "[]"))
		if !l.Reachable || (err == nil && a.Unmap().IsLoopback()) {
			continue
		}
		exposed = append(exposed, l)
		if !slices.Contains(ports[l.Transport], l.Port) {
			ports[l.Transport] = append(ports[l.Transport], l.Port)
		}
	}
	if len(exposed) == 0 {
		return nil
	}
	var state string
	switch fw.Kind {
	case "none":
		state = "no nftables or iptables rule filters inbound traffic"
		if fw.Source != "" {
			state += " (" + fw.Source + ")"
		}
	default:
		state = fmt.Sprintf("the %s rules drop nothing inbound (input policy %s, no drop or reject rule)", fw.Kind, haOr(fw.InputPolicy, "accept"))
	}
	const show = 8
	var ls []string
	for i, l := range exposed {
		if i == show {
			ls = append(ls, fmt.Sprintf("and %d more", len(exposed)-show))
			break
		}
		ls = append(ls, fmt.Sprintf("%s/%s (%s)", haEndpoint(l.Address, l.Port), l.Transport, haHolder(l)))
	}
	var rules []string
	for _, tr := range []string{facts.TCP, facts.UDP} {
		ps := ports[tr]
		if len(ps) == 0 {
			continue
		}
		slices.Sort(ps)
		var s []string
		for _, p := range ps {
			s = append(s, strconv.Itoa(p))
		}
		rules = append(rules, fmt.Sprintf("    %s dport { %s } accept", tr, strings.Join(s, ", ")))
	}
	fix := "Write /etc/nftables.conf with a default-deny input chain that accepts only the ports other machines need (the ports listening now are listed; drop the ones nothing outside uses, and keep the SSH port you manage this machine through, or you lock yourself out):\n" +
		"  flush ruleset\n  table inet filter {\n    chain input {\n      type filter hook input priority 0; policy drop;\n      iif \"lo\" accept\n      ct state established,related accept\n      ct state invalid drop\n      meta l4proto { icmp, ipv6-icmp } accept\n" +
		strings.ReplaceAll(strings.Join(rules, "\n"), "    ", "      ") + "\n    }\n  }\n" +
		"then check it with `nft -c -f /etc/nftables.conf`, load it with `nft -f /etc/nftables.conf` and keep it across reboots with `systemctl enable nftables`."
	hit := Hit{Check: "firewall.none",
		Evidence: fmt.Sprintf("%s, and %d listener(s) are reachable from other machines: %s", state, len(exposed), strings.Join(ls, ", ")),
		Fix:      fix}
	return []finding.Finding{MakeFinding(hit, haHostname(h), 0, "")}
}

func haOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func judgeHostAllowedNoListener(h *facts.HostAudit, _ time.Time) []finding.Finding {
	fw := h.Firewall
	if fw.Kind == "" || fw.Kind == "none" {
		return nil
	}
	var out []finding.Finding
	seen := map[string]bool{}
	for _, r := range fw.Allowed {
		if r.Port <= 0 || r.PortEnd > 0 || (r.Transport != facts.TCP && r.Transport != facts.UDP) {
			continue // every port, or a range (passive FTP and the like): not one service
		}
		subject := r.Transport + "/" + strconv.Itoa(r.Port)
		if seen[subject] {
			continue
		}
		var loopback []string
		listening := false
		for _, l := range h.Listeners {
			if l.Transport != r.Transport || l.Port != r.Port {
				continue
			}
			a, err := netip.ParseAddr(strings.Trim(l.Address, "[]"))
			if err == nil && a.Unmap().IsLoopback() {
				loopback = append(loopback, haEndpoint(l.Address, l.Port))
				continue
			}
			listening = true
		}
		if listening {
			continue
		}
		seen[subject] = true
		from := "from anywhere"
		if r.From != "" {
			from = "from " + r.From
		}
		ev := fmt.Sprintf("%s accepts %s %s (%s), but nothing listens on that port", fw.Kind, subject, from, haRuleWhere(r))
		if len(loopback) > 0 {
			ev += " beyond loopback (only " + strings.Join(loopback, ", ") + ", which the rule cannot reach)"
		}
		out = append(out, MakeFinding(Hit{Check: "port.allowed-no-listener", Subject: subject, Evidence: ev, Fix: haRuleFix(fw.Kind, r)}, haHostname(h), 0, r.Transport))
	}
	return out
}

// haRuleWhere names a rule for evidence.
func haRuleWhere(r facts.PortRule) string {
	where := strings.TrimSpace(strings.Join([]string{r.Family, r.Table, r.Chain}, " "))
	text := r.Rule
	if r.Handle > 0 {
		text += fmt.Sprintf(" # handle %d", r.Handle)
	}
	if where == "" {
		return "rule: " + text
	}
	return fmt.Sprintf("chain %s, rule: %s", where, text)
}

// haRuleFix is the exact command that removes the port from the rule.
func haRuleFix(kind string, r facts.PortRule) string {
	port := strconv.Itoa(r.Port)
	persist := "and remove it from the file your rules are loaded from at boot (/etc/nftables.conf on Debian)"
	switch {
	case kind == "nftables" && r.Set != "":
		return fmt.Sprintf("If nothing should listen on %s/%s any more, remove the port from the set: `nft delete element %s %s %s { %s }`, %s.", r.Transport, port, r.Family, r.Table, r.Set, port, persist)
	case kind == "nftables" && r.Handle > 0 && !strings.Contains(r.Rule, "{"):
		return fmt.Sprintf("If nothing should listen on %s/%s any more, delete the rule: `nft delete rule %s %s %s handle %d`, %s.", r.Transport, port, r.Family, r.Table, r.Chain, r.Handle, persist)
	case kind == "nftables" && r.Handle > 0:
		return fmt.Sprintf("If nothing should listen on %s/%s any more, take %s out of the rule's port set: `nft -a list chain %s %s %s` shows it as handle %d; replace it with `nft replace rule %s %s %s handle %d …` (the same rule without %s), %s.",
			r.Transport, port, port, r.Family, r.Table, r.Chain, r.Handle, r.Family, r.Table, r.Chain, r.Handle, port, persist)
	case kind == "iptables" && strings.HasPrefix(r.Rule, "-A ") && !strings.Contains(r.Rule, "--dports"):
		cmd := "iptables"
		if r.Family == "ip6" {
			cmd = "ip6tables"
		}
		return fmt.Sprintf("If nothing should listen on %s/%s any more, delete the rule: `%s -D %s`, and save the rules (netfilter-persistent save on Debian).", r.Transport, port, cmd, strings.TrimPrefix(r.Rule, "-A "))
	}
	return fmt.Sprintf("If nothing should listen on %s/%s any more, remove the port from the firewall rule that accepts it (%s).", r.Transport, port, r.Rule)
}
