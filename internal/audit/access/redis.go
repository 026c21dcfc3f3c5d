package access

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/resp"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// redisDB is one line of INFO keyspace: "db0:keys=3,expires=0,avg_ttl=0".
type redisDB struct {
	n    int
	keys int64
}

// parseKeyspace reads the db lines of INFO keyspace, in database order.
func parseKeyspace(info map[string]string) []redisDB {
	var out []redisDB
	for k, v := range info {
		num, ok := strings.CutPrefix(k, "db")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 0 {
			continue
		}
		for _, f := range strings.Split(v, ",") {
			if kv, ok := strings.CutPrefix(f, "keys="); ok {
				if keys, err := strconv.ParseInt(kv, 10, 64); err == nil && keys >= 0 {
					out = append(out, redisDB{n: n, keys: keys})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b redisDB) int { return a.n - b.n })
	return out
}

// redisEvidence says what INFO revealed: the version and the keys.
func redisEvidence(server, keyspace map[string]string) string {
	var parts []string
	if v := server["redis_version"]; v != "" {
		parts = append(parts, "redis_version "+clean(v, 32))
	}
	if v := server["valkey_version"]; v != "" {
		parts = append(parts, "valkey_version "+clean(v, 32))
	}
	dbs := parseKeyspace(keyspace)
	switch {
	case len(dbs) == 0:
		parts = append(parts, "no keys stored")
	default:
		var ks []string
		for i, db := range dbs {
			if i == 4 {
				ks = append(ks, fmt.Sprintf("and %d more databases", len(dbs)-4))
				break
			}
			ks = append(ks, fmt.Sprintf("%d keys in db%d", db.keys, db.n))
		}
		parts = append(parts, strings.Join(ks, ", "))
	}
	return "INFO answered without a password: " + strings.Join(parts, ", ")
}

// auditRedis asks INFO server and INFO keyspace, which read and change
// nothing. Identification's PING already tells when a password is required
// (NOAUTH) or protected mode refuses remote clients (DENIED).
func auditRedis(ctx context.Context, p *prober, s *facts.Service) (*facts.Access, error) {
	switch s.Detail(facts.DetailRedisAuth) {
	case "required", "protected-mode":
		return &facts.Access{}, nil
	}
	c, err := p.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	b, err := p.exchange(ctx, c, resp.Command("INFO", "server"), dataCap, resp.Complete)
	server, perr := resp.ParseInfo(b)
	if perr != nil {
		if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
			return &facts.Access{}, nil // NOAUTH, NOPERM, DENIED: no access
		}
		if err != nil {
			return nil, err
		}
		return nil, protocolError(proto.Redis, "INFO not answered in RESP", b)
	}
	b, _ = p.exchange(ctx, c, resp.Command("INFO", "keyspace"), dataCap, resp.Complete)
	keyspace, _ := resp.ParseInfo(b)
	return &facts.Access{Unauthenticated: redisEvidence(server, keyspace)}, nil
}
