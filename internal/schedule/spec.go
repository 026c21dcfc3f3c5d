// Package schedule decides when scheduled work runs: a 5-field cron
// expression or "every D", an optional daily time window and a fixed
// per-schedule jitter. A run missed while the server was down runs once, not
// once per missed slot. Run is the loop that launches due work; it is driven
// only by a Clock, so tests advance time with a FakeClock instead of
// sleeping.
//
// Times of day (cron fields, windows) are read in the location of the time
// passed in: the server's local zone for RealClock's times.
//
// Daylight-saving changes, for cron expressions:
//   - a wall time that does not exist (skipped when the clocks go forward)
//     runs once, at the instant the clocks change, so "30 2 * * *" runs at
//     03:00 on the day 02:00-03:00 is skipped, and the skipped minutes of
//     "* * * * *" collapse into that one instant;
//   - a wall time that happens twice (when the clocks go back) runs at its
//     first occurrence only, unless the hour field is "*" (every hour), in
//     which case it runs at both, as Vixie cron does: "0 2 * * *" runs once,
//     "*/10 * * * *" keeps running every ten minutes of real time.
//
// "every D" counts real time from the schedule's creation and is not moved by
// daylight-saving changes.
package schedule

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// searchYears bounds every search for a planned time: a schedule with no
// planned time within it has none ("never"), and Next returns the zero time.
const searchYears = 5

// searchDays is searchYears in days, leap days included.
const searchDays = searchYears*366 + 2

// MinEvery and MaxEvery bound the period of "every D".
const (
	MinEvery = time.Minute
	MaxEvery = 366 * 24 * time.Hour
)

// maxSpecLen bounds the text of a schedule.
const maxSpecLen = 200

// Spec is a parsed schedule: a cron expression or a fixed period. The zero
// Spec has no planned time.
type Spec struct {
	text string

	// every is the period of "every D"; 0 for a cron expression.
	every time.Duration
	// origin is where the periods of "every D" are counted from (the
	// schedule's creation); the zero time means the Unix epoch.
	origin time.Time

	// Cron fields as bit sets: bit v is set when value v is allowed.
	minute, hour, dom, month, dow uint64
	// domStar and dowStar record that the day-of-month or day-of-week
	// field starts with "*": then the day must match both fields; when
	// neither does, either field matching is enough (the POSIX rule).
	domStar, dowStar bool
}

// field describes one cron field.
type field struct {
	name     string
	min, max int
	names    []string // names[i] is value min+i (month) or i (weekday)
}

var (
	monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	dayNames   = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
)

// cronFields are the five fields in order.
var cronFields = [5]field{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, monthNames},
	{"day of week", 0, 7, dayNames}, // 0 and 7 are both Sunday
}

// aliases are the @names Vixie cron accepts, as the fields they stand for.
var aliases = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

const allHours = 1<<24 - 1

// Parse reads a schedule:
//
//   - five cron fields, "minute hour day-of-month month day-of-week", each
//     "*", a number, a range "a-b", a list "a,b-c", with an optional step
//     "*/15" or "a-b/2"; months and weekdays also by their English
//     three-letter names ("jan", "mon-fri"); 0 and 7 are both Sunday. When
//     both day fields are restricted (neither starts with "*"), a day
//     matching either runs ("0 0 1 * mon": the 1st and every Monday).
//   - @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly.
//   - "every D" with a Go duration of at least a minute ("every 90m",
//     "every 24h", "every 1h30m"): planned every D from the schedule's
//     creation.
//
// A cron expression whose days can never come ("0 0 30 2 *") is refused.
func Parse(s string) (Spec, error) {
	text := strings.TrimSpace(s)
	switch {
	case text == "":
		return Spec{}, fmt.Errorf("empty schedule: give 5 cron fields (minute hour day-of-month month day-of-week), @daily, or \"every 24h\"")
	case len(text) > maxSpecLen:
		return Spec{}, fmt.Errorf("schedule too long (%d bytes; at most %d)", len(text), maxSpecLen)
	}
	parts := strings.Fields(text)
	if strings.EqualFold(parts[0], "every") {
		return parseEvery(parts)
	}
	if strings.HasPrefix(text, "@") {
		fields, ok := aliases[strings.ToLower(text)]
		if !ok {
			return Spec{}, fmt.Errorf("unknown schedule %q: use @hourly, @daily, @weekly, @monthly or @yearly", text)
		}
		sp, err := parseCron(strings.Fields(fields))
		sp.text = strings.ToLower(text)
		return sp, err
	}
	sp, err := parseCron(parts)
	if err != nil {
		return Spec{}, err
	}
	sp.text = strings.Join(parts, " ")
	return sp, nil
}

func parseEvery(parts []string) (Spec, error) {
	if len(parts) != 2 {
		return Spec{}, fmt.Errorf("%q: write \"every\" and one duration, e.g. \"every 24h\" or \"every 90m\"", strings.Join(parts, " "))
	}
	d, err := time.ParseDuration(parts[1])
	if err != nil {
		return Spec{}, fmt.Errorf("every %q: not a duration (write it like 90m, 24h or 1h30m)", parts[1])
	}
	switch {
	case d < MinEvery:
		return Spec{}, fmt.Errorf("every %s: too often; the shortest period is %s", parts[1], MinEvery)
	case d > MaxEvery:
		return Spec{}, fmt.Errorf("every %s: too long; the longest period is %s", parts[1], MaxEvery)
	}
	return Spec{text: "every " + parts[1], every: d}, nil
}

func parseCron(parts []string) (Spec, error) {
	if len(parts) != 5 {
		return Spec{}, fmt.Errorf("a cron schedule has 5 fields (minute hour day-of-month month day-of-week); %q has %d", strings.Join(parts, " "), len(parts))
	}
	var bits [5]uint64
	for i, f := range cronFields {
		b, err := parseField(parts[i], f)
		if err != nil {
			return Spec{}, err
		}
		bits[i] = b
	}
	// 7 is Sunday too.
	if bits[4]&(1<<7) != 0 {
		bits[4] = bits[4]&^(1<<7) | 1
	}
	sp := Spec{
		minute: bits[0], hour: bits[1], dom: bits[2], month: bits[3], dow: bits[4],
		domStar: strings.HasPrefix(parts[2], "*"),
		dowStar: strings.HasPrefix(parts[4], "*"),
	}
	if !sp.daysCanCome() {
		return Spec{}, fmt.Errorf("%q never runs: no month has that day", strings.Join(parts, " "))
	}
	return sp, nil
}

// monthDays is the most days each month has (February in a leap year).
var monthDays = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// daysCanCome reports whether some day matches the day and month fields.
func (s Spec) daysCanCome() bool {
	if !s.domStar && !s.dowStar {
		return true // either field matching is enough, and weekdays always come
	}
	for m := 1; m <= 12; m++ {
		if s.month&(1<<m) == 0 {
			continue
		}
		for d := 1; d <= monthDays[m]; d++ {
			if s.dom&(1<<d) != 0 {
				return true
			}
		}
	}
	return false
}

// parseField reads one cron field into a bit set.
func parseField(text string, f field) (uint64, error) {
	var bits uint64
	for _, item := range strings.Split(text, ",") {
		if item == "" {
			return 0, fmt.Errorf("%s %q: empty item in the list", f.name, text)
		}
		rng, stepText, hasStep := strings.Cut(item, "/")
		var lo, hi int
		if rng == "*" {
			lo, hi = f.min, f.max
			if f.names != nil && f.min == 0 {
				hi = 6 // "*" for weekdays is 0-6; 7 repeats Sunday
			}
		} else {
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = fieldValue(a, f); err != nil {
				return 0, err
			}
			hi = lo
			if isRange {
				if hi, err = fieldValue(b, f); err != nil {
					return 0, err
				}
				if lo > hi {
					return 0, fmt.Errorf("%s %q: the range runs backwards (write it from low to high)", f.name, item)
				}
			} else if hasStep {
				return 0, fmt.Errorf("%s %q: a step needs * or a range before it (e.g. */10 or %s-%d/%s)", f.name, item, a, f.max, stepText)
			}
		}
		step := 1
		if hasStep {
			n, err := smallNumber(stepText)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("%s %q: the step must be a whole number from 1", f.name, item)
			}
			step = n
		}
		for v := lo; v <= hi; v += step {
			bits |= 1 << v
		}
	}
	return bits, nil
}

// fieldValue reads a number or a name of field f.
func fieldValue(tok string, f field) (int, error) {
	if tok == "" {
		return 0, fmt.Errorf("%s: a number is missing", f.name)
	}
	if n, err := smallNumber(tok); err == nil {
		if n < f.min || n > f.max {
			return 0, fmt.Errorf("%s %s is out of range (%d-%d)", f.name, tok, f.min, f.max)
		}
		return n, nil
	}
	if i := slices.Index(f.names, strings.ToLower(tok)); i >= 0 {
		if f.min == 1 {
			return i + 1, nil
		}
		return i, nil
	}
	if f.names != nil {
		return 0, fmt.Errorf("%s %q: not a number from %d to %d nor a name like %s", f.name, tok, f.min, f.max, f.names[1])
	}
	return 0, fmt.Errorf("%s %q: not a number from %d to %d", f.name, tok, f.min, f.max)
}

// smallNumber reads at most 4 decimal digits.
func smallNumber(s string) (int, error) {
	if s == "" || len(s) > 4 {
		return 0, fmt.Errorf("not a small number")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("not a number")
		}
	}
	return strconv.Atoi(s)
}

// String returns the schedule as Parse read it, spaces normalised.
func (s Spec) String() string { return s.text }

// IsZero reports whether s is the zero Spec, which never runs.
func (s Spec) IsZero() bool { return s.every == 0 && s.minute == 0 }

// Every returns the period of an "every D" schedule, or 0 for cron.
func (s Spec) Every() time.Duration { return s.every }

// Since returns s with its "every D" periods counted from origin (the
// schedule's creation): the planned times are origin+D, origin+2D, … A zero
// origin means the Unix epoch. Cron schedules do not depend on it.
func (s Spec) Since(origin time.Time) Spec {
	s.origin = origin
	return s
}

// Next returns the first planned time strictly after after, in after's
// location, or the zero time when there is none within five years.
func (s Spec) Next(after time.Time) time.Time {
	switch {
	case s.every > 0:
		return s.everyNext(after)
	case s.minute == 0:
		return time.Time{}
	}
	loc := after.Location()
	y, m, d := after.Date()
	for i := -1; i <= searchDays; i++ {
		day := civil(y, m, d+i)
		if !s.dayMatches(day) {
			continue
		}
		if start, ok := steadyDay(day, loc); ok {
			if !start.Add(24 * time.Hour).After(after) {
				continue
			}
			for h := range 24 {
				hs := start.Add(time.Duration(h) * time.Hour)
				if s.hour&(1<<h) == 0 || !hs.Add(time.Hour).After(after) {
					continue
				}
				for mi := range 60 {
					if t := hs.Add(time.Duration(mi) * time.Minute); s.minute&(1<<mi) != 0 && t.After(after) {
						return t
					}
				}
			}
			continue
		}
		if t := s.changeDayNext(day, loc, after); !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// prev returns the last planned time at or before t, not looking further
// back than notBefore (nor five years), or the zero time.
func (s Spec) prev(t, notBefore time.Time) time.Time {
	switch {
	case s.every > 0:
		return s.everyPrev(t)
	case s.minute == 0:
		return time.Time{}
	}
	loc := t.Location()
	y, m, d := t.Date()
	stop := civil(y, m, d-searchDays)
	if !notBefore.IsZero() {
		ny, nm, nd := notBefore.In(loc).Date()
		if s := civil(ny, nm, nd-1); s.After(stop) {
			stop = s
		}
	}
	for i := 1; ; i-- {
		day := civil(y, m, d+i)
		if day.Before(stop) {
			return time.Time{}
		}
		if !s.dayMatches(day) {
			continue
		}
		if start, ok := steadyDay(day, loc); ok {
			if start.After(t) {
				continue
			}
			for h := 23; h >= 0; h-- {
				hs := start.Add(time.Duration(h) * time.Hour)
				if s.hour&(1<<h) == 0 || hs.After(t) {
					continue
				}
				for mi := 59; mi >= 0; mi-- {
					if c := hs.Add(time.Duration(mi) * time.Minute); s.minute&(1<<mi) != 0 && !c.After(t) {
						return c
					}
				}
			}
			continue
		}
		if c := s.changeDayPrev(day, loc, t); !c.IsZero() {
			return c
		}
	}
}

// origin0 is where "every D" counts from when no origin is set.
var origin0 = time.Unix(0, 0).UTC()

func (s Spec) base() time.Time {
	if s.origin.IsZero() {
		return origin0
	}
	return s.origin
}

// everyNext is the first origin+k·D (k ≥ 1) after t.
func (s Spec) everyNext(after time.Time) time.Time {
	o := s.base()
	first := o.Add(s.every)
	if after.Before(first) {
		return first.In(after.Location())
	}
	k, ok := periods(o, after, s.every)
	if !ok {
		return time.Time{}
	}
	return o.Add(time.Duration(k+1) * s.every).In(after.Location())
}

// everyPrev is the last origin+k·D (k ≥ 1) at or before t.
func (s Spec) everyPrev(t time.Time) time.Time {
	o := s.base()
	if t.Before(o.Add(s.every)) {
		return time.Time{}
	}
	k, ok := periods(o, t, s.every)
	if !ok {
		return time.Time{}
	}
	return o.Add(time.Duration(k) * s.every).In(t.Location())
}

// periods is how many whole periods d fit between o and t (t ≥ o); false
// when the span is too long to count (beyond about 290 years).
func periods(o, t time.Time, d time.Duration) (int64, bool) {
	span := t.Sub(o)
	if span < 0 || span == time.Duration(1<<63-1) {
		return 0, false
	}
	return int64(span / d), true
}

// civil returns the calendar day y-m-d (normalised) as noon UTC, a value
// only used for its date and weekday.
func civil(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
}

// dayMatches reports whether the calendar day matches the day and month
// fields.
func (s Spec) dayMatches(day time.Time) bool {
	if s.month&(1<<int(day.Month())) == 0 {
		return false
	}
	domOK := s.dom&(1<<day.Day()) != 0
	dowOK := s.dow&(1<<int(day.Weekday())) != 0
	if s.domStar || s.dowStar {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// steadyDay returns the start of a calendar day in loc when the day has
// no change of offset (the common case: its wall times are its start plus
// their time of day); false for a day with a change.
func steadyDay(day time.Time, loc *time.Location) (time.Time, bool) {
	y, m, d := day.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if start.Day() != d || start.Hour() != 0 || start.Minute() != 0 {
		return start, false
	}
	_, end := start.ZoneBounds()
	return start, end.IsZero() || !end.Before(start.Add(24*time.Hour))
}

// changeDayNext returns the first planned instant of a day with a change
// of offset that is after after, or zero; it follows the daylight-saving
// rules of the package comment. A wall time w happens between w-hi and
// w-lo (hi and lo the day's largest and smallest offsets), which bounds the
// wall times worth looking at.
func (s Spec) changeDayNext(day time.Time, loc *time.Location, after time.Time) time.Time {
	y, m, d := day.Date()
	lo, hi := dayOffsets(day, loc)
	both := s.hour&allHours == allHours
	var best time.Time
	for h := range 24 {
		if s.hour&(1<<h) == 0 {
			continue
		}
		for mi := range 60 {
			if s.minute&(1<<mi) == 0 {
				continue
			}
			w := time.Date(y, m, d, h, mi, 0, 0, time.UTC)
			if !w.Add(-lo).After(after) {
				continue
			}
			if !best.IsZero() && w.Add(-hi).After(best) {
				return best
			}
			first, second := wallTimes(y, m, d, h*60+mi, loc)
			for _, c := range []time.Time{first, second} {
				if c.IsZero() || (c.Equal(second) && !both) || !c.After(after) {
					continue
				}
				if best.IsZero() || c.Before(best) {
					best = c
				}
			}
		}
	}
	return best
}

// changeDayPrev is changeDayNext's mirror: the last planned instant of the
// day at or before t, or zero.
func (s Spec) changeDayPrev(day time.Time, loc *time.Location, t time.Time) time.Time {
	y, m, d := day.Date()
	lo, hi := dayOffsets(day, loc)
	both := s.hour&allHours == allHours
	var best time.Time
	for h := 23; h >= 0; h-- {
		if s.hour&(1<<h) == 0 {
			continue
		}
		for mi := 59; mi >= 0; mi-- {
			if s.minute&(1<<mi) == 0 {
				continue
			}
			w := time.Date(y, m, d, h, mi, 0, 0, time.UTC)
			if w.Add(-hi).After(t) {
				continue
			}
			if !best.IsZero() && w.Add(-lo).Before(best) {
				return best
			}
			first, second := wallTimes(y, m, d, h*60+mi, loc)
			for _, c := range []time.Time{first, second} {
				if c.IsZero() || (c.Equal(second) && !both) || c.After(t) {
					continue
				}
				if best.IsZero() || c.After(best) {
					best = c
				}
			}
		}
	}
	return best
}

// dayOffsets returns the smallest and largest offsets from UTC in force in
// loc from a day before the calendar day to a day after it.
func dayOffsets(day time.Time, loc *time.Location) (lo, hi time.Duration) {
	y, m, d := day.Date()
	t := time.Date(y, m, d-1, 0, 0, 0, 0, loc)
	stop := t.Add(72 * time.Hour)
	_, off := t.Zone()
	lo, hi = time.Duration(off)*time.Second, time.Duration(off)*time.Second
	for range 16 {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.After(stop) {
			break
		}
		t = end
		_, off := t.Zone()
		lo, hi = min(lo, time.Duration(off)*time.Second), max(hi, time.Duration(off)*time.Second)
	}
	return lo, hi
}

// wallTimes returns the instants at which the clock in loc reads the given
// minute of day y-m-d: first is the earliest (for a wall time skipped by a
// daylight-saving change, the instant of the change); second is the later
// one of a wall time that happens twice, else zero.
func wallTimes(y int, m time.Month, d, minute int, loc *time.Location) (first, second time.Time) {
	y, m, d = civil(y, m, d).Date()
	h, mi := minute/60, minute%60
	t := time.Date(y, m, d, h, mi, 0, 0, loc)
	want := time.Date(y, m, d, h, mi, 0, 0, time.UTC)
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
	if !got.Equal(want) {
		// Skipped: t lies on one side of the change; the change is where
		// the zone t is in begins or ends.
		start, end := t.ZoneBounds()
		if got.Before(want) && !end.IsZero() {
			return end, time.Time{}
		}
		if !start.IsZero() {
			return start, time.Time{}
		}
		return t, time.Time{}
	}
	// Does the same reading happen in the zone before or after t's?
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	var other []time.Time
	if !start.IsZero() {
		if _, po := start.Add(-time.Second).Zone(); po != off {
			other = append(other, t.Add(time.Duration(off-po)*time.Second))
		}
	}
	if !end.IsZero() {
		if _, no := end.Zone(); no != off {
			other = append(other, t.Add(time.Duration(off-no)*time.Second))
		}
	}
	first = t
	for _, c := range other {
		cy, cm, cd := c.Date()
		if cy != y || cm != m || cd != d || c.Hour() != h || c.Minute() != mi || c.Equal(first) || c.Equal(second) {
			continue
		}
		if c.Before(first) {
			first, second = c, first
		} else {
			second = c
		}
	}
	return first, second
}
