package main

import (
	"bytes"
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

// hostileLifetime bounds how long a hostile server keeps one connection:
// "forever" for any scanner, but no leak in a long-running lab.
const hostileLifetime = 15 * time.Minute

// handler serves one connection; serve closes it afterwards.
type handler func(ctx context.Context, c net.Conn)

// serve accepts connections on addr until ctx ends, running at most max
// handlers at once (further connections are closed at once) and giving
// each connection at most lifetime.
func serve(ctx context.Context, log *slog.Logger, addr string, max int, lifetime time.Duration, h handler) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	log.Info("listening")
	return acceptLoop(ctx, log, ln, max, lifetime, h)
}

func acceptLoop(ctx context.Context, log *slog.Logger, ln net.Listener, max int, lifetime time.Duration, h handler) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	slots := make(chan struct{}, max)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			log.Warn("accept", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			c.Close()
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			defer c.Close()
			cctx, cancel := context.WithTimeout(ctx, lifetime)
			defer cancel()
			_ = c.SetDeadline(time.Now().Add(lifetime))
			kill := context.AfterFunc(cctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
			defer kill()
			h(cctx, c)
		})
	}
}

// readSome reads what arrives within timeout, at most max bytes, and
// returns as soon as something arrived.
func readSome(c net.Conn, max int, timeout time.Duration) ([]byte, error) {
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	buf := make([]byte, max)
	n, err := c.Read(buf)
	return buf[:n], err
}

// readFull reads exactly n bytes (n ≤ max enforced by callers) within
// timeout for the whole read.
func readFull(c net.Conn, n int, timeout time.Duration) ([]byte, error) {
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	_, err := io.ReadFull(c, buf)
	return buf, err
}

// readLine reads up to and including the first '\n', at most max bytes,
// within timeout for the whole line. It reads one byte at a time so that
// nothing after the line is consumed.
func readLine(c net.Conn, max int, timeout time.Duration) ([]byte, error) {
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	var line []byte
	b := make([]byte, 1)
	for len(line) < max {
		if _, err := c.Read(b); err != nil {
			return line, err
		}
		line = append(line, b[0])
		if b[0] == '\n' {
			return line, nil
		}
	}
	return line, fmt.Errorf("line longer than %d bytes", max)
}

// drain reads and discards until the peer closes, max bytes arrived or
// timeout passed, so that closing afterwards does not reset the connection
// before the peer has read what was sent.
func drain(c net.Conn, max int64, timeout time.Duration) {
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(c, max))
}

// finish half-closes c after a reply and drains what the peer still sends.
func finish(c net.Conn) {
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	}
	drain(c, 64<<10, 3*time.Second)
}

// sleepCtx waits d or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// parsePorts parses "22,80,8000-8010".
func parsePorts(s string) ([]int, error) {
	var ports []int
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("bad port %q", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, fmt.Errorf("bad port range %q", part)
			}
		}
		if a < 1 || b > 65535 || a > b {
			return nil, fmt.Errorf("bad port range %q", part)
		}
		for p := a; p <= b; p++ {
			if !seen[p] {
				seen[p] = true
				ports = append(ports, p)
			}
		}
	}
	if len(ports) == 0 {
		return nil, errors.New("no ports given")
	}
	return ports, nil
}

// listenMany accepts on every port of addr and holds each connection until
// the peer closes or 30 seconds pass.
func listenMany(ctx context.Context, log *slog.Logger, addr string, ports []int) error {
	var lc net.ListenConfig
	var lns []net.Listener
	for _, p := range ports {
		ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(addr, strconv.Itoa(p)))
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return err
		}
		lns = append(lns, ln)
	}
	log.Info("listening", "ports", len(ports))
	hold := func(ctx context.Context, c net.Conn) { drain(c, 4096, 30*time.Second) }
	var wg sync.WaitGroup
	errs := make([]error, len(lns))
	for i, ln := range lns {
		wg.Go(func() { errs[i] = acceptLoop(ctx, log, ln, 64, time.Minute, hold) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// repeatTo returns s repeated until it is at least n bytes long.
func repeatTo(s string, n int) []byte {
	return bytes.Repeat([]byte(s), n/len(s)+1)
}
