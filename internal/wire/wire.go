// Package wire reads from network connections with a deadline and a size cap
// on every read, so a server that trickles bytes or sends megabytes can
// neither hang vigil nor fill its memory.
package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// ErrTooLarge means the server sent more than the cap before the expected end.
var ErrTooLarge = errors.New("answer larger than the size cap")

// deadline returns the earlier of now+timeout and ctx's deadline.
func deadline(ctx context.Context, timeout time.Duration) time.Time {
	d := time.Now().Add(timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		return cd
	}
	return d
}

// watch closes the connection's deadline early when ctx is cancelled.
func watch(ctx context.Context, c net.Conn) (stop func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	s := context.AfterFunc(ctx, func() { _ = c.SetReadDeadline(time.Unix(1, 0)) })
	return func() { s() }
}

// ReadUntil reads from c until done reports that the bytes so far are a
// complete answer, the server closes, max bytes arrived, or timeout passes
// (the whole read, not each chunk: a trickling server cannot extend it). It
// returns what arrived; the error is nil only when done was satisfied, or
// when done is nil and the server closed the connection or the timeout
// passed after at least one byte arrived.
func ReadUntil(ctx context.Context, c net.Conn, max int, timeout time.Duration, done func([]byte) bool) ([]byte, error) {
	if err := c.SetReadDeadline(deadline(ctx, timeout)); err != nil {
		return nil, err
	}
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	stop := watch(ctx, c)
	defer stop()
	buf := make([]byte, 0, min(max, 4096))
	chunk := make([]byte, min(max, 16384))
	for {
		n, err := c.Read(chunk[:min(len(chunk), max-len(buf))])
		buf = append(buf, chunk[:n]...)
		if done != nil && done(buf) {
			return buf, nil
		}
		if len(buf) >= max {
			return buf, ErrTooLarge
		}
		if err != nil {
			if ctx.Err() != nil {
				return buf, ctx.Err()
			}
			if done == nil && len(buf) > 0 && (errors.Is(err, io.EOF) || errors.Is(err, os.ErrDeadlineExceeded)) {
				return buf, nil
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return buf, fmt.Errorf("no complete answer after %v: %w", timeout, err)
			}
			return buf, err
		}
	}
}

// ReadSome returns the first bytes that arrive within timeout, up to max.
func ReadSome(ctx context.Context, c net.Conn, max int, timeout time.Duration) ([]byte, error) {
	return ReadUntil(ctx, c, max, timeout, func(b []byte) bool { return len(b) > 0 })
}

// ReadLine reads until a line feed, up to max bytes and within timeout.
func ReadLine(ctx context.Context, c net.Conn, max int, timeout time.Duration) ([]byte, error) {
	return ReadUntil(ctx, c, max, timeout, func(b []byte) bool { return bytes.IndexByte(b, '\n') >= 0 })
}

// ReadFull reads exactly n bytes within timeout.
func ReadFull(ctx context.Context, c net.Conn, n int, timeout time.Duration) ([]byte, error) {
	b, err := ReadUntil(ctx, c, n, timeout, func(b []byte) bool { return len(b) >= n })
	if err != nil {
		return b, err
	}
	return b[:n], nil
}

// Write writes b within timeout.
func Write(ctx context.Context, c net.Conn, b []byte, timeout time.Duration) error {
	if err := c.SetWriteDeadline(deadline(ctx, timeout)); err != nil {
		return err
	}
	defer func() { _ = c.SetWriteDeadline(time.Time{}) }()
	_, err := c.Write(b)
	return err
}

// Exchange writes req and then reads as ReadUntil does.
func Exchange(ctx context.Context, c net.Conn, req []byte, max int, timeout time.Duration, done func([]byte) bool) ([]byte, error) {
	if err := Write(ctx, c, req, timeout); err != nil {
		return nil, err
	}
	return ReadUntil(ctx, c, max, timeout, done)
}
