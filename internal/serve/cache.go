package serve

import (
	"context"
	"sync"

	"github.com/vigilsec/vigil/internal/result"
)

// docCache keeps the few stored documents the pages read most (the
// newest scan, and the one before it for a host's diff) decoded: a stored
// scan never changes, and decoding a scan of 250 hosts costs more than
// everything else a page does. Pages treat cached documents as read-only.
type docCache struct {
	mu    sync.Mutex
	max   int
	order []string // least recently used first
	docs  map[string]*result.Document
}

func newDocCache(n int) *docCache { return &docCache{max: n, docs: map[string]*result.Document{}} }

// get returns the stored document id, decoded once.
func (c *docCache) get(ctx context.Context, load func(context.Context, string) (*result.Document, error), id string) (*result.Document, error) {
	c.mu.Lock()
	if d, ok := c.docs[id]; ok {
		c.touch(id)
		c.mu.Unlock()
		return d, nil
	}
	c.mu.Unlock()
	d, err := load(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.docs[d.ID]; !ok {
		c.docs[d.ID] = d
		c.order = append(c.order, d.ID)
		for len(c.order) > c.max {
			delete(c.docs, c.order[0])
			c.order = c.order[1:]
		}
	}
	return d, nil
}

// touch moves id to the most recently used end; c.mu is held.
func (c *docCache) touch(id string) {
	for i, x := range c.order {
		if x == id {
			c.order = append(append(c.order[:i:i], c.order[i+1:]...), id)
			return
		}
	}
}
