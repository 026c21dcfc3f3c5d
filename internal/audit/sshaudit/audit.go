// Package sshaudit audits an SSH server from the network: it reads the
// identification string and the server's SSH_MSG_KEXINIT from the wire
// itself, completes one key exchange per offered host-key family (the RSA
// signature algorithms share one key) to learn each host key, and asks
// which authentication methods the server offers without ever sending a
// credential. What it learns becomes facts.SSH; checks judge it elsewhere.
package sshaudit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/wire"
)

// ClientIdent is the identification string vigil sends. It names no known
// client so servers apply no compatibility workarounds to what they offer.
const ClientIdent = "SSH-2.0-vigil"

// DefaultUser is the user name of the "none" authentication request.
const DefaultUser = "root"

// maxParallel caps the connections one audit keeps open at once, below
// OpenSSH's default MaxStartups (10), so the audit is not mistaken for a
// flood and does not starve real users of unauthenticated slots.
const maxParallel = 8

// earlyHostKey is the host-key algorithm whose key is fetched before the
// KEXINIT says what the server offers: RSA, which nearly every server has
// and which the authentication probe, preferring faster signatures, seldom
// proves. When the guess is wrong one connection is wasted.
const earlyHostKey = ssh.KeyAlgoRSASHA512

// maxSkipped caps SSH_MSG_IGNORE and SSH_MSG_DEBUG packets tolerated before
// the KEXINIT.
const maxSkipped = 8

// Options tunes an audit.
type Options struct {
	// Timeout bounds each connection step (connect, identification,
	// KEXINIT, key exchange, authentication reply); zero means the
	// Dialer's default.
	Timeout time.Duration
	// User is the user name for the "none" authentication request;
	// empty means DefaultUser.
	User string
}

// Audit connects to addr and returns what its SSH server offers. When the
// server was reached and spoke SSH but some steps failed (a host key that
// could not be fetched, authentication methods not learnt), Audit returns
// the facts it has together with an error joining one error per failed
// step; Errors splits it for facts.Service.AuditErrors. When nothing useful
// was learnt it returns a nil *facts.SSH. An SSH-1-only server ends the
// audit after its identification string, without error.
func Audit(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, opt Options) (*facts.SSH, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = d.Timeout()
	}
	if opt.User == "" {
		opt.User = DefaultUser
	}
	// The authentication probe needs nothing from the KEXINIT, nor does
	// fetching the RSA host key nearly every server has: both start at
	// once, beside the connection that reads the KEXINIT, and are called
	// off if the server turns out not to speak SSH-2.
	sem := make(chan struct{}, maxParallel)
	earlyCtx, cancelEarly := context.WithCancel(ctx)
	defer cancelEarly()
	authDone := make(chan authResult, 1)
	go func() {
		sem <- struct{}{}
		defer func() { <-sem }()
		authDone <- probeAuth(earlyCtx, d, addr, opt)
	}()
	type keyResult struct {
		key *facts.SSHHostKey
		err error
	}
	rsaDone := make(chan keyResult, 1)
	go func() {
		sem <- struct{}{}
		defer func() { <-sem }()
		k, err := fetchHostKey(earlyCtx, d, addr, opt, earlyHostKey)
		rsaDone <- keyResult{k, err}
	}()

	id, kex, err := readKexInit(ctx, d, addr, opt.Timeout)
	if id == nil || kex == nil {
		cancelEarly()
		<-authDone
		<-rsaDone
	}
	if id == nil {
		return nil, err
	}
	s := &facts.SSH{ProtocolVersion: id.Proto, Software: id.Software}
	if err != nil || kex == nil {
		return s, err
	}
	s.KexAlgorithms = kex.KexAlgorithms
	s.HostKeyAlgorithms = kex.HostKeyAlgorithms
	s.CiphersClientToServer = kex.CiphersClientToServer
	s.CiphersServerToClient = kex.CiphersServerToClient
	s.MACsClientToServer = kex.MACsClientToServer
	s.MACsServerToClient = kex.MACsServerToClient
	s.Compression = kex.CompressionServerClient

	// The authentication probe's key exchange proves one host key: the one
	// of the algorithm it negotiates, which is not fetched twice; nor is
	// the early RSA key when the server offers that algorithm.
	viaAuth := negotiatedHostKey(authHostKeyOrder(), kex.HostKeyAlgorithms)
	covered := []string{viaAuth}
	if slices.Contains(kex.HostKeyAlgorithms, earlyHostKey) {
		covered = append(covered, earlyHostKey)
	}
	fetch, errs := hostKeysToFetch(kex.HostKeyAlgorithms, covered)
	keys, fetchErrs := probeHostKeys(ctx, d, addr, opt, sem, fetch)
	errs = append(errs, fetchErrs...)
	auth := <-authDone
	s.AuthMethods = auth.methods
	if auth.err != nil {
		errs = append(errs, auth.err)
	}
	if r := <-rsaDone; len(covered) > 1 {
		if r.key != nil {
			keys[earlyHostKey] = *r.key
		} else {
			errs = append(errs, r.err)
		}
	}
	if viaAuth != "" {
		if auth.key != nil && auth.key.Algorithm == viaAuth {
			keys[viaAuth] = *auth.key
		} else if k, err := fetchHostKey(ctx, d, addr, opt, viaAuth); err == nil {
			keys[viaAuth] = *k
		} else {
			errs = append(errs, err)
		}
	}
	s.HostKeys = hostKeysInOrder(kex.HostKeyAlgorithms, keys)
	return s, errors.Join(errs...)
}

// Errors returns the messages of an error Audit returned, one per failed
// step, ready to append to facts.Service.AuditErrors.
func Errors(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, Errors(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

// readKexInit exchanges identification strings and reads the server's
// KEXINIT. id is nil when the server did not identify as SSH; kex is nil
// when the server is SSH-1 only or the KEXINIT could not be read (err says
// why, except for SSH-1, which is not an error).
func readKexInit(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, timeout time.Duration) (*Identification, *KexInit, error) {
	c, err := d.Dial(ctx, "tcp", addr, timeout)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	// As with the KEXINIT below, a failed write is not fatal: the server
	// may have sent its identification and closed.
	_ = wire.Write(ctx, c, []byte(ClientIdent+"\r\n"), timeout)
	id, rest, err := readIdentification(ctx, c, timeout)
	if err != nil {
		return nil, nil, fmt.Errorf("no SSH identification string from %s: %w", addr, err)
	}
	if id.SSH1Only() {
		return id, nil, nil
	}
	if !id.SpeaksSSH2() {
		return id, nil, fmt.Errorf("%s announces SSH protocol version %q, which vigil does not know", addr, id.Proto)
	}
	kex, err := readServerKexInit(ctx, c, rest, timeout)
	if err != nil {
		return id, nil, fmt.Errorf("cannot read the SSH key exchange offer (KEXINIT) of %s: %w", addr, err)
	}
	return id, kex, nil
}

// readIdentification reads up to and including the identification string,
// within one timeout for the whole read, and returns the bytes that came
// after it.
func readIdentification(ctx context.Context, c net.Conn, timeout time.Duration) (*Identification, []byte, error) {
	done := func(b []byte) bool {
		_, _, err := ScanIdentification(b)
		return !errors.Is(err, ErrNeedMore)
	}
	b, rerr := wire.ReadUntil(ctx, c, MaxIdentBytes, timeout, done)
	line, n, err := ScanIdentification(b)
	switch {
	case err == nil:
	case errors.Is(err, ErrNeedMore) && rerr != nil:
		return nil, nil, describe(rerr, timeout)
	default:
		return nil, nil, err
	}
	id, err := ParseIdentification(line)
	if err != nil {
		return nil, nil, err
	}
	return &id, b[n:], nil
}

// readServerKexInit sends vigil's KEXINIT (some servers wait for it) and
// reads packets until the server's KEXINIT, skipping a few IGNORE and DEBUG
// messages. The whole exchange shares one timeout.
func readServerKexInit(ctx context.Context, c net.Conn, rest []byte, timeout time.Duration) (*KexInit, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// A failed write is not the end: a server that sent its KEXINIT and
	// closed still told us what it offers, and the read below says best
	// what went wrong otherwise.
	_ = wire.Write(ctx, c, EncodePacket(EncodeKexInit(clientKexInit())), timeout)
	r := &packetReader{c: c, buf: rest, timeout: timeout}
	for range maxSkipped + 1 {
		payload, err := r.next(ctx)
		if err != nil {
			return nil, err
		}
		switch payload[0] {
		case msgKexInit:
			return ParseKexInit(payload)
		case msgIgnore, msgDebug:
			continue
		case msgDisconnect:
			code, desc, _ := ParseDisconnect(payload)
			return nil, fmt.Errorf("the server disconnected (reason %d: \"%s\")", code, desc)
		default:
			return nil, fmt.Errorf("%w: message %d where KEXINIT was expected", ErrBadPacket, payload[0])
		}
	}
	return nil, fmt.Errorf("%w: more than %d IGNORE/DEBUG messages before KEXINIT", ErrBadPacket, maxSkipped)
}

// packetReader reads unencrypted binary packets, first from bytes already
// received, then from the connection through wire.
type packetReader struct {
	c       net.Conn
	buf     []byte
	timeout time.Duration
}

// read returns exactly n bytes.
func (r *packetReader) read(ctx context.Context, n int) ([]byte, error) {
	if len(r.buf) >= n {
		b := r.buf[:n]
		r.buf = r.buf[n:]
		return b, nil
	}
	more, err := wire.ReadFull(ctx, r.c, n-len(r.buf), r.timeout)
	if err != nil {
		return nil, describe(err, r.timeout)
	}
	b := append(r.buf, more...)
	r.buf = nil
	return b, nil
}

// next returns the payload of the next packet.
func (r *packetReader) next(ctx context.Context) ([]byte, error) {
	hdr, err := r.read(ctx, 5)
	if err != nil {
		return nil, err
	}
	length, err := PacketHeader(hdr)
	if err != nil {
		return nil, err
	}
	body, err := r.read(ctx, length-1)
	if err != nil {
		return nil, err
	}
	payload, _, err := ParsePacket(append(slices.Clip(hdr), body...))
	return payload, err
}

// clientKexInit is the KEXINIT vigil sends on the connection it reads the
// server's from: the algorithms its own client offers, so the message is a
// plausible one; the connection closes before any of them is used.
func clientKexInit() *KexInit {
	a := clientAlgorithms()
	return &KexInit{
		KexAlgorithms:           a.KeyExchanges,
		HostKeyAlgorithms:       a.HostKeys,
		CiphersClientToServer:   a.Ciphers,
		CiphersServerToClient:   a.Ciphers,
		MACsClientToServer:      a.MACs,
		MACsServerToClient:      a.MACs,
		CompressionClientServer: []string{"none"},
		CompressionServerClient: []string{"none"},
		LanguagesClientToServer: []string{},
		LanguagesServerToClient: []string{},
	}
}

// wrapped reports whether internal/wire already said the read timed out.
func wrapped(err error) bool { return strings.HasPrefix(err.Error(), "no complete answer") }

// describe rewords common I/O errors in a sysadmin's terms, keeping the
// original wrapped.
func describe(err error, timeout time.Duration) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the server closed the connection: %w", err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no complete answer within %v: %w", timeout, err)
	case errors.Is(err, os.ErrDeadlineExceeded) && !wrapped(err):
		return fmt.Errorf("no complete answer within %v: %w", timeout, err)
	case errors.Is(err, syscall.EPIPE):
		return fmt.Errorf("the server closed the connection: %w", err)
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("the server reset the connection: %w", err)
	case errors.Is(err, wire.ErrTooLarge):
		return fmt.Errorf("the server sent more than expected: %w", err)
	}
	return err
}
