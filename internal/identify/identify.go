package identify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/wire"
)

// Options tunes identification.
type Options struct {
	// Timeout is the budget for each probe's write+read; zero means the
	// Dialer's timeout.
	Timeout time.Duration
	// BannerWait is the passive wait for a server-first banner; zero means
	// the smaller of Timeout and 500 ms.
	BannerWait time.Duration
	// ServerName is the host name for SNI / HTTP Host when the user gave
	// one, else "".
	ServerName string
	// NoDefaultCreds, when true, means SNMP communities are never tried
	// (SNMPv3 discovery only).
	NoDefaultCreds bool
	// Log receives one debug record per probe; nil discards them.
	Log *slog.Logger
}

// ErrNoMatch is what a probe returns when the bytes are not its protocol.
// It is module.ErrNoMatch, which protocol modules return.
var ErrNoMatch = module.ErrNoMatch

// Size caps of reads.
const (
	bannerCap = 16 << 10 // server-first banners and most binary answers
	lineCap   = 4 << 10  // one text reply
	httpCap   = 64 << 10 // one HTTP response
	udpCap    = 16 << 10 // one datagram
)

const defaultBannerWait = 500 * time.Millisecond

// normalised fills the zero fields of o with defaults.
func (o Options) normalised(d *dialer.Dialer) Options {
	if o.Timeout <= 0 && d != nil {
		o.Timeout = d.Timeout()
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.BannerWait <= 0 {
		o.BannerWait = min(o.Timeout, defaultBannerWait)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// TCP identifies the service on an open TCP port. It always returns a Service
// with Port, Transport "tcp" and Name set ("unknown" when not recognised, with
// a printable snippet of what the server sent in Banner).
//
// The whole call is bounded by ctx and by a budget of BannerWait plus one
// Timeout per client-first probe (and two more for the TLS layer).
func TCP(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, opt Options) facts.Service {
	s := facts.Service{Port: int(addr.Port()), Transport: facts.TCP, Name: facts.Unknown}
	if d == nil {
		return s
	}
	opt = opt.normalised(d)
	budget := opt.BannerWait*2 + time.Duration(len(tcpProbes)+2)*opt.Timeout
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	l := &layer{d: d, addr: addr, opt: opt, bannerWait: bannerWaitFor(opt, addr.Port(), false),
		speculate: !serverFirstPort(addr.Port(), false)}
	l.open = l.dialPlain
	l.identify(ctx, &s, nil, ordered(tcpProbes, plainHints(addr.Port())))
	return s
}

// layer is one level at which identification runs: the plain TCP port, or
// the protocol spoken inside TLS on it.
type layer struct {
	d    *dialer.Dialer
	addr netip.AddrPort
	opt  Options
	tls  bool
	// bannerWait is how long to wait for a server-first banner here.
	bannerWait time.Duration
	// speculate runs the first client-first probe on its own connection
	// while the banner wait goes on, so a client-first server costs no
	// idle wait. It is off where servers customarily speak first: they
	// would only receive a probe they do not understand.
	speculate bool
	// open returns a fresh connection at this layer.
	open func(ctx context.Context) (net.Conn, error)
}

// dialPlain opens a TCP connection to the port.
func (l *layer) dialPlain(ctx context.Context) (net.Conn, error) {
	return l.d.Dial(ctx, "tcp", l.addr, l.opt.Timeout)
}

// probe is one client-first probe. run opens its own connections through
// l.open, fills s and returns nil when the server speaks its protocol;
// otherwise it returns an error wrapping ErrNoMatch (or an I/O error) and
// whatever the server answered, which is then given to the banner matchers.
type probe struct {
	name string
	run  func(ctx context.Context, l *layer, s *facts.Service) ([]byte, error)
}

// matcher recognises a server-first protocol from the bytes the server sent.
// match is pure: it fills s, or returns ErrNoMatch. When the bytes alone
// cannot decide, it returns a followUp for the engine to send on the same
// connection.
type matcher struct {
	name  string
	match func(b []byte, s *facts.Service) (*followUp, error)
}

// followUp is one extra exchange a matcher asks for. next receives the
// answer, or nil when the connection is no longer available (the banner
// came as the answer to another probe); it must then decide from what it has.
type followUp struct {
	req  []byte
	done func([]byte) bool
	next func(resp []byte, s *facts.Service)
}

// outcome is what one client-first probe gave: the service as it filled
// it, the server's answer, and nil when the protocol matched.
type outcome struct {
	s    facts.Service
	resp []byte
	err  error
}

// run runs p on a copy of s. A server that sends back what the probe
// sent it matches no probe (see echoConn).
func (l *layer) run(ctx context.Context, s *facts.Service, p probe) outcome {
	tmp := clone(s)
	start := time.Now()
	var mu sync.Mutex
	var conns []*echoConn
	watched := *l
	watched.open = func(ctx context.Context) (net.Conn, error) {
		c, err := l.open(ctx)
		if err != nil {
			return nil, err
		}
		ec := &echoConn{Conn: c}
		mu.Lock()
		conns = append(conns, ec)
		mu.Unlock()
		return ec, nil
	}
	resp, err := p.run(ctx, &watched, &tmp)
	mu.Lock()
	for _, c := range conns {
		if c.echoed() {
			resp, err = nil, ioNoMatch(p.name, errEcho)
		}
	}
	mu.Unlock()
	l.opt.Log.Debug("identify: probe", "addr", l.addr, "tls", l.tls, "probe", p.name,
		"matched", err == nil, "answer_bytes", len(resp), "took", time.Since(start), "err", err)
	return outcome{s: tmp, resp: resp, err: err}
}

// identify runs the banner stage and then the client-first probes on l,
// filling s. first, when not nil, is an open connection at this layer to use
// for the banner wait; identify closes it. When the layer speculates, the
// first probe runs meanwhile on its own connection and whichever answers
// first decides. It reports whether the protocol was recognised.
func (l *layer) identify(ctx context.Context, s *facts.Service, first net.Conn, probes []probe) bool {
	c := first
	if c == nil {
		var err error
		if c, err = l.open(ctx); err != nil {
			s.Name = facts.Unknown
			return false
		}
	}
	var spec chan outcome
	var stop context.CancelFunc = func() {}
	defer func() { stop() }()
	speculate := func() {
		stop()
		var sctx context.Context
		sctx, stop = context.WithCancel(ctx)
		spec = make(chan outcome, 1)
		p := probes[0]
		probes = probes[1:]
		base := clone(s) // the goroutine must not read s while the banner path writes it
		go func() { spec <- l.run(sctx, &base, p) }()
	}
	if l.speculate && len(probes) > 0 {
		speculate()
	}
	banner := make(chan []byte, 1)
	go func() { banner <- readBanner(ctx, c, l.bannerWait, l.opt.Timeout) }()

	var b []byte
	var done *outcome
wait:
	for {
		select {
		case b = <-banner:
			break wait
		case o := <-spec:
			spec = nil
			if o.err == nil {
				// A client-first protocol answered: no greeting will come.
				_ = c.Close()
				<-banner
				*s = o.s
				return true
			}
			if len(o.resp) == 0 && len(probes) > 0 {
				// The server ended that probe without a word, so it is not
				// one that greets: speculate on with the next probe.
				speculate()
				continue
			}
			done = &o
			b = <-banner
			break wait
		}
	}
	if len(b) > 0 {
		// A server that speaks first is never a client-first protocol: if
		// no banner matcher knows it, stop here.
		ok := l.matchBanner(ctx, c, b, s)
		_ = c.Close()
		if !ok {
			s.Name = facts.Unknown
			s.Banner = snippet(b)
		}
		return ok
	}
	_ = c.Close()
	if spec != nil {
		o := <-spec
		done = &o
	}
	return l.runProbes(ctx, s, probes, done)
}

// runProbes tries the client-first probes in order, stopping at the first
// that matches. done, when not nil, is the outcome of a probe already run.
func (l *layer) runProbes(ctx context.Context, s *facts.Service, probes []probe, done *outcome) bool {
	queue := append([]probe(nil), probes...)
	var firstAnswer []byte
	echoed := false
	unknown := func() bool {
		s.Name = facts.Unknown
		if firstAnswer != nil {
			s.Banner = snippet(firstAnswer)
		} else if echoed {
			s.SetDetail(facts.DetailEcho, "yes")
		}
		return false
	}
	for ctx.Err() == nil {
		var o outcome
		switch {
		case done != nil:
			o, done = *done, nil
		case len(queue) > 0:
			o = l.run(ctx, s, queue[0])
			queue = queue[1:]
		default:
			return unknown()
		}
		if o.err == nil {
			*s = o.s
			return true
		}
		if len(o.resp) == 0 {
			echoed = echoed || errors.Is(o.err, errEcho)
			continue
		}
		if firstAnswer == nil {
			firstAnswer = o.resp
		}
		// A slow banner, or an error message, may identify the server.
		tmp := clone(s)
		if l.matchBanner(ctx, nil, o.resp, &tmp) {
			*s = tmp
			return true
		}
		// An answer in another protocol's words: try that protocol next.
		if h := answerHint(o.resp); h != "" {
			queue = moveFirst(queue, h)
		}
	}
	return unknown()
}

// matchBanner runs the banner matchers over b. c is the connection b came
// from when it is still usable for a follow-up exchange, else nil.
func (l *layer) matchBanner(ctx context.Context, c net.Conn, b []byte, s *facts.Service) bool {
	for _, m := range bannerMatchers {
		tmp := clone(s)
		f, err := m.match(b, &tmp)
		if err != nil {
			continue
		}
		if f != nil {
			var resp []byte
			if c != nil {
				resp, _ = wire.Exchange(ctx, c, f.req, lineCap, l.opt.Timeout, f.done)
			}
			f.next(resp, &tmp)
		}
		*s = tmp
		return true
	}
	return false
}

// bannerWaitFor is the banner wait on port: BannerWait, or Timeout where a
// server-first protocol is customary (a slow greeting, such as a mail
// server's after its DNS look-ups, is then still read as a banner).
func bannerWaitFor(opt Options, port uint16, overTLS bool) time.Duration {
	if serverFirstPort(port, overTLS) {
		return max(opt.BannerWait, opt.Timeout)
	}
	return opt.BannerWait
}

// readBanner waits up to wait for the server's first bytes and, once some
// arrived, up to timeout more for the banner to be complete.
func readBanner(ctx context.Context, c net.Conn, wait, timeout time.Duration) []byte {
	b, _ := wire.ReadSome(ctx, c, bannerCap, wait)
	if len(b) == 0 || len(b) >= bannerCap || bannerComplete(b) {
		return b
	}
	more, _ := wire.ReadUntil(ctx, c, bannerCap-len(b), timeout, func(m []byte) bool {
		return bannerComplete(concat(b, m))
	})
	return append(b, more...)
}

// bannerComplete reports whether b looks like a whole server-first greeting:
// a complete MySQL packet, a run of complete Telnet commands, or text lines
// ending a (possibly multi-line) reply. Control bytes in the first line end
// the wait too: no text matcher accepts them, so more bytes cannot help.
func bannerComplete(b []byte) bool {
	if n, ok := mysqlPacketLen(b); ok {
		return len(b) >= n
	}
	if len(b) > 0 && b[0] == telnetIAC {
		return telnetComplete(b)
	}
	line := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line = b[:i]
	}
	if !printableText(line) {
		return true
	}
	return reply.Complete(b)
}

// ordered returns probes with those named in hints first, in hint order.
func ordered(probes []probe, hints []string) []probe {
	return orderedBy(probes, func(p probe) string { return p.name }, hints)
}

// orderedBy returns items with those whose name is in hints first, in hint
// order, then the others in their order. Hints come from the port number:
// they only change the order, never what is tried.
func orderedBy[T any](items []T, name func(T) string, hints []string) []T {
	out := make([]T, 0, len(items))
	used := make([]bool, len(items))
	for _, h := range hints {
		for i, it := range items {
			if !used[i] && name(it) == h {
				out, used[i] = append(out, it), true
			}
		}
	}
	for i, it := range items {
		if !used[i] {
			out = append(out, it)
		}
	}
	return out
}

// answerHint names the probe whose protocol an unmatched answer is
// written in: an HTTP error to a non-HTTP probe, a RESP or memcached error
// to the other's command, MongoDB's note about HTTP on its port.
func answerHint(resp []byte) string {
	switch {
	case bytes.Contains(resp, []byte("trying to access MongoDB over HTTP")):
		return "mongodb"
	case bytes.HasPrefix(resp, []byte("HTTP/")):
		return "http"
	case bytes.HasPrefix(resp, []byte("RTSP/")):
		return "rtsp"
	case bytes.Contains(resp, []byte("@PJL")):
		return "jetdirect"
	case bytes.HasPrefix(resp, []byte("-ERR ")), bytes.HasPrefix(resp, []byte("-WRONGTYPE ")):
		return "redis"
	case bytes.HasPrefix(resp, []byte("ERROR\r\n")), bytes.HasPrefix(resp, []byte("CLIENT_ERROR ")),
		bytes.HasPrefix(resp, []byte("SERVER_ERROR ")):
		return "memcached"
	case bytes.HasPrefix(resp, []byte("AMQP")):
		return "amqp"
	}
	return ""
}

// moveFirst moves the probe named name to the front of queue, if present.
func moveFirst(queue []probe, name string) []probe {
	for i, p := range queue {
		if p.name == name {
			out := append([]probe{p}, queue[:i]...)
			return append(out, queue[i+1:]...)
		}
	}
	return queue
}

// exchange opens a fresh connection at layer l, sends req and reads the
// answer until done, up to max bytes within the probe timeout.
func (l *layer) exchange(ctx context.Context, req []byte, max int, done func([]byte) bool) ([]byte, error) {
	c, err := l.open(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return wire.Exchange(ctx, c, req, max, l.opt.Timeout, done)
}

// errEcho says a server sent back the bytes it was sent.
var errEcho = errors.New("the server sent back the very bytes it was sent (an echo service), which names no protocol")

// echoConn remembers the first bytes written to and read from a
// connection, to tell an echo service (RFC 862) or a loopback from a
// server: no protocol vigil probes answers a request with the request
// itself (PJL repeats its command but not the escape sequence before it;
// DNS, RPC and NTP change the bytes after the id), and an echo's answer
// would pass for the protocol of whatever was sent (AMQP's header, PJL's
// INFO ID).
type echoConn struct {
	net.Conn
	mu        sync.Mutex
	sent, got []byte
}

// echoWindow is how many first bytes of each direction are compared.
const echoWindow = 64

func (c *echoConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.mu.Lock()
	c.sent = append(c.sent, b[:min(n, echoWindow-len(c.sent))]...)
	c.mu.Unlock()
	return n, err
}

func (c *echoConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	c.got = append(c.got, b[:min(n, echoWindow-len(c.got))]...)
	c.mu.Unlock()
	return n, err
}

// echoed reports whether the server's first bytes are the first bytes
// it was sent (at least 4 of them).
func (c *echoConn) echoed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := min(len(c.sent), echoWindow)
	return k >= 4 && len(c.got) >= k && bytes.Equal(c.got[:k], c.sent[:k])
}

// clone returns a copy of s whose Details map can be changed independently.
func clone(s *facts.Service) facts.Service {
	c := *s
	if s.Details != nil {
		c.Details = maps.Clone(s.Details)
	}
	return c
}

func concat(a, b []byte) []byte {
	out := make([]byte, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// snippet is the printable form of bytes a server sent, for Banner.
func snippet(b []byte) string { return printable(b, sanitize.BannerMax) }

// firstLine is the printable first line of b, for Banner.
func firstLine(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	return printable(b, sanitize.BannerMax)
}

// clean makes a network string printable and caps it at max runes.
func clean(s string, max int) string { return printable([]byte(s), max) }

// printable is sanitize.Printable capped at max runes of output (escapes
// included, the "…" of a cut too), not only max runes of input.
func printable(b []byte, limit int) string { return module.Printable(b, limit) }

// noMatch wraps ErrNoMatch with the probe's name and a reason.
func noMatch(proto, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrNoMatch, proto, fmt.Sprintf(format, args...))
}

// ioNoMatch explains a probe that got no usable answer, keeping the I/O
// error for detail.
func ioNoMatch(proto string, err error) error {
	if err == nil {
		return noMatch(proto, "no answer")
	}
	return fmt.Errorf("%w: %s: %w", ErrNoMatch, proto, err)
}

// fillRandom fills b with random bytes (identifiers, salts: not secrets).
func fillRandom(b []byte) {
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
}

// rand16 returns a random 16-bit identifier.
func rand16() uint16 { return uint16(rand.Uint32()) }
