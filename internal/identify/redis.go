package identify

import (
	"bytes"
	"context"
	"errors"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/resp"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/wire"
)

// RESP commands (Redis serialization protocol).
var (
	redisPing = resp.Command("PING")
	redisInfo = resp.Command("INFO", "server")
)

// pingLimits bound the answer to PING: one line.
var pingLimits = resp.Limits{MaxBulk: lineCap, MaxArray: 0, MaxDepth: 0}

// parseRedisPing classifies the answer to PING: "none" (+PONG, no
// authentication), "required" (-NOAUTH), "protected-mode" (-DENIED) or
// "acl" (-NOPERM).
func parseRedisPing(b []byte) (auth string, err error) {
	v, _, err := resp.Parse(b, pingLimits)
	if errors.Is(err, resp.ErrIncomplete) {
		return "", noMatch(proto.Redis, "no complete line")
	}
	if err != nil || (v.Type != '+' && v.Type != '-') {
		first, _, _ := bytes.Cut(b, []byte("\n"))
		return "", noMatch(proto.Redis, "PING answered %q", clean(string(bytes.TrimSuffix(first, []byte("\r"))), 32))
	}
	line := string(v.Type) + string(v.Text)
	switch {
	case line == "+PONG":
		return "none", nil
	case strings.HasPrefix(line, "-NOAUTH "):
		return "required", nil
	case strings.HasPrefix(line, "-DENIED ") && strings.Contains(line, "protected mode"):
		return "protected-mode", nil
	case strings.HasPrefix(line, "-NOPERM "):
		return "acl", nil
	}
	return "", noMatch(proto.Redis, "PING answered %q", clean(line, 32))
}

// redisLineDone reports whether b holds a whole answer, or starts in a way
// no RESP simple string or error does.
func redisLineDone(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if b[0] != '+' && b[0] != '-' {
		return true
	}
	_, _, err := resp.Parse(b, pingLimits)
	return !errors.Is(err, resp.ErrIncomplete)
}

// probeRedis sends PING and, when no authentication is required, INFO
// server for the version.
func probeRedis(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	c, err := l.open(ctx)
	if err != nil {
		return nil, ioNoMatch(proto.Redis, err)
	}
	defer func() { _ = c.Close() }()
	answer, err := wire.Exchange(ctx, c, redisPing, lineCap, l.opt.Timeout, redisLineDone)
	auth, perr := parseRedisPing(answer)
	if perr != nil {
		if len(answer) == 0 {
			return nil, ioNoMatch(proto.Redis, err)
		}
		return answer, perr
	}
	s.Name, s.Product = "redis", "Redis"
	s.Banner = firstLine(answer)
	s.SetDetail(facts.DetailRedisAuth, auth)
	if auth != "none" {
		return nil, nil
	}
	answer, _ = wire.Exchange(ctx, c, redisInfo, bannerCap, l.opt.Timeout, resp.Complete)
	info, err := resp.ParseInfo(answer)
	if err != nil {
		return nil, nil
	}
	if v := info["valkey_version"]; v != "" {
		s.Product, s.Version = "Valkey", clean(v, 32)
	} else if v := info["redis_version"]; v != "" {
		s.Version = clean(v, 32)
	}
	for _, k := range []string{"redis_mode", "os"} {
		if v := info[k]; v != "" {
			s.SetDetail("redis."+strings.TrimPrefix(k, "redis_"), clean(v, 128))
		}
	}
	return nil, nil
}
