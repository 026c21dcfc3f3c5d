package schedule

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Store is where Run reads the schedules and records their runs.
type Store interface {
	Schedules(ctx context.Context) ([]Entry, error)
	// MarkRun records planned as the entry's Last, only ever moving it
	// forward. When the entry already has a Last at or after planned
	// (another server launched it), it returns an error wrapping
	// ErrAlreadyRun.
	MarkRun(ctx context.Context, id string, planned time.Time) error
}

// ErrAlreadyRun means a run was already recorded for that planned time or a
// later one: another process sharing the store launched it.
var ErrAlreadyRun = errors.New("a run at or after that time is already recorded")

// Launcher starts the work of an entry for its planned time: it queues the
// job and returns; it must not wait for the scan. Where the targets may go
// (scope) is its business.
type Launcher func(ctx context.Context, e Entry, planned time.Time) error

// Reread is the longest Run sleeps before reading the store again, so that
// new, changed and removed schedules are taken into account.
const Reread = time.Minute

// Run loops until ctx ends, then returns nil. At the start and at every
// wake-up it reads the store and, for each enabled entry that is Due,
// records the run with MarkRun and then launches it: once per planned time,
// and a missed run once. A launch that fails is logged and counts as made
// (it is not retried until the next planned time); a run that cannot be
// recorded is not launched, and is tried again at the next wake-up. Then it
// sleeps on the clock until the earliest next run, or for Reread at most.
// It uses no clock but c. Run returns an error only when an argument is
// missing.
func Run(ctx context.Context, c Clock, st Store, launch Launcher, log *slog.Logger) error {
	switch {
	case c == nil:
		return errors.New("schedule: no clock to run on")
	case st == nil:
		return errors.New("schedule: no store to read schedules from")
	case launch == nil:
		return errors.New("schedule: nothing to launch scheduled work with")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// launched remembers what this loop launched, in case the store reads
	// back an older Last (or cannot be read at all for a while).
	launched := map[string]time.Time{}
	invalid := map[string]string{} // entry id → spec already logged as invalid
	var entries []Entry
	for {
		if ctx.Err() != nil {
			return nil
		}
		if list, err := st.Schedules(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Error("cannot read the schedules; using the last ones read", "err", err)
		} else {
			entries = list
			present := make(map[string]bool, len(list))
			for _, e := range list {
				present[e.ID] = true
			}
			for id := range launched {
				if !present[id] {
					delete(launched, id)
				}
			}
		}
		now := c.Now()
		wake := now.Add(Reread)
		for i := range entries {
			e := &entries[i]
			if l, ok := launched[e.ID]; ok && l.After(e.Last) {
				e.Last = l
			}
			if !e.Enabled {
				continue
			}
			if _, err := newPlan(*e); err != nil {
				if invalid[e.ID] != e.Spec+"\x00"+e.Window {
					invalid[e.ID] = e.Spec + "\x00" + e.Window
					log.Error("schedule cannot run", "schedule", e.ID, "name", e.Name, "err", err)
				}
				continue
			}
			if planned, ok := Due(*e, now); ok {
				switch err := st.MarkRun(ctx, e.ID, planned); {
				case errors.Is(err, ErrAlreadyRun):
					log.Debug("scheduled run already launched elsewhere", "schedule", e.ID, "planned", planned)
					e.Last = planned
					launched[e.ID] = planned
				case err != nil:
					if ctx.Err() != nil {
						return nil
					}
					log.Error("cannot record a scheduled run; not launching it now", "schedule", e.ID, "planned", planned, "err", err)
				default:
					e.Last = planned
					launched[e.ID] = planned
					log.Info("launching scheduled work", "schedule", e.ID, "name", e.Name, "kind", e.Kind, "planned", planned)
					if err := launch(ctx, *e, planned); err != nil {
						log.Error("scheduled work did not start", "schedule", e.ID, "name", e.Name, "planned", planned, "err", err)
					}
				}
			}
			if next := NextRun(*e, now); !next.IsZero() && next.Before(wake) {
				wake = next
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.After(wake.Sub(now)):
		}
	}
}
