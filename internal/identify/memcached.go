package identify

import (
	"bytes"
	"context"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// parseMemcachedVersion parses the answer to the text protocol's "version"
// command: "VERSION 1.6.18".
func parseMemcachedVersion(b []byte) (string, error) {
	lines, partial := reply.SplitLines(b)
	if len(lines) == 0 || (partial && len(lines) == 1) {
		return "", noMatch(proto.Memcached, "no complete line")
	}
	v, ok := bytes.CutPrefix(lines[0], []byte("VERSION "))
	if !ok || len(v) == 0 || !printableText(v) {
		return "", noMatch(proto.Memcached, "no VERSION line")
	}
	return string(v), nil
}

// memcachedLineDone reports whether b holds a whole line, or starts in a
// way no memcached answer (VERSION, ERROR, CLIENT_ERROR, …) does.
func memcachedLineDone(b []byte) bool {
	return len(b) > 0 && (b[0] < 'A' || b[0] > 'Z' || bytes.IndexByte(b, '\n') >= 0)
}

// probeMemcached sends "version".
func probeMemcached(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	resp, err := l.exchange(ctx, []byte("version\r\n"), lineCap, memcachedLineDone)
	v, perr := parseMemcachedVersion(resp)
	if perr != nil {
		if len(resp) == 0 {
			return nil, ioNoMatch(proto.Memcached, err)
		}
		return resp, perr
	}
	s.Name, s.Product = "memcached", "memcached"
	s.Version = clean(v, 32)
	if lv := leadingVersion(v); lv != "" {
		s.Version = lv
	}
	s.Banner = firstLine(resp)
	return nil, nil
}
