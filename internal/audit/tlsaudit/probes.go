package tlsaudit

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/tlsinfo"
	"github.com/vigilsec/vigil/internal/wire"
)

// Numbers the vulnerability probes send or read.
const (
	extHeartbeat         = 15
	compressionDeflate   = 1
	hsClientKeyExchange  = 16
	alertBadRecordMAC    = 20
	alertDecryptFailed   = 21
	alertUnexpectedMsg   = 10
	alertInappropriateFB = 86
	// heartbeatClaim is the payload length the Heartbleed probe claims
	// while sending none: a vulnerable server answers with that many
	// bytes (its own padding and memory); 32 is enough to decide and
	// lets little memory out.
	heartbeatClaim = 32
	// maxHTTPHead caps the HTTP response head read by the BREACH probe.
	maxHTTPHead = 16 << 10
)

// Probe names, as facts.TLSProbes's JSON names them (NotExamined keys).
const (
	probeHeartbleed   = "heartbleed"
	probeCCS          = "ccs_injection"
	probeROBOT        = "robot"
	probeRenegotiate  = "secure_renegotiation"
	probeClientReneg  = "client_renegotiation"
	probeCompression  = "compression"
	probeHTTPCompress = "http_compression"
	probeDH           = "dh"
	probeFallback     = "fallback_scsv"
	probeOCSP         = "ocsp_stapling"
)

// probe runs the vulnerability probes against an endpoint whose versions
// and suites t already holds. Each probe is one to five handshakes, run
// in parallel; a probe that cannot decide is recorded as not examined,
// never as a verdict.
func (a *auditor) probe(ctx context.Context, t *facts.TLS) *facts.TLSProbes {
	p := &facts.TLSProbes{}
	legacy := legacyVersion(t)
	var mu sync.Mutex
	set := func(f func()) { mu.Lock(); defer mu.Unlock(); f() }
	var wg sync.WaitGroup
	wg.Go(func() {
		r, why := a.probeClientReneg(ctx, t)
		set(func() { p.ClientRenegotiation = r; skipIf(p, probeClientReneg, why) })
	})
	if a.opt.HTTP {
		wg.Go(func() {
			r, why := a.probeBREACH(ctx)
			set(func() { p.HTTPCompression = r; skipIf(p, probeHTTPCompress, why) })
		})
	} else {
		p.Skip(probeHTTPCompress, "not an HTTP service")
	}
	wg.Go(func() {
		r, why := a.probeFallback(ctx, t)
		set(func() { p.FallbackSCSV = r; skipIf(p, probeFallback, why) })
	})
	if legacy == 0 {
		why := "the server accepts no TLS 1.0, 1.1 or 1.2: the probe needs one of them"
		for _, n := range []string{probeHeartbleed, probeCCS, probeROBOT, probeRenegotiate, probeCompression, probeDH, probeOCSP} {
			p.Skip(n, why)
		}
		wg.Wait()
		return p
	}
	p.Version = versionName(legacy)
	suites := acceptedIDs(t, legacy)
	wg.Go(func() {
		b := a.probeBase(ctx, legacy, suites)
		set(func() {
			p.SecureRenegotiation, p.Compression, p.OCSPStapling, p.Heartbleed = b.reneg, b.compression, b.ocsp, b.heartbleed
			for n, why := range b.skip {
				p.Skip(n, why)
			}
		})
	})
	wg.Go(func() {
		r, why := a.probeCCS(ctx, legacy, suites)
		set(func() { p.CCSInjection = r; skipIf(p, probeCCS, why) })
	})
	wg.Go(func() {
		r, why := a.probeROBOT(ctx, t)
		set(func() { p.ROBOT = r; skipIf(p, probeROBOT, why) })
	})
	wg.Go(func() {
		bits, r, why := a.probeDH(ctx, t)
		set(func() { p.DHBits, p.DH = bits, r; skipIf(p, probeDH, why) })
	})
	wg.Wait()
	return p
}

func skipIf(p *facts.TLSProbes, name, why string) {
	if why != "" {
		p.Skip(name, why)
	}
}

// legacyVersion is the newest of TLS 1.2, 1.1 and 1.0 that t accepts, or 0.
func legacyVersion(t *facts.TLS) uint16 {
	for _, v := range []uint16{tlsinfo.VersionTLS12, tlsinfo.VersionTLS11, tlsinfo.VersionTLS10} {
		if t.Accepted(versionName(v)) != nil {
			return v
		}
	}
	return 0
}

// acceptedIDs are the suites t records as accepted with version v.
func acceptedIDs(t *facts.TLS, v uint16) []uint32 {
	fv := t.Accepted(versionName(v))
	if fv == nil {
		return nil
	}
	ids := make([]uint32, 0, len(fv.Suites))
	for _, s := range fv.Suites {
		ids = append(ids, s.ID)
	}
	return ids
}

// withKx keeps the suites whose key exchange is kx.
func withKx(ids []uint32, kx tlsinfo.Kx) []uint32 {
	var out []uint32
	for _, id := range ids {
		if s, ok := tlsinfo.Lookup(id); ok && s.Kx == kx {
			out = append(out, id)
		}
	}
	return out
}

// session is one raw handshake left open after the server's first flight.
type session struct {
	c       net.Conn
	v       uint16
	f       flight
	release func()
}

func (s *session) close() {
	if s.c != nil {
		_ = s.c.Close()
	}
	s.release()
}

// open sends a hello at version v offering suites (edit may change the
// hello's parameters) and reads the server's first flight up to
// ServerHelloDone. The error says why no complete flight came; an alert
// refusing the hello is an error too.
func (a *auditor) open(ctx context.Context, v uint16, suites []uint32, edit func(*helloParams)) (*session, error) {
	release, err := a.acquire(ctx)
	if err != nil {
		return nil, err
	}
	s := &session{v: v, release: release}
	s.c, err = a.connect(ctx, a.timeout)
	if err != nil && timedOut(err) && ctx.Err() == nil {
		// As handshake does: a busy server (a small accept queue, a
		// single-threaded one) gets one more try with twice the time.
		s.c, err = a.connect(ctx, 2*a.timeout)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	p := helloParams{Version: v, ServerName: a.opt.ServerName, Random: make([]byte, 32)}
	_, _ = rand.Read(p.Random)
	for _, id := range suites {
		p.Suites = append(p.Suites, uint16(id))
	}
	if edit != nil {
		edit(&p)
	}
	if err := wire.Write(ctx, s.c, buildClientHello(p), a.timeout); err != nil {
		s.close()
		return nil, fmt.Errorf("sending the %s hello: %w", versionName(v), err)
	}
	buf, rerr := wire.ReadUntil(ctx, s.c, maxAnswer, a.timeout, func(b []byte) bool {
		_, final := scanFlight(b)
		return final
	})
	s.f, _ = scanFlight(buf)
	switch {
	case s.f.err != nil:
		err = s.f.err
	case s.f.alert != nil:
		err = fmt.Errorf("the server refused the %s hello: alert %s", versionName(v), s.f.alert)
	case s.f.hello == nil || !s.f.done:
		err = fmt.Errorf("no complete first flight in answer to the %s hello (%d bytes): %v", versionName(v), len(buf), rerr)
	case s.f.hello.Version() != v:
		err = fmt.Errorf("the server chose %s instead of %s", versionName(s.f.hello.Version()), versionName(v))
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// send writes records on the session.
func (s *session) send(ctx context.Context, b []byte, timeout time.Duration) error {
	return wire.Write(ctx, s.c, b, timeout)
}

// answer reads what the server says next: one complete record, or the
// connection closing, or nothing within timeout.
func (s *session) answer(ctx context.Context, timeout time.Duration) (rec *record, why string) {
	buf, err := wire.ReadUntil(ctx, s.c, maxRecordLen+recordHeaderLen, timeout, func(b []byte) bool {
		recs, _, err := parseRecords(b)
		return err != nil || len(recs) > 0
	})
	recs, _, perr := parseRecords(buf)
	switch {
	case len(recs) > 0:
		return &recs[0], ""
	case perr != nil:
		return nil, "answered with something that is not TLS"
	case err != nil && closed(err):
		return nil, "closed the connection"
	case err != nil && (errors.Is(err, os.ErrDeadlineExceeded) || timedOut(err)):
		return nil, fmt.Sprintf("no answer within %v", timeout)
	case err != nil:
		return nil, "read failed: " + err.Error()
	}
	return nil, "no answer"
}

// tlsRecord frames payload as one record of type typ at version v.
func tlsRecord(typ uint8, v uint16, payload []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(typ)
	b.AddUint16(v)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(payload) })
	return b.BytesOrPanic()
}

// describeRecord says what one record the server sent was.
func describeRecord(r *record) string {
	switch r.typ {
	case recAlert:
		if al, err := parseAlert(r.payload); err == nil {
			return "alert " + al.String()
		}
		return "a malformed alert"
	case recHeartbeat:
		return fmt.Sprintf("a heartbeat record of %d bytes", len(r.payload))
	case recHandshake:
		return "a handshake record"
	case recChangeCipherSpec:
		return "a ChangeCipherSpec"
	}
	return fmt.Sprintf("a record of type %d", r.typ)
}

// baseResult is what the base probe learnt.
type baseResult struct {
	reneg, compression, ocsp, heartbleed *facts.TLSProbe
	skip                                 map[string]string
}

// probeBase makes one handshake at version v offering the accepted suites,
// DEFLATE compression, renegotiation_info, status_request and the
// heartbeat extension: the ServerHello tells secure renegotiation,
// compression and OCSP stapling. When the server acknowledges the
// heartbeat extension, a heartbeat request claiming heartbeatClaim bytes
// of payload while carrying none follows on the same connection: RFC 6520
// says to discard it silently, a Heartbleed server answers.
func (a *auditor) probeBase(ctx context.Context, v uint16, suites []uint32) baseResult {
	r := baseResult{skip: map[string]string{}}
	s, err := a.open(ctx, v, suites, func(p *helloParams) {
		p.Compression = []byte{compressionDeflate, 0}
		p.Extra = slices.Concat(
			extBytes(extStatusRequest, []byte{1, 0, 0, 0, 0}), // ocsp, no responder ids, no extensions
			extBytes(extHeartbeat, []byte{1}),                 // peer_allowed_to_send
		)
	})
	if err != nil {
		for _, n := range []string{probeRenegotiate, probeCompression, probeOCSP, probeHeartbleed} {
			r.skip[n] = sanitize.String(err.Error(), 300)
		}
		return r
	}
	defer s.close()
	h := s.f.hello
	vn := versionName(v)
	if slices.Contains(h.Extensions, extRenegotiationInfo) {
		r.reneg = &facts.TLSProbe{Positive: true, Evidence: "the " + vn + " ServerHello carries renegotiation_info (RFC 5746)"}
	} else {
		r.reneg = &facts.TLSProbe{Evidence: "offered renegotiation_info, the " + vn + " ServerHello carries none: no RFC 5746 secure renegotiation"}
	}
	if h.Compression == compressionDeflate {
		r.compression = &facts.TLSProbe{Positive: true, Evidence: "offered DEFLATE and null compression, the server chose DEFLATE"}
	} else {
		r.compression = &facts.TLSProbe{Evidence: fmt.Sprintf("offered DEFLATE and null compression, the server chose method %d", h.Compression)}
	}
	stapled := slices.Contains(h.Extensions, extStatusRequest) && s.f.certStatus
	if stapled {
		r.ocsp = &facts.TLSProbe{Positive: true, Evidence: "offered status_request, the server stapled an OCSP response"}
	} else {
		r.ocsp = &facts.TLSProbe{Evidence: "offered status_request, the server stapled no OCSP response"}
	}
	if !slices.Contains(h.Extensions, extHeartbeat) {
		r.heartbleed = &facts.TLSProbe{Evidence: "offered the heartbeat extension, the server did not acknowledge it"}
		return r
	}
	// type heartbeat_request, payload_length heartbeatClaim, no payload,
	// the 16 bytes of padding RFC 6520 requires.
	msg := append([]byte{1, 0, heartbeatClaim}, make([]byte, 16)...)
	if err := s.send(ctx, tlsRecord(recHeartbeat, v, msg), a.timeout); err != nil {
		r.skip[probeHeartbleed] = "sending the heartbeat request: " + sanitize.String(err.Error(), 200)
		return r
	}
	rec, why := s.answer(ctx, a.timeout)
	switch {
	case rec != nil && rec.typ == recHeartbeat:
		r.heartbleed = &facts.TLSProbe{Positive: true, Evidence: fmt.Sprintf(
			"a heartbeat request claiming %d bytes of payload and carrying none was answered with %d bytes: the server reads past the request (Heartbleed)",
			heartbeatClaim, len(rec.payload))}
	case rec != nil:
		r.heartbleed = &facts.TLSProbe{Evidence: "the heartbeat extension is on; an over-long heartbeat request got " + describeRecord(rec)}
	default:
		r.heartbleed = &facts.TLSProbe{Evidence: "the heartbeat extension is on; an over-long heartbeat request got no heartbeat answer (" + why + ")"}
	}
	return r
}

// extBytes encodes one extension.
func extBytes(typ uint16, data []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint16(typ)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(data) })
	return b.BytesOrPanic()
}

// probeCCS sends two ChangeCipherSpec records right after the server's
// first flight, before any key exchange. A patched server refuses the
// first with unexpected_message; one vulnerable to CVE-2014-0224 takes it,
// switches to keys made from an empty master secret, and fails the second
// record's MAC (bad_record_mac or decryption_failed).
func (a *auditor) probeCCS(ctx context.Context, v uint16, suites []uint32) (*facts.TLSProbe, string) {
	s, err := a.open(ctx, v, suites, nil)
	if err != nil {
		return nil, sanitize.String(err.Error(), 300)
	}
	defer s.close()
	ccs := tlsRecord(recChangeCipherSpec, v, []byte{1})
	if err := s.send(ctx, append(slices.Clone(ccs), ccs...), a.timeout); err != nil {
		if closed(err) {
			return &facts.TLSProbe{Evidence: "closed the connection on an early ChangeCipherSpec"}, ""
		}
		return nil, "sending ChangeCipherSpec: " + sanitize.String(err.Error(), 200)
	}
	rec, why := s.answer(ctx, a.timeout)
	if rec == nil {
		return &facts.TLSProbe{Evidence: "two early ChangeCipherSpec records: the server " + why}, ""
	}
	desc := describeRecord(rec)
	if rec.typ == recAlert && len(rec.payload) == 2 && (rec.payload[1] == alertBadRecordMAC || rec.payload[1] == alertDecryptFailed) {
		return &facts.TLSProbe{Positive: true, Evidence: "two ChangeCipherSpec records before any key exchange: the server took the first and answered the second with " + desc + " (CVE-2014-0224)"}, ""
	}
	return &facts.TLSProbe{Evidence: "an early ChangeCipherSpec was answered with " + desc}, ""
}

// robotVariants are the premaster secrets of the ROBOT test (Böck,
// Somorovsky, Young, 2018), each PKCS #1 v1.5 encrypted to the server's
// key: well formed, wrong first bytes, 0x00 separator too early, no 0x00
// separator, wrong protocol version inside.
var robotVariants = []string{"well-formed", "wrong first bytes", "0x00 too early", "no 0x00 separator", "wrong version"}

// robotMessage builds variant i's encoded message for a k-byte modulus.
func robotMessage(i, k int, v uint16) []byte {
	m := make([]byte, k)
	m[0], m[1] = 0, 2
	for j := 2; j < k; j++ {
		var b [1]byte
		for b[0] == 0 {
			_, _ = rand.Read(b[:])
		}
		m[j] = b[0]
	}
	sep := k - 49
	m[sep] = 0
	binary.BigEndian.PutUint16(m[sep+1:], v)
	switch i {
	case 1:
		m[0], m[1] = 0x41, 0x17
	case 2:
		m[sep] = 1
		m[11] = 0
	case 3:
		m[sep] = 1
	case 4:
		m[sep+1], m[sep+2] = 0x02, 0x02
	}
	return m
}

// probeROBOT sends, on one connection per variant, a ClientKeyExchange
// with each robotVariants premaster, a ChangeCipherSpec and a bogus
// Finished, and compares the answers: a server without an oracle answers
// them all alike.
func (a *auditor) probeROBOT(ctx context.Context, t *facts.TLS) (*facts.TLSProbe, string) {
	var v uint16
	var suites []uint32
	for _, cand := range []uint16{tlsinfo.VersionTLS12, tlsinfo.VersionTLS11, tlsinfo.VersionTLS10} {
		if ids := withKx(acceptedIDs(t, cand), tlsinfo.KxRSA); len(ids) > 0 {
			v, suites = cand, ids
			break
		}
	}
	if v == 0 {
		return &facts.TLSProbe{Evidence: "no RSA key-exchange suite is accepted with TLS 1.0–1.2"}, ""
	}
	round := func() ([]string, error) {
		answers := make([]string, len(robotVariants))
		errs := make([]error, len(robotVariants))
		var wg sync.WaitGroup
		for i := range robotVariants {
			wg.Go(func() { answers[i], errs[i] = a.robotTry(ctx, v, suites, i) })
		}
		wg.Wait()
		return answers, errors.Join(errs...)
	}
	answers, err := round()
	if err != nil {
		return nil, sanitize.String(err.Error(), 300)
	}
	var parts []string
	differ := false
	for i, ans := range answers {
		parts = append(parts, robotVariants[i]+": "+ans)
		differ = differ || ans != answers[0]
	}
	ev := versionName(v) + " RSA key exchange; " + strings.Join(parts, "; ")
	if !differ {
		return &facts.TLSProbe{Evidence: "the same answer to every padding variant: " + ev}, ""
	}
	// A busy server may miss one deadline: an oracle must answer the same
	// way twice before it is reported.
	again, err := round()
	if err != nil {
		return nil, "ROBOT, second round: " + sanitize.String(err.Error(), 300)
	}
	if !slices.Equal(answers, again) {
		return nil, "answers differed with the padding but changed between two rounds (" + sanitize.String(ev, 300) + "): not decided"
	}
	return &facts.TLSProbe{Positive: true, Evidence: "answers differ with the premaster's padding, the same in two rounds (a Bleichenbacher oracle): " + ev}, ""
}

// robotTry runs one ROBOT variant and describes the server's answer.
func (a *auditor) robotTry(ctx context.Context, v uint16, suites []uint32, i int) (string, error) {
	s, err := a.open(ctx, v, suites, nil)
	if err != nil {
		return "", fmt.Errorf("ROBOT %s: %w", robotVariants[i], err)
	}
	defer s.close()
	if len(s.f.certs) == 0 {
		return "", errors.New("ROBOT: the server sent no certificate")
	}
	leaf, err := x509.ParseCertificate(s.f.certs[0])
	if err != nil {
		return "", fmt.Errorf("ROBOT: the server's certificate: %w", err)
	}
	pub, ok := leaf.PublicKey.(*rsa.PublicKey)
	if !ok {
		return "", errors.New("ROBOT: the certificate's key is not RSA")
	}
	k := (pub.N.BitLen() + 7) / 8
	if k < 64 {
		return "", fmt.Errorf("ROBOT: RSA key of %d bits is too small to test", pub.N.BitLen())
	}
	m := new(big.Int).SetBytes(robotMessage(i, k, v))
	c := new(big.Int).Exp(m, big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, k))

	var hs cryptobyte.Builder
	hs.AddUint8(hsClientKeyExchange)
	hs.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c) })
	})
	finished := make([]byte, 64)
	_, _ = rand.Read(finished)
	flight := slices.Concat(
		tlsRecord(recHandshake, v, hs.BytesOrPanic()),
		tlsRecord(recChangeCipherSpec, v, []byte{1}),
		tlsRecord(recHandshake, v, finished),
	)
	if err := s.send(ctx, flight, a.timeout); err != nil {
		if closed(err) {
			return "closed the connection", nil
		}
		return "", fmt.Errorf("ROBOT: sending the key exchange: %w", err)
	}
	rec, why := s.answer(ctx, a.timeout)
	if rec != nil {
		return describeRecord(rec), nil
	}
	return why, nil
}

// probeDH makes one handshake offering only the DHE suites the server
// accepts, at the newest version that has them, and reads the prime's size
// from the ServerKeyExchange.
func (a *auditor) probeDH(ctx context.Context, t *facts.TLS) (int, *facts.TLSProbe, string) {
	for _, v := range []uint16{tlsinfo.VersionTLS12, tlsinfo.VersionTLS11, tlsinfo.VersionTLS10, tlsinfo.VersionSSL3} {
		ids := withKx(acceptedIDs(t, v), tlsinfo.KxDHE)
		if len(ids) == 0 {
			continue
		}
		s, err := a.open(ctx, v, ids, nil)
		if err != nil {
			return 0, nil, sanitize.String(err.Error(), 300)
		}
		defer s.close()
		bits, err := dhPrimeBits(s.f.ske)
		if err != nil {
			return 0, nil, sanitize.String(err.Error(), 300)
		}
		return bits, &facts.TLSProbe{Positive: true, Evidence: fmt.Sprintf("%s DHE ServerKeyExchange with a %d-bit prime", versionName(v), bits)}, ""
	}
	return 0, &facts.TLSProbe{Evidence: "no DHE suite is accepted"}, ""
}

// dhPrimeBits reads the size of dh_p from a DHE ServerKeyExchange body
// (RFC 5246 7.4.3: dh_p, dh_g, dh_Ys, each with a 2-byte length).
func dhPrimeBits(ske []byte) (int, error) {
	if ske == nil {
		return 0, fmt.Errorf("%w: no ServerKeyExchange", errMalformed)
	}
	s := cryptobyte.String(ske)
	var p, g, y cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&p) || !s.ReadUint16LengthPrefixed(&g) || !s.ReadUint16LengthPrefixed(&y) || len(p) == 0 {
		return 0, fmt.Errorf("%w: DHE ServerKeyExchange of %d bytes", errMalformed, len(ske))
	}
	bits := new(big.Int).SetBytes(p).BitLen()
	if bits == 0 {
		return 0, fmt.Errorf("%w: DHE prime of zero", errMalformed)
	}
	return bits, nil
}

// probeFallback offers the second-newest accepted version with
// TLS_FALLBACK_SCSV: a server that supports RFC 7507 refuses it
// (inappropriate_fallback), since it knows a newer version.
func (a *auditor) probeFallback(ctx context.Context, t *facts.TLS) (*facts.TLSProbe, string) {
	var acc []uint16
	for _, x := range versions {
		if x.v != tlsinfo.VersionSSL2 && t.Accepted(x.name) != nil {
			acc = append(acc, x.v)
		}
	}
	if len(acc) < 2 {
		return nil, "the server accepts a single protocol version: there is nothing to fall back to"
	}
	best, lower := acc[len(acc)-1], acc[len(acc)-2]
	suites := append(acceptedIDs(t, lower), uint32(tlsinfo.FallbackSCSV))
	r := a.handshake(ctx, lower, suites, false)
	what := fmt.Sprintf("a %s hello with TLS_FALLBACK_SCSV (the server supports %s)", versionName(lower), versionName(best))
	switch r.kind {
	case accepted:
		return &facts.TLSProbe{Evidence: what + " was accepted"}, ""
	case refused:
		if r.alert != nil && r.alert.Description == alertInappropriateFB {
			return &facts.TLSProbe{Positive: true, Evidence: what + " was refused with inappropriate_fallback"}, ""
		}
		return &facts.TLSProbe{Positive: true, Evidence: what + " was refused (" + sanitize.String(r.why, 200) + ")"}, ""
	}
	return nil, sanitize.String(r.err.Error(), 300)
}

// flight is the server's first flight in answer to a ClientHello, as far
// as parsed.
type flight struct {
	hello      *serverHello
	certs      [][]byte
	ske        []byte // ServerKeyExchange body
	certStatus bool   // CertificateStatus message seen
	done       bool   // ServerHelloDone seen
	alert      *alert
	err        error
}

// scanFlight parses the bytes received so far in answer to a ClientHello
// up to ServerHelloDone. final reports that nothing more is needed: the
// flight is complete, refused by an alert, the server chose TLS 1.3, or the
// bytes are malformed.
func scanFlight(buf []byte) (f flight, final bool) {
	recs, _, err := parseRecords(buf)
	var hs []byte
	for _, rec := range recs {
		if rec.typ == recAlert {
			al, perr := parseAlert(rec.payload)
			if perr != nil {
				f.err = perr
			} else {
				f.alert = &al
			}
			return f, true
		}
		if rec.typ != recHandshake {
			if f.hello == nil || !f.done {
				f.err = fmt.Errorf("%w: record type %d in the server's first flight", errMalformed, rec.typ)
				return f, true
			}
			break
		}
		hs = append(hs, rec.payload...)
	}
	msgs, _, herr := parseHandshakes(hs)
	if herr != nil {
		f.err = herr
		return f, true
	}
	for _, m := range msgs {
		if f.hello == nil && m.typ != hsServerHello && m.typ != hsHelloRequest {
			f.err = fmt.Errorf("%w: handshake message type %d before ServerHello", errMalformed, m.typ)
			return f, true
		}
		switch m.typ {
		case hsServerHello:
			if f.hello != nil {
				continue
			}
			h, perr := parseServerHello(m.body)
			if perr != nil {
				f.err = perr
				return f, true
			}
			f.hello = &h
			if h.HelloRetry || h.Version() >= tlsinfo.VersionTLS13 {
				return f, true
			}
		case hsCertificate:
			if f.certs == nil {
				certs, perr := parseCertificateMsg(m.body)
				if perr != nil {
					f.err = perr
					return f, true
				}
				f.certs = certs
			}
		case hsServerKeyExch:
			f.ske = bytes.Clone(m.body)
		case hsCertStatus:
			f.certStatus = true
		case hsServerHelloDone:
			f.done = true
			return f, true
		}
	}
	if err != nil {
		f.err = err
		return f, true
	}
	return f, false
}

// probeBREACH completes a handshake with crypto/tls, asks for / with
// Accept-Encoding: gzip,deflate and reads the response head: a compressed
// body is what BREACH needs (besides secrets reflected in the page, which
// vigil cannot see).
func (a *auditor) probeBREACH(ctx context.Context) (*facts.TLSProbe, string) {
	release, err := a.acquire(ctx)
	if err != nil {
		return nil, err.Error()
	}
	defer release()
	c, err := a.connect(ctx, a.timeout)
	if err != nil {
		return nil, sanitize.String(err.Error(), 300)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(a.timeout)); err != nil {
		return nil, err.Error()
	}
	sni := a.opt.ServerName
	if isIPLiteral(sni) {
		sni = ""
	}
	tc := tls.Client(c, &tls.Config{
		ServerName:         sni,
		InsecureSkipVerify: true, // only the HTTP answer matters here
		MinVersion:         tls.VersionTLS10,
		CipherSuites:       goSuites(),
	})
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, "crypto/tls handshake: " + sanitize.String(err.Error(), 200)
	}
	host := a.opt.ServerName
	if host == "" {
		host = a.addr.Addr().Unmap().String()
		if a.addr.Addr().Unmap().Is6() {
			host = "[" + host + "]"
		}
	}
	req := "GET / HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: vigil\r\nAccept: */*\r\nAccept-Encoding: gzip,deflate\r\nConnection: close\r\n\r\n"
	if err := wire.Write(ctx, tc, []byte(req), a.timeout); err != nil {
		return nil, "sending the HTTP request: " + sanitize.String(err.Error(), 200)
	}
	head, err := wire.ReadUntil(ctx, tc, maxHTTPHead, a.timeout, func(b []byte) bool { return bytes.Contains(b, []byte("\r\n\r\n")) })
	status, enc, ok := parseHTTPHead(head)
	if !ok {
		why := "the answer is not an HTTP response head"
		if err != nil {
			why += " (" + sanitize.String(err.Error(), 200) + ")"
		}
		return nil, why
	}
	if enc == "" || enc == "identity" {
		return &facts.TLSProbe{Evidence: "GET / with Accept-Encoding: gzip,deflate was answered " + status + " without compression"}, ""
	}
	return &facts.TLSProbe{Positive: true, Evidence: "GET / with Accept-Encoding: gzip,deflate was answered " + status + " with Content-Encoding: " + enc}, ""
}

// parseHTTPHead reads the status code and Content-Encoding of an HTTP/1.x
// response head, sanitised.
func parseHTTPHead(b []byte) (status, encoding string, ok bool) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return "", "", false
	}
	lines := strings.Split(string(b[:end]), "\r\n")
	f := strings.Fields(lines[0])
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") || len(f[1]) != 3 {
		return "", "", false
	}
	for _, ch := range f[1] {
		if ch < '0' || ch > '9' {
			return "", "", false
		}
	}
	for _, l := range lines[1:] {
		name, value, found := strings.Cut(l, ":")
		if found && strings.EqualFold(strings.TrimSpace(name), "Content-Encoding") {
			encoding = strings.ToLower(sanitize.String(strings.TrimSpace(value), 60))
		}
	}
	return f[1], encoding, true
}
