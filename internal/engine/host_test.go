package engine

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/result"
)

// TestUnjudgedConfigurations: a host audit that could not read a
// daemon's configuration whole says which checks it did not judge, and a
// scan carrying that audit says so too; the vulnerability database's gap
// and other notes stay the audit's own.
func TestUnjudgedConfigurations(t *testing.T) {
	audit := func(unjudged ...facts.Unjudged) *result.Document {
		h := &facts.HostAudit{Hostname: "clinic-server", Time: time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC),
			Addresses: []string{"127.0.2.12"}, Unjudged: unjudged, Errors: []string{"sshd (pid 7): reading /etc/ssh/sshd_config failed"}}
		doc, err := JudgeHostAudit(t.Context(), h, HostJudgement{Version: "test", Started: h.Time})
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	gapsOf := func(gs []result.Gap) (checks []string) {
		for _, g := range gs {
			checks = append(checks, g.Checks...)
		}
		return checks
	}

	whole := audit()
	if got := gapsOf(unjudgedBy(whole, "127.0.2.12")); len(got) != 0 {
		t.Errorf("an audit that read every configuration carries gaps of %v", got)
	}
	if checks := gapsOf(whole.NotExamined); slices.Contains(checks, "ssh.config.root-login") {
		t.Errorf("an audit that judged sshd lists its checks as not judged: %v", whole.NotExamined)
	}

	part := audit(facts.Unjudged{Kind: "sshd", PID: 7, Why: "reading /etc/ssh/sshd_config failed"},
		facts.Unjudged{Kind: "nginx", PID: 9, Why: "nginx -T failed"})
	checks := gapsOf(part.NotExamined)
	for _, c := range []string{"ssh.config.root-login", "ssh.config.password-auth"} {
		if !slices.Contains(checks, c) {
			t.Errorf("the audit's gaps %v do not name %s", part.NotExamined, c)
		}
	}
	carried := unjudgedBy(part, "127.0.2.12")
	if got := gapsOf(carried); !slices.Equal(got, []string{"ssh.config.root-login", "ssh.config.password-auth"}) {
		t.Errorf("a scan carries %v, want sshd's two checks alone (nginx's configuration is judged by none; the database gap is the audit's)", got)
	}
	if len(carried) != 1 || !strings.Contains(carried[0].What, "127.0.2.12") || !strings.Contains(carried[0].What, "pid 7") {
		t.Errorf("carried gap %+v does not say whose audit and which daemon", carried)
	}
}
