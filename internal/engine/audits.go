package engine

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/audit/access"
	"github.com/vigilsec/vigil/internal/audit/apiaudit"
	"github.com/vigilsec/vigil/internal/audit/dnsaudit"
	"github.com/vigilsec/vigil/internal/audit/fileshare"
	"github.com/vigilsec/vigil/internal/audit/httpaudit"
	"github.com/vigilsec/vigil/internal/audit/rdpaudit"
	"github.com/vigilsec/vigil/internal/audit/smbaudit"
	"github.com/vigilsec/vigil/internal/audit/sshaudit"
	"github.com/vigilsec/vigil/internal/audit/tlsaudit"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/protocols"
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
// service. Order is data. The protocol modules' audits (internal/protocols)
// follow the built-in ones.
var audits = slices.Concat([]audit{
	// access first: it learns whether a STARTTLS upgrade exists, which
	// decides whether the TLS audit applies.
	{name: "access", applies: access.Applies, run: runAccess},
	// http needs nothing the others learn: web servers' pages, proxying,
	// TRACE and HSTS.
	{name: "http", applies: httpaudit.Applies, run: runHTTP},
	{name: "tls", applies: tlsApplies, run: runTLS},
	{name: "ssh", applies: func(s *facts.Service) bool { return s.Name == proto.SSH && s.Transport == facts.TCP }, run: runSSH},
	{name: "api", applies: apiaudit.Applies, run: runAPI},
	{name: "files", applies: fileshare.Applies, run: runFileshare},
	{name: "smb", applies: smbaudit.Applies, run: runSMB},
	{name: "rdp", applies: rdpaudit.Applies, run: runRDP},
	{name: "dns", applies: func(s *facts.Service) bool { return s.Name == proto.DNS && !s.TLS }, run: runDNS},
}, moduleAudits(protocols.Modules))

// moduleAudits adapts the audits of ms: each applies only to services of
// its module's protocol.
func moduleAudits(ms []module.Module) []audit {
	var out []audit
	for _, m := range ms {
		if m.Audit == nil {
			continue
		}
		a, name := m.Audit, m.Name
		label := a.Name
		if label == "" {
			label = name
		}
		out = append(out, audit{name: label,
			applies: func(s *facts.Service) bool { return s.Name == name && (a.Applies == nil || a.Applies(s)) },
			run: func(ctx context.Context, env auditEnv, addr netip.AddrPort, s *facts.Service) error {
				return a.Run(ctx, module.Env{Dialer: env.d, Timeout: env.timeout, Names: env.host.Names, NoDefaultCreds: env.cfg.NoDefaultCreds}, addr, s)
			}})
	}
	return out
}

func tlsApplies(s *facts.Service) bool {
	if s.Transport != facts.TCP {
		return false
	}
	if s.TLS {
		return true
	}
	return proto.Upgrade(s.Name) != "" && s.Access.StartTLSOffered()
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
	opt := tlsaudit.Options{Roots: env.cfg.TLSRoots, Timeout: env.timeout, HTTP: s.Name == proto.HTTP}
	if !s.TLS {
		opt.StartTLS = proto.Upgrade(s.Name)
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

func runAPI(ctx context.Context, env auditEnv, addr netip.AddrPort, s *facts.Service) error {
	opt := apiaudit.Options{Timeout: env.timeout, NoDefaultCreds: env.cfg.NoDefaultCreds}
	if len(env.host.Names) > 0 {
		opt.ServerName = env.host.Names[0]
	}
	a, err := apiaudit.Audit(ctx, env.d, addr, s, opt)
	if a != nil {
		s.API = a
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

func runHTTP(ctx context.Context, env auditEnv, addr netip.AddrPort, s *facts.Service) error {
	opt := httpaudit.Options{Timeout: env.timeout}
	if len(env.host.Names) > 0 {
		opt.ServerName = env.host.Names[0]
	}
	h, err := httpaudit.Audit(ctx, env.d, addr, s, opt)
	if h != nil {
		s.HTTP = h
	}
	return err
}

func runFileshare(ctx context.Context, env auditEnv, addr netip.AddrPort, s *facts.Service) error {
	return fileshare.Audit(ctx, env.d, addr, s, fileshare.Options{Timeout: env.timeout})
}

func runSMB(ctx context.Context, env auditEnv, addr netip.AddrPort, s *facts.Service) error {
	return smbaudit.Audit(ctx, env.d, addr, s, smbaudit.Options{Timeout: env.timeout})
}
func runRDP(ctx context.Context, env auditEnv, addr netip.AddrPort, s *facts.Service) error {
	return rdpaudit.Audit(ctx, env.d, addr, s, rdpaudit.Options{Timeout: env.timeout})
}

func runDNS(ctx context.Context, env auditEnv, addr netip.AddrPort, s *facts.Service) error {
	a, err := dnsaudit.Audit(ctx, env.d, addr, s, dnsaudit.Options{Timeout: env.timeout, Names: env.host.Names, Zones: env.cfg.DNSZones})
	if a != nil {
		s.DNS = a
	}
	return err
}

// auditService runs every audit that applies to s, in order, keeping
// their errors on s.
func auditService(ctx context.Context, env auditEnv, addr netip.AddrPort, s *facts.Service) {
	auditWith(ctx, env, addr, s, audits)
}

// auditWith runs each of list that applies to s, in order.
func auditWith(ctx context.Context, env auditEnv, addr netip.AddrPort, s *facts.Service, list []audit) {
	for _, a := range list {
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
