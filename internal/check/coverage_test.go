package check

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

func TestJudgeCoverage(t *testing.T) {
	tests := []struct {
		name  string
		svc   facts.Service
		check string
		says  string
	}{
		{"silent port", facts.Service{Port: 7, Transport: facts.TCP, Name: facts.Unknown}, "coverage.unexamined", "answered none of vigil's probes"},
		{"unknown bytes", facts.Service{Port: 7, Transport: facts.TCP, Name: facts.Unknown, Banner: "HELLO"}, "coverage.unexamined", `sent bytes vigil does not recognise: "HELLO"`},
		{"a UDP port answering in no known protocol", facts.Service{Port: 7, Transport: facts.UDP, Name: facts.Unknown, Banner: "HELLO"}, "coverage.unexamined", `udp/7 is open and sent bytes vigil does not recognise: "HELLO"`},
		{"an echo service", facts.Service{Port: 7, Transport: facts.TCP, Name: facts.Unknown, Details: map[string]string{facts.DetailEcho: "yes"}}, "coverage.unexamined", "sends back whatever it is sent (an echo service)"},
		{"not tried", facts.Service{Port: 7, Transport: facts.TCP, Name: facts.Unknown, Details: map[string]string{facts.DetailUnexamined: "not probed (--ports-only)"}}, "coverage.unexamined", "(not probed (--ports-only))"},
		{"audit failed", facts.Service{Port: 22, Transport: facts.TCP, Name: "ssh", AuditErrors: []string{"timeout"}}, "coverage.audit-failed", "tcp/22 (ssh): timeout"},
		{"identified and audited", facts.Service{Port: 22, Transport: facts.TCP, Name: "ssh"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := tt.svc
			hits := judgeCoverage(Input{Host: &facts.Host{Address: "127.0.0.1"}, Service: &svc})
			if tt.check == "" {
				if len(hits) != 0 {
					t.Fatalf("hits %+v, want none", hits)
				}
				return
			}
			if len(hits) != 1 || hits[0].Check != tt.check || !strings.Contains(hits[0].Evidence, tt.says) {
				t.Fatalf("hits %+v, want one %s saying %q", hits, tt.check, tt.says)
			}
			if ss := "ss -ltnp"; tt.check == "coverage.unexamined" {
				if svc.Transport == facts.UDP {
					ss = "ss -lunp"
				}
				if !strings.Contains(hits[0].Fix, ss) {
					t.Errorf("fix %q does not say %s", hits[0].Fix, ss)
				}
			}
		})
	}
}
