package engine

import (
	"context"
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
// A TCP port that answers no probe with a single byte is identified again
// with three times the patience once another port of its host has talked:
// there silence more likely means a server slow to answer than one that
// never speaks. A host whose every port is silent (a tarpit, or listeners
// that only accept) is left alone.
type pipeline struct {
	ctx      context.Context
	d        *dialer.Dialer
	cfg      Config
	set      *scope.Set
	index    map[netip.Addr]int
	identify chan struct{} // identifications at once
	audit    chan struct{} // services audited at once
	wg       sync.WaitGroup

	mu          sync.Mutex
	found       []found
	talked      map[int]bool    // hosts with a port that answered
	quiet       map[int][]found // silent ports of hosts that have not talked yet
	done, total int64
	progress    func(done, total int64)
}

// found is one service and the host it runs on.
type found struct {
	host int
	svc  facts.Service
	rtt  time.Duration
}

func newPipeline(ctx context.Context, d *dialer.Dialer, cfg Config, set *scope.Set) *pipeline {
	p := &pipeline{
		ctx: ctx, d: d, cfg: cfg, set: set,
		index:    make(map[netip.Addr]int, len(set.Hosts)),
		identify: make(chan struct{}, identifyParallelism(cfg)),
		audit:    make(chan struct{}, max(1, min(cfg.Dial.Concurrency/32, 16))),
		talked:   map[int]bool{},
		quiet:    map[int][]found{},
	}
	for i, h := range set.Hosts {
		p.index[h.Addr] = i
	}
	return p
}

// addTCP queues the open TCP port addr for identification and audits. It
// never blocks: the port scan calls it from its probe loops.
func (p *pipeline) addTCP(addr netip.AddrPort, rtt time.Duration) {
	host, ok := p.index[addr.Addr()]
	if !ok {
		return
	}
	p.spawn(func() { p.tcp(host, addr, rtt, 1) })
}

// addUDP queues a UDP port: probed, and audited when it answers.
func (p *pipeline) addUDP(host int, port uint16, rtt time.Duration) {
	p.spawn(func() {
		addr := netip.AddrPortFrom(p.set.Hosts[host].Addr, port)
		var s facts.Service
		var ok bool
		p.limited(p.identify, func() { s, ok = identify.UDP(p.ctx, p.d, addr, identifyOptions(p.cfg, p.set.Hosts[host], rtt)) })
		if ok {
			p.audited(host, addr, &s, rtt)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if ok {
			p.found = append(p.found, found{host, s, rtt})
		}
		p.tally()
	})
}

// spawn runs job in its own goroutine, counted for progress.
func (p *pipeline) spawn(job func()) {
	p.mu.Lock()
	p.total++
	p.mu.Unlock()
	p.wg.Go(job)
}

// tcp identifies a TCP port with patience times the usual timeouts, then
// audits it, or parks it (silent, its host yet quiet) or retries it (silent,
// its host has talked).
func (p *pipeline) tcp(host int, addr netip.AddrPort, rtt time.Duration, patience time.Duration) {
	opt := identifyOptions(p.cfg, p.set.Hosts[host], rtt)
	opt.Timeout *= patience
	opt.BannerWait *= patience
	s := facts.Service{Port: int(addr.Port()), Transport: facts.TCP, Name: facts.Unknown}
	p.limited(p.identify, func() { s = identify.TCP(p.ctx, p.d, addr, opt) })
	quiet := silent(&s)
	if !quiet {
		p.audited(host, addr, &s, rtt)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.tally()
	switch {
	case quiet && patience == 1 && p.talked[host]:
		p.total++
		p.wg.Go(func() { p.tcp(host, addr, rtt, 3) })
	case quiet && patience == 1:
		p.quiet[host] = append(p.quiet[host], found{host, s, rtt})
	default:
		p.found = append(p.found, found{host, s, rtt})
		if !quiet && !p.talked[host] {
			p.talked[host] = true
			for _, f := range p.quiet[host] {
				p.total++
				p.wg.Go(func() { p.tcp(host, netip.AddrPortFrom(addr.Addr(), uint16(f.svc.Port)), f.rtt, 3) })
			}
			delete(p.quiet, host)
		}
	}
}

// audited runs the audits that apply to s, within the audit slots.
func (p *pipeline) audited(host int, addr netip.AddrPort, s *facts.Service, rtt time.Duration) {
	p.limited(p.audit, func() { auditService(p.ctx, newAuditEnv(p.d, p.cfg, p.set.Hosts[host], rtt), addr, s) })
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
// returns every service once all queued work is finished, the silent ports
// of hosts that never talked included.
func (p *pipeline) wait(progress func(done, total int64)) []found {
	p.mu.Lock()
	p.progress = progress
	progress(p.done, p.total)
	p.mu.Unlock()
	p.wg.Wait()
	for _, q := range p.quiet {
		p.found = append(p.found, q...)
	}
	return p.found
}

// silent reports a TCP service that answered no probe with a single byte.
func silent(s *facts.Service) bool {
	return s.Transport == facts.TCP && s.Name == facts.Unknown && !s.TLS && s.Banner == "" && len(s.Details) == 0
}
