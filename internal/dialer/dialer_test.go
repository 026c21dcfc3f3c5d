package dialer

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{Concurrency: 0, Timeout: time.Second}, {Concurrency: 1, Timeout: 0}, {Concurrency: 1, Timeout: time.Second, Rate: -1}} {
		if _, err := New(c, func(netip.Addr) bool { return true }); err == nil {
			t.Errorf("New(%+v) accepted an invalid config", c)
		}
	}
	if _, err := New(Config{Concurrency: 1, Timeout: time.Second}, nil); err == nil {
		t.Error("New accepted a nil scope")
	}
}

func only(addrs ...string) func(netip.Addr) bool {
	return func(a netip.Addr) bool {
		for _, s := range addrs {
			if a == netip.MustParseAddr(s) {
				return true
			}
		}
		return false
	}
}

func TestDialRefusesOutOfScope(t *testing.T) {
	d, _ := New(Config{Concurrency: 2, Timeout: time.Second}, only("127.0.8.1"))
	_, err := d.Dial(t.Context(), "tcp", netip.MustParseAddrPort("127.0.8.2:80"), 0)
	if !errors.Is(err, ErrOutOfScope) {
		t.Fatalf("err = %v, want ErrOutOfScope", err)
	}
	_, _, err = d.Probe(t.Context(), netip.MustParseAddrPort("127.0.8.2:80"), time.Second)
	if !errors.Is(err, ErrOutOfScope) {
		t.Fatalf("Probe err = %v, want ErrOutOfScope", err)
	}
}

func TestProbeStates(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.8.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d, _ := New(Config{Concurrency: 2, Timeout: time.Second}, only("127.0.8.1"))
	open := ln.Addr().(*net.TCPAddr).AddrPort()
	if st, _, err := d.Probe(t.Context(), open, time.Second); st != Open || err != nil {
		t.Errorf("open port: %v, %v", st, err)
	}
	closed := netip.AddrPortFrom(open.Addr(), 1)
	if st, _, err := d.Probe(t.Context(), closed, time.Second); st != Closed || err != nil {
		t.Errorf("closed port: %v, %v", st, err)
	}
	_, err = d.Dial(t.Context(), "tcp", closed, time.Second)
	if !errors.Is(err, ErrRefused) {
		t.Errorf("Dial of a closed port: %v, want ErrRefused", err)
	}
}

func TestConcurrencyCap(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.8.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	d, _ := New(Config{Concurrency: 3, Timeout: time.Second}, only("127.0.8.1"))
	var open, peak atomic.Int32
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			c, err := d.Dial(t.Context(), "tcp", ln.Addr().(*net.TCPAddr).AddrPort(), 0)
			if err != nil {
				t.Error(err)
				return
			}
			n := open.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
			open.Add(-1)
			c.Close()
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 3 || p < 1 {
		t.Errorf("peak open connections = %d, want 1..3", p)
	}
}

func TestProbeManyRetriesAndReportsEachPortOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.8.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d, _ := New(Config{Concurrency: 16, Timeout: time.Second}, only("127.0.8.1", "127.0.8.3"))
	open := ln.Addr().(*net.TCPAddr).AddrPort()
	reqs := []ProbeRequest{
		{Addr: open, Timeout: time.Second, Retries: 1},
		{Addr: netip.MustParseAddrPort("127.0.8.1:1"), Timeout: time.Second, Retries: 1},
		{Addr: netip.MustParseAddrPort("127.0.8.2:1"), Timeout: time.Second, Retries: 1}, // out of scope
	}
	var mu sync.Mutex
	i := 0
	next := func() (ProbeRequest, bool) {
		mu.Lock()
		defer mu.Unlock()
		if i == len(reqs) {
			return ProbeRequest{}, false
		}
		i++
		return reqs[i-1], true
	}
	got := map[netip.AddrPort]ProbeResult{}
	err = d.ProbeMany(t.Context(), next, func(r ProbeResult) {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[r.Req.Addr]; dup {
			t.Errorf("%v reported twice", r.Req.Addr)
		}
		got[r.Req.Addr] = r
	})
	if err != nil {
		t.Fatal(err)
	}
	if got[open].Status != Open || got[reqs[1].Addr].Status != Closed {
		t.Errorf("states: open=%v closed=%v", got[open].Status, got[reqs[1].Addr].Status)
	}
	if !errors.Is(got[reqs[2].Addr].Err, ErrOutOfScope) {
		t.Errorf("out-of-scope probe: %+v", got[reqs[2].Addr])
	}
}
