package sshaudit

import (
	"context"
	//lint:ignore SA1019 DSA host keys are exactly what this audit must recognise and size.
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// Steps of an x/crypto/ssh connection that its deadline covers: connect is
// the Dialer's; then identification, KEXINIT and key exchange reply; the
// authentication probe adds the service accept and the "none" reply.
const (
	hostKeySteps = 3
	authSteps    = 5
)

// maxClientRead caps what one x/crypto/ssh connection may read: a key
// exchange reply with the largest group-exchange prime and host key is a
// few kilobytes.
const maxClientRead = 256 << 10

// errCaptured aborts a handshake once the host key has been recorded.
var errCaptured = errors.New("vigil: host key recorded, closing")

// errNoMethods reports a "none" answer that named no method.
var errNoMethods = errors.New(`the server named no authentication method in answer to a "none" request`)

// errProbed aborts authentication once the server's methods are known.
var errProbed = errors.New("vigil: authentication methods recorded, closing")

// clientAlgorithms is what vigil's SSH client offers: everything
// x/crypto/ssh implements, legacy algorithms included so old servers still
// negotiate, fast key exchanges first.
func clientAlgorithms() ssh.Algorithms {
	sup, ins := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	kex := []string{
		ssh.KeyExchangeCurve25519, ssh.KeyExchangeMLKEM768X25519,
		ssh.KeyExchangeECDHP256, ssh.KeyExchangeECDHP384, ssh.KeyExchangeECDHP521,
	}
	kex = appendNew(kex, sup.KeyExchanges...)
	kex = appendNew(kex, ins.KeyExchanges...)
	return ssh.Algorithms{
		KeyExchanges: kex,
		Ciphers:      appendNew(slices.Clone(sup.Ciphers), ins.Ciphers...),
		MACs:         appendNew(slices.Clone(sup.MACs), ins.MACs...),
		HostKeys:     appendNew(slices.Clone(sup.HostKeys), ins.HostKeys...),
	}
}

// appendNew appends the names not in dst yet.
func appendNew(dst []string, names ...string) []string {
	for _, n := range names {
		if !slices.Contains(dst, n) {
			dst = append(dst, n)
		}
	}
	return dst
}

// clientConfig returns an x/crypto/ssh client configuration offering every
// algorithm vigil's client knows, with the given host-key algorithms.
func clientConfig(user string, hostKeyAlgs []string) *ssh.ClientConfig {
	a := clientAlgorithms()
	cfg := &ssh.ClientConfig{
		User:              user,
		ClientVersion:     ClientIdent,
		HostKeyAlgorithms: hostKeyAlgs,
	}
	cfg.KeyExchanges = a.KeyExchanges
	cfg.Ciphers = a.Ciphers
	cfg.MACs = a.MACs
	return cfg
}

// keyFamily names the key a host-key algorithm signs with: the three RSA
// signature algorithms (RFC 8332) share one RSA key, so one fetch serves
// them all.
func keyFamily(alg string) string {
	switch alg {
	case ssh.KeyAlgoRSA, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512:
		return ssh.KeyAlgoRSA
	}
	return alg
}

// hostKeysToFetch returns the offered host-key algorithms whose key must be
// fetched: one per key family not already covered, and only those vigil's
// client implements; for the others, one error each.
func hostKeysToFetch(offered, covered []string) ([]string, []error) {
	supported := clientAlgorithms().HostKeys
	var families []string
	for _, c := range covered {
		if c != "" {
			families = append(families, keyFamily(c))
		}
	}
	var fetch []string
	var errs []error
	for _, a := range offered {
		switch {
		case slices.Contains(families, keyFamily(a)):
		case slices.Contains(supported, a):
			fetch = append(fetch, a)
			families = append(families, keyFamily(a))
		default:
			errs = append(errs, fmt.Errorf("SSH host key for %s not fetched: vigil's SSH client does not implement that algorithm", a))
		}
	}
	return fetch, errs
}

// hostKeysInOrder returns the key of every offered algorithm, in the
// server's order: the key fetched for it, or else the key of its family.
func hostKeysInOrder(offered []string, keys map[string]facts.SSHHostKey) []facts.SSHHostKey {
	var out []facts.SSHHostKey
	for _, a := range offered {
		k, ok := keys[a]
		if !ok {
			for alg, fk := range keys {
				if keyFamily(alg) == keyFamily(a) {
					k, ok = fk, true
					k.Algorithm = a
					break
				}
			}
		}
		if ok && !slices.ContainsFunc(out, func(x facts.SSHHostKey) bool { return x.Algorithm == a }) {
			out = append(out, k)
		}
	}
	return out
}

// probeHostKeys fetches, all at once, the host key of every algorithm of
// algs, each connection holding a slot of sem. It returns the keys by
// algorithm and one error per key it could not fetch.
func probeHostKeys(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, opt Options, sem chan struct{}, algs []string) (map[string]facts.SSHHostKey, []error) {
	var wg sync.WaitGroup
	keys := make([]*facts.SSHHostKey, len(algs))
	keyErrs := make([]error, len(algs))
	for i, alg := range algs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			keys[i], keyErrs[i] = fetchHostKey(ctx, d, addr, opt, alg)
		})
	}
	wg.Wait()
	got := map[string]facts.SSHHostKey{}
	var errs []error
	for i, alg := range algs {
		if keys[i] != nil {
			got[alg] = *keys[i]
		} else {
			errs = append(errs, keyErrs[i])
		}
	}
	return got, errs
}

// fetchHostKey completes a key exchange restricted to one host-key algorithm
// and records the key the server proved, then closes the connection.
func fetchHostKey(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, opt Options, alg string) (*facts.SSHHostKey, error) {
	var got atomic.Pointer[facts.SSHHostKey]
	cfg := clientConfig(opt.User, []string{alg})
	cfg.HostKeyCallback = func(_ string, _ net.Addr, key ssh.PublicKey) error {
		got.Store(hostKeyFacts(alg, key))
		return errCaptured
	}
	c, err := handshake(ctx, d, addr, opt.Timeout, hostKeySteps, cfg)
	if c != nil {
		_ = c.Close()
	}
	if k := got.Load(); k != nil {
		return k, nil
	}
	if err == nil {
		err = errors.New("the handshake ended without a host key")
	}
	return nil, fmt.Errorf("cannot fetch the SSH host key for %s from %s: %w", alg, addr, err)
}

// authResult is what the authentication probe learnt: the methods and,
// since its connection completes a key exchange too, one host key.
type authResult struct {
	methods []string
	key     *facts.SSHHostKey
	err     error
}

// authHostKeyOrder is the host-key preference of the authentication probe:
// fast signatures first. The key it negotiates is the first of these the
// server offers (RFC 4253 §7.1), which the audit then need not fetch again.
func authHostKeyOrder() []string {
	first := []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	return appendNew(first, clientAlgorithms().HostKeys...)
}

// negotiatedHostKey returns the host-key algorithm a client preferring
// client negotiates with a server offering server, or "".
func negotiatedHostKey(client, server []string) string {
	for _, c := range client {
		if slices.Contains(server, c) {
			return c
		}
	}
	return ""
}

// probeAuth learns the authentication methods the server offers. x/crypto/ssh
// always starts with a "none" request; its AuthCallback is called with the
// methods the server listed in its SSH_MSG_USERAUTH_FAILURE before any other
// request is sent, and returning an error from it ends authentication there
// (client_auth.go, clientAuthenticate). No password is sent, nothing is
// signed. A server that accepts "none" is recorded as offering "none". The
// host key of the key exchange is kept too.
func probeAuth(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, opt Options) authResult {
	var r authResult
	var key ssh.PublicKey
	called := false
	cfg := clientConfig(opt.User, authHostKeyOrder())
	cfg.HostKeyCallback = func(_ string, _ net.Addr, k ssh.PublicKey) error {
		key = k
		return nil
	}
	cfg.AuthCallback = func(ac *ssh.ClientAuthContext) (ssh.AuthMethod, error) {
		if key != nil {
			r.key = hostKeyFacts(ac.Algorithms.HostKey, key)
		}
		for _, m := range ac.AllowedMethods {
			if m != "" {
				r.methods = append(r.methods, sanitize.String(m, maxNameRunes))
			}
		}
		// x/crypto/ssh also calls back, with no methods, when the "none"
		// request failed for another reason (the connection broke), so an
		// empty list counts as not learnt.
		if len(r.methods) == 0 {
			return nil, errNoMethods
		}
		called = true
		return nil, errProbed
	}
	c, err := handshake(ctx, d, addr, opt.Timeout, authSteps, cfg)
	switch {
	case called:
		if c != nil {
			_ = c.Close()
		}
		return r
	case err == nil:
		// The server let the "none" request in: no credential at all.
		if am, ok := c.(ssh.AlgorithmsConnMetadata); ok && key != nil {
			r.key = hostKeyFacts(am.Algorithms().HostKey, key)
		}
		_ = c.Close()
		r.methods = []string{"none"}
		return r
	}
	r.methods = nil
	r.err = fmt.Errorf("cannot learn the SSH authentication methods of %s: %w", addr, err)
	return r
}

// handshake dials addr and runs an x/crypto/ssh client handshake over a
// connection whose reads are capped and which must finish within
// steps×timeout (or when ctx ends). The connection is returned only when the
// handshake succeeded.
func handshake(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, timeout time.Duration, steps int, cfg *ssh.ClientConfig) (ssh.Conn, error) {
	raw, err := d.Dial(ctx, "tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	limit := time.Duration(steps) * timeout
	_ = raw.SetDeadline(time.Now().Add(limit))
	c := &cappedConn{Conn: raw, left: maxClientRead}
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	conn, chans, reqs, err := ssh.NewClientConn(c, addr.String(), cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, describeClient(err, limit)
	}
	go ssh.DiscardRequests(reqs)
	go func() {
		for ch := range chans {
			_ = ch.Reject(ssh.Prohibited, "vigil opens no channels")
		}
	}()
	return conn, nil
}

// describeClient rewords an x/crypto/ssh handshake error, made printable:
// x/crypto/ssh quotes what the server sent (its algorithm names, its
// disconnect message) in its errors.
func describeClient(err error, limit time.Duration) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		err = fmt.Errorf("no complete answer within %v: %w", limit, err)
	} else {
		err = describe(err, limit)
	}
	return &printableError{msg: sanitize.String(err.Error(), maxErrorRunes), err: err}
}

// maxErrorRunes caps an error message kept from x/crypto/ssh.
const maxErrorRunes = 600

// printableError carries an error whose message came partly from the
// network, made printable and capped.
type printableError struct {
	msg string
	err error
}

func (e *printableError) Error() string { return e.msg }
func (e *printableError) Unwrap() error { return e.err }

// cappedConn fails reads once a connection has delivered its cap.
type cappedConn struct {
	net.Conn
	mu   sync.Mutex
	left int
}

// Read reads at most the bytes left under the cap.
func (c *cappedConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	left := c.left
	c.mu.Unlock()
	if left <= 0 {
		return 0, fmt.Errorf("the server sent more than %d bytes during the handshake", maxClientRead)
	}
	n, err := c.Conn.Read(b[:min(len(b), left)])
	c.mu.Lock()
	c.left -= n
	c.mu.Unlock()
	return n, err
}

// hostKeyFacts describes a host key as ssh-keygen would.
func hostKeyFacts(alg string, key ssh.PublicKey) *facts.SSHHostKey {
	plain := key
	if cert, ok := key.(*ssh.Certificate); ok {
		plain = cert.Key
	}
	return &facts.SSHHostKey{
		Algorithm:   alg,
		Type:        key.Type(),
		Bits:        keyBits(plain),
		Fingerprint: ssh.FingerprintSHA256(plain),
	}
}

// keyBits returns the size of a public key: the RSA modulus, the DSA prime
// p, the ECDSA curve; Ed25519 counts as 256; 0 when unknown.
func keyBits(key ssh.PublicKey) int {
	cp, ok := key.(ssh.CryptoPublicKey)
	if !ok {
		return 0
	}
	switch k := cp.CryptoPublicKey().(type) {
	case *rsa.PublicKey:
		return k.N.BitLen()
	case *dsa.PublicKey:
		return k.P.BitLen()
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return 256
	}
	return 0
}
