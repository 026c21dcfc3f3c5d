package check

import (
	"fmt"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/proto"
)

// judgeIdentified judges what identification alone decides: protocols that
// have no encryption on the port they were found on.
func judgeIdentified(in Input) []Hit {
	s := in.Service
	if s.TLS {
		return nil
	}
	where := fmt.Sprintf("%s/%d", s.Transport, s.Port)
	switch s.Name {
	case proto.Telnet:
		return []Hit{{Check: "cleartext.telnet", Evidence: fmt.Sprintf("a Telnet server answers on %s%s", where, bannerNote(s)),
			Fix: "Stop and disable the Telnet service (on Debian: apt-get purge inetutils-telnetd telnetd, or remove its line from /etc/inetd.conf) and use SSH instead."}}
	case proto.Redis:
		return []Hit{{Check: "cleartext.redis", Evidence: fmt.Sprintf("Redis%s speaks plain RESP on %s", versionNote(s), where),
			Fix: "In redis.conf set bind 127.0.0.1 ::1 if only local clients need Redis; otherwise enable TLS (Redis 6.0+): tls-port 6380, tls-cert-file, tls-key-file, and port 0 to close the plaintext port. Then restart redis-server."}}
	case proto.Memcached:
		return []Hit{{Check: "cleartext.memcached", Evidence: fmt.Sprintf("memcached%s speaks its plain text protocol on %s", versionNote(s), where),
			Fix: "In /etc/memcached.conf set -l 127.0.0.1 if only local clients need it; otherwise enable TLS (memcached 1.5.13+ built with TLS: -Z -o ssl_chain_cert=…,ssl_key=…). Then restart memcached."}}
	case proto.MQTT:
		return []Hit{{Check: "cleartext.mqtt", Evidence: fmt.Sprintf("an MQTT broker%s accepts plain MQTT on %s", productNote(s), where),
			Fix: mqttTLSFix(s)}}
	}
	return nil
}

func mqttTLSFix(s *facts.Service) string {
	if s.Product == "Mosquitto" || s.Product == "" {
		return fmt.Sprintf("In mosquitto.conf replace the plain listener on %d with a TLS listener: listener 8883, certfile, keyfile (and cafile for client certificates); then restart mosquitto. Other brokers: enable their TLS listener on 8883 and close %d.", s.Port, s.Port)
	}
	return fmt.Sprintf("Enable the broker's TLS listener (port 8883) and close the plain listener on %d.", s.Port)
}

func versionNote(s *facts.Service) string {
	if s.Version != "" {
		return " " + s.Version
	}
	return ""
}

func productNote(s *facts.Service) string { return module.ProductNote(s) }

func bannerNote(s *facts.Service) string {
	if s.Banner == "" {
		return ""
	}
	return "; it sent " + quoteBanner(s.Banner)
}

// quoteBanner quotes a banner for evidence. It is already printable (its
// control bytes are \xNN escapes, see internal/sanitize): quoting it with
// %q would escape those escapes again (\\xff).
func quoteBanner(b string) string { return `"` + b + `"` }
