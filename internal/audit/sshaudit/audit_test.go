package sshaudit

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
)

// testDialer reaches loopback only.
func testDialer(t testing.TB) *dialer.Dialer {
	t.Helper()
	d, err := dialer.New(dialer.Config{Concurrency: 64, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// serve runs handle for every connection to a fresh loopback listener until
// the test ends.
func serve(t *testing.T, handle func(ctx context.Context, c net.Conn)) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context() // cancelled before the cleanup below runs
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				stop := context.AfterFunc(ctx, func() { _ = c.Close() })
				defer stop()
				defer c.Close()
				handle(ctx, c)
			})
		}
	})
	return netip.MustParseAddrPort(ln.Addr().String())
}

// audit runs Audit and fails the test if it does not return at all (a
// hang), with a limit far above any timeout in play.
func audit(t *testing.T, addr netip.AddrPort, opt Options) (*facts.SSH, error) {
	t.Helper()
	type result struct {
		s   *facts.SSH
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := Audit(t.Context(), testDialer(t), addr, opt)
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-time.After(60 * time.Second):
		t.Fatal("Audit did not return: it hangs")
		return nil, nil
	}
}

// sink reads and discards until the peer closes.
func sink(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// goServer starts an x/crypto/ssh server with RSA, ECDSA and Ed25519 host
// keys, legacy algorithms, and password, keyboard-interactive and public-key
// authentication whose callbacks count every attempt.
type goServer struct {
	addr      netip.AddrPort
	keys      map[string]ssh.PublicKey // by key type
	attempts  atomic.Int32             // password, keyboard-interactive or public-key attempts
	kexAlgos  []string
	ciphers   []string
	macs      []string
	noneLogin bool
}

func startGoServer(t *testing.T, noneLogin bool) *goServer {
	t.Helper()
	gs := &goServer{
		keys:      map[string]ssh.PublicKey{},
		kexAlgos:  []string{ssh.KeyExchangeCurve25519, ssh.InsecureKeyExchangeDH14SHA1, ssh.InsecureKeyExchangeDH1SHA1},
		ciphers:   []string{ssh.CipherAES128CTR, ssh.InsecureCipherAES128CBC, ssh.InsecureCipherTripleDESCBC},
		macs:      []string{ssh.HMACSHA256ETM, ssh.HMACSHA1, ssh.InsecureHMACSHA196},
		noneLogin: noneLogin,
	}
	cfg := &ssh.ServerConfig{
		NoClientAuth: noneLogin,
		PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) {
			gs.attempts.Add(1)
			return nil, errors.New("no")
		},
		KeyboardInteractiveCallback: func(ssh.ConnMetadata, ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			gs.attempts.Add(1)
			return nil, errors.New("no")
		},
		PublicKeyCallback: func(ssh.ConnMetadata, ssh.PublicKey) (*ssh.Permissions, error) {
			gs.attempts.Add(1)
			return nil, errors.New("no")
		},
	}
	cfg.KeyExchanges = gs.kexAlgos
	cfg.Ciphers = gs.ciphers
	cfg.MACs = gs.macs
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []any{rk, ek, edk} {
		s, err := ssh.NewSignerFromKey(k)
		if err != nil {
			t.Fatal(err)
		}
		cfg.AddHostKey(s)
		gs.keys[s.PublicKey().Type()] = s.PublicKey()
	}
	gs.addr = serve(t, func(_ context.Context, c net.Conn) {
		conn, chans, reqs, err := ssh.NewServerConn(c, cfg)
		if err != nil {
			return
		}
		defer conn.Close()
		go ssh.DiscardRequests(reqs)
		for ch := range chans {
			_ = ch.Reject(ssh.Prohibited, "test server")
		}
	})
	return gs
}

func TestAuditGoServer(t *testing.T) {
	gs := startGoServer(t, false)
	s, err := audit(t, gs.addr, Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if s.ProtocolVersion != "2.0" || s.Software != "Go" {
		t.Errorf("identification: %q %q", s.ProtocolVersion, s.Software)
	}
	// x/crypto/ssh adds its curve25519 alias and strict-KEX and ext-info
	// markers to what it was told to offer.
	for _, k := range gs.kexAlgos {
		if !slices.Contains(s.KexAlgorithms, k) {
			t.Errorf("kex_algorithms %v lacks %s", s.KexAlgorithms, k)
		}
	}
	if !slices.Equal(s.CiphersClientToServer, gs.ciphers) || !slices.Equal(s.CiphersServerToClient, gs.ciphers) {
		t.Errorf("ciphers %v / %v, want %v", s.CiphersClientToServer, s.CiphersServerToClient, gs.ciphers)
	}
	if !slices.Equal(s.MACsClientToServer, gs.macs) || !slices.Equal(s.MACsServerToClient, gs.macs) {
		t.Errorf("MACs %v / %v, want %v", s.MACsClientToServer, s.MACsServerToClient, gs.macs)
	}
	if !slices.Equal(s.Compression, []string{"none"}) {
		t.Errorf("compression %v", s.Compression)
	}
	// One host key per offered algorithm, each the server's own.
	if len(s.HostKeys) != len(s.HostKeyAlgorithms) || len(s.HostKeys) < 3 {
		t.Fatalf("%d host keys for algorithms %v: %+v", len(s.HostKeys), s.HostKeyAlgorithms, s.HostKeys)
	}
	bits := map[string]int{ssh.KeyAlgoRSA: 2048, ssh.KeyAlgoECDSA256: 256, ssh.KeyAlgoED25519: 256}
	for i, k := range s.HostKeys {
		pub, ok := gs.keys[k.Type]
		if !ok {
			t.Errorf("host key of unexpected type %s", k.Type)
			continue
		}
		if k.Algorithm != s.HostKeyAlgorithms[i] || k.Fingerprint != ssh.FingerprintSHA256(pub) || k.Bits != bits[k.Type] {
			t.Errorf("host key %+v: want algorithm %s, fingerprint %s, %d bits", k, s.HostKeyAlgorithms[i], ssh.FingerprintSHA256(pub), bits[k.Type])
		}
	}
	for _, m := range []string{"publickey", "password", "keyboard-interactive"} {
		if !slices.Contains(s.AuthMethods, m) {
			t.Errorf("auth methods %v lack %s", s.AuthMethods, m)
		}
	}
	if n := gs.attempts.Load(); n != 0 {
		t.Errorf("the audit made %d authentication attempts beyond \"none\"", n)
	}
}

func TestAuditNoneAccepted(t *testing.T) {
	gs := startGoServer(t, true)
	s, err := audit(t, gs.addr, Options{Timeout: 2 * time.Second, User: "nobody"})
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if !slices.Equal(s.AuthMethods, []string{"none"}) {
		t.Errorf("auth methods %v, want [none]", s.AuthMethods)
	}
}

// kexInitPacket is the KEXINIT of an OpenSSH 8.9 without strict key
// exchange, framed, as the lab's Terrapin emulator sends it.
func kexInitPacket() []byte {
	return EncodePacket(EncodeKexInit(&KexInit{
		KexAlgorithms:           []string{"curve25519-sha256", "curve25519-sha256@libssh.org", "diffie-hellman-group14-sha256"},
		HostKeyAlgorithms:       []string{"rsa-sha2-512", "ssh-ed25519", "x509v3-sign-rsa"},
		CiphersClientToServer:   []string{"chacha20-poly1305@openssh.com", "aes128-ctr"},
		CiphersServerToClient:   []string{"chacha20-poly1305@openssh.com", "aes128-ctr"},
		MACsClientToServer:      []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-256"},
		MACsServerToClient:      []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-256"},
		CompressionClientServer: []string{"none", "zlib@openssh.com"},
		CompressionServerClient: []string{"none", "zlib@openssh.com"},
	}))
}

func TestAuditKexInitOnly(t *testing.T) {
	ignore := EncodePacket([]byte{msgIgnore, 0, 0, 0, 0})
	addr := serve(t, func(_ context.Context, c net.Conn) {
		_, _ = c.Write([]byte("Pre-banner line\r\nSSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1\r\n"))
		_, _ = c.Write(append(append(ignore, ignore...), kexInitPacket()...))
		// Like the Terrapin emulator: read the client's KEXINIT, then close.
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, _ = c.Read(make([]byte, 4096))
	})
	s, err := audit(t, addr, Options{Timeout: time.Second})
	if s == nil {
		t.Fatalf("no facts: %v", err)
	}
	if s.Software != "OpenSSH_8.9p1" || !slices.Equal(s.CiphersClientToServer, []string{"chacha20-poly1305@openssh.com", "aes128-ctr"}) ||
		slices.Contains(s.KexAlgorithms, "kex-strict-s-v00@openssh.com") {
		t.Errorf("facts: %+v", s)
	}
	if len(s.HostKeys) != 0 || s.AuthMethods != nil {
		t.Errorf("host keys %v / auth methods %v from a server that closes after KEXINIT", s.HostKeys, s.AuthMethods)
	}
	msgs := Errors(err)
	// rsa-sha2-512 and ssh-ed25519 fail, x509v3-sign-rsa is not
	// implemented, authentication fails.
	if len(msgs) != 4 {
		t.Fatalf("want 4 step errors, got %d: %q", len(msgs), msgs)
	}
	for _, want := range []string{"host key for rsa-sha2-512", "host key for ssh-ed25519", "x509v3-sign-rsa", "authentication methods"} {
		if !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, want) }) {
			t.Errorf("no error about %q in %q", want, msgs)
		}
	}
}

func TestAuditSSH1(t *testing.T) {
	addr := serve(t, func(_ context.Context, c net.Conn) {
		_, _ = c.Write([]byte("SSH-1.5-Emulated_1.2.27\n"))
		sink(c)
	})
	s, err := audit(t, addr, Options{Timeout: time.Second})
	if err != nil || s == nil {
		t.Fatalf("Audit: %v, %+v", err, s)
	}
	if s.ProtocolVersion != "1.5" || s.Software != "Emulated_1.2.27" || s.KexAlgorithms != nil {
		t.Errorf("facts %+v", s)
	}
}

// Hostile servers: each must end the audit with an error, and quickly
// enough that the watchdog in audit never fires.
func TestAuditHostile(t *testing.T) {
	kex := kexInitPacket()
	tests := []struct {
		name     string
		handle   func(ctx context.Context, c net.Conn)
		facts    bool   // whether the identification is kept
		contains string // in the error
	}{
		{name: "random bytes forever", handle: func(ctx context.Context, c net.Conn) {
			buf := make([]byte, 4096)
			for ctx.Err() == nil {
				_, _ = rand.Read(buf)
				if _, err := c.Write(buf); err != nil {
					return
				}
			}
		}, contains: "no SSH identification"},
		{name: "2^31-byte packet and endless bytes", handle: func(ctx context.Context, c net.Conn) {
			_, _ = c.Write([]byte("SSH-2.0-Endless\r\n"))
			_, _ = c.Write(binary.BigEndian.AppendUint32(nil, 1<<31))
			buf := make([]byte, 4096)
			for ctx.Err() == nil {
				if _, err := c.Write(buf); err != nil {
					return
				}
			}
		}, facts: true, contains: "2147483652-byte packet"},
		{name: "closes mid-KEXINIT", handle: func(_ context.Context, c net.Conn) {
			_, _ = c.Write([]byte("SSH-2.0-Cut\r\n"))
			_, _ = c.Write(kex[:len(kex)/2])
		}, facts: true, contains: "closed the connection"},
		{name: "silent", handle: func(_ context.Context, c net.Conn) { sink(c) }, contains: "no complete answer"},
		{name: "trickles its identification", handle: func(ctx context.Context, c net.Conn) {
			_, _ = c.Write([]byte("SSH-2.0-"))
			for ctx.Err() == nil {
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}, contains: "no complete answer"},
		{name: "endless pre-banner lines", handle: func(ctx context.Context, c net.Conn) {
			for ctx.Err() == nil {
				if _, err := c.Write([]byte("Welcome! Welcome! Welcome!\r\n")); err != nil {
					return
				}
			}
		}, contains: "not an SSH identification"},
		{name: "over-long line", handle: func(_ context.Context, c net.Conn) {
			_, _ = c.Write([]byte(strings.Repeat("A", 1000) + "\r\n"))
			sink(c)
		}, contains: "longer than 255 bytes"},
		{name: "HTML and escapes instead of SSH", handle: func(_ context.Context, c net.Conn) {
			_, _ = c.Write([]byte("<script>alert(1)</script>\x1b[2J\r\nSSH-2.0\x1b[31m\r\n"))
			sink(c)
		}, contains: "not an SSH identification"},
		{name: "disconnects instead of KEXINIT", handle: func(_ context.Context, c net.Conn) {
			_, _ = c.Write([]byte("SSH-2.0-Busy\r\n"))
			msg := append([]byte{msgDisconnect, 0, 0, 0, 2}, binary.BigEndian.AppendUint32(nil, 9)...)
			_, _ = c.Write(EncodePacket(append(msg, "too\x1bmany"...)))
			sink(c)
		}, facts: true, contains: `reason 2: "too\x1bmany"`},
		{name: "IGNORE forever", handle: func(ctx context.Context, c net.Conn) {
			_, _ = c.Write([]byte("SSH-2.0-Chatty\r\n"))
			ignore := EncodePacket([]byte{msgIgnore, 0, 0, 0, 0})
			for ctx.Err() == nil {
				if _, err := c.Write(ignore); err != nil {
					return
				}
			}
		}, facts: true, contains: "IGNORE/DEBUG"},
		{name: "unknown protocol version", handle: func(_ context.Context, c net.Conn) {
			_, _ = c.Write([]byte("SSH-3.0-Future\r\n"))
			sink(c)
		}, facts: true, contains: "3.0"},
		{name: "trickles KEXINIT", handle: func(ctx context.Context, c net.Conn) {
			_, _ = c.Write([]byte("SSH-2.0-Slow\r\n"))
			for _, b := range kex {
				if ctx.Err() != nil {
					return
				}
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}, facts: true, contains: "no complete answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := serve(t, tt.handle)
			s, err := audit(t, addr, Options{Timeout: 500 * time.Millisecond})
			if err == nil {
				t.Fatalf("no error; facts %+v", s)
			}
			if (s != nil) != tt.facts {
				t.Errorf("facts %+v, want facts: %v", s, tt.facts)
			}
			if s != nil && len(s.KexAlgorithms) != 0 {
				t.Errorf("KEXINIT facts from a hostile server: %+v", s)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q lacks %q", err, tt.contains)
			}
		})
	}
}

func TestAuditRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	_ = ln.Close()
	s, err := audit(t, addr, Options{Timeout: time.Second})
	if s != nil || !errors.Is(err, dialer.ErrRefused) {
		t.Errorf("got %+v, %v; want refused", s, err)
	}
}

func TestErrors(t *testing.T) {
	a, b, c := errors.New("a"), errors.New("b"), errors.New("c")
	if got := Errors(errors.Join(a, errors.Join(b, c))); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("got %q", got)
	}
	if got := Errors(nil); got != nil {
		t.Errorf("got %q", got)
	}
}

func TestHostKeysToFetch(t *testing.T) {
	tests := []struct {
		name             string
		offered, covered []string
		fetch            []string
		errs             int
	}{
		{"rsa family fetched once", []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"}, nil, []string{"rsa-sha2-512"}, 0},
		{"covered family skipped", []string{"ssh-ed25519", "rsa-sha2-256", "ssh-dss"}, []string{"ssh-ed25519", "rsa-sha2-512"}, []string{"ssh-dss"}, 0},
		{"empty cover ignored", []string{"ssh-ed25519"}, []string{""}, []string{"ssh-ed25519"}, 0},
		{"unimplemented reported", []string{"x509v3-sign-rsa", "ssh-ed25519"}, nil, []string{"ssh-ed25519"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fetch, errs := hostKeysToFetch(tt.offered, tt.covered)
			if !slices.Equal(fetch, tt.fetch) || len(errs) != tt.errs {
				t.Errorf("fetch %v, %d errors; want %v, %d", fetch, len(errs), tt.fetch, tt.errs)
			}
		})
	}
}

func TestHostKeysInOrder(t *testing.T) {
	keys := map[string]facts.SSHHostKey{
		"rsa-sha2-512": {Algorithm: "rsa-sha2-512", Type: "ssh-rsa", Bits: 3072, Fingerprint: "SHA256:r"},
		"ssh-ed25519":  {Algorithm: "ssh-ed25519", Type: "ssh-ed25519", Bits: 256, Fingerprint: "SHA256:e"},
	}
	got := hostKeysInOrder([]string{"ssh-rsa", "ssh-ed25519", "ssh-dss", "rsa-sha2-512"}, keys)
	want := []facts.SSHHostKey{
		{Algorithm: "ssh-rsa", Type: "ssh-rsa", Bits: 3072, Fingerprint: "SHA256:r"},
		keys["ssh-ed25519"],
		keys["rsa-sha2-512"],
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
