package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vigilsec/vigil/internal/alert"
)

// The store keeps alert targets, events and deliveries for the alert
// package's Dispatcher.
var _ alert.Store = (*Store)(nil)

// ErrNoAlertTarget means no alert target has the id asked for. The errors
// that wrap it match ErrNotFound too.
var ErrNoAlertTarget = errors.New("no such alert target")

// kindError is an error with its own message that matches sentinels.
type kindError struct {
	msg   string
	kinds []error
}

func (e kindError) Error() string { return e.msg }

func (e kindError) Is(target error) bool {
	for _, k := range e.kinds {
		if k == target {
			return true
		}
	}
	return false
}

// AddAlertTarget stores an alert target after checking it (alert.Target's
// Validate). Its ID must be new: one already stored gives an error that
// matches ErrExists.
func (s *Store) AddAlertTarget(ctx context.Context, t alert.Target) error {
	if err := t.Validate(); err != nil {
		return err
	}
	to, err := json.Marshal(nonNil(t.To))
	if err != nil {
		return fmt.Errorf("cannot store the alert target %s: %w", t.ID, err)
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO alert_targets
		(id, type, name, url, secret, smtp, ca_file, username, password, from_addr, to_addrs, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		clean(t.ID), t.Type, clean(t.Name), clean(t.URL), t.Secret, clean(t.SMTP), clean(t.CAFile), clean(t.Username), t.Password,
		clean(t.From), string(to), formatTime(t.Created))
	if err != nil {
		return fmt.Errorf("cannot store the alert target %s in %s: %w", t.ID, s.where, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("cannot store the alert target %s in %s: %w", t.ID, s.where, err)
	} else if n == 0 {
		return kindError{fmt.Sprintf("an alert target with id %s is already in %s", t.ID, s.where), []error{ErrExists}}
	}
	return nil
}

// AlertTargets returns every alert target, oldest first, with its secret
// and password: they are for sending. Show targets through Target.Public.
func (s *Store) AlertTargets(ctx context.Context) ([]alert.Target, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, type, name, url, secret, smtp, ca_file, username, password, from_addr, to_addrs, created
		FROM alert_targets ORDER BY created, id`)
	if err != nil {
		return nil, fmt.Errorf("cannot read the alert targets in %s: %w", s.where, err)
	}
	defer rows.Close()
	var out []alert.Target
	for rows.Next() {
		var t alert.Target
		var to, created string
		if err := rows.Scan(&t.ID, &t.Type, &t.Name, &t.URL, &t.Secret, &t.SMTP, &t.CAFile, &t.Username, &t.Password, &t.From, &to, &created); err != nil {
			return nil, fmt.Errorf("cannot read the alert targets in %s: %w", s.where, err)
		}
		if err := json.Unmarshal([]byte(to), &t.To); err != nil {
			return nil, fmt.Errorf("alert target %s in %s is damaged: %w", t.ID, s.where, err)
		}
		if len(t.To) == 0 {
			t.To = nil
		}
		if t.Created, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("alert target %s in %s is damaged: %w", t.ID, s.where, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the alert targets in %s: %w", s.where, err)
	}
	return out, nil
}

// DeleteAlertTarget removes an alert target; its deliveries stay as a
// record. An unknown id gives an error that matches ErrNoAlertTarget and
// ErrNotFound.
func (s *Store) DeleteAlertTarget(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, s.rebind("DELETE FROM alert_targets WHERE id = ?"), id)
	if err != nil {
		return fmt.Errorf("cannot delete the alert target %s in %s: %w", id, s.where, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("cannot delete the alert target %s in %s: %w", id, s.where, err)
	} else if n == 0 {
		return kindError{fmt.Sprintf("no alert target with id %q in %s", clean(id), s.where), []error{ErrNoAlertTarget, ErrNotFound}}
	}
	return nil
}

// RecordEvent records an event and reports whether its key is new: false
// when an event with the same key was recorded before, by this process or
// another. Two vigils recording one key at once see it new exactly once.
func (s *Store) RecordEvent(ctx context.Context, e alert.Event) (bool, error) {
	if e.Key == "" {
		return false, errors.New("cannot record an alert event without a key")
	}
	res, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO alert_events (event_key, kind, severity, host, port, title, detail, scan_id, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING`),
		clean(e.Key), clean(e.Kind), clean(e.Severity), clean(e.Host), e.Port, clean(e.Title), clean(e.Detail), clean(e.Scan), formatTime(e.Time))
	if err != nil {
		return false, fmt.Errorf("cannot record the alert event %s in %s: %w", e.Key, s.where, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("cannot record the alert event %s in %s: %w", e.Key, s.where, err)
	}
	return n == 1, nil
}

// AlertEvents returns the recorded events, newest first, at most limit
// (all when limit <= 0).
func (s *Store) AlertEvents(ctx context.Context, limit int) ([]alert.Event, error) {
	q := "SELECT event_key, kind, severity, host, port, title, detail, scan_id, at FROM alert_events ORDER BY at DESC, event_key"
	var args []any
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the alert events in %s: %w", s.where, err)
	}
	defer rows.Close()
	var out []alert.Event
	for rows.Next() {
		var e alert.Event
		var at string
		if err := rows.Scan(&e.Key, &e.Kind, &e.Severity, &e.Host, &e.Port, &e.Title, &e.Detail, &e.Scan, &at); err != nil {
			return nil, fmt.Errorf("cannot read the alert events in %s: %w", s.where, err)
		}
		if e.Time, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("alert event %s in %s is damaged: %w", e.Key, s.where, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the alert events in %s: %w", s.where, err)
	}
	return out, nil
}

// RecordDelivery records one delivery attempt.
func (s *Store) RecordDelivery(ctx context.Context, d alert.Delivery) error {
	if d.Attempt < 1 {
		return fmt.Errorf("cannot record the delivery of %s: attempt %d (they count from 1)", d.Event, d.Attempt)
	}
	ok := 0
	if d.OK {
		ok = 1
	}
	if _, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO alert_deliveries (event_key, target_id, attempt, at, ok, error)
		VALUES (?, ?, ?, ?, ?, ?)`),
		clean(d.Event), clean(d.Target), d.Attempt, formatTime(d.Time), ok, clean(d.Error)); err != nil {
		return fmt.Errorf("cannot record the delivery of %s in %s: %w", d.Event, s.where, err)
	}
	return nil
}

// AlertDeliveries returns the recorded delivery attempts, newest first, at
// most limit (all when limit <= 0).
func (s *Store) AlertDeliveries(ctx context.Context, limit int) ([]alert.Delivery, error) {
	q := "SELECT event_key, target_id, attempt, at, ok, error FROM alert_deliveries ORDER BY at DESC, event_key, target_id, attempt DESC"
	var args []any
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the alert deliveries in %s: %w", s.where, err)
	}
	defer rows.Close()
	var out []alert.Delivery
	for rows.Next() {
		var d alert.Delivery
		var at string
		var ok int
		if err := rows.Scan(&d.Event, &d.Target, &d.Attempt, &at, &ok, &d.Error); err != nil {
			return nil, fmt.Errorf("cannot read the alert deliveries in %s: %w", s.where, err)
		}
		d.OK = ok == 1
		if d.Time, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("alert delivery of %s in %s is damaged: %w", d.Event, s.where, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the alert deliveries in %s: %w", s.where, err)
	}
	return out, nil
}

// AlertAcceptances converts stored acceptances for alert.AcceptanceEvents
// (the alert package cannot import the store, which imports it).
func AlertAcceptances(acc []Acceptance) []alert.Acceptance {
	out := make([]alert.Acceptance, 0, len(acc))
	for _, a := range acc {
		out = append(out, alert.Acceptance{Finding: a.Finding, Check: a.Check, Host: a.Host, Port: a.Port,
			Acceptance: a.Acceptance, Revoked: a.Revoked})
	}
	return out
}
