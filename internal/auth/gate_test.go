package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestPasswordGateBounds: no more than n checks run at once, and all of
// them finish.
func TestPasswordGateBounds(t *testing.T) {
	const n, callers = 2, 10
	g := NewPasswordGate(n)
	var active, most, done atomic.Int32
	release := make(chan struct{})
	reached := make(chan struct{})
	var once sync.Once
	g.check = func(encoded, password string) bool {
		now := active.Add(1)
		for {
			m := most.Load()
			if now <= m || most.CompareAndSwap(m, now) {
				break
			}
		}
		if now == n {
			once.Do(func() { close(reached) })
		}
		<-release
		active.Add(-1)
		return encoded == "good" && password == "pw"
	}
	var wg sync.WaitGroup
	results := make(chan bool, callers)
	for i := range callers {
		wg.Go(func() {
			enc := "good"
			if i%2 == 1 {
				enc = ""
			}
			ok, err := g.Check(t.Context(), enc, "pw")
			if err != nil {
				t.Error(err)
			}
			results <- ok
			done.Add(1)
		})
	}
	<-reached // n checks are running at once
	close(release)
	wg.Wait()
	close(results)
	if most.Load() != n || done.Load() != callers {
		t.Errorf("at most %d checks ran at once and %d finished; want %d and %d", most.Load(), done.Load(), n, callers)
	}
	trues := 0
	for ok := range results {
		if ok {
			trues++
		}
	}
	if trues != callers/2 {
		t.Errorf("%d checks passed, want %d (an unknown account, encoded \"\", never passes)", trues, callers/2)
	}
}

// TestPasswordGateGivesUp: a caller whose context ends while the gate is
// full gets the context's error, not a check.
func TestPasswordGateGivesUp(t *testing.T) {
	g := NewPasswordGate(1)
	release := make(chan struct{})
	entered := make(chan struct{})
	g.check = func(string, string) bool { close(entered); <-release; return true }
	go g.Check(context.Background(), "x", "y")
	<-entered
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if ok, err := g.Check(ctx, "x", "y"); ok || !errors.Is(err, context.Canceled) {
		t.Errorf("Check on a full gate with an ended context = %v, %v", ok, err)
	}
	if _, err := g.Hash(ctx, "y"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash on a full gate with an ended context: %v", err)
	}
	close(release)
}

// TestPasswordGateReal: the gate checks real hashes.
func TestPasswordGateReal(t *testing.T) {
	g := NewPasswordGate(0)
	enc, err := g.Hash(t.Context(), "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		enc, pw string
		want    bool
	}{
		{enc, "correct horse battery staple", true},
		{enc, "wrong", false},
		{"", "correct horse battery staple", false},
	} {
		if ok, err := g.Check(t.Context(), tt.enc, tt.pw); ok != tt.want || err != nil {
			t.Errorf("Check(%q, %q) = %v, %v", tt.enc, tt.pw, ok, err)
		}
	}
}
