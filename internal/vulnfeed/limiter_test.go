package vulnfeed

import (
	"context"
	"testing"
	"time"
)

// TestLimiter: five requests in any 30 s, by the clock given: the sixth
// waits until the first is 30 s old, the seventh until the second is.
func TestLimiter(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	var slept []time.Duration
	l := &limiter{n: 5, per: 30 * time.Second, now: func() time.Time { return now },
		sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); now = now.Add(d); return nil }}
	for i := range 5 {
		if err := l.wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Duration(i+1) * time.Second) // at 0, 1, 3, 6, 10 s
	}
	// It is 15 s: the first request is 15 s old.
	if err := l.wait(t.Context()); err != nil || len(slept) != 1 || slept[0] != 15*time.Second {
		t.Fatalf("sixth request: slept %v (%v), want 15 s", slept, err)
	}
	// It is 30 s; the second request (1 s) frees its place at 31 s.
	if err := l.wait(t.Context()); err != nil || len(slept) != 2 || slept[1] != time.Second {
		t.Fatalf("seventh request: slept %v (%v), want 1 s more", slept, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	l.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	if err := l.wait(ctx); err == nil {
		t.Error("a cancelled wait returned no error")
	}
}

// TestRetryAfter reads both forms of Retry-After.
func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{"7": 7 * time.Second, "Mon, 07 Dec 2026 12:01:00 GMT": time.Minute, "0": 0} {
		if got, ok := retryAfter(v, now); !ok || got != want {
			t.Errorf("Retry-After %q: %v %v, want %v", v, got, ok, want)
		}
	}
	if _, ok := retryAfter("soon", now); ok {
		t.Error(`Retry-After "soon" was read`)
	}
}
