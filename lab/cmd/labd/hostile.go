package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// trickleBanner is sent one byte per second, over and over.
const trickleBanner = "220 trickle.vigil.test ESMTP this banner arrives one byte per second\r\n"

// trickle sends its banner one byte per second until the peer goes away.
func trickle(ctx context.Context, c net.Conn) {
	for i := 0; ; i++ {
		if _, err := c.Write([]byte{trickleBanner[i%len(trickleBanner)]}); err != nil {
			return
		}
		if !sleepCtx(ctx, time.Second) {
			return
		}
	}
}

// flood sends a banner line that never ends: megabytes of text without a
// line break, as fast as the peer reads.
func flood(ctx context.Context, c net.Conn) {
	if _, err := c.Write([]byte("220 flood.vigil.test ")); err != nil {
		return
	}
	chunk := repeatTo("FLOOD-BANNER-WITHOUT-END ", 64<<10)
	for ctx.Err() == nil {
		if _, err := c.Write(chunk); err != nil {
			return
		}
	}
}

// EscapeBanner is what the escape server sends first: HTML, a script and
// terminal escape sequences (colour, window title, clear screen, cursor
// home) that a scanner must escape before printing or storing.
const EscapeBanner = "220 escape.vigil.test <script>alert(\"vigil\")</script> <b>bold</b> <img src=x onerror=alert(1)> " +
	"\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x1b[2J\x1b[H ready\r\n"

// escapeReply answers every line the peer sends.
const escapeReply = "500 \x1b[1;31m<i>unknown command</i>\x1b[0m \x1b]0;pwned-again\x07<script>alert(2)</script>\r\n"

// escape sends EscapeBanner, then answers each line with escapeReply until
// the peer closes, 64 KiB arrived, or it stays silent for 10 seconds.
func escape(ctx context.Context, c net.Conn) {
	if _, err := c.Write([]byte(EscapeBanner)); err != nil {
		return
	}
	total := 0
	for ctx.Err() == nil && total < 64<<10 {
		line, err := readLine(c, 4096, 10*time.Second)
		total += len(line)
		if len(line) > 0 {
			if _, werr := c.Write([]byte(escapeReply)); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// serveInetd accepts connections on addr and runs argv for each with the
// socket as standard input and output, as inetd does (for inetutils
// telnetd). At most 16 sessions run at once; all are killed when ctx ends.
func serveInetd(ctx context.Context, log *slog.Logger, addr string, argv []string) error {
	if _, err := exec.LookPath(argv[0]); err != nil {
		return fmt.Errorf("inetd: %w", err)
	}
	var (
		mu       sync.Mutex
		children = map[*exec.Cmd]bool{}
	)
	defer func() {
		mu.Lock()
		for cmd := range children {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		mu.Unlock()
	}()
	return serve(ctx, log, addr, 16, 30*time.Minute, func(ctx context.Context, c net.Conn) {
		tc, ok := c.(*net.TCPConn)
		if !ok {
			return
		}
		f, err := tc.File()
		if err != nil {
			log.Warn("inetd: socket", "err", err)
			return
		}
		defer f.Close()
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = f, f, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			log.Warn("inetd: start", "err", err)
			return
		}
		// The child has the socket now; drop ours so that its closing
		// ends the connection.
		f.Close()
		c.Close()
		mu.Lock()
		children[cmd] = true
		mu.Unlock()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err = <-done:
		case <-ctx.Done():
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			err = <-done
		}
		mu.Lock()
		delete(children, cmd)
		mu.Unlock()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			log.Warn("inetd: wait", "err", err)
		}
	})
}
