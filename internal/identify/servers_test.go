package identify

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/codec/bson"
	"github.com/vigilsec/vigil/internal/codec/ldap"
	"github.com/vigilsec/vigil/internal/codec/mongo"
	"github.com/vigilsec/vigil/internal/dialer"
)

// testOptions are short timeouts: every test server is on loopback.
var testOptions = Options{Timeout: 600 * time.Millisecond, BannerWait: 150 * time.Millisecond}

func newDialer(t testing.TB) *dialer.Dialer {
	t.Helper()
	d, err := dialer.New(dialer.Config{Concurrency: 64, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// tcpServer is an in-process server on 127.0.0.1 running handler for each
// connection; conns counts the connections accepted.
type tcpServer struct {
	addr  netip.AddrPort
	conns atomic.Int32
}

// serveTCP starts a server; everything stops when the test ends.
func serveTCP(t *testing.T, handler func(ctx context.Context, c net.Conn)) *tcpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	srv := &tcpServer{addr: ln.Addr().(*net.TCPAddr).AddrPort()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			srv.conns.Add(1)
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handler(ctx, c)
			}()
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = ln.Close()
		mu.Lock()
		for _, c := range open {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return srv
}

// serveUDP starts a UDP server answering each datagram with handler's
// datagrams; got records every datagram received.
func serveUDP(t *testing.T, handler func(b []byte) [][]byte) (netip.AddrPort, func() [][]byte) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got [][]byte
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			b := append([]byte(nil), buf[:n]...)
			mu.Lock()
			got = append(got, b)
			mu.Unlock()
			for _, r := range handler(b) {
				_, _ = pc.WriteTo(r, from)
			}
		}
	}()
	t.Cleanup(func() { _ = pc.Close(); <-done })
	return pc.LocalAddr().(*net.UDPAddr).AddrPort(), func() [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return append([][]byte(nil), got...)
	}
}

// drain reads until the client goes away.
func drain(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

// bannerThen writes banner and then answers each line with reply(line).
func bannerThen(banner string, reply func(line string) string) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		if _, err := io.WriteString(c, banner); err != nil {
			return
		}
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if reply == nil {
				continue
			}
			if _, err := io.WriteString(c, reply(strings.TrimRight(line, "\r\n"))); err != nil {
				return
			}
		}
	}
}

// readHTTPRequest reads a request's header section and returns its path and
// Host header.
func readHTTPRequest(r *bufio.Reader) (path, host string, err error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", "", err
	}
	f := strings.Fields(line)
	if len(f) != 3 || !strings.HasPrefix(f[2], "HTTP/") {
		// Another probe's bytes: speculation may send those too.
		return "", "", errors.New("bad request line")
	}
	for {
		h, err := r.ReadString('\n')
		if err != nil {
			return "", "", err
		}
		h = strings.TrimRight(h, "\r\n")
		if h == "" {
			return f[1], host, nil
		}
		if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(k, "host") {
			host = strings.TrimSpace(v)
		}
	}
}

// httpHandler answers GET requests from pages (path → full response).
func httpHandler(pages map[string][]byte, hosts chan<- string) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		r := bufio.NewReader(c)
		path, host, err := readHTTPRequest(r)
		if err != nil {
			return
		}
		if hosts != nil {
			select {
			case hosts <- host:
			default:
			}
		}
		resp, ok := pages[path]
		if !ok {
			resp = httpMessage("404 Not Found", "", "not found")
		}
		_, _ = c.Write(resp)
	}
}

// selfSigned returns a server certificate for tests.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "lab.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"lab.test"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// overTLS wraps a handler in a TLS server.
func overTLS(t *testing.T, inner func(context.Context, net.Conn)) func(context.Context, net.Conn) {
	cfg := &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	return func(ctx context.Context, c net.Conn) {
		tc := tls.Server(c, cfg)
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.HandshakeContext(ctx); err != nil {
			return
		}
		_ = tc.SetDeadline(time.Time{})
		inner(ctx, tc)
	}
}

// postgresHandler answers SSLRequest with ssl ('S' or 'N') and a
// StartupMessage with answer.
func postgresHandler(ssl byte, answer []byte) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		for {
			hdr := make([]byte, 8)
			if _, err := io.ReadFull(c, hdr); err != nil {
				return
			}
			n := binary.BigEndian.Uint32(hdr)
			code := binary.BigEndian.Uint32(hdr[4:])
			if n == 8 && code == pgSSLRequestCode {
				if _, err := c.Write([]byte{ssl}); err != nil || ssl == 'S' {
					return // a real server would now start TLS
				}
				continue
			}
			if code != pgProtocol30 || n > 10000 {
				return
			}
			if _, err := io.ReadFull(c, make([]byte, n-8)); err != nil {
				return
			}
			_, _ = c.Write(answer)
			drain(c)
			return
		}
	}
}

// readRESP reads one RESP array command.
func readRESP(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "*") {
		return []string{strings.TrimSpace(line)}, nil // inline command
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	var args []string
	for range n {
		if _, err := r.ReadString('\n'); err != nil {
			return nil, err
		}
		a, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		args = append(args, strings.TrimRight(a, "\r\n"))
	}
	return args, nil
}

func redisHandler(password bool) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		r := bufio.NewReader(c)
		for {
			args, err := readRESP(r)
			if err != nil || len(args) == 0 {
				return
			}
			var out string
			switch cmd := strings.ToUpper(args[0]); {
			case password:
				out = "-NOAUTH Authentication required.\r\n"
			case cmd == "PING":
				out = "+PONG\r\n"
			case cmd == "INFO":
				p := "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nos:Linux\r\n"
				out = "$" + itoa(len(p)) + "\r\n" + p + "\r\n"
			default:
				out = "-ERR unknown command '" + args[0] + "'\r\n"
			}
			if _, err := io.WriteString(c, out); err != nil {
				return
			}
		}
	}
}

func memcachedHandler(_ context.Context, c net.Conn) {
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		out := "ERROR\r\n"
		if strings.TrimSpace(line) == "version" {
			out = "VERSION 1.6.18\r\n"
		}
		if _, err := io.WriteString(c, out); err != nil {
			return
		}
	}
}

// mongoServerMsg builds an OP_MSG answer to reqID.
func mongoServerMsg(reqID int32, doc []byte) []byte {
	b := mongo.Msg(77, doc)
	binary.LittleEndian.PutUint32(b[8:], uint32(reqID))
	return b
}

func mongoHandler(_ context.Context, c net.Conn) {
	for {
		hdr := make([]byte, 16)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		n := binary.LittleEndian.Uint32(hdr)
		if n < 16 || n > 1<<20 {
			return
		}
		body := make([]byte, n-16)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		reqID := int32(binary.LittleEndian.Uint32(hdr[4:]))
		if binary.LittleEndian.Uint32(hdr[12:]) != mongo.OpMsg || len(body) < 5 {
			return // like servers since 5.1: OP_MSG only here
		}
		doc, err := bson.Parse(body[5:])
		if err != nil {
			return
		}
		var answer []byte
		switch {
		case doc["hello"].Type != 0:
			answer = bson.Doc(bson.Elem{Key: "isWritablePrimary", Val: true}, bson.Elem{Key: "maxWireVersion", Val: int32(21)}, bson.Elem{Key: "ok", Val: 1.0})
		case doc["buildInfo"].Type != 0:
			answer = bson.Doc(bson.Elem{Key: "version", Val: "7.0.2"}, bson.Elem{Key: "ok", Val: 1.0})
		default:
			answer = bson.Doc(bson.Elem{Key: "ok", Val: 0.0}, bson.Elem{Key: "errmsg", Val: "no such command"})
		}
		if _, err := c.Write(mongoServerMsg(reqID, answer)); err != nil {
			return
		}
	}
}

// readMQTT reads one MQTT control packet.
func readMQTT(r *bufio.Reader) (byte, []byte, error) {
	h, err := r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, mult := 0, 1
	for i := 0; i < 4; i++ {
		d, err := r.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		n += int(d&0x7f) * mult
		mult *= 128
		if d&0x80 == 0 {
			break
		}
	}
	body := make([]byte, n)
	_, err = io.ReadFull(r, body)
	return h, body, err
}

func mqttHandler(rc byte) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		r := bufio.NewReader(c)
		for {
			h, _, err := readMQTT(r)
			if err != nil {
				return
			}
			switch h >> 4 {
			case mqttCONNECT:
				if _, err := c.Write([]byte{0x20, 2, 0, rc}); err != nil || rc != 0 {
					return
				}
			case mqttSUBSCRIBE:
				topic := mqttAppendString(nil, mqttSysVersion)
				payload := "mosquitto version 2.0.11"
				pub := append(mqttAppendLen([]byte{0x31}, len(topic)+len(payload)), topic...)
				out := append([]byte{0x90, 3, 0, 1, 0}, append(pub, payload...)...)
				if _, err := c.Write(out); err != nil {
					return
				}
			case mqttDISCONNECT:
				return
			}
		}
	}
}

func ldapHandler(_ context.Context, c net.Conn) {
	r := bufio.NewReader(c)
	buf := make([]byte, 0, 1024)
	for {
		b, err := r.ReadByte()
		if err != nil {
			return
		}
		buf = append(buf, b)
		msgs, err := ldap.ParseMessages(buf)
		if err != nil {
			return
		}
		if len(msgs) == 0 {
			continue
		}
		id := msgs[0].ID
		entry := ldapEntry(id, map[string][]string{
			"objectClass":          {"top", "OpenLDAProotDSE"},
			"supportedLDAPVersion": {"3"},
			"namingContexts":       {"dc=lab,dc=test"},
			"supportedExtension":   {ldap.StartTLSOID},
		})
		_, _ = c.Write(concatAll(entry, ldapDoneMsg(id, 0, "")))
		drain(c)
		return
	}
}

// binaryHandler reads one message that complete recognises and answers.
func binaryHandler(complete func([]byte) bool, answer []byte) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		var buf []byte
		chunk := make([]byte, 4096)
		for !complete(buf) {
			n, err := c.Read(chunk)
			if err != nil {
				return
			}
			buf = append(buf, chunk[:n]...)
		}
		_, _ = c.Write(answer)
		drain(c)
	}
}

func dnsTCPHandler(txt string) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return
		}
		q := make([]byte, binary.BigEndian.Uint16(l[:]))
		if _, err := io.ReadFull(c, q); err != nil || len(q) < 12 {
			return
		}
		a := dnsTXTAnswer(binary.BigEndian.Uint16(q), 0, txt)
		_, _ = c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(a))), a...))
		drain(c)
	}
}
