package main

// forward relays ports of a lab alias (127.0.2.x) to the same ports of a
// host inside one of the lab's network namespaces, for daemons that insist
// on listening on every address (rpcbind's TCP listener, nfs-ganesha, Xvfb
// with -listen tcp): they run inside the namespace, where every address is
// the namespace's own, and the lab's manifest, its tests and the scanner
// see them on a loopback alias like every other lab service. TCP
// connections are copied both ways; UDP datagrams are relayed per client
// through a socket of their own, so that answers go back to the client
// that asked. Every connection and UDP session has a lifetime.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	forwardLifetime = time.Minute
	forwardIdle     = 20 * time.Second
	forwardSessions = 256
)

// forwardPort is one port to relay.
type forwardPort struct {
	network string // tcp or udp
	port    int
}

// parseForwardPorts parses "tcp/111,tcp/2049,udp/111".
func parseForwardPorts(s string) ([]forwardPort, error) {
	var out []forwardPort
	for _, f := range strings.Split(s, ",") {
		network, p, ok := strings.Cut(strings.TrimSpace(f), "/")
		n, err := strconv.Atoi(p)
		if !ok || (network != "tcp" && network != "udp") || err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("forward: %q is not tcp/PORT or udp/PORT", f)
		}
		out = append(out, forwardPort{network, n})
	}
	return out, nil
}

// serveForward relays every port of spec from addr to target until ctx ends.
func serveForward(ctx context.Context, log *slog.Logger, addr, target, spec string) error {
	ports, err := parseForwardPorts(spec)
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(ports))
	for _, p := range ports {
		from := net.JoinHostPort(addr, strconv.Itoa(p.port))
		to := net.JoinHostPort(target, strconv.Itoa(p.port))
		switch p.network {
		case "tcp":
			ln, err := lc.Listen(ctx, "tcp", from)
			if err != nil {
				return err
			}
			wg.Go(func() {
				errs <- acceptLoop(ctx, log, ln, 64, forwardLifetime, func(ctx context.Context, c net.Conn) { relayTCP(ctx, c, to) })
			})
		case "udp":
			pc, err := lc.ListenPacket(ctx, "udp", from)
			if err != nil {
				return err
			}
			wg.Go(func() { errs <- relayUDP(ctx, pc, to) })
		}
	}
	log.Info("forwarding", "to", target, "ports", spec)
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	cancel()
	wg.Wait()
	if ctx.Err() != nil && (err == nil || errors.Is(err, net.ErrClosed)) {
		return nil
	}
	return err
}

// relayTCP copies c to a new connection to target and back.
func relayTCP(ctx context.Context, c net.Conn, target string) {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	u, err := d.DialContext(dctx, "tcp", target)
	cancel()
	if err != nil {
		return
	}
	defer u.Close()
	_ = u.SetDeadline(time.Now().Add(forwardLifetime))
	stop := context.AfterFunc(ctx, func() { _ = u.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(u, c)
	go pipe(c, u)
	<-done
	<-done
}

// relayUDP relays datagrams from pc's clients to target, each client
// through its own socket, and the answers back.
func relayUDP(ctx context.Context, pc net.PacketConn, target string) error {
	stop := context.AfterFunc(ctx, func() { _ = pc.Close() })
	defer stop()
	var mu sync.Mutex
	sessions := map[string]net.Conn{}
	var wg sync.WaitGroup
	defer wg.Wait()
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			mu.Lock()
			for _, s := range sessions {
				_ = s.Close()
			}
			mu.Unlock()
			return err
		}
		key := from.String()
		mu.Lock()
		s := sessions[key]
		if s == nil && len(sessions) < forwardSessions {
			var d net.Dialer
			if s, err = d.DialContext(ctx, "udp", target); err == nil {
				sessions[key] = s
				wg.Go(func() {
					b := make([]byte, 65536)
					for {
						_ = s.SetReadDeadline(time.Now().Add(forwardIdle))
						m, err := s.Read(b)
						if err != nil {
							var ne net.Error
							if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, net.ErrClosed) {
								break
							}
							continue // ICMP unreachable: the client retries
						}
						_, _ = pc.WriteTo(b[:m], from)
					}
					mu.Lock()
					delete(sessions, key)
					mu.Unlock()
					_ = s.Close()
				})
			} else {
				s = nil
			}
		}
		mu.Unlock()
		if s != nil {
			_, _ = s.Write(buf[:n])
		}
	}
}
