package check

import (
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
)

func TestExposure(t *testing.T) {
	tests := []struct {
		name      string
		service   string
		untrusted bool
		want      string
	}{
		{"ssh from an untrusted network", "ssh", true, "exposure.admin"},
		{"docker from an untrusted network", "docker", true, "exposure.admin"},
		{"winrm from an untrusted network", "winrm", true, "exposure.admin"},
		{"postgresql from an untrusted network", "postgresql", true, "exposure.database"},
		{"redis from an untrusted network", "redis", true, "exposure.database"},
		{"ssh from the office network", "ssh", false, ""},
		{"https from an untrusted network", "http", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := []facts.Host{{Address: "127.0.2.12", Services: []facts.Service{{Port: 22, Transport: "tcp", Name: tt.service, TLS: tt.service == "http"}}}}
			var got string
			for _, f := range JudgeScan(h, Scope{Now: time.Now(), Untrusted: tt.untrusted}) {
				if f.Check == "exposure.admin" || f.Check == "exposure.database" {
					got = f.Check
					if f.Evidence == "" || f.Recommendation == "" {
						t.Errorf("empty evidence or fix: %+v", f)
					}
				}
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
