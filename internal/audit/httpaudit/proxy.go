package httpaudit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/codec/httpmsg"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/wire"
)

// canary is a one-page HTTP server on loopback that a proxy under test is
// asked to reach. It answers path with secret, a token no request carries.
type canary struct {
	ln     net.Listener
	path   string
	secret string
	wg     sync.WaitGroup
}

// startCanary listens on the loopback address of near's family.
func startCanary(ctx context.Context, near netip.Addr) (*canary, error) {
	host := "127.0.0.1"
	if near.Is6() && !near.Is4In6() {
		host = "::1"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, fmt.Errorf("cannot start the proxy canary on %s: %w", host, err)
	}
	c := &canary{ln: ln, path: "/vigil-proxy-" + token(8), secret: "vigil-canary-" + token(12)}
	c.wg.Add(1)
	go c.serve()
	return c, nil
}

// target is the canary's host:port.
func (c *canary) target() string { return c.ln.Addr().String() }

// close stops the canary and waits for its handlers.
func (c *canary) close() {
	_ = c.ln.Close()
	c.wg.Wait()
}

func (c *canary) serve() {
	defer c.wg.Done()
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.answer(conn)
		}()
	}
}

// answer reads one request head (bounded) and answers it.
func (c *canary) answer(conn net.Conn) {
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 0, 1024)
	chunk := make([]byte, 1024)
	for len(buf) < 8<<10 && httpmsg.HeaderEnd(buf) < 0 {
		n, err := conn.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if err != nil {
			return
		}
	}
	status, body := "404 Not Found", "not here\n"
	if asksFor(buf, c.path) {
		status, body = "200 OK", c.secret+"\n"
	}
	_, _ = fmt.Fprintf(conn, "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", status, len(body), body)
}

// asksFor reports whether the request head asks for path, in origin form
// or absolute form.
func asksFor(head []byte, path string) bool {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	f := strings.Fields(string(line))
	return len(f) >= 2 && (f[1] == path || strings.HasSuffix(f[1], "/"+strings.TrimPrefix(path, "/")) && strings.Contains(f[1], "://"))
}

// proxyTest asks the server to act as a forward proxy towards a target it
// may reach: a loopback canary when the server itself is on loopback,
// else its own address and port.
func (p *prober) proxyTest(ctx context.Context) (*facts.HTTPProxy, error) {
	if p.addr.Addr().Unmap().IsLoopback() {
		return p.proxyCanary(ctx)
	}
	return p.proxySelf(ctx)
}

// proxyCanary proves a relay with a canary vigil runs on loopback.
func (p *prober) proxyCanary(ctx context.Context) (*facts.HTTPProxy, error) {
	c, err := startCanary(ctx, p.addr.Addr())
	if err != nil {
		return nil, err
	}
	defer c.close()
	return p.proxyTo(ctx, c.target(), c.path, true, func(r httpmsg.Response) bool {
		return bytes.Contains(r.Body, []byte(c.secret))
	})
}

// proxySelf asks the server to relay to its own address and port: a
// relayed answer carries one Via hop more than the direct answer to the
// same path (squid and tinyproxy add one each time they forward).
func (p *prober) proxySelf(ctx context.Context) (*facts.HTTPProxy, error) {
	self := hostPort(p.addr)
	path := "/vigil-proxy-" + token(8)
	direct, err := p.get(ctx, path)
	if err != nil {
		return nil, err
	}
	return p.proxyTo(ctx, self, path, false, func(r httpmsg.Response) bool {
		return viaHops(r) > viaHops(direct)
	})
}

// proxyTo sends an absolute-form GET and a CONNECT towards target; relayed
// judges whether an answer came from the target through the proxy.
func (p *prober) proxyTo(ctx context.Context, target, path string, isCanary bool, relayed func(httpmsg.Response) bool) (*facts.HTTPProxy, error) {
	px := &facts.HTTPProxy{Target: target, Canary: isCanary}
	var ev []string
	req := fmt.Appendf(nil, "GET http://%s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vigil\r\nConnection: close\r\n\r\n", target, path, target)
	var errs []error
	r, err := p.do(ctx, req)
	switch {
	case refused(ctx, err):
		ev = append(ev, "GET http://"+target+path+": no HTTP answer, not relayed")
	case err != nil:
		errs = append(errs, fmt.Errorf("proxy test GET: %w", err))
		ev = append(ev, "GET http://"+target+path+": failed")
	case relayed(r):
		px.GetRelayed = true
		what := "the canary's token"
		if !isCanary {
			what = "an extra Via hop (" + sanitize.String(strings.Join(r.Header["via"], ", "), 100) + ")"
		}
		ev = append(ev, fmt.Sprintf("GET http://%s%s answered %s with %s", target, path, sanitize.String(r.StatusLine, 60), what))
	default:
		ev = append(ev, fmt.Sprintf("GET http://%s%s answered %s, not relayed", target, path, sanitize.String(r.StatusLine, 60)))
	}
	ok, what, err := p.connect(ctx, target, path, isCanary, relayed)
	if err != nil {
		errs = append(errs, fmt.Errorf("proxy test CONNECT: %w", err))
	}
	px.Connect = ok
	ev = append(ev, what)
	px.Evidence = strings.Join(ev, "; ")
	return px, errors.Join(errs...)
}

// connect opens a CONNECT tunnel to target and, when the proxy agrees,
// sends one GET path through it; the connection closes after the answer.
func (p *prober) connect(ctx context.Context, target, path string, isCanary bool, relayed func(httpmsg.Response) bool) (bool, string, error) {
	what := "CONNECT " + target
	c, err := p.dial(ctx)
	if err != nil {
		return false, what + ": no answer", err
	}
	defer func() { _ = c.Close() }()
	req := fmt.Appendf(nil, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vigil\r\n\r\n", target, target)
	head, _ := wire.Exchange(ctx, c, req, 16<<10, p.opt.Timeout, func(b []byte) bool {
		return httpmsg.HeaderEnd(b) >= 0 || (len(b) >= 5 && !bytes.HasPrefix(b, []byte("HTTP/")))
	}) // silence or a hang-up is judged below
	if len(head) == 0 {
		if ctx.Err() != nil {
			return false, what + ": no answer", ctx.Err()
		}
		return false, what + ": no HTTP answer, refused", nil
	}
	r, perr := httpmsg.Parse(head)
	if perr != nil {
		return false, what + ": no HTTP answer, refused", nil
	}
	if r.Status < 200 || r.Status > 299 {
		return false, fmt.Sprintf("%s answered %s, refused", what, sanitize.String(r.StatusLine, 60)), nil
	}
	// Bytes after the head would be the tunnel's: a proxy sends none.
	inner := fmt.Appendf(nil, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vigil\r\nConnection: close\r\n\r\n", path, target)
	b, _ := wire.Exchange(ctx, c, inner, httpCap, p.opt.Timeout, httpmsg.Complete) // silence is judged below
	ir, perr := httpmsg.Parse(b)
	if perr != nil {
		if ctx.Err() != nil {
			return false, what + ": no answer through the tunnel", ctx.Err()
		}
		return false, fmt.Sprintf("%s answered %s but no HTTP came through the tunnel", what, sanitize.String(r.StatusLine, 60)), nil
	}
	if isCanary && !relayed(ir) {
		return false, fmt.Sprintf("%s answered %s but the canary's token did not come through", what, sanitize.String(r.StatusLine, 60)), nil
	}
	return true, fmt.Sprintf("%s answered %s and a GET through the tunnel was answered %s", what,
		sanitize.String(r.StatusLine, 60), sanitize.String(ir.StatusLine, 60)+canaryNote(isCanary)), nil
}

func canaryNote(isCanary bool) string {
	if isCanary {
		return " with the canary's token"
	}
	return ""
}

// hostPort formats a target for messages.
func hostPort(a netip.AddrPort) string {
	return net.JoinHostPort(a.Addr().Unmap().String(), strconv.Itoa(int(a.Port())))
}
