package main

// Servers that break protocols on purpose, to test that audits give up
// cleanly: garbage instead of a ServerHello, a ServerHello cut in the
// middle, a handshake that never ends, and the same for SSH.

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"net"
	"time"
)

// awaitHello reads whatever the client sends first (its ClientHello), with
// a deadline and a cap; it does not care whether it parses.
func awaitHello(c net.Conn) bool {
	_, err := readSome(c, 16<<10, 10*time.Second)
	return err == nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// tlsGarbage answers a ClientHello with 64 KiB of random bytes, then closes.
func tlsGarbage(ctx context.Context, c net.Conn) {
	if !awaitHello(c) {
		return
	}
	_, _ = c.Write(randomBytes(64 << 10))
	finish(c)
}

// tlsTruncated answers a ClientHello with the first half of a ServerHello
// record, then stays silent until the peer gives up.
func tlsTruncated(ctx context.Context, c net.Conn) {
	if !awaitHello(c) {
		return
	}
	var hello []byte
	hello = binary.BigEndian.AppendUint16(hello, 0x0303)
	hello = append(hello, serverRandom()...)
	hello = append(hello, 0)          // empty session id
	hello = append(hello, 0xc0, 0x2f) // ECDHE-RSA-AES128-GCM-SHA256
	hello = append(hello, 0)
	full := record(recHandshake, 0x0303, appendHandshake(nil, hsServerHello, hello))
	if _, err := c.Write(full[:len(full)/2]); err != nil {
		return
	}
	drain(c, 64<<10, hostileLifetime)
}

// tlsEndless answers a ClientHello with a handshake record announcing
// 16 KiB whose ServerHello claims 16 MiB, then handshake records of 16 KiB
// each, without end.
func tlsEndless(ctx context.Context, c net.Conn) {
	if !awaitHello(c) {
		return
	}
	first := []byte{recHandshake, 0x03, 0x03, 0x40, 0x00, hsServerHello, 0xff, 0xff, 0xff, 0x03, 0x03}
	first = append(first, randomBytes(16384-6)...)
	if _, err := c.Write(first); err != nil {
		return
	}
	rec := append([]byte{recHandshake, 0x03, 0x03, 0x40, 0x00}, randomBytes(16384)...)
	for ctx.Err() == nil {
		if _, err := c.Write(rec); err != nil {
			return
		}
	}
}

// sshGarbage sends 64 KiB of random bytes where an SSH identification
// string belongs, then closes.
func sshGarbage(ctx context.Context, c net.Conn) {
	b := randomBytes(64 << 10)
	// No line may look like an identification string.
	for i := range b {
		if b[i] == '\n' {
			b[i] = '?'
		}
	}
	_, _ = c.Write(b)
	finish(c)
}

// sshEndless sends a valid identification string, then a packet whose
// length field says 2^31 bytes, then random bytes forever.
func sshEndless(ctx context.Context, c net.Conn) {
	if _, err := c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n")); err != nil {
		return
	}
	if _, err := c.Write([]byte{0x80, 0x00, 0x00, 0x00, 0x04, 20}); err != nil {
		return
	}
	chunk := randomBytes(64 << 10)
	for ctx.Err() == nil {
		if _, err := c.Write(chunk); err != nil {
			return
		}
	}
}
