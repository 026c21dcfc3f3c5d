package identify

import (
	"bytes"
	"regexp"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// parsePOP3Greeting returns the text of a POP3 greeting (RFC 1939 section
// 4): "+OK text".
func parsePOP3Greeting(b []byte) (string, error) {
	lines, partial := reply.SplitLines(b)
	if len(lines) == 0 || (partial && len(lines) == 1) {
		return "", noMatch(proto.POP3, "no complete line")
	}
	line := lines[0]
	if !printableText(line) {
		return "", noMatch(proto.POP3, "control characters")
	}
	if bytes.Equal(line, []byte("+OK")) {
		return "", nil
	}
	text, ok := bytes.CutPrefix(line, []byte("+OK "))
	if !ok {
		return "", noMatch(proto.POP3, "no +OK")
	}
	return string(text), nil
}

// pop3Products maps greeting text to a POP3 server product.
var pop3Products = []productRule{
	{regexp.MustCompile(`\bDovecot\b`), "Dovecot"},
	{regexp.MustCompile(`^Hello there\.`), "Courier"},
	{regexp.MustCompile(`\bCyrus POP3 v?(\d[\w.]*)`), "Cyrus POP3"},
	{regexp.MustCompile(`\bCyrus POP3\b`), "Cyrus POP3"},
	{regexp.MustCompile(`\bQpopper \(version (\d[\w.]*)\)`), "Qpopper"},
	{regexp.MustCompile(`\bPOP3 \S+ v(\d{4}[a-z]?\.\d+) server ready`), "UW POP3"},
	{regexp.MustCompile(`Microsoft Exchange`), "Microsoft Exchange"},
}

// matchPOP3 recognises a POP3 greeting.
func matchPOP3(b []byte, s *facts.Service) (*followUp, error) {
	text, err := parsePOP3Greeting(b)
	if err != nil {
		return nil, err
	}
	s.Name = proto.POP3
	s.Product, s.Version = productFrom(pop3Products, text)
	s.Banner = firstLine(b)
	s.SetDetail(facts.DetailPOP3Banner, clean(text, 512))
	return nil, nil
}
