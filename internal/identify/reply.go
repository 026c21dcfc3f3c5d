package identify

import (
	"regexp"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
)

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// printableText reports whether b is text a real server would send in a
// greeting: no control characters other than tab, CR and LF.
func printableText(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f {
			return false
		}
	}
	return true
}

var (
	smtpWord     = regexp.MustCompile(`(?i)\b(E?SMTP|LMTP|Postfix|Exim|Sendmail)\b`)
	ftpWord      = regexp.MustCompile(`(?i)ftp|FileZilla|Serv-U`)
	enhancedCode = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}\b`)
	domainLike   = regexp.MustCompile(`^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`)
)

// Greeting kinds of a numbered "220" banner.
const (
	kindAmbiguous = iota
	kindFTP
	kindSMTP
)

// classifyGreeting decides whether a numbered greeting is FTP or SMTP from
// its text and from the replies that followed it (answers to other probes).
func classifyGreeting(first reply.Reply, rest []reply.Reply) int {
	text := first.Text()
	switch {
	case smtpWord.MatchString(text):
		return kindSMTP
	case ftpWord.MatchString(text):
		return kindFTP
	case first.Code == 554:
		return kindSMTP // "554 No SMTP service here" is SMTP only
	}
	for _, r := range rest {
		if enhancedCode.MatchString(r.Text()) {
			return kindSMTP // RFC 3463 enhanced status codes are SMTP's
		}
		if r.Code == 530 || r.Code == 332 {
			return kindFTP // "530 Please login with USER and PASS"
		}
	}
	return kindAmbiguous
}

// guessGreeting decides an ambiguous greeting without asking: RFC 5321
// requires an SMTP greeting to start with the server's domain name.
func guessGreeting(first reply.Reply) int {
	f := strings.Fields(first.Text())
	if len(f) > 0 && domainLike.MatchString(f[0]) {
		return kindSMTP
	}
	return kindFTP
}

// matchGreeting recognises the numbered greetings of FTP and SMTP servers;
// when the text does not tell which, it asks with EHLO (SMTP answers 250,
// FTP a 5xx error).
func matchGreeting(b []byte, s *facts.Service) (*followUp, error) {
	rs := reply.Parse(b)
	if len(rs) == 0 || !rs[0].Complete {
		return nil, noMatch("ftp/smtp", "no numbered greeting")
	}
	first := rs[0]
	switch first.Code {
	case 220, 120, 421, 554:
	default:
		return nil, noMatch("ftp/smtp", "greeting code %d", first.Code)
	}
	if !printableText([]byte(strings.Join(first.Lines, "\n"))) {
		return nil, noMatch("ftp/smtp", "control characters in greeting")
	}
	switch classifyGreeting(first, rs[1:]) {
	case kindFTP:
		applyFTP(b, first, s)
		return nil, nil
	case kindSMTP:
		applySMTP(b, first, s)
		return nil, nil
	}
	return &followUp{
		req:  []byte("EHLO vigil.invalid\r\n"),
		done: reply.Complete,
		next: func(resp []byte, s *facts.Service) { decideByEHLO(b, first, resp, s) },
	}, nil
}

// decideByEHLO finishes an ambiguous greeting with the answer to EHLO.
func decideByEHLO(b []byte, first reply.Reply, resp []byte, s *facts.Service) {
	kind := kindAmbiguous
	if rs := reply.Parse(resp); len(rs) > 0 {
		r := rs[0]
		switch {
		case r.Code == 250:
			kind = kindSMTP
			if len(r.Lines) > 1 {
				s.SetDetail(facts.DetailSMTPEHLO, clean(strings.Join(r.Lines[1:], " "), 512))
			}
		case enhancedCode.MatchString(r.Text()):
			kind = kindSMTP
		case r.Code >= 400:
			kind = kindFTP
		}
	}
	if kind == kindAmbiguous {
		kind = guessGreeting(first)
	}
	if kind == kindSMTP {
		applySMTP(b, first, s)
	} else {
		applyFTP(b, first, s)
	}
}

// versionRE matches a version number: digits and dots with an optional
// letter suffix such as "9.2p1" or "1.3.8a".
var versionRE = regexp.MustCompile(`^v?(\d+(?:\.\d+)*(?:[a-z]+\d*)?)`)

// leadingVersion returns the version number at the start of s, or "".
func leadingVersion(s string) string {
	if m := versionRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// productRule maps text a server sent to a product name; the rule's first
// sub-match, when present, is the version.
type productRule struct {
	re      *regexp.Regexp
	product string
}

// productFrom returns the product and version of the first rule that
// matches text, or "" and "".
func productFrom(rules []productRule, text string) (product, version string) {
	for _, r := range rules {
		if m := r.re.FindStringSubmatch(text); m != nil {
			if len(m) > 1 {
				version = m[1]
			}
			return r.product, version
		}
	}
	return "", ""
}
