// Package jobs runs the work vigil serve is given (scans, host audits): a
// queue in the store, at most N jobs at once, progress recorded as the
// work advances, and a shutdown that never leaves a job running: work
// that cannot finish within the grace period is cancelled and marked
// incomplete.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Work does one job. It reports progress through progress (phase, and a
// fraction from 0 to 1) and returns the id of the document it stored.
type Work func(ctx context.Context, j store.Job, progress func(phase string, fraction float64)) (scanID string, err error)

// ErrStopped is returned by Submit once the runner stops taking work.
var ErrStopped = errors.New("the server is shutting down and takes no new work")

// Runner runs queued jobs, at most Max at once.
type Runner struct {
	st   *store.Store
	max  int
	work Work
	log  *slog.Logger
	now  func() time.Time

	mu       sync.Mutex
	queue    []string
	stopped  bool
	wake     chan struct{}
	cancel   context.CancelFunc
	ctx      context.Context
	workers  sync.WaitGroup
	inflight sync.WaitGroup
	// every is the least time between two progress writes of a job.
	every time.Duration
}

// New returns a runner of at most limit jobs at once (at least 1).
func New(st *store.Store, limit int, work Work, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{st: st, max: max(1, limit), work: work, log: log, now: time.Now, wake: make(chan struct{}, 1), every: 250 * time.Millisecond}
}

// NewID returns a fresh job id: the time and random bits, so ids sort by
// time.
func NewID(t time.Time) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "job-" + t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Start marks the jobs a previous process left queued or running as
// incomplete, and starts the workers; they run until Shutdown.
func (r *Runner) Start(ctx context.Context) error {
	n, err := r.st.AbandonJobs(ctx, "the server stopped before this job finished", r.now())
	if err != nil {
		return err
	}
	if n > 0 {
		r.log.Warn("jobs of a previous server process marked incomplete", "jobs", n)
	}
	r.ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for range r.max {
		r.workers.Add(1)
		go r.worker()
	}
	return nil
}

// Submit records a job as queued and queues it. Fields left zero are
// filled in: ID, Status, Created.
func (r *Runner) Submit(ctx context.Context, j store.Job) (store.Job, error) {
	r.mu.Lock()
	stopped := r.stopped
	r.mu.Unlock()
	if stopped {
		return store.Job{}, ErrStopped
	}
	if j.Created.IsZero() {
		j.Created = r.now()
	}
	if j.ID == "" {
		j.ID = NewID(j.Created)
	}
	j.Status = store.JobQueued
	if err := r.st.AddJob(ctx, j); err != nil {
		return store.Job{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		// Shutdown began meanwhile: the job is recorded, so say it will not run.
		_ = r.st.FinishJob(context.WithoutCancel(ctx), j.ID, store.JobIncomplete, "", "the server shut down before this job started", r.now())
		return store.Job{}, ErrStopped
	}
	r.queue = append(r.queue, j.ID)
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return j, nil
}

// next takes the next queued job id; "" once stopped.
func (r *Runner) next() string {
	for {
		r.mu.Lock()
		if r.stopped {
			r.mu.Unlock()
			return ""
		}
		if len(r.queue) > 0 {
			id := r.queue[0]
			r.queue = r.queue[1:]
			more := len(r.queue) > 0
			r.inflight.Add(1)
			r.mu.Unlock()
			if more {
				select {
				case r.wake <- struct{}{}:
				default:
				}
			}
			return id
		}
		r.mu.Unlock()
		select {
		case <-r.wake:
		case <-r.ctx.Done():
			return ""
		}
	}
}

func (r *Runner) worker() {
	defer r.workers.Done()
	for {
		id := r.next()
		if id == "" {
			return
		}
		r.run(id)
		r.inflight.Done()
	}
}

// run runs one job from start to its final status.
func (r *Runner) run(id string) {
	ctx := r.ctx
	// Bookkeeping outlives the cancellation of the work itself.
	book := context.WithoutCancel(ctx)
	ok, err := r.st.StartJob(book, id, r.now())
	if err != nil || !ok {
		r.log.Warn("cannot start job", "job", id, "err", err)
		return
	}
	j, err := r.st.Job(book, id)
	if err != nil {
		_ = r.st.FinishJob(book, id, store.JobFailed, "", err.Error(), r.now())
		return
	}
	var last time.Time
	var mu sync.Mutex
	progress := func(phase string, f float64) {
		mu.Lock()
		defer mu.Unlock()
		now := r.now()
		if now.Sub(last) < r.every && f < 1 {
			return
		}
		last = now
		if err := r.st.SetJobProgress(book, id, phase, f); err != nil {
			r.log.Warn("cannot record progress", "job", id, "err", err)
		}
	}
	scanID, err := r.safeWork(ctx, j, progress)
	switch {
	case err == nil:
		err = r.st.FinishJob(book, id, store.JobDone, scanID, "", r.now())
	case ctx.Err() != nil:
		err = r.st.FinishJob(book, id, store.JobIncomplete, "", "stopped by the server's shutdown before it finished: "+err.Error(), r.now())
	default:
		err = r.st.FinishJob(book, id, store.JobFailed, "", err.Error(), r.now())
	}
	if err != nil {
		r.log.Error("cannot record the end of a job", "job", id, "err", err)
	}
}

// safeWork runs the work, turning a panic into an error: one bad job
// never takes the server down.
func (r *Runner) safeWork(ctx context.Context, j store.Job, progress func(string, float64)) (id string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	return r.work(ctx, j, progress)
}

// Shutdown stops taking work, lets running jobs finish for up to grace,
// then cancels them; every job not done is marked incomplete. It returns
// when no job runs any more.
func (r *Runner) Shutdown(grace time.Duration) {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	r.stopped = true
	queued := r.queue
	r.queue = nil
	r.mu.Unlock()
	book := context.Background()
	for _, id := range queued {
		if err := r.st.FinishJob(book, id, store.JobIncomplete, "", "the server shut down before this job started", r.now()); err != nil {
			r.log.Error("cannot mark a queued job incomplete", "job", id, "err", err)
		}
	}
	done := make(chan struct{})
	go func() { r.inflight.Wait(); close(done) }()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		r.log.Warn("jobs still running after the grace period: cancelling them")
	}
	if r.cancel != nil {
		r.cancel()
	}
	<-done
	r.workers.Wait()
	// Anything still queued or running in the store (a job added while
	// stopping) is not left behind as running.
	if _, err := r.st.AbandonJobs(book, "the server shut down before this job finished", r.now()); err != nil {
		r.log.Error("cannot mark unfinished jobs incomplete", "err", err)
	}
}
