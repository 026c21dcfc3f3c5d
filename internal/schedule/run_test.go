package schedule

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// memStore is an in-memory Store.
type memStore struct {
	mu       sync.Mutex
	entries  []Entry
	reads    int
	readErr  error
	markErr  error
	markRuns []time.Time
	// claimed is a Last another process recorded, which reads do not show
	// yet but MarkRun sees.
	claimed time.Time
	// forget makes MarkRun succeed without keeping Last, as a store whose
	// reads lag behind its writes.
	forget bool
}

func (m *memStore) Schedules(context.Context) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if m.readErr != nil {
		return nil, m.readErr
	}
	return slices.Clone(m.entries), nil
}

func (m *memStore) MarkRun(_ context.Context, id string, planned time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.markErr != nil {
		return m.markErr
	}
	for i := range m.entries {
		if m.entries[i].ID != id {
			continue
		}
		if !planned.After(m.entries[i].Last) || !planned.After(m.claimed) {
			return fmt.Errorf("schedule %s: %w", id, ErrAlreadyRun)
		}
		if !m.forget {
			m.entries[i].Last = planned
		}
		m.markRuns = append(m.markRuns, planned)
		return nil
	}
	return fmt.Errorf("no schedule %s", id)
}

func (m *memStore) set(f func(*memStore)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m)
}

// launch is one call of the Launcher.
type launch struct {
	id      string
	planned time.Time
}

// harness runs Run on a FakeClock and records the launches.
type harness struct {
	t      *testing.T
	clock  *FakeClock
	store  *memStore
	log    *bytes.Buffer
	mu     sync.Mutex
	runs   []launch
	fail   error
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, now time.Time, entries ...Entry) *harness {
	t.Helper()
	h := &harness{t: t, clock: NewFakeClock(now), store: &memStore{entries: entries}, log: &bytes.Buffer{}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	h.cancel = cancel
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: h.log, mu: &h.mu}, nil))
	launcher := func(_ context.Context, e Entry, planned time.Time) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.runs = append(h.runs, launch{e.ID, planned})
		return h.fail
	}
	go func() { h.done <- Run(ctx, h.clock, h.store, launcher, logger) }()
	t.Cleanup(func() {
		cancel()
		if err := <-h.done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	h.clock.BlockUntil(1)
	return h
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// step advances the clock by d and waits until Run sleeps again.
func (h *harness) step(d time.Duration) {
	h.clock.Advance(d)
	h.clock.BlockUntil(1)
}

func (h *harness) launches() []launch {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.runs)
}

func (h *harness) logged() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.log.String()
}

var t0 = time.Date(2026, 1, 10, 14, 0, 0, 0, time.UTC)

func TestRunEveryMinute(t *testing.T) {
	h := start(t, t0, entry("every 1m", t0))
	for range 5 {
		h.step(time.Minute)
	}
	got := h.launches()
	if len(got) != 5 {
		t.Fatalf("%d launches in 5 minutes, want 5: %v", len(got), got)
	}
	for i, l := range got {
		if want := t0.Add(time.Duration(i+1) * time.Minute); l.id != "s1" || !l.planned.Equal(want) {
			t.Errorf("launch %d = %s at %s, want s1 at %s", i, l.id, l.planned, want)
		}
	}
	// Advancing by less than the period launches nothing more.
	h.step(59 * time.Second)
	if n := len(h.launches()); n != 5 {
		t.Errorf("%d launches after 5m59s, want 5", n)
	}
}

func TestRunMissedRunsOnce(t *testing.T) {
	e := entry("every 1m", t0)
	e.Last = t0.Add(5 * time.Minute)
	h := start(t, t0.Add(3*time.Hour+20*time.Second), e)
	got := h.launches()
	if want := []launch{{"s1", t0.Add(3 * time.Hour)}}; !slices.Equal(got, want) {
		t.Fatalf("launches after 3 hours down = %v, want %v", got, want)
	}
	h.step(30 * time.Second)
	if n := len(h.launches()); n != 1 {
		t.Errorf("%d launches, want still 1", n)
	}
	h.step(10 * time.Second)
	if got := h.launches(); len(got) != 2 || !got[1].planned.Equal(t0.Add(3*time.Hour+time.Minute)) {
		t.Errorf("launches = %v, want the next one at 3h1m", got)
	}
}

func TestRunLaunchErrorCountsAsMade(t *testing.T) {
	h := start(t, t0, entry("every 1m", t0))
	h.mu.Lock()
	h.fail = errors.New("queue full")
	h.mu.Unlock()
	h.step(time.Minute)
	for range 10 {
		h.step(5 * time.Second)
	}
	if n := len(h.launches()); n != 1 {
		t.Errorf("%d launches after a failed one, want 1 (no retry before the next planned time)", n)
	}
	if !strings.Contains(h.logged(), "queue full") {
		t.Errorf("the failure is not logged: %s", h.logged())
	}
	h.step(10 * time.Second)
	if n := len(h.launches()); n != 2 {
		t.Errorf("%d launches at the next minute, want 2", n)
	}
}

func TestRunSkipsDisabledAndInvalid(t *testing.T) {
	off := entry("every 1m", t0)
	off.ID, off.Enabled = "off", false
	bad := entry("every 1s", t0)
	bad.ID = "bad"
	on := entry("every 2m", t0)
	on.ID = "on"
	h := start(t, t0, off, bad, on)
	for range 4 {
		h.step(time.Minute)
	}
	want := []launch{{"on", t0.Add(2 * time.Minute)}, {"on", t0.Add(4 * time.Minute)}}
	if got := h.launches(); !slices.Equal(got, want) {
		t.Errorf("launches = %v, want %v", got, want)
	}
	if n := strings.Count(h.logged(), "schedule cannot run"); n != 1 {
		t.Errorf("the invalid schedule is logged %d times, want once:\n%s", n, h.logged())
	}
}

func TestRunPicksUpNewSchedules(t *testing.T) {
	h := start(t, t0) // nothing scheduled: it still wakes every minute
	h.store.set(func(m *memStore) { m.entries = append(m.entries, entry("every 1m", t0.Add(30*time.Second))) })
	h.step(time.Minute) // reads the new schedule; its first run is at 1m30s
	if n := len(h.launches()); n != 0 {
		t.Fatalf("%d launches, want 0", n)
	}
	h.step(30 * time.Second)
	if got := h.launches(); len(got) != 1 || !got[0].planned.Equal(t0.Add(90*time.Second)) {
		t.Errorf("launches = %v, want one at 1m30s", got)
	}
	// Disabling it in the store stops it.
	h.store.set(func(m *memStore) { m.entries[0].Enabled = false })
	for range 3 {
		h.step(time.Minute)
	}
	if n := len(h.launches()); n != 1 {
		t.Errorf("%d launches after disabling, want 1", n)
	}
}

func TestRunStoreFailures(t *testing.T) {
	h := start(t, t0, entry("every 1m", t0))
	// A run that cannot be recorded is not launched, and is tried again at
	// the next wake-up, within a minute.
	h.store.set(func(m *memStore) { m.markErr = errors.New("disk full") })
	h.step(time.Minute)
	if n := len(h.launches()); n != 0 {
		t.Fatalf("%d launches without a recorded run, want 0", n)
	}
	h.store.set(func(m *memStore) { m.markErr = nil })
	h.step(time.Minute)
	if got := h.launches(); len(got) != 1 || !got[0].planned.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("launches = %v, want one, at 2m", got)
	}
	// A store that cannot be read: the last schedules read go on, once
	// per planned time.
	h.store.set(func(m *memStore) { m.readErr = errors.New("connection refused") })
	h.step(time.Minute)
	h.step(time.Minute)
	want := []launch{{"s1", t0.Add(2 * time.Minute)}, {"s1", t0.Add(3 * time.Minute)}, {"s1", t0.Add(4 * time.Minute)}}
	if got := h.launches(); !slices.Equal(got, want) {
		t.Errorf("launches = %v, want %v", got, want)
	}
	if !strings.Contains(h.logged(), "disk full") || !strings.Contains(h.logged(), "connection refused") {
		t.Errorf("failures not logged:\n%s", h.logged())
	}
}

func TestRunAlreadyRunElsewhere(t *testing.T) {
	h := start(t, t0, entry("every 1m", t0))
	// Another server records the 1m run between this one's read and its
	// MarkRun.
	h.store.set(func(m *memStore) { m.claimed = t0.Add(time.Minute) })
	h.step(time.Minute)
	if n := len(h.launches()); n != 0 {
		t.Errorf("%d launches of a run recorded elsewhere, want 0", n)
	}
	h.step(time.Minute)
	if got := h.launches(); len(got) != 1 || !got[0].planned.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("launches = %v, want the 2m run", got)
	}
	if strings.Contains(h.logged(), "level=ERROR") {
		t.Errorf("a run launched elsewhere is logged as an error:\n%s", h.logged())
	}
}

func TestRunRereadsEveryMinute(t *testing.T) {
	e := entry("every 24h", t0)
	h := start(t, t0, e)
	for range 10 {
		h.step(time.Minute)
	}
	h.store.mu.Lock()
	reads := h.store.reads
	h.store.mu.Unlock()
	if reads < 11 {
		t.Errorf("%d reads of the store in 10 minutes, want one a minute", reads)
	}
}

func TestRunArguments(t *testing.T) {
	c := NewFakeClock(t0)
	st := &memStore{}
	l := func(context.Context, Entry, time.Time) error { return nil }
	for _, tt := range []struct {
		c  Clock
		st Store
		l  Launcher
	}{{nil, st, l}, {c, nil, l}, {c, st, nil}} {
		if err := Run(t.Context(), tt.c, tt.st, tt.l, nil); err == nil {
			t.Error("Run with a missing argument did not fail")
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Run(ctx, c, st, l, nil); err != nil {
		t.Errorf("Run on an ended context = %v, want nil", err)
	}
}

func TestRunRemembersWhatItLaunched(t *testing.T) {
	h := start(t, t0, entry("every 5m", t0))
	h.store.set(func(m *memStore) { m.forget = true })
	for range 9 { // a run at 5m, and re-reads every minute until 9m
		h.step(time.Minute)
	}
	if got := h.launches(); len(got) != 1 {
		t.Errorf("launches = %v, want one: a store reading back an older Last must not relaunch", got)
	}
}

// TestRunRealClock runs an every-minute schedule on the real clock for a
// little over three minutes: three launches, one minute apart, planned
// exactly. It takes that long, so it runs only with
// VIGIL_REALTIME_SCHEDULE=1.
func TestRunRealClock(t *testing.T) {
	if os.Getenv("VIGIL_REALTIME_SCHEDULE") != "1" {
		t.Skip("takes 3 minutes: set VIGIL_REALTIME_SCHEDULE=1")
	}
	created := time.Now()
	st := &memStore{entries: []Entry{entry("every 1m", created)}}
	var mu sync.Mutex
	var got []time.Time
	var at []time.Time
	launcher := func(_ context.Context, _ Entry, planned time.Time) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, planned)
		at = append(at, time.Now())
		return nil
	}
	ctx, cancel := context.WithDeadline(t.Context(), created.Add(3*time.Minute+20*time.Second))
	defer cancel()
	if err := Run(ctx, RealClock(), st, launcher, slog.New(slog.NewTextHandler(os.Stderr, nil))); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("%d launches in 3m20s, want 3: %v", len(got), got)
	}
	for i, p := range got {
		if want := created.Add(time.Duration(i+1) * time.Minute); !p.Equal(want) {
			t.Errorf("launch %d planned at %s, want %s", i, p, want)
		}
		t.Logf("launch %d planned %s, launched %s after", i, p.Format(time.RFC3339Nano), at[i].Sub(p))
	}
}
