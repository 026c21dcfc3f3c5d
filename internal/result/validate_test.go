package result

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

// TestValidate: a document Assemble builds reads back; each value out of
// place makes Read refuse it with ErrInvalid, naming the value.
func TestValidate(t *testing.T) {
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	good := func() *Document {
		hosts := []facts.Host{{Address: "10.0.0.5", Services: []facts.Service{{Port: 22, Transport: facts.TCP, Name: "ssh"}}}}
		fs := []finding.Finding{{ID: "abc123", Check: "ssh.auth.password", Severity: finding.Medium, Host: "10.0.0.5", Port: 22,
			Transport: facts.TCP, Title: "Password login", Recommendation: "Turn it off."}}
		return Assemble("20261207T120000Z-0000", start, start.Add(time.Minute), []string{"10.0.0.5"}, hosts, fs, nil)
	}
	tests := []struct {
		name  string
		spoil func(*Document)
		want  string
	}{
		{"valid", func(*Document) {}, ""},
		{"schema", func(d *Document) { d.Schema = "vigil/scan/v9" }, `schema is "vigil/scan/v9"`},
		{"id", func(d *Document) { d.ID = "" }, "no id"},
		{"times", func(d *Document) { d.Finished = d.Started.Add(-time.Hour) }, "ends"},
		{"level", func(d *Document) { d.Level.Value = 42 }, "level 42 is outside 1 to 5"},
		{"host level", func(d *Document) { d.Hosts[0].Level = 0 }, "host 10.0.0.5: level 0"},
		{"port", func(d *Document) { d.Hosts[0].Services[0].Port = 70000 }, "port 70000"},
		{"transport", func(d *Document) { d.Hosts[0].Services[0].Transport = "sctp" }, `transport "sctp"`},
		{"service name", func(d *Document) { d.Hosts[0].Services[0].Name = "\x1b[31mssh" }, "service name"},
		{"check", func(d *Document) { d.Findings[0].Check = "rm -rf" }, `check "rm -rf"`},
		{"finding host", func(d *Document) { d.Findings[0].Host = "" }, "names no host"},
		{"finding port", func(d *Document) { d.Findings[0].Port = -1 }, "port -1"},
		{"title", func(d *Document) { d.Findings[0].Title = "" }, "no title"},
	}
	for _, tt := range tests {
		d := good()
		tt.spoil(d)
		var b bytes.Buffer
		if err := d.Write(&b); err != nil {
			t.Fatal(err)
		}
		_, err := Read(&b)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want ErrInvalid naming %q", tt.name, err, tt.want)
		}
	}
	if _, err := Read(strings.NewReader(`{"schema": "vigil/scan/v1", "severity": 3}`)); !errors.Is(err, ErrInvalid) {
		t.Errorf("a document without id, times or level: %v", err)
	}
}
