package engine

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/vigilsec/vigil/internal/audit/access"
	"github.com/vigilsec/vigil/internal/audit/sshaudit"
	"github.com/vigilsec/vigil/internal/audit/tlsaudit"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/scope"
)

// auditEnv is what an audit gets besides the service it inspects.
type auditEnv struct {
	d       *dialer.Dialer
	cfg     Config
	host    scope.Host
	timeout time.Duration
}

// newAuditEnv gives audits of host twice the identification timeout its
// round trip rtt allows.
func newAuditEnv(d *dialer.Dialer, cfg Config, h scope.Host, rtt time.Duration) auditEnv {
	return auditEnv{d: d, cfg: cfg, host: h, timeout: identifyOptions(cfg, h, rtt).Timeout * 2}
}

// audit is one deep protocol audit: it applies to some services and adds
// evidence to them.
type audit struct {
	name    string
	applies func(s *facts.Service) bool
	run     func(ctx context.Context, env auditEnv, addr netip.AddrPort, s *facts.Service) error
}

// audits is the registry of protocol audits, in the order they run on a
// service. Order is data.
var audits = []audit{
	// access first: it learns whether a STARTTLS upgrade exists, which
	// decides whether the TLS audit applies.
	{name: "access", applies: access.Applies, run: runAccess},
	{name: "tls", applies: tlsApplies, run: runTLS},
	{name: "ssh", applies: func(s *facts.Service) bool { return s.Name == "ssh" && s.Transport == facts.TCP }, run: runSSH},
}

// startTLSProtocols are the services whose TLS is reached by an upgrade.
var startTLSProtocols = map[string]string{
	"smtp": tlsaudit.StartSMTP, "imap": tlsaudit.StartIMAP, "pop3": tlsaudit.StartPOP3, "ftp": tlsaudit.StartFTP,
	"ldap": tlsaudit.StartLDAP, "postgresql": tlsaudit.StartPostgreSQL, "mysql": tlsaudit.StartMySQL,
	"rdp": tlsaudit.StartRDP,
}

func tlsApplies(s *facts.Service) bool {
	if s.Transport != facts.TCP {
		return false
	}
	if s.TLS {
		return true
	}
	_, ok := startTLSProtocols[s.Name]
	return ok && s.Access.StartTLSOffered()
}

func runAccess(ctx context.Context, env auditEnv, addr netip.AddrPort, s *facts.Service) error {
	opt := access.Options{Timeout: env.timeout, NoDefaultCreds: env.cfg.NoDefaultCreds}
	if len(env.host.Names) > 0 {
		opt.ServerName = env.host.Names[0]
	}
	a, err := access.Audit(ctx, env.d, addr, s, opt)
	if a != nil {
		s.Access = a
	}
	return err
}

func runTLS(ctx context.Context, env auditEnv, addr netip.AddrPort, s *facts.Service) error {
	opt := tlsaudit.Options{Roots: env.cfg.TLSRoots, Timeout: env.timeout, HTTP: s.Name == "http"}
	if !s.TLS {
		opt.StartTLS = startTLSProtocols[s.Name]
	}
	if len(env.host.Names) > 0 {
		opt.ServerName = env.host.Names[0]
	}
	t, err := tlsaudit.Audit(ctx, env.d, addr, opt)
	if t != nil {
		s.TLSAudit = t
	}
	if errors.Is(err, tlsaudit.ErrNoStartTLS) {
		// Not an audit failure: the cleartext checks judge this.
		return nil
	}
	return err
}

func runSSH(ctx context.Context, env auditEnv, addr netip.AddrPort, s *facts.Service) error {
	f, err := sshaudit.Audit(ctx, env.d, addr, sshaudit.Options{Timeout: env.timeout})
	if f != nil {
		s.SSH = f
	}
	return err
}

// auditService runs every audit that applies to s, in order, keeping
// their errors on s.
func auditService(ctx context.Context, env auditEnv, addr netip.AddrPort, s *facts.Service) {
	for _, a := range audits {
		if !a.applies(s) {
			continue
		}
		start := time.Now()
		err := a.run(ctx, env, addr, s)
		env.cfg.Log.Debug("audit", "audit", a.name, "addr", addr, "took", time.Since(start), "err", err)
		if err != nil {
			s.AuditErrors = append(s.AuditErrors, a.name+": "+auditErrorText(err))
		}
	}
}

// auditErrorText keeps error text short and printable: audits may quote
// what a server sent.
func auditErrorText(err error) string {
	msg := err.Error()
	if r := []rune(msg); len(r) > 300 {
		msg = string(r[:300]) + "…"
	}
	return msg
}
