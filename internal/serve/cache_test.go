package serve

import (
	"context"
	"errors"
	"testing"

	"github.com/vigilsec/vigil/internal/result"
)

func TestDocCache(t *testing.T) {
	loads := map[string]int{}
	load := func(_ context.Context, id string) (*result.Document, error) {
		if id == "missing" {
			return nil, errors.New("no such scan")
		}
		loads[id]++
		return &result.Document{ID: id}, nil
	}
	c := newDocCache(2)
	for _, id := range []string{"a", "b", "a", "c", "a", "b"} {
		d, err := c.get(t.Context(), load, id)
		if err != nil || d.ID != id {
			t.Fatalf("get(%s) = %v, %v", id, d, err)
		}
	}
	// a stays (used most recently), b was evicted by c and loaded again.
	if loads["a"] != 1 || loads["b"] != 2 || loads["c"] != 1 {
		t.Errorf("loads = %v, want a once, b twice, c once", loads)
	}
	if _, err := c.get(t.Context(), load, "missing"); err == nil {
		t.Error("a load error was not returned")
	}
	if len(c.docs) != 2 || len(c.order) != 2 {
		t.Errorf("the cache holds %d documents (%d in order), want 2", len(c.docs), len(c.order))
	}
}
