package engine

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/scope"
)

// greeter accepts on addr and sends banner after delay on each connection.
func greeter(t *testing.T, addr, banner string, delay time.Duration) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				time.Sleep(delay)
				c.Write([]byte(banner))
				time.Sleep(time.Second)
			}()
		}
	}()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

func TestSlowGreeterIsIdentifiedOnRetry(t *testing.T) {
	fast := greeter(t, "127.0.67.20", "SSH-2.0-OpenSSH_9.2p1\r\n", 0)
	slow := greeter(t, "127.0.67.20", "SSH-2.0-OpenSSH_9.2p1\r\n", 1200*time.Millisecond)
	doc, err := Run(context.Background(), Config{
		Targets:    []string{"127.0.67.20"},
		Scope:      scope.Config{MaxHosts: 1},
		Dial:       dialer.Config{Concurrency: 64, Timeout: time.Second},
		Ports:      []uint16{fast, slow},
		MinTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Hosts) != 1 || len(doc.Hosts[0].Services) != 2 {
		t.Fatalf("want 2 services, got %+v", doc.Hosts)
	}
	for _, s := range doc.Hosts[0].Services {
		if s.Name != "ssh" {
			t.Errorf("port %d identified as %q, want ssh (the slow greeter needs the patient retry)", s.Port, s.Name)
		}
	}
}

// TestUnnamedPortsAreRetried: a server that answers only after the first
// identification gave up is found on the patient second try, even alone on
// its host.
func TestUnnamedPortsAreRetried(t *testing.T) {
	slow := greeter(t, "127.0.67.21", "SSH-2.0-OpenSSH_9.2p1\r\n", 900*time.Millisecond)
	doc, err := Run(context.Background(), Config{
		Targets:    []string{"127.0.67.21"},
		Scope:      scope.Config{MaxHosts: 1},
		Dial:       dialer.Config{Concurrency: 64, Timeout: 300 * time.Millisecond},
		Ports:      []uint16{slow},
		MinTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Hosts) != 1 || len(doc.Hosts[0].Services) != 1 || doc.Hosts[0].Services[0].Name != "ssh" {
		t.Fatalf("a slow server alone on its host: %+v, want ssh", doc.Hosts)
	}
}

// holder accepts on n ports of addr and holds every connection open
// without a word, as a tarpit does; it counts the connections.
func holder(t *testing.T, addr string, n int) ([]uint16, *atomic.Int64) {
	t.Helper()
	var count atomic.Int64
	var ports []uint16
	for range n {
		ln, err := net.Listen("tcp", addr+":0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		ports = append(ports, uint16(ln.Addr().(*net.TCPAddr).Port))
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				count.Add(1)
				go func() {
					defer c.Close()
					buf := make([]byte, 512)
					for {
						if _, err := c.Read(buf); err != nil {
							return
						}
					}
				}()
			}
		}()
	}
	return ports, &count
}

// TestTarpitIsBounded: on a host whose every port accepts and says
// nothing, vigil identifies a bounded number of ports, marks the others
// as not examined and why, and reports them in one finding.
func TestTarpitIsBounded(t *testing.T) {
	const n = 300
	ports, conns := holder(t, "127.0.67.24", n)
	doc, err := Run(context.Background(), Config{
		Targets:    []string{"127.0.67.24"},
		Scope:      scope.Config{MaxHosts: 1},
		Dial:       dialer.Config{Concurrency: 256, Timeout: 300 * time.Millisecond},
		Ports:      ports,
		MinTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := doc.Hosts[0]
	limited := 0
	for _, s := range h.Services {
		if strings.Contains(s.Detail(facts.DetailUnexamined), "tarpit") {
			limited++
		}
	}
	// Every probe of a port is one connection: the ports vigil tried to
	// identify cost dozens each, the others only the sweep's.
	tried := n - limited
	if limited < n-tarpitSilent-perHost || tried > tarpitSilent+perHost || tried < tarpitSilent {
		t.Errorf("%d of %d ports identified before the host counted as a tarpit; %d connections", tried, n, conns.Load())
	}
	var unexamined []string
	for _, f := range doc.Findings {
		if f.Check == "coverage.unexamined" {
			unexamined = append(unexamined, f.Subject)
		}
	}
	if len(unexamined) > 11 || !slices.Contains(unexamined, "more-ports") {
		t.Errorf("%d coverage findings (%v); want at most 10 ports and one that counts the rest", len(unexamined), unexamined)
	}
	// Ten ports of each reason, and one line that counts the rest.
	more := 0
	for _, g := range h.NotExamined {
		if strings.Contains(g.What, "more ports") {
			more++
		}
	}
	if len(h.NotExamined) > 22 || more == 0 {
		t.Errorf("not examined: %+v", h.NotExamined)
	}
	t.Logf("%d ports, %d identified, %d connections in all", n, tried, conns.Load())
}
