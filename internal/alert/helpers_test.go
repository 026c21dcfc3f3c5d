package alert

import (
	"context"
	"sync"
	"testing"
	"time"
)

// memStore is an alert Store in memory.
type memStore struct {
	mu         sync.Mutex
	targets    []Target
	events     map[string]Event
	deliveries []Delivery
}

func newMemStore(targets ...Target) *memStore {
	return &memStore{targets: targets, events: map[string]Event{}}
}

func (m *memStore) AlertTargets(context.Context) ([]Target, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Target(nil), m.targets...), nil
}

func (m *memStore) RecordEvent(_ context.Context, e Event) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, seen := m.events[e.Key]; seen {
		return false, nil
	}
	m.events[e.Key] = e
	return true, nil
}

func (m *memStore) RecordDelivery(_ context.Context, d Delivery) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deliveries = append(m.deliveries, d)
	return nil
}

func (m *memStore) Deliveries() []Delivery {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Delivery(nil), m.deliveries...)
}

// fakeClock is a Clock that moves only when told. Each After call is
// announced on waits, so a test knows a retry is waiting and for how long.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	pending []fakeWaiter
	waits   chan time.Duration
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock {
	return &fakeClock{now: t, waits: make(chan time.Duration, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	c.pending = append(c.pending, fakeWaiter{c.now.Add(d), ch})
	c.mu.Unlock()
	c.waits <- d
	return ch
}

// Advance moves the clock on by d and fires the waits that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.pending[:0]
	for _, w := range c.pending {
		if w.at.After(c.now) {
			keep = append(keep, w)
			continue
		}
		w.ch <- c.now
	}
	c.pending = keep
}

// nextWait returns the duration of the next After call; the test fails if
// none comes (a hang guard, not a timing assertion).
func (c *fakeClock) nextWait(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.waits:
		return d
	case <-time.After(20 * time.Second):
		t.Fatal("no retry is waiting")
		return 0
	}
}

// noWait fails the test when a retry is waiting.
func (c *fakeClock) noWait(t *testing.T) {
	t.Helper()
	select {
	case d := <-c.waits:
		t.Fatalf("a retry waits %s, want none", d)
	default:
	}
}

var testEvent = Event{Key: "finding.new:0123abcd", Kind: KindFindingNew, Severity: "critical", Host: "127.0.2.9", Port: 23,
	Title: "New critical finding on 127.0.2.9 port 23/tcp: Telnet server in use", Detail: "Évidence «ünïcode»", Scan: "scan-1",
	Time: time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)}

// settle waits for the dispatcher's deliveries to end without any retry:
// it fails the test as soon as a retry waits (which would wait for ever on
// a clock nobody moves).
func settle(t *testing.T, d *Dispatcher, c *fakeClock) {
	t.Helper()
	done := make(chan struct{})
	go func() { d.Wait(); close(done) }()
	select {
	case <-done:
	case w := <-c.waits:
		d.Stop()
		c.Advance(w)
		<-done
		t.Fatalf("a retry waits %s, want none", w)
	}
}
