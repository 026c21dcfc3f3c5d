package identify

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/wire"
)

// sipRequest is what identifies one SIP OPTIONS request (RFC 3261 §11):
// its Call-ID, Via branch and From tag, all random.
type sipRequest struct {
	callID, branch, tag string
}

func newSIPRequest() sipRequest {
	r := func(n int) string {
		b := make([]byte, n)
		fillRandom(b)
		return hex.EncodeToString(b)
	}
	return sipRequest{callID: r(12) + "@vigil", branch: "z9hG4bK" + r(8), tag: r(6)}
}

// hostPort formats an address for a SIP URI or Via (IPv6 in brackets).
func sipHostPort(a netip.AddrPort) string {
	if !a.IsValid() {
		return "invalid"
	}
	return a.String()
}

// bytes is an OPTIONS request to remote over transport ("UDP" or "TCP")
// from local. Max-Forwards is 0, so that a proxy answers it itself and
// forwards nothing (RFC 3261 §16.3, §11); rport (RFC 3581) brings the
// answer back to the port it came from.
func (r sipRequest) bytes(transport string, local, remote netip.AddrPort) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "OPTIONS sip:%s SIP/2.0\r\n", sipHostPort(remote))
	fmt.Fprintf(&b, "Via: SIP/2.0/%s %s;branch=%s;rport\r\n", transport, sipHostPort(local), r.branch)
	b.WriteString("Max-Forwards: 0\r\n")
	fmt.Fprintf(&b, "From: <sip:vigil@%s>;tag=%s\r\n", sipHostPort(local), r.tag)
	fmt.Fprintf(&b, "To: <sip:%s>\r\n", sipHostPort(remote))
	fmt.Fprintf(&b, "Call-ID: %s\r\n", r.callID)
	b.WriteString("CSeq: 1 OPTIONS\r\n")
	fmt.Fprintf(&b, "Contact: <sip:vigil@%s>\r\n", sipHostPort(local))
	b.WriteString("Accept: application/sdp\r\n")
	b.WriteString("User-Agent: vigil\r\n")
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.Bytes()
}

// sipResponse is what a SIP response told.
type sipResponse struct {
	status  int
	reason  string
	callID  string
	server  string // Server, else User-Agent header
	allow   string
	headers int
}

// sipCompact maps the compact header forms (RFC 3261 §7.3.3) used here.
var sipCompact = map[string]string{"i": "call-id", "v": "via", "f": "from", "t": "to", "l": "content-length"}

// parseSIPResponse parses the status line and headers of a SIP response
// (the body, if any, is ignored).
func parseSIPResponse(b []byte) (sipResponse, error) {
	head := b
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		head = b[:i]
	}
	lines := strings.Split(string(head), "\n")
	first := strings.TrimRight(lines[0], "\r")
	if !strings.HasPrefix(first, "SIP/2.0 ") || len(first) < 11 {
		return sipResponse{}, noMatch(proto.SIP, "no SIP/2.0 status line")
	}
	code, err := strconv.Atoi(first[8:11])
	if err != nil || code < 100 || code > 699 || len(first) > 11 && first[11] != ' ' {
		return sipResponse{}, noMatch(proto.SIP, "bad status code")
	}
	r := sipResponse{status: code, reason: clean(strings.TrimSpace(first[11:]), 64)}
	ua := ""
	for _, line := range lines[1:] {
		line = strings.TrimRight(line, "\r")
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		r.headers++
		name = strings.ToLower(strings.TrimSpace(name))
		if long, ok := sipCompact[name]; ok {
			name = long
		}
		value = strings.TrimSpace(value)
		switch name {
		case "call-id":
			r.callID = value
		case "server":
			r.server = clean(value, 128)
		case "user-agent":
			ua = clean(value, 128)
		case "allow":
			r.allow = clean(value, 256)
		}
	}
	if r.server == "" {
		r.server = ua
	}
	return r, nil
}

// sipProducts maps the first word of a Server header to the product's name.
var sipProducts = map[string]string{
	"kamailio": "Kamailio", "opensips": "OpenSIPS", "asterisk": "Asterisk", "freeswitch": "FreeSWITCH",
	"ser": "SER", "baresip": "baresip", "linphone": "Linphone", "pjsip": "PJSIP", "sems": "SEMS", "repro": "repro", "yate": "Yate", "siproxd": "siproxd", "3cxphonesystem": "3CX",
}

var sipVersion = regexp.MustCompile(`\d+(?:\.\d+)+[a-z0-9~.+-]*`)

// sipProduct splits a Server header such as "kamailio (5.6.3
// (x86_64/linux))" or "Asterisk PBX 20.5.0" into product and version.
func sipProduct(server string) (product, version string) {
	word := server
	if i := strings.IndexAny(word, " /("); i >= 0 {
		word = word[:i]
	}
	if word == "" {
		return "", ""
	}
	product = word
	if p, ok := sipProducts[strings.ToLower(word)]; ok {
		product = p
	}
	version = sipVersion.FindString(server[len(word):])
	return clean(product, 48), clean(version, 32)
}

// applySIP records a SIP response in s: product and version from its
// Server (or User-Agent) header, details sip.status ("200 OK"), sip.server
// and sip.allow (the methods it accepts).
func applySIP(r sipResponse, s *facts.Service) {
	s.Name = proto.SIP
	s.SetDetail(facts.DetailSipStatus, strings.TrimSpace(strconv.Itoa(r.status)+" "+r.reason))
	if r.server != "" {
		s.SetDetail(facts.DetailSipServer, r.server)
		s.Banner = r.server
		s.Product, s.Version = sipProduct(r.server)
	}
	if r.allow != "" {
		s.SetDetail(facts.DetailSipAllow, r.allow)
	}
}

// sipSession is an OPTIONS request over UDP; answers must carry its
// Call-ID. A provisional (1xx) answer matches but more is awaited.
type sipSession struct {
	req           sipRequest
	local, remote netip.AddrPort
}

func newSIPSession(e udpEnv) udpSession {
	return &sipSession{req: newSIPRequest(), local: e.local, remote: e.remote}
}

func (p *sipSession) request(int) []byte { return p.req.bytes("UDP", p.local, p.remote) }

func (p *sipSession) answer(b []byte, s *facts.Service) (bool, bool) {
	r, err := parseSIPResponse(b)
	if err != nil || r.callID != p.req.callID {
		return false, false
	}
	if r.status < 200 && s.Name == proto.SIP {
		return true, false // a provisional answer after another: keep what we have
	}
	applySIP(r, s)
	return true, r.status >= 200
}

// sipDone reports whether b holds a whole SIP response head.
func sipDone(b []byte) bool {
	return bytes.Contains(b, []byte("\r\n\r\n")) || len(b) >= 8 && !bytes.HasPrefix(b, []byte("SIP/2.0 "))
}

// probeSIP sends OPTIONS over TCP (or TLS) and reads the final answer.
func probeSIP(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	c, err := l.open(ctx)
	if err != nil {
		return nil, ioNoMatch(proto.SIP, err)
	}
	defer func() { _ = c.Close() }()
	transport := "TCP"
	if l.tls {
		transport = "TLS"
	}
	req := newSIPRequest()
	if err := wire.Write(ctx, c, req.bytes(transport, localAddrPort(c), l.addr), l.opt.Timeout); err != nil {
		return nil, ioNoMatch(proto.SIP, err)
	}
	var answer []byte
	for range 3 { // provisional answers may come first
		b, err := wire.ReadUntil(ctx, c, lineCap, l.opt.Timeout, sipDone)
		if len(b) == 0 {
			if answer != nil {
				break
			}
			return nil, ioNoMatch(proto.SIP, err)
		}
		answer = b
		r, perr := parseSIPResponse(b)
		if perr != nil {
			return b, perr
		}
		if r.callID != "" && r.callID != req.callID {
			return b, noMatch(proto.SIP, "answer to another call")
		}
		applySIP(r, s)
		if r.status >= 200 {
			break
		}
		end := bytes.Index(b, []byte("\r\n\r\n"))
		if end < 0 {
			break // a provisional answer cut short: keep it
		}
		if rest := b[end+4:]; len(rest) > 0 {
			// the next response began in the same read: take it as it is
			if r2, err := parseSIPResponse(rest); err == nil {
				applySIP(r2, s)
			}
			break
		}
	}
	return nil, nil
}
