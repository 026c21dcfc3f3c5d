package fix

import (
	"slices"
	"sync"
	"testing"
)

// workers is a System whose children of pid 100 are replaced after a few
// looks, as nginx's are after SIGHUP.
type workers struct {
	fakeSystem
	mu    sync.Mutex
	looks int
}

func (w *workers) Children(pid int) ([]int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.looks++
	if w.looks < 4 {
		return []int{201, 202}, nil // the old workers, still finishing
	}
	return []int{301, 302}, nil // the new ones
}

func TestDrainWaitsForTheOldWorkers(t *testing.T) {
	w := &workers{}
	a := &Applier{Sys: w}
	if err := a.drain(t.Context(), 100, []int{201, 202}); err != nil {
		t.Fatal(err)
	}
	if w.looks < 4 {
		t.Errorf("drain returned after %d looks, before the old workers were gone", w.looks)
	}
	now, _ := w.Children(100)
	if slices.Contains(now, 201) {
		t.Errorf("old worker still there: %v", now)
	}
	if err := a.drain(t.Context(), 100, nil); err != nil {
		t.Errorf("nothing to drain: %v", err)
	}
}
