package engine

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/scope"
)

// TestModuleAudits: a module's audit applies only to services of its
// protocol (and then as its Applies says), is labelled by its name, and
// gets the scan's dialer, timeout, host names and credential policy.
func TestModuleAudits(t *testing.T) {
	var env module.Env
	ms := []module.Module{
		{Name: "fake", Audit: &module.Audit{
			Applies: func(s *facts.Service) bool { return s.Transport == facts.TCP },
			Run: func(_ context.Context, e module.Env, _ netip.AddrPort, _ *facts.Service) error {
				env = e
				return errors.New("refused")
			}}},
		{Name: "labelled", Audit: &module.Audit{Name: "files", Run: func(context.Context, module.Env, netip.AddrPort, *facts.Service) error { return nil }}},
		{Name: "no-audit"},
	}
	as := moduleAudits(ms)
	if len(as) != 2 || as[0].name != "fake" || as[1].name != "files" {
		t.Fatalf("audits %+v", as)
	}
	for _, tt := range []struct {
		s    facts.Service
		want bool
	}{
		{facts.Service{Name: "fake", Transport: facts.TCP}, true},
		{facts.Service{Name: "fake", Transport: facts.UDP}, false},
		{facts.Service{Name: "other", Transport: facts.TCP}, false},
	} {
		if got := as[0].applies(&tt.s); got != tt.want {
			t.Errorf("%s/%s: applies %v", tt.s.Name, tt.s.Transport, got)
		}
	}
	if !as[1].applies(&facts.Service{Name: "labelled"}) {
		t.Error("an audit without Applies does not apply to its protocol")
	}
	ae := auditEnv{cfg: Config{NoDefaultCreds: true, Log: slog.New(slog.DiscardHandler)}, host: scope.Host{Names: []string{"db.lab"}}, timeout: 3 * time.Second}
	s := facts.Service{Name: "fake", Transport: facts.TCP}
	auditWith(t.Context(), ae, netip.MustParseAddrPort("127.0.2.1:1"), &s, as)
	if env.Timeout != 3*time.Second || !env.NoDefaultCreds || len(env.Names) != 1 || env.Names[0] != "db.lab" {
		t.Errorf("env %+v", env)
	}
	if len(s.AuditErrors) != 1 || s.AuditErrors[0] != "fake: refused" {
		t.Errorf("audit errors %q", s.AuditErrors)
	}
}
