// Package apiaudit audits who may use an identified API or broker: NATS,
// the Kubernetes API server and the kubelet, etcd, a Docker registry,
// CouchDB, InfluxDB, the RabbitMQ management API and Prometheus endpoints.
// It returns facts.APIAccess; the checks in package check judge it.
//
// # What is sent
//
// Every request reads, and counts what it read: nothing is written,
// deleted or configured, and no value is kept. NATS: the INFO line, then,
// when the server says no authentication is required, CONNECT without
// credentials and PING. Kubernetes: GET /api/v1/namespaces and
// /api/v1/nodes (names counted). kubelet: GET /pods and /metrics (pods and
// metric families counted). etcd: one v3 range over the whole key space
// with count_only (the number of keys, never a key or a value). Docker
// registry: GET /v2/_catalog (repositories counted). CouchDB: GET /_all_dbs.
// InfluxDB: SHOW DATABASES. RabbitMQ: GET /api/overview, without and,
// unless Options.NoDefaultCreds, with the vendor default guest/guest.
// Prometheus: GET /metrics (families counted).
//
// Every read has a deadline and a size cap, and every string taken from an
// answer is sanitised before it lands in evidence.
package apiaudit

import (
	"context"
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
	// NoDefaultCreds turns off vendor-default credentials (RabbitMQ's
	// guest/guest).
	NoDefaultCreds bool
	// ServerName is the host name for SNI and the HTTP Host header; ""
	// means the address.
	ServerName string
}

// ErrProtocol means the server's answer did not follow its protocol.
var ErrProtocol = errors.New("unexpected answer")

// Size caps of reads.
const (
	lineCap = 16 << 10  // the NATS INFO line and its answers
	httpCap = 512 << 10 // one HTTP response (a pod list can be long; what is cut is not counted)
)

// budgetExchanges bounds the whole audit of one service, in Timeouts.
const budgetExchanges = 8

// auditor audits one protocol.
type auditor func(ctx context.Context, p *prober, s *facts.Service) (*facts.APIAccess, error)

// auditors is the registry: which protocol is audited by which function.
var auditors = map[string]auditor{
	proto.NATS:           auditNATS,
	proto.Kubernetes:     auditKubernetes,
	proto.Kubelet:        auditKubelet,
	proto.Etcd:           auditEtcd,
	proto.DockerRegistry: auditRegistry,
	proto.CouchDB:        auditCouchDB,
	proto.InfluxDB:       auditInfluxDB,
	proto.RabbitMQ:       auditRabbitMQ,
	proto.Prometheus:     auditPrometheus,
}

// Applies reports whether Audit has anything to learn about s.
func Applies(s *facts.Service) bool {
	_, ok := auditors[s.Name]
	return ok && s.Transport == facts.TCP
}

// Audit probes an identified service read-only and returns what it learnt
// about its access control; nil when nothing applies to s.
func Audit(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, s *facts.Service, opt Options) (*facts.APIAccess, error) {
	if s == nil || !Applies(s) {
		return nil, nil
	}
	if d == nil {
		return nil, errors.New("API audit: no dialer")
	}
	opt.Timeout = auditconn.Timeout(d, opt.Timeout)
	ctx, cancel := context.WithTimeout(ctx, budgetExchanges*opt.Timeout)
	defer cancel()
	p := &prober{d: d, addr: addr, opt: opt, tls: s.TLS}
	return auditors[s.Name](ctx, p, s)
}

// prober opens connections to the audited port and bounds every exchange.
type prober struct {
	d    *dialer.Dialer
	addr netip.AddrPort
	opt  Options
	tls  bool
}

// dial opens a connection, inside TLS when the port speaks it from the
// first byte (the certificate is the TLS audit's business).
func (p *prober) dial(ctx context.Context) (net.Conn, error) {
	return auditconn.Dial(ctx, p.d, p.addr, p.opt.Timeout, p.tls, p.opt.ServerName)
}

// request is one HTTP request.
type request struct {
	method, path string
	// authorization is the Authorization header's value, "" for none.
	authorization string
	contentType   string
	body          []byte
}

// bytes renders the request; the connection closes after the answer.
func (r request) bytes(host string) []byte {
	b := fmt.Appendf(nil, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vigil\r\nAccept: */*\r\nConnection: close\r\n", r.method, r.path, host)
	if r.authorization != "" {
		b = fmt.Appendf(b, "Authorization: %s\r\n", r.authorization)
	}
	if r.body != nil {
		b = fmt.Appendf(b, "Content-Type: %s\r\nContent-Length: %d\r\n", r.contentType, len(r.body))
	}
	b = append(b, "\r\n"...)
	return append(b, r.body...)
}

// do sends r on a fresh connection and parses the answer.
func (p *prober) do(ctx context.Context, r request) (httpmsg.Response, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return httpmsg.Response{}, err
	}
	defer func() { _ = c.Close() }()
	b, err := wire.Exchange(ctx, c, r.bytes(httpmsg.Host(p.addr, p.opt.ServerName, p.tls)), httpCap, p.opt.Timeout, httpmsg.Complete)
	if len(b) == 0 {
		return httpmsg.Response{}, fmt.Errorf("no answer to %s %s from %s: %w", r.method, r.path, p.addr, err)
	}
	resp, perr := httpmsg.Parse(b)
	if perr != nil {
		return resp, fmt.Errorf("%w: %s %s was not answered in HTTP: %q", ErrProtocol, r.method, r.path, sanitize.Line(b, 80))
	}
	return resp, nil
}

// get sends GET path without credentials.
func (p *prober) get(ctx context.Context, path string) (httpmsg.Response, error) {
	return p.do(ctx, request{method: "GET", path: path})
}

// clean makes a network string printable and caps it at max runes.
func clean(s string, max int) string { return sanitize.String(s, max) }

// ptr returns a pointer to b.
func ptr(b bool) *bool { return &b }

// plural is "1 key", "3 keys".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// refusedStatus reports whether an HTTP status means "credentials needed".
func refusedStatus(code int) bool { return code == 401 || code == 403 }

// record adds the outcome of one HTTP read to a: Open when answered 200
// and revealed is not "" (the answer was understood), Refused when 401 or
// 403. Anything else (404, an answer not understood) says nothing.
func record(a *facts.APIAccess, what string, r httpmsg.Response, revealed string, understood bool) {
	switch {
	case r.Status == 200 && understood:
		a.Open = append(a.Open, facts.APIRequest{Request: what, Status: r.Status, Revealed: revealed})
	case refusedStatus(r.Status):
		a.Refused = append(a.Refused, facts.APIRequest{Request: what, Status: r.Status})
	}
}
