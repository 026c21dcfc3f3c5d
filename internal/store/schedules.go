package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/schedule"
)

// scheduleError is an error about one schedule, in its own words, that
// wraps a sentinel (ErrNotFound, ErrExists, schedule.ErrAlreadyRun) for
// errors.Is.
type scheduleError struct {
	msg  string
	kind error
}

func (e *scheduleError) Error() string { return e.msg }
func (e *scheduleError) Unwrap() error { return e.kind }

// scheduleColumns are the columns read into a schedule.Entry, in scanSchedule's order.
const scheduleColumns = "id, name, kind, targets, ports, spec, run_window, jitter_ns, enabled, created, last_run, actor"

// AddSchedule stores a new schedule after checking it (schedule.Entry's
// Validate). An id already stored is refused with an error wrapping
// ErrExists.
func (s *Store) AddSchedule(ctx context.Context, e schedule.Entry) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("cannot add the schedule: %w", err)
	}
	targets := make([]string, len(e.Targets))
	for i, t := range e.Targets {
		targets[i] = clean(strings.TrimSpace(t))
	}
	body, err := json.Marshal(targets)
	if err != nil {
		return fmt.Errorf("cannot add schedule %s: %w", e.ID, err)
	}
	last := ""
	if !e.Last.IsZero() {
		last = formatTime(e.Last)
	}
	enabled := 0
	if e.Enabled {
		enabled = 1
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO schedules (`+scheduleColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		e.ID, clean(e.Name), e.Kind, string(body), clean(e.Ports), clean(strings.TrimSpace(e.Spec)), strings.TrimSpace(e.Window),
		int64(e.Jitter), enabled, formatTime(e.Created), last, clean(e.Actor))
	if err != nil {
		return fmt.Errorf("cannot add schedule %s to %s: %w", e.ID, s.where, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("cannot add schedule %s to %s: %w", e.ID, s.where, err)
	} else if n == 0 {
		return &scheduleError{fmt.Sprintf("a schedule with the id %s is already in %s", e.ID, s.where), ErrExists}
	}
	return nil
}

// Schedules returns every schedule, oldest first.
func (s *Store) Schedules(ctx context.Context) ([]schedule.Entry, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+scheduleColumns+" FROM schedules ORDER BY created, id")
	if err != nil {
		return nil, fmt.Errorf("cannot read the schedules in %s: %w", s.where, err)
	}
	defer rows.Close()
	var out []schedule.Entry
	for rows.Next() {
		e, err := s.scanSchedule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the schedules in %s: %w", s.where, err)
	}
	return out, nil
}

// Schedule returns the schedule id; an error wrapping ErrNotFound when there
// is none.
func (s *Store) Schedule(ctx context.Context, id string) (schedule.Entry, error) {
	e, err := s.scanSchedule(s.db.QueryRowContext(ctx, s.rebind("SELECT "+scheduleColumns+" FROM schedules WHERE id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return schedule.Entry{}, s.noSchedule(id)
	}
	return e, err
}

func (s *Store) noSchedule(id string) error {
	return &scheduleError{fmt.Sprintf("no schedule %s in %s", id, s.where), ErrNotFound}
}

// scanSchedule reads one row of scheduleColumns.
func (s *Store) scanSchedule(row interface{ Scan(...any) error }) (schedule.Entry, error) {
	var e schedule.Entry
	var targets, created, last string
	var jitter int64
	var enabled int
	if err := row.Scan(&e.ID, &e.Name, &e.Kind, &targets, &e.Ports, &e.Spec, &e.Window, &jitter, &enabled, &created, &last, &e.Actor); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return e, err
		}
		return e, fmt.Errorf("cannot read the schedules in %s: %w", s.where, err)
	}
	damaged := func(err error) error { return fmt.Errorf("schedule %s in %s is damaged: %w", e.ID, s.where, err) }
	if err := json.Unmarshal([]byte(targets), &e.Targets); err != nil {
		return e, damaged(err)
	}
	e.Jitter = time.Duration(jitter)
	e.Enabled = enabled != 0
	var err error
	if e.Created, err = parseTime(created); err != nil {
		return e, damaged(err)
	}
	if last != "" {
		if e.Last, err = parseTime(last); err != nil {
			return e, damaged(err)
		}
	}
	return e, nil
}

// MarkRun records planned as the last planned time launched for schedule
// id. It only moves it forward, in one statement, so of two servers sharing
// the store only one records a given run: the other gets an error wrapping
// schedule.ErrAlreadyRun. An unknown id wraps ErrNotFound.
func (s *Store) MarkRun(ctx context.Context, id string, planned time.Time) error {
	if planned.IsZero() {
		return fmt.Errorf("cannot record a run of schedule %s without its planned time", id)
	}
	at := formatTime(planned)
	res, err := s.db.ExecContext(ctx, s.rebind("UPDATE schedules SET last_run = ? WHERE id = ? AND last_run < ?"), at, id, at)
	if err != nil {
		return fmt.Errorf("cannot record a run of schedule %s in %s: %w", id, s.where, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("cannot record a run of schedule %s in %s: %w", id, s.where, err)
	} else if n > 0 {
		return nil
	}
	var last string
	switch err := s.db.QueryRowContext(ctx, s.rebind("SELECT last_run FROM schedules WHERE id = ?"), id).Scan(&last); {
	case errors.Is(err, sql.ErrNoRows):
		return s.noSchedule(id)
	case err != nil:
		return fmt.Errorf("cannot record a run of schedule %s in %s: %w", id, s.where, err)
	}
	return &scheduleError{fmt.Sprintf("schedule %s: the run planned at %s is not after the last one recorded (%s)", id, at, last), schedule.ErrAlreadyRun}
}

// SetScheduleEnabled turns a schedule on or off; an unknown id wraps
// ErrNotFound.
func (s *Store) SetScheduleEnabled(ctx context.Context, id string, enabled bool) error {
	v := 0
	if enabled {
		v = 1
	}
	return s.changeSchedule(ctx, id, "UPDATE schedules SET enabled = ? WHERE id = ?", v, id)
}

// DeleteSchedule removes a schedule; an unknown id wraps ErrNotFound. Jobs
// it launched stay.
func (s *Store) DeleteSchedule(ctx context.Context, id string) error {
	return s.changeSchedule(ctx, id, "DELETE FROM schedules WHERE id = ?", id)
}

func (s *Store) changeSchedule(ctx context.Context, id, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, s.rebind(query), args...)
	if err != nil {
		return fmt.Errorf("cannot change schedule %s in %s: %w", id, s.where, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("cannot change schedule %s in %s: %w", id, s.where, err)
	} else if n == 0 {
		return s.noSchedule(id)
	}
	return nil
}
