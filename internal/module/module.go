// Package module is the contract between vigil's pipeline and a protocol
// that lives in a package of its own (internal/protocols/NAME). One Module
// value carries the protocol's identification (a banner matcher, a TCP
// probe or a UDP session), its audit and its checks with their judge; the
// explicit registry internal/protocols lists the modules, and identify,
// engine and check each take from it the part they run.
//
// The pipeline's rules hold across the contract: identification entry
// points run before anything is known of the service; an audit is the
// only part that may do I/O after identification, read-only and bounded;
// a judge is pure and sees only facts. A module keeps its evidence typed
// with a facts.Key.
//
// This package depends only on facts, finding and proto, so that protocol
// packages can import it without importing identify, engine or check.
package module

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/proto"
)

// Module is everything vigil knows about one protocol package. Name must
// have its line in the protocol table (internal/proto); every other field
// is optional.
type Module struct {
	Name proto.Name

	// Banner recognises the protocol from what a server sent first (or
	// answered to another probe). It is pure: it fills s, or returns an
	// error wrapping ErrNoMatch. Banner matchers of modules run after the
	// built-in ones.
	Banner func(b []byte, s *facts.Service) (*FollowUp, error)
	// Probe is a client-first probe on TCP: it sends through c, fills s
	// and returns nil when the server speaks the protocol; otherwise an
	// error wrapping ErrNoMatch (or an I/O error) and whatever the server
	// answered, which the banner matchers then see.
	Probe func(ctx context.Context, c Conn, s *facts.Service) ([]byte, error)
	// ProbeTLS also runs Probe inside TLS.
	ProbeTLS bool
	// UDP starts one UDP probe (see UDPSession).
	UDP func(env UDPEnv) UDPSession

	// Audit is the protocol's deep audit; nil when identification learns
	// all there is.
	Audit *Audit

	// Checks are the protocol's catalogue entries, listed by `vigil
	// checks` after the built-in areas; Judge reports which fire on one
	// service. A judge must report only IDs from Checks.
	Checks []Check
	Judge  func(in Input) []Hit
}

// ErrNoMatch is what a probe or matcher returns when the bytes are not its
// protocol (package identify's ErrNoMatch is the same error).
var ErrNoMatch = errors.New("the answer is not this protocol")

// FollowUp is one extra exchange a banner matcher asks for on the same
// connection, when the banner alone cannot decide. Next receives the
// answer, or nil when the connection is no longer available; it must then
// decide from what it has.
type FollowUp struct {
	Req  []byte
	Done func([]byte) bool
	Next func(resp []byte, s *facts.Service)
}

// Conn is what a TCP probe may use: fresh connections at the layer it runs
// at (plain TCP, or inside TLS), each exchange bounded by the probe
// timeout.
type Conn interface {
	// Exchange opens a fresh connection, sends req and reads the answer
	// until done returns true, up to max bytes within the timeout.
	Exchange(ctx context.Context, req []byte, max int, done func([]byte) bool) ([]byte, error)
	// Open opens a fresh connection for a probe that needs several
	// exchanges; the probe closes it and bounds each read itself.
	Open(ctx context.Context) (net.Conn, error)
	// Timeout is the budget of one write and read.
	Timeout() time.Duration
	// TLS is true inside TLS.
	TLS() bool
	// ServerName is the host name the user gave, or "".
	ServerName() string
}

// UDPEnv is what a UDP probe may need to build its datagrams.
type UDPEnv struct {
	Local, Remote netip.AddrPort
	// NoDefaultCreds is true when vendor-default credentials must not be
	// tried.
	NoDefaultCreds bool
}

// UDPSession is one UDP probe in flight.
type UDPSession interface {
	// Request returns the datagram to send on try (0, 1, …), nil for none.
	Request(try int) []byte
	// Answer inspects one datagram: matched is true when it answers this
	// probe (s was then filled), complete when no further answer is
	// awaited.
	Answer(b []byte, s *facts.Service) (matched, complete bool)
}

// Audit is a protocol's deep audit: read-only, every read with a deadline
// and a size cap, strings from the network sanitised.
type Audit struct {
	// Name prefixes its errors in the service's AuditErrors; the module's
	// name when empty.
	Name string
	// Applies reports whether the audit has anything to learn about s (s's
	// name is the module's).
	Applies func(s *facts.Service) bool
	// Run audits the service at addr and records what it learnt in s's
	// evidence; on an error it keeps what it learnt before it.
	Run func(ctx context.Context, env Env, addr netip.AddrPort, s *facts.Service) error
}

// Env is what an audit gets besides the service it inspects.
type Env struct {
	// Dialer is the scan's one dialer: every connection goes through it.
	Dialer *dialer.Dialer
	// Timeout bounds each exchange.
	Timeout time.Duration
	// Names are the host's names the user gave.
	Names []string
	// NoDefaultCreds is true when vendor-default credentials must not be
	// tried.
	NoDefaultCreds bool
}

// Check is one catalogue entry (package check's Check is the same type).
type Check struct {
	ID         string
	Severity   finding.Severity
	Title      string
	Rationale  string
	Fix        string // the generic fix; judges give a product-specific one when they can
	Frameworks []string
	// Examines, when set, tells which services the check can look at: a
	// compliance control it maps to counts as examined on a host where
	// such a service was seen. Needs says, when none was, what would let
	// the check look ("an rsync daemon whose modules were listed"). Checks
	// without Examines have their evidence rule in internal/compliance.
	Examines func(s *facts.Service) bool
	Needs    string
	// Planned names the issue that will build the check's judge: until
	// then no judge emits it, and reports and `vigil checks` say so
	// instead of counting it as examined.
	Planned string
}

// Hit is a judge's verdict that a check fired (package check's Hit is the
// same type).
type Hit struct {
	Check string
	// Subject distinguishes several hits of one check on one port.
	Subject string
	// Evidence is what was observed, in words a sysadmin can verify.
	Evidence string
	// Fix is the product-specific recommendation; empty means the
	// catalogue's generic fix.
	Fix string
	// Severity overrides the catalogue's default when non-zero; the
	// evidence must then say why.
	Severity finding.Severity
}

// Input is what a module's judge looks at: one service of one host.
type Input struct {
	Host    *facts.Host
	Service *facts.Service
	// Now is the moment the facts describe; judges use it, never time.Now.
	Now time.Time
	// Untrusted is true when the scan ran from a network that should not
	// reach administration services or databases (vigil scan --untrusted).
	Untrusted bool
}
