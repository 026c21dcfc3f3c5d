package facts

import (
	"net/netip"
	"strconv"
	"strings"
)

// ApacheConfig is one running Apache httpd's configuration, as its files
// say (internal/hostaudit reads them as httpd does: -f, -d, -D, -C and -c
// from its command line, Include and IncludeOptional, <IfModule>,
// <IfDefine>, Define and ${NAME}).
//
// Effective values follow httpd 2.4's documented semantics: a directive
// set twice in one scope takes the last value; a <VirtualHost> inherits
// what the main server sets unless it sets it itself
// (https://httpd.apache.org/docs/2.4/vhosts/details.html); TraceEnable
// defaults to on (https://httpd.apache.org/docs/2.4/mod/core.html#traceenable).
type ApacheConfig struct {
	// Daemon is how far vigil trusted the process.
	Daemon Daemon `json:"daemon"`
	PID    int    `json:"pid,omitempty"`
	// ConfigFile is the main file, absolute (-f, relative to the server
	// root, or the distribution's default).
	ConfigFile string `json:"config_file"`
	// ServerRoot is the server root relative paths start from: -d, else
	// the distribution's default; a ServerRoot directive changes it for
	// what follows.
	ServerRoot string `json:"server_root,omitempty"`
	// Options are the command-line options that change what httpd reads
	// (-d DIR, -D NAME, -C DIRECTIVE, -c DIRECTIVE), in order, so that a
	// check of the configuration reads it as the daemon did.
	Options []string `json:"options,omitempty"`
	// Variables are the ${NAME} values the files use that come from the
	// process's environment (Debian's APACHE_RUN_USER, APACHE_LOG_DIR…);
	// names that look like secrets are left out.
	Variables map[string]string `json:"variables,omitempty"`
	// Modules are the modules loaded (LoadModule), by their identifier:
	// status_module, info_module, autoindex_module.
	Modules []string `json:"modules,omitempty"`
	// Listen are the Listen directives' addresses: "80", "127.0.0.1:8080",
	// "[::]:443".
	Listen []string `json:"listen,omitempty"`
	// Servers are the main server (no VirtualHost addresses) first, then
	// each <VirtualHost> in the order of the files, with their effective
	// settings.
	Servers []ApacheServer `json:"servers,omitempty"`
	// Unread are the files httpd reads that vigil could not (an Include
	// it may not read, a file that vanished): what they set is unknown, so
	// nothing is judged safe or unsafe from this configuration.
	Unread []string `json:"unread,omitempty"`
	// Sources maps main-server settings (TraceEnable, ServerRoot) to the
	// line that sets them, "FILE:LINE: text".
	Sources map[string]string `json:"sources,omitempty"`
}

// ApacheServer is the main server or one virtual host, with its effective
// settings.
type ApacheServer struct {
	// VirtualHost are the addresses of a <VirtualHost> ("127.0.0.1:80",
	// "*:443", "_default_:80"); empty for the main server, which serves
	// the connections no virtual host's address matches.
	VirtualHost []string `json:"virtual_host,omitempty"`
	// Section is where the <VirtualHost> opens, "FILE:LINE: text".
	Section    string `json:"section,omitempty"`
	ServerName string `json:"server_name,omitempty"`
	// TraceEnable is the effective value, lower case: on (httpd's
	// default), off or extended.
	TraceEnable string `json:"trace_enable"`
	// StatusPages are the <Location> sections that hand requests to
	// mod_status (server-status) or mod_info (server-info), when that
	// module is loaded; a virtual host has the main server's too.
	StatusPages []ApacheStatusPage `json:"status_pages,omitempty"`
	// DocumentRoot is the directory it serves (its own, the main
	// server's, or the build's default); set only when mod_autoindex is
	// loaded, with Listings.
	DocumentRoot string `json:"document_root,omitempty"`
	// Listings are the directories it serves with automatic indexes
	// (Options Indexes, mod_autoindex loaded): the DocumentRoot and the
	// <Directory> sections under it.
	Listings []ApacheListing `json:"listings,omitempty"`
	// Sources maps TraceEnable to the line that sets it for this server
	// (its own, or the main server's it inherits); none when it is left at
	// the default.
	Sources map[string]string `json:"sources,omitempty"`
}

// ApacheListing is a directory an httpd lists: Options with Indexes
// (https://httpd.apache.org/docs/2.4/mod/core.html#options) and
// mod_autoindex loaded.
type ApacheListing struct {
	// Directory is the directory's path.
	Directory string `json:"directory"`
	// Section is where its <Directory> opens (or where DocumentRoot is
	// set), "FILE:LINE: text"; empty when neither is in the files.
	Section string `json:"section,omitempty"`
	// Options is the Options line that turns Indexes on, "FILE:LINE: text".
	Options string `json:"options"`
}

// ApacheStatusPage is a <Location> (or <LocationMatch>) with SetHandler
// server-status or server-info.
type ApacheStatusPage struct {
	// Handler is server-status or server-info.
	Handler string `json:"handler"`
	// Path is the Location's argument (a path, or a regular expression
	// for LocationMatch and Location ~).
	Path string `json:"path"`
	// Section is where the Location opens, "FILE:LINE: text".
	Section string `json:"section"`
	// Access are the lines that decide who may see it (Require, and the
	// older Allow, Deny and Order), "FILE:LINE: text".
	Access []string `json:"access,omitempty"`
	// Open is true when its access is not limited: no Require, Require all
	// granted, or only Require not … (httpd 2.4 authorization,
	// https://httpd.apache.org/docs/2.4/howto/access.html). Require local,
	// ip, host, a user or group, all denied, or an Allow from anything but
	// all limit it.
	Open bool `json:"open"`
}

// ServersFor returns the indexes in Servers of the servers that answer a
// connection to addr:port, as httpd 2.4 picks them
// (https://httpd.apache.org/docs/2.4/vhosts/details.html): the virtual
// hosts with that very address (and that port, or any port), else those
// on every address (* or _default_) for the port, else the main server.
// Among several, the request's Host header chooses: each may answer. An
// invalid addr (the address is unknown) matches the wildcard ones only.
func (c ApacheConfig) ServersFor(addr netip.Addr, port int) []int {
	var exact, wild []int
	for i, s := range c.Servers {
		if len(s.VirtualHost) == 0 {
			continue
		}
		ex, wi := false, false
		for _, a := range s.VirtualHost {
			host, p, ok := ApacheVHostAddr(a)
			if !ok || (p != 0 && p != port) {
				continue
			}
			switch {
			case !host.IsValid():
				wi = true
			case addr.IsValid() && host == addr.Unmap().WithZone(""):
				ex = true
			}
		}
		if ex {
			exact = append(exact, i)
		} else if wi {
			wild = append(wild, i)
		}
	}
	switch {
	case len(exact) > 0:
		return exact
	case len(wild) > 0:
		return wild
	}
	for i, s := range c.Servers {
		if len(s.VirtualHost) == 0 {
			return []int{i}
		}
	}
	return nil
}

// ApacheVHostAddr reads one address of a <VirtualHost>: "10.0.0.5:80",
// "[::1]:443", "*:80", "_default_:443", "10.0.0.5" or "*:*" (port 0: any
// port); the address is invalid for * and _default_, and localhost is
// 127.0.0.1. False for a host name, which httpd resolved when it started.
func ApacheVHostAddr(a string) (netip.Addr, int, bool) {
	host, port := a, ""
	switch {
	case strings.HasPrefix(a, "["):
		j := strings.IndexByte(a, ']')
		if j < 0 {
			return netip.Addr{}, 0, false
		}
		host = a[1:j]
		if rest := a[j+1:]; rest != "" {
			p, ok := strings.CutPrefix(rest, ":")
			if !ok {
				return netip.Addr{}, 0, false
			}
			port = p
		}
	case strings.Count(a, ":") == 1:
		host, port, _ = strings.Cut(a, ":")
	}
	n := 0
	if port != "" && port != "*" {
		v, err := strconv.Atoi(port)
		if err != nil || v <= 0 || v > 65535 {
			return netip.Addr{}, 0, false
		}
		n = v
	}
	switch strings.ToLower(host) {
	case "*", "_default_":
		return netip.Addr{}, n, true
	case "localhost":
		return netip.AddrFrom4([4]byte{127, 0, 0, 1}), n, true
	}
	ip, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		return netip.Addr{}, 0, false
	case ip.IsUnspecified():
		return netip.Addr{}, n, true
	}
	return ip.Unmap().WithZone(""), n, true
}
