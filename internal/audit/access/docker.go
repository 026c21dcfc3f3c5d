package access

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/dockerapi"
	"github.com/vigilsec/vigil/internal/facts"
)

// parseDockerVersion reads the body of GET /version.
func parseDockerVersion(body []byte) (dockerapi.Version, bool) {
	v, err := dockerapi.ParseVersion(body)
	return v, err == nil
}

// parseContainers counts the containers of GET /containers/json.
func parseContainers(body []byte) (int, bool) {
	var list []json.RawMessage
	if json.Unmarshal(body, &list) != nil {
		return 0, false
	}
	return len(list), true
}

// auditDocker asks the Engine API for its version and for one running
// container: both answered means anyone who reaches the port controls the
// daemon (and root on the host). With --tlsverify the TLS handshake, or
// the request, is refused without a client certificate.
func auditDocker(ctx context.Context, p *prober, _ *facts.Service) (*facts.Access, error) {
	vr, err := p.get(ctx, "/version")
	if err != nil {
		return nil, err
	}
	v, versionOK := parseDockerVersion(vr.Body)
	versionOK = versionOK && vr.Status == 200
	n, listOK := 0, false
	if cr, err := p.get(ctx, "/containers/json?limit=1"); err == nil && cr.Status == 200 {
		n, listOK = parseContainers(cr.Body)
	}
	if !versionOK && !listOK {
		return &facts.Access{}, nil
	}
	var parts []string
	if versionOK {
		parts = append(parts, fmt.Sprintf("GET /version answered without credentials: Docker %s (API %s, %s/%s)",
			clean(v.Version, 32), clean(v.APIVersion, 16), clean(v.Os, 16), clean(v.Arch, 16)))
	}
	if listOK {
		word := "containers"
		if n == 1 {
			word = "container"
		}
		parts = append(parts, fmt.Sprintf("GET /containers/json?limit=1 answered with %d running %s", n, word))
	}
	return &facts.Access{Unauthenticated: strings.Join(parts, "; ")}, nil
}
