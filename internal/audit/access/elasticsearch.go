package access

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
)

// esHealth is the part of GET /_cluster/health used.
type esHealth struct {
	ClusterName   string `json:"cluster_name"`
	Status        string `json:"status"`
	NumberOfNodes int    `json:"number_of_nodes"`
}

// parseESHealth reads the body of GET /_cluster/health.
func parseESHealth(body []byte) (esHealth, bool) {
	var h esHealth
	if json.Unmarshal(body, &h) != nil || h.Status == "" {
		return h, false
	}
	return h, true
}

// parseCatIndices reads GET /_cat/indices?h=index: one index name a line.
func parseCatIndices(body []byte) []string {
	lines, _ := reply.SplitLines(body)
	var out []string
	for _, l := range lines {
		if f := strings.TrimSpace(string(l)); f != "" && !strings.ContainsAny(f, " {}") {
			out = append(out, f)
		}
	}
	return out
}

// esEvidence says what the cluster revealed.
func esEvidence(h esHealth, healthOK bool, indices []string, indicesOK bool) string {
	var parts []string
	if healthOK {
		nodes := "nodes"
		if h.NumberOfNodes == 1 {
			nodes = "node"
		}
		parts = append(parts, fmt.Sprintf("GET /_cluster/health answered without credentials: cluster %q, status %s, %d %s",
			clean(h.ClusterName, 64), clean(h.Status, 16), h.NumberOfNodes, nodes))
	}
	if indicesOK {
		var shown []string
		for i, n := range indices {
			if i == 10 {
				shown = append(shown, fmt.Sprintf("and %d more", len(indices)-10))
				break
			}
			shown = append(shown, clean(n, 64))
		}
		s := fmt.Sprintf("GET /_cat/indices answered without credentials: %d indices", len(indices))
		if len(shown) > 0 {
			s += " (" + strings.Join(shown, ", ") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// auditElasticsearch reads the cluster's health and its index names; a
// cluster with security on answers 401 to both.
func auditElasticsearch(ctx context.Context, p *prober, _ *facts.Service) (*facts.Access, error) {
	hr, err := p.get(ctx, "/_cluster/health")
	if err != nil {
		return nil, err
	}
	h, healthOK := parseESHealth(hr.Body)
	healthOK = healthOK && hr.Status == 200
	var indices []string
	indicesOK := false
	if ir, err := p.get(ctx, "/_cat/indices?h=index&s=index"); err == nil && ir.Status == 200 {
		indices, indicesOK = parseCatIndices(ir.Body), true
	}
	if !healthOK && !indicesOK {
		return &facts.Access{}, nil
	}
	return &facts.Access{Unauthenticated: esEvidence(h, healthOK, indices, indicesOK)}, nil
}
