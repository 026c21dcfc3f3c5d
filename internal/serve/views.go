package serve

import (
	"context"
	"sync"
)

// viewCache keeps what pages computed from the store (the overview's
// level, counts and chart; a host's history, findings and diff) while the
// store's version stays the same, so that many readers of an unchanged
// store cost two indexed reads each rather than the page's queries and the
// re-rating of a large scan. A new version (a scan stored, an acceptance
// made or revoked), or a new day (acceptances end with a day), drops all.
// Cached values are shared by every request: read-only.
type viewCache struct {
	mu      sync.Mutex
	max     int
	version string
	m       map[string]any
}

func newViewCache(n int) *viewCache { return &viewCache{max: n, m: map[string]any{}} }

// get returns the value of key under version, computing it when absent.
func (c *viewCache) get(version, key string, compute func() (any, error)) (any, error) {
	c.mu.Lock()
	if c.version != version {
		c.version, c.m = version, map[string]any{}
	}
	if v, ok := c.m[key]; ok {
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	v, err := compute()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version == version && len(c.m) < c.max {
		c.m[key] = v
	}
	return v, nil
}

// view returns a page's data from the cache, or computes and keeps it.
func (s *Server) view(ctx context.Context, key string, compute func() (any, error)) (any, error) {
	v, err := s.st.Version(ctx)
	if err != nil {
		return nil, err
	}
	return s.views.get(v+"/"+s.now().UTC().Format("2006-01-02"), key, compute)
}
