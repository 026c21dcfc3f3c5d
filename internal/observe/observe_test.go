package observe

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
)

// procTCP is /proc/net/tcp as Linux writes it on a little-endian machine:
// a listener on 127.0.0.1:8080, one on 0.0.0.0:22 with an established
// session from 10.0.0.9:51000, a TIME-WAIT connection to 127.0.2.18:5433
// from 127.0.2.10:40000, and an outbound connection from an ephemeral port.
const procTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4710900 1 000000004364019d 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4710901 1 000000004364019d 100 0 0 10 0
   2: 0500000A:0016 0900000A:C738 01 00000000:00000000 02:000AFC7A 00000000     0        0 4710950 4 0000000000000000 20 4 31 10 -1
   3: 1202007F:1539 0A02007F:9C40 06 00000000:00000000 03:00001716 00000000     0        0 0 3 0000000000000000
   4: 0500000A:D431 0900000A:0050 01 00000000:00000000 00:00000000 00000000  1000        0 4710999 1 0000000000000000 20 4 30 10 -1
`

// procTCP6 has a listener on [::]:443 with a connection from [fd00::9]:50000
// and one from ::ffff:10.0.0.9 (IPv4 on a dual-stack socket).
const procTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0000000000000000 100 0 0 10 0
   1: 000000FD000000000000000005000000:01BB 000000FD000000000000000009000000:C350 01 00000000:00000000 00:00000000 00000000     0        0 101 1 0000000000000000 20 4 30 10 -1
   2: 0000000000000000FFFF00000500000A:01BB 0000000000000000FFFF00000900000A:C351 01 00000000:00000000 00:00000000 00000000     0        0 102 1 0000000000000000 20 4 30 10 -1
`

func TestParseProcNet(t *testing.T) {
	socks, err := parseProcNet(strings.NewReader(procTCP), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		local, remote string
		state         int
	}{
		{"127.0.0.1:8080", "0.0.0.0:0", tcpListen},
		{"0.0.0.0:22", "0.0.0.0:0", tcpListen},
		{"10.0.0.5:22", "10.0.0.9:51000", 1},
		{"127.0.2.18:5433", "127.0.2.10:40000", 6},
		{"10.0.0.5:54321", "10.0.0.9:80", 1},
	}
	if len(socks) != len(want) {
		t.Fatalf("got %d sockets, want %d: %+v", len(socks), len(want), socks)
	}
	for i, w := range want {
		if socks[i].local.String() != w.local || socks[i].remote.String() != w.remote || socks[i].state != w.state {
			t.Errorf("socket %d: %v -> %v state %x, want %s -> %s state %x", i, socks[i].local, socks[i].remote, socks[i].state, w.local, w.remote, w.state)
		}
	}
	socks6, err := parseProcNet(strings.NewReader(procTCP6), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(socks6) != 3 || socks6[1].local.String() != "[fd00::5]:443" || socks6[1].remote.String() != "[fd00::9]:50000" ||
		socks6[2].remote.String() != "10.0.0.9:50001" {
		t.Errorf("IPv6 table: %+v", socks6)
	}
	only22, err := parseProcNet(strings.NewReader(procTCP), func(p uint16) bool { return p == 22 })
	if err != nil || len(only22) != 2 || only22[1].remote.String() != "10.0.0.9:51000" {
		t.Errorf("filtered to port 22: %+v %v", only22, err)
	}
	for _, bad := range []string{
		"   0: 0100007F 00000000:0000 0A",
		"   0: 0100007G:1F90 00000000:0000 0A",
		"   0: 0100007F:1F90 00000000:0000 ZZ",
		"   0: 01007F:1F90 00000000:0000 0A",
	} {
		if _, err := parseProcNet(strings.NewReader(bad), nil); err == nil {
			t.Errorf("%q parsed without error", bad)
		}
	}
}

func FuzzParseProcNet(f *testing.F) {
	f.Add(procTCP)
	f.Add(procTCP6)
	f.Add("   0: :")
	f.Fuzz(func(t *testing.T, s string) {
		socks, _ := parseProcNet(strings.NewReader(s), nil)
		for _, k := range socks {
			if !k.local.IsValid() || !k.remote.IsValid() {
				t.Fatalf("invalid address accepted: %+v", k)
			}
		}
	})
}

func TestCounter(t *testing.T) {
	listeners := []facts.Listener{
		{Transport: "tcp", Address: "0.0.0.0", Port: 22},
		{Transport: "tcp", Address: "10.78.0.2", Port: 9001},
		{Transport: "tcp", Address: "127.0.0.1", Port: 9100},
		{Transport: "tcp", Address: "::", Port: 443},
		{Transport: "udp", Address: "0.0.0.0", Port: 161},
		{Transport: "tcp", Address: "bogus", Port: 7},
	}
	c := newCounter(listeners, []netip.Addr{netip.MustParseAddr("10.78.0.2"), netip.MustParseAddr("fd00::2")})
	ap := netip.MustParseAddrPort
	steps := []struct {
		tr       string
		src, dst string
		counted  bool
	}{
		{"tcp", "10.78.0.1:40000", "10.78.0.2:22", true},
		{"tcp", "10.78.0.1:40000", "10.78.0.2:22", false}, // retransmitted SYN
		{"tcp", "10.78.0.1:40001", "10.78.0.2:22", true},
		{"tcp", "10.78.0.1:40002", "10.99.0.7:22", false}, // not addressed to this host (forwarded)
		{"tcp", "10.78.0.1:40003", "10.78.0.2:9001", true},
		{"tcp", "10.78.0.1:40004", "10.78.0.3:9001", false}, // a listener bound elsewhere
		{"tcp", "127.0.0.1:40005", "127.0.0.1:9100", true},
		{"tcp", "10.78.0.1:40006", "10.78.0.2:9100", false}, // 9100 listens on loopback only
		{"tcp", "[fd00::1]:40007", "[fd00::2]:443", true},
		{"tcp", "10.78.0.1:40008", "10.78.0.2:443", true}, // :: accepts IPv4 too
		{"tcp", "10.78.0.1:40009", "10.78.0.2:8080", false},
		{"udp", "10.78.0.1:5000", "10.78.0.2:161", true},
		{"udp", "10.78.0.1:5000", "10.78.0.2:161", false}, // same peer: one "connection"
		{"tcp", "10.78.0.1:5001", "10.78.0.2:161", false}, // TCP to a UDP-only port
	}
	for i, s := range steps {
		if got := c.add(s.tr, ap(s.src), ap(s.dst)); got != s.counted {
			t.Errorf("step %d %s %s -> %s: counted=%v, want %v", i, s.tr, s.src, s.dst, got, s.counted)
		}
	}
	want := map[string]int{"tcp/22": 2, "tcp/9001": 1, "tcp/9100": 1, "tcp/443": 2, "udp/161": 1}
	got := c.snapshot()
	if len(got) != len(want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
}

func TestCountSockets(t *testing.T) {
	socks, err := parseProcNet(strings.NewReader(procTCP), nil)
	if err != nil {
		t.Fatal(err)
	}
	s6, _ := parseProcNet(strings.NewReader(procTCP6), nil)
	socks = append(socks, s6...)
	listeners := []facts.Listener{
		{Transport: "tcp", Address: "0.0.0.0", Port: 22},
		{Transport: "tcp", Address: "127.0.2.18", Port: 5433},
		{Transport: "tcp", Address: "127.0.0.1", Port: 8080},
		{Transport: "tcp", Address: "::", Port: 443},
	}
	local := []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("fd00::5")}
	c := newCounter(listeners, local)
	// The table read when the window opens: open connections count, the
	// TIME-WAIT one (to 5433) ended before and does not.
	present := countSockets(c, socks, true)
	want := map[string]int{"tcp/22": 1, "tcp/443": 2}
	got := c.snapshot()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all %v)", k, got[k], v, got)
		}
	}
	if got["tcp/5433"] != 0 || got["tcp/8080"] != 0 || got["tcp/80"] != 0 {
		t.Errorf("a connection closed before the window, a listening socket or an outbound connection was counted: %v", got)
	}
	// Polling the same table again counts nothing new.
	c.forgetExcept(present)
	c.forgetExcept(countSockets(c, socks, false))
	for k, v := range want {
		if c.snapshot()[k] != v {
			t.Errorf("second poll changed %s to %d", k, c.snapshot()[k])
		}
	}
	if c.snapshot()["tcp/5433"] != 0 {
		t.Errorf("the remembered TIME-WAIT connection was counted by a later poll")
	}
	// A connection that opened and closed between two polls shows up in
	// TIME-WAIT: during the window it counts.
	c2 := newCounter(listeners, local)
	c2.forgetExcept(countSockets(c2, nil, true))
	countSockets(c2, socks, false)
	if n := c2.snapshot()["tcp/5433"]; n != 1 {
		t.Errorf("a short connection seen in TIME-WAIT during the window: %d, want 1", n)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{}, {Window: time.Second, Method: "pcap"}, {Window: time.Second, Poll: -1}} {
		if c.Validate() == nil {
			t.Errorf("%+v validated", c)
		}
	}
	if err := (Config{Window: time.Second, Method: MethodProc}).Validate(); err != nil {
		t.Error(err)
	}
}

// listen starts a TCP listener that accepts and holds connections.
func listen(t *testing.T, addr string) (facts.Listener, func() []net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	a := ln.Addr().(*net.TCPAddr)
	return facts.Listener{Transport: "tcp", Address: a.IP.String(), Port: a.Port, Reachable: true},
		func() []net.Conn { mu.Lock(); defer mu.Unlock(); return append([]net.Conn(nil), conns...) }
}

// watchWhile runs Watch and, once it has started, calls during with a
// function that waits until n connections to port have been counted; Watch
// ends by cancellation when during returns, so no test depends on timing.
func watchWhile(t *testing.T, listeners []facts.Listener, cfg Config, during func(waitCounted func(port, n int))) *Result {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	started := make(chan string, 1)
	var mu sync.Mutex
	counted := map[int]int{}
	cfg.Window = 10 * time.Minute
	cfg.OnStart = func(m string, _ time.Time) { started <- m }
	cfg.OnConnection = func(_ string, _, to netip.AddrPort) {
		mu.Lock()
		counted[int(to.Port())]++
		mu.Unlock()
	}
	type out struct {
		r   *Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		r, err := Watch(ctx, listeners, cfg)
		done <- out{r, err}
	}()
	select {
	case <-started:
	case o := <-done:
		t.Fatalf("Watch ended before starting: %v", o.err)
	}
	during(func(port, n int) {
		deadline := time.Now().Add(15 * time.Second)
		for {
			mu.Lock()
			got := counted[port]
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("only %d of %d connections to port %d were counted in 15s", got, n, port)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	cancel()
	o := <-done
	if o.r == nil {
		t.Fatalf("Watch: %v", o.err)
	}
	return o.r
}

func TestWatchProc(t *testing.T) {
	used, _ := listen(t, "127.0.6.1:0")
	idle, _ := listen(t, "127.0.6.1:0")
	var held []net.Conn
	r := watchWhile(t, []facts.Listener{used, idle}, Config{Method: MethodProc, Poll: 20 * time.Millisecond}, func(wait func(int, int)) {
		for range 3 {
			c, err := net.Dial("tcp", "127.0.6.1:"+strconv.Itoa(used.Port))
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c) // held open until a poll sees it
		}
		wait(used.Port, 3)
	})
	for _, c := range held {
		c.Close()
	}
	obs := r.Observation
	if obs.Method != MethodProc {
		t.Errorf("method %q", obs.Method)
	}
	if got := obs.Connections["tcp/"+strconv.Itoa(used.Port)]; got != 3 {
		t.Errorf("used port: %d connections, want 3 (%v)", got, obs.Connections)
	}
	if got := obs.Connections["tcp/"+strconv.Itoa(idle.Port)]; got != 0 {
		t.Errorf("idle port: %d connections, want 0", got)
	}
}

func TestWatchAFPacket(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root for a packet socket")
		}
		t.Skip("needs root for a packet socket")
	}
	used, _ := listen(t, "127.0.6.2:0")
	idle, _ := listen(t, "127.0.6.2:0")
	other, _ := listen(t, "127.0.6.3:0") // not watched
	const n = 5
	r := watchWhile(t, []facts.Listener{used, idle}, Config{Method: MethodAFPacket}, func(wait func(int, int)) {
		// The unwatched port first: packets are read in order, so once the
		// last SYN to the used port is counted, this one was seen too.
		if c, err := net.Dial("tcp", "127.0.6.3:"+strconv.Itoa(other.Port)); err == nil {
			c.Close()
		}
		for range n {
			c, err := net.Dial("tcp", "127.0.6.2:"+strconv.Itoa(used.Port))
			if err != nil {
				t.Fatal(err)
			}
			c.Write([]byte("hello")) // established traffic, which the filter keeps out
			c.Close()
		}
		wait(used.Port, n)
	})
	obs := r.Observation
	if obs.Method != MethodAFPacket {
		t.Errorf("method %q", obs.Method)
	}
	if got := obs.Connections["tcp/"+strconv.Itoa(used.Port)]; got != n {
		t.Errorf("used port: %d connections, want %d (%v)", got, n, obs.Connections)
	}
	if got := obs.Connections["tcp/"+strconv.Itoa(idle.Port)]; got != 0 {
		t.Errorf("idle port: %d connections", got)
	}
	if _, ok := obs.Connections["tcp/"+strconv.Itoa(other.Port)]; ok {
		t.Errorf("a port that was not watched was counted: %v", obs.Connections)
	}
}
