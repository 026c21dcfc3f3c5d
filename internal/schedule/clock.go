package schedule

import (
	"slices"
	"sync"
	"time"
)

// Clock tells the time and waits. The scheduler (and anything else that
// must be testable without sleeping) takes one instead of calling time.Now
// and time.After.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// RealClock returns the system clock: times in the local zone.
func RealClock() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// FakeClock is a Clock for tests: time stands still until Advance moves it.
// It is safe for concurrent use.
type FakeClock struct {
	mu      sync.Mutex
	changed *sync.Cond // signalled when waiters are added
	now     time.Time
	seq     int
	waiters []fakeWaiter
}

type fakeWaiter struct {
	deadline time.Time
	seq      int // order of After calls, for waiters with one deadline
	ch       chan time.Time
}

// NewFakeClock returns a FakeClock reading t (and t's location).
func NewFakeClock(t time.Time) *FakeClock {
	c := &FakeClock{now: t}
	c.changed = sync.NewCond(&c.mu)
	return c
}

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the fake time once Advance has
// moved it d or more past now; at once when d ≤ 0.
func (c *FakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.seq++
	c.waiters = append(c.waiters, fakeWaiter{deadline: c.now.Add(d), seq: c.seq, ch: ch})
	c.changed.Broadcast()
	return ch
}

// Advance moves the time d forward and fires, in order of deadline (then of
// the After calls), every After channel whose deadline has come.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	var due []fakeWaiter
	c.waiters = slices.DeleteFunc(c.waiters, func(w fakeWaiter) bool {
		if w.deadline.After(now) {
			return false
		}
		due = append(due, w)
		return true
	})
	c.mu.Unlock()
	slices.SortFunc(due, func(a, b fakeWaiter) int {
		if c := a.deadline.Compare(b.deadline); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	for _, w := range due {
		w.ch <- now // buffered: never blocks
	}
}

// Waiters returns how many After channels wait for their deadline.
func (c *FakeClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// BlockUntil waits until at least n After channels wait for their deadline:
// a test calls it to know that the code under test is asleep before it
// advances the clock.
func (c *FakeClock) BlockUntil(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.waiters) < n {
		c.changed.Wait()
	}
}
