// Package httpaudit inspects a web server with a handful of read-only
// requests and records what it saw in facts.HTTPAudit: whether it relays
// requests as an open forward proxy, whether status pages (Apache
// server-status and server-info, nginx stub_status) or directory listings
// answer anyone, whether "/" is an install placeholder page, whether TRACE
// echoes requests, whether HTTPS answers carry Strict-Transport-Security,
// and which administration consoles (Jenkins, Grafana, the Tomcat manager,
// phpMyAdmin) it serves. Checks in package check judge these facts.
//
// # What is sent
//
// At most 13 requests per service, each on its own connection, each with
// the exchange timeout and a 128 KiB read cap: GET / ; GET on the customary
// status paths (/server-status, /server-info, /nginx_status,
// /stub_status, /status); GET /manager/html, /api/health and
// /phpmyadmin/ ; one TRACE / carrying a random header; and the proxy
// test. Nothing is posted, no credential is sent.
//
// # The proxy test
//
// A forward proxy is only ever asked to reach a target vigil may touch:
// when the server is on a loopback address, a canary HTTP listener that
// vigil runs on the loopback address itself for the length of the test;
// otherwise the server's own address and port (inside the scan's scope).
// The canary answers with a random token that never appears in any
// request, so an error page that quotes the requested URL cannot pass for
// a relay. A GET in absolute form and a CONNECT are tried; through a
// CONNECT tunnel one GET is sent to the same target, then the connection
// closes. Towards the server's own address a relay is recognised by the
// hop its Via header adds to what the server answers directly, or by a
// CONNECT tunnel that carries an HTTP exchange.
package httpaudit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/vigilsec/vigil/internal/audit/auditconn"
	"github.com/vigilsec/vigil/internal/codec/httpmsg"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/wire"
)

// Options tunes the audit.
type Options struct {
	// Timeout bounds each exchange; zero means the Dialer's timeout.
	Timeout time.Duration
	// ServerName is the host name the user gave for the target (SNI and
	// Host header); "" means the address.
	ServerName string
	// NoProxyTest turns the forward-proxy test off.
	NoProxyTest bool
}

// Size cap of one answer.
const httpCap = 128 << 10

// budgetExchanges bounds the whole audit: at most this many timeouts.
const budgetExchanges = 16

// statusPaths are where status pages are customarily mounted; what
// answers is recognised by content.
var statusPaths = []string{"/server-status", "/server-info", "/nginx_status", "/stub_status", "/status"}

// adminPaths are the customary paths of administration consoles that do
// not announce themselves at "/".
var adminPaths = []string{"/manager/html", "/api/health", "/phpmyadmin/"}

// Applies reports whether Audit has anything to learn about s.
func Applies(s *facts.Service) bool {
	return s != nil && s.Name == proto.HTTP && s.Transport == facts.TCP
}

// prober opens connections to the audited port.
type prober struct {
	d    *dialer.Dialer
	addr netip.AddrPort
	opt  Options
	tls  bool
}

// Audit inspects the web server at addr (identified as s) and returns what
// it saw; on an error it returns what it learnt before, if anything.
func Audit(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, s *facts.Service, opt Options) (*facts.HTTPAudit, error) {
	if !Applies(s) {
		return nil, nil
	}
	if d == nil {
		return nil, errors.New("http audit: no dialer")
	}
	opt.Timeout = auditconn.Timeout(d, opt.Timeout)
	ctx, cancel := context.WithTimeout(ctx, budgetExchanges*opt.Timeout)
	defer cancel()
	p := &prober{d: d, addr: addr, opt: opt, tls: s.TLS}
	h := &facts.HTTPAudit{}

	root, err := p.get(ctx, "/")
	if err != nil {
		return nil, err
	}
	h.RootStatus = root.Status
	if p.tls {
		h.HSTS = sanitize.String(root.Get("strict-transport-security"), 200)
	}
	if k := defaultPageKind(root); k != "" {
		h.DefaultPage = &facts.HTTPPage{Path: "/", Kind: k, Evidence: "title " + quoteTitle(root.Body)}
	}
	if k := listingKind(root); k != "" {
		h.Listings = append(h.Listings, facts.HTTPPage{Path: "/", Kind: k, Evidence: "title " + quoteTitle(root.Body)})
	}
	if a := adminOf("/", root); a != nil {
		h.Admin = append(h.Admin, *a)
	}

	var firstErr error
	// keep records an error that stopped a request; a hang-up or a non-HTTP
	// answer on one path only means nothing of interest is there.
	keep := func(err error) bool {
		if err != nil && !refused(ctx, err) && firstErr == nil {
			firstErr = err
		}
		return err == nil
	}
	seen := map[string]bool{}
	for _, path := range statusPaths {
		r, err := p.get(ctx, path)
		if !keep(err) {
			if ctx.Err() != nil {
				return h, firstErr
			}
			continue
		}
		if k := statusKind(r); k != "" && !seen[k] {
			seen[k] = true
			h.Status = append(h.Status, facts.HTTPPage{Path: path, Kind: k, Evidence: excerpt(r.Body, 120)})
		}
	}
	for _, path := range adminPaths {
		if len(h.Admin) > 0 {
			break
		}
		r, err := p.get(ctx, path)
		if !keep(err) {
			if ctx.Err() != nil {
				return h, firstErr
			}
			continue
		}
		if a := adminOf(path, r); a != nil {
			h.Admin = append(h.Admin, *a)
		}
	}
	if err := p.trace(ctx, h); !keep(err) && ctx.Err() != nil {
		return h, firstErr
	}
	if !opt.NoProxyTest {
		px, err := p.proxyTest(ctx)
		keep(err)
		h.Proxy = px
	}
	applyProduct(s, h)
	return h, firstErr
}

// applyProduct records on the service the console that is the server
// itself (Jenkins, Grafana, Tomcat), with its version when shown.
func applyProduct(s *facts.Service, h *facts.HTTPAudit) {
	for _, a := range h.Admin {
		switch a.Product {
		case "Jenkins", "Grafana":
			s.Product, s.Version = a.Product, a.Version
		case "Apache Tomcat Manager":
			s.Product = "Apache Tomcat"
			if a.Version != "" {
				s.Version = a.Version
			}
		}
	}
}

func quoteTitle(body []byte) string {
	return fmt.Sprintf("%q", sanitize.String(title(body), 80))
}

// dial opens a connection to the audited port, inside TLS when the port
// speaks it from the first byte (the certificate is the TLS audit's job).
func (p *prober) dial(ctx context.Context) (net.Conn, error) {
	return auditconn.Dial(ctx, p.d, p.addr, p.opt.Timeout, p.tls, p.opt.ServerName)
}

// host is the Host header for the audited port.
func (p *prober) host() string { return httpmsg.Host(p.addr, p.opt.ServerName, p.tls) }

// do sends one raw request on a new connection and parses the answer.
func (p *prober) do(ctx context.Context, req []byte) (httpmsg.Response, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return httpmsg.Response{}, err
	}
	defer func() { _ = c.Close() }()
	b, err := wire.Exchange(ctx, c, req, httpCap, p.opt.Timeout, httpmsg.Complete)
	if len(b) == 0 {
		if err == nil {
			return httpmsg.Response{}, fmt.Errorf("%s closed the connection: %w", p.addr, errRefused)
		}
		return httpmsg.Response{}, fmt.Errorf("%s: %w: %w", p.addr, errRefused, err)
	}
	r, perr := httpmsg.Parse(b)
	if perr != nil {
		return httpmsg.Response{}, fmt.Errorf("%s: %w: %w", p.addr, errRefused, perr)
	}
	return r, nil
}

// errRefused means the connection opened but no HTTP answer came back:
// the server closed it, stayed silent until the timeout, or sent
// something else. For TRACE and the proxy test that is a refusal, not a
// failure of the audit.
var errRefused = errors.New("no HTTP answer")

// refused reports whether err is a refusal (see errRefused) while the
// audit's own time is not up.
func refused(ctx context.Context, err error) bool {
	return errors.Is(err, errRefused) && ctx.Err() == nil
}

// get sends GET path.
func (p *prober) get(ctx context.Context, path string) (httpmsg.Response, error) {
	r, err := p.do(ctx, httpmsg.Request(path, p.host()))
	if err != nil {
		return r, fmt.Errorf("GET %s: %w", path, err)
	}
	return r, nil
}

// token returns n random bytes in hex.
func token(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// trace sends TRACE / with a unique header and records whether the answer
// echoes it.
func (p *prober) trace(ctx context.Context, h *facts.HTTPAudit) error {
	hdr := "X-Vigil-Trace: " + token(8)
	req := fmt.Appendf(nil, "TRACE / HTTP/1.1\r\nHost: %s\r\nUser-Agent: vigil\r\n%s\r\nConnection: close\r\n\r\n", p.host(), hdr)
	r, err := p.do(ctx, req)
	if refused(ctx, err) {
		h.TraceChecked = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("TRACE /: %w", err)
	}
	h.TraceChecked = true
	if traceEcho(r, hdr) {
		h.Trace = fmt.Sprintf("TRACE / answered %s with the request echoed back (Content-Type %s)",
			sanitize.String(r.StatusLine, 60), sanitize.String(r.Get("content-type"), 40))
	}
	return nil
}

// viaHops counts the hops a Via header lists.
func viaHops(r httpmsg.Response) int {
	n := 0
	for _, v := range r.Header["via"] {
		n += bytes.Count([]byte(v), []byte(",")) + 1
	}
	return n
}
