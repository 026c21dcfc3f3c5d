package main

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"
)

func TestMSSQLPrelogin(t *testing.T) {
	for variant, enc := range map[string]byte{"weak": 2, "hard": 3} {
		h, err := newMSSQL(variant)
		if err != nil {
			t.Fatal(err)
		}
		addr := startServer(t, h)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		// A PRELOGIN with the terminator only.
		if _, err := c.Write([]byte{0x12, 1, 0, 9, 0, 0, 0, 0, 0xff}); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		hdr := make([]byte, 8)
		if _, err := io.ReadFull(c, hdr); err != nil {
			t.Fatal(err)
		}
		body := make([]byte, int(binary.BigEndian.Uint16(hdr[2:]))-8)
		if _, err := io.ReadFull(c, body); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if hdr[0] != 0x04 {
			t.Fatalf("%s: packet type %#x", variant, hdr[0])
		}
		got := map[byte][]byte{}
		for i := 0; body[i] != 0xff; i += 5 {
			off, n := int(binary.BigEndian.Uint16(body[i+1:])), int(binary.BigEndian.Uint16(body[i+3:]))
			got[body[i]] = body[off : off+n]
		}
		if v := got[0]; len(v) != 6 || v[0] != 16 || binary.BigEndian.Uint16(v[2:]) != 1000 {
			t.Errorf("%s: VERSION %x", variant, v)
		}
		if e := got[1]; len(e) != 1 || e[0] != enc {
			t.Errorf("%s: ENCRYPTION %x, want %d", variant, e, enc)
		}
	}
	if _, err := newMSSQL("terrapin"); err == nil {
		t.Error("variant terrapin accepted")
	}
}

func TestParseForwardPorts(t *testing.T) {
	ps, err := parseForwardPorts("tcp/111, udp/111,tcp/6080")
	if err != nil || len(ps) != 3 || ps[1] != (forwardPort{"udp", 111}) {
		t.Errorf("%v %v", ps, err)
	}
	for _, bad := range []string{"", "tcp", "sctp/1", "tcp/0", "udp/65536", "tcp/x"} {
		if _, err := parseForwardPorts(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestForward relays a TCP echo and a UDP echo server on 127.0.0.1 to
// 127.0.0.2 on the same ports.
func TestForward(t *testing.T) {
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	port := tl.Addr().(*net.TCPAddr).Port
	ul, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Skipf("UDP port %d taken: %v", port, err)
	}
	defer ul.Close()
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	go func() {
		b := make([]byte, 512)
		for {
			n, from, err := ul.ReadFrom(b)
			if err != nil {
				return
			}
			_, _ = ul.WriteTo(append([]byte("echo "), b[:n]...), from)
		}
	}()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	p := strconv.Itoa(port)
	go func() {
		done <- serveForward(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), "127.0.0.2", "127.0.0.1", "tcp/"+p+",udp/"+p)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serveForward: %v", err)
		}
	}()
	var c net.Conn
	for i := 0; i < 200; i++ { // poll until the relay listens
		if c, err = net.Dial("tcp", "127.0.0.2:"+p); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if _, err := io.ReadFull(c, b); err != nil || string(b) != "ping" {
		t.Errorf("tcp: %q %v", b, err)
	}
	c.Close()
	u, err := net.Dial("udp", "127.0.0.2:"+p)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	buf := make([]byte, 64)
	for i := 0; i < 50; i++ {
		_, _ = u.Write([]byte("hi"))
		_ = u.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := u.Read(buf)
		if err == nil {
			if string(buf[:n]) != "echo hi" {
				t.Errorf("udp: %q", buf[:n])
			}
			return
		}
	}
	t.Error("udp: no answer through the relay")
}
