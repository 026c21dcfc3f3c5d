package check

import (
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

func TestTFTP(t *testing.T) {
	tests := []struct {
		name      string
		service   facts.Service
		untrusted bool
		want      finding.Severity // 0: no finding
	}{
		{"tftp answered", facts.Service{Port: 69, Transport: "udp", Name: "tftp", Details: map[string]string{"tftp.error": "1 File not found"}}, false, finding.Medium},
		{"tftp from an untrusted network", facts.Service{Port: 69, Transport: "udp", Name: "tftp"}, true, finding.High},
		{"no tftp on the port", facts.Service{Port: 69, Transport: "udp", Name: "unknown"}, true, 0},
		{"another udp service", facts.Service{Port: 161, Transport: "udp", Name: "ntp"}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := []facts.Host{{Address: "127.0.2.100", Services: []facts.Service{tt.service}}}
			var got []finding.Finding
			for _, f := range JudgeScan(h, Scope{Now: time.Now(), Untrusted: tt.untrusted}) {
				if f.Check == "tftp.open" {
					got = append(got, f)
				}
			}
			if tt.want == 0 {
				if len(got) != 0 {
					t.Errorf("unexpected %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("%d tftp.open findings, want 1", len(got))
			}
			f := got[0]
			if f.Severity != tt.want || f.Port != 69 || f.Transport != "udp" {
				t.Errorf("severity %v port %d/%s", f.Severity, f.Port, f.Transport)
			}
			if !strings.Contains(f.Recommendation, "TFTP_ADDRESS") || !strings.Contains(f.Evidence, "TFTP on udp/69") {
				t.Errorf("evidence %q fix %q", f.Evidence, f.Recommendation)
			}
			if e := tt.service.Detail("tftp.error"); e != "" && !strings.Contains(f.Evidence, e) {
				t.Errorf("evidence %q lacks the server's error %q", f.Evidence, e)
			}
		})
	}
}
