// Package engine runs a network scan from targets to a judged, rated
// document: scope, then the port scan, whose open ports are identified and
// audited as they are found, then checks and level.
package engine

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/identify"
	"github.com/vigilsec/vigil/internal/portscan"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/scope"
)

// Config describes one scan.
type Config struct {
	Targets  []string
	Excludes []string
	Scope    scope.Config
	Dial     dialer.Config
	// PortSpec is the TCP port selection as the user wrote it; Ports is it parsed.
	PortSpec string
	Ports    []uint16
	// UDPPorts are probed with the UDP probes (DNS, NTP, SNMP).
	UDPPorts []uint16
	// Discovery skips hosts that show no sign of life (multi-host scans).
	Discovery bool
	// MinTimeout is the floor of the adaptive per-host timeout; the
	// ceiling is Dial.Timeout.
	MinTimeout time.Duration
	// PortsOnly stops after the port scan: no identification, no audits.
	PortsOnly bool
	// NoDefaultCreds turns off tries of vendor-default credentials.
	NoDefaultCreds bool
	// TLSRoots are the roots certificates must chain to (system roots plus
	// --tls-ca); nil means the system roots.
	TLSRoots *x509.CertPool
	// Label names the environment, for comparisons.
	Label string
	// Untrusted says the scanner stands on a network that should not reach
	// administration services or databases.
	Untrusted bool
	// HostAudits are the latest host audit (vigil host) of each machine
	// within the level-5 window. A scanned address one of them covers
	// carries its findings (result.Carry) and counts as audited then.
	HostAudits []*result.Document
	// Here is the machine the scan runs on: only an audit made here
	// speaks for loopback addresses.
	Here facts.Machine
	// Accepted are the risk acceptances (vigil accept) by finding id.
	Accepted map[string]finding.Acceptance
	// Tool is the vigil version, recorded in the document.
	Tool string
	// Run says who runs the scan, from which machine, with which build
	// and options; the scan adds the source addresses it used.
	Run result.Run
	// Progress, when set, is told how the scan advances.
	Progress func(Progress)
	// Log receives debug and warning messages; nil discards them.
	Log *slog.Logger
}

// Progress is a snapshot of the scan's advance within one phase.
type Progress struct {
	Phase       string // "ports", then "services" (identification and audits)
	Done, Total int64
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if err := c.Dial.Validate(); err != nil {
		return err
	}
	if err := c.Scope.Validate(); err != nil {
		return err
	}
	if len(c.Ports) == 0 && len(c.UDPPorts) == 0 {
		return errors.New("no ports to scan: give -p and/or --udp-ports")
	}
	if c.MinTimeout <= 0 || c.MinTimeout > c.Dial.Timeout {
		return fmt.Errorf("minimum timeout %v must be positive and at most --timeout %v", c.MinTimeout, c.Dial.Timeout)
	}
	return nil
}

// ErrInterrupted wraps the error of a scan stopped before it finished.
var ErrInterrupted = errors.New("scan interrupted before it finished: nothing was judged, written or stored")

// Run scans, judges and rates, and returns the document. A scan whose
// context ends before it finished returns no document at all, whatever it
// had found: a level or a finding list for part of the work would claim
// more than was checked.
func Run(ctx context.Context, cfg Config) (*result.Document, error) {
	doc, err := run(ctx, cfg)
	if ctx.Err() != nil {
		return nil, ErrInterrupted
	}
	return doc, err
}

func run(ctx context.Context, cfg Config) (*result.Document, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	started := time.Now()
	set, err := scope.Expand(ctx, cfg.Scope, cfg.Targets, cfg.Excludes)
	if err != nil {
		return nil, err
	}
	if limit := raiseFileLimit(); limit > 0 && uint64(cfg.Dial.Concurrency)+64 > limit {
		cfg.Log.Warn("lowering concurrency to fit the open-file limit", "limit", limit)
		cfg.Dial.Concurrency = int(max(limit-64, 16))
	}
	d, err := dialer.New(cfg.Dial, set.Contains)
	if err != nil {
		return nil, err
	}
	addrs := make([]netip.Addr, len(set.Hosts))
	for i, h := range set.Hosts {
		addrs[i] = h.Addr
	}
	progress := func(phase string) func(done, total int64) {
		return func(done, total int64) {
			if cfg.Progress != nil {
				cfg.Progress(Progress{Phase: phase, Done: done, Total: total})
			}
		}
	}

	hosts := make([]facts.Host, len(set.Hosts))
	rtts := make([]time.Duration, len(set.Hosts))
	up := make([]bool, len(set.Hosts))
	for i, h := range set.Hosts {
		hosts[i] = facts.Host{Address: h.Addr.String(), Names: h.Names, Services: []facts.Service{}}
		up[i] = true
	}
	cfg.Log.Debug("scope expanded", "hosts", len(set.Hosts), "tcp_ports", len(cfg.Ports), "udp_ports", len(cfg.UDPPorts))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var pipe *pipeline
	if !cfg.PortsOnly {
		pipe = newPipeline(ctx, d, cfg, set)
		defer func() {
			cancel() // on an early return, stop what is still queued
			pipe.wg.Wait()
		}()
	}
	phase := time.Now()
	if len(cfg.Ports) > 0 {
		pcfg := portscan.Config{
			Ports: cfg.Ports, MinTimeout: cfg.MinTimeout, MaxTimeout: cfg.Dial.Timeout,
			Retries: 1, Discovery: cfg.Discovery,
		}
		if pipe != nil {
			pcfg.Found = pipe.addTCP
		}
		res, err := portscan.Scan(ctx, d, addrs, pcfg, progress("ports"))
		if err != nil {
			return nil, err
		}
		for i, r := range res {
			up[i] = r.Up
			rtts[i] = r.RTT
			hosts[i].Ports = facts.PortCounts{Open: len(r.Open), Closed: r.Closed, Filtered: r.Filtered}
			if pipe == nil {
				for _, p := range r.Open {
					hosts[i].Services = append(hosts[i].Services, facts.Service{Port: int(p), Transport: facts.TCP, Name: facts.Unknown,
						Details: map[string]string{facts.DetailUnexamined: "not probed (--ports-only)"}})
				}
			}
			cfg.Log.Debug("ports scanned", "host", hosts[i].Address, "up", r.Up, "rtt", r.RTT,
				"open", len(r.Open), "closed", r.Closed, "filtered", r.Filtered)
		}
		cfg.Log.Debug("phase done", "phase", "ports", "took", time.Since(phase))
	}
	if pipe != nil {
		phase = time.Now()
		for i := range hosts {
			if up[i] {
				for _, p := range cfg.UDPPorts {
					pipe.addUDP(i, p, rtts[i])
				}
			}
		}
		for _, f := range pipe.wait(progress("services")) {
			hosts[f.host].Services = append(hosts[f.host].Services, f.svc)
			if f.svc.Transport == facts.UDP {
				hosts[f.host].Ports.Open++
			}
		}
		cfg.Log.Debug("phase done", "phase", "services", "took", time.Since(phase))
	}

	var live []facts.Host
	for i, h := range hosts {
		// Hosts found down by discovery are left out; so are hosts of a
		// multi-host scan that showed nothing at all.
		if !up[i] {
			continue
		}
		slices.SortFunc(h.Services, func(a, b facts.Service) int {
			if a.Transport != b.Transport {
				return cmp.Compare(a.Transport, b.Transport)
			}
			return a.Port - b.Port
		})
		live = append(live, h)
	}
	finished := time.Now()
	findings := check.JudgeScan(live, check.Scope{Now: finished, Untrusted: cfg.Untrusted})
	audited := map[string]time.Time{}
	seen := map[string]bool{}
	for _, f := range findings {
		seen[f.ID] = true
	}
	for _, h := range live {
		audit := latestCovering(cfg.HostAudits, h.Address, cfg.Here)
		if audit == nil {
			continue
		}
		audited[h.Address] = audit.Finished
		for _, f := range result.Carry(audit, h.Address) {
			if !seen[f.ID] {
				seen[f.ID] = true
				findings = append(findings, f)
			}
		}
	}
	finding.Accept(findings, cfg.Accepted, finished)
	doc := result.Assemble(result.NewID(started), started, finished, cfg.Targets, live, findings, audited)
	doc.Ports = cfg.PortSpec
	if !cfg.PortsOnly && len(cfg.UDPPorts) == 0 {
		doc.NoteGap(result.Gap{What: "UDP was not probed (--udp-ports was empty): DNS, NTP and SNMP services were not looked for"})
	}
	if cfg.NoDefaultCreds && !cfg.PortsOnly {
		doc.NoteGap(result.Gap{What: "vendor-default credentials were not tried (--no-default-creds)", Checks: []string{"auth.default.snmp"}})
	}
	udp := "" // a ports-only scan sends no UDP probe
	if !cfg.PortsOnly {
		udp = portscan.FormatPorts(cfg.UDPPorts)
	}
	doc.UDPPorts = &udp
	doc.PortsOnly = cfg.PortsOnly
	doc.NoDefaultCreds = cfg.NoDefaultCreds
	doc.Label = cfg.Label
	doc.Untrusted = cfg.Untrusted
	doc.Tool = cfg.Tool
	run := cfg.Run
	run.Scanner.Addresses = sources(d, live)
	doc.Run = &run
	doc.Done()
	return doc, nil
}

// sources returns the local addresses the scan's connections to hosts
// left from, as the routes choose them (at most the first 1,024 hosts are
// asked: a network has few).
func sources(d *dialer.Dialer, hosts []facts.Host) []string {
	seen := map[string]bool{}
	out := []string{}
	for i, h := range hosts {
		if i == 1024 {
			break
		}
		a, err := netip.ParseAddr(h.Address)
		if err != nil {
			continue
		}
		if src, err := d.SourceFor(a); err == nil && !seen[src.String()] {
			seen[src.String()] = true
			out = append(out, src.String())
		}
	}
	return out
}

// latestCovering returns the newest host audit that speaks for addr.
func latestCovering(audits []*result.Document, addr string, here facts.Machine) *result.Document {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return nil
	}
	var best *result.Document
	for _, d := range audits {
		if d.HostAudit.Covers(a, here) && (best == nil || d.Finished.After(best.Finished)) {
			best = d
		}
	}
	return best
}

// identifyParallelism bounds how many ports are identified at once: enough
// to hide every server's latency, few enough to stay gentle.
func identifyParallelism(cfg Config) int {
	return max(1, min(cfg.Dial.Concurrency/4, 128))
}

// identifyOptions derives identification timeouts from the host's
// measured round trip.
func identifyOptions(cfg Config, h scope.Host, rtt time.Duration) identify.Options {
	timeout := min(max(20*rtt, 500*time.Millisecond), max(cfg.Dial.Timeout, 500*time.Millisecond))
	opt := identify.Options{
		Timeout:        timeout,
		BannerWait:     min(max(20*rtt, 400*time.Millisecond), timeout),
		NoDefaultCreds: cfg.NoDefaultCreds,
		Log:            cfg.Log,
	}
	if len(h.Names) > 0 {
		opt.ServerName = h.Names[0]
	}
	return opt
}

// raiseFileLimit lifts the soft open-file limit to the hard limit, so a
// scan can keep thousands of sockets in flight, and returns the new limit.
func raiseFileLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	return rl.Cur
}
