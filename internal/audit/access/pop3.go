package access

import (
	"bytes"
	"context"
	"regexp"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// pop3Done reports whether b holds a whole answer to CAPA: a multi-line
// "+OK … ." or a one-line "-ERR".
func pop3Done(b []byte) bool {
	if bytes.HasPrefix(b, []byte("-")) {
		return bytes.IndexByte(b, '\n') >= 0
	}
	return bytes.HasSuffix(b, []byte("\n.\r\n")) || bytes.HasSuffix(b, []byte("\n.\n"))
}

// parseCAPA returns the capability lines of an answer to CAPA (RFC 2449
// section 5), without the status line and the final dot; ok is false when
// the server refused CAPA.
func parseCAPA(b []byte) (lines []string, ok bool) {
	ls, _ := reply.SplitLines(b)
	if len(ls) == 0 || !bytes.HasPrefix(ls[0], []byte("+OK")) {
		return nil, false
	}
	for _, l := range ls[1:] {
		if string(l) == "." {
			break
		}
		if f := strings.TrimSpace(string(l)); f != "" {
			lines = append(lines, f)
		}
	}
	return lines, true
}

// pop3Access lists what CAPA offers before TLS: STLS (RFC 2595), USER
// (RFC 1939 USER/PASS) and SASL mechanisms (RFC 5034); apop tells whether
// the greeting carried an APOP timestamp.
func pop3Access(capa []string, apop bool) *facts.Access {
	a := &facts.Access{StartTLS: ptr(false)}
	var sasl []string
	for _, l := range capa {
		f := strings.Fields(l)
		switch strings.ToUpper(f[0]) {
		case "STLS":
			a.StartTLS = ptr(true)
		case "USER":
			a.PlaintextAuth = appendUnique(a.PlaintextAuth, "USER")
		case "SASL":
			for _, m := range f[1:] {
				if credentialMech(m) {
					sasl = appendUnique(sasl, "AUTH "+clean(strings.ToUpper(m), 40))
				}
			}
		}
	}
	if apop {
		a.PlaintextAuth = append(a.PlaintextAuth, "APOP")
	}
	a.PlaintextAuth = append(a.PlaintextAuth, sasl...)
	return a
}

// apopTimestamp matches the msg-id a greeting carries when the server
// offers APOP (RFC 1939 section 7).
var apopTimestamp = regexp.MustCompile(`<[^<>@\s]+@[^<>\s]+>`)

// auditPOP3 asks CAPA. A server that refuses CAPA cannot advertise STLS
// (RFC 2595 requires it there), so it offers no upgrade.
func auditPOP3(ctx context.Context, p *prober, s *facts.Service) (*facts.Access, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	greeting, err := p.exchange(ctx, c, nil, lineCap, func(b []byte) bool { return bytes.IndexByte(b, '\n') >= 0 })
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(greeting, []byte("+OK")) {
		return nil, protocolError(proto.POP3, "no +OK greeting", greeting)
	}
	b, err := p.exchange(ctx, c, []byte("CAPA\r\n"), lineCap, pop3Done)
	_, _ = p.exchange(ctx, c, []byte("QUIT\r\n"), lineCap, func(b []byte) bool { return bytes.IndexByte(b, '\n') >= 0 })
	capa, ok := parseCAPA(b)
	if !ok && err != nil {
		return nil, err
	}
	apop := apopTimestamp.Match(firstLine(greeting))
	if !ok {
		s.SetDetail(facts.DetailPOP3CAPA, "CAPA refused: "+clean(string(firstLine(b)), 200))
		return pop3Access(nil, apop), nil
	}
	s.SetDetail(facts.DetailPOP3CAPA, clean(strings.Join(capa, "; "), 512))
	return pop3Access(capa, apop), nil
}

// firstLine returns b up to its first CR or LF.
func firstLine(b []byte) []byte {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		return b[:i]
	}
	return b
}
