// Package portscan finds open TCP ports by connect scanning: every
// (host, port) pair once, in an order that interleaves hosts and randomises
// ports (common server ports first, then the rest below 10000), with a timeout per host that adapts to its measured round-trip time
// and one retry for ports that did not answer.
package portscan

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
)

// Config tunes a scan.
type Config struct {
	// Ports to probe on every host.
	Ports []uint16
	// MinTimeout and MaxTimeout bound the adaptive per-host timeout;
	// MaxTimeout is also the timeout before anything was measured.
	MinTimeout, MaxTimeout time.Duration
	// Retries is how many more times an unanswered port is tried.
	Retries int
	// Discovery skips hosts that answer on none of the discovery ports
	// (open or refused); it only applies to scans of several hosts.
	Discovery bool
	// Found, when set, is told of each open port the moment it is found,
	// with the host's round-trip estimate then. It is called from the
	// probe loops and must not block.
	Found func(addr netip.AddrPort, rtt time.Duration)
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case len(c.Ports) == 0:
		return errors.New("no ports to scan")
	case c.MinTimeout <= 0 || c.MaxTimeout < c.MinTimeout:
		return fmt.Errorf("timeouts: need 0 < minimum (%v) <= maximum (%v)", c.MinTimeout, c.MaxTimeout)
	case c.Retries < 0:
		return fmt.Errorf("retries %d: must not be negative", c.Retries)
	}
	return nil
}

// HostResult is what the scan learnt about one host.
type HostResult struct {
	Addr netip.Addr
	// Up is false when discovery found no sign of the host; its ports were
	// then not scanned.
	Up       bool
	Open     []uint16
	Closed   int
	Filtered int
	// RTT is the smoothed round-trip time measured on the host.
	RTT time.Duration
}

// Progress reports how many of the scan's probes are done.
type Progress func(done, total int64)

// discoveryPorts are tried on each host of a multi-host scan; any answer,
// open or refused, shows the host is there.
var discoveryPorts = []uint16{80, 443, 22, 445, 3389, 8080, 25, 21, 53, 139, 135, 5432, 3306, 8443, 23, 111}

// Scan probes every port of cfg on every host and returns one result per
// host, in the order given.
func Scan(ctx context.Context, d *dialer.Dialer, hosts []netip.Addr, cfg Config, progress Progress) ([]HostResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	states := make([]*hostState, len(hosts))
	for i, h := range hosts {
		states[i] = &hostState{res: HostResult{Addr: h, Up: true}, min: cfg.MinTimeout, max: cfg.MaxTimeout}
	}
	if cfg.Discovery && len(hosts) > 1 {
		if err := discover(ctx, d, states, cfg); err != nil {
			return nil, err
		}
	} else {
		// One host: measure its round trip on a few ports first, so the
		// first probes do not all wait the maximum timeout.
		warmUp(ctx, d, states, cfg)
	}
	var live []*hostState
	for _, s := range states {
		if s.res.Up {
			live = append(live, s)
		}
	}
	total := int64(len(live)) * int64(len(cfg.Ports))
	var done atomic.Int64
	report := func() {
		if progress != nil {
			progress(done.Load(), total)
		}
	}
	report()

	// Ports in random order, hosts shuffled, hosts interleaved: consecutive
	// probes go to different hosts and no host sees a sequential sweep.
	ports := commonFirst(cfg.Ports)
	order := slices.Clone(live)
	rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })

	// The k-th probe is port ports[k/len(order)] on host order[k%len(order)].
	var next atomic.Int64
	n := int64(len(ports)) * int64(len(order))
	gen := func() (dialer.ProbeRequest, bool) {
		k := next.Add(1) - 1
		if k >= n || len(order) == 0 {
			return dialer.ProbeRequest{}, false
		}
		h := order[k%int64(len(order))]
		p := ports[k/int64(len(order))]
		return dialer.ProbeRequest{Addr: netip.AddrPortFrom(h.res.Addr, p), Timeout: h.timeout(), Retries: cfg.Retries}, true
	}
	byAddr := make(map[netip.Addr]*hostState, len(order))
	for _, h := range order {
		byAddr[h.res.Addr] = h
	}
	var mu sync.Mutex
	var firstErr error
	record := func(r dialer.ProbeResult) {
		h := byAddr[r.Req.Addr.Addr()]
		if r.Err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = r.Err
			}
			mu.Unlock()
		}
		switch r.Status {
		case dialer.Open:
			h.record(r.RTT, func(res *HostResult) { res.Open = append(res.Open, r.Req.Addr.Port()) })
			if cfg.Found != nil {
				cfg.Found(r.Req.Addr, h.rtt())
			}
		case dialer.Closed:
			h.record(r.RTT, func(res *HostResult) { res.Closed++ })
		default:
			h.record(0, func(res *HostResult) { res.Filtered++ })
		}
		if c := done.Add(1); c%1024 == 0 {
			report()
		}
	}
	err := d.ProbeMany(ctx, gen, record)
	report()
	if err == nil {
		err = firstErr
	}
	if err != nil {
		return nil, fmt.Errorf("port scan stopped: %w", err)
	}
	out := make([]HostResult, len(states))
	for i, s := range states {
		slices.Sort(s.res.Open)
		s.res.RTT = s.srtt
		out[i] = s.res
	}
	return out, nil
}

// serverPortsBelow is where the second tier of the sweep ends: almost all
// server software listens below it (IANA's system ports and the user ports
// products register), while the ports above are mostly ephemeral.
const serverPortsBelow = 10000

// commonFirst returns ports in random order within three tiers, swept one
// after the other: the common server ports, the other ports below
// serverPortsBelow, then the rest. Services are found early in a long
// sweep, so identifying and auditing them overlaps the rest of it (nmap
// also moves common ports to the front of its random order).
func commonFirst(ports []uint16) []uint16 {
	isCommon := make(map[uint16]bool, len(common))
	for _, p := range common {
		isCommon[p] = true
	}
	var tiers [3][]uint16
	for _, p := range ports {
		switch {
		case isCommon[p]:
			tiers[0] = append(tiers[0], p)
		case p < serverPortsBelow:
			tiers[1] = append(tiers[1], p)
		default:
			tiers[2] = append(tiers[2], p)
		}
	}
	out := make([]uint16, 0, len(ports))
	for _, l := range tiers {
		rand.Shuffle(len(l), func(i, j int) { l[i], l[j] = l[j], l[i] })
		out = append(out, l...)
	}
	return out
}

// warmUp measures a lone host's round trip on a few common ports at once.
func warmUp(ctx context.Context, d *dialer.Dialer, states []*hostState, cfg Config) {
	for _, s := range states {
		var wg sync.WaitGroup
		for _, p := range discoveryPorts[:6] {
			wg.Go(func() {
				st, rtt, err := d.Probe(ctx, netip.AddrPortFrom(s.res.Addr, p), cfg.MaxTimeout)
				if err == nil && st != dialer.Filtered {
					s.record(rtt, func(*HostResult) {})
				}
			})
		}
		wg.Wait()
	}
}

// discover marks hosts that answer on no discovery port as down.
func discover(ctx context.Context, d *dialer.Dialer, states []*hostState, cfg Config) error {
	seen := make([]atomic.Bool, len(states))
	jobs := make(chan int, 64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range min(d.Concurrency(), len(states)*len(discoveryPorts)) {
		wg.Go(func() {
			for k := range jobs {
				i, p := k/len(discoveryPorts), discoveryPorts[k%len(discoveryPorts)]
				if seen[i].Load() {
					continue
				}
				st, rtt, err := d.Probe(ctx, netip.AddrPortFrom(states[i].res.Addr, p), cfg.MaxTimeout)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				if st != dialer.Filtered {
					seen[i].Store(true)
					states[i].record(rtt, func(*HostResult) {})
				}
			}
		})
	}
	for k := range len(states) * len(discoveryPorts) {
		select {
		case jobs <- k:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	for i, s := range states {
		s.res.Up = seen[i].Load()
	}
	return ctx.Err()
}

// hostState holds one host's results and its round-trip estimate.
type hostState struct {
	mu       sync.Mutex
	res      HostResult
	srtt     time.Duration
	rttvar   time.Duration
	measured bool
	min, max time.Duration
}

// timeout is the RFC 6298 retransmission timeout from the host's measured
// round trips, bounded by min and max.
func (h *hostState) timeout() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.measured {
		return h.max
	}
	return min(max(h.srtt+4*h.rttvar, h.min), h.max)
}

// rtt is the smoothed round-trip time measured so far.
func (h *hostState) rtt() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.srtt
}

// record applies update to the results and, when rtt > 0, folds the sample
// into the round-trip estimate.
func (h *hostState) record(rtt time.Duration, update func(*HostResult)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	update(&h.res)
	if rtt <= 0 {
		return
	}
	if !h.measured {
		h.srtt, h.rttvar, h.measured = rtt, rtt/2, true
		return
	}
	diff := h.srtt - rtt
	if diff < 0 {
		diff = -diff
	}
	h.rttvar = (3*h.rttvar + diff) / 4
	h.srtt = (7*h.srtt + rtt) / 8
}
