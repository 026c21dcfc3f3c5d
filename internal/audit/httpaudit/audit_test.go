package httpaudit

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
)

func newDialer(t testing.TB) *dialer.Dialer {
	t.Helper()
	d, err := dialer.New(dialer.Config{Concurrency: 64, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// serveHTTP runs h on a loopback listener until the test ends.
func serveHTTP(t *testing.T, h http.Handler) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return netip.MustParseAddrPort(l.Addr().String())
}

// loopbackOnly refuses a relay target that is not on loopback: the test
// proxy must not reach anything else either.
func loopbackOnly(t *testing.T, host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	a, err := netip.ParseAddr(h)
	if err != nil || !a.IsLoopback() {
		t.Errorf("test proxy asked to reach %q", host)
		return false
	}
	return true
}

const debianDefault = `<!DOCTYPE html><html><head><title>Apache2 Debian Default Page: It works</title></head><body><div class="page_header">Apache2 Debian Default Page</div></body></html>`

// webServer imitates a web server; proxy makes it a forward proxy too.
func webServer(t *testing.T, proxy bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodConnect:
			if !proxy || !loopbackOnly(t, r.Host) {
				http.Error(w, "no", http.StatusMethodNotAllowed)
				return
			}
			up, err := net.Dial("tcp", r.Host)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer up.Close()
			c, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			_, _ = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
			go func() { _, _ = io.Copy(up, buf) }()
			_, _ = io.Copy(c, up)
		case r.URL.IsAbs():
			if !proxy {
				http.Error(w, "The requested URL "+r.RequestURI+" was not found on this server.", http.StatusNotFound)
				return
			}
			if !loopbackOnly(t, r.URL.Host) {
				http.Error(w, "no", http.StatusForbidden)
				return
			}
			u := &url.URL{Scheme: "http", Host: r.URL.Host, Path: r.URL.Path}
			resp, err := http.Get(u.String())
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			w.Header().Set("Via", "1.1 testproxy")
			w.WriteHeader(resp.StatusCode)
			_, _ = io.Copy(w, resp.Body)
		case r.Method == http.MethodTrace:
			b, _ := httputil.DumpRequest(r, false)
			w.Header().Set("Content-Type", "message/http")
			_, _ = w.Write(b)
		case r.URL.Path == "/":
			_, _ = io.WriteString(w, debianDefault)
		case r.URL.Path == "/nginx_status":
			_, _ = io.WriteString(w, "Active connections: 1 \nserver accepts handled requests\n 7 7 7 \nReading: 0 Writing: 1 Waiting: 0 \n")
		case r.URL.Path == "/manager/html":
			w.Header().Set("WWW-Authenticate", `Basic realm="Tomcat Manager Application"`)
			http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
		default:
			http.Error(w, "The requested URL "+r.URL.Path+" was not found on this server.", http.StatusNotFound)
		}
	})
}

func audit(t *testing.T, addr netip.AddrPort) (*facts.Service, *facts.HTTPAudit) {
	t.Helper()
	s := &facts.Service{Port: int(addr.Port()), Transport: "tcp", Name: "http"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := Audit(ctx, newDialer(t), addr, s, Options{})
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	return s, h
}

func TestAuditOpenProxy(t *testing.T) {
	s, h := audit(t, serveHTTP(t, webServer(t, true)))
	if h.Proxy == nil || !h.Proxy.Canary || !h.Proxy.GetRelayed || !h.Proxy.Connect {
		t.Fatalf("proxy = %+v, want a canary relayed by GET and CONNECT", h.Proxy)
	}
	if h.DefaultPage == nil || h.DefaultPage.Kind != "debian-apache-default" {
		t.Errorf("default page = %+v", h.DefaultPage)
	}
	if len(h.Status) != 1 || h.Status[0].Kind != "nginx-stub-status" || h.Status[0].Path != "/nginx_status" {
		t.Errorf("status = %+v", h.Status)
	}
	if h.Trace == "" || !h.TraceChecked {
		t.Errorf("trace not seen: %+v", h)
	}
	if len(h.Admin) != 1 || h.Admin[0].Product != "Apache Tomcat Manager" || s.Product != "Apache Tomcat" {
		t.Errorf("admin = %+v, product %q", h.Admin, s.Product)
	}
}

func TestAuditNotAProxy(t *testing.T) {
	// The server quotes the requested URL in its 404 page: that must not
	// pass for a relay.
	_, h := audit(t, serveHTTP(t, webServer(t, false)))
	if h.Proxy == nil || h.Proxy.GetRelayed || h.Proxy.Connect {
		t.Fatalf("proxy = %+v, want tested and not relayed", h.Proxy)
	}
	if !strings.Contains(h.Proxy.Evidence, "404") || !strings.Contains(h.Proxy.Evidence, "405") {
		t.Errorf("evidence %q does not quote the answers", h.Proxy.Evidence)
	}
}

func TestAuditQuietServer(t *testing.T) {
	addr := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodTrace {
			http.Error(w, "TRACE / HTTP/1.1 not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == "/" {
			_, _ = fmt.Fprint(w, "<html><title>Clinic</title><body>Hello</body></html>")
			return
		}
		http.NotFound(w, r)
	}))
	_, h := audit(t, addr)
	if h.DefaultPage != nil || len(h.Status) > 0 || len(h.Listings) > 0 || h.Trace != "" || len(h.Admin) > 0 || h.Proxy.GetRelayed || h.Proxy.Connect {
		t.Errorf("quiet server judged noisy: %+v", h)
	}
	if h.RootStatus != 200 {
		t.Errorf("root status %d", h.RootStatus)
	}
}

func TestAuditSkipsOthers(t *testing.T) {
	h, err := Audit(context.Background(), newDialer(t), netip.MustParseAddrPort("127.0.0.1:1"), &facts.Service{Name: "ssh", Transport: "tcp"}, Options{})
	if h != nil || err != nil {
		t.Errorf("got %+v, %v for ssh", h, err)
	}
}

func TestProxySelf(t *testing.T) {
	for _, tt := range []struct {
		proxy bool
		want  bool
	}{{true, true}, {false, false}} {
		addr := serveHTTP(t, webServer(t, tt.proxy))
		p := &prober{d: newDialer(t), addr: addr, opt: Options{Timeout: 2 * time.Second}}
		px, err := p.proxySelf(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if px.GetRelayed != tt.want || px.Canary || px.Target != addr.String() {
			t.Errorf("proxy %v: got %+v, want relayed %v", tt.proxy, px, tt.want)
		}
	}
}

func TestAsksFor(t *testing.T) {
	for head, want := range map[string]bool{
		"GET /vigil-proxy-1 HTTP/1.1\r\nHost: x\r\n\r\n":        true,
		"GET http://127.0.0.1:5/vigil-proxy-1 HTTP/1.1\r\n\r\n": true,
		"GET /other/vigil-proxy-1 HTTP/1.1\r\n\r\n":             false,
		"GET /vigil-proxy-12 HTTP/1.1\r\n\r\n":                  false,
		"GET\r\n\r\n":                                           false,
		"":                                                      false,
	} {
		if got := asksFor([]byte(head), "/vigil-proxy-1"); got != want {
			t.Errorf("asksFor(%q) = %v, want %v", head, got, want)
		}
	}
}

// FuzzAsksFor: the canary's reading of what a proxy sends it never panics.
func FuzzAsksFor(f *testing.F) {
	f.Add([]byte("GET http://127.0.0.1:5/vigil-proxy-1 HTTP/1.1\r\n\r\n"))
	f.Add([]byte("\x00\xff GET"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = asksFor(b, "/vigil-proxy-1")
	})
}

// TestAuditRefusals: a server that hangs up on TRACE, CONNECT and
// absolute-form requests has refused them; the audit does not fail.
func TestAuditRefusals(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 4096)
				n, _ := c.Read(buf)
				line := string(buf[:n])
				if strings.HasPrefix(line, "GET /") {
					_, _ = io.WriteString(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
				}
			}()
		}
	}()
	_, h := audit(t, netip.MustParseAddrPort(l.Addr().String()))
	if !h.TraceChecked || h.Trace != "" || h.Proxy == nil || h.Proxy.GetRelayed || h.Proxy.Connect {
		t.Errorf("got %+v, proxy %+v", h, h.Proxy)
	}
	if !strings.Contains(h.Proxy.Evidence, "no HTTP answer") {
		t.Errorf("evidence %q", h.Proxy.Evidence)
	}
}
