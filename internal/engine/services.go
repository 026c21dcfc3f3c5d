package engine

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/identify"
	"github.com/vigilsec/vigil/internal/scope"
)

// pipeline identifies and audits each service as soon as the port scan
// finds it, so servers are questioned while the sweep goes on instead of
// after it: on a long or firewalled sweep identification and audits add
// little or no wall time.
//
// A TCP port that comes out unnamed is identified once more with three
// times the patience: a server slow to answer (a TLS handshake under load,
// a banner late) is then found. A port that said nothing at all is asked
// again only where that is cheap and likely to help: when another port of
// its host spoke, or when the host has few open ports. The work on one host
// is bounded: at most perHost ports at once, at most hostBudget of
// identification in all, and a host on which tarpitSilent ports accept
// connections without a word while none speaks is taken for a tarpit or a
// proxy: its remaining ports are not probed, and say why.
type pipeline struct {
	ctx      context.Context
	d        *dialer.Dialer
	cfg      Config
	set      *scope.Set
	identify chan struct{} // identifications at once, all hosts
	audit    chan struct{} // services audited at once
	wg       sync.WaitGroup

	mu          sync.Mutex
	found       []found
	hosts       map[netip.Addr]*hostWork
	done, total int64
	progress    func(done, total int64)
}

// Bounds of the identification work on one host.
const (
	perHost      = 16
	tarpitSilent = 16
	fewPorts     = 4
	hostBudget   = 2 * time.Minute
)

// hostWork is the identification of one host's TCP ports.
type hostWork struct {
	queue   []uint16
	ports   int // ports queued so far
	rtt     time.Duration
	workers int
	started time.Time // when its first identification began
	silent  int       // ports that said nothing on the first try
	talked  bool      // a port said something
	tarpit  bool
}

// found is one service and the host it runs on.
type found struct {
	host netip.Addr
	svc  facts.Service
	rtt  time.Duration
}

func newPipeline(ctx context.Context, d *dialer.Dialer, cfg Config, set *scope.Set) *pipeline {
	p := &pipeline{
		ctx: ctx, d: d, cfg: cfg, set: set,
		identify: make(chan struct{}, identifyParallelism(cfg)),
		audit:    make(chan struct{}, max(1, min(cfg.Dial.Concurrency/32, 16))),
		hosts:    map[netip.Addr]*hostWork{},
	}
	return p
}

// addTCP queues the open TCP port addr for identification and audits. It
// never blocks: the port scan calls it from its probe loops.
func (p *pipeline) addTCP(addr netip.AddrPort, rtt time.Duration) {
	host := addr.Addr()
	if !p.set.Contains(host) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.hosts[host]
	if w == nil {
		w = &hostWork{}
		p.hosts[host] = w
	}
	w.queue = append(w.queue, addr.Port())
	w.ports++
	w.rtt = rtt
	p.total++
	if w.workers < perHost {
		w.workers++
		p.wg.Go(func() { p.work(host, w) })
	}
}

// work identifies the queued ports of one host until none is left.
func (p *pipeline) work(host netip.Addr, w *hostWork) {
	addr := host
	for {
		p.mu.Lock()
		if len(w.queue) == 0 {
			w.workers--
			p.mu.Unlock()
			return
		}
		port := w.queue[0]
		w.queue = w.queue[1:]
		if w.started.IsZero() {
			w.started = time.Now()
		}
		why := ""
		switch {
		case w.tarpit:
			why = fmt.Sprintf("identification limited: %d ports of this host accept connections without a word and none speaks (a tarpit or a proxy)", w.silent)
		case time.Since(w.started) > hostBudget:
			why = fmt.Sprintf("identification limited: the %v vigil gives one host ran out", hostBudget)
		}
		rtt := w.rtt
		p.mu.Unlock()
		if p.ctx.Err() != nil {
			why = "the scan was interrupted"
		}
		if why != "" {
			s := facts.Service{Port: int(port), Transport: facts.TCP, Name: facts.Unknown, Details: map[string]string{facts.DetailUnexamined: why}}
			p.record(found{host, s, rtt})
			continue
		}
		p.tcp(host, w, netip.AddrPortFrom(addr, port), rtt)
	}
}

// addUDP queues a UDP port: probed, and audited when it answers.
func (p *pipeline) addUDP(host netip.Addr, port uint16, rtt time.Duration) {
	p.mu.Lock()
	p.total++
	p.mu.Unlock()
	p.wg.Go(func() {
		addr := netip.AddrPortFrom(host, port)
		var s facts.Service
		var ok bool
		p.limited(p.identify, func() { s, ok = identify.UDP(p.ctx, p.d, addr, identifyOptions(p.cfg, p.set.Host(host), rtt)) })
		if ok {
			p.audited(host, addr, &s, rtt)
			p.record(found{host, s, rtt})
			return
		}
		p.mu.Lock()
		p.tally()
		p.mu.Unlock()
	})
}

// tcp identifies a TCP port, once more with three times the patience when
// it comes out unnamed (unless its host looks like a tarpit), then audits
// what answered.
func (p *pipeline) tcp(host netip.Addr, w *hostWork, addr netip.AddrPort, rtt time.Duration) {
	s := p.identifyTCP(host, addr, rtt, 1)
	if s.Name == facts.Unknown {
		p.mu.Lock()
		quiet := silent(&s)
		if quiet && !w.talked {
			w.silent++
			w.tarpit = w.silent >= tarpitSilent
		}
		again := !w.tarpit && (!quiet || w.talked || w.ports <= fewPorts)
		p.mu.Unlock()
		if again {
			if s2 := p.identifyTCP(host, addr, rtt, 3); s2.Name != facts.Unknown || silent(&s) {
				s = s2
			}
		}
	}
	if !silent(&s) {
		p.mu.Lock()
		w.talked = true
		p.mu.Unlock()
		p.audited(host, addr, &s, rtt)
	}
	p.record(found{host, s, rtt})
}

// identifyTCP identifies one TCP port with patience times the usual
// timeouts, within the identification slots.
func (p *pipeline) identifyTCP(host netip.Addr, addr netip.AddrPort, rtt time.Duration, patience time.Duration) facts.Service {
	opt := identifyOptions(p.cfg, p.set.Host(host), rtt)
	opt.Timeout *= patience
	opt.BannerWait *= patience
	s := facts.Service{Port: int(addr.Port()), Transport: facts.TCP, Name: facts.Unknown}
	p.limited(p.identify, func() { s = identify.TCP(p.ctx, p.d, addr, opt) })
	return s
}

// record keeps a finished service and counts it done.
func (p *pipeline) record(f found) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.found = append(p.found, f)
	p.tally()
}

// audited runs the audits that apply to s, within the audit slots.
func (p *pipeline) audited(host netip.Addr, addr netip.AddrPort, s *facts.Service, rtt time.Duration) {
	p.limited(p.audit, func() { auditService(p.ctx, newAuditEnv(p.d, p.cfg, p.set.Host(host), rtt), addr, s) })
}

// limited runs f once a slot of sem is free; not at all when cancelled.
func (p *pipeline) limited(sem chan struct{}, f func()) {
	select {
	case sem <- struct{}{}:
	case <-p.ctx.Done():
		return
	}
	defer func() { <-sem }()
	f()
}

// tally counts a finished job; p.mu is held.
func (p *pipeline) tally() {
	p.done++
	if p.progress != nil {
		p.progress(p.done, p.total)
	}
}

// wait reports progress from now on (the port scan's bar is done) and
// returns every service once all queued work is finished.
func (p *pipeline) wait(progress func(done, total int64)) []found {
	p.mu.Lock()
	p.progress = progress
	progress(p.done, p.total)
	p.mu.Unlock()
	p.wg.Wait()
	return p.found
}

// silent reports a TCP service that answered no probe with a single byte.
func silent(s *facts.Service) bool {
	return s.Transport == facts.TCP && s.Name == facts.Unknown && !s.TLS && s.Banner == "" && len(s.Details) == 0
}
