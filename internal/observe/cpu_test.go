package observe

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
)

// cpuReport is what the watching child measured.
type cpuReport struct {
	Method      string         `json:"method"`
	Wall        float64        `json:"wall_seconds"`
	CPU         float64        `json:"cpu_seconds"` // user + system, from getrusage(RUSAGE_SELF)
	StatTicks   int64          `json:"stat_ticks"`  // utime + stime from /proc/self/stat (1/100 s)
	Connections map[string]int `json:"connections"`
}

// procStatTicks returns utime+stime of /proc/self/stat, in clock ticks.
func procStatTicks() int64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return -1
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	// After "pid (comm) ", field 3 (state) is f[0]; utime is field 14, stime 15.
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}

func rusageSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// TestCPUChild is not a test: with VIGIL_OBSERVE_CPU_CHILD set it watches
// the listeners given in VIGIL_OBSERVE_CPU_PORTS for the window given, and
// prints what watching cost this process.
func TestCPUChild(t *testing.T) {
	spec := os.Getenv("VIGIL_OBSERVE_CPU_CHILD")
	if spec == "" {
		return
	}
	method, window, _ := strings.Cut(spec, ",")
	d, err := time.ParseDuration(window)
	if err != nil {
		t.Fatal(err)
	}
	var listeners []facts.Listener
	for p := range strings.SplitSeq(os.Getenv("VIGIL_OBSERVE_CPU_PORTS"), ",") {
		n, _ := strconv.Atoi(p)
		listeners = append(listeners, facts.Listener{Transport: "tcp", Address: "127.0.7.1", Port: n, Reachable: true})
	}
	var cpu0, t0 float64
	var ticks0 int64
	var start time.Time
	cfg := Config{Window: d, Method: method, OnStart: func(string, time.Time) {
		cpu0, ticks0, start = rusageSeconds(), procStatTicks(), time.Now()
		fmt.Println("watching")
	}}
	r, err := Watch(t.Context(), listeners, cfg)
	if err != nil {
		t.Fatal(err)
	}
	_ = t0
	rep := cpuReport{Method: r.Observation.Method, Wall: time.Since(start).Seconds(), CPU: rusageSeconds() - cpu0,
		StatTicks: procStatTicks() - ticks0, Connections: r.Observation.Connections}
	b, _ := json.Marshal(rep)
	fmt.Println("report " + string(b))
}

// TestObserveCPU measures what watching costs: a child process watches ten
// loopback listeners for VIGIL_OBSERVE_CPU (e.g. 30s) while this process
// opens 200 connections a second to them and streams data over an
// established connection, and the child reports its own CPU time. It only
// runs when VIGIL_OBSERVE_CPU is set; it reports and does not assert, as
// timings depend on the machine. The figure is kept in docs/benchmarks.md.
func TestObserveCPU(t *testing.T) {
	window := os.Getenv("VIGIL_OBSERVE_CPU")
	if window == "" {
		t.Skip("set VIGIL_OBSERVE_CPU=30s to measure")
	}
	method := os.Getenv("VIGIL_OBSERVE_CPU_METHOD")
	if method == "" {
		method = MethodAFPacket
	}
	if method == MethodAFPacket && os.Geteuid() != 0 {
		t.Skip("af_packet needs root")
	}
	var ports []string
	var addrs []netip.AddrPort
	for range 10 {
		l, _ := listen(t, "127.0.7.1:0")
		ports = append(ports, strconv.Itoa(l.Port))
		addrs = append(addrs, netip.MustParseAddrPort("127.0.7.1:"+strconv.Itoa(l.Port)))
	}
	// A sink for the bulk stream, not watched.
	sink, err := net.Listen("tcp", "127.0.7.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	go func() {
		for {
			c, err := sink.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()

	exe, _ := os.Executable()
	cmd := exec.Command(exe, "-test.run=^TestCPUChild$", "-test.v")
	cmd.Env = append(os.Environ(), "VIGIL_OBSERVE_CPU_CHILD="+method+","+window, "VIGIL_OBSERVE_CPU_PORTS="+strings.Join(ports, ","))
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != "watching" {
	}

	// Bounded generator: 200 new connections a second (rate-limited by
	// the dialer), and a 64 KiB write every 10 ms on one established
	// connection (about 6.5 MB/s).
	rate := 200.0
	if r := os.Getenv("VIGIL_OBSERVE_CPU_RATE"); r != "" {
		rate, _ = strconv.ParseFloat(r, 64)
	}
	d, err := dialer.New(dialer.Config{Rate: max(rate, 1), Concurrency: 16, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var made, streamed int64
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; rate > 0; i++ {
			select {
			case <-stop:
				return
			default:
			}
			c, err := d.Dial(t.Context(), "tcp", addrs[i%len(addrs)], 0)
			if err == nil {
				c.Close()
				made++
			}
		}
	}()
	go func() {
		defer wg.Done()
		c, err := d.Dial(t.Context(), "tcp", netip.MustParseAddrPort(sink.Addr().String()), 0)
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64<<10)
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				if n, err := c.Write(buf); err == nil {
					streamed += int64(n)
				}
			}
		}
	}()
	var rep cpuReport
	for sc.Scan() {
		if r, ok := strings.CutPrefix(sc.Text(), "report "); ok {
			_ = json.Unmarshal([]byte(r), &rep)
		}
	}
	close(stop)
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	total := 0
	for _, n := range rep.Connections {
		total += n
	}
	t.Logf("method %s: %.3f s CPU (getrusage) / %.2f s CPU (/proc/self/stat) in %.1f s = %.2f%% of one core; %d connections made, %d counted; %.0f MB streamed on an established connection",
		rep.Method, rep.CPU, float64(rep.StatTicks)/100, rep.Wall, 100*rep.CPU/rep.Wall, made, total, float64(streamed)/1e6)
}
