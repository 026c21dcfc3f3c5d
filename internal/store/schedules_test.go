package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/schedule"
)

// The store is what vigil serve's scheduler runs on.
var _ schedule.Store = (*Store)(nil)

func sched(id string, created time.Time) schedule.Entry {
	return schedule.Entry{
		ID: id, Name: "nightly " + id, Kind: schedule.KindScan,
		Targets: []string{"127.0.2.10-14", "10.0.0.0/24"}, Ports: "top:1000",
		Spec: "0 2 * * *", Window: "01:00-05:00", Jitter: 15 * time.Minute,
		Enabled: true, Created: created, Actor: "alice",
	}
}

func TestSchedulesRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		if list, err := s.Schedules(ctx); err != nil || len(list) != 0 {
			t.Fatalf("Schedules of an empty store = %v, %v", list, err)
		}
		created := time.Date(2026, 1, 10, 14, 7, 30, 123456789, time.UTC)
		a := sched("a", created)
		b := sched("b", created.Add(-time.Hour))
		b.Kind, b.Targets, b.Ports, b.Spec, b.Window, b.Jitter, b.Enabled = schedule.KindHostAudit, []string{"root@127.0.2.10"}, "", "every 24h", "", 0, false
		b.Last = created.Add(-time.Minute)
		for _, e := range []schedule.Entry{a, b} {
			if err := s.AddSchedule(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		list, err := s.Schedules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []schedule.Entry{b, a}; !reflect.DeepEqual(list, want) {
			t.Errorf("Schedules =\n%+v\nwant (oldest first)\n%+v", list, want)
		}
		got, err := s.Schedule(ctx, "a")
		if err != nil || !reflect.DeepEqual(got, a) {
			t.Errorf("Schedule(a) = %+v, %v; want %+v", got, err, a)
		}
		if _, err := s.Schedule(ctx, "nope"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no schedule nope") {
			t.Errorf("Schedule(nope) = %v, want ErrNotFound", err)
		}
		// The same id again is refused, and the first one is kept.
		again := sched("a", created.Add(time.Hour))
		again.Name = "other"
		if err := s.AddSchedule(ctx, again); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "already") {
			t.Errorf("AddSchedule of an existing id = %v, want ErrExists", err)
		}
		if got, _ := s.Schedule(ctx, "a"); got.Name != a.Name {
			t.Errorf("the existing schedule was overwritten: %+v", got)
		}
	})
}

func TestAddScheduleRefuses(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		created := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
		tests := []struct {
			change func(*schedule.Entry)
			want   string
		}{
			{func(e *schedule.Entry) { e.Spec = "61 * * * *" }, "minute 61"},
			{func(e *schedule.Entry) { e.Kind = "rm" }, `kind "rm"`},
			{func(e *schedule.Entry) { e.Targets = nil }, "no targets"},
			{func(e *schedule.Entry) { e.ID = "" }, "no id"},
		}
		for i, tt := range tests {
			e := sched(fmt.Sprint("bad", i), created)
			tt.change(&e)
			if err := s.AddSchedule(t.Context(), e); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("AddSchedule = %v, want an error with %q", err, tt.want)
			}
		}
		if list, _ := s.Schedules(t.Context()); len(list) != 0 {
			t.Errorf("%d schedules stored from refused ones", len(list))
		}
		// Strings from outside are made storable.
		e := sched("odd", created)
		e.Name, e.Actor, e.Targets = "bad \x00 name \xff", "eve\x00", []string{" 127.0.0.1 "}
		if err := s.AddSchedule(t.Context(), e); err != nil {
			t.Fatal(err)
		}
		got, err := s.Schedule(t.Context(), "odd")
		if err != nil || got.Name != "bad \uFFFD name \uFFFD" || got.Actor != "eve\uFFFD" || !reflect.DeepEqual(got.Targets, []string{"127.0.0.1"}) {
			t.Errorf("Schedule(odd) = %+v, %v", got, err)
		}
	})
}

func TestMarkRun(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		created := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
		if err := s.AddSchedule(ctx, sched("a", created)); err != nil {
			t.Fatal(err)
		}
		last := func() time.Time {
			t.Helper()
			e, err := s.Schedule(ctx, "a")
			if err != nil {
				t.Fatal(err)
			}
			return e.Last
		}
		p1 := created.Add(26 * time.Hour)
		if err := s.MarkRun(ctx, "a", p1); err != nil {
			t.Fatal(err)
		}
		if !last().Equal(p1) {
			t.Errorf("Last = %s, want %s", last(), p1)
		}
		// Never backwards, nor twice for the same time.
		for _, p := range []time.Time{p1, p1.Add(-time.Hour), p1.Add(-time.Nanosecond)} {
			if err := s.MarkRun(ctx, "a", p); !errors.Is(err, schedule.ErrAlreadyRun) {
				t.Errorf("MarkRun(%s) after %s = %v, want ErrAlreadyRun", p, p1, err)
			}
		}
		if !last().Equal(p1) {
			t.Errorf("Last moved back to %s", last())
		}
		// A time in another zone is the same instant.
		p2 := p1.Add(24 * time.Hour).In(time.FixedZone("X", 5*3600))
		if err := s.MarkRun(ctx, "a", p2); err != nil || !last().Equal(p2) {
			t.Errorf("MarkRun(%s) = %v, Last = %s", p2, err, last())
		}
		if err := s.MarkRun(ctx, "nope", p2); !errors.Is(err, ErrNotFound) {
			t.Errorf("MarkRun of an unknown schedule = %v, want ErrNotFound", err)
		}
		if err := s.MarkRun(ctx, "a", time.Time{}); err == nil {
			t.Error("MarkRun of the zero time succeeded")
		}
	})
}

// TestMarkRunOnce races several writers recording the same planned times:
// each time is recorded by exactly one.
func TestMarkRunOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		created := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
		if err := s.AddSchedule(ctx, sched("a", created)); err != nil {
			t.Fatal(err)
		}
		const writers, runs = 6, 10
		var mu sync.Mutex
		won := map[int]int{}
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				for k := 1; k <= runs; k++ {
					err := s.MarkRun(ctx, "a", created.Add(time.Duration(k)*time.Hour))
					switch {
					case err == nil:
						mu.Lock()
						won[k]++
						mu.Unlock()
					case !errors.Is(err, schedule.ErrAlreadyRun):
						t.Errorf("MarkRun: %v", err)
					}
				}
			})
		}
		wg.Wait()
		for k := 1; k <= runs; k++ {
			if won[k] > 1 {
				t.Errorf("run %d recorded by %d writers", k, won[k])
			}
		}
		if won[runs] != 1 {
			t.Errorf("the last run recorded %d times, want 1", won[runs])
		}
	})
}

func TestEnableDeleteSchedule(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		created := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
		for _, id := range []string{"a", "b"} {
			if err := s.AddSchedule(ctx, sched(id, created)); err != nil {
				t.Fatal(err)
			}
		}
		for _, on := range []bool{false, true, false} {
			if err := s.SetScheduleEnabled(ctx, "a", on); err != nil {
				t.Fatal(err)
			}
			if e, _ := s.Schedule(ctx, "a"); e.Enabled != on {
				t.Errorf("Enabled = %v, want %v", e.Enabled, on)
			}
		}
		if e, _ := s.Schedule(ctx, "b"); !e.Enabled {
			t.Error("changing a changed b")
		}
		if err := s.SetScheduleEnabled(ctx, "nope", true); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetScheduleEnabled(nope) = %v, want ErrNotFound", err)
		}
		if err := s.DeleteSchedule(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSchedule(ctx, "a"); !errors.Is(err, ErrNotFound) {
			t.Errorf("second DeleteSchedule = %v, want ErrNotFound", err)
		}
		list, err := s.Schedules(ctx)
		if err != nil || len(list) != 1 || list[0].ID != "b" {
			t.Errorf("Schedules after deleting a = %+v, %v", list, err)
		}
	})
}

// TestScheduleRunsOnStore drives the scheduler on a real store: a schedule
// every minute, the clock advanced minute by minute, five launches; and a
// restart three hours later launches once.
func TestScheduleRunsOnStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		created := time.Date(2026, 1, 10, 14, 0, 0, 0, time.UTC)
		e := sched("every-minute", created)
		e.Spec, e.Window, e.Jitter = "every 1m", "", 0
		if err := s.AddSchedule(t.Context(), e); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var planned []time.Time
		launch := func(_ context.Context, _ schedule.Entry, p time.Time) error {
			mu.Lock()
			defer mu.Unlock()
			planned = append(planned, p)
			return nil
		}
		runFor := func(clock *schedule.FakeClock, steps int) {
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- schedule.Run(ctx, clock, s, launch, nil) }()
			clock.BlockUntil(1)
			for range steps {
				clock.Advance(time.Minute)
				clock.BlockUntil(1)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
		runFor(schedule.NewFakeClock(created), 5)
		mu.Lock()
		if len(planned) != 5 {
			t.Fatalf("%d launches in 5 minutes, want 5: %v", len(planned), planned)
		}
		for i, p := range planned {
			if want := created.Add(time.Duration(i+1) * time.Minute); !p.Equal(want) {
				t.Errorf("launch %d planned at %s, want %s", i, p, want)
			}
		}
		planned = nil
		mu.Unlock()
		// Down for three hours: one launch at the restart.
		runFor(schedule.NewFakeClock(created.Add(3*time.Hour+5*time.Minute+10*time.Second)), 0)
		mu.Lock()
		defer mu.Unlock()
		if len(planned) != 1 || !planned[0].Equal(created.Add(3*time.Hour+5*time.Minute)) {
			t.Errorf("launches after 3 hours down = %v, want one at 3h05m", planned)
		}
		if got, _ := s.Schedule(t.Context(), e.ID); !got.Last.Equal(created.Add(3*time.Hour + 5*time.Minute)) {
			t.Errorf("Last = %s", got.Last)
		}
	})
}
