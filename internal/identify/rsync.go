package identify

import (
	"bytes"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// parseRsyncGreeting parses an rsync daemon's greeting (rsync's
// "rsyncd.conf" protocol, as documented in rsync(1) "CONNECTING TO AN RSYNC
// DAEMON"): "@RSYNCD: <protocol>[.<sub>][ <digest>…]\n". It returns the
// protocol version.
func parseRsyncGreeting(b []byte) (string, error) {
	lines, partial := reply.SplitLines(b)
	if len(lines) == 0 || (partial && len(lines) == 1) {
		return "", noMatch(proto.Rsync, "no complete line")
	}
	rest, ok := bytes.CutPrefix(lines[0], []byte("@RSYNCD: "))
	if !ok || !printableText(rest) {
		return "", noMatch(proto.Rsync, "no @RSYNCD: greeting")
	}
	f := strings.Fields(string(rest))
	if len(f) == 0 {
		return "", noMatch(proto.Rsync, "no protocol version")
	}
	v := f[0]
	major, minor, _ := strings.Cut(v, ".")
	if major == "" || !allDigits(major) || (minor != "" && !allDigits(minor)) {
		return "", noMatch(proto.Rsync, "protocol version %q", clean(v, 16))
	}
	return v, nil
}

// matchRsync recognises an rsync daemon by its greeting.
func matchRsync(b []byte, s *facts.Service) (*followUp, error) {
	v, err := parseRsyncGreeting(b)
	if err != nil {
		return nil, err
	}
	s.Name, s.Product = proto.Rsync, "rsync"
	s.Banner = firstLine(b)
	s.Rsync = &facts.Rsync{Protocol: clean(v, 16)}
	return nil, nil
}
