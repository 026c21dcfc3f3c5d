package schedule

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Kinds of scheduled work.
const (
	KindScan      = "scan"
	KindHostAudit = "hostaudit"
)

// MaxJitter bounds Entry.Jitter.
const MaxJitter = 24 * time.Hour

// Entry is one schedule: what to run and when.
type Entry struct {
	ID, Name string
	// Kind is KindScan or KindHostAudit.
	Kind string
	// Targets are scan targets, or for a host audit the SSH destinations
	// (user@host).
	Targets []string
	// Ports is the scan's port spec ("" is vigil scan's default).
	Ports string
	// Spec is the schedule as Parse takes it.
	Spec string
	// Window is "" or "HH:MM-HH:MM" (may wrap midnight) in the server's
	// local zone: a planned time outside it moves to its next opening.
	Window string
	// Jitter delays every run by the same offset in [0, Jitter), taken from
	// a hash of ID (so runs do not drift). See Offset. With a Window, the
	// offset stays below the window's length and runs start inside the
	// window: a planned time closer to the window's close than the offset
	// counts as outside it.
	Jitter  time.Duration
	Enabled bool
	// Created is when the schedule was made: "every D" counts from it, and
	// nothing planned before it runs.
	Created time.Time
	// Last is the last planned time that was launched (zero: never).
	Last time.Time
	// Actor is who created the schedule.
	Actor string
}

// Validate reports what is wrong with an entry before it is stored, in the
// words of its author.
func (e Entry) Validate() error {
	var errs []error
	switch {
	case e.ID == "":
		errs = append(errs, errors.New("the schedule has no id"))
	case !printableWord(e.ID, 200):
		errs = append(errs, fmt.Errorf("schedule id %q: use at most 200 printable characters without spaces", e.ID))
	}
	if len(e.Name) > 200 {
		errs = append(errs, errors.New("the schedule's name is too long (at most 200 bytes)"))
	}
	switch e.Kind {
	case KindScan, KindHostAudit:
	default:
		errs = append(errs, fmt.Errorf("kind %q: a schedule runs a %q or a %q", e.Kind, KindScan, KindHostAudit))
	}
	if len(e.Targets) == 0 {
		errs = append(errs, errors.New("the schedule has no targets"))
	}
	for _, t := range e.Targets {
		if strings.TrimSpace(t) == "" || !printableWord(strings.TrimSpace(t), 1000) {
			errs = append(errs, fmt.Errorf("target %q: not a target", t))
		}
	}
	if _, err := Parse(e.Spec); err != nil {
		errs = append(errs, err)
	}
	if _, err := ParseWindow(e.Window); err != nil {
		errs = append(errs, err)
	}
	if e.Jitter < 0 || e.Jitter > MaxJitter {
		errs = append(errs, fmt.Errorf("jitter %s: give a duration from 0 to %s", e.Jitter, MaxJitter))
	}
	if e.Created.IsZero() {
		errs = append(errs, errors.New("the schedule has no creation time"))
	}
	return errors.Join(errs...)
}

// printableWord reports whether s is printable UTF-8 without spaces, at
// most max bytes.
func printableWord(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// Offset is the fixed delay of every run of the schedule id: whole seconds
// in [0, jitter), from an FNV-1a hash of id; 0 when jitter is under a
// second.
func Offset(id string, jitter time.Duration) time.Duration {
	secs := int64(jitter / time.Second)
	if secs <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	return time.Duration(h.Sum64()%uint64(secs)) * time.Second
}

// plan is an entry ready to compute planned times.
//
// The planned time of a base time b (a time the Spec gives) is b+j, where j
// is the entry's offset, when the window is open from b to b+j; otherwise it
// is the window's next opening after b, plus j. So every run starts inside
// the window, and the planned times keep the order of their bases. With a
// window, j is taken below the window's length (and, on a day a
// daylight-saving change shortens the window, folded into what is left).
type plan struct {
	spec    Spec
	created time.Time
	win     Window
	j       time.Duration
}

func newPlan(e Entry) (plan, error) {
	sp, err := Parse(e.Spec)
	if err != nil {
		return plan{}, err
	}
	w, err := ParseWindow(e.Window)
	if err != nil {
		return plan{}, err
	}
	jitter := max(0, min(e.Jitter, MaxJitter))
	if w.set {
		jitter = min(jitter, w.Length())
	}
	return plan{spec: sp.Since(e.Created), created: e.Created, win: w, j: Offset(e.ID, jitter)}, nil
}

// inShrunk reports whether the window is open from b to b+j.
func (p plan) inShrunk(b time.Time) bool {
	return p.win.Contains(b) && b.Add(p.j).Before(nextAt(b, p.win.end))
}

// adjust is the planned time of base b.
func (p plan) adjust(b time.Time) time.Time {
	if !p.win.set || p.inShrunk(b) {
		return b.Add(p.j)
	}
	open := nextAt(b, p.win.start)
	j := p.j
	// On a day the window is shortened by a daylight-saving change, the
	// offset is folded into what is left of it.
	if n := nextAt(open, p.win.end).Sub(open); n <= 0 {
		j = 0
	} else if j >= n {
		j %= n
	}
	return open.Add(j)
}

// next is the first planned time after after, of a base after p.created;
// zero when none comes within five years.
func (p plan) next(after time.Time) time.Time {
	x := after.Add(-p.j)
	// A base at or before x may be moved by the window past after.
	if b0 := p.spec.prev(x, p.created); !b0.IsZero() && b0.After(p.created) {
		if a := p.adjust(b0); a.After(after) {
			return a
		}
	}
	from := x
	if from.Before(p.created) {
		from = p.created.In(after.Location())
	}
	b := p.spec.Next(from)
	for range 4 {
		if b.IsZero() {
			break
		}
		if a := p.adjust(b); a.After(after) {
			return a
		}
		// Only on a day a daylight-saving change shortens the window:
		// b moved to an opening with its offset folded, not after after,
		// and so did the bases up to that opening.
		b = p.spec.Next(nextAt(b, p.win.start).Add(-time.Nanosecond))
	}
	return time.Time{}
}

// latest is the last planned time at or before now, of a base after
// p.created; false when there is none.
func (p plan) latest(now time.Time) (time.Time, bool) {
	b := p.spec.prev(now.Add(-p.j), p.created)
	if b.IsZero() || !b.After(p.created) {
		return time.Time{}, false
	}
	a := p.adjust(b)
	for range 4 {
		if !a.After(now) {
			break
		}
		// b lies where the window is closed (or closes within j) and
		// moves to an opening still to come: so does every base back to
		// where that closed stretch began. Look before it.
		closed := lastAt(b.Add(p.j), p.win.end).Add(-p.j)
		if !closed.Before(b) {
			closed = b
		}
		if b = p.spec.prev(closed.Add(-time.Nanosecond), p.created); b.IsZero() || !b.After(p.created) {
			return time.Time{}, false
		}
		a = p.adjust(b)
	}
	if a.After(now) {
		return time.Time{}, false
	}
	return a, true
}

// Due returns the planned time to run now: the latest planned time in
// (e.Last, now], if any. A schedule that missed several runs (the server was
// down) runs once, for the latest of them, never once per missed slot.
// Nothing planned before e.Created runs, and a disabled or invalid entry is
// never due.
func Due(e Entry, now time.Time) (planned time.Time, ok bool) {
	if !e.Enabled {
		return time.Time{}, false
	}
	p, err := newPlan(e)
	if err != nil {
		return time.Time{}, false
	}
	planned, ok = p.latest(now)
	if !ok || !planned.After(e.Last) {
		return time.Time{}, false
	}
	return planned, true
}

// NextRun is when the next run after now is planned (for display and for
// sleeping until it); the zero time when the entry is disabled, invalid or
// has no run within five years.
func NextRun(e Entry, now time.Time) time.Time {
	if !e.Enabled {
		return time.Time{}
	}
	p, err := newPlan(e)
	if err != nil {
		return time.Time{}
	}
	after := now
	if e.Last.After(after) {
		after = e.Last.In(now.Location())
	}
	return p.next(after)
}
