package schedule

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the DST tests need zones whatever the machine has
)

// at parses "2006-01-02 15:04" in loc.
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    string // String(); "" when an error is expected
		wantErr string
	}{
		{in: "* * * * *", want: "* * * * *"},
		{in: "  0   3 * *\t* ", want: "0 3 * * *"},
		{in: "*/15 9-17 * * mon-fri", want: "*/15 9-17 * * mon-fri"},
		{in: "0 0 1 * MON", want: "0 0 1 * MON"},
		{in: "0 0 1,15 jan-mar,dec 0,7", want: "0 0 1,15 jan-mar,dec 0,7"},
		{in: "0-30/10 */6 1-31/2 * *", want: "0-30/10 */6 1-31/2 * *"},
		{in: "@daily", want: "@daily"},
		{in: "@HOURLY", want: "@hourly"},
		{in: "@weekly", want: "@weekly"},
		{in: "@monthly", want: "@monthly"},
		{in: "@yearly", want: "@yearly"},
		{in: "every 90m", want: "every 90m"},
		{in: "EVERY 24h", want: "every 24h"},
		{in: "every 1h30m", want: "every 1h30m"},
		{in: "every 1m", want: "every 1m"},
		{in: "0 12 29 2 *", want: "0 12 29 2 *"},
		{in: "0 0 30 2 mon", want: "0 0 30 2 mon"}, // either field: Mondays of February

		{in: "", wantErr: "empty schedule"},
		{in: "* * * *", wantErr: "5 fields"},
		{in: "* * * * * *", wantErr: "5 fields"},
		{in: "60 * * * *", wantErr: "minute 60 is out of range"},
		{in: "* 24 * * *", wantErr: "hour 24 is out of range"},
		{in: "* * 0 * *", wantErr: "day of month 0 is out of range"},
		{in: "* * 32 * *", wantErr: "day of month 32"},
		{in: "* * * 13 *", wantErr: "month 13"},
		{in: "* * * * 8", wantErr: "day of week 8"},
		{in: "* * * foo *", wantErr: "not a number from 1 to 12"},
		{in: "5/10 * * * *", wantErr: "a step needs * or a range"},
		{in: "*/0 * * * *", wantErr: "step must be"},
		{in: "*/x * * * *", wantErr: "step must be"},
		{in: "5-1 * * * *", wantErr: "runs backwards"},
		{in: "1,,2 * * * *", wantErr: "empty item"},
		{in: "- * * * *", wantErr: "a number is missing"},
		{in: "-5 * * * *", wantErr: "a number is missing"},
		{in: "+5 * * * *", wantErr: "not a number"},
		{in: "00005 * * * *", wantErr: "not a number"},
		{in: "0 0 30 2 *", wantErr: "never runs"},
		{in: "0 0 31 4,6,9,11 *", wantErr: "never runs"},
		{in: "0 0 31 4 */2", wantErr: "never runs"}, // "*/2" counts as "*" for the day rule, as in Vixie cron
		{in: "@reboot", wantErr: "unknown schedule"},
		{in: "every", wantErr: "one duration"},
		{in: "every 1h more", wantErr: "one duration"},
		{in: "every 30s", wantErr: "too often"},
		{in: "every -5m", wantErr: "too often"},
		{in: "every 2d", wantErr: "not a duration"},
		{in: "every 9000h", wantErr: "too long"},
		{in: strings.Repeat("1,", 150) + "1 * * * *", wantErr: "too long"},
	}
	for _, tt := range tests {
		sp, err := Parse(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) = %v, want an error with %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if sp.String() != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, sp.String(), tt.want)
		}
		if sp.IsZero() {
			t.Errorf("Parse(%q) is the zero Spec", tt.in)
		}
	}
}

func TestNext(t *testing.T) {
	utc := time.UTC
	tests := []struct {
		spec, after, want string
	}{
		{"0 3 * * *", "2026-03-10 02:59", "2026-03-10 03:00"},
		{"0 3 * * *", "2026-03-10 03:00", "2026-03-11 03:00"}, // strictly after
		{"*/15 * * * *", "2026-03-10 10:07", "2026-03-10 10:15"},
		{"*/15 * * * *", "2026-03-10 23:50", "2026-03-11 00:00"},
		{"* * * * *", "2026-12-31 23:59", "2027-01-01 00:00"},
		{"0-30/10 * * * *", "2026-03-10 10:31", "2026-03-10 11:00"},
		// Both day fields restricted: either matches (Monday 8 June, then 1 July, a Wednesday).
		{"0 0 1 * mon", "2026-06-02 00:00", "2026-06-08 00:00"},
		{"0 0 1 * mon", "2026-06-29 00:00", "2026-07-01 00:00"},
		// Day of week "*": day of month alone decides; and "*/2" days with Mondays: both.
		{"0 0 1 * *", "2026-06-02 00:00", "2026-07-01 00:00"},
		{"0 0 */2 * mon", "2026-06-02 00:00", "2026-06-15 00:00"}, // 8 June is even; 15 June is odd and a Monday
		{"0 12 29 2 *", "2026-03-01 00:00", "2028-02-29 12:00"},
		{"0 0 * * 7", "2026-06-02 00:00", "2026-06-07 00:00"},
		{"0 0 * * sun", "2026-06-02 00:00", "2026-06-07 00:00"},
		{"@weekly", "2026-06-07 00:00", "2026-06-14 00:00"},
		{"@monthly", "2026-06-02 00:00", "2026-07-01 00:00"},
		{"@yearly", "2026-06-02 00:00", "2027-01-01 00:00"},
		{"@hourly", "2026-06-02 10:00", "2026-06-02 11:00"},
		{"30 1 1,15 jan-mar *", "2026-03-15 01:30", "2027-01-01 01:30"},
		{"0 9 * * mon-fri", "2026-06-05 09:00", "2026-06-08 09:00"}, // Friday → Monday
	}
	for _, tt := range tests {
		sp, err := Parse(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		got := sp.Next(at(t, utc, tt.after))
		if want := at(t, utc, tt.want); !got.Equal(want) {
			t.Errorf("%q.Next(%s) = %s, want %s", tt.spec, tt.after, got, want)
		}
	}
}

func TestNextEvery(t *testing.T) {
	created := time.Date(2026, 1, 10, 14, 7, 30, 0, time.UTC)
	sp, err := Parse("every 90m")
	if err != nil {
		t.Fatal(err)
	}
	sp = sp.Since(created)
	tests := []struct {
		after time.Time
		want  time.Time
	}{
		{created.Add(-time.Hour), created.Add(90 * time.Minute)},
		{created, created.Add(90 * time.Minute)},
		{created.Add(90 * time.Minute), created.Add(180 * time.Minute)},
		{created.Add(100 * time.Hour), created.Add(100*time.Hour + 30*time.Minute)}, // 100h = 66 periods + 60m
	}
	for _, tt := range tests {
		if got := sp.Next(tt.after); !got.Equal(tt.want) {
			t.Errorf("Next(%s) = %s, want %s", tt.after, got, tt.want)
		}
	}
	if got := sp.prev(created.Add(89*time.Minute), time.Time{}); !got.IsZero() {
		t.Errorf("prev before the first period = %s, want none", got)
	}
	if got := sp.prev(created.Add(4*time.Hour), time.Time{}); !got.Equal(created.Add(180 * time.Minute)) {
		t.Errorf("prev = %s, want %s", got, created.Add(180*time.Minute))
	}
	// Not counted from a creation: from the Unix epoch, in the caller's zone.
	berlin := zone(t, "Europe/Berlin")
	e, _ := Parse("every 1h")
	got := e.Next(at(t, berlin, "2026-03-29 01:30"))
	if want := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC); !got.Equal(want) || got.Location() != berlin {
		t.Errorf("every 1h Next = %s, want %s in Berlin (03:00 CEST)", got, want)
	}
}

func TestNextNever(t *testing.T) {
	if got := (Spec{}).Next(time.Now()); !got.IsZero() {
		t.Errorf("zero Spec Next = %s, want zero", got)
	}
	// Far in the future the count of periods overflows: no time, no panic.
	e, _ := Parse("every 1m")
	if got := e.Since(time.Date(2, 1, 1, 0, 0, 0, 0, time.UTC)).Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); !got.IsZero() {
		t.Errorf("Next across 2000 years = %s, want zero", got)
	}
}

func TestNextDST(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	ny := zone(t, "America/New_York")
	utc := func(s string) time.Time { return at(t, time.UTC, s) }
	tests := []struct {
		name  string
		loc   *time.Location
		spec  string
		after string // in loc
		want  []time.Time
	}{
		// 29 March 2026, Berlin: 02:00 CET becomes 03:00 CEST (01:00 UTC).
		{"skipped wall time runs at the change", berlin, "30 2 * * *", "2026-03-29 00:00",
			[]time.Time{utc("2026-03-29 01:00"), utc("2026-03-30 00:30")}},
		{"skipped minutes collapse into one run", berlin, "* * * * *", "2026-03-29 01:58",
			[]time.Time{utc("2026-03-29 00:59"), utc("2026-03-29 01:00"), utc("2026-03-29 01:01")}},
		{"skipped quarter hours collapse too", berlin, "*/15 2 * * *", "2026-03-29 00:00",
			[]time.Time{utc("2026-03-29 01:00"), utc("2026-03-30 00:00")}},
		// 25 October 2026, Berlin: 03:00 CEST becomes 02:00 CET (01:00 UTC): 02:00-02:59 happens twice.
		{"repeated wall time runs once", berlin, "30 2 * * *", "2026-10-25 00:00",
			[]time.Time{utc("2026-10-25 00:30"), utc("2026-10-26 01:30")}},
		{"every hour keeps real time in the repeated hour", berlin, "*/30 * * * *", "2026-10-25 01:50",
			[]time.Time{utc("2026-10-25 00:00"), utc("2026-10-25 00:30"), utc("2026-10-25 01:00"), utc("2026-10-25 01:30"), utc("2026-10-25 02:00")}},
		// 8 March 2026, New York: 02:00 EST becomes 03:00 EDT (07:00 UTC).
		{"New York spring", ny, "0 2 * * *", "2026-03-07 12:00",
			[]time.Time{utc("2026-03-08 07:00"), utc("2026-03-09 06:00")}},
		// 1 November 2026, New York: 02:00 EDT becomes 01:00 EST (06:00 UTC).
		{"New York autumn", ny, "30 1 * * *", "2026-10-31 12:00",
			[]time.Time{utc("2026-11-01 05:30"), utc("2026-11-02 06:30")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp, err := Parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			cur := at(t, tt.loc, tt.after)
			for i, want := range tt.want {
				got := sp.Next(cur)
				if !got.Equal(want) {
					t.Fatalf("run %d: Next(%s) = %s, want %s", i, cur, got.UTC(), want)
				}
				if got.Location() != tt.loc {
					t.Errorf("run %d in %s, want %s", i, got.Location(), tt.loc)
				}
				// prev is Next's mirror.
				if p := sp.prev(got, time.Time{}); !p.Equal(got) {
					t.Errorf("prev(%s) = %s", got.UTC(), p.UTC())
				}
				if p := sp.prev(got.Add(-time.Nanosecond), time.Time{}); !p.Before(got) || (i > 0 && !p.Equal(tt.want[i-1])) {
					t.Errorf("prev just before run %d = %s", i, p.UTC())
				}
				cur = got
			}
		})
	}
}

// TestNextPrevAgree walks planned times forward and checks prev against
// them, in zones with and without daylight saving.
func TestNextPrevAgree(t *testing.T) {
	specs := []string{"* * * * *", "*/7 * * * *", "30 2 * * *", "0 */5 * * *", "15 1,2,3 * * *", "0 0 1 * mon", "0 2 * * sun"}
	for _, loc := range []*time.Location{time.UTC, zone(t, "Europe/Berlin"), zone(t, "America/New_York"), zone(t, "Australia/Lord_Howe")} {
		for _, s := range specs {
			sp, err := Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			// Two days around each change of 2026.
			for _, day := range []string{"2026-03-28 00:00", "2026-03-07 00:00", "2026-04-04 00:00", "2026-10-24 00:00", "2026-10-03 00:00", "2026-10-31 00:00"} {
				cur := at(t, loc, day)
				end := cur.Add(36 * time.Hour)
				prev := time.Time{}
				for n := 0; n < 5000 && cur.Before(end); n++ {
					next := sp.Next(cur)
					if next.IsZero() || !next.After(cur) {
						t.Fatalf("%s %s: Next(%s) = %s", loc, s, cur, next)
					}
					// Halfway between two planned times, prev is the first.
					if !prev.IsZero() {
						mid := prev.Add(next.Sub(prev) / 2)
						if p := sp.prev(mid, time.Time{}); !p.Equal(prev) {
							t.Fatalf("%s %s: prev(%s) = %s, want %s", loc, s, mid, p, prev)
						}
					}
					prev, cur = next, next
				}
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"* * * * *", "*/15 9-17 * * mon-fri", "0 0 1 * mon", "@daily", "every 90m", "0 0 30 2 *", "5/10 * * * *", "1-59/0 * * * *", "every 1h1m1s", "0,7 1-3/2 */5 jan-dec sun-sat"} {
		f.Add(s, int64(1780000000))
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string, unix int64) {
		sp, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(sp.String())
		if err != nil || again.String() != sp.String() {
			t.Fatalf("Parse(%q).String() = %q does not read back: %v", s, sp.String(), err)
		}
		// Keep the time within a range where planned times exist.
		after := time.Unix(1500000000+unix%(20*365*24*3600), 0).In(berlin)
		next := sp.Next(after)
		if next.IsZero() {
			if sp.Every() == 0 && sp.daysCanCome() {
				// A cron expression whose days come runs within 5 years
				// (29 February at worst).
				t.Fatalf("%q.Next(%s) is never", s, after)
			}
			return
		}
		if !next.After(after) || next.After(after.AddDate(searchYears, 0, 1)) {
			t.Fatalf("%q.Next(%s) = %s", s, after, next)
		}
		if p := sp.prev(next, time.Time{}); !p.Equal(next) {
			t.Fatalf("%q.prev(%s) = %s", s, next, p)
		}
	})
}
