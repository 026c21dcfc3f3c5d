package identify

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// imapGreeting is an IMAP server greeting (RFC 9051 section 7.1):
// "* OK|PREAUTH|BYE [code] text".
type imapGreeting struct {
	status     string // OK, PREAUTH, BYE
	code       string // the response code in brackets, such as "CAPABILITY IMAP4rev1 …"
	text       string
	line       []byte
	capability string // the capability list when code is CAPABILITY
}

// parseIMAPGreeting parses the first line of b as an IMAP greeting.
func parseIMAPGreeting(b []byte) (imapGreeting, error) {
	lines, partial := reply.SplitLines(b)
	if len(lines) == 0 || (partial && len(lines) == 1) {
		return imapGreeting{}, noMatch(proto.IMAP, "no complete line")
	}
	line := lines[0]
	if !printableText(line) {
		return imapGreeting{}, noMatch(proto.IMAP, "control characters")
	}
	rest, ok := bytes.CutPrefix(line, []byte("* "))
	if !ok {
		return imapGreeting{}, noMatch(proto.IMAP, "not an untagged response")
	}
	status, rest, _ := bytes.Cut(rest, []byte(" "))
	g := imapGreeting{status: strings.ToUpper(string(status)), line: line}
	switch g.status {
	case "OK", "PREAUTH", "BYE":
	default:
		return imapGreeting{}, noMatch(proto.IMAP, "status %q", clean(string(status), 16))
	}
	if r, ok := bytes.CutPrefix(rest, []byte("[")); ok {
		code, text, ok := bytes.Cut(r, []byte("]"))
		if !ok {
			return imapGreeting{}, noMatch(proto.IMAP, "unterminated response code")
		}
		g.code = string(code)
		rest = bytes.TrimPrefix(text, []byte(" "))
		// Compared byte for byte: ToUpper of bytes that are not UTF-8
		// changes their length.
		const capability = "CAPABILITY "
		if len(g.code) >= len(capability) && strings.EqualFold(g.code[:len(capability)], capability) {
			g.capability = g.code[len(capability):]
		}
	}
	g.text = string(rest)
	return g, nil
}

// imapProducts maps greeting text to an IMAP server product; the first
// sub-match, when present, is the version.
var imapProducts = []productRule{
	{regexp.MustCompile(`\bDovecot\b`), "Dovecot"},
	{regexp.MustCompile(`\bCourier-IMAP\b`), "Courier"},
	{regexp.MustCompile(`\bCyrus IMAP4? v?(\d[\w.]*)`), "Cyrus IMAP"},
	{regexp.MustCompile(`\bCyrus IMAP`), "Cyrus IMAP"},
	{regexp.MustCompile(`\bIMAP4rev1 v?(\d{4}[a-z]?\.\d+)`), "UW IMAP"},
	{regexp.MustCompile(`Microsoft Exchange`), "Microsoft Exchange"},
	{regexp.MustCompile(`\bZimbra\b`), "Zimbra"},
}

// matchIMAP recognises an IMAP greeting.
func matchIMAP(b []byte, s *facts.Service) (*followUp, error) {
	g, err := parseIMAPGreeting(b)
	if err != nil {
		return nil, err
	}
	s.Name = proto.IMAP
	s.Product, s.Version = productFrom(imapProducts, g.text)
	s.Banner = firstLine(g.line)
	s.SetDetail(facts.DetailIMAPBanner, clean(string(g.line), 512))
	if g.capability != "" {
		s.SetDetail(facts.DetailIMAPCapability, clean(g.capability, 1024))
	}
	return nil, nil
}
