package alert

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Store keeps alert targets, the events already seen and every delivery
// attempt. *store.Store implements it.
type Store interface {
	AlertTargets(ctx context.Context) ([]Target, error)
	// RecordEvent records e and reports whether its Key is new: false when
	// an event with that key was recorded before (by any process).
	RecordEvent(ctx context.Context, e Event) (isNew bool, err error)
	RecordDelivery(ctx context.Context, d Delivery) error
}

// Retry policy: the first attempt at once, then after 1 s, 2 s, 4 s, …
const (
	MaxAttempts  = 6
	FirstBackoff = time.Second
)

// DigestAfter is how many new events one Notify sends one by one; more go
// out as one digest.
const DigestAfter = 10

// maxSending caps the attempts in flight at once, so that a first scan
// with many events does not open hundreds of connections together.
const maxSending = 8

// Dispatcher delivers new events to every alert target, in the background,
// with retries.
type Dispatcher struct {
	st    Store
	clock Clock
	log   *slog.Logger

	// dial replaces the network dialer and roots the system's roots for
	// webhooks (tests).
	dial  dialFunc
	roots *x509.CertPool

	sending chan struct{} // a token per attempt in flight
	wg      sync.WaitGroup
	stop    chan struct{}
	stopped sync.Once
}

// NewDispatcher returns a dispatcher over st. c drives the waits between
// attempts (nil: the wall clock); log receives a line per failed attempt
// (nil: nothing).
func NewDispatcher(st Store, c Clock, log *slog.Logger) *Dispatcher {
	if c == nil {
		c = realClock{}
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Dispatcher{st: st, clock: c, log: log, stop: make(chan struct{}), sending: make(chan struct{}, maxSending)}
}

// Notify records each event; a new one (its Key never recorded before),
// unless an event it lists in ToldBy is new too (whose alert says it), is
// delivered to every target in the background, retried with backoff 1 s,
// 2 s, 4 s, … up to MaxAttempts attempts, each attempt recorded. An event
// seen before is dropped. When one call brings more than DigestAfter new
// events (a first scan of a network), they go out together as one digest
// alert rather than as a flood. Nothing is recorded or sent while no
// target exists: alerts are off until an administrator adds one.
//
// Deliveries outlive ctx (they keep its values, not its cancellation), so
// that a request or job that ends does not cut them short; Stop ends them.
func (d *Dispatcher) Notify(ctx context.Context, events []Event) {
	if len(events) == 0 {
		return
	}
	targets, err := d.st.AlertTargets(ctx)
	if err != nil {
		d.log.Error("cannot read the alert targets; no alert sent", "err", err)
		return
	}
	if len(targets) == 0 {
		return
	}
	var recorded []Event
	isFresh := map[string]bool{}
	for _, e := range events {
		isNew, err := d.st.RecordEvent(ctx, e)
		if err != nil {
			d.log.Error("cannot record an alert event; not sent", "event", e.Key, "err", err)
			continue
		}
		if isNew {
			recorded = append(recorded, e)
			isFresh[e.Key] = true
		}
	}
	var fresh []Event
	for _, e := range recorded {
		if !slices.ContainsFunc(e.ToldBy, func(k string) bool { return isFresh[k] }) {
			fresh = append(fresh, e)
		}
	}
	if len(fresh) > DigestAfter {
		dg := Digest(fresh)
		if _, err := d.st.RecordEvent(ctx, dg); err != nil {
			d.log.Error("cannot record an alert digest", "event", dg.Key, "err", err)
		}
		fresh = []Event{dg}
	}
	bg := context.WithoutCancel(ctx)
	for _, e := range fresh {
		for _, t := range targets {
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				d.deliver(bg, t, e)
			}()
		}
	}
}

// Wait waits until every delivery in flight has succeeded or given up.
func (d *Dispatcher) Wait() { d.wg.Wait() }

// Stop abandons the retries still waiting and cancels attempts in flight;
// each is recorded as failed. Call Wait after it to let them finish.
func (d *Dispatcher) Stop() { d.stopped.Do(func() { close(d.stop) }) }

// deliver sends one event to one target, retrying with backoff.
func (d *Dispatcher) deliver(ctx context.Context, t Target, e Event) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-d.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	wait := FirstBackoff
	for attempt := 1; ; attempt++ {
		err := d.send(ctx, t, e)
		rec := Delivery{Event: e.Key, Target: t.ID, Attempt: attempt, Time: d.clock.Now(), OK: err == nil}
		if err != nil {
			rec.Error = err.Error()
		}
		if rerr := d.st.RecordDelivery(context.WithoutCancel(ctx), rec); rerr != nil {
			d.log.Error("cannot record an alert delivery", "event", e.Key, "target", t.ID, "err", rerr)
		}
		switch {
		case err == nil:
			return
		case isPermanent(err) || attempt >= MaxAttempts || ctx.Err() != nil:
			d.log.Warn("alert not delivered", "event", e.Key, "target", t.ID, "attempt", attempt, "err", err)
			return
		}
		d.log.Info("alert delivery failed; will retry", "event", e.Key, "target", t.ID, "attempt", attempt, "in", wait, "err", err)
		select {
		case <-d.clock.After(wait):
		case <-ctx.Done():
			rec := Delivery{Event: e.Key, Target: t.ID, Attempt: attempt + 1, Time: d.clock.Now(),
				Error: "not attempted: vigil stopped before the retry"}
			if rerr := d.st.RecordDelivery(context.WithoutCancel(ctx), rec); rerr != nil {
				d.log.Error("cannot record an alert delivery", "event", e.Key, "target", t.ID, "err", rerr)
			}
			return
		}
		wait *= 2
	}
}

// send makes one attempt to deliver e to t, when fewer than maxSending
// are in flight.
func (d *Dispatcher) send(ctx context.Context, t Target, e Event) error {
	if err := t.Validate(); err != nil {
		return permanent(err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("not attempted: %w", err)
	}
	select {
	case d.sending <- struct{}{}:
		defer func() { <-d.sending }()
	case <-ctx.Done():
		return fmt.Errorf("not attempted: %w", ctx.Err())
	}
	sent := d.clock.Now()
	switch t.Type {
	case Webhook:
		return sendWebhook(ctx, t, e, sent, d.dial, d.roots)
	case Email:
		return sendMail(ctx, t, e, sent, d.dial)
	}
	return permanent(fmt.Errorf("alert target %s has the unknown type %q", t.ID, t.Type))
}
