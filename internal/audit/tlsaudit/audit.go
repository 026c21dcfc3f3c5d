// Package tlsaudit audits one TLS endpoint: which protocol versions from
// SSLv2 to TLS 1.3 it accepts, every cipher suite it accepts with each,
// whether it imposes its own order, and its certificate chain, trust and
// name. It writes its own ClientHello messages (crypto/tls cannot offer
// legacy suites) and reads only as far as the ServerHello, on a fresh
// connection per handshake, many in parallel; the certificate chain comes
// from a crypto/tls handshake, or from the raw Certificate message when
// crypto/tls cannot talk to the server. STARTTLS upgrades for SMTP, IMAP,
// POP3, FTP, LDAP, PostgreSQL and MySQL run before every handshake.
package tlsaudit

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/tlsinfo"
	"github.com/vigilsec/vigil/internal/wire"
)

// ErrNoVersion means the server answered every hello but accepted none.
var ErrNoVersion = errors.New("no protocol version accepted")

// DefaultParallel is the number of handshakes in flight when
// Options.Parallel is zero.
const DefaultParallel = 8

// Options tune one audit.
type Options struct {
	// StartTLS is "" when TLS starts at the first byte, else the protocol
	// to upgrade from: smtp, imap, pop3, ftp, ldap, postgresql, mysql or
	// rdp (X.224 negotiation of PROTOCOL_SSL or PROTOCOL_HYBRID).
	StartTLS string
	// ServerName is sent as SNI and is the name the certificate must
	// match; "" matches the certificate against the IP address.
	ServerName string
	// Roots are the trusted roots (system roots plus --tls-ca); nil means
	// the system roots.
	Roots *x509.CertPool
	// Timeout bounds each handshake (connection, STARTTLS and answer);
	// zero means the dialer's timeout.
	Timeout time.Duration
	// Parallel is the number of handshakes in flight against the
	// endpoint; zero means DefaultParallel.
	Parallel int
	// HTTP is true when the service speaks HTTP over TLS: the BREACH
	// probe then asks for a compressed page.
	HTTP bool
	// NoProbes skips the vulnerability probes (facts.TLS.Probes stays nil).
	NoProbes bool
	// Clock tells the time when a certificate chain arrives: the chain is
	// verified, and its dates judged, at the moment of the handshake that
	// delivered it (facts.TLS.Checked). Nil means time.Now; tests set it
	// to play a handshake at another date.
	Clock func() time.Time
}

// Validate reports options that cannot work.
func (o Options) Validate() error {
	switch o.StartTLS {
	case "", StartSMTP, StartIMAP, StartPOP3, StartFTP, StartLDAP, StartPostgreSQL, StartMySQL, StartRDP:
	default:
		return fmt.Errorf("STARTTLS protocol %q: use one of smtp, imap, pop3, ftp, ldap, postgresql, mysql, rdp", o.StartTLS)
	}
	if o.Timeout < 0 {
		return fmt.Errorf("TLS audit timeout %v: must not be negative", o.Timeout)
	}
	if o.Parallel < 0 {
		return fmt.Errorf("TLS audit parallelism %d: must not be negative", o.Parallel)
	}
	return nil
}

// versions are the protocol versions audited, oldest first.
var versions = []struct {
	v    uint16
	name string
}{
	{tlsinfo.VersionSSL2, facts.SSLv2},
	{tlsinfo.VersionSSL3, facts.SSLv3},
	{tlsinfo.VersionTLS10, facts.TLS10},
	{tlsinfo.VersionTLS11, facts.TLS11},
	{tlsinfo.VersionTLS12, facts.TLS12},
	{tlsinfo.VersionTLS13, facts.TLS13},
}

// versionName names a wire version as facts do (tlsinfo owns the names).
func versionName(v uint16) string { return tlsinfo.VersionName(v) }

// Audit inspects the TLS endpoint at addr. It returns an error without facts
// when no handshake could be made at all (nothing listens, the STARTTLS
// upgrade fails, the server is not TLS or never finishes answering), and
// facts with an error when the audit completed only in part (the error says
// what is missing). Every connection goes through d.
func Audit(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, opt Options) (*facts.TLS, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if d == nil {
		return nil, errors.New("TLS audit: no dialer")
	}
	a := &auditor{d: d, addr: addr, opt: opt, timeout: opt.Timeout}
	if a.timeout == 0 {
		a.timeout = d.Timeout()
	}
	par := opt.Parallel
	if par == 0 {
		par = DefaultParallel
	}
	a.sem = make(chan struct{}, par)
	a.par = par
	a.clock = opt.Clock
	if a.clock == nil {
		a.clock = time.Now
	}
	return a.run(ctx)
}

type auditor struct {
	d       *dialer.Dialer
	addr    netip.AddrPort
	opt     Options
	timeout time.Duration
	sem     chan struct{}
	par     int
	clock   func() time.Time
}

// where names the endpoint in errors.
func (a *auditor) where() string {
	if a.opt.StartTLS != "" {
		return fmt.Sprintf("%s (%s STARTTLS)", a.addr, a.opt.StartTLS)
	}
	return a.addr.String()
}

func (a *auditor) run(ctx context.Context) (*facts.TLS, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Every version at once, each on its own: a probe offering all its
	// suites, then (when accepted) every accepted suite, then the server's
	// order. TLS 1.2 and older probes keep the certificate chain, which
	// they see in the clear.
	out := &facts.TLS{StartTLS: a.opt.StartTLS}
	out.Versions = make([]facts.TLSVersion, len(versions))
	probes := make([]result, len(versions))
	errs := make([]error, len(versions))
	var vw sync.WaitGroup
	for i, v := range versions {
		out.Versions[i] = facts.TLSVersion{Name: v.name}
		vw.Go(func() { probes[i], errs[i] = a.auditVersion(ctx, v.v, &out.Versions[i]) })
	}
	vw.Wait()

	anyAccepted, anyRefused := false, false
	var answers []string
	for i, p := range probes {
		switch p.kind {
		case accepted:
			anyAccepted = true
		case refused:
			anyRefused = true
			answers = append(answers, versions[i].name+": "+p.why)
		case failed:
			answers = append(answers, versions[i].name+": "+p.err.Error())
		}
	}
	if !anyAccepted {
		if !anyRefused {
			return nil, fmt.Errorf("no TLS handshake with %s: %w", a.where(), firstCause(probes))
		}
		return nil, fmt.Errorf("%s accepted no SSL or TLS version (%s): %w", a.where(), strings.Join(answers, "; "), ErrNoVersion)
	}

	// The chain: from the newest probe that carried one; a TLS 1.3-only
	// server encrypts it, so then it comes through crypto/tls.
	var chain [][]byte
	var chainAt time.Time
	var chainErr error
	for i := len(probes) - 1; i >= 0 && len(chain) == 0; i-- {
		chain, chainAt = probes[i].certs, probes[i].at
	}
	if len(chain) == 0 {
		chain, chainAt, chainErr = a.fetchChain(ctx)
	}
	name := a.opt.ServerName
	if name == "" {
		name = a.addr.Addr().Unmap().String()
	}
	if len(chain) > 0 {
		judgeChain(out, chain, a.opt.Roots, name, chainAt)
	} else {
		out.NameChecked = name
		out.Checked = a.clock().UTC()
		err := errors.New("the server sent no certificate")
		if chainErr != nil {
			err = fmt.Errorf("no certificate chain: %w", chainErr)
		}
		out.TrustError = err.Error()
		errs = append(errs, err)
	}
	if !a.opt.NoProbes {
		out.Probes = a.probe(ctx, out)
	}
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("TLS audit of %s incomplete: %w", a.where(), err)
	}
	return out, nil
}

// auditVersion probes one version and, when it is accepted, fills fv with
// every accepted suite and the server's order. It returns the probe and
// what could not be completed.
func (a *auditor) auditVersion(ctx context.Context, v uint16, fv *facts.TLSVersion) (result, error) {
	p := a.handshake(ctx, v, offer(v), v != tlsinfo.VersionTLS13)
	if p.kind != accepted {
		return p, nil
	}
	fv.Accepted = true
	ids := p.kinds // SSLv2: the SERVER-HELLO lists them all at once
	var errs []error
	if v != tlsinfo.VersionSSL2 {
		var err error
		var chain []uint32
		ids, chain, err = a.enumerate(ctx, v, p.suite)
		errs = append(errs, err)
		if len(ids) >= 2 {
			order, ranked, err := a.serverOrder(ctx, v, ids, chain)
			fv.ServerOrder = order
			if ranked != nil {
				ids = ranked
			}
			errs = append(errs, err)
		}
	}
	for _, id := range ids {
		fv.Suites = append(fv.Suites, facts.Suite{ID: id, Name: tlsinfo.Name(id)})
	}
	return p, errors.Join(errs...)
}

// firstCause returns the error of the newest version's failed probe (the
// one most likely to be understood).
func firstCause(probes []result) error {
	for i := len(probes) - 1; i >= 0; i-- {
		if probes[i].err != nil {
			return probes[i].err
		}
	}
	return errors.New("no answer")
}

// offer returns the suite numbers a hello for version v offers.
func offer(v uint16) []uint32 {
	list := tlsinfo.ForVersion(v)
	ids := make([]uint32, len(list))
	for i, s := range list {
		ids[i] = s.ID
	}
	return ids
}

// splitAfter is how many suites of one version a server may accept before
// enumeration goes parallel.
const splitAfter = 4

// enumerate finds every suite version v accepts, knowing first (the
// server's pick among them all) is one: it offers what remains, drops the
// suite the server picks and offers again until refused. That costs one
// handshake per accepted suite plus one, and when the server imposes its
// order the picks come in that order (chain, nil otherwise). Past
// splitAfter picks the rest is split into chunks enumerated the same way in
// parallel, so a server accepting dozens of suites costs few round trips.
// The suites are returned sorted.
func (a *auditor) enumerate(ctx context.Context, v uint16, first uint32) (found, chain []uint32, err error) {
	cands := slices.DeleteFunc(offer(v), func(id uint32) bool { return id == first })
	chain = []uint32{first}
	for len(chain) <= splitAfter {
		more, done, err := a.pick(ctx, v, &cands, 1)
		chain = append(chain, more...)
		if err != nil || done {
			return slices.Sorted(slices.Values(chain)), chainIf(err == nil, chain), err
		}
	}
	size := max((len(cands)+a.par-1)/a.par, 8)
	var mu sync.Mutex
	found = slices.Clone(chain)
	var errs []error
	var wg sync.WaitGroup
	for start := 0; start < len(cands); start += size {
		chunk := slices.Clone(cands[start:min(start+size, len(cands))])
		wg.Go(func() {
			more, _, err := a.pick(ctx, v, &chunk, len(chunk))
			mu.Lock()
			defer mu.Unlock()
			found = append(found, more...)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	slices.Sort(found)
	return found, nil, errors.Join(errs...)
}

// pick offers cands up to n times, each time dropping the suite the server
// chose, and returns the choices; done reports that the server refused
// what was left (or nothing is left).
func (a *auditor) pick(ctx context.Context, v uint16, cands *[]uint32, n int) (picks []uint32, done bool, err error) {
	for range n {
		if len(*cands) == 0 {
			return picks, true, nil
		}
		r := a.handshake(ctx, v, *cands, false)
		switch r.kind {
		case failed:
			return picks, false, fmt.Errorf("%s suites: %w", versionName(v), r.err)
		case refused:
			return picks, true, nil
		}
		picks = append(picks, r.suite)
		*cands = slices.DeleteFunc(*cands, func(id uint32) bool { return id == r.suite })
	}
	return picks, len(*cands) == 0, nil
}

func chainIf(ok bool, chain []uint32) []uint32 {
	if ok {
		return chain
	}
	return nil
}

// serverOrder tells whether the server picks by its own preference: offered
// the accepted suites in one order and then reversed, a server that picks
// the same suite both times imposes its order; one that picks each list's
// head follows the client. When it imposes its order, the list is ranked by
// offering what remains and taking the server's choice each time. A
// complete chain of picks from enumeration needs one handshake instead
// (chainOrder).
func (a *auditor) serverOrder(ctx context.Context, v uint16, acc, chain []uint32) (*bool, []uint32, error) {
	if len(chain) == len(acc) {
		return a.chainOrder(ctx, v, chain)
	}
	rev := slices.Clone(acc)
	slices.Reverse(rev)
	var r1, r2 result
	var wg sync.WaitGroup
	wg.Go(func() { r1 = a.handshake(ctx, v, acc, false) })
	wg.Go(func() { r2 = a.handshake(ctx, v, rev, false) })
	wg.Wait()
	if r1.kind != accepted || r2.kind != accepted {
		err := r1.err
		if err == nil {
			err = r2.err
		}
		if err == nil {
			err = errors.New("a suite accepted before was refused")
		}
		return nil, nil, fmt.Errorf("%s server order: %w", versionName(v), err)
	}
	var order bool
	switch {
	case r1.suite == r2.suite:
		order = true
	case r1.suite == acc[0] && r2.suite == rev[0]:
		return &order, nil, nil
	default:
		return nil, nil, nil // neither: a mixed policy (e.g. ChaCha20 preference)
	}
	ranked := []uint32{r1.suite}
	rest := slices.DeleteFunc(slices.Clone(acc), func(id uint32) bool { return id == r1.suite })
	for len(rest) > 1 {
		r := a.handshake(ctx, v, rest, false)
		if r.kind != accepted {
			err := r.err
			if err == nil {
				err = errors.New("a suite accepted before was refused")
			}
			return &order, nil, fmt.Errorf("%s server order ranking: %w", versionName(v), err)
		}
		ranked = append(ranked, r.suite)
		rest = slices.DeleteFunc(rest, func(id uint32) bool { return id == r.suite })
	}
	return &order, append(ranked, rest...), nil
}

// chainOrder tells the server's policy from chain, the suites in the order
// enumeration's picks found them, with one handshake: offered the chain
// reversed, a server imposing its order picks chain[0] again (its
// favourite: the chain is then its ranking), one following the client
// picks the reversed list's head, and any other pick is a mixed policy.
func (a *auditor) chainOrder(ctx context.Context, v uint16, chain []uint32) (*bool, []uint32, error) {
	rev := slices.Clone(chain)
	slices.Reverse(rev)
	r := a.handshake(ctx, v, rev, false)
	if r.kind != accepted {
		err := r.err
		if err == nil {
			err = errors.New("a suite accepted before was refused")
		}
		return nil, nil, fmt.Errorf("%s server order: %w", versionName(v), err)
	}
	order := r.suite == chain[0]
	switch {
	case order:
		return &order, chain, nil
	case r.suite == rev[0]:
		return &order, nil, nil
	}
	return nil, nil, nil
}

// outcome classifies one handshake attempt.
type outcome int

const (
	// failed: no decision (unreachable, STARTTLS failed, garbage, timeout).
	failed outcome = iota
	// refused: the server declined (alert, closed, another version).
	refused
	// accepted: the server chose one of the offered suites at the version.
	accepted
)

// result is the outcome of one handshake attempt.
type result struct {
	kind  outcome
	suite uint32    // the chosen suite
	kinds []uint32  // SSLv2: the cipher kinds in common
	certs [][]byte  // the raw chain when asked for and sent
	at    time.Time // when certs arrived
	why   string    // why refused
	alert *alert    // the alert that refused, if one did
	err   error     // why failed
}

// connect opens a fresh connection and runs the STARTTLS upgrade.
func (a *auditor) connect(ctx context.Context, timeout time.Duration) (net.Conn, error) {
	c, err := a.d.Dial(ctx, "tcp", a.addr, timeout)
	if err != nil {
		return nil, err
	}
	if err := startTLS(ctx, c, a.opt.StartTLS, timeout); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// acquire takes one of the audit's handshake slots.
func (a *auditor) acquire(ctx context.Context) (func(), error) {
	select {
	case a.sem <- struct{}{}:
		return func() { <-a.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// handshake sends one hello at version v offering suites and reads the
// answer, up to the certificate when wantCert. A server that stays silent
// gets one more try with twice the time: a busy server (a login process to
// start, a CPU shared with other handshakes) may miss one deadline, and a
// version must not be reported refused, or the audit fail, for that.
func (a *auditor) handshake(ctx context.Context, v uint16, suites []uint32, wantCert bool) result {
	r, silent := a.handshakeOnce(ctx, v, suites, wantCert, a.timeout)
	if silent && ctx.Err() == nil {
		r, _ = a.handshakeOnce(ctx, v, suites, wantCert, 2*a.timeout)
	}
	return r
}

// handshakeOnce is one try of handshake within timeout per step; silent
// reports that it timed out without a byte from the server.
func (a *auditor) handshakeOnce(ctx context.Context, v uint16, suites []uint32, wantCert bool, timeout time.Duration) (result, bool) {
	release, err := a.acquire(ctx)
	if err != nil {
		return result{err: err}, false
	}
	defer release()
	c, err := a.connect(ctx, timeout)
	if err != nil {
		return result{err: err}, timedOut(err)
	}
	defer c.Close()
	hello, err := a.hello(v, suites)
	if err != nil {
		return result{err: err}, false
	}
	if err := wire.Write(ctx, c, hello, timeout); err != nil {
		if closed(err) {
			return result{kind: refused, why: "closed the connection"}, false
		}
		return result{err: fmt.Errorf("sending the %s hello: %w", versionName(v), err)}, false
	}
	buf, rerr := wire.ReadUntil(ctx, c, maxAnswer, timeout, func(b []byte) bool {
		_, final := scanAnswer(b, wantCert)
		return final
	})
	ans, _ := scanAnswer(buf, wantCert)
	r := interpret(v, suites, ans, len(buf), rerr, timeout)
	if len(r.certs) > 0 {
		r.at = a.clock()
	}
	return r, len(buf) == 0 && timedOut(rerr)
}

// timedOut reports an error that is a deadline passing.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, dialer.ErrTimeout) || (errors.As(err, &ne) && ne.Timeout())
}

// interpret turns a parsed answer into a result.
func interpret(v uint16, suites []uint32, ans answer, n int, rerr error, timeout time.Duration) result {
	vn := versionName(v)
	switch {
	case ans.ssl2 != nil:
		if v != tlsinfo.VersionSSL2 {
			return result{kind: refused, why: "answered in SSLv2"}
		}
		var common []uint32
		for _, k := range ans.ssl2.Kinds {
			if slices.Contains(suites, k) && !slices.Contains(common, k) {
				common = append(common, k)
			}
		}
		if len(common) == 0 {
			return result{kind: refused, why: "SSLv2 SERVER-HELLO with no cipher kind in common"}
		}
		slices.Sort(common)
		return result{kind: accepted, suite: common[0], kinds: common, certs: ans.certs}
	case ans.hello != nil:
		got := ans.hello.Version()
		if v == tlsinfo.VersionSSL2 || got != v {
			return result{kind: refused, why: "chose " + versionName(got)}
		}
		id := uint32(ans.hello.Suite)
		if !slices.Contains(suites, id) {
			return result{err: fmt.Errorf("the server chose suite 0x%04x, which the %s hello did not offer", id, vn)}
		}
		return result{kind: accepted, suite: id, certs: ans.certs}
	case ans.alert != nil:
		return result{kind: refused, why: "alert " + ans.alert.String(), alert: ans.alert}
	case ans.err != nil:
		return result{err: fmt.Errorf("answer to the %s hello: %w", vn, ans.err)}
	}
	switch {
	case errors.Is(rerr, wire.ErrTooLarge):
		return result{err: fmt.Errorf("the server sent %d bytes without completing an answer to the %s hello", n, vn)}
	case rerr != nil && closed(rerr) && n == 0:
		return result{kind: refused, why: "closed the connection"}
	case rerr != nil && closed(rerr):
		return result{err: fmt.Errorf("the server closed the connection after %d bytes of an incomplete answer to the %s hello", n, vn)}
	case errors.Is(rerr, os.ErrDeadlineExceeded) && n == 0:
		return result{err: fmt.Errorf("no answer to the %s hello within %v: %w", vn, timeout, dialer.ErrTimeout)}
	case errors.Is(rerr, os.ErrDeadlineExceeded):
		return result{err: fmt.Errorf("incomplete answer (%d bytes) to the %s hello within %v: %w", n, vn, timeout, dialer.ErrTimeout)}
	case rerr != nil:
		return result{err: fmt.Errorf("reading the answer to the %s hello: %w", vn, rerr)}
	}
	return result{err: fmt.Errorf("no answer to the %s hello", vn)}
}

// closed reports a connection the peer closed or reset.
func closed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

// hello builds the ClientHello for version v.
func (a *auditor) hello(v uint16, suites []uint32) ([]byte, error) {
	if v == tlsinfo.VersionSSL2 {
		ch := make([]byte, 16)
		_, _ = rand.Read(ch)
		return buildSSLv2ClientHello(suites, ch), nil
	}
	p := helloParams{Version: v, ServerName: a.opt.ServerName, Random: make([]byte, 32)}
	_, _ = rand.Read(p.Random)
	for _, s := range suites {
		p.Suites = append(p.Suites, uint16(s))
	}
	if v == tlsinfo.VersionTLS13 {
		key, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("making an X25519 key share: %w", err)
		}
		p.KeyShare = key.PublicKey().Bytes()
		p.SessionID = make([]byte, 32)
		_, _ = rand.Read(p.SessionID)
	}
	return buildClientHello(p), nil
}

// isIPLiteral reports whether s is an IP address rather than a host name.
func isIPLiteral(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// goSuites is every suite crypto/tls implements, insecure ones included,
// so its handshake succeeds with old servers too.
func goSuites() []uint16 {
	var ids []uint16
	for _, s := range tls.CipherSuites() {
		ids = append(ids, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		ids = append(ids, s.ID)
	}
	return ids
}

// fetchChain completes a handshake with crypto/tls and returns the chain
// the server sent and when it arrived. The chain is captured as soon as it
// arrives, so a handshake that fails later still yields it.
func (a *auditor) fetchChain(ctx context.Context) ([][]byte, time.Time, error) {
	release, err := a.acquire(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer release()
	c, err := a.connect(ctx, a.timeout)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(a.timeout)); err != nil {
		return nil, time.Time{}, err
	}
	var raw [][]byte
	var at time.Time
	sni := a.opt.ServerName
	if isIPLiteral(sni) {
		sni = ""
	}
	cfg := &tls.Config{
		ServerName:         sni,
		InsecureSkipVerify: true, // verified by judgeChain against opt.Roots
		MinVersion:         tls.VersionTLS10,
		MaxVersion:         tls.VersionTLS13,
		CipherSuites:       goSuites(),
		VerifyPeerCertificate: func(certs [][]byte, _ [][]*x509.Certificate) error {
			at = a.clock()
			for i, c := range certs {
				if i == maxChainCerts {
					break
				}
				raw = append(raw, slices.Clone(c))
			}
			return nil
		},
	}
	tc := tls.Client(c, cfg)
	err = tc.HandshakeContext(ctx)
	if len(raw) > 0 {
		return raw, at, nil
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("crypto/tls handshake: %w", err)
	}
	return nil, time.Time{}, errors.New("the server sent no certificate")
}
