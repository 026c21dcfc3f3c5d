package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/identify"
)

// startOld serves the named old-banner server on a fresh loopback port
// until the test ends.
func startOld(t *testing.T, name string) string {
	t.Helper()
	h, err := oldHandler(name)
	if err != nil {
		t.Fatal(err)
	}
	return startServer(t, h)
}

// step is one exchange of a conversation: send (nothing for the greeting),
// then read until the answer holds every want (the last want ends the
// reply), and check it holds no not.
type step struct {
	send string
	want []string
	not  []string
}

// readUntil reads from c until done accepts what arrived, the peer closes,
// or timeout passes.
func readUntil(c net.Conn, timeout time.Duration, done func([]byte) bool) []byte {
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	var got []byte
	buf := make([]byte, 4096)
	for !done(got) {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	return got
}

// closed reports whether the peer closes c (EOF) within timeout, with
// nothing more sent.
func closed(t *testing.T, c net.Conn, timeout time.Duration) bool {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	b, err := io.ReadAll(c)
	if len(b) > 0 {
		t.Errorf("more after the last reply: %q", b)
	}
	return err == nil
}

func TestOldBannerConversations(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []step
		// closes is true when the server must close after the last step.
		closes bool
	}{
		{"exim", []step{
			{"", []string{"220 mail.lab.test ESMTP Exim 4.91 ", " +0000\r\n"}, nil},
			{"EHLO client.test\r\n", []string{"250-mail.lab.test Hello client.test [127.0.0.1]\r\n", "250-PIPELINING\r\n", "250 HELP\r\n"}, []string{"STARTTLS", "AUTH"}},
			{"STARTTLS\r\n", []string{"503 STARTTLS command used when not advertised\r\n"}, nil},
			{"MAIL FROM:<a@client.test>\r\n", []string{"250 OK\r\n"}, nil},
			{"RCPT TO:<b@elsewhere.test>\r\n", []string{"550 relay not permitted\r\n"}, nil},
			{"DATA\r\n", []string{"503 valid RCPT command must precede DATA\r\n"}, nil},
			{"EHLO\r\n", []string{"501 Syntactically invalid EHLO argument(s)\r\n"}, nil},
			{"FOO\r\n", []string{"500 unrecognized command\r\n"}, nil},
			{"QUIT\r\n", []string{"221 mail.lab.test closing connection\r\n"}, nil},
		}, true},
		{"exim-unknown", []step{
			{"", []string{"Exim 4.91", "\r\n"}, nil},
			{"A\r\nB\r\nC\r\n", []string{"500 unrecognized command\r\n500 unrecognized command\r\n500 Too many unrecognized commands\r\n"}, nil},
		}, true},
		{"vsftpd", []step{
			{"", []string{"220 (vsFTPd 2.3.4)\r\n"}, nil},
			{"FEAT\r\n", []string{"211-Features:\r\n", " EPSV\r\n", "211 End\r\n"}, []string{"AUTH"}},
			{"AUTH TLS\r\n", []string{"530 Please login with USER and PASS.\r\n"}, nil},
			{"SYST\r\n", []string{"530 Please login with USER and PASS.\r\n"}, nil},
			{"PASS x\r\n", []string{"503 Login with USER first.\r\n"}, nil},
			{"user anonymous\r\n", []string{"331 Please specify the password.\r\n"}, nil},
			{"PASS guest@\r\n", []string{"530 Login incorrect.\r\n"}, nil},
			{"QUIT\r\n", []string{"221 Goodbye.\r\n"}, nil},
		}, true},
		{"vsftpd-logins", []step{
			{"", []string{"220 (vsFTPd 2.3.4)\r\n"}, nil},
			{"USER a\r\nPASS a\r\nUSER b\r\nPASS b\r\nUSER c\r\nPASS c\r\n", []string{"530 Login incorrect.\r\n331 Please specify the password.\r\n530 Login incorrect.\r\n331 Please specify the password.\r\n530 Login incorrect.\r\n"}, nil},
		}, true},
		{"proftpd", []step{
			{"", []string{"220 ProFTPD 1.3.5 Server (ProFTPD Default Installation) [127.0.0.1]\r\n"}, nil},
			{"FEAT\r\n", []string{"211-Features:\r\n", " MDTM\r\n", "211 End\r\n"}, []string{"AUTH"}},
			{"AUTH TLS\r\n", []string{"500 AUTH not understood\r\n"}, nil},
			{"SYST\r\n", []string{"215 UNIX Type: L8\r\n"}, nil},
			{"PWD\r\n", []string{"530 Please login with USER and PASS\r\n"}, nil},
			{"USER anonymous\r\n", []string{"331 Password required for anonymous\r\n"}, nil},
			{"PASS guest@\r\n", []string{"530 Login incorrect.\r\n"}, nil},
			{"QUIT\r\n", []string{"221 Goodbye.\r\n"}, nil},
		}, true},
		{"memcached", []step{
			{"version\r\n", []string{"VERSION 1.4.31\r\n"}, nil},
			{"stats\r\n", []string{"STAT pid ", "STAT version 1.4.31\r\n", "STAT curr_items 0\r\n", "END\r\n"}, nil},
			{"get foo\r\n", []string{"END\r\n"}, nil},
			{"set foo 0 0 1\r\n", []string{"ERROR\r\n"}, nil},
			{"GET / HTTP/1.1\r\n", []string{"ERROR\r\n"}, nil},
			{"quit\r\n", nil, nil},
		}, true},
		{"redis", []step{
			{"*1\r\n$4\r\nPING\r\n", []string{"+PONG\r\n"}, nil},
			{"PING\r\n", []string{"+PONG\r\n"}, nil},
			{"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n", []string{"# Server\r\nredis_version:5.0.5\r\n", "redis_mode:standalone\r\n", "config_file:\r\n\r\n"}, []string{"# Clients"}},
			{"*2\r\n$4\r\nINFO\r\n$8\r\nkeyspace\r\n", []string{"$12\r\n# Keyspace\r\n\r\n"}, nil},
			{"*2\r\n$4\r\nAUTH\r\n$1\r\nx\r\n", []string{"-ERR Client sent AUTH, but no password is set\r\n"}, nil},
			{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", []string{"-ERR unknown command `SET`, with args beginning with: `k`, `v`, \r\n"}, nil},
			{"GET / HTTP/1.1\r\n", []string{"-ERR wrong number of arguments for 'get' command\r\n"}, nil},
			{"QUIT\r\n", []string{"+OK\r\n"}, nil},
		}, true},
		{"redis-http", []step{
			{"POST / HTTP/1.1\r\n", nil, nil},
		}, true},
		{"redis-protocol-error", []step{
			{"*1\r\nPING\r\n", []string{"-ERR Protocol error: expected '$', got 'P'\r\n"}, nil},
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name, _, _ := strings.Cut(tc.name, "-")
			addr := startOld(t, name)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for i, s := range tc.steps {
				if s.send != "" {
					if _, err := c.Write([]byte(s.send)); err != nil {
						t.Fatalf("step %d: write: %v", i, err)
					}
				}
				got := readUntil(c, 5*time.Second, func(b []byte) bool {
					return len(s.want) > 0 && bytes.HasSuffix(b, []byte(s.want[len(s.want)-1])) && containsAll(b, s.want)
				})
				if !containsAll(got, s.want) {
					t.Errorf("step %d: %q answered %q, want %q", i, s.send, got, s.want)
				}
				for _, n := range s.not {
					if bytes.Contains(got, []byte(n)) {
						t.Errorf("step %d: %q answered %q, which holds %q", i, s.send, got, n)
					}
				}
			}
			if tc.closes && !closed(t, c, 5*time.Second) {
				t.Error("the server did not close the connection")
			}
		})
	}
}

func containsAll(b []byte, want []string) bool {
	for _, w := range want {
		if !bytes.Contains(b, []byte(w)) {
			return false
		}
	}
	return true
}

// httpExchange sends a raw request and parses the answer with net/http.
func httpExchange(t *testing.T, addr, req, method string) (*http.Response, []byte) {
	t.Helper()
	raw := roundTrip(t, addr, []byte(req))
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%q answered %q: %v", req, raw, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%q: body: %v", req, err)
	}
	if method != "HEAD" && resp.ContentLength != int64(len(body)) {
		t.Errorf("%q: Content-Length %d, body %d bytes", req, resp.ContentLength, len(body))
	}
	if !resp.Close || !bytes.Contains(raw, []byte("\r\nConnection: close\r\n")) {
		t.Errorf("%q: no Connection: close in %q", req, raw)
	}
	if resp.Header.Get("Date") == "" {
		t.Errorf("%q: no Date", req)
	}
	return resp, body
}

func TestOldBannerHTTP(t *testing.T) {
	for _, tc := range []struct {
		name, server, page, notFound string
		unknownMethod                int
	}{
		{"apache", "Apache/2.4.49 (Unix)", "<h1>It works!</h1>", "<p>The requested URL was not found on this server.</p>", 501},
		{"nginx", "nginx/1.16.1", "<title>Welcome to nginx!</title>", "<hr><center>nginx/1.16.1</center>", 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := startOld(t, tc.name)
			for _, r := range []struct {
				req, method string
				status      int
				body        string
			}{
				{"GET / HTTP/1.1\r\nHost: lab\r\nUser-Agent: test\r\n\r\n", "GET", 200, tc.page},
				{"GET /index.html?x=1 HTTP/1.0\r\n\r\n", "GET", 200, tc.page},
				{"HEAD / HTTP/1.1\r\nHost: lab\r\n\r\n", "HEAD", 200, ""},
				{"GET /cgi-bin/.%2e/.%2e/.%2e/etc/passwd HTTP/1.1\r\nHost: lab\r\n\r\n", "GET", 404, tc.notFound},
				{"POST / HTTP/1.1\r\nHost: lab\r\nContent-Length: 3\r\n\r\nabc", "POST", 405, ""},
				{"BREW / HTTP/1.1\r\nHost: lab\r\n\r\n", "BREW", tc.unknownMethod, ""},
				{"GET / HTTP/1.1\r\n\r\n", "GET", 400, ""},
				{"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", "GET", 400, ""},
				{"GET / HTTP/2.0\r\nHost: lab\r\n\r\n", "GET", 505, ""},
			} {
				resp, body := httpExchange(t, addr, r.req, r.method)
				if resp.StatusCode != r.status || resp.ProtoMajor != 1 || resp.ProtoMinor != 1 {
					t.Errorf("%q: %s %s, want HTTP/1.1 %d", r.req, resp.Proto, resp.Status, r.status)
				}
				if got := resp.Header.Get("Server"); got != tc.server {
					t.Errorf("%q: Server %q, want %q", r.req, got, tc.server)
				}
				if !bytes.Contains(body, []byte(r.body)) {
					t.Errorf("%q: body %q lacks %q", r.req, body, r.body)
				}
				if r.method == "HEAD" && (len(body) != 0 || resp.ContentLength <= 0) {
					t.Errorf("HEAD: %d body bytes, Content-Length %d", len(body), resp.ContentLength)
				}
				if resp.StatusCode == 200 && resp.Header.Get("ETag") == "" {
					t.Errorf("%q: no ETag", r.req)
				}
			}
		})
	}
}

// dnsQuestion builds a query for name, type and class, with an OPT record
// when edns.
func dnsQuestion(id uint16, flags uint16, name string, qtype, qclass uint16, edns bool) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, flags)
	ar := uint16(0)
	if edns {
		ar = 1
	}
	b = append(b, 0, 1, 0, 0, 0, 0, byte(ar>>8), byte(ar))
	for _, l := range strings.Split(name, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, qtype)
	b = binary.BigEndian.AppendUint16(b, qclass)
	if edns {
		b = append(b, 0, 0, dnsTypeOPT, 0x04, 0xd0, 0, 0, 0, 0, 0, 0)
	}
	return b
}

// dnsReply is what a test reads from a response.
type dnsReply struct {
	id        uint16
	flags     uint16
	rcode     int
	qd, an    int
	ar        int
	txt       string
	txtClass  uint16
	hasAnswer bool
}

func parseReply(t *testing.T, b []byte) dnsReply {
	t.Helper()
	if len(b) < 12 {
		t.Fatalf("reply of %d bytes", len(b))
	}
	r := dnsReply{id: binary.BigEndian.Uint16(b), flags: binary.BigEndian.Uint16(b[2:])}
	r.rcode = int(r.flags & 0xf)
	r.qd, r.an, r.ar = int(binary.BigEndian.Uint16(b[4:])), int(binary.BigEndian.Uint16(b[6:])), int(binary.BigEndian.Uint16(b[10:]))
	off := 12
	if r.qd == 1 {
		for b[off] != 0 {
			off += 1 + int(b[off])
		}
		off += 5
	}
	if r.an == 1 {
		if b[off] != 0xc0 || b[off+1] != 12 {
			t.Fatalf("answer name % x", b[off:off+2])
		}
		off += 2
		if typ := binary.BigEndian.Uint16(b[off:]); typ != dnsTypeTXT {
			t.Fatalf("answer type %d", typ)
		}
		r.txtClass = binary.BigEndian.Uint16(b[off+2:])
		rdlen := int(binary.BigEndian.Uint16(b[off+8:]))
		rd := b[off+10 : off+10+rdlen]
		r.txt = string(rd[1 : 1+int(rd[0])])
		r.hasAnswer = true
		off += 10 + rdlen
	}
	if r.ar == 1 && (len(b) != off+11 || binary.BigEndian.Uint16(b[off+1:]) != dnsTypeOPT) {
		t.Errorf("additional section % x, want one OPT record", b[off:])
	}
	return r
}

func TestOldBannerDNS(t *testing.T) {
	for _, tc := range []struct {
		name  string
		query []byte
		// nil answer: no reply at all.
		none      bool
		rcode     int
		aa, edns  bool
		txt       string
		questions int
	}{
		{"version.bind", dnsQuestion(0x1234, 0, "version.bind", dnsTypeTXT, dnsClassCH, false), false, dnsNoError, true, false, "dnsmasq-2.77", 1},
		{"VERSION.BIND with EDNS", dnsQuestion(0x1235, 0x0100, "VERSION.BIND", dnsTypeTXT, dnsClassCH, true), false, dnsNoError, true, true, "dnsmasq-2.77", 1},
		{"authors.bind", dnsQuestion(7, 0, "authors.bind", dnsTypeTXT, dnsClassCH, false), false, dnsNoError, true, false, "Simon Kelley", 1},
		{"other .bind", dnsQuestion(8, 0, "hostname.bind", dnsTypeTXT, dnsClassCH, false), false, dnsNotImp, false, false, "", 1},
		{"A query", dnsQuestion(9, 0x0100, "www.example.test", 1, 1, true), false, dnsRefused, false, true, "", 1},
		{"NTP request", append([]byte{0x23}, make([]byte, 47)...), false, dnsRefused, false, false, "", 0},
		{"a response", dnsQuestion(10, 0x8000, "version.bind", dnsTypeTXT, dnsClassCH, false), true, 0, false, false, "", 0},
		{"cut short", dnsQuestion(11, 0, "version.bind", dnsTypeTXT, dnsClassCH, false)[:20], true, 0, false, false, "", 0},
		{"too short", []byte{1, 2, 3}, true, 0, false, false, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := dnsmasqAnswer(tc.query)
			if tc.none {
				if out != nil {
					t.Fatalf("answered % x", out)
				}
				return
			}
			if out == nil {
				t.Fatal("no answer")
			}
			r := parseReply(t, out)
			if r.id != binary.BigEndian.Uint16(tc.query) || r.flags&dnsFlagQR == 0 || r.flags&dnsFlagRA == 0 {
				t.Errorf("id %#x flags %#x", r.id, r.flags)
			}
			if r.flags&dnsFlagRD != binary.BigEndian.Uint16(tc.query[2:])&dnsFlagRD {
				t.Errorf("RD not copied: flags %#x", r.flags)
			}
			if r.rcode != tc.rcode || (r.flags&dnsFlagAA != 0) != tc.aa || (r.ar == 1) != tc.edns || r.qd != tc.questions {
				t.Errorf("rcode %d aa %v edns %v questions %d; want %d %v %v %d", r.rcode, r.flags&dnsFlagAA != 0, r.ar == 1, r.qd, tc.rcode, tc.aa, tc.edns, tc.questions)
			}
			if r.txt != tc.txt || (tc.txt != "" && r.txtClass != dnsClassCH) {
				t.Errorf("TXT %q class %d, want %q", r.txt, r.txtClass, tc.txt)
			}
		})
	}
}

func TestOldBannerDNSTransports(t *testing.T) {
	// A port free for both TCP and UDP, held from the start: nothing else
	// can take it before the server runs.
	var ln net.Listener
	var pc net.PacketConn
	for range 20 {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if pc, err = net.ListenPacket("udp", ln.Addr().String()); err == nil {
			break
		}
		ln.Close()
		ln = nil
	}
	if ln == nil {
		t.Fatal("no port free for both TCP and UDP")
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- runOldBanner(ctx, slog.New(slog.DiscardHandler), "dnsmasq", ln, pc) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runOldBanner: %v", err)
		}
	})
	q := dnsQuestion(0x4242, 0, "version.bind", dnsTypeTXT, dnsClassCH, false)

	// UDP, resent in case a datagram is lost.
	u, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	var got []byte
	for i := 0; i < 50 && got == nil; i++ {
		_, _ = u.Write(q)
		_ = u.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		buf := make([]byte, 512)
		if n, err := u.Read(buf); err == nil {
			got = buf[:n]
		}
	}
	if r := parseReply(t, got); r.txt != "dnsmasq-2.77" {
		t.Errorf("UDP: TXT %q", r.txt)
	}

	// TCP: two messages on one connection, each with its length.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := append(binary.BigEndian.AppendUint16(nil, uint16(len(q))), q...)
	if _, err := c.Write(append(msg, msg...)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := range 2 {
		var n uint16
		if err := binary.Read(c, binary.BigEndian, &n); err != nil {
			t.Fatalf("TCP answer %d: %v", i, err)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(c, b); err != nil {
			t.Fatal(err)
		}
		if r := parseReply(t, b); r.txt != "dnsmasq-2.77" {
			t.Errorf("TCP answer %d: TXT %q", i, r.txt)
		}
	}
}

func TestOldBannerUnknownProduct(t *testing.T) {
	err := run(t.Context(), []string{"-product", "iis", "old-banner", "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "apache, dnsmasq, exim") {
		t.Errorf("err = %v", err)
	}
}

// TestOldBannerIdentified runs vigil's own identification against each
// server on a port that hints nothing: it must name the product and the
// version exactly.
func TestOldBannerIdentified(t *testing.T) {
	d, err := dialer.New(dialer.Config{Concurrency: 64, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range oldProducts {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			addr := netip.MustParseAddrPort(startOld(t, name))
			s := identify.TCP(t.Context(), d, addr, identify.Options{})
			if s.Product != p.Product || s.Version != p.Version {
				t.Errorf("identified as %q %q %q (banner %q), want %q %q", s.Name, s.Product, s.Version, s.Banner, p.Product, p.Version)
			}
		})
	}
	t.Run("dnsmasq/udp", func(t *testing.T) {
		t.Parallel()
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := netip.MustParseAddrPort(pc.LocalAddr().String())
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = serveDatagrams(ctx, slog.New(slog.DiscardHandler), pc, dnsmasqAnswer)
		}()
		t.Cleanup(func() { cancel(); <-done })
		svc, ok := identify.UDP(t.Context(), d, addr, identify.Options{})
		if s := (identifyResult{svc.Name, svc.Product, svc.Version}); !ok || s != (identifyResult{"dns", "dnsmasq", "2.77"}) {
			t.Errorf("identified as %+v (answered: %v)", s, ok)
		}
	})
}

type identifyResult struct{ name, product, version string }

func FuzzDNSMasqAnswer(f *testing.F) {
	f.Add(dnsQuestion(1, 0, "version.bind", dnsTypeTXT, dnsClassCH, true))
	f.Add(dnsQuestion(2, 0x0100, "www.example.test", 1, 1, false))
	f.Add(append([]byte{0x23}, make([]byte, 47)...))
	f.Fuzz(func(t *testing.T, q []byte) {
		out := dnsmasqAnswer(q)
		if out == nil {
			return
		}
		if len(out) < 12 || out[0] != q[0] || out[1] != q[1] || out[2]&0x80 == 0 {
			t.Fatalf("answer % x to % x", out, q)
		}
	})
}

func FuzzReadRESP(f *testing.F) {
	f.Add([]byte("*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n"))
	f.Add([]byte("PING\r\n"))
	f.Add([]byte("*1\r\n$-5\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReaderSize(bytes.NewReader(b), 64)
		for range 8 {
			args, err := readRESP(r)
			if err != nil {
				return
			}
			if len(args) > redisMaxArgs {
				t.Fatalf("%d arguments", len(args))
			}
		}
	})
}
