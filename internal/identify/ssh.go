package identify

import (
	"bytes"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// sshIdent is an SSH identification string (RFC 4253 section 4.2):
// "SSH-protoversion-softwareversion SP comments".
type sshIdent struct {
	proto    string // "2.0", "1.99", "1.5"
	software string // "OpenSSH_9.2p1"
	comments string // "Debian-2+deb12u3"
	line     []byte
}

// parseSSHIdent finds the identification line in b. Other lines may come
// first (RFC 4253 allows them) but, like the identification, must be
// printable text.
func parseSSHIdent(b []byte) (sshIdent, error) {
	lines, partial := reply.SplitLines(b)
	for i, line := range lines {
		if !printableText(line) {
			return sshIdent{}, noMatch(proto.SSH, "control characters before the identification")
		}
		if !bytes.HasPrefix(line, []byte("SSH-")) {
			continue
		}
		if partial && i == len(lines)-1 && len(line) < 8 {
			return sshIdent{}, noMatch(proto.SSH, "identification cut short")
		}
		rest := string(line[4:])
		version, soft, ok := strings.Cut(rest, "-")
		if !ok || !validSSHProto(version) {
			return sshIdent{}, noMatch(proto.SSH, "bad protocol version")
		}
		soft, comments, _ := strings.Cut(soft, " ")
		if soft == "" {
			return sshIdent{}, noMatch(proto.SSH, "empty software version")
		}
		return sshIdent{proto: version, software: soft, comments: comments, line: line}, nil
	}
	return sshIdent{}, noMatch(proto.SSH, "no SSH- line")
}

// validSSHProto accepts "digits.digits".
func validSSHProto(p string) bool {
	major, minor, ok := strings.Cut(p, ".")
	return ok && major != "" && minor != "" && allDigits(major) && allDigits(minor)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// sshProductNames maps the lower-case name part of a software version to a
// product name.
var sshProductNames = map[string]string{
	"openssh":             "OpenSSH",
	"openssh_for_windows": "OpenSSH for Windows",
	"dropbear":            "Dropbear",
	"libssh":              "libssh",
	"libssh2":             "libssh2",
	"cisco":               "Cisco SSH",
	"romsshell":           "RomSShell",
	"mod_sftp":            "ProFTPD mod_sftp",
	"go":                  "Go x/crypto/ssh",
	"paramiko":            "Paramiko",
	"asyncssh":            "AsyncSSH",
	"putty_release":       "PuTTY",
	"rosssh":              "MikroTik RouterOS sshd",
	"sun_ssh":             "Sun SSH",
	"erlang":              "Erlang/OTP SSH",
	"apache-sshd":         "Apache MINA SSHD",
	"sshd-core":           "Apache MINA SSHD",
	"tinyssh":             "TinySSH",
	"wolfsshv":            "wolfSSH",
	"wolfssh":             "wolfSSH",
	"twisted":             "Twisted Conch",
}

// sshProduct returns the product and version named by an identification:
// the software version split where a version number starts ("OpenSSH_9.2p1",
// "dropbear_2022.83", "Cisco-1.25", "Erlang/4.15").
func sshProduct(id sshIdent) (product, version string) {
	soft := id.software
	if strings.Contains(id.comments, "Bitvise") || strings.HasPrefix(id.comments, "FlowSsh") {
		return "Bitvise SSH Server", leadingVersion(soft)
	}
	name := soft
	for i := 1; i < len(soft); i++ {
		if (soft[i-1] == '_' || soft[i-1] == '-' || soft[i-1] == '/') && isDigit(soft[i]) {
			name, version = soft[:i-1], leadingVersion(soft[i:])
			break
		}
	}
	if isDigit(soft[0]) {
		return "", leadingVersion(soft)
	}
	if p, ok := sshProductNames[strings.ToLower(name)]; ok {
		return p, version
	}
	return clean(strings.ReplaceAll(name, "_", " "), 64), version
}

// matchSSH recognises an SSH server's identification string.
func matchSSH(b []byte, s *facts.Service) (*followUp, error) {
	id, err := parseSSHIdent(b)
	if err != nil {
		return nil, err
	}
	s.Name = proto.SSH
	s.Product, s.Version = sshProduct(id)
	s.Banner = firstLine(id.line)
	s.SetDetail(facts.DetailSSHProtocol, clean(id.proto, 16))
	s.SetDetail(facts.DetailSSHSoftware, clean(id.software, 128))
	if id.comments != "" {
		s.SetDetail(facts.DetailSSHComments, clean(id.comments, 128))
	}
	return nil, nil
}
