package identify

import (
	"regexp"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// smtpProducts maps greeting text to a mail server product; the first
// sub-match, when present, is the version. Order matters: first match wins.
var smtpProducts = []productRule{
	{regexp.MustCompile(`\bPostfix (\d[\w.]*)`), "Postfix"},
	{regexp.MustCompile(`\bPostfix\b`), "Postfix"},
	{regexp.MustCompile(`\bExim (\d[\w.]*)`), "Exim"},
	{regexp.MustCompile(`\bExim\b`), "Exim"},
	{regexp.MustCompile(`\bSendmail (\d[\w.]*)`), "Sendmail"},
	{regexp.MustCompile(`\bSendmail\b`), "Sendmail"},
	{regexp.MustCompile(`\bOpenSMTPD\b`), "OpenSMTPD"},
	{regexp.MustCompile(`\bHaraka/(\d[\w.]*)`), "Haraka"},
	{regexp.MustCompile(`\bHaraka\b`), "Haraka"},
	{regexp.MustCompile(`Microsoft ESMTP MAIL Service`), "Microsoft ESMTP"},
	{regexp.MustCompile(`\bqmail\b`), "qmail"},
	{regexp.MustCompile(`\bMailEnable\b`), "MailEnable"},
	{regexp.MustCompile(`\bhMailServer\b`), "hMailServer"},
	{regexp.MustCompile(`\bZimbra\b`), "Zimbra"},
	{regexp.MustCompile(`\bDovecot\b`), "Dovecot"},
}

// smtpProduct returns the product and version an SMTP greeting names.
func smtpProduct(text string) (product, version string) {
	return productFrom(smtpProducts, text)
}

// applySMTP records an SMTP greeting in s.
func applySMTP(b []byte, first reply.Reply, s *facts.Service) {
	s.Name = proto.SMTP
	s.Product, s.Version = smtpProduct(first.Text())
	s.Banner = firstLine(b)
	s.SetDetail(facts.DetailSMTPBanner, clean(first.Text(), 512))
}
