package schedule

import (
	"testing"
	"time"
)

func TestFakeClock(t *testing.T) {
	t0 := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	c := NewFakeClock(t0)
	if !c.Now().Equal(t0) {
		t.Fatalf("Now = %s", c.Now())
	}
	now := c.After(0)
	select {
	case v := <-now:
		if !v.Equal(t0) {
			t.Errorf("After(0) sent %s", v)
		}
	default:
		t.Fatal("After(0) did not fire at once")
	}
	late := c.After(3 * time.Minute)
	early := c.After(time.Minute)
	same := c.After(time.Minute)
	if c.Waiters() != 3 {
		t.Fatalf("Waiters = %d, want 3", c.Waiters())
	}
	c.Advance(59 * time.Second)
	for _, ch := range []<-chan time.Time{late, early, same} {
		select {
		case <-ch:
			t.Fatal("fired before its deadline")
		default:
		}
	}
	c.Advance(time.Second)
	for _, ch := range []<-chan time.Time{early, same} {
		select {
		case v := <-ch:
			if !v.Equal(t0.Add(time.Minute)) {
				t.Errorf("fired with %s", v)
			}
		default:
			t.Fatal("did not fire at its deadline")
		}
	}
	if c.Waiters() != 1 {
		t.Errorf("Waiters = %d after firing two, want 1", c.Waiters())
	}
	c.Advance(time.Hour)
	select {
	case v := <-late:
		if !v.Equal(t0.Add(time.Hour + time.Minute)) {
			t.Errorf("late fired with %s", v)
		}
	default:
		t.Fatal("an Advance past the deadline did not fire")
	}
	if !c.Now().Equal(t0.Add(time.Hour + time.Minute)) {
		t.Errorf("Now = %s", c.Now())
	}
}

func TestFakeClockBlockUntil(t *testing.T) {
	c := NewFakeClock(time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC))
	got := make(chan time.Time)
	go func() {
		for range 3 {
			got <- <-c.After(time.Minute)
		}
		close(got)
	}()
	var fired []time.Time
	for range 3 {
		c.BlockUntil(1) // the goroutine waits: advancing now cannot miss it
		c.Advance(time.Minute)
		fired = append(fired, <-got)
	}
	for i, v := range fired {
		if want := time.Date(2026, 1, 10, 0, i+1, 0, 0, time.UTC); !v.Equal(want) {
			t.Errorf("wake-up %d at %s, want %s", i, v, want)
		}
	}
	if _, open := <-got; open {
		t.Error("more wake-ups than waits")
	}
}
