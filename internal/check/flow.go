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
	"github.com/vigilsec/vigil/internal/proto"
)

// JudgeFlows joins the live connections a host audit saw (HostAudit.Flows)
// with what a network scan knows of their server side, and reports
// flow.cleartext for each connection whose server speaks only cleartext.
// The server side is the remote end of an outbound flow and the local
// listener of an inbound one. scanned are the hosts of the newest network
// scan; a flow whose server that scan did not see, or saw without enough
// evidence to tell, is not judged.
//
// One finding is made per server port and client address (the subject), so
// a client that reconnects keeps the same finding ID; its evidence names up
// to three of the connections. Flows whose two ends are the same address
// never leave the machine and are not judged.
func JudgeFlows(h *facts.HostAudit, scanned []facts.Host, now time.Time) []finding.Finding {
	if h == nil || len(h.Flows) == 0 || len(scanned) == 0 {
		return nil
	}
	_ = now // judges take the moment the facts describe; this one needs no clock
	idx := newServiceIndex(scanned)
	local := map[netip.Addr]bool{}
	for _, a := range h.Addresses {
		if p, err := parseAddr(a); err == nil {
			local[p] = true
		}
	}
	type key struct {
		server netip.AddrPort
		tr     string
		client netip.Addr
	}
	type group struct {
		svc   *facts.Service
		what  string
		conns []*conn
	}
	groups := map[key]*group{}
	var order []key
	for _, f := range h.Flows {
		tr := strings.ToLower(f.Transport)
		if tr == "" {
			tr = facts.TCP
		}
		lo, err1 := parseAddrPort(f.Local)
		re, err2 := parseAddrPort(f.Remote)
		if err1 != nil || err2 != nil || lo.Addr() == re.Addr() {
			continue
		}
		server, client := re, lo
		if f.Direction == "in" {
			server, client = lo, re
		}
		svc := idx.find(server, tr)
		if svc == nil && f.Direction == "in" && !boundToOnly(h, server, tr) {
			// A listener on every address is the same service whichever of
			// the machine's addresses the scan reached it on.
			svc = idx.findLocal(server.Port(), tr, local)
		}
		if svc == nil {
			continue
		}
		what, ok := cleartextOnly(svc)
		if !ok {
			continue
		}
		k := key{server, tr, client.Addr()}
		g := groups[k]
		if g == nil {
			g = &group{svc: svc, what: what}
			groups[k] = g
			order = append(order, k)
		}
		// Both ends of one connection on this machine are one connection.
		var c *conn
		for _, x := range g.conns {
			if x.client == client {
				c = x
			}
		}
		if c == nil {
			c = &conn{client: client, server: server}
			g.conns = append(g.conns, c)
		}
		if p := procWords(f); p != "" {
			if f.Direction == "in" {
				c.serverProc = p
			} else {
				c.clientProc = p
			}
		}
	}
	var out []finding.Finding
	for _, k := range order {
		g := groups[k]
		const show = 3
		var parts []string
		for i, c := range g.conns {
			if i == show {
				break
			}
			parts = append(parts, c.sentence(g.what))
		}
		ev := strings.Join(parts, "; ")
		if n := len(g.conns) - show; n > 0 {
			ev += fmt.Sprintf("; and %d more connection(s) between the same hosts", n)
		}
		hit := Hit{Check: "flow.cleartext", Subject: k.client.String(), Evidence: ev, Fix: flowFix(g.svc, k.server)}
		out = append(out, MakeFinding(hit, k.server.Addr().String(), int(k.server.Port()), k.tr))
	}
	finding.Sort(out)
	return out
}

// conn is one connection between a client and a server, with the
// processes seen at either end.
type conn struct {
	client, server         netip.AddrPort
	clientProc, serverProc string
}

// procWords is "pid 1234 psql", or "" when the process is unknown.
func procWords(f facts.Flow) string {
	var p []string
	if f.PID > 0 {
		p = append(p, "pid "+strconv.Itoa(f.PID))
	}
	if f.Process != "" {
		p = append(p, f.Process)
	}
	return strings.Join(p, " ")
}

// sentence is the connection in words: "127.0.2.10:51234 talks to
// 127.0.2.18:5433 over PostgreSQL without TLS (the server refuses
// SSLRequest; pid 1234 psql)".
func (c *conn) sentence(what string) string {
	var procs []string
	if c.clientProc != "" {
		procs = append(procs, c.clientProc)
	}
	if c.serverProc != "" {
		procs = append(procs, "server "+c.serverProc)
	}
	s := c.client.String() + " talks to " + c.server.String() + " over " + what
	if len(procs) > 0 {
		p := strings.Join(procs, ", ")
		if strings.HasSuffix(s, ")") {
			s = s[:len(s)-1] + "; " + p + ")"
		} else {
			s += " (" + p + ")"
		}
	}
	return s
}

// serviceIndex finds scanned services by address and port.
type serviceIndex map[netip.Addr]*facts.Host

func newServiceIndex(hosts []facts.Host) serviceIndex {
	idx := serviceIndex{}
	for i := range hosts {
		if a, err := parseAddr(hosts[i].Address); err == nil {
			idx[a] = &hosts[i]
		}
	}
	return idx
}

func (x serviceIndex) find(ap netip.AddrPort, tr string) *facts.Service {
	h := x[ap.Addr()]
	if h == nil {
		return nil
	}
	for i := range h.Services {
		s := &h.Services[i]
		if s.Port == int(ap.Port()) && strings.EqualFold(s.Transport, tr) {
			return s
		}
	}
	return nil
}

// boundToOnly reports whether the host audit shows the listener that
// accepted an inbound flow bound to that one address (not to every
// address), so that only a scan of that address describes it.
func boundToOnly(h *facts.HostAudit, server netip.AddrPort, tr string) bool {
	for _, l := range h.Listeners {
		if l.Port != int(server.Port()) || !strings.EqualFold(l.Transport, tr) {
			continue
		}
		if wildcardBind(l.Address) {
			return false
		}
		if a, err := parseAddr(l.Address); err == nil && a == server.Addr() {
			return true
		}
	}
	return false
}

// findLocal finds the service on port among the scanned addresses of this
// machine: its own addresses, 127.0.0.1 and ::1.
func (x serviceIndex) findLocal(port uint16, tr string, local map[netip.Addr]bool) *facts.Service {
	var addrs []netip.Addr
	for a := range x {
		if local[a] || a == netip.IPv6Loopback() || a == netip.AddrFrom4([4]byte{127, 0, 0, 1}) {
			addrs = append(addrs, a)
		}
	}
	slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
	for _, a := range addrs {
		if s := x.find(netip.AddrPortFrom(a, port), tr); s != nil {
			return s
		}
	}
	return nil
}

func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, err
	}
	return a.Unmap().WithZone(""), nil
}

// parseAddrPort reads "1.2.3.4:5", "[::1]:5" and, leniently, "::1:5".
func parseAddrPort(s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			return netip.AddrPort{}, err
		}
		a, aerr := parseAddr(s[:i])
		p, perr := strconv.ParseUint(s[i+1:], 10, 16)
		if aerr != nil || perr != nil {
			return netip.AddrPort{}, err
		}
		return netip.AddrPortFrom(a, uint16(p)), nil
	}
	return netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port()), nil
}

// upgrade tells whether a service offers TLS by an in-protocol upgrade
// (STARTTLS, AUTH TLS, SSLRequest, CLIENT_SSL): offered, and known whether
// that could be told from the scan's evidence. why says what the server did.
func upgrade(s *facts.Service) (offered, known bool, why string) {
	if t := s.TLSAudit; t != nil && t.StartTLS != "" {
		for _, v := range t.Versions {
			if v.Accepted {
				return true, true, ""
			}
		}
	}
	if a := s.Access; a != nil && a.StartTLS != nil {
		if *a.StartTLS {
			return true, true, ""
		}
		return false, true, refusalWords(s.Name)
	}
	switch s.Name {
	case proto.PostgreSQL:
		switch s.Detail(facts.DetailPostgreSQLSSL) {
		case "S":
			return true, true, ""
		case "N":
			return false, true, "the server refuses SSLRequest"
		}
	case proto.MySQL:
		switch s.Detail(facts.DetailMySQLSSL) {
		case "true":
			return true, true, ""
		case "false":
			return false, true, "the server lacks the CLIENT_SSL capability"
		}
	case proto.LDAP:
		switch s.Detail(facts.DetailLDAPStartTLS) {
		case "true":
			return true, true, ""
		case "false":
			return false, true, "the root DSE lists no StartTLS extension"
		}
	case proto.SMTP:
		if containsWord(s.Detail(facts.DetailSMTPEHLO), "STARTTLS") {
			return true, true, ""
		}
	case proto.IMAP:
		if containsWord(s.Detail(facts.DetailIMAPCapability), "STARTTLS") {
			return true, true, ""
		}
	}
	return false, false, ""
}

func containsWord(list, word string) bool {
	for _, f := range strings.Fields(strings.ToUpper(list)) {
		if f == word {
			return true
		}
	}
	return false
}

// refusalWords says what a server without an upgrade to TLS did.
func refusalWords(name string) string {
	switch name {
	case proto.PostgreSQL:
		return "the server refuses SSLRequest"
	case proto.MySQL:
		return "the server lacks the CLIENT_SSL capability"
	case proto.FTP:
		return "the server refuses AUTH TLS"
	case proto.SMTP, proto.IMAP:
		return "the server offers no STARTTLS"
	case proto.POP3:
		return "the server offers no STLS"
	case proto.LDAP:
		return "the server offers no StartTLS"
	}
	return "the server offers no upgrade to TLS"
}

// cleartextOnly says whether the scan found a service speaking only
// cleartext, and how to put it in words ("PostgreSQL without TLS (the
// server refuses SSLRequest)"). Services that offer TLS, and services the
// scan did not learn enough about, are not cleartext-only. What a protocol
// is comes from the protocol table (internal/proto): one with an upgrade
// to TLS is cleartext when the upgrade is refused, one marked Cleartext
// whenever it is not spoken inside TLS.
func cleartextOnly(s *facts.Service) (string, bool) {
	if s.TLS {
		return "", false
	}
	info, _ := proto.Lookup(s.Name)
	name := info.Display
	switch {
	case s.Name == proto.Telnet:
		return "Telnet (the protocol has no encryption)", true
	case s.Name == proto.VNC:
		if s.Access == nil || len(s.Access.SecurityTypes) == 0 {
			return "", false
		}
		for _, t := range s.Access.SecurityTypes {
			switch strings.ToLower(t) {
			case "none", "vnc", "vnc authentication":
			default:
				return "", false // VeNCrypt, TLS, RA2 …: encryption is possible
			}
		}
		return "VNC without encryption (security types: " + strings.Join(s.Access.SecurityTypes, ", ") + ")", true
	case s.Name == proto.MongoDB:
		if s.Access != nil && s.Access.StartTLS != nil && !*s.Access.StartTLS {
			return name + " without TLS", true
		}
	case info.Upgrade != "":
		offered, known, why := upgrade(s)
		if !known || offered {
			return "", false
		}
		return name + " without TLS (" + why + ")", true
	case info.Cleartext:
		return name + " without TLS", true
	}
	return "", false
}

// flowFix is how to encrypt the connection, for the server's product.
func flowFix(s *facts.Service, server netip.AddrPort) string {
	port := strconv.Itoa(int(server.Port()))
	switch s.Name {
	case proto.PostgreSQL:
		return "On the server set ssl = on with ssl_cert_file and ssl_key_file in postgresql.conf, change the client's host lines in pg_hba.conf to hostssl, and reload PostgreSQL (SELECT pg_reload_conf()); on the client connect with sslmode=verify-full (or at least sslmode=require)."
	case proto.MySQL:
		return "On the server set ssl_cert, ssl_key and require_secure_transport = ON in the [mysqld] section (MariaDB: /etc/mysql/mariadb.conf.d/50-server.cnf) and restart it; on the client use --ssl-mode=VERIFY_IDENTITY (MariaDB: --ssl-verify-server-cert)."
	case proto.Redis:
		return "Enable TLS on the server (Redis 6.0+): tls-port 6380, tls-cert-file, tls-key-file, tls-ca-cert-file and port 0 to close the plaintext port " + port + "; connect clients with TLS (redis-cli --tls). If client and server share a machine, bind Redis to 127.0.0.1 instead."
	case proto.Memcached:
		return "Start memcached with TLS (1.5.13+ built with TLS: -Z -o ssl_chain_cert=…,ssl_key=…) and connect clients over TLS, or keep client and server on one machine with -l 127.0.0.1."
	case proto.MQTT:
		return "Add a TLS listener to the broker (mosquitto.conf: listener 8883, certfile, keyfile), move the clients to port 8883 with TLS, then remove the plain listener on " + port + "."
	case proto.HTTP, proto.Docker, proto.Elasticsearch:
		return "Serve this over HTTPS (a TLS listener with a certificate, e.g. an nginx reverse proxy with ssl_protocols TLSv1.2 TLSv1.3) and point the client at https://; then close the plain port " + port + "."
	case proto.FTP:
		return "Enable FTPS on the server (vsftpd: ssl_enable=YES, force_local_logins_ssl=YES, force_local_data_ssl=YES with rsa_cert_file) and make the client use explicit TLS, or replace FTP with SFTP over SSH."
	case proto.Telnet:
		return "Replace Telnet with SSH: stop the Telnet service and have the client use ssh."
	case proto.SMTP:
		return "Enable STARTTLS on the mail server (Postfix: smtpd_tls_cert_file, smtpd_tls_key_file, smtpd_tls_security_level = may, and smtpd_tls_auth_only = yes) and make the client require it."
	case proto.IMAP, proto.POP3:
		return "Enable TLS on the mail server (Dovecot: ssl = required with ssl_cert and ssl_key) and make the client use STARTTLS or the TLS ports 993/995."
	case proto.LDAP:
		return "Give slapd a certificate (olcTLSCertificateFile, olcTLSCertificateKeyFile) and require it (olcSecurity: tls=1); make the client use StartTLS (ldapsearch -ZZ) or ldaps://."
	case proto.VNC:
		return "Require an encrypted security type (TigerVNC: -SecurityTypes VeNCrypt,TLSVnc) or tunnel VNC through SSH (ssh -L 5901:localhost:5901) and bind the VNC server to localhost."
	case proto.AMQP:
		return "Enable the broker's TLS listener (RabbitMQ: listeners.ssl.default = 5671 with ssl_options) and move the clients to amqps://; then close port " + port + "."
	}
	c, _ := Lookup("flow.cleartext")
	return c.Fix
}
