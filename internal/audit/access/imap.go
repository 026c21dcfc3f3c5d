package access

import (
	"bytes"
	"context"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// imapTag tags vigil's CAPABILITY command.
const imapTag = "v1"

// imapDone reports whether b holds the tagged answer to vigil's command,
// or an untagged BYE (the server is closing).
func imapDone(b []byte) bool {
	lines, partial := reply.SplitLines(b)
	if partial {
		lines = lines[:len(lines)-1]
	}
	for _, l := range lines {
		if bytes.HasPrefix(l, []byte(imapTag+" ")) || bytes.HasPrefix(bytes.ToUpper(l), []byte("* BYE")) {
			return true
		}
	}
	return false
}

// parseIMAPCapability returns the last capability list in b: from an
// untagged "* CAPABILITY …" response or a "[CAPABILITY …]" response code
// (RFC 9051 sections 7.2.2 and 7.1). ok is false when b holds none.
func parseIMAPCapability(b []byte) (caps string, ok bool) {
	lines, _ := reply.SplitLines(b)
	for _, l := range lines {
		s := string(l)
		// ASCII upper case only: indices found in u must hold in s, and
		// strings.ToUpper changes the length of invalid UTF-8.
		ub := []byte(s)
		for i, c := range ub {
			if 'a' <= c && c <= 'z' {
				ub[i] = c - 'a' + 'A'
			}
		}
		u := string(ub)
		if rest, found := strings.CutPrefix(u, "* CAPABILITY "); found {
			caps, ok = s[len(s)-len(rest):], true
			continue
		}
		if i := strings.Index(u, "[CAPABILITY "); i >= 0 {
			start := i + len("[CAPABILITY ")
			if end := strings.IndexByte(u[start:], ']'); end >= 0 {
				caps, ok = s[start:start+end], true
			}
		}
	}
	return strings.TrimSpace(caps), ok
}

// imapAccess judges nothing: it lists what a capability list offers before
// TLS. LOGIN is usable unless LOGINDISABLED is listed (RFC 9051 section
// 6.2.3); AUTH=X names a SASL mechanism.
func imapAccess(caps string) *facts.Access {
	a := &facts.Access{StartTLS: ptr(false)}
	loginDisabled := false
	var sasl []string
	for _, c := range strings.Fields(caps) {
		u := strings.ToUpper(c)
		switch {
		case u == "STARTTLS":
			a.StartTLS = ptr(true)
		case u == "LOGINDISABLED":
			loginDisabled = true
		case strings.HasPrefix(u, "AUTH="):
			if m := u[len("AUTH="):]; credentialMech(m) {
				sasl = appendUnique(sasl, "AUTHENTICATE "+clean(m, 40))
			}
		}
	}
	if !loginDisabled {
		a.PlaintextAuth = append(a.PlaintextAuth, "LOGIN")
	}
	a.PlaintextAuth = append(a.PlaintextAuth, sasl...)
	return a
}

// auditIMAP uses the capability list identification found in the greeting,
// or asks CAPABILITY.
func auditIMAP(ctx context.Context, p *prober, s *facts.Service) (*facts.Access, error) {
	if caps := s.Detail(facts.DetailIMAPCapability); strings.Contains(strings.ToUpper(caps), "IMAP4") {
		return imapAccess(caps), nil
	}
	c, err := p.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	// The greeting (Dovecot may first say it waits for its auth process).
	first, err := p.exchange(ctx, c, nil, lineCap, func(b []byte) bool { return bytes.IndexByte(b, '\n') >= 0 })
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(first, []byte("* ")) {
		return nil, protocolError(proto.IMAP, "no untagged greeting", first)
	}
	b, err := p.exchange(ctx, c, []byte(imapTag+" CAPABILITY\r\n"), lineCap, imapDone)
	_, _ = p.exchange(ctx, c, []byte("v2 LOGOUT\r\n"), lineCap, func(b []byte) bool { return bytes.Contains(b, []byte("v2 ")) })
	caps, ok := parseIMAPCapability(append(first, b...))
	if !ok {
		if err != nil {
			return nil, err
		}
		return nil, protocolError(proto.IMAP, "no CAPABILITY answer", b)
	}
	s.SetDetail(facts.DetailIMAPCapability, clean(caps, 1024))
	return imapAccess(caps), nil
}
