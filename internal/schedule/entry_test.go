package schedule

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	tests := []struct {
		in, want string
		length   time.Duration
		wantErr  string
	}{
		{in: "", want: "", length: 24 * time.Hour},
		{in: "01:00-05:00", want: "01:00-05:00", length: 4 * time.Hour},
		{in: " 22:30 - 6:00 ", want: "22:30-06:00", length: 7*time.Hour + 30*time.Minute},
		{in: "23:59-00:00", want: "23:59-00:00", length: time.Minute},
		{in: "01:00", wantErr: "HH:MM-HH:MM"},
		{in: "01:00-01:00", wantErr: "same time"},
		{in: "24:00-01:00", wantErr: "00:00 to 23:59"},
		{in: "01:60-02:00", wantErr: "00:00 to 23:59"},
		{in: "1-2", wantErr: "not a time"},
		{in: "01:0-02:00", wantErr: "not a time"},
		{in: "-1:00-02:00", wantErr: "not a time"},
	}
	for _, tt := range tests {
		w, err := ParseWindow(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseWindow(%q) = %v, want an error with %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || w.String() != tt.want || w.Length() != tt.length {
			t.Errorf("ParseWindow(%q) = %q %s, %v; want %q %s", tt.in, w, w.Length(), err, tt.want, tt.length)
		}
	}
}

func TestWindowContains(t *testing.T) {
	utc := time.UTC
	berlin := zone(t, "Europe/Berlin")
	tests := []struct {
		window string
		loc    *time.Location
		at     string
		want   bool
	}{
		{"", utc, "2026-01-10 12:00", true},
		{"02:00-04:00", utc, "2026-01-10 01:59", false},
		{"02:00-04:00", utc, "2026-01-10 02:00", true},
		{"02:00-04:00", utc, "2026-01-10 03:59", true},
		{"02:00-04:00", utc, "2026-01-10 04:00", false},
		{"22:00-06:00", utc, "2026-01-10 23:00", true},
		{"22:00-06:00", utc, "2026-01-10 00:30", true},
		{"22:00-06:00", utc, "2026-01-10 06:00", false},
		{"22:00-06:00", utc, "2026-01-10 12:00", false},
		// In local time: 03:30 CEST is 01:30 UTC.
		{"03:00-04:00", berlin, "2026-06-10 03:30", true},
		// A window inside the skipped hour is empty that day.
		{"02:10-02:50", berlin, "2026-03-29 03:00", false},
	}
	for _, tt := range tests {
		w, err := ParseWindow(tt.window)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Contains(at(t, tt.loc, tt.at)); got != tt.want {
			t.Errorf("%q.Contains(%s) = %v, want %v", tt.window, tt.at, got, tt.want)
		}
	}
}

func TestOffset(t *testing.T) {
	if got := Offset("abc", 0); got != 0 {
		t.Errorf("Offset without jitter = %s", got)
	}
	if got := Offset("abc", 999*time.Millisecond); got != 0 {
		t.Errorf("Offset under a second = %s", got)
	}
	seen := map[time.Duration]bool{}
	for i := range 200 {
		id := fmt.Sprintf("sched-%d", i)
		o := Offset(id, 10*time.Minute)
		if o < 0 || o >= 10*time.Minute || o%time.Second != 0 {
			t.Fatalf("Offset(%s, 10m) = %s, want whole seconds in [0, 10m)", id, o)
		}
		if o != Offset(id, 10*time.Minute) {
			t.Fatalf("Offset(%s) changes between calls", id)
		}
		seen[o] = true
	}
	if len(seen) < 100 {
		t.Errorf("200 ids share %d offsets: the jitter does not spread them", len(seen))
	}
}

func entry(spec string, created time.Time) Entry {
	return Entry{ID: "s1", Kind: KindScan, Targets: []string{"127.0.0.1"}, Spec: spec, Enabled: true, Created: created}
}

func TestDue(t *testing.T) {
	t0 := time.Date(2026, 1, 10, 14, 7, 0, 0, time.UTC) // a Saturday
	day := func(s string) time.Time { return at(t, time.UTC, s) }
	type check struct {
		now    time.Time
		want   time.Time // zero: not due
		wantOK bool
	}
	tests := []struct {
		name   string
		e      Entry
		checks []check
	}{
		{"every 1m: nothing at creation, then each minute", entry("every 1m", t0), []check{
			{t0, time.Time{}, false},
			{t0.Add(59 * time.Second), time.Time{}, false},
			{t0.Add(time.Minute), t0.Add(time.Minute), true},
			{t0.Add(90 * time.Second), t0.Add(time.Minute), true},
		}},
		{"three hours late: one run, the latest", entry("every 1m", t0), []check{
			{t0.Add(3*time.Hour + 30*time.Second), t0.Add(3 * time.Hour), true},
		}},
		{"already run", func() Entry { e := entry("every 1m", t0); e.Last = t0.Add(3 * time.Hour); return e }(), []check{
			{t0.Add(3*time.Hour + 30*time.Second), time.Time{}, false},
			{t0.Add(3*time.Hour + time.Minute), t0.Add(3*time.Hour + time.Minute), true},
		}},
		{"clock set back behind Last", func() Entry { e := entry("every 1m", t0); e.Last = t0.Add(time.Hour); return e }(), []check{
			{t0.Add(30 * time.Minute), time.Time{}, false},
		}},
		{"cron: nothing planned before creation runs", entry("0 3 * * *", t0), []check{
			{day("2026-01-10 23:00"), time.Time{}, false},
			{day("2026-01-11 03:00"), day("2026-01-11 03:00"), true},
			{day("2026-01-15 10:00"), day("2026-01-15 03:00"), true},
		}},
		{"disabled", func() Entry { e := entry("every 1m", t0); e.Enabled = false; return e }(), []check{
			{t0.Add(time.Hour), time.Time{}, false},
		}},
		{"invalid spec", entry("every 1s", t0), []check{
			{t0.Add(time.Hour), time.Time{}, false},
		}},
		{"window: hourly runs outside it move to its opening", func() Entry {
			e := entry("every 1h", day("2026-01-10 00:00"))
			e.Window = "02:00-04:00"
			return e
		}(), []check{
			{day("2026-01-10 01:30"), time.Time{}, false}, // the 01:00 run waits for 02:00
			{day("2026-01-10 02:00"), day("2026-01-10 02:00"), true},
			{day("2026-01-10 03:10"), day("2026-01-10 03:00"), true},
			{day("2026-01-10 12:00"), day("2026-01-10 03:00"), true}, // 04:00-12:00 wait for tomorrow 02:00
			{day("2026-01-11 02:00"), day("2026-01-11 02:00"), true},
		}},
		{"window wrapping midnight", func() Entry {
			e := entry("0 12 * * *", t0)
			e.Window = "22:00-06:00"
			return e
		}(), []check{
			{day("2026-01-11 21:59"), time.Time{}, false},
			{day("2026-01-11 22:00"), day("2026-01-11 22:00"), true},
			{day("2026-01-12 05:00"), day("2026-01-11 22:00"), true},
		}},
	}
	for _, tt := range tests {
		for _, c := range tt.checks {
			got, ok := Due(tt.e, c.now)
			if ok != c.wantOK || !got.Equal(c.want) {
				t.Errorf("%s: Due at %s = %s, %v; want %s, %v", tt.name, c.now.Format(time.DateTime), got, ok, c.want, c.wantOK)
			}
		}
	}
}

func TestJitter(t *testing.T) {
	t0 := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	e := entry("every 1h", t0)
	e.ID = "nightly"
	e.Jitter = 10 * time.Minute
	o := Offset(e.ID, e.Jitter)
	if o == 0 {
		t.Fatal("pick an id with a non-zero offset")
	}
	if got := NextRun(e, t0); !got.Equal(t0.Add(time.Hour + o)) {
		t.Errorf("NextRun = %s, want %s", got, t0.Add(time.Hour+o))
	}
	if _, ok := Due(e, t0.Add(time.Hour+o-time.Second)); ok {
		t.Error("due before its offset")
	}
	// Every run keeps the same offset: no drift.
	for k := 1; k <= 48; k++ {
		want := t0.Add(time.Duration(k)*time.Hour + o)
		if got, ok := Due(e, want.Add(30*time.Second)); !ok || !got.Equal(want) {
			t.Fatalf("run %d: Due = %s, %v; want %s", k, got, ok, want)
		}
	}
}

// TestPlannedTimes checks, for many entries, that the runs NextRun walks
// through are in order, inside their window, and that Due at any moment
// picks the latest of them.
func TestPlannedTimes(t *testing.T) {
	zones := []*time.Location{time.UTC, zone(t, "Europe/Berlin"), zone(t, "America/New_York")}
	specs := []string{"every 1h", "every 25m", "every 24h", "*/10 * * * *", "30 2 * * *", "0 */3 * * *", "0 0 * * mon"}
	windows := []string{"", "02:00-04:00", "22:00-06:00", "01:30-02:30", "09:00-17:00"}
	jitters := []time.Duration{0, 45 * time.Minute, 3 * time.Hour}
	starts := []string{"2026-03-28 22:17", "2026-10-24 21:05", "2026-03-07 22:59", "2026-10-31 21:00"} // hours before the changes in Berlin and New York
	n := 0
	for _, loc := range zones {
		for _, spec := range specs {
			for _, win := range windows {
				for ji, jit := range jitters {
					for _, start := range starts {
						e := entry(spec, at(t, loc, start))
						e.ID = fmt.Sprintf("id-%d", n)
						n++
						e.Window = win
						e.Jitter = jit
						w, _ := ParseWindow(win)
						name := fmt.Sprintf("%s %q window %q jitter %d from %s", loc, spec, win, ji, start)
						checkPlanned(t, name, e, w)
					}
				}
			}
		}
	}
}

func checkPlanned(t *testing.T, name string, e Entry, w Window) {
	t.Helper()
	end := e.Created.Add(8 * 24 * time.Hour)
	var runs []time.Time
	for cur := e.Created; len(runs) < 80; {
		next := NextRun(e, cur)
		if next.IsZero() || next.After(end) {
			break
		}
		if !next.After(cur) {
			t.Fatalf("%s: NextRun(%s) = %s, not after", name, cur, next)
		}
		if !w.Contains(next) {
			t.Fatalf("%s: run at %s is outside the window", name, next)
		}
		runs = append(runs, next)
		cur = next
	}
	if len(runs) < 1 {
		t.Fatalf("%s: only %d runs in 8 days", name, len(runs))
	}
	// Due at, just before and between runs.
	for i, r := range runs {
		if got, ok := Due(e, r); !ok || !got.Equal(r) {
			t.Fatalf("%s: Due at run %s = %s, %v", name, r, got, ok)
		}
		before := r.Add(-time.Second)
		got, ok := Due(e, before)
		switch {
		case i == 0 && ok:
			t.Fatalf("%s: Due before the first run (%s) = %s", name, r, got)
		case i > 0 && (!ok || !got.Equal(runs[i-1])):
			t.Fatalf("%s: Due at %s = %s, %v; want %s", name, before, got, ok, runs[i-1])
		}
		// With the previous run recorded, nothing is due until this one.
		if i > 0 {
			done := e
			done.Last = runs[i-1]
			if got, ok := Due(done, before); ok {
				t.Fatalf("%s: Due after recording %s = %s", name, runs[i-1], got)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	good := entry("every 24h", time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC))
	if err := good.Validate(); err != nil {
		t.Fatalf("good entry: %v", err)
	}
	tests := []struct {
		change func(*Entry)
		want   string
	}{
		{func(e *Entry) { e.ID = "" }, "no id"},
		{func(e *Entry) { e.ID = "a b" }, "without spaces"},
		{func(e *Entry) { e.Kind = "reboot" }, `kind "reboot"`},
		{func(e *Entry) { e.Targets = nil }, "no targets"},
		{func(e *Entry) { e.Targets = []string{" "} }, "not a target"},
		{func(e *Entry) { e.Spec = "every 1s" }, "too often"},
		{func(e *Entry) { e.Window = "25:00-01:00" }, "window"},
		{func(e *Entry) { e.Jitter = -time.Second }, "jitter"},
		{func(e *Entry) { e.Jitter = 25 * time.Hour }, "jitter"},
		{func(e *Entry) { e.Created = time.Time{} }, "creation time"},
		{func(e *Entry) { e.Name = strings.Repeat("n", 201) }, "name is too long"},
	}
	for _, tt := range tests {
		e := good
		tt.change(&e)
		if err := e.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate = %v, want an error with %q", err, tt.want)
		}
	}
}

// FuzzDue checks Due and NextRun against each other for any schedule,
// window, jitter and moment: Due is at or before now, NextRun after it, and
// at NextRun's time Due returns exactly that time.
func FuzzDue(f *testing.F) {
	f.Add("every 1m", "", int64(0), int64(0), int64(3600))
	f.Add("30 2 * * *", "02:00-04:00", int64(45*60), int64(86400*3), int64(86400*80))
	f.Add("*/10 * * * *", "22:00-06:00", int64(3*3600), int64(0), int64(86400*200))
	f.Add("0 0 1 * mon", "01:30-02:30", int64(600), int64(123456), int64(86400*290))
	f.Add("every 25m", "09:00-17:00", int64(7200), int64(5), int64(86400*300))
	locs := []*time.Location{time.UTC}
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			f.Fatal(err)
		}
		locs = append(locs, loc)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, spec, window string, jitterSec, createdSec, nowSec int64) {
		e := Entry{ID: fmt.Sprintf("s%d", createdSec), Kind: KindScan, Targets: []string{"x"}, Spec: spec, Window: window, Enabled: true,
			Jitter: time.Duration(jitterSec%(25*3600)) * time.Second}
		if e.Jitter < 0 {
			e.Jitter = -e.Jitter
		}
		loc := locs[uint64(createdSec)%uint64(len(locs))]
		e.Created = base.Add(time.Duration(createdSec%(366*86400)) * time.Second)
		now := e.Created.Add(time.Duration(nowSec%(2*366*86400)) * time.Second).In(loc)
		if e.Validate() != nil {
			if _, ok := Due(e, now); ok {
				t.Fatal("an invalid entry is due")
			}
			return
		}
		if p, ok := Due(e, now); ok && (p.After(now) || !p.After(e.Created)) {
			t.Fatalf("Due(%s) = %s: not in (created, now]", now, p)
		}
		next := NextRun(e, now)
		if next.IsZero() {
			return
		}
		if !next.After(now) {
			t.Fatalf("NextRun(%s) = %s, not after", now, next)
		}
		if w, _ := ParseWindow(window); !w.Contains(next) && !dstDay(next) {
			t.Fatalf("NextRun(%s) = %s is outside the window %s", now, next, window)
		}
		if p, ok := Due(e, next); !ok || !p.Equal(next) {
			t.Fatalf("Due at NextRun %s = %s, %v", next, p, ok)
		}
		e.Last = next
		if p, ok := Due(e, next); ok {
			t.Fatalf("Due at %s after recording it = %s", next, p)
		}
	})
}

// dstDay reports whether the offset of t's zone changes within a day of t
// (where a window may be shorter than the jitter's offset).
func dstDay(t time.Time) bool {
	_, a := t.Add(-24 * time.Hour).Zone()
	_, b := t.Add(24 * time.Hour).Zone()
	return a != b
}
