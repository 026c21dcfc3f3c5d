package check

import (
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
)

// TestModuleJudges: a module's judge sees only services of its protocol,
// with the input's host, time and vantage point; its checks join the
// catalogue in module order.
func TestModuleJudges(t *testing.T) {
	var got []module.Input
	ms := []module.Module{
		{Name: "fake", Checks: []Check{{ID: "fake.one"}, {ID: "fake.two"}},
			Judge: func(in module.Input) []Hit { got = append(got, in); return []Hit{{Check: "fake.one"}} }},
		{Name: "silent", Checks: []Check{{ID: "silent.one"}}},
	}
	if cs := moduleChecks(ms); len(cs) != 3 || cs[0].ID != "fake.one" || cs[2].ID != "silent.one" {
		t.Errorf("checks %+v", cs)
	}
	js := moduleJudges(ms)
	if len(js) != 1 {
		t.Fatalf("%d judges, want 1 (silent has none)", len(js))
	}
	h := &facts.Host{Address: "127.0.2.1"}
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	if hits := js[0](Input{Host: h, Service: &facts.Service{Name: "other"}, Now: now}); len(hits) != 0 || len(got) != 0 {
		t.Errorf("judged another protocol: %+v", hits)
	}
	if hits := js[0](Input{Host: h}); len(hits) != 0 {
		t.Errorf("judged no service: %+v", hits)
	}
	s := &facts.Service{Name: "fake"}
	hits := js[0](Input{Host: h, Service: s, Now: now, Untrusted: true})
	if len(hits) != 1 || len(got) != 1 || got[0].Host != h || got[0].Service != s || !got[0].Now.Equal(now) || !got[0].Untrusted {
		t.Errorf("hits %+v, input %+v", hits, got)
	}
}
