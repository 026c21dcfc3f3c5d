package auth

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a controllable clock for the limiter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newTestLimiter() (*Limiter, *clock) {
	c := &clock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	return NewLimiter(c.now), c
}

// step is one action on a limiter in a scenario.
type step struct {
	advance         time.Duration
	op              string // "fail", "ok" (a success), "allow"
	account, source string
	n               int           // repeat count for fail (default 1)
	wantOK          bool          // for allow
	wantRetry       time.Duration // for allow, when refused
}

func TestLimiter(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"fresh account allowed", []step{
			{op: "allow", account: "alice", source: "192.0.2.1", wantOK: true},
		}},
		{"four failures still allowed", []step{
			{op: "fail", account: "alice", source: "192.0.2.1", n: 4},
			{op: "allow", account: "alice", source: "192.0.2.1", wantOK: true},
		}},
		{"five failures lock the account for the window", []step{
			{op: "fail", account: "alice", source: "192.0.2.1", n: 5},
			{op: "allow", account: "alice", source: "192.0.2.1", wantOK: false, wantRetry: LimitWindow},
			{op: "allow", account: "alice", source: "198.51.100.7", wantOK: false, wantRetry: LimitWindow},
			{op: "allow", account: "bob", source: "198.51.100.7", wantOK: true},
			{advance: 10 * time.Minute, op: "allow", account: "alice", source: "192.0.2.1", wantOK: false, wantRetry: 5 * time.Minute},
			{advance: 5 * time.Minute, op: "allow", account: "alice", source: "192.0.2.1", wantOK: true},
		}},
		{"sliding window: the oldest failure leaves first", []step{
			{op: "fail", account: "alice", source: "a", n: 3},
			{advance: 10 * time.Minute, op: "fail", account: "alice", source: "a", n: 2},
			{op: "allow", account: "alice", source: "a", wantOK: false, wantRetry: 5 * time.Minute},
			{advance: 5 * time.Minute, op: "allow", account: "alice", source: "a", wantOK: true},
			{op: "fail", account: "alice", source: "a", n: 2},
			{op: "allow", account: "alice", source: "a", wantOK: true},
			{op: "fail", account: "alice", source: "a"},
			{op: "allow", account: "alice", source: "a", wantOK: false, wantRetry: 10 * time.Minute},
		}},
		{"account names fold case and spaces", []step{
			{op: "fail", account: "Alice", source: "a", n: 3},
			{op: "fail", account: " alice ", source: "a", n: 2},
			{op: "allow", account: "ALICE", source: "b", wantOK: false, wantRetry: LimitWindow},
		}},
		{"success resets the account", []step{
			{op: "fail", account: "alice", source: "192.0.2.1", n: 4},
			{op: "ok", account: "alice", source: "192.0.2.1"},
			{op: "fail", account: "alice", source: "192.0.2.1", n: 4},
			{op: "allow", account: "alice", source: "192.0.2.1", wantOK: true},
		}},
		{"twenty failures lock the source across accounts", []step{
			{op: "fail", account: "a1", source: "192.0.2.9", n: 4},
			{op: "fail", account: "a2", source: "192.0.2.9", n: 4},
			{op: "fail", account: "a3", source: "192.0.2.9", n: 4},
			{op: "fail", account: "a4", source: "192.0.2.9", n: 4},
			{op: "allow", account: "a5", source: "192.0.2.9", wantOK: true},
			{op: "fail", account: "a5", source: "192.0.2.9", n: 4},
			{op: "allow", account: "bob", source: "192.0.2.9", wantOK: false, wantRetry: LimitWindow},
			{op: "allow", account: "bob", source: "192.0.2.10", wantOK: true},
		}},
		{"success does not reset the source", []step{
			{op: "fail", account: "x", source: "192.0.2.9", n: 4},
			{op: "fail", account: "y", source: "192.0.2.9", n: 4},
			{op: "fail", account: "z", source: "192.0.2.9", n: 4},
			{op: "fail", account: "w", source: "192.0.2.9", n: 4},
			{op: "fail", account: "v", source: "192.0.2.9", n: 3},
			{op: "ok", account: "mallory", source: "192.0.2.9"},
			{op: "fail", account: "u", source: "192.0.2.9"},
			{op: "allow", account: "mallory", source: "192.0.2.9", wantOK: false, wantRetry: LimitWindow},
		}},
		{"source with a port, IPv4-mapped, IPv6 by /64", []step{
			{op: "fail", account: "a1", source: "192.0.2.9:5000", n: 5},
			{op: "fail", account: "a2", source: "[::ffff:192.0.2.9]:6000", n: 5},
			{op: "fail", account: "a3", source: "192.0.2.9", n: 5},
			{op: "fail", account: "a4", source: "192.0.2.9:1", n: 5},
			{op: "allow", account: "bob", source: "192.0.2.9:7000", wantOK: false, wantRetry: LimitWindow},
			{op: "fail", account: "b1", source: "2001:db8:1:2::1", n: 5},
			{op: "fail", account: "b2", source: "[2001:db8:1:2::ffff]:443", n: 5},
			{op: "fail", account: "b3", source: "2001:db8:1:2:aaaa::1", n: 5},
			{op: "fail", account: "b4", source: "2001:db8:1:2:bbbb::1", n: 5},
			{op: "allow", account: "bob", source: "2001:db8:1:2:cccc::1", wantOK: false, wantRetry: LimitWindow},
			{op: "allow", account: "bob", source: "2001:db8:1:3::1", wantOK: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, c := newTestLimiter()
			for i, s := range tt.steps {
				c.add(s.advance)
				switch s.op {
				case "fail":
					for range max(s.n, 1) {
						l.Failure(s.account, s.source)
					}
				case "ok":
					l.Success(s.account, s.source)
				case "allow":
					ok, retry := l.Allow(s.account, s.source)
					if ok != s.wantOK || (!ok && retry != s.wantRetry) || (ok && retry != 0) {
						t.Fatalf("step %d: Allow(%q, %q) = %v, %v; want %v, %v", i, s.account, s.source, ok, retry, s.wantOK, s.wantRetry)
					}
				default:
					t.Fatalf("step %d: unknown op %q", i, s.op)
				}
			}
		})
	}
}

// TestLimiterBounded: many accounts and sources never grow the limiter
// beyond its bound, expired entries go first, and a locked key that is
// still in the window outlives older ones.
func TestLimiterBounded(t *testing.T) {
	l, c := newTestLimiter()
	l.accounts.max, l.sources.max = 100, 100
	l.Failure("victim", "192.0.2.1")
	for range 4 {
		l.Failure("victim", "192.0.2.1")
	}
	for i := range 1000 {
		c.add(time.Millisecond)
		l.Failure(fmt.Sprintf("user%d", i), fmt.Sprintf("10.0.%d.%d", i/256, i%256))
		if a, s := l.size(); a > 100 || s > 100 {
			t.Fatalf("after %d failures the limiter holds %d accounts and %d sources, bound 100", i, a, s)
		}
	}
	// The victim's failures were the oldest: they were evicted (bounded
	// memory wins), which the per-source limit still backs.
	c.add(LimitWindow)
	l.Failure("late", "192.0.2.200")
	if a, s := l.size(); a != 1 || s != 1 {
		t.Errorf("after the window passed, a new failure left %d accounts and %d sources; want the expired ones dropped", a, s)
	}
	for range 100 {
		l.Allow(fmt.Sprintf("nobody%d", c.now().UnixNano()), "198.51.100.1")
	}
	if a, s := l.size(); a != 1 || s != 1 {
		t.Errorf("Allow grew the limiter to %d accounts, %d sources", a, s)
	}
}

func TestLimiterConcurrent(t *testing.T) {
	l, _ := newTestLimiter()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				src := fmt.Sprintf("192.0.2.%d", i)
				l.Failure(fmt.Sprintf("u%d", j%7), src)
				l.Allow("u1", src)
				l.Success("u2", src)
			}
		})
	}
	wg.Wait()
	if ok, _ := l.Allow("u3", "192.0.2.250"); ok {
		t.Error("u3 failed hundreds of times and is still allowed")
	}
}

// FuzzSourceKey: any source string (a client address, or whatever a proxy
// header held) keys without panicking, a key keys to itself, and an
// address keys as an address or a /64.
func FuzzSourceKey(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "192.0.2.1:443", "[2001:db8::1]:443", "2001:db8::1%eth0", "::ffff:192.0.2.1", "", "garbage", "[::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := sourceKey(s)
		if again := sourceKey(k); again != k {
			t.Fatalf("sourceKey(%q) = %q, but sourceKey of that is %q", s, k, again)
		}
		if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
			if a.Unmap().Is4() && k != a.Unmap().String() {
				t.Fatalf("IPv4 %q keys as %q", s, k)
			}
			if p, err := netip.ParsePrefix(k); !a.Unmap().Is4() && (err != nil || p.Bits() != 64 || !p.Contains(a.WithZone(""))) {
				t.Fatalf("IPv6 %q keys as %q, not its /64", s, k)
			}
		}
	})
}
