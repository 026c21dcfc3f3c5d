package schedule

import (
	"fmt"
	"strings"
	"time"
)

// Window is a daily time window "HH:MM-HH:MM" in local time, which may wrap
// midnight ("22:00-06:00"); the start is inside it and the end is not. The
// zero Window is always open.
type Window struct {
	set        bool
	start, end int // minutes of the day
}

// ParseWindow reads "HH:MM-HH:MM" (24-hour clock); "" is no window.
func ParseWindow(s string) (Window, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Window{}, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return Window{}, fmt.Errorf("window %q: write it as HH:MM-HH:MM, e.g. 01:00-05:00", s)
	}
	start, err := clockMinute(strings.TrimSpace(a))
	if err != nil {
		return Window{}, fmt.Errorf("window %q: %w", s, err)
	}
	end, err := clockMinute(strings.TrimSpace(b))
	if err != nil {
		return Window{}, fmt.Errorf("window %q: %w", s, err)
	}
	if start == end {
		return Window{}, fmt.Errorf("window %q opens and closes at the same time: leave it empty to run at any time", s)
	}
	return Window{set: true, start: start, end: end}, nil
}

// clockMinute reads HH:MM as minutes of the day.
func clockMinute(s string) (int, error) {
	hs, ms, ok := strings.Cut(s, ":")
	if !ok || len(hs) < 1 || len(hs) > 2 || len(ms) != 2 {
		return 0, fmt.Errorf("%q is not a time HH:MM", s)
	}
	h, err1 := smallNumber(hs)
	m, err2 := smallNumber(ms)
	if err1 != nil || err2 != nil || h > 23 || m > 59 {
		return 0, fmt.Errorf("%q is not a time from 00:00 to 23:59", s)
	}
	return h*60 + m, nil
}

// IsZero reports whether w is no window (always open).
func (w Window) IsZero() bool { return !w.set }

// String returns the window as "HH:MM-HH:MM", or "" for none.
func (w Window) String() string {
	if !w.set {
		return ""
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", w.start/60, w.start%60, w.end/60, w.end%60)
}

// Length is how long the window is open on a day without a
// daylight-saving change.
func (w Window) Length() time.Duration {
	if !w.set {
		return 24 * time.Hour
	}
	n := w.end - w.start
	if n < 0 {
		n += 24 * 60
	}
	return time.Duration(n) * time.Minute
}

// Contains reports whether the window is open at t (in t's location).
func (w Window) Contains(t time.Time) bool {
	if !w.set {
		return true
	}
	return lastAt(t, w.start).After(lastAt(t, w.end))
}

// lastAt returns the last instant at or before t when the clock in t's
// location reads minute of day (the first occurrence of a reading that
// happens twice; the change itself for a reading skipped).
func lastAt(t time.Time, minute int) time.Time {
	y, m, d := t.Date()
	for i := 1; i >= -3; i-- {
		c, _ := wallTimes(y, m, d+i, minute, t.Location())
		if !c.After(t) {
			return c
		}
	}
	return time.Time{}
}

// nextAt returns the first instant after t when the clock in t's location
// reads minute of day, like lastAt.
func nextAt(t time.Time, minute int) time.Time {
	y, m, d := t.Date()
	for i := -1; i <= 3; i++ {
		c, _ := wallTimes(y, m, d+i, minute, t.Location())
		if c.After(t) {
			return c
		}
	}
	return time.Time{}
}
