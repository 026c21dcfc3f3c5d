package check

import (
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
)

// judgeCoverage turns what a scan could not examine into findings: a port
// no probe identified (coverage.unexamined), and an audit of a known
// service that did not complete (coverage.audit-failed).
func judgeCoverage(in Input) []Hit {
	s := in.Service
	where := fmt.Sprintf("%s/%d", s.Transport, s.Port)
	if s.Name == facts.Unknown {
		ev := fmt.Sprintf("%s is open but answered none of vigil's probes", where)
		if s.Banner != "" {
			ev = fmt.Sprintf("%s is open and sent bytes vigil does not recognise: %s", where, quoteBanner(s.Banner))
		} else if s.TLS {
			ev = fmt.Sprintf("%s speaks TLS, but nothing inside it that vigil recognises", where)
		}
		if s.Detail(facts.DetailEcho) != "" {
			ev = fmt.Sprintf("%s is open and sends back whatever it is sent (an echo service), which names no protocol", where)
		}
		if why := s.Detail(facts.DetailUnexamined); why != "" {
			ev += " (" + why + ")"
		}
		ss := "ss -ltnp"
		if s.Transport == facts.UDP {
			ss = "ss -lunp"
		}
		return []Hit{{Check: "coverage.unexamined", Evidence: ev,
			Fix: fmt.Sprintf("Find the program behind the port: on the host run %s 'sport = :%d' (or vigil host), identify it, and close the port if nothing needs it; scan again to confirm.", ss, s.Port)}}
	}
	if len(s.AuditErrors) > 0 {
		return []Hit{{Check: "coverage.audit-failed",
			Evidence: fmt.Sprintf("%s (%s): %s", where, s.Name, strings.Join(s.AuditErrors, "; ")),
			Fix:      fmt.Sprintf("Scan it again: vigil scan %s -p %d. If the audit keeps failing, check the server's load and logs, or give it more time with --timeout.", in.Host.Address, s.Port)}}
	}
	return nil
}
