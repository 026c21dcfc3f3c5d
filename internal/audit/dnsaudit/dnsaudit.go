package dnsaudit

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/identify"
	"github.com/vigilsec/vigil/internal/wire"
)

// Options tunes the audit.
type Options struct {
	// Timeout bounds each exchange; zero means the Dialer's timeout.
	Timeout time.Duration
	// Names are the names the user gave for the target: each, and its
	// parent domains, may be a zone the server serves.
	Names []string
	// Zones are zones the user asks vigil to try transfers of.
	Zones []string
}

// RecursionName is the name asked with recursion desired: the reverse
// name of 192.0.2.1, in 2.0.192.in-addr.arpa, a zone every resolver is
// to answer from its own empty zone (RFC 6303 section 4.3, TEST-NET-1,
// RFC 5737) and that BIND, Unbound, PowerDNS Recursor, Knot Resolver and
// dnsmasq (with bogus-priv) do answer themselves, so the question does
// not leave the server.
const RecursionName = "1.2.0.192.in-addr.arpa."

// chaosNames are the CHAOS-class TXT names servers answer about
// themselves: version.bind and hostname.bind (BIND's, also answered by
// Unbound, NSD, Knot and dnsmasq), version.server and id.server (RFC
// 4892).
var chaosNames = []string{"version.bind.", "version.server.", "hostname.bind.", "id.server."}

// Caps on the zones looked for and transferred.
const (
	maxCandidates = 16
	maxZones      = 6
)

// Audit asks the DNS server at addr, over s's transport: one recursive
// query for RecursionName, the CHAOS TXT names, and, over TCP only, the SOA
// of the names it might serve and a zone transfer of each zone it answers
// for with authority. It sets s.Product and s.Version from version.bind or
// version.server when identification had none.
func Audit(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, s *facts.Service, opt Options) (*facts.DNSAudit, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = d.Timeout()
	}
	cl := &client{d: d, addr: addr, network: s.Transport, timeout: opt.Timeout}
	defer cl.close()
	out := &facts.DNSAudit{}
	var errs []error

	rq := question{name: RecursionName, typ: dnsmessage.TypePTR, class: dnsmessage.ClassINET, rd: true}
	r, err := cl.ask(ctx, rq)
	switch {
	case errors.Is(err, ErrNoAnswer):
		// Silence is how some servers refuse (Unbound's deny): nothing to
		// judge, and no failure either.
	case err != nil:
		errs = append(errs, fmt.Errorf("recursive query for %s: %w", rq, err))
	default:
		out.Recursion = &facts.DNSRecursion{Query: rq.String(), Rcode: rcodeName(r.rcode), RA: r.ra, AA: r.aa,
			Answers: len(r.answers), Source: cl.source}
	}
	for _, n := range chaosNames {
		if ctx.Err() != nil {
			break
		}
		// Identification asked version.bind already: BIND rate-limits
		// CHAOS answers over UDP (three a second to a /24 by default), so
		// what was answered once is not asked again.
		if v := s.Detail(facts.DetailDNSVersionBind); n == "version.bind." && v != "" {
			out.Chaos = append(out.Chaos, facts.DNSChaos{Name: "version.bind", Text: text(v, 128)})
			continue
		}
		q := question{name: n, typ: dnsmessage.TypeTXT, class: dnsmessage.ClassCHAOS}
		r, err := cl.ask(ctx, q)
		if err != nil {
			continue // many servers stay silent for names they do not know
		}
		for _, a := range r.answers {
			if a.typ == dnsmessage.TypeTXT && strings.TrimSpace(a.txt) != "" && r.rcode == dnsmessage.RCodeSuccess {
				out.Chaos = append(out.Chaos, facts.DNSChaos{Name: strings.TrimSuffix(n, "."), Text: text(a.txt, 128)})
				break
			}
		}
	}
	setProduct(out, s)
	if s.Transport == facts.TCP {
		if err := findZones(ctx, cl, addr.Addr(), opt, out); err != nil {
			errs = append(errs, err)
		}
	}
	if out.Recursion == nil && len(out.Chaos) == 0 && len(out.Zones) == 0 && len(errs) > 0 {
		return out, errors.Join(errs...)
	}
	return out, nil
}

// setProduct names the software from version.bind or version.server when
// identification could not.
func setProduct(a *facts.DNSAudit, s *facts.Service) {
	if s.Product != "" {
		return
	}
	for _, n := range []string{"version.bind", "version.server"} {
		if p, v := identify.DNSProduct(a.ChaosText(n)); p != "" {
			s.Product, s.Version = p, v
			return
		}
	}
}

// candidate is a name that may lie in a zone of the server.
type candidate struct{ name, source string }

// findZones looks for the zones the server serves and asks for a transfer
// of each.
func findZones(ctx context.Context, cl *client, ip netip.Addr, opt Options, out *facts.DNSAudit) error {
	var cands []candidate
	add := func(name, source string, parents bool) {
		name = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(name), ".")) + "."
		if name == "." || strings.ContainsAny(name, " \t\\") {
			return
		}
		for {
			if !slices.ContainsFunc(cands, func(c candidate) bool { return c.name == name }) {
				cands = append(cands, candidate{name, source})
			}
			i := strings.IndexByte(name, '.')
			// Parents down to two labels: "example.com." but not "com.".
			if !parents || strings.Count(name[i+1:], ".") < 2 {
				return
			}
			name = name[i+1:]
		}
	}
	for _, z := range opt.Zones {
		add(z, "--dns-zone", false)
	}
	for _, n := range opt.Names {
		if _, err := netip.ParseAddr(n); err != nil {
			add(n, "scan target name", true)
		}
	}
	rev := reverseName(ip)
	r, err := cl.ask(ctx, question{name: rev, typ: dnsmessage.TypePTR, class: dnsmessage.ClassINET})
	if errors.Is(err, ErrNoAnswer) {
		return nil // a server silent over TCP: no zone to look for
	}
	for _, a := range r.answers {
		if a.typ == dnsmessage.TypePTR {
			add(a.txt, "PTR of "+ip.String(), true)
		}
	}
	for _, n := range []string{"hostname.bind", "id.server"} {
		if t := out.ChaosText(n); strings.Count(strings.Trim(t, "."), ".") >= 1 {
			add(t, n, true)
		}
	}
	add(rev, "reverse name of "+ip.String(), true)
	if len(cands) > maxCandidates {
		cands = cands[:maxCandidates]
	}
	out.ZoneCandidates = len(cands)
	var zones []facts.DNSZone
	for _, c := range cands {
		if ctx.Err() != nil || len(zones) >= maxZones {
			break
		}
		r, err := cl.ask(ctx, question{name: c.name, typ: dnsmessage.TypeSOA, class: dnsmessage.ClassINET})
		if errors.Is(err, ErrNoAnswer) {
			break // the server stopped answering: ask no more
		}
		if err != nil || !r.aa {
			continue
		}
		apex := ""
		for _, a := range r.answers {
			if a.typ == dnsmessage.TypeSOA && strings.EqualFold(a.name, c.name) {
				apex = c.name
			}
		}
		if apex == "" && r.soaAuth != "" && (r.rcode == dnsmessage.RCodeSuccess || r.rcode == dnsmessage.RCodeNameError) {
			apex = strings.ToLower(r.soaAuth)
		}
		if apex == "" || slices.ContainsFunc(zones, func(z facts.DNSZone) bool { return z.Zone == apex }) {
			continue
		}
		zones = append(zones, facts.DNSZone{Zone: text(apex, 256), Source: c.source})
	}
	var errs []error
	for i := range zones {
		if ctx.Err() != nil {
			break
		}
		if err := cl.axfr(ctx, &zones[i]); err != nil {
			errs = append(errs, fmt.Errorf("zone transfer of %s: %w", zones[i].Zone, err))
		}
	}
	out.Zones = zones
	return errors.Join(errs...)
}

// reverseName is the in-addr.arpa or ip6.arpa name of ip (RFC 1035
// section 3.5, RFC 3596 section 2.5).
func reverseName(ip netip.Addr) string {
	ip = ip.Unmap()
	var b strings.Builder
	if ip.Is4() {
		a := ip.As4()
		fmt.Fprintf(&b, "%d.%d.%d.%d.in-addr.arpa.", a[3], a[2], a[1], a[0])
		return b.String()
	}
	a := ip.As16()
	const hex = "0123456789abcdef"
	for i := len(a) - 1; i >= 0; i-- {
		b.WriteByte(hex[a[i]&0xf])
		b.WriteByte('.')
		b.WriteByte(hex[a[i]>>4])
		b.WriteByte('.')
	}
	b.WriteString("ip6.arpa.")
	return b.String()
}

// client asks one server questions over one transport, keeping one
// connection (TCP: reopened after the server closes it).
type client struct {
	d       *dialer.Dialer
	addr    netip.AddrPort
	network string
	timeout time.Duration
	c       net.Conn
	source  string // the scanner's address, as the server sees it
}

func (cl *client) close() {
	if cl.c != nil {
		_ = cl.c.Close()
		cl.c = nil
	}
}

func (cl *client) conn(ctx context.Context) (net.Conn, error) {
	if cl.c != nil {
		return cl.c, nil
	}
	c, err := cl.d.Dial(ctx, cl.network, cl.addr, cl.timeout)
	if err != nil {
		return nil, err
	}
	cl.c = c
	if ap, err := netip.ParseAddrPort(c.LocalAddr().String()); err == nil {
		cl.source = ap.Addr().Unmap().String()
	}
	return c, nil
}

// ask sends q and returns its answer.
func (cl *client) ask(ctx context.Context, q question) (response, error) {
	if cl.network == facts.UDP {
		return cl.askUDP(ctx, q)
	}
	id := uint16(rand.Uint32())
	msg, err := q.build(id)
	if err != nil {
		return response{}, err
	}
	r, err := cl.askTCP(ctx, q, id, msg)
	if err != nil && ctx.Err() == nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoAnswer) {
		// The server may close a connection between queries: once more
		// on a new one.
		cl.close()
		r, err = cl.askTCP(ctx, q, id, msg)
	}
	return r, err
}

func (cl *client) askTCP(ctx context.Context, q question, id uint16, msg []byte) (response, error) {
	c, err := cl.conn(ctx)
	if err != nil {
		return response{}, err
	}
	if err := wire.Write(ctx, c, tcpFrame(msg), cl.timeout); err != nil {
		cl.close()
		return response{}, err
	}
	b, err := readTCPMessage(ctx, c, cl.timeout)
	if err != nil {
		cl.close()
		if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("%w: %w", ErrNoAnswer, err)
		}
		return response{}, err
	}
	return parseResponse(b, id, q)
}

// readTCPMessage reads one length-prefixed message.
func readTCPMessage(ctx context.Context, c net.Conn, timeout time.Duration) ([]byte, error) {
	l, err := wire.ReadFull(ctx, c, 2, timeout)
	if err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(l))
	if n == 0 {
		return nil, fmt.Errorf("%w: empty message", ErrMalformed)
	}
	return wire.ReadFull(ctx, c, n, timeout)
}

// udpTries is how often a UDP question is sent when nothing answers.
const udpTries = 3

// askUDP sends q up to udpTries times, each a third of the timeout after
// the last (UDP may lose either way; a server under load drops queries),
// each time with a new id (a server may drop what looks like a retransmission
// of a query it dropped), and waits for a datagram answering any of them;
// others are ignored.
func (cl *client) askUDP(ctx context.Context, q question) (response, error) {
	c, err := cl.conn(ctx)
	if err != nil {
		return response{}, err
	}
	var ids []uint16
	var last error
	for try := 0; try < udpTries; try++ {
		id := uint16(rand.Uint32())
		msg, err := q.build(id)
		if err != nil {
			return response{}, err
		}
		ids = append(ids, id)
		if err := wire.Write(ctx, c, msg, cl.timeout); err != nil {
			return response{}, err
		}
		end := time.Now().Add(cl.timeout / udpTries)
		for ctx.Err() == nil {
			wait := time.Until(end)
			if wait <= 0 {
				break
			}
			b, err := wire.ReadSome(ctx, c, maxMessage, wait)
			if len(b) >= 2 {
				if i := slices.Index(ids, binary.BigEndian.Uint16(b)); i >= 0 {
					r, perr := parseResponse(b, ids[i], q)
					if perr == nil {
						return r, nil
					}
					last = perr
				}
			}
			if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				return response{}, err // refused (ICMP port unreachable), cancelled
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return response{}, err
	}
	if last == nil {
		last = fmt.Errorf("%w within %v", ErrNoAnswer, cl.timeout)
	}
	return response{}, last
}

// axfr asks for a transfer of z.Zone on a connection of its own and
// records how it went.
func (cl *client) axfr(ctx context.Context, z *facts.DNSZone) error {
	cl.close()
	defer cl.close()
	c, err := cl.conn(ctx)
	if err != nil {
		return err
	}
	id := uint16(rand.Uint32())
	msg, err := question{name: z.Zone, typ: dnsmessage.TypeAXFR, class: dnsmessage.ClassINET}.build(id)
	if err != nil {
		return err
	}
	if err := wire.Write(ctx, c, tcpFrame(msg), cl.timeout); err != nil {
		return err
	}
	t := &transfer{zone: z.Zone, id: id}
	total := 0
	// The whole transfer gets a few timeouts; each message one.
	ctx, cancel := context.WithTimeout(ctx, 4*cl.timeout)
	defer cancel()
	for !t.done() && t.records < maxTransferRecords && total < maxTransferBytes {
		b, err := readTCPMessage(ctx, c, cl.timeout)
		if err != nil {
			if t.msgs == 0 {
				z.Refusal = "closed"
				if errors.Is(err, os.ErrDeadlineExceeded) {
					z.Refusal = "no answer"
				}
				return nil
			}
			break // an incomplete transfer still transferred what came
		}
		total += len(b) + 2
		if err := t.add(b); err != nil {
			if t.msgs == 0 {
				return err
			}
			break
		}
	}
	z.Refusal = t.refusal
	z.Transferred = t.refusal == "" && t.records > 0
	if z.Transferred {
		z.Records, z.Owners = t.records, t.owners
		z.Capped = !t.done()
		z.Empty = t.other == 0
	}
	return nil
}
