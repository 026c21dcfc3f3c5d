package engine

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
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

// silentListener accepts on addr and closes without a word; it counts the
// connections it was offered.
func silentListener(t *testing.T, addr string) (uint16, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return uint16(ln.Addr().(*net.TCPAddr).Port), &n
}

// TestSilentPortsRetriedOnlyWhereTheHostTalks: a port that never speaks is
// asked again, patiently, when another port of its host talked, and left
// alone on a host where nothing talks (a tarpit would cost minutes).
func TestSilentPortsRetriedOnlyWhereTheHostTalks(t *testing.T) {
	scan := func(host string, ports ...uint16) {
		t.Helper()
		doc, err := Run(context.Background(), Config{
			Targets:    []string{host},
			Scope:      scope.Config{MaxHosts: 1},
			Dial:       dialer.Config{Concurrency: 64, Timeout: 300 * time.Millisecond},
			Ports:      ports,
			MinTimeout: 100 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(doc.Hosts) != 1 || len(doc.Hosts[0].Services) != len(ports) {
			t.Fatalf("%s: want %d services, got %+v", host, len(ports), doc.Hosts)
		}
	}
	alone, quiet := silentListener(t, "127.0.67.21")
	scan("127.0.67.21", alone)
	withTalker, retried := silentListener(t, "127.0.67.22")
	talker := greeter(t, "127.0.67.22", "SSH-2.0-OpenSSH_9.2p1\r\n", 0)
	scan("127.0.67.22", withTalker, talker)
	if q, r := quiet.Load(), retried.Load(); q == 0 || r <= q {
		t.Errorf("silent port alone: %d connections; beside a talking port: %d (want more: the patient retry)", q, r)
	}
}
