package access

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
)

// memcachedDone reports whether b holds a whole answer to "stats": STAT
// lines ended by END, or one error line (ERROR, CLIENT_ERROR, SERVER_ERROR),
// or a first line that is neither.
func memcachedDone(b []byte) bool {
	if bytes.HasSuffix(b, []byte("END\r\n")) || bytes.HasSuffix(b, []byte("END\n")) {
		return true
	}
	nl := bytes.IndexByte(b, '\n')
	return nl >= 0 && !bytes.HasPrefix(b, []byte("STAT "))
}

// parseStats reads the "STAT name value" lines of an answer to "stats";
// ok is false when it holds none.
func parseStats(b []byte) (map[string]string, bool) {
	lines, _ := reply.SplitLines(b)
	stats := map[string]string{}
	for _, l := range lines {
		rest, ok := bytes.CutPrefix(l, []byte("STAT "))
		if !ok {
			continue
		}
		k, v, _ := bytes.Cut(rest, []byte(" "))
		if len(k) > 0 {
			stats[string(k)] = string(v)
		}
	}
	return stats, len(stats) > 0
}

// byteSize writes a byte count the way people read it: "1.2 MB" (powers
// of 1000).
func byteSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, suffix := float64(n), "B"
	for _, s := range []string{"kB", "MB", "GB", "TB", "PB"} {
		v /= unit
		suffix = s
		if v < unit {
			break
		}
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}

// memcachedEvidence says what stats revealed.
func memcachedEvidence(stats map[string]string) string {
	var parts []string
	if n, err := strconv.ParseInt(stats["curr_items"], 10, 64); err == nil {
		parts = append(parts, fmt.Sprintf("%d items", n))
	}
	if n, err := strconv.ParseInt(stats["bytes"], 10, 64); err == nil {
		parts = append(parts, byteSize(n)+" stored")
	}
	if v := stats["version"]; v != "" {
		parts = append(parts, "version "+clean(v, 32))
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%d statistics", len(stats)))
	}
	return "stats answered without authentication: " + strings.Join(parts, ", ")
}

// auditMemcached sends "stats", which reads nothing but counters. A server
// with SASL (-S) refuses text commands before authentication.
func auditMemcached(ctx context.Context, p *prober, _ *facts.Service) (*facts.Access, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	b, err := p.exchange(ctx, c, []byte("stats\r\n"), dataCap, memcachedDone)
	stats, ok := parseStats(b)
	if !ok {
		if len(b) == 0 && err != nil {
			return nil, err
		}
		return &facts.Access{}, nil
	}
	return &facts.Access{Unauthenticated: memcachedEvidence(stats)}, nil
}
