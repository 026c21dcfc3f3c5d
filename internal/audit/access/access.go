package access

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/vigilsec/vigil/internal/audit/auditconn"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/wire"
)

// Options tunes the audit.
type Options struct {
	// Timeout bounds each exchange (write and read); zero means the
	// Dialer's timeout.
	Timeout time.Duration
	// NoDefaultCreds turns off every vendor-default credential: no SNMP
	// community is sent. The anonymous FTP login is not a credential and is
	// still tried.
	NoDefaultCreds bool
	// ServerName is the host name the user gave for the target, used for
	// SNI and the HTTP Host header; "" means the address.
	ServerName string
}

// ErrProtocol means the server's answer did not follow its protocol.
var ErrProtocol = errors.New("unexpected answer")

// Size caps of reads.
const (
	lineCap = 16 << 10  // one text reply or a few lines
	httpCap = 128 << 10 // one HTTP response
	dataCap = 256 << 10 // Redis INFO, memcached stats, MongoDB listDatabases
)

// budgetExchanges bounds the whole audit of one service: at most this many
// Timeouts, whatever the protocol (HTTP, with its login paths and
// redirects, needs the most).
const budgetExchanges = 16

// auditor audits one protocol.
type auditor func(ctx context.Context, p *prober, s *facts.Service) (*facts.Access, error)

// auditors is the registry: which protocol is audited by which function.
// Protocols spoken inside TLS from the first byte only get the
// authentication audits (tlsToo).
var auditors = map[string]struct {
	run    auditor
	tlsToo bool
}{
	proto.FTP:           {auditFTP, true},
	proto.SMTP:          {auditSMTP, false},
	proto.IMAP:          {auditIMAP, false},
	proto.POP3:          {auditPOP3, false},
	proto.LDAP:          {auditLDAP, false},
	proto.PostgreSQL:    {auditPostgreSQL, false},
	proto.MySQL:         {auditMySQL, false},
	proto.HTTP:          {auditHTTP, false},
	proto.SNMP:          {auditSNMP, false},
	proto.MQTT:          {auditMQTT, true},
	proto.Redis:         {auditRedis, true},
	proto.Memcached:     {auditMemcached, true},
	proto.MongoDB:       {auditMongoDB, true},
	proto.Elasticsearch: {auditElasticsearch, true},
	proto.Docker:        {auditDocker, true},
	proto.VNC:           {auditVNC, false},
}

// Applies reports whether Audit has anything to learn about s.
func Applies(s *facts.Service) bool {
	a, ok := auditors[s.Name]
	if !ok {
		return false
	}
	if s.Name == proto.SNMP {
		return s.Transport == facts.UDP
	}
	return s.Transport == facts.TCP && (!s.TLS || a.tlsToo)
}

// Audit probes an identified service read-only and returns what it learnt
// about encryption and authentication; nil when nothing applies to s.Name.
// It may add observations to s.Details (see the package documentation).
// On an error it returns what it learnt before it, if anything.
func Audit(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, s *facts.Service, opt Options) (*facts.Access, error) {
	if s == nil || !Applies(s) {
		return nil, nil
	}
	if d == nil {
		return nil, errors.New("access audit: no dialer")
	}
	opt.Timeout = auditconn.Timeout(d, opt.Timeout)
	ctx, cancel := context.WithTimeout(ctx, budgetExchanges*opt.Timeout)
	defer cancel()
	p := &prober{d: d, addr: addr, opt: opt, tls: s.TLS}
	return auditors[s.Name].run(ctx, p, s)
}

// prober opens connections to the audited port and bounds every exchange.
type prober struct {
	d    *dialer.Dialer
	addr netip.AddrPort
	opt  Options
	tls  bool // the port speaks TLS from the first byte
}

// dial opens a TCP connection to the port, inside TLS when the port speaks
// it from the first byte. The certificate is not checked: that is the TLS
// audit's job.
func (p *prober) dial(ctx context.Context) (net.Conn, error) {
	return auditconn.Dial(ctx, p.d, p.addr, p.opt.Timeout, p.tls, p.opt.ServerName)
}

// exchange writes req (when not nil) on c and reads until done, within the
// timeout and cap.
func (p *prober) exchange(ctx context.Context, c net.Conn, req []byte, max int, done func([]byte) bool) ([]byte, error) {
	if req == nil {
		return wire.ReadUntil(ctx, c, max, p.opt.Timeout, done)
	}
	return wire.Exchange(ctx, c, req, max, p.opt.Timeout, done)
}

// clean makes a network string printable and caps it at max runes.
func clean(s string, max int) string { return sanitize.String(s, max) }

// ptr returns a pointer to b.
func ptr(b bool) *bool { return &b }

// protocolError explains an answer that does not follow the protocol,
// quoting (printably) its first line.
func protocolError(proto, what string, got []byte) error {
	if len(got) == 0 {
		return fmt.Errorf("%w: %s: %s, and nothing was received", ErrProtocol, proto, what)
	}
	return fmt.Errorf("%w: %s: %s, got %q", ErrProtocol, proto, what, sanitize.Line(got, 80))
}
