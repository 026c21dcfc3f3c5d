// Package proto is vigil's table of application protocols: for each one its
// name (the `name` of a service in vigil/scan/v1), how it is shown to
// people, what kind of service it is, how it upgrades to TLS, and the ports
// it customarily uses. Ports are hints only: identification goes by what the
// server says, and a hint merely decides which probe is tried first.
//
// The table is data (table.go); the packages that identify, audit and judge
// a protocol key their own registries by its Name.
package proto

import (
	"slices"
	"sort"
)

// Name is an application protocol's lower-case name, as services carry it.
type Name = string

// Kind groups protocols by what they are for; checks about exposure and
// reports use it.
type Kind uint8

// The kinds of service.
const (
	Other      Kind = iota
	Admin           // remote administration and control planes: SSH, RDP, VNC, Telnet, WinRM, Docker, Kubernetes
	Database        // databases, caches and search engines
	FileShare       // file sharing and storage: SMB, NFS, FTP, rsync, TFTP, iSCSI
	Mail            // SMTP, IMAP, POP3
	Web             // HTTP and what is spoken over it
	Directory       // directories and authentication: LDAP, Kerberos
	Messaging       // message brokers and buses: MQTT, AMQP, NATS
	Monitoring      // monitoring and management: SNMP, Prometheus exporters
	Naming          // name and discovery services: DNS, mDNS, NetBIOS, SSDP
	Time            // NTP
	Printing        // IPP, JetDirect
	Media           // cameras and streaming: RTSP
	Voice           // SIP
	Screen          // remote displays: X11
	IoT             // constrained devices: CoAP
)

var kindNames = [...]string{
	Other: "other", Admin: "administration", Database: "database", FileShare: "file sharing",
	Mail: "mail", Web: "web", Directory: "directory", Messaging: "messaging",
	Monitoring: "monitoring", Naming: "name service", Time: "time", Printing: "printing",
	Media: "media", Voice: "voice", Screen: "remote display", IoT: "IoT",
}

// String returns the kind in words.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "other"
}

// Info describes one protocol.
type Info struct {
	Name Name
	// Display is the name people know it by, such as "PostgreSQL".
	Display string
	Kind    Kind
	// Upgrade names the dialect of its in-protocol upgrade to TLS (the
	// STARTTLS family), "" when it has none.
	Upgrade string
	// Probe names the identification probe that recognises it when that
	// is another protocol's, such as "http" for APIs spoken over HTTP;
	// "" means a probe or matcher of its own name.
	Probe Name
	// ServerFirst is true when the server speaks first on TCP.
	ServerFirst bool
	// Cleartext is true when the protocol has no encryption of its own and
	// no upgrade: spoken outside TLS, everything it carries is readable on
	// the wire (HTTP and the APIs over it, Redis, Telnet …). Protocols with
	// an Upgrade are cleartext only when the upgrade is refused.
	Cleartext bool
	// TCP, TLS and UDP are customary ports: plain TCP, TLS from the first
	// byte, and UDP. Hints only.
	TCP, TLS, UDP []uint16
}

// Lookup returns the protocol named n; ok is false for a name not in the
// table (Info then holds the name as its display).
func Lookup(n Name) (Info, bool) {
	if i, ok := index[n]; ok {
		return table[i], true
	}
	return Info{Name: n, Display: n}, false
}

// Display returns how people name protocol n.
func Display(n Name) string {
	i, _ := Lookup(n)
	return i.Display
}

// KindOf returns protocol n's kind (Other when unknown).
func KindOf(n Name) Kind {
	i, _ := Lookup(n)
	return i.Kind
}

// All returns the table in order.
func All() []Info { return slices.Clone(table) }

// probeName is the probe that identifies p.
func (p Info) probeName() Name {
	if p.Probe != "" {
		return p.Probe
	}
	return p.Name
}

// Hints names the probes to try first on a plain TCP port, from its
// customary use: probes of protocols spoken there in table order, then
// "tls" when a protocol is customarily spoken inside TLS there.
func Hints(port uint16) []Name {
	var out []Name
	tls := false
	for _, p := range table {
		if slices.Contains(p.TCP, port) {
			out = appendNew(out, p.probeName())
		}
		if slices.Contains(p.TLS, port) {
			tls = true
		}
	}
	if tls {
		out = appendNew(out, "tls")
	}
	return out
}

// TLSHints names the probes to try first inside TLS on port.
func TLSHints(port uint16) []Name {
	var out []Name
	for _, p := range table {
		if slices.Contains(p.TLS, port) {
			out = appendNew(out, p.probeName())
		}
	}
	return out
}

// UDPHints names the UDP probes to send first on port.
func UDPHints(port uint16) []Name {
	var out []Name
	for _, p := range table {
		if slices.Contains(p.UDP, port) {
			out = appendNew(out, p.probeName())
		}
	}
	return out
}

// ServerFirstPort reports whether a protocol customary on port (inside TLS
// when overTLS) speaks first.
func ServerFirstPort(port uint16, overTLS bool) bool {
	for _, p := range table {
		ports := p.TCP
		if overTLS {
			ports = p.TLS
		}
		if p.ServerFirst && slices.Contains(ports, port) {
			return true
		}
	}
	return false
}

// UDPPorts returns every customary UDP port of the table, ascending: what
// `vigil scan` probes over UDP by default.
func UDPPorts() []uint16 {
	var out []uint16
	for _, p := range table {
		for _, port := range p.UDP {
			if !slices.Contains(out, port) {
				out = append(out, port)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Upgrade returns protocol n's TLS upgrade dialect, "" when none.
func Upgrade(n Name) string {
	i, _ := Lookup(n)
	return i.Upgrade
}

func appendNew(s []Name, n Name) []Name {
	if slices.Contains(s, n) {
		return s
	}
	return append(s, n)
}

// index maps a name to its position in table.
var index = func() map[Name]int {
	m := make(map[Name]int, len(table))
	for i, p := range table {
		if _, dup := m[p.Name]; dup {
			panic("proto: duplicate protocol " + p.Name)
		}
		m[p.Name] = i
	}
	return m
}()
