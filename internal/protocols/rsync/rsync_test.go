package rsync

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/module"
)

func TestJudge(t *testing.T) {
	daemon := func(listed bool, mods ...Share) *Daemon {
		return &Daemon{Protocol: "31.0", Listed: listed, Modules: mods}
	}
	tests := []struct {
		name     string
		d        *Daemon
		severity finding.Severity // zero: the catalogue's; no hit when evidence is nil
		evidence []string
	}{
		{"open module", daemon(true, Share{Name: "pub", Access: Open}, Share{Name: "backup", Access: Auth}),
			0, []string{`module "pub"`, "tcp/873", `#list names 2 modules: "pub", "backup"`, "no file was listed"}},
		{"list only", daemon(true, Share{Name: "backup", Access: Auth}),
			finding.Medium, []string{`lists its modules to anyone (#list): "backup"`, "medium, not high"}},
		{"hidden module open", daemon(false, Share{Name: "x", Access: Open}), 0, []string{`module "x"`}},
		{"hard", daemon(false), 0, nil},
		{"not audited", nil, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &facts.Service{Port: 873, Transport: facts.TCP, Name: "rsync"}
			Evidence.Set(s, tt.d)
			hits := Module.Judge(module.Input{Service: s})
			if tt.evidence == nil {
				if len(hits) != 0 {
					t.Fatalf("got %+v, want none", hits)
				}
				return
			}
			if len(hits) != 1 || hits[0].Check != "rsync.module.open" || hits[0].Severity != tt.severity {
				t.Fatalf("got %+v", hits)
			}
			for _, e := range tt.evidence {
				if !strings.Contains(hits[0].Evidence, e) {
					t.Errorf("evidence %q lacks %q", hits[0].Evidence, e)
				}
			}
		})
	}
}

// TestEvidenceJSON: the evidence is the service's "rsync" member, as the
// field facts.Service.Rsync wrote it before the module.
func TestEvidenceJSON(t *testing.T) {
	s := facts.Service{Port: 873, Transport: facts.TCP, Name: "rsync"}
	Evidence.Set(&s, &Daemon{Protocol: "31.0", Listed: true, Modules: []Share{{Name: "pub", Comment: "pub files", Access: Open}}})
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `"rsync":{"protocol":"31.0","listed":true,"modules":[{"name":"pub","comment":"pub files","access":"open"}]}`
	if !strings.Contains(string(b), want) {
		t.Fatalf("got %s, want it to hold %s", b, want)
	}
	var back facts.Service
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if hits := Module.Judge(module.Input{Service: &back}); len(hits) != 1 {
		t.Errorf("judged after a round trip: %+v", hits)
	}
	if !checks[0].Examines(&back) {
		t.Error("Examines does not see the daemon")
	}
}
