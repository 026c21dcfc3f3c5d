package facts

import (
	"github.com/vigilsec/vigil/internal/proto"
	"net/netip"
	"slices"
	"strings"
)

// ListenerFor returns the listener that serves host:port over transport
// ("" is TCP): the one bound to that very address, or else one bound to
// every address when host names this machine (its host name, localhost, a
// loopback address or one of its own addresses).
func (h *HostAudit) ListenerFor(host, transport string, port int) (Listener, bool) {
	if transport == "" {
		transport = TCP
	}
	hostAddr, hostErr := netip.ParseAddr(strings.Trim(host, "[]"))
	if hostErr == nil {
		hostAddr = hostAddr.Unmap().WithZone("")
	}
	mine := host == h.Hostname || host == "localhost" || (hostErr == nil && (hostAddr.IsLoopback() || slices.ContainsFunc(h.Addresses, func(a string) bool {
		p, err := netip.ParseAddr(strings.Trim(a, "[]"))
		return err == nil && p.Unmap().WithZone("") == hostAddr
	})))
	var wild []Listener
	for _, l := range h.Listeners {
		if l.Port != port || !strings.EqualFold(l.Transport, transport) {
			continue
		}
		a, err := netip.ParseAddr(strings.Trim(l.Address, "[]"))
		switch {
		case err == nil && !a.IsUnspecified() && hostErr == nil && a.Unmap().WithZone("") == hostAddr:
			return l, true
		case err != nil || a.IsUnspecified() || l.Address == "*":
			wild = append(wild, l)
		}
	}
	if len(wild) > 0 && mine {
		return wild[0], true
	}
	return Listener{}, false
}

// ServiceOf says what the audit knows a listener serves: the protocol and
// the product of the daemon that holds it, when vigil examined that
// process as one (sshd is OpenSSH's ssh, nginx serves http, vsftpd and
// ProFTPD ftp, Redis redis, PostgreSQL postgresql, BIND's named dns,
// smbd Samba's smb), named as service
// identification names them. It returns nil for any other process.
func (h *HostAudit) ServiceOf(l Listener) *Service {
	if l.PID <= 0 {
		return nil
	}
	svc := func(name, product string) *Service {
		return &Service{Port: l.Port, Transport: l.Transport, Name: name, Product: product}
	}
	for _, c := range h.SSHD {
		if c.PID == l.PID {
			return svc(proto.SSH, "OpenSSH")
		}
	}
	for _, c := range h.Nginx {
		if c.PID == l.PID {
			return svc(proto.HTTP, "nginx")
		}
	}
	for _, c := range h.Redis {
		if c.PID == l.PID {
			return svc(proto.Redis, "Redis")
		}
	}
	for _, c := range h.Apache {
		if c.PID == l.PID {
			return svc(proto.HTTP, "Apache httpd")
		}
	}
	for _, c := range h.FTP {
		if c.PID == l.PID {
			switch strings.ToLower(c.Product) {
			case "vsftpd":
				return svc(proto.FTP, "vsftpd")
			case "proftpd":
				return svc(proto.FTP, "ProFTPD")
			}
			return svc(proto.FTP, c.Product)
		}
	}
	for _, c := range h.PostgreSQL {
		if c.PID == l.PID {
			return svc(proto.PostgreSQL, "PostgreSQL")
		}
	}
	for _, c := range h.Bind {
		if c.PID == l.PID {
			return svc(proto.DNS, "BIND")
		}
	}
	for _, c := range h.Samba {
		if c.PID == l.PID {
			return svc(proto.SMB, "Samba")
		}
	}
	return nil
}
