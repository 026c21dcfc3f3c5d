package wire

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// serve starts a loopback server that runs talk on each connection.
func serve(t *testing.T, talk func(net.Conn)) net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
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
			go func() { defer c.Close(); talk(c) }()
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestReadLine(t *testing.T) {
	c := serve(t, func(c net.Conn) { c.Write([]byte("220 ready\r\nrest")) })
	got, err := ReadLine(t.Context(), c, 1024, 2*time.Second)
	if err != nil || !bytes.HasPrefix(got, []byte("220 ready\r\n")) {
		t.Fatalf("ReadLine = %q, %v", got, err)
	}
}

func TestCapStopsAFlood(t *testing.T) {
	c := serve(t, func(c net.Conn) {
		chunk := bytes.Repeat([]byte("A"), 65536)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	got, err := ReadLine(t.Context(), c, 4096, 5*time.Second)
	if !errors.Is(err, ErrTooLarge) || len(got) != 4096 {
		t.Fatalf("got %d bytes, err %v; want 4096 and ErrTooLarge", len(got), err)
	}
}

func TestDeadlineIsForTheWholeRead(t *testing.T) {
	c := serve(t, func(c net.Conn) {
		for i := 0; i < 100; i++ {
			if _, err := c.Write([]byte{'x'}); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	got, err := ReadLine(t.Context(), c, 4096, 300*time.Millisecond)
	if err == nil {
		t.Fatalf("a trickle with no newline returned no error: %q", got)
	}
	if len(got) == 0 || len(got) > 20 {
		t.Errorf("got %d bytes from a trickle; want a few", len(got))
	}
}

func TestCancelEndsTheRead(t *testing.T) {
	c := serve(t, func(c net.Conn) { time.Sleep(10 * time.Second) })
	ctx, cancel := context.WithCancel(t.Context())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	if _, err := ReadSome(ctx, c, 10, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestExchangeAndReadFull(t *testing.T) {
	c := serve(t, func(c net.Conn) {
		b := make([]byte, 4)
		if _, err := c.Read(b); err == nil && string(b) == "PING" {
			c.Write([]byte("PONG!extra"))
		}
	})
	got, err := Exchange(t.Context(), c, []byte("PING"), 5, 2*time.Second, func(b []byte) bool { return len(b) >= 5 })
	if err != nil || string(got[:5]) != "PONG!" {
		t.Fatalf("Exchange = %q, %v", got, err)
	}
	c2 := serve(t, func(c net.Conn) { c.Write([]byte("0123456789")) })
	got, err = ReadFull(t.Context(), c2, 4, 2*time.Second)
	if err != nil || string(got) != "0123" {
		t.Fatalf("ReadFull = %q, %v", got, err)
	}
}

func TestReadUntilNilDoneReturnsWhatArrived(t *testing.T) {
	c := serve(t, func(c net.Conn) { c.Write([]byte("bye")) })
	got, err := ReadUntil(t.Context(), c, 100, 2*time.Second, nil)
	if err != nil || string(got) != "bye" {
		t.Fatalf("ReadUntil = %q, %v", got, err)
	}
}
