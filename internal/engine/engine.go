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
	"github.com/vigilsec/vigil/internal/vuln"
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
	// UDPPorts are probed with the UDP probes (DNS, NTP, SNMP, TFTP, SIP,
	// CoAP, SSDP, mDNS, NetBIOS-NS).
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
	// DNSZones are zones the DNS audit asks every DNS server to transfer
	// (--dns-zone), besides those it finds itself.
	DNSZones []string
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
	// Vulns matches announced versions against the vulnerability
	// database; nil when there is none (the document says so).
	Vulns *vuln.Matcher
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

	// batch and maxQuiet replace batchHosts and maxQuiet when set (tests).
	batch, maxQuiet int
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
		return fmt.Errorf("--min-timeout %v: must be positive and at most --timeout (%v)", c.MinTimeout, c.Dial.Timeout)
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
	progress := func(phase string) func(done, total int64) {
		return func(done, total int64) {
			if cfg.Progress != nil {
				cfg.Progress(Progress{Phase: phase, Done: done, Total: total})
			}
		}
	}
	cfg.Log.Debug("scope expanded", "hosts", set.Len(), "tcp_ports", len(cfg.Ports), "udp_ports", len(cfg.UDPPorts))
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

	// The targets are swept batchHosts at a time: only the hosts that
	// answer are kept, so memory follows what was found, not the size of
	// the target set.
	phase := time.Now()
	live := map[netip.Addr]*facts.Host{}
	quiet := quietHosts{limit: cmp.Or(cfg.maxQuiet, maxQuiet), keep: func(a netip.Addr) bool { return latestCovering(cfg.HostAudits, a.String(), cfg.Here) != nil }}
	var order []netip.Addr
	sweep := &sweepProgress{report: progress("ports"), pending: int64(set.Len()) * int64(len(cfg.Ports))}
	size := cmp.Or(cfg.batch, batchHosts)
	batch := make([]netip.Addr, 0, min(set.Len(), size))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		defer func() { batch = batch[:0] }()
		rtts := map[netip.Addr]time.Duration{}
		if len(cfg.Ports) > 0 {
			pcfg := portscan.Config{
				Ports: cfg.Ports, MinTimeout: cfg.MinTimeout, MaxTimeout: cfg.Dial.Timeout,
				Retries: 1, Discovery: cfg.Discovery && set.Len() > 1,
			}
			if pipe != nil {
				pcfg.Found = pipe.addTCP
			}
			res, err := portscan.Scan(ctx, d, batch, pcfg, sweep.batch(int64(len(batch))*int64(len(cfg.Ports))))
			if err != nil {
				return err
			}
			for _, r := range res {
				cfg.Log.Debug("ports scanned", "host", r.Addr, "up", r.Up, "rtt", r.RTT,
					"open", len(r.Open), "closed", r.Closed, "filtered", r.Filtered)
				if !r.Up {
					continue // found down by discovery: left out
				}
				if len(r.Open) == 0 && quiet.full(r.Addr) {
					rtts[r.Addr] = r.RTT // UDP may still find a service on it
					continue
				}
				h := &facts.Host{Address: r.Addr.String(), Names: set.Host(r.Addr).Names, Services: []facts.Service{},
					Ports: facts.PortCounts{Open: len(r.Open), Closed: r.Closed, Filtered: r.Filtered}}
				if pipe == nil {
					for _, p := range r.Open {
						h.Services = append(h.Services, facts.Service{Port: int(p), Transport: facts.TCP, Name: facts.Unknown,
							Details: map[string]string{facts.DetailUnexamined: "not probed (--ports-only)"}})
					}
				}
				live[r.Addr], rtts[r.Addr] = h, r.RTT
				order = append(order, r.Addr)
			}
		} else {
			for _, a := range batch {
				live[a] = &facts.Host{Address: a.String(), Names: set.Host(a).Names, Services: []facts.Service{}}
				order = append(order, a)
			}
		}
		if pipe != nil {
			for _, a := range batch {
				if _, up := rtts[a]; up || len(cfg.Ports) == 0 {
					for _, p := range cfg.UDPPorts {
						pipe.addUDP(a, p, rtts[a])
					}
				}
			}
		}
		return nil
	}
	for h := range set.Hosts() {
		batch = append(batch, h.Addr)
		if len(batch) == size {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	cfg.Log.Debug("phase done", "phase", "ports", "took", time.Since(phase))
	if pipe != nil {
		phase = time.Now()
		for _, f := range pipe.wait(progress("services")) {
			h := live[f.host]
			if h == nil {
				// A host counted as quiet showed a UDP service after all.
				quiet.count--
				h = &facts.Host{Address: f.host.String(), Names: set.Host(f.host).Names, Services: []facts.Service{}}
				live[f.host] = h
				order = append(order, f.host)
			}
			h.Services = append(h.Services, f.svc)
			if f.svc.Transport == facts.UDP {
				h.Ports.Open++
			}
		}
		cfg.Log.Debug("phase done", "phase", "services", "took", time.Since(phase))
	}

	slices.SortFunc(order, netip.Addr.Compare)
	hosts := make([]facts.Host, 0, len(order))
	for _, a := range order {
		h := live[a]
		slices.SortFunc(h.Services, func(a, b facts.Service) int {
			if a.Transport != b.Transport {
				return cmp.Compare(a.Transport, b.Transport)
			}
			return a.Port - b.Port
		})
		hosts = append(hosts, *h)
	}
	live = nil
	finished := time.Now()
	findings := check.JudgeScan(hosts, check.Scope{Now: finished, Untrusted: cfg.Untrusted})
	audited := map[string]time.Time{}
	var carried []result.Gap // what the host audits of these hosts could not judge
	seen := map[string]bool{}
	for _, f := range findings {
		seen[f.ID] = true
	}
	for _, h := range hosts {
		audit := latestCovering(cfg.HostAudits, h.Address, cfg.Here)
		if audit == nil {
			continue
		}
		audited[h.Address] = audit.Finished
		carried = append(carried, unjudgedBy(audit, h.Address)...)
		for _, f := range result.Carry(audit, h.Address) {
			if !seen[f.ID] {
				seen[f.ID] = true
				findings = append(findings, f)
			}
		}
	}
	vulnGap := ""
	switch {
	case cfg.PortsOnly:
	case cfg.Vulns == nil:
		vulnGap = "known vulnerabilities: not checked (no database; run 'vigil vulndb update' or 'vigil vulndb import')"
	default:
		vf, err := cfg.Vulns.Banners(ctx, hosts, func(addr string) *facts.HostAudit {
			if a := latestCovering(cfg.HostAudits, addr, cfg.Here); a != nil {
				return a.HostAudit
			}
			return nil
		})
		if err != nil {
			vulnGap = "known vulnerabilities: not checked (" + err.Error() + ")"
		}
		findings = append(findings, vf...)
	}
	finding.Accept(findings, cfg.Accepted, finished)
	doc := result.Assemble(result.NewID(started), started, finished, cfg.Targets, hosts, findings, audited)
	doc.Ports = cfg.PortSpec
	doc.QuietHosts = quiet.count
	for _, g := range carried {
		doc.NoteGap(g)
	}
	if !cfg.PortsOnly && len(cfg.UDPPorts) == 0 {
		doc.NoteGap(result.Gap{What: "UDP was not probed (--udp-ports was empty): DNS, NTP, SNMP, TFTP, SIP, CoAP, SSDP, mDNS and NetBIOS services were not looked for"})
	}
	if vulnGap != "" {
		doc.NoteGap(result.Gap{What: vulnGap, Checks: []string{vuln.CheckID}})
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
	run.Scanner.Addresses = sources(d, hosts)
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

// batchHosts is how many target addresses one sweep takes at a time.
const batchHosts = 4096

// maxQuiet is how many hosts that answered with no open port a document
// lists one by one; past it they are only counted, so that a sweep of a
// large range holds state for what it found, not for every address that
// refused a connection.
const maxQuiet = 65536

// quietHosts decides which hosts with no open TCP port are listed.
type quietHosts struct {
	limit, listed, count int
	// keep reports a host that is listed whatever the count: one a host
	// audit speaks for, whose carried findings must reach the document.
	keep func(netip.Addr) bool
}

// full reports whether the quiet host a goes unlisted (and counts it).
func (q *quietHosts) full(a netip.Addr) bool {
	if q.listed < q.limit || q.keep(a) {
		q.listed++
		return false
	}
	q.count++
	return true
}

// sweepProgress reports the sweep of all batches as one: done counts what
// finished batches and the current one probed; the total is every host of
// the set on every port, until discovery leaves hosts out.
type sweepProgress struct {
	report        func(done, total int64)
	done, pending int64 // probes of finished batches; of batches not begun
}

// batch returns the progress function of the next batch of n probes.
func (s *sweepProgress) batch(n int64) portscan.Progress {
	s.pending -= n
	base := s.done
	return func(done, total int64) {
		s.report(base+done, base+total+s.pending)
		if done == total {
			s.done = base + total
		}
	}
}

// latestCovering returns the newest host audit that speaks for addr.
// unjudgedBy returns the configuration checks a host audit could not
// judge, as gaps of a scan of addr that carries the audit's findings: the
// scan vouches for no more than the audit did.
func unjudgedBy(audit *result.Document, addr string) []result.Gap {
	var out []result.Gap
	for _, g := range audit.NotExamined {
		if len(g.Checks) > 0 && !slices.ContainsFunc(g.Checks, func(c string) bool { return !check.IsConfigCheck(c) }) {
			out = append(out, result.Gap{What: "the host audit of " + addr + ": " + g.What, Checks: g.Checks})
		}
	}
	return out
}

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
