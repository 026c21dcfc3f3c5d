package access

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/httpmsg"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// loginPaths are the pages checked for a password form besides "/": the
// usual login pages of hand-made sites, admin areas, Drupal and WordPress.
var loginPaths = []string{"/login", "/login.html", "/admin/", "/user/login", "/wp-login.php"}

// maxRedirects is how many same-host redirects a GET follows.
const maxRedirects = 3

// page is what one GET led to, after redirects.
type page struct {
	path string // the path finally answered
	resp httpmsg.Response
	// https is the https:// URL a redirect led to; the GET stopped there.
	https string
}

// get sends GET path and parses the answer.
func (p *prober) get(ctx context.Context, path string) (httpmsg.Response, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return httpmsg.Response{}, err
	}
	defer func() { _ = c.Close() }()
	b, err := p.exchange(ctx, c, httpmsg.Request(path, p.host()), httpCap, httpmsg.Complete)
	if len(b) == 0 {
		return httpmsg.Response{}, fmt.Errorf("http: no answer to GET %s from %s: %w", path, p.addr, err)
	}
	r, perr := httpmsg.Parse(b)
	if perr != nil {
		return httpmsg.Response{}, protocolError(proto.HTTP, "GET "+path+" not answered in HTTP", b)
	}
	return r, nil
}

// host is the Host header for the audited port.
func (p *prober) host() string { return httpmsg.Host(p.addr, p.opt.ServerName, p.tls) }

// follow GETs path and follows up to maxRedirects redirects that stay on
// this host and port over plain HTTP. It stops at a redirect to https://
// (reported in page.https) or to another host (never contacted).
func (p *prober) follow(ctx context.Context, path string) (page, error) {
	scheme := "http"
	if p.tls {
		scheme = "https"
	}
	cur := &url.URL{Scheme: scheme, Host: p.host(), Path: path}
	for i := 0; ; i++ {
		r, err := p.get(ctx, path)
		if err != nil {
			return page{}, err
		}
		loc := r.Get("location")
		if r.Status < 300 || r.Status > 399 || loc == "" || i == maxRedirects {
			return page{path: path, resp: r}, nil
		}
		next, err := cur.Parse(loc)
		if err != nil {
			return page{path: path, resp: r}, nil
		}
		switch {
		case strings.EqualFold(next.Scheme, "https"):
			return page{path: path, resp: r, https: clean(next.String(), 256)}, nil
		case !strings.EqualFold(next.Scheme, scheme) || !p.sameHost(next):
			return page{path: path, resp: r}, nil
		}
		target := next.RequestURI()
		if !safeTarget(target) {
			return page{path: path, resp: r}, nil
		}
		cur, path = next, target
	}
}

// sameHost reports whether u names the audited port: its address, or the
// host name the user gave, and its port.
func (p *prober) sameHost(u *url.URL) bool {
	port := u.Port()
	if port == "" {
		port = "80"
		if p.tls {
			port = "443"
		}
	}
	if port != strconv.Itoa(int(p.addr.Port())) {
		return false
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap() == p.addr.Addr().Unmap()
	}
	return p.opt.ServerName != "" && strings.EqualFold(host, p.opt.ServerName)
}

// safeTarget reports whether a request target can go on the request line:
// no spaces or control bytes, bounded length.
func safeTarget(t string) bool {
	if t == "" || len(t) > 1024 || t[0] != '/' {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] == 0x7f {
			return false
		}
	}
	return true
}

// challengeScheme returns the first password-based scheme (Basic or
// Digest) among the WWW-Authenticate challenges, or "".
func challengeScheme(values []string) string {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			word := strings.Fields(part)
			if len(word) == 0 {
				continue
			}
			switch strings.ToLower(word[0]) {
			case "basic":
				return "Basic"
			case "digest":
				return "Digest"
			}
		}
	}
	return ""
}

// credentialRequest says what a page asks for: a Basic or Digest challenge
// or a password form that does not post to https://; "" when nothing.
func credentialRequest(pg page) string {
	if pg.https != "" {
		return ""
	}
	r := pg.resp
	if scheme := challengeScheme(r.Header["www-authenticate"]); scheme != "" && r.Status == 401 {
		return fmt.Sprintf("%s challenge at %s (%d, WWW-Authenticate: %s)", scheme, clean(pg.path, 128), r.Status,
			clean(strings.Join(r.Header["www-authenticate"], ", "), 200))
	}
	if r.Status != 200 {
		return ""
	}
	found, action := passwordForm(r.Body)
	if !found {
		return ""
	}
	if u, err := url.Parse(strings.TrimSpace(action)); err == nil && strings.EqualFold(u.Scheme, "https") {
		return "" // the password itself goes over TLS
	}
	s := "password form at " + clean(pg.path, 128)
	if action != "" {
		s += fmt.Sprintf(" (posting to %s)", clean(strings.TrimSpace(action), 128))
	}
	return s
}

// auditHTTP looks for a request for credentials over plain HTTP: a Basic or
// Digest challenge, or a password form, at "/" or a few usual login pages.
// A redirect to https:// is what it should find instead. Only GET is sent.
func auditHTTP(ctx context.Context, p *prober, s *facts.Service) (*facts.Access, error) {
	a := &facts.Access{}
	// Identification's GET / may already tell.
	if scheme := challengeScheme([]string{s.Detail(facts.DetailHTTPWWWAuthenticate)}); scheme != "" && s.Detail(facts.DetailHTTPStatus) == "401" {
		a.HTTPAuth = fmt.Sprintf("%s challenge at / (401, WWW-Authenticate: %s)", scheme, s.Detail(facts.DetailHTTPWWWAuthenticate))
		return a, nil
	}
	if s.Detail(facts.DetailHTTPPasswordForm) == "true" && s.Detail(facts.DetailHTTPStatus) == "200" {
		a.HTTPAuth = "password form at /"
		return a, nil
	}
	var firstErr error
	for _, path := range append([]string{"/"}, loginPaths...) {
		pg, err := p.follow(ctx, path)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if what := credentialRequest(pg); what != "" {
			a.HTTPAuth = what
			return a, nil
		}
	}
	return a, firstErr
}
