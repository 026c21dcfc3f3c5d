package facts

import (
	"cmp"
	"net/netip"
	"strings"
	"time"
)

// HostAudit is what `vigil host` saw from inside one machine: its
// listeners, its firewall, the real configuration of its services, its live
// connections and, after `vigil host observe`, which ports were used.
type HostAudit struct {
	Hostname string    `json:"hostname"`
	Time     time.Time `json:"time"`
	// Remote is user@host when the audit ran over SSH; empty when local.
	Remote string `json:"remote,omitempty"`
	// Machine identifies the machine and the network namespace its sockets
	// live in: the same loopback address is another machine's elsewhere.
	Machine Machine `json:"machine,omitzero"`
	// Addresses are the machine's own addresses (all interfaces).
	Addresses []string `json:"addresses,omitempty"`
	// Prefixes are those addresses with their prefix lengths, as the
	// interfaces hold them (127.0.0.1/8, 10.0.0.5/24).
	Prefixes    []string           `json:"prefixes,omitempty"`
	Listeners   []Listener         `json:"listeners"`
	Firewall    Firewall           `json:"firewall"`
	SSHD        []SSHDConfig       `json:"sshd,omitempty"`
	PostgreSQL  []PostgreSQLConfig `json:"postgresql,omitempty"`
	Redis       []RedisConfig      `json:"redis,omitempty"`
	FTP         []FTPConfig        `json:"ftp,omitempty"`
	Nginx       []NginxConfig      `json:"nginx,omitempty"`
	Bind        []BindConfig       `json:"bind,omitempty"`
	Samba       []SambaConfig      `json:"samba,omitempty"`
	Apache      []ApacheConfig     `json:"apache,omitempty"`
	Flows       []Flow             `json:"flows,omitempty"`
	Observation *Observation       `json:"observation,omitempty"`
	// Distrusted are processes named like a daemon vigil examines (sshd,
	// nginx, …) that it did not examine as one, and why: they do not run
	// as root or the daemon's own user.
	Distrusted []Distrusted `json:"distrusted,omitempty"`
	// Unjudged are the daemons whose configuration vigil could not read
	// whole (a file it could not read, an include it could not resolve, a
	// process it did not trust): the checks of that configuration were not
	// judged on them, and reports say so instead of counting them passed.
	Unjudged []Unjudged `json:"unjudged,omitempty"`
	// Errors says which collectors could not complete, and why.
	Errors []string `json:"errors,omitempty"`
	// OS is what /etc/os-release (or /usr/lib/os-release) says.
	OS *OSRelease `json:"os,omitempty"`
	// Packages are the installed packages, from the package database
	// (dpkg, rpm or apk), sorted by ComparePackages.
	Packages []Package `json:"packages,omitempty"`
	// Root is the directory audited with --root (a mounted disk, a chroot,
	// a container's root file system); empty for a live machine. An audit
	// of a root saw files only: no listener, process or firewall, and it
	// vouches for no address.
	Root string `json:"root,omitempty"`
}

// OSRelease is the operating system as os-release(5) names it.
type OSRelease struct {
	// ID is the lower-case identifier: debian, ubuntu, rhel, alpine…
	ID string `json:"id,omitempty"`
	// IDLike are the distributions it derives from (ID_LIKE), closest first.
	IDLike []string `json:"id_like,omitempty"`
	// VersionID is the version (VERSION_ID): "12", "9.4", "3.20.1".
	VersionID string `json:"version_id,omitempty"`
	// VersionCodename is the release's code name (VERSION_CODENAME): bookworm.
	VersionCodename string `json:"version_codename,omitempty"`
	// PrettyName is the name for people (PRETTY_NAME): "Debian GNU/Linux 12 (bookworm)".
	PrettyName string `json:"pretty_name,omitempty"`
}

// Package formats, as Package.Format holds them.
const (
	FormatDpkg = "dpkg"
	FormatRPM  = "rpm"
	FormatAPK  = "apk"
)

// Package is one installed package, as its package database records it.
type Package struct {
	Name string `json:"name"`
	// Version is the package's full version in its own format's syntax:
	// dpkg's [epoch:]upstream[-revision], rpm's [epoch:]version-release,
	// apk's version-rREL.
	Version string `json:"version"`
	// Arch is the architecture it was built for (amd64, x86_64, noarch,
	// all…); empty when the database says none.
	Arch string `json:"arch,omitempty"`
	// Source is the source package it was built from (dpkg's Source, the
	// name in rpm's SOURCERPM, apk's origin); Name when the database names
	// none.
	Source string `json:"source"`
	// SourceVersion is the source package's version: dpkg's "Source: name
	// (version)", the version-release of rpm's SOURCERPM (the file name
	// carries no epoch); Version when the database names none.
	SourceVersion string `json:"source_version"`
	// Format is the package database it came from: FormatDpkg, FormatRPM
	// or FormatAPK.
	Format string `json:"format"`
}

// ComparePackages orders packages by name, then architecture (then
// format and version, so that the order is total).
func ComparePackages(a, b Package) int {
	return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Arch, b.Arch),
		strings.Compare(a.Format, b.Format), strings.Compare(a.Version, b.Version))
}

// Machine identifies one machine's network view: its /etc/machine-id and
// its network namespace (the inode of /proc/self/ns/net, "net:[4026531840]").
type Machine struct {
	ID    string `json:"id,omitempty"`
	NetNS string `json:"netns,omitempty"`
}

// Known reports whether the machine's identity was read.
func (m Machine) Known() bool { return m.ID != "" && m.NetNS != "" }

// Covers reports whether the audit speaks for addr, scanned from the
// machine here: addr is one of the machine's interface addresses or a
// listener's bind address; a loopback address (which every machine has)
// counts only when the audit was made on the very machine and network
// namespace the scan runs in, where the interfaces' loopback prefix
// (127.0.0.0/8) covers every alias.
func (h *HostAudit) Covers(addr netip.Addr, here Machine) bool {
	if h == nil || !addr.IsValid() {
		return false
	}
	addr = addr.Unmap().WithZone("")
	if addr.IsLoopback() && (!h.Machine.Known() || h.Machine != here) {
		return false
	}
	same := func(s string) bool {
		a, err := netip.ParseAddr(strings.Trim(s, "[]"))
		return err == nil && a.Unmap().WithZone("") == addr
	}
	for _, a := range h.Addresses {
		if same(a) {
			return true
		}
	}
	for _, l := range h.Listeners {
		if same(l.Address) {
			return true
		}
	}
	if addr.IsLoopback() {
		for _, s := range h.Prefixes {
			if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Unmap().IsLoopback() && p.Masked().Contains(addr) {
				return true
			}
		}
	}
	return false
}

// Distrusted is a process that calls itself a daemon but is not examined
// as one: its command line and files are another user's word.
type Distrusted struct {
	PID     int    `json:"pid"`
	Process string `json:"process"`
	User    string `json:"user,omitempty"`
	Reason  string `json:"reason"`
}

// Unjudged is a daemon whose configuration was not read whole.
type Unjudged struct {
	// Kind is the daemon's kind as internal/trust names it: sshd,
	// postgresql, redis, vsftpd, smbd, named…
	Kind string `json:"kind"`
	PID  int    `json:"pid"`
	// Why says what could not be read, or why the process was not trusted.
	Why string `json:"why"`
}

// Daemon says how far vigil trusted a daemon process whose configuration
// it read (see internal/trust and docs/security.md).
type Daemon struct {
	// UID and GID are the ids it runs as.
	UID int `json:"uid"`
	GID int `json:"gid"`
	// Exe is its binary (/proc/PID/exe) when vigil may run it, as root:
	// root's, in root's directories, with the daemon's own name; "" when
	// it may not.
	Exe string `json:"exe,omitempty"`
	// Note says why vigil read the configuration files itself instead of
	// asking the daemon (sshd -T, nginx -T), and which files it does not
	// quote because someone else could have written them.
	Note string `json:"note,omitempty"`
}

// Listener is one listening socket and the process that holds it.
type Listener struct {
	Transport string `json:"transport"` // tcp or udp
	Address   string `json:"address"`   // bind address: 0.0.0.0, ::, 127.0.0.1, 10.0.0.5 …
	Port      int    `json:"port"`
	PID       int    `json:"pid,omitempty"`
	Process   string `json:"process,omitempty"` // command name
	User      string `json:"user,omitempty"`
	Cmdline   string `json:"cmdline,omitempty"`
	// Unit is the systemd unit that started the process, when known.
	Unit string `json:"unit,omitempty"`
	// Reachable is true when the listener can be reached from beyond this
	// host: bound beyond loopback and not blocked by the firewall.
	Reachable bool `json:"reachable"`
	// Reason says why it is or is not reachable, in words.
	Reason string `json:"reason,omitempty"`
}

// Firewall is the inbound filtering the host applies.
type Firewall struct {
	// Kind is "nftables", "iptables" or "none"; "" when the rules could
	// not be read (not root), so nothing is known of the filtering.
	Kind string `json:"kind"`
	// InputPolicy is the default verdict for inbound packets: "drop",
	// "reject", "accept", or "" when unknown.
	InputPolicy string `json:"input_policy,omitempty"`
	// Filtering is true when some inbound traffic is dropped or rejected.
	Filtering bool `json:"filtering"`
	// Allowed are the inbound accept rules by port.
	Allowed []PortRule `json:"allowed,omitempty"`
	// Source is the ruleset's origin (command or file) for evidence.
	Source string `json:"source,omitempty"`
}

// PortRule is one inbound rule: traffic to Port over Transport from From is
// accepted. Port 0 means every port; From "" means from anywhere.
type PortRule struct {
	Transport string `json:"transport"`
	Port      int    `json:"port"`
	From      string `json:"from,omitempty"`
	Rule      string `json:"rule,omitempty"` // the rule as written, for evidence
	// PortEnd is the last port of a range (Port-PortEnd); 0 for one port.
	PortEnd int `json:"port_end,omitempty"`
	// Where the rule lives, so that a fix can name it: the nftables
	// family, table, chain and rule handle (iptables: table and chain),
	// and the named set holding the port when the rule matches one.
	Family string `json:"family,omitempty"`
	Table  string `json:"table,omitempty"`
	Chain  string `json:"chain,omitempty"`
	Handle int    `json:"handle,omitempty"`
	Set    string `json:"set,omitempty"`
}

// SSHDConfig is one running sshd's effective configuration.
type SSHDConfig struct {
	// Daemon is how far vigil trusted the process.
	Daemon     Daemon `json:"daemon"`
	PID        int    `json:"pid,omitempty"`
	ConfigFile string `json:"config_file"`
	// Effective holds `sshd -T` output for the keys vigil judges, lower
	// case: permitrootlogin, passwordauthentication,
	// kbdinteractiveauthentication, ciphers, macs, kexalgorithms,
	// hostkeyalgorithms, listenaddress, port.
	Effective map[string]string `json:"effective"`
	// Method is how Effective was learnt: "sshd -T", or "file" when
	// sshd -T could not run and the file (with its Includes) was parsed.
	Method string `json:"method,omitempty"`
	// Sources maps a keyword of Effective to the line that sets it,
	// "FILE:LINE: text"; keywords left at sshd's default have none.
	Sources map[string]string `json:"sources,omitempty"`
}

// PostgreSQLConfig is one running PostgreSQL cluster's configuration.
type PostgreSQLConfig struct {
	// Daemon is how far vigil trusted the process.
	Daemon          Daemon    `json:"daemon"`
	PID             int       `json:"pid,omitempty"`
	DataDir         string    `json:"data_dir"`
	ConfigFile      string    `json:"config_file"`
	HBAFile         string    `json:"hba_file"`
	ListenAddresses string    `json:"listen_addresses"`
	Port            int       `json:"port"`
	SSL             bool      `json:"ssl"`
	HBA             []HBALine `json:"hba,omitempty"`
	// Sources maps a setting (ssl, listen_addresses, port, hba_file, …)
	// to where it was set: "FILE:LINE: text" or "command line: -c …";
	// settings left at PostgreSQL's default have none.
	Sources map[string]string `json:"sources,omitempty"`
}

// HBALine is one pg_hba.conf rule.
type HBALine struct {
	Line     int    `json:"line"`
	Type     string `json:"type"` // local, host, hostssl, hostnossl, …
	Database string `json:"database"`
	User     string `json:"user"`
	Address  string `json:"address,omitempty"`
	Method   string `json:"method"`
	// File is the file holding the line when it is not HBAFile (an
	// included file); Text is the line as written.
	File string `json:"file,omitempty"`
	Text string `json:"text,omitempty"`
}

// RedisConfig is one running Redis server's configuration.
type RedisConfig struct {
	// Daemon is how far vigil trusted the process.
	Daemon        Daemon   `json:"daemon"`
	PID           int      `json:"pid,omitempty"`
	ConfigFile    string   `json:"config_file,omitempty"`
	Bind          []string `json:"bind,omitempty"`
	Port          int      `json:"port"`
	RequirePass   bool     `json:"requirepass"`
	ACLUsers      bool     `json:"acl_users"`
	ProtectedMode bool     `json:"protected_mode"`
	// Method is how the settings were learnt: "config file", "command
	// line" or "CONFIG GET" (asked over the listener's own address).
	Method string `json:"method,omitempty"`
	// Sources maps a setting (bind, port, requirepass, …) to where it was
	// set: "FILE:LINE: text", "command line: --bind …" or "CONFIG GET".
	Sources map[string]string `json:"sources,omitempty"`
}

// FTPConfig is one running FTP server's configuration.
type FTPConfig struct {
	// Daemon is how far vigil trusted the process.
	Daemon     Daemon `json:"daemon"`
	PID        int    `json:"pid,omitempty"`
	Product    string `json:"product"` // vsftpd, proftpd
	ConfigFile string `json:"config_file"`
	Anonymous  bool   `json:"anonymous"`
	SSL        bool   `json:"ssl"`
	// ListenAddress and Port are where the configuration says the server
	// listens ("" and 0 when it does not say).
	ListenAddress string `json:"listen_address,omitempty"`
	Port          int    `json:"port,omitempty"`
	// Sources maps a setting (anonymous_enable, ssl_enable, …) to the line
	// that sets it, "FILE:LINE: text"; settings left at the default have none.
	Sources map[string]string `json:"sources,omitempty"`
}

// NginxConfig is one running nginx's TLS directives.
type NginxConfig struct {
	// Daemon is how far vigil trusted the process.
	Daemon       Daemon   `json:"daemon"`
	PID          int      `json:"pid,omitempty"`
	ConfigFile   string   `json:"config_file"`
	SSLProtocols []string `json:"ssl_protocols,omitempty"`
	SSLCiphers   string   `json:"ssl_ciphers,omitempty"`
	// Sources maps ssl_protocols and ssl_ciphers to the lines that set
	// them, "FILE:LINE: text" (the first one when set in several places).
	Sources map[string]string `json:"sources,omitempty"`
}

// Flow is one established connection between this host and another.
type Flow struct {
	Transport string `json:"transport"`
	Local     string `json:"local"`  // address:port
	Remote    string `json:"remote"` // address:port
	// Direction is "out" when this host opened the connection, "in" when
	// the peer did (the local port is a listener).
	Direction string `json:"direction"`
	PID       int    `json:"pid,omitempty"`
	Process   string `json:"process,omitempty"`
}

// Observation counts inbound connections to each listener over a window.
type Observation struct {
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended"`
	// Method is how connections were seen: "af_packet" (SYN capture),
	// "conntrack", or "proc" (polling the socket table: short connections
	// between polls are missed).
	Method string `json:"method"`
	// Connections maps "tcp/PORT" (or "udp/PORT") to the number of new
	// inbound connections seen.
	Connections map[string]int `json:"connections"`
}
