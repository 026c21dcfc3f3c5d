package check

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

// Observation methods, as facts.Observation.Method names them.
const (
	ObserveAFPacket  = "af_packet"
	ObserveConntrack = "conntrack"
	ObserveProc      = "proc"
)

// JudgeUnused reports port.open-unused for every listener that can be
// reached from beyond the host (Listener.Reachable) and got no inbound
// connection during the observation window. Listeners bound to loopback are
// never reported, whatever the audit says of their reachability. A UDP
// listener is judged only when the method could see UDP (not with "proc",
// which sees TCP sockets only). Without an observation it reports nothing.
//
// Findings name hosts as the other host-audit findings do: the bind
// address, or for a listener on every address each of the machine's
// addresses beyond loopback and link-local (the host name when it has
// none). Listeners of one port and transport that map to the same host
// (0.0.0.0 and :: on one address) are one finding.
func JudgeUnused(h *facts.HostAudit) []finding.Finding {
	if h == nil || h.Observation == nil {
		return nil
	}
	obs := h.Observation
	type key struct {
		host, transport string
		port            int
	}
	groups := map[key][]facts.Listener{}
	var order []key
	for _, l := range h.Listeners {
		if !l.Reachable || l.Port <= 0 || loopbackBind(l.Address) {
			continue
		}
		tr := strings.ToLower(l.Transport)
		if tr != facts.TCP && tr != facts.UDP {
			continue
		}
		if tr == facts.UDP && obs.Method == ObserveProc {
			continue
		}
		if obs.Connections[ConnKey(tr, l.Port)] > 0 {
			continue
		}
		// The same hosts as the other host-audit findings name (host.go):
		// a listener on every address is one finding per address.
		for _, host := range haHostsFor(h, l.Address) {
			k := key{host, tr, l.Port}
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], l)
		}
	}
	var out []finding.Finding
	for _, k := range order {
		ls := groups[k]
		hit := Hit{Check: "port.open-unused", Evidence: unusedEvidence(obs, ls), Fix: unusedFix(h, ls[0])}
		out = append(out, MakeFinding(hit, k.host, k.port, k.transport))
	}
	finding.Sort(out)
	return out
}

// ConnKey is the key of facts.Observation.Connections for a port:
// "tcp/9000".
func ConnKey(transport string, port int) string {
	return strings.ToLower(transport) + "/" + strconv.Itoa(port)
}

// wildcardBind reports whether a bind address means every address.
func wildcardBind(bind string) bool {
	switch strings.Trim(bind, "[]") {
	case "", "*", "0.0.0.0", "::", "::ffff:0.0.0.0":
		return true
	}
	return false
}

// loopbackBind reports whether a bind address is a loopback address.
func loopbackBind(bind string) bool {
	a, err := netip.ParseAddr(strings.Trim(bind, "[]"))
	return err == nil && a.Unmap().IsLoopback()
}

// hostPort formats a bind address and port: 0.0.0.0:9000, [::]:9000.
func hostPort(addr string, port int) string {
	a := strings.Trim(addr, "[]")
	if a == "" || a == "*" {
		a = "0.0.0.0"
	}
	if strings.Contains(a, ":") {
		return "[" + a + "]:" + strconv.Itoa(port)
	}
	return a + ":" + strconv.Itoa(port)
}

// holder describes the process that holds a listener: python3 (pid 1234,
// user www-data, unit web.service).
func holder(l facts.Listener) string {
	name := l.Process
	if name == "" {
		name = "an unknown process"
	}
	var parts []string
	if l.PID > 0 {
		parts = append(parts, "pid "+strconv.Itoa(l.PID))
	}
	if l.User != "" {
		parts = append(parts, "user "+l.User)
	}
	if l.Unit != "" {
		parts = append(parts, "unit "+l.Unit)
	}
	if len(parts) == 0 {
		return name
	}
	return name + " (" + strings.Join(parts, ", ") + ")"
}

func unusedEvidence(obs *facts.Observation, ls []facts.Listener) string {
	var addrs []string
	for _, l := range ls {
		if a := hostPort(l.Address, l.Port); !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	l := ls[0]
	s := fmt.Sprintf("%s listens on %s/%s", holder(l), strings.Join(addrs, " and "), l.Transport)
	if l.Reason != "" {
		s += ", reachable from other hosts (" + l.Reason + ")"
	} else {
		s += ", reachable from other hosts"
	}
	return s + "; no inbound connection in " + observedFor(obs, l.Transport)
}

// observedFor says how long and how connections were watched: "20s of SYN
// capture".
func observedFor(obs *facts.Observation, transport string) string {
	d := HumanDuration(obs.Ended.Sub(obs.Started))
	switch obs.Method {
	case ObserveAFPacket:
		if transport == facts.UDP {
			return d + " of packet capture (UDP datagrams to the port)"
		}
		return d + " of SYN capture"
	case ObserveConntrack:
		return d + " of connection tracking (conntrack NEW events)"
	case ObserveProc:
		return d + " of socket-table polling (connections shorter than the poll interval are missed)"
	}
	if obs.Method == "" {
		return d + " of observation"
	}
	return d + " of observation (" + obs.Method + ")"
}

// HumanDuration writes a window the way people say it: 20s, 5m, 1h30m, 24h.
func HumanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Second {
		return "under a second"
	}
	h, m, sec := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	var b strings.Builder
	if h > 0 {
		b.WriteString(strconv.Itoa(h) + "h")
	}
	if m > 0 {
		b.WriteString(strconv.Itoa(m) + "m")
	}
	if sec > 0 {
		b.WriteString(strconv.Itoa(sec) + "s")
	}
	return b.String()
}

// unusedFix gives the three ways to close a listener, exactly.
func unusedFix(h *facts.HostAudit, l facts.Listener) string {
	var b strings.Builder
	b.WriteString("Nothing used this port while vigil watched; close it in one of three ways. ")
	b.WriteString("(1) Stop the service and keep it from starting again: ")
	b.WriteString(StopCommand(l))
	b.WriteString(". (2) If only this machine needs it, bind it to loopback: ")
	b.WriteString(LoopbackBind(h, l))
	b.WriteString(". (3) Or block the port in the firewall, keeping the service for local use: ")
	b.WriteString(FirewallCommand(h, l))
	b.WriteString(".")
	return b.String()
}

// StopCommand is how to stop and disable what holds a listener: its systemd
// unit when known, else the process.
func StopCommand(l facts.Listener) string {
	if l.Unit != "" {
		if strings.HasSuffix(l.Unit, ".socket") {
			svc := strings.TrimSuffix(l.Unit, ".socket") + ".service"
			return "systemctl disable --now " + l.Unit + " " + svc
		}
		return "systemctl disable --now " + l.Unit
	}
	if l.PID > 0 {
		s := fmt.Sprintf("kill %d (%s", l.PID, nonEmpty(l.Process, "the process"))
		if l.Cmdline != "" {
			s += ", started as: " + shortCmd(l.Cmdline)
		}
		return s + "), then remove whatever starts it at boot (a cron @reboot line, /etc/rc.local, a container or a user's session)"
	}
	return "stop the program that listens on the port (find it with: ss -ltnup 'sport = :" + strconv.Itoa(l.Port) + "')"
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// shortCmd caps a command line for evidence.
func shortCmd(c string) string {
	c = strings.Join(strings.Fields(c), " ")
	if r := []rune(c); len(r) > 120 {
		return string(r[:120]) + "…"
	}
	return c
}

// restartCmd is how to apply a configuration change to a listener's
// service.
func restartCmd(l facts.Listener, fallback string) string {
	if l.Unit != "" {
		return "systemctl restart " + l.Unit
	}
	return fallback
}

// LoopbackBind is the exact configuration change that binds a known
// product to loopback only; for other software, what to look for.
func LoopbackBind(h *facts.HostAudit, l facts.Listener) string {
	port := strconv.Itoa(l.Port)
	proc := strings.ToLower(l.Process)
	switch {
	case proc == "sshd":
		file := "/etc/ssh/sshd_config"
		for _, c := range h.SSHD {
			if c.ConfigFile != "" && (c.PID == l.PID || file == "/etc/ssh/sshd_config") {
				file = c.ConfigFile
			}
		}
		return fmt.Sprintf("in %s replace the ListenAddress lines with \"ListenAddress 127.0.0.1:%s\" and \"ListenAddress [::1]:%s\", check it with sshd -t -f %s, then %s",
			file, port, port, file, restartCmd(l, "restart sshd"))
	case proc == "postgres" || proc == "postmaster":
		file := "/etc/postgresql/VERSION/main/postgresql.conf"
		for _, c := range h.PostgreSQL {
			if c.ConfigFile != "" && (c.PID == l.PID || c.Port == l.Port) {
				file = c.ConfigFile
			}
		}
		return fmt.Sprintf("in %s set listen_addresses = 'localhost', then %s", file,
			restartCmd(l, "restart PostgreSQL (pg_ctlcluster VERSION main restart)"))
	case proc == "redis-server":
		file := "/etc/redis/redis.conf"
		for _, c := range h.Redis {
			if c.ConfigFile != "" && (c.PID == l.PID || c.Port == l.Port) {
				file = c.ConfigFile
			}
		}
		return fmt.Sprintf("in %s set \"bind 127.0.0.1 -::1\", then %s (or at once: redis-cli -p %s CONFIG SET bind \"127.0.0.1 -::1\")",
			file, restartCmd(l, "restart redis-server"), port)
	case proc == "memcached":
		return "in /etc/memcached.conf set \"-l 127.0.0.1\" (or add -l 127.0.0.1 to its command line), then " + restartCmd(l, "restart memcached")
	case proc == "mosquitto":
		return fmt.Sprintf("in /etc/mosquitto/mosquitto.conf (or the file its -c names) write the listener as \"listener %s 127.0.0.1\", then %s",
			port, restartCmd(l, "restart mosquitto"))
	case proc == "nginx":
		file := "/etc/nginx/nginx.conf"
		for _, c := range h.Nginx {
			if c.ConfigFile != "" {
				file = c.ConfigFile
			}
		}
		return fmt.Sprintf("in the server blocks of %s (and the files it includes, e.g. /etc/nginx/sites-enabled/) write \"listen 127.0.0.1:%s;\" and \"listen [::1]:%s;\" instead of \"listen %s;\", check it with nginx -t -c %s, then %s",
			file, port, port, port, file, restartCmd(l, "nginx -s reload"))
	case proc == "vsftpd":
		file := "/etc/vsftpd.conf"
		for _, c := range h.FTP {
			if c.ConfigFile != "" && (c.PID == l.PID || c.Product == "vsftpd") {
				file = c.ConfigFile
			}
		}
		return fmt.Sprintf("in %s set listen=YES, listen_ipv6=NO and listen_address=127.0.0.1, then %s", file, restartCmd(l, "restart vsftpd"))
	case proc == "proftpd":
		return "in /etc/proftpd/proftpd.conf set \"DefaultAddress 127.0.0.1\" and \"SocketBindTight on\", then " + restartCmd(l, "restart proftpd")
	case proc == "mysqld" || proc == "mariadbd":
		return "in /etc/mysql/mariadb.conf.d/50-server.cnf (MySQL: /etc/mysql/mysql.conf.d/mysqld.cnf), section [mysqld], set bind-address = 127.0.0.1, then " + restartCmd(l, "restart the database server")
	case proc == "mongod":
		return "in /etc/mongod.conf set net.bindIp: 127.0.0.1, then " + restartCmd(l, "restart mongod")
	case proc == "apache2" || proc == "httpd":
		return fmt.Sprintf("in /etc/apache2/ports.conf (httpd.conf on RHEL) write \"Listen 127.0.0.1:%s\" instead of \"Listen %s\", check it with apachectl configtest, then %s", port, port, restartCmd(l, "apachectl graceful"))
	case proc == "dovecot":
		return "in /etc/dovecot/dovecot.conf set \"listen = 127.0.0.1, ::1\", then " + restartCmd(l, "restart dovecot")
	case proc == "master" && strings.Contains(l.Cmdline, "postfix"), proc == "smtpd" && strings.Contains(l.Cmdline, "postfix"):
		return "run postconf -e 'inet_interfaces = loopback-only', then " + restartCmd(l, "postfix stop && postfix start")
	case proc == "exim4" || proc == "exim":
		return "in /etc/exim4/update-exim4.conf.conf set dc_local_interfaces='127.0.0.1 ; ::1', run update-exim4.conf, then " + restartCmd(l, "restart exim4")
	case proc == "slapd":
		return "in /etc/default/slapd set SLAPD_SERVICES=\"ldap://127.0.0.1/ ldapi:///\", then " + restartCmd(l, "restart slapd")
	case proc == "snmpd":
		return fmt.Sprintf("in /etc/snmp/snmpd.conf set \"agentAddress udp:127.0.0.1:%s\", then %s", port, restartCmd(l, "restart snmpd"))
	case proc == "named":
		return "in /etc/bind/named.conf.options set listen-on { 127.0.0.1; }; and listen-on-v6 { ::1; };, check it with named-checkconf, then " + restartCmd(l, "rndc reconfig")
	case proc == "dnsmasq":
		return "in /etc/dnsmasq.conf set listen-address=127.0.0.1 and bind-interfaces, then " + restartCmd(l, "restart dnsmasq")
	case proc == "unbound":
		return "in /etc/unbound/unbound.conf, section server:, set interface: 127.0.0.1 and interface: ::1, then " + restartCmd(l, "restart unbound")
	case proc == "chronyd":
		return "in /etc/chrony/chrony.conf set \"bindaddress 127.0.0.1\" (or \"port 0\" if this machine serves time to no one), then " + restartCmd(l, "restart chrony")
	case proc == "ntpd":
		return "in /etc/ntp.conf (or /etc/ntpsec/ntp.conf) add \"interface ignore wildcard\" and \"interface listen 127.0.0.1\", then " + restartCmd(l, "restart ntp")
	case proc == "cupsd":
		return fmt.Sprintf("in /etc/cups/cupsd.conf replace \"Port %s\" with \"Listen localhost:%s\", then %s", port, port, restartCmd(l, "restart cups"))
	case proc == "rpcbind":
		return "rpcbind serves NFS clients of other machines; if this machine exports nothing, stop it (option 1); rpcbind has no loopback-only switch for TCP"
	case proc == "smbd" || proc == "nmbd":
		return "in /etc/samba/smb.conf, section [global], set \"interfaces = lo\" and \"bind interfaces only = yes\", then " + restartCmd(l, "restart smbd nmbd")
	case proc == "docker-proxy":
		return "publish the container's port on loopback only: docker run -p 127.0.0.1:" + port + ":PORT (or \"127.0.0.1:" + port + ":PORT\" under ports: in docker-compose.yml), then recreate the container"
	case proc == "java" || proc == "node" || strings.HasPrefix(proc, "python") || proc == "ruby" || proc == "php" || proc == "php-fpm" || proc == "gunicorn" || proc == "uwsgi":
		return fmt.Sprintf("start the program with a loopback bind address (127.0.0.1:%s instead of 0.0.0.0:%s): its option or setting is usually called host, bind or listen%s",
			port, port, cmdNote(l))
	}
	return fmt.Sprintf("set the program's bind or listen address to 127.0.0.1 (and ::1) instead of %s, in its configuration or command line%s, then restart it",
		hostPort(l.Address, l.Port), cmdNote(l))
}

func cmdNote(l facts.Listener) string {
	if l.Cmdline == "" {
		return ""
	}
	return " (it was started as: " + shortCmd(l.Cmdline) + ")"
}

// VigilTable is the nftables table vigil's firewall fixes add their rules to.
const VigilTable = "vigil"

// FirewallRule is the nftables rule that drops traffic from other hosts to
// a listener: its port, and its address when it is bound to one.
// Loopback traffic is kept, so local clients still work.
func FirewallRule(l facts.Listener) string {
	var b strings.Builder
	b.WriteString(`iifname != "lo" `)
	if !wildcardBind(l.Address) {
		if a, err := netip.ParseAddr(strings.Trim(l.Address, "[]")); err == nil {
			a = a.Unmap().WithZone("")
			if a.Is4() {
				b.WriteString("ip daddr " + a.String() + " ")
			} else {
				b.WriteString("ip6 daddr " + a.String() + " ")
			}
		}
	}
	tr := strings.ToLower(l.Transport)
	if tr != facts.UDP {
		tr = facts.TCP
	}
	b.WriteString(tr + " dport " + strconv.Itoa(l.Port) + " drop")
	return b.String()
}

// FirewallCommand is the exact command that blocks a listener from other
// hosts: nftables (vigil's own table, created when missing, so no existing
// rule is touched), or iptables when the host filters with iptables.
func FirewallCommand(h *facts.HostAudit, l facts.Listener) string {
	if h != nil && h.Firewall.Kind == "iptables" {
		tr := strings.ToLower(l.Transport)
		if tr != facts.UDP {
			tr = facts.TCP
		}
		dst := ""
		bin := "iptables"
		if !wildcardBind(l.Address) {
			if a, err := netip.ParseAddr(strings.Trim(l.Address, "[]")); err == nil {
				a = a.Unmap().WithZone("")
				dst = " -d " + a.String()
				if a.Is6() {
					bin = "ip6tables"
				}
			}
		}
		rule := fmt.Sprintf("-I INPUT ! -i lo%s -p %s --dport %d -j DROP", dst, tr, l.Port)
		if dst == "" {
			return "iptables " + rule + " && ip6tables " + rule + " (then save them, e.g. netfilter-persistent save)"
		}
		return bin + " " + rule + " (then save it, e.g. netfilter-persistent save)"
	}
	return fmt.Sprintf("nft add table inet %s && nft add chain inet %s input '{ type filter hook input priority 0; }' && nft add rule inet %s input %s (vigil fix applies exactly this and can roll it back; to keep it after a reboot, add the table to /etc/nftables.conf)",
		VigilTable, VigilTable, VigilTable, FirewallRule(l))
}
