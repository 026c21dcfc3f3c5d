package protocols

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/proto"
)

// TestModules checks what the pipeline relies on in every registered
// module: a name with its line in the protocol table, registered once; a
// way to be identified; checks of its own protocol's area, each with the
// evidence rule of its catalogue entry (Examines and Needs); and a judge
// whenever it has checks.
func TestModules(t *testing.T) {
	if len(Modules) == 0 {
		t.Fatal("no module registered")
	}
	seen := map[string]bool{}
	ids := map[string]bool{}
	for _, m := range Modules {
		if _, ok := proto.Lookup(m.Name); !ok {
			t.Errorf("%q: not in the protocol table (internal/proto/table.go)", m.Name)
		}
		if seen[m.Name] {
			t.Errorf("%q: registered twice", m.Name)
		}
		seen[m.Name] = true
		if m.Banner == nil && m.Probe == nil && m.UDP == nil {
			t.Errorf("%q: no identification entry point (Banner, Probe or UDP)", m.Name)
		}
		if m.ProbeTLS && m.Probe == nil {
			t.Errorf("%q: ProbeTLS without a Probe", m.Name)
		}
		if m.Audit != nil && m.Audit.Run == nil {
			t.Errorf("%q: an audit without Run", m.Name)
		}
		if len(m.Checks) > 0 && m.Judge == nil {
			t.Errorf("%q: checks without a judge", m.Name)
		}
		for _, c := range m.Checks {
			if ids[c.ID] {
				t.Errorf("%s: declared twice", c.ID)
			}
			ids[c.ID] = true
			if !strings.HasPrefix(c.ID, m.Name+".") && !strings.Contains(c.ID, "."+m.Name) {
				t.Errorf("%s: the ID does not name the module's protocol %q", c.ID, m.Name)
			}
			if c.Examines == nil || c.Needs == "" {
				t.Errorf("%s: no Examines/Needs (its compliance evidence rule)", c.ID)
			}
		}
	}
}

// TestJudgesIgnoreBareServices: a judge given a service of its protocol
// without any evidence reports nothing (the finding disappears with the
// fact), and no Examines claims such a service was examined.
func TestJudgesIgnoreBareServices(t *testing.T) {
	for _, m := range Modules {
		s := &facts.Service{Port: 1, Transport: facts.TCP, Name: m.Name}
		if m.Judge != nil {
			if hits := m.Judge(module.Input{Service: s}); len(hits) != 0 {
				t.Errorf("%s: hits on a bare service: %+v", m.Name, hits)
			}
		}
		for _, c := range m.Checks {
			if c.Examines(s) {
				t.Errorf("%s: examines a service without evidence", c.ID)
			}
		}
	}
}
