package check

import "fmt"

// adminServices and databaseServices are the service names judged by
// exposure.admin and exposure.database.
var (
	adminServices    = map[string]string{"ssh": "SSH", "rdp": "RDP", "vnc": "VNC", "telnet": "Telnet", "docker": "the Docker API", "winrm": "WinRM"}
	databaseServices = map[string]string{"postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB", "redis": "Redis", "memcached": "memcached", "mongodb": "MongoDB", "elasticsearch": "Elasticsearch"}
)

// judgeExposure reports administration services and databases that a scan
// run from an untrusted network could reach. Only the user knows where the
// scanner stands, so it fires only for scans made with --untrusted.
func judgeExposure(in Input) []Hit {
	if !in.Untrusted {
		return nil
	}
	s := in.Service
	where := fmt.Sprintf("%s/%d", s.Transport, s.Port)
	if name, ok := adminServices[s.Name]; ok {
		return []Hit{{Check: "exposure.admin",
			Evidence: fmt.Sprintf("%s on %s answered a scan run from a network marked untrusted (--untrusted)", name, where),
			Fix:      exposureFix(s.Port, "administration", "reach it over a VPN or an SSH jump host")}}
	}
	if name, ok := databaseServices[s.Name]; ok {
		return []Hit{{Check: "exposure.database",
			Evidence: fmt.Sprintf("%s on %s answered a scan run from a network marked untrusted (--untrusted)", name, where),
			Fix:      exposureFix(s.Port, "database", "bind it to loopback or to the private interface the applications use")}}
	}
	return nil
}

func exposureFix(port int, kind, alt string) string {
	return fmt.Sprintf("Allow tcp/%d only from the addresses that need this %s service, or %s. With nftables on the server: "+
		"nft add rule inet filter input ip saddr 10.0.0.0/24 tcp dport %d accept; nft add rule inet filter input tcp dport %d drop "+
		"(replace 10.0.0.0/24 with your management or application network, and make the rules persistent in /etc/nftables.conf).",
		port, kind, alt, port, port)
}
