package access

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// anonPassword is the password of the anonymous FTP login: by convention
// (RFC 1635) an e-mail address; this one is in a reserved domain.
const anonPassword = "vigil@example.invalid"

// parseFEAT returns the features of a FEAT reply (RFC 2389 section 3.2):
// the lines between "211-…" and "211 End", trimmed. A reply other than 211
// lists none.
func parseFEAT(r reply.Reply) []string {
	if r.Code != 211 || len(r.Lines) < 3 {
		return nil
	}
	var out []string
	for _, l := range r.Lines[1 : len(r.Lines)-1] {
		if f := strings.TrimSpace(l); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// featAuthTLS reports whether the features list AUTH with a TLS mechanism
// (RFC 4217 section 6: "AUTH TLS", also "AUTH TLS;TLS-C;SSL" and similar).
func featAuthTLS(features []string) bool {
	for _, f := range features {
		word, params, _ := strings.Cut(f, " ")
		if !strings.EqualFold(word, "AUTH") {
			continue
		}
		for _, m := range strings.FieldsFunc(params, func(r rune) bool { return r == ';' || r == ' ' || r == ',' }) {
			switch strings.ToUpper(m) {
			case "TLS", "TLS-C", "TLS-P", "SSL":
				return true
			}
		}
	}
	return false
}

// auditFTP asks FEAT whether AUTH TLS is offered (and, when FEAT does not
// say, sends AUTH TLS on a fresh connection and closes it before any
// handshake), then tries the anonymous login and QUITs at once.
func auditFTP(ctx context.Context, p *prober, s *facts.Service) (*facts.Access, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	greeting, err := p.readReply(ctx, c, "ftp", nil)
	if err != nil {
		return nil, err
	}
	if greeting.Code != 220 {
		return nil, protocolError(proto.FTP, "no 220 greeting", []byte(replyText(greeting)))
	}
	a := &facts.Access{}
	if !p.tls {
		feat, err := p.readReply(ctx, c, "ftp", []byte("FEAT\r\n"))
		if err != nil {
			return nil, err
		}
		features := parseFEAT(feat)
		if len(features) > 0 {
			s.SetDetail(facts.DetailFTPFEAT, clean(strings.Join(features, "; "), 512))
		} else {
			s.SetDetail(facts.DetailFTPFEAT, "FEAT answered "+replyText(feat))
		}
		if featAuthTLS(features) {
			a.StartTLS = ptr(true)
		}
	}

	// The anonymous login: USER, and PASS when asked for.
	loginErr := ftpAnonymous(ctx, p, c, s, a)
	_ = c.Close()

	if !p.tls && a.StartTLS == nil {
		ok, err := ftpAuthTLS(ctx, p, s)
		if err != nil {
			return a, errors.Join(loginErr, err)
		}
		a.StartTLS = ptr(ok)
	}
	return a, loginErr
}

// failedLoginWait is how long the answer to PASS is awaited: servers delay
// a failed login on purpose (vsftpd one second, PAM's pam_faildelay often
// two or more), while an accepted one is answered at once.
const failedLoginWait = 3

// ftpAnonymous tries USER anonymous (and PASS with an address when asked
// for one), records the answer, and QUITs. A PASS left unanswered past the
// failed-login wait counts as refused.
func ftpAnonymous(ctx context.Context, p *prober, c net.Conn, s *facts.Service, a *facts.Access) error {
	r, err := p.readReply(ctx, c, "ftp", []byte("USER anonymous\r\n"))
	if err != nil {
		return err
	}
	if r.Code == 331 || r.Code == 332 {
		slow := *p
		slow.opt.Timeout = failedLoginWait * p.opt.Timeout
		r, err = slow.readReply(ctx, c, "ftp", []byte("PASS "+anonPassword+"\r\n"))
		if errors.Is(err, os.ErrDeadlineExceeded) {
			s.SetDetail(facts.DetailFTPAnonymous, fmt.Sprintf("PASS not answered within %v (servers delay failed logins)", slow.opt.Timeout))
			return nil
		}
		if err != nil {
			return err
		}
	}
	a.Anonymous = r.Code == 230
	s.SetDetail(facts.DetailFTPAnonymous, replyText(r))
	_, _ = p.readReply(ctx, c, "ftp", []byte("QUIT\r\n"))
	return nil
}

// ftpAuthTLS sends AUTH TLS on a fresh connection: 234 means the server
// would now start TLS (the connection is closed before any handshake).
func ftpAuthTLS(ctx context.Context, p *prober, s *facts.Service) (bool, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return false, err
	}
	defer func() { _ = c.Close() }()
	if _, err := p.readReply(ctx, c, "ftp", nil); err != nil {
		return false, err
	}
	r, err := p.readReply(ctx, c, "ftp", []byte("AUTH TLS\r\n"))
	if err != nil {
		return false, err
	}
	s.SetDetail(facts.DetailFTPAuthTLS, replyText(r))
	return r.Code == 234, nil
}
