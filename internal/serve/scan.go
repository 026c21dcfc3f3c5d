package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/buildinfo"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/engine"
	"github.com/vigilsec/vigil/internal/hostaudit"
	"github.com/vigilsec/vigil/internal/level"
	"github.com/vigilsec/vigil/internal/portscan"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// Bounds of a scan request.
const (
	maxTargets     = 64
	maxTargetBytes = 256
)

// ScanRequest is what POST /api/v1/scans takes.
type ScanRequest struct {
	Targets []string `json:"targets"`
	Ports   string   `json:"ports"`
}

// CheckScan applies the CLI's scope rules to a scan request: targets that
// parse, at most the CLI's host limit, nothing public unless allowPublic,
// no @FILE (a file on the server), and ports that parse. The error says
// what is wrong in the user's words.
func CheckScan(ctx context.Context, req ScanRequest, allowPublic bool) error {
	if len(req.Targets) == 0 {
		return errors.New("give at least one target")
	}
	if len(req.Targets) > maxTargets {
		return fmt.Errorf("at most %d targets in one scan", maxTargets)
	}
	for _, t := range req.Targets {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
			return errors.New("an empty target")
		case len(t) > maxTargetBytes:
			return fmt.Errorf("a target longer than %d characters", maxTargetBytes)
		case strings.HasPrefix(t, "@") || strings.Contains(t, ",@"):
			return fmt.Errorf("target %q: @FILE reads a file on the server; list the targets instead", clip(t, 60))
		}
	}
	if _, err := portscan.ParsePorts(portsOrDefault(req.Ports)); err != nil {
		return fmt.Errorf("ports: %w", err)
	}
	cfg := scope.Config{AllowPublic: allowPublic, MaxHosts: scope.DefaultMaxHosts, Resolver: net.DefaultResolver}
	if _, err := scope.Expand(ctx, cfg, trimAll(req.Targets), nil); err != nil {
		return err
	}
	return nil
}

func trimAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

func portsOrDefault(p string) string {
	if strings.TrimSpace(p) == "" {
		return portscan.AllPorts
	}
	return strings.TrimSpace(p)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// BaseScanConfig is the engine configuration `vigil scan TARGETS -p PORTS`
// uses with its defaults: the connect scan, discovery, every customary UDP
// port, the default timeouts and concurrency. The store gives what the
// CLI reads from it: recent host audits and the risk acceptances in force.
// The vulnerability database is the caller's to add.
func BaseScanConfig(ctx context.Context, st *store.Store, j store.Job, allowPublic bool, version string) (engine.Config, error) {
	spec := portsOrDefault(j.Ports)
	ports, err := portscan.ParsePorts(spec)
	if err != nil {
		return engine.Config{}, fmt.Errorf("ports: %w", err)
	}
	timeout := time.Second
	host, herr := os.Hostname()
	if herr != nil || host == "" {
		host = "unknown"
	}
	rev := buildinfo.Read().Revision
	if rev == "" {
		rev = "unknown"
	}
	cfg := engine.Config{
		Targets:    trimAll(j.Targets),
		Scope:      scope.Config{AllowPublic: allowPublic, MaxHosts: scope.DefaultMaxHosts, Resolver: net.DefaultResolver},
		Dial:       dialer.Config{Concurrency: 4096, Timeout: timeout},
		PortSpec:   spec,
		Ports:      ports,
		UDPPorts:   proto.UDPPorts(),
		Discovery:  true,
		MinTimeout: 100 * time.Millisecond,
		Tool:       "vigil " + version,
		Run: result.Run{Operator: j.Actor, Scanner: result.Scanner{Host: host}, Version: version, Revision: rev,
			Options: map[string]any{"ports": spec, "udp_ports": portscan.FormatPorts(proto.UDPPorts()), "allow_public": allowPublic,
				"job": j.ID, "schedule": j.Schedule, "server": true}},
	}
	if st != nil {
		if audits, err := st.LatestHostAudits(ctx, time.Now().Add(-level.HostAuditWindow)); err == nil {
			cfg.HostAudits = audits
		}
		if acc, err := st.InForce(ctx, time.Now()); err == nil {
			cfg.Accepted = acc
		}
		cfg.Here = hostaudit.Here(ctx)
	}
	return cfg, cfg.Validate()
}

// work runs one job: the scan or host audit, then stores its document
// and runs the hooks (alerts).
func (s *Server) work(ctx context.Context, j store.Job, progress func(string, float64)) (string, error) {
	var doc *result.Document
	switch j.Kind {
	case store.JobScan:
		var cfg engine.Config
		cleanup := func() {}
		var err error
		if s.opt.ScanConfig != nil {
			cfg, cleanup, err = s.opt.ScanConfig(ctx, j)
		} else {
			cfg, err = BaseScanConfig(ctx, s.st, j, s.opt.AllowPublic, s.opt.Version)
		}
		if err != nil {
			return "", err
		}
		defer cleanup()
		cfg.Log = s.log.With("job", j.ID)
		cfg.Progress = func(p engine.Progress) {
			f := 0.0
			if p.Total > 0 {
				f = float64(p.Done) / float64(p.Total)
			}
			// Ports are the first half of the work, services the second.
			if p.Phase == "services" {
				progress(p.Phase, 0.5+0.49*f)
			} else {
				progress(p.Phase, 0.5*f)
			}
		}
		if doc, err = engine.Run(ctx, cfg); err != nil {
			return "", err
		}
	case store.JobHostAudit:
		if s.opt.HostAudit == nil {
			return "", errors.New("host audits need vigil serve --ssh-key")
		}
		progress("audit", 0.1)
		var err error
		if doc, err = s.opt.HostAudit(ctx, j); err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("unknown kind of job %q", j.Kind)
	}
	progress("saving", 0.99)
	if err := s.st.Save(context.WithoutCancel(ctx), doc); err != nil {
		return "", err
	}
	s.alertScan(context.WithoutCancel(ctx), doc)
	s.hookMu.Lock()
	hooks := append([]func(context.Context, *result.Document){}, s.hooks...)
	s.hookMu.Unlock()
	for _, h := range hooks {
		h(context.WithoutCancel(ctx), doc)
	}
	return doc.ID, nil
}

// submitScan checks a scan request against the scope rules and queues it.
func (s *Server) submitScan(ctx context.Context, req ScanRequest, actor, schedule string, planned time.Time) (store.Job, error) {
	if err := CheckScan(ctx, req, s.opt.AllowPublic); err != nil {
		return store.Job{}, &requestError{err}
	}
	return s.runner.Submit(ctx, store.Job{Kind: store.JobScan, Targets: trimAll(req.Targets), Ports: strings.TrimSpace(req.Ports),
		Actor: actor, Schedule: schedule, Planned: planned})
}

// requestError is a request the server refuses (400), with the reason.
type requestError struct{ err error }

func (e *requestError) Error() string { return e.err.Error() }
func (e *requestError) Unwrap() error { return e.err }
