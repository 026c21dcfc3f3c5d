package access

import (
	"context"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// ehloDomain is the domain vigil announces in EHLO (a reserved name).
const ehloDomain = "vigil.invalid"

// ehlo is what an EHLO reply (RFC 5321 section 4.1.1.1) advertises.
type ehlo struct {
	keywords []string // every extension line, as sent
	startTLS bool     // STARTTLS (RFC 3207)
	mechs    []string // AUTH mechanisms (RFC 4954), and those of the old "AUTH=" form
}

// parseEHLO reads the extension lines of a 250 reply to EHLO (the first
// line is the server's greeting, not an extension).
func parseEHLO(r reply.Reply) ehlo {
	var e ehlo
	if r.Code != 250 || len(r.Lines) < 2 {
		return e
	}
	for _, l := range r.Lines[1:] {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		e.keywords = append(e.keywords, strings.Join(f, " "))
		kw := strings.ToUpper(f[0])
		switch {
		case kw == "STARTTLS":
			e.startTLS = true
		case kw == "AUTH":
			e.mechs = appendUnique(e.mechs, upperAll(f[1:])...)
		case strings.HasPrefix(kw, "AUTH="):
			// Pre-RFC 4954 form some servers add for old clients.
			e.mechs = appendUnique(e.mechs, upperAll(append([]string{kw[len("AUTH="):]}, f[1:]...))...)
		}
	}
	return e
}

func upperAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, strings.ToUpper(s))
		}
	}
	return out
}

// auditSMTP sends EHLO and reads what the server offers before TLS:
// STARTTLS and the AUTH mechanisms. Every mechanism that carries a
// credential counts as plaintext authentication here (PLAIN, LOGIN and also
// CRAM-MD5 and the like); the check tells them apart.
func auditSMTP(ctx context.Context, p *prober, s *facts.Service) (*facts.Access, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	greeting, err := p.readReply(ctx, c, "smtp", nil)
	if err != nil {
		return nil, err
	}
	if greeting.Code != 220 {
		return nil, protocolError(proto.SMTP, "no 220 greeting", []byte(replyText(greeting)))
	}
	r, err := p.readReply(ctx, c, "smtp", []byte("EHLO "+ehloDomain+"\r\n"))
	if err != nil {
		return nil, err
	}
	_, _ = p.readReply(ctx, c, "smtp", []byte("QUIT\r\n"))
	a := &facts.Access{StartTLS: ptr(false)}
	if r.Code != 250 {
		// No ESMTP at all, so no STARTTLS either.
		s.SetDetail(facts.DetailSMTPEHLO, "EHLO answered "+replyText(r))
		return a, nil
	}
	e := parseEHLO(r)
	s.SetDetail(facts.DetailSMTPEHLO, clean(strings.Join(e.keywords, "; "), 512))
	a.StartTLS = ptr(e.startTLS)
	for _, m := range e.mechs {
		if credentialMech(m) {
			a.PlaintextAuth = append(a.PlaintextAuth, "AUTH "+clean(m, 40))
		}
	}
	return a, nil
}
