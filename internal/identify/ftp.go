package identify

import (
	"regexp"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// ftpProducts maps greeting text to an FTP server product; the first
// sub-match, when present, is the version. Order matters: first match wins.
var ftpProducts = []productRule{
	{regexp.MustCompile(`\(vsFTPd (\d[\w.]*)\)`), "vsftpd"},
	{regexp.MustCompile(`(?i)\bvsftpd\b`), "vsftpd"},
	{regexp.MustCompile(`ProFTPD (\d[\w.]*)`), "ProFTPD"},
	{regexp.MustCompile(`ProFTPD`), "ProFTPD"},
	{regexp.MustCompile(`Pure-FTPd`), "Pure-FTPd"},
	{regexp.MustCompile(`FileZilla Server(?: version)? v?(\d[\w.]*)`), "FileZilla Server"},
	{regexp.MustCompile(`FileZilla Server`), "FileZilla Server"},
	{regexp.MustCompile(`Microsoft FTP Service`), "Microsoft ftpd"},
	{regexp.MustCompile(`\(Version wu-(\d[\w.()-]*)`), "wu-ftpd"},
	{regexp.MustCompile(`Serv-U FTP Server v?(\d[\w.]*)`), "Serv-U"},
	{regexp.MustCompile(`bftpd (\d[\w.]*)`), "bftpd"},
	{regexp.MustCompile(`pyftpdlib (\d[\w.]*)`), "pyftpdlib"},
}

// ftpProduct returns the product and version an FTP greeting names.
func ftpProduct(text string) (product, version string) {
	return productFrom(ftpProducts, text)
}

// applyFTP records an FTP greeting in s.
func applyFTP(b []byte, first reply.Reply, s *facts.Service) {
	s.Name = proto.FTP
	s.Product, s.Version = ftpProduct(first.Text())
	s.Banner = firstLine(b)
	s.SetDetail(facts.DetailFTPBanner, clean(first.Text(), 512))
}
