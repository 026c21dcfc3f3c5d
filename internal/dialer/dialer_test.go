package dialer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
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
	next := feed(reqs)
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

// TestProbeManyAgreesWithDial sweeps a thousand ports on IPv4 and IPv6
// loopback, a few of them listening, in a mixed order: refused sockets are
// reused for later probes (of either family), and every state must still
// match what a plain connect says, with no socket left open afterwards.
func TestProbeManyAgreesWithDial(t *testing.T) {
	var targets []netip.AddrPort
	for _, host := range []string{"127.0.8.4", "::1"} {
		for range 3 {
			ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
			if err != nil {
				t.Skipf("cannot listen on %s: %v", host, err)
			}
			defer ln.Close()
			targets = append(targets, ln.Addr().(*net.TCPAddr).AddrPort())
		}
		base := targets[len(targets)-1].Port() &^ 511
		for p := range uint16(500) {
			targets = append(targets, netip.AddrPortFrom(netip.MustParseAddr(host), base+p))
		}
	}
	rand.Shuffle(len(targets), func(i, j int) { targets[i], targets[j] = targets[j], targets[i] })
	want := map[netip.AddrPort]Status{}
	for _, a := range targets {
		c, err := net.DialTimeout("tcp", a.String(), time.Second)
		want[a] = Closed
		if err == nil {
			want[a] = Open
			c.Close()
		}
	}
	fds := func() int { e, _ := os.ReadDir("/proc/self/fd"); return len(e) }
	before := fds()

	d, _ := New(Config{Concurrency: 64, Timeout: time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	var mu sync.Mutex
	var reqs []ProbeRequest
	for _, a := range targets {
		reqs = append(reqs, ProbeRequest{Addr: a, Timeout: time.Second})
	}
	next := feed(reqs)
	got := map[netip.AddrPort]Status{}
	if err := d.ProbeMany(t.Context(), next, func(r ProbeResult) {
		mu.Lock()
		defer mu.Unlock()
		got[r.Req.Addr] = r.Status
	}); err != nil {
		t.Fatal(err)
	}
	open := 0
	for a, w := range want {
		if got[a] != w {
			t.Errorf("%v: %v, a plain connect says %v", a, got[a], w)
		}
		if w == Open {
			open++
		}
	}
	if open < 6 || len(got) != len(want) {
		t.Errorf("%d results for %d ports, %d open (want at least our 6)", len(got), len(want), open)
	}
	if after := fds(); after > before {
		t.Errorf("%d file descriptors open after the sweep, %d before", after, before)
	}
}

// TestProbeManyLoopbackFirewall runs inside a fresh network namespace whose
// loopback drops SYNs to half the probed ports (nftables): there connect
// cannot answer at once, the probe must wait in epoll and end filtered,
// while the refused ports still come out closed.
func TestProbeManyLoopbackFirewall(t *testing.T) {
	if !inNetns(t, []string{"nft", "add table inet vigil; add chain inet vigil in { type filter hook input priority 0; }; add rule inet vigil in tcp dport 20000-20199 drop"}) {
		return
	}
	d, _ := New(Config{Concurrency: 256, Timeout: time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	var ports []uint16
	for p := uint16(20000); p < 20400; p++ {
		ports = append(ports, p)
	}
	rand.Shuffle(len(ports), func(i, j int) { ports[i], ports[j] = ports[j], ports[i] })
	var mu sync.Mutex
	var reqs []ProbeRequest
	for _, p := range ports {
		reqs = append(reqs, ProbeRequest{Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), p), Timeout: 200 * time.Millisecond})
	}
	next := feed(reqs)
	got := map[uint16]Status{}
	if err := d.ProbeMany(t.Context(), next, func(r ProbeResult) {
		mu.Lock()
		defer mu.Unlock()
		got[r.Req.Addr.Port()] = r.Status
	}); err != nil {
		t.Fatal(err)
	}
	for _, p := range ports {
		want := Closed
		if p < 20200 {
			want = Filtered
		}
		if got[p] != want {
			t.Errorf("port %d: %v, want %v", p, got[p], want)
		}
	}
}

// TestSweepFindsNoPhantomPorts sweeps every TCP port of 127.0.0.1, of an
// address added to the loopback (as the lab adds its own) and of ::1 in a
// fresh network namespace, where nothing listens. Now and then the kernel
// picks the probed port itself as a probe's source port, on the same
// address, and the socket connects to itself (TCP simultaneous open):
// about once per sweep of an address with the kernel's usual source ports,
// so each address is swept twice. That is no open port: every port must
// come out closed.
func TestSweepFindsNoPhantomPorts(t *testing.T) {
	if !inNetns(t, []string{"ip", "addr", "add", "127.0.9.9/32", "dev", "lo"}) {
		return
	}
	d, _ := New(Config{Concurrency: 256, Timeout: time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	for _, host := range []string{"127.0.0.1", "127.0.9.9", "::1", "127.0.0.1", "127.0.9.9", "::1"} {
		var reqs []ProbeRequest
		for p := 1; p <= 65535; p++ {
			reqs = append(reqs, ProbeRequest{Addr: netip.AddrPortFrom(netip.MustParseAddr(host), uint16(p)), Timeout: time.Second, Retries: 1})
		}
		rand.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
		var mu sync.Mutex
		states := map[Status]int{}
		var open []uint16
		start, selfBefore := time.Now(), estabResets(t)
		err := d.ProbeMany(t.Context(), feed(reqs), func(r ProbeResult) {
			mu.Lock()
			defer mu.Unlock()
			states[r.Status]++
			if r.Status == Open {
				open = append(open, r.Req.Addr.Port())
			}
			if r.Err != nil {
				t.Errorf("%v: %v", r.Req.Addr, r.Err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		// Nothing listens here, so every connection reset was one that
		// met itself.
		t.Logf("%s: 65535 ports in %v; %d sockets connected to themselves", host,
			time.Since(start).Round(time.Millisecond), estabResets(t)-selfBefore)
		if len(open) > 0 || states[Closed] != 65535 {
			t.Errorf("%s, where nothing listens: open %v, %d closed, %d filtered; want all 65535 closed",
				host, open, states[Closed], states[Filtered])
		}
	}
}

// stateName names port states in test messages.
var stateName = map[Status]string{Filtered: "filtered", Open: "open", Closed: "closed"}

// estabResets reads how many established TCP connections were reset in
// this network namespace (EstabResets in /proc/net/snmp).
func estabResets(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Tcp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		if i := slices.Index(names, "EstabResets"); i > 0 && i < len(f) {
			n, err := strconv.Atoi(f[i])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no EstabResets in /proc/net/snmp")
	return 0
}

// TestSelfConnectionIsNotOpen leaves the namespace two source ports, 40000
// and 40001, and the kernel tries 40000 first: a TCP probe of port 40000
// of the namespace's own addresses then comes from 40000 and meets itself
// every time, and a UDP socket does half the time. Every way of probing
// must find 40000 closed, and 39999 next to it, which listens, open.
func TestSelfConnectionIsNotOpen(t *testing.T) {
	if !inNetns(t) {
		return
	}
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_local_port_range", []byte("40000 40001"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, _ := New(Config{Concurrency: 16, Timeout: time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	for _, host := range []string{"127.0.0.1", "::1"} {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "39999"))
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		a := netip.MustParseAddr(host)
		open, self, closed := netip.AddrPortFrom(a, 39999), netip.AddrPortFrom(a, 40000), netip.AddrPortFrom(a, 40001)
		want := map[netip.AddrPort]Status{open: Open, self: Closed, closed: Closed}

		probeMany := func(addrs ...netip.AddrPort) map[netip.AddrPort]ProbeResult {
			var mu sync.Mutex
			got := map[netip.AddrPort]ProbeResult{}
			var reqs []ProbeRequest
			for _, ap := range addrs {
				reqs = append(reqs, ProbeRequest{Addr: ap, Timeout: time.Second})
			}
			if err := d.ProbeMany(t.Context(), feed(reqs), func(r ProbeResult) {
				mu.Lock()
				defer mu.Unlock()
				got[r.Req.Addr] = r
			}); err != nil {
				t.Fatal(err)
			}
			return got
		}
		// Nothing else happens here meanwhile: a connection reset during
		// this probe is one that met itself.
		before := estabResets(t)
		probeMany(self)
		if estabResets(t) == before {
			t.Fatalf("the probe of %v did not connect to itself: this test proves nothing here", self)
		}
		got := probeMany(self, open, closed)
		for ap, w := range want {
			if r := got[ap]; r.Status != w || r.Err != nil {
				t.Errorf("ProbeMany %v: %s, %v; want %s", ap, stateName[r.Status], r.Err, stateName[w])
			}
			if st, _, err := d.Probe(t.Context(), ap, time.Second); st != w || err != nil {
				t.Errorf("Probe %v: %s, %v; want %s", ap, stateName[st], err, stateName[w])
			}
		}

		if c, err := d.Dial(t.Context(), "tcp", self, 0); !errors.Is(err, ErrRefused) {
			t.Errorf("Dial tcp %v: %v, want ErrRefused", self, err)
			if err == nil {
				c.Close()
			}
		}
		c, err := d.Dial(t.Context(), "tcp", open, 0)
		if err != nil {
			t.Fatalf("Dial tcp %v: %v", open, err)
		}
		c.Close()
		for range 20 {
			c, err := d.Dial(t.Context(), "udp", self, 0)
			if err != nil {
				if !errors.Is(err, ErrRefused) {
					t.Errorf("Dial udp %v: %v, want a socket or ErrRefused", self, err)
				}
				continue
			}
			if local := c.LocalAddr().(*net.UDPAddr).AddrPort(); local.Port() == self.Port() {
				t.Errorf("Dial udp %v: a socket from %v, connected to itself", self, local)
			}
			c.Close()
		}
	}
}

// inNetns runs the calling test again inside a fresh network namespace,
// with its loopback up and the setup commands run there, and reports
// whether this is that inner run: the outer run returns false once the
// inner one has passed. It skips without root (fails under CI=true).
func inNetns(t *testing.T, setup ...[]string) bool {
	t.Helper()
	if os.Getenv("VIGIL_DIALER_IN_NETNS") != "" {
		return true
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("network namespace tests need root")
		}
		t.Skip("network namespace tests need root")
	}
	ns := fmt.Sprintf("vigil-dl-%d", os.Getpid())
	_ = exec.Command("ip", "netns", "del", ns).Run()
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	for _, args := range append([][]string{{"ip", "link", "set", "lo", "up"}}, setup...) {
		if out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v: %s", args, err, out)
		}
	}
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "VIGIL_DIALER_IN_NETNS=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("inside the namespace: %v\n%s", err, out)
	}
	t.Logf("inside the namespace:\n%s", out)
	return false
}

// feed hands out reqs one at a time, from any goroutine, as ProbeMany's
// next.
func feed(reqs []ProbeRequest) func() (ProbeRequest, bool) {
	var mu sync.Mutex
	return func() (ProbeRequest, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(reqs) == 0 {
			return ProbeRequest{}, false
		}
		r := reqs[0]
		reqs = reqs[1:]
		return r, true
	}
}
