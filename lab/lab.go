// Package lab describes and starts vigil's test lab: real Debian services
// with planted weaknesses and hardened twins, hostile servers, legacy
// protocol emulators and servers announcing old, known-vulnerable versions,
// each on its own loopback alias (127.0.2.x), plus a firewalled host in a
// network namespace.
//
// lab.sh (beside this file) starts the services and writes a manifest,
// $VIGIL_LAB_DIR/manifest.json, that says what correct identification of
// each service must report. Tests call Require to get that manifest,
// starting the lab when it is not running, and RequireNetns for the
// namespace host that netns.sh builds.
package lab

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
)

// DefaultDir is where the lab keeps its state when VIGIL_LAB_DIR is unset.
const DefaultDir = "/tmp/vigil-lab"

// Manifest is manifest.json: where the lab's shared files are and which
// services run.
type Manifest struct {
	// Dir is the lab's state directory.
	Dir string `json:"dir"`
	// CA is the PEM file of the lab's certificate authority, which signed
	// the hardened hosts' certificates.
	CA string `json:"ca"`
	// ClientKey is an Ed25519 private key that ssh-hard accepts for root.
	ClientKey string `json:"client_key"`
	// KnownHosts holds ssh-hard's host keys in OpenSSH known_hosts format.
	KnownHosts string `json:"known_hosts"`
	// Attacker is an unprivileged account of the lab's own (not nobody,
	// which lab daemons run as) for tests in which a local user plays
	// the attacker.
	Attacker Account `json:"attacker"`
	// Services lists every listener of the lab.
	Services []Service `json:"services"`
}

// Account is a user of this machine.
type Account struct {
	User string `json:"user"`
	UID  int    `json:"uid"`
	GID  int    `json:"gid"`
}

// Service is one listener of the lab and what correct identification of it
// must report.
type Service struct {
	// ID names the service uniquely, e.g. "web-weak-https".
	ID string `json:"id"`
	// Host is the loopback alias the service binds to.
	Host string `json:"host"`
	// Port is the TCP or UDP port.
	Port int `json:"port"`
	// Transport is "tcp" or "udp".
	Transport string `json:"transport"`
	// Name is the application protocol in vigil's vocabulary ("ssh",
	// "http", …), or "unknown" for servers that speak none.
	Name string `json:"name"`
	// TLS is true when the port speaks TLS from the first byte.
	TLS bool `json:"tls"`
	// Product is the software the protocol reveals ("nginx"), or "".
	Product string `json:"product"`
	// Version is the version the protocol reveals, or "".
	Version string `json:"version"`
	// Twin is "weak" or "hard" for the twinned services, "" otherwise.
	Twin string `json:"twin"`
	// Hostile names the misbehaviour of a hostile or emulated server
	// ("trickle", "legacy-tls", …), "" for real services.
	Hostile string `json:"hostile"`
	// Notes explains what is planted and anything a test should know.
	Notes string `json:"notes"`
}

// AddrPort returns the service's address and port.
func (s Service) AddrPort() netip.AddrPort {
	a, err := netip.ParseAddr(s.Host)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a, uint16(s.Port))
}

// Address returns "host:port", as net.Dial expects it.
func (s Service) Address() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// Dir returns the lab's state directory: $VIGIL_LAB_DIR, or /tmp/vigil-lab.
func Dir() string {
	if d := os.Getenv("VIGIL_LAB_DIR"); d != "" {
		return d
	}
	return DefaultDir
}

// Load reads dir/manifest.json.
func Load(dir string) (*Manifest, error) {
	return LoadFile(filepath.Join(dir, "manifest.json"))
}

// LoadFile reads a manifest from path.
func LoadFile(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the lab manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("lab manifest %s is not valid JSON: %w", path, err)
	}
	if len(m.Services) == 0 {
		return nil, fmt.Errorf("lab manifest %s lists no services", path)
	}
	return &m, nil
}

// Find returns the service with the given ID, or the zero Service (whose ID
// is "") when the manifest has none.
func (m *Manifest) Find(id string) Service {
	for _, s := range m.Services {
		if s.ID == id {
			return s
		}
	}
	return Service{}
}

// OldBanner is the Hostile value of the services that announce old,
// known-vulnerable versions (labd old-banner): Apache httpd 2.4.49, nginx
// 1.16.1, Exim 4.91, vsftpd 2.3.4, ProFTPD 1.3.5, memcached 1.4.31, Redis
// 5.0.5 and dnsmasq 2.77, emulated; none has the vulnerability itself.
const OldBanner = "old-banner"

// OldBanners returns the services that announce old, known-vulnerable
// versions, in manifest order. Each has Product and Version set, as
// identification must report them; a known-vulnerability check must find
// the CVEs of that version (the notes name some).
func (m *Manifest) OldBanners() []Service {
	var out []Service
	for _, s := range m.Services {
		if s.Hostile == OldBanner {
			out = append(out, s)
		}
	}
	return out
}

// NetnsInfo is netns.json: the firewalled host that netns.sh builds. Only
// commands run inside ClientNS (ip netns exec) can reach Server.
type NetnsInfo struct {
	// ClientNS is the namespace to run scanners in ("vigil-cl"); it has no
	// default route.
	ClientNS string `json:"client_ns"`
	// ServerNS is the firewalled host's namespace ("vigil-fw").
	ServerNS string `json:"server_ns"`
	// Server is the firewalled host's address (10.77.0.2).
	Server string `json:"server"`
	// Client is the client namespace's address (10.77.0.1).
	Client string `json:"client"`
	// OpenPorts lists the TCP ports that accept connections; the firewall
	// silently drops every other port.
	OpenPorts []int `json:"open_ports"`
}

// LoadNetns reads dir/netns.json.
func LoadNetns(dir string) (NetnsInfo, error) {
	var n NetnsInfo
	path := filepath.Join(dir, "netns.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return n, fmt.Errorf("cannot read the namespace host's description: %w", err)
	}
	if err := json.Unmarshal(b, &n); err != nil {
		return n, fmt.Errorf("%s is not valid JSON: %w", path, err)
	}
	if n.ClientNS == "" || n.ServerNS == "" || n.Server == "" || len(n.OpenPorts) == 0 {
		return n, fmt.Errorf("%s is incomplete", path)
	}
	return n, nil
}
