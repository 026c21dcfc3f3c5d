package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Job statuses: a job is queued, then running, then one of the last three.
const (
	JobQueued     = "queued"
	JobRunning    = "running"
	JobDone       = "done"
	JobIncomplete = "incomplete"
	JobFailed     = "failed"
)

// Job kinds.
const (
	JobScan      = "scan"
	JobHostAudit = "hostaudit"
)

// Job is one piece of work vigil serve runs: a scan or a host audit.
type Job struct {
	ID      string   `json:"id"`
	Kind    string   `json:"kind"`
	Targets []string `json:"targets"`
	Ports   string   `json:"ports,omitempty"`
	Status  string   `json:"status"`
	// Progress is how far the job is, from 0 to 1.
	Progress float64 `json:"progress"`
	// Phase is what the job is doing: "ports", "services", "saving".
	Phase    string    `json:"phase,omitempty"`
	Created  time.Time `json:"created"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// ScanID is the stored document of a job that is done.
	ScanID string `json:"scan_id,omitempty"`
	// Error says why a job failed or is incomplete.
	Error string `json:"error,omitempty"`
	// Schedule and Planned name the schedule run that launched the job.
	Schedule string    `json:"schedule,omitempty"`
	Planned  time.Time `json:"planned,omitzero"`
	// Actor is who launched it (a user, a token's name, or schedule:ID).
	Actor string `json:"actor,omitempty"`
}

// JobFinal reports whether a status is final.
func JobFinal(status string) bool {
	return status == JobDone || status == JobIncomplete || status == JobFailed
}

// optTime formats t, or "" for the zero time.
func optTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatTime(t)
}

// parseOptTime reads what optTime wrote.
func parseOptTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return parseTime(s)
}

// AddJob records a new job; its status is normally JobQueued.
func (s *Store) AddJob(ctx context.Context, j Job) error {
	if !validID(j.ID) {
		return fmt.Errorf("cannot record job %q: bad id", j.ID)
	}
	cleaned := make([]string, 0, len(j.Targets))
	for _, t := range j.Targets {
		cleaned = append(cleaned, clean(t))
	}
	targets, err := json.Marshal(cleaned)
	if err != nil {
		return fmt.Errorf("cannot record job %s: %w", j.ID, err)
	}
	if j.Status == "" {
		j.Status = JobQueued
	}
	_, err = s.db.ExecContext(ctx, s.rebind(`INSERT INTO jobs (id, kind, targets, ports, status, progress, phase, created, started, finished, scan_id, error, schedule, planned, actor)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		j.ID, clean(j.Kind), string(targets), clean(j.Ports), j.Status, permille(j.Progress), clean(j.Phase),
		formatTime(j.Created), optTime(j.Started), optTime(j.Finished), clean(j.ScanID), clean(j.Error),
		clean(j.Schedule), optTime(j.Planned), clean(j.Actor))
	if err != nil {
		return fmt.Errorf("cannot record job %s in %s: %w", j.ID, s.where, err)
	}
	return nil
}

// permille turns a fraction into thousandths, within 0..1000.
func permille(f float64) int {
	return int(min(max(f, 0), 1)*1000 + 0.5)
}

const jobColumns = "id, kind, targets, ports, status, progress, phase, created, started, finished, scan_id, error, schedule, planned, actor"

// scanJob reads one row of jobColumns.
func (s *Store) scanJob(row interface{ Scan(...any) error }) (Job, error) {
	var (
		j                                           Job
		targets, created, started, finished, planed string
		progress                                    int
	)
	if err := row.Scan(&j.ID, &j.Kind, &targets, &j.Ports, &j.Status, &progress, &j.Phase, &created, &started, &finished,
		&j.ScanID, &j.Error, &j.Schedule, &planed, &j.Actor); err != nil {
		return j, err
	}
	j.Progress = float64(progress) / 1000
	var err error
	if err = json.Unmarshal([]byte(targets), &j.Targets); err != nil {
		return j, fmt.Errorf("job %s has damaged targets: %w", j.ID, err)
	}
	if j.Created, err = parseTime(created); err != nil {
		return j, fmt.Errorf("job %s has a damaged time: %w", j.ID, err)
	}
	for _, p := range []struct {
		s string
		t *time.Time
	}{{started, &j.Started}, {finished, &j.Finished}, {planed, &j.Planned}} {
		if *p.t, err = parseOptTime(p.s); err != nil {
			return j, fmt.Errorf("job %s has a damaged time: %w", j.ID, err)
		}
	}
	return j, nil
}

// Job returns one job; an error wrapping ErrNotFound when there is none.
func (s *Store) Job(ctx context.Context, id string) (Job, error) {
	j, err := s.scanJob(s.db.QueryRowContext(ctx, s.rebind("SELECT "+jobColumns+" FROM jobs WHERE id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("%w: no job %s", ErrNotFound, id)
	}
	if err != nil {
		return Job{}, fmt.Errorf("cannot read job %s from %s: %w", id, s.where, err)
	}
	return j, nil
}

// Jobs returns up to limit jobs, newest first (limit <= 0: all of them).
func (s *Store) Jobs(ctx context.Context, limit int) ([]Job, error) {
	q := "SELECT " + jobColumns + " FROM jobs ORDER BY created DESC, id DESC"
	var args []any
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	return s.queryJobs(ctx, q, args...)
}

// JobsWithStatus returns the jobs of the given statuses, oldest first.
func (s *Store) JobsWithStatus(ctx context.Context, statuses ...string) ([]Job, error) {
	if len(statuses) == 0 {
		return []Job{}, nil
	}
	args := make([]any, len(statuses))
	for i, st := range statuses {
		args[i] = st
	}
	q := "SELECT " + jobColumns + " FROM jobs WHERE status IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(statuses)), ", ") + ") ORDER BY created, id"
	return s.queryJobs(ctx, q, args...)
}

// JobsOfSchedule returns the jobs a schedule launched, oldest first.
func (s *Store) JobsOfSchedule(ctx context.Context, schedule string) ([]Job, error) {
	return s.queryJobs(ctx, "SELECT "+jobColumns+" FROM jobs WHERE schedule = ? ORDER BY created, id", schedule)
}

func (s *Store) queryJobs(ctx context.Context, q string, args ...any) ([]Job, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the jobs in %s: %w", s.where, err)
	}
	defer rows.Close()
	out := []Job{}
	for rows.Next() {
		j, err := s.scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot read the jobs in %s: %w", s.where, err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the jobs in %s: %w", s.where, err)
	}
	return out, nil
}

// StartJob moves a queued job to running at t. It reports false when the
// job was not queued (another runner took it, or it was abandoned).
func (s *Store) StartJob(ctx context.Context, id string, t time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.rebind("UPDATE jobs SET status = ?, started = ? WHERE id = ? AND status = ?"),
		JobRunning, formatTime(t), id, JobQueued)
	if err != nil {
		return false, fmt.Errorf("cannot start job %s in %s: %w", id, s.where, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SetJobProgress records how far a running job is.
func (s *Store) SetJobProgress(ctx context.Context, id, phase string, progress float64) error {
	_, err := s.db.ExecContext(ctx, s.rebind("UPDATE jobs SET phase = ?, progress = ? WHERE id = ? AND status = ?"),
		clean(phase), permille(progress), id, JobRunning)
	if err != nil {
		return fmt.Errorf("cannot record the progress of job %s in %s: %w", id, s.where, err)
	}
	return nil
}

// FinishJob gives a job its final status at t, with the stored scan it
// made (done) or the reason it did not finish.
func (s *Store) FinishJob(ctx context.Context, id, status, scanID, reason string, t time.Time) error {
	if !JobFinal(status) {
		return fmt.Errorf("cannot finish job %s as %q: not a final status", id, status)
	}
	progress := "progress"
	if status == JobDone {
		progress = "1000"
	}
	_, err := s.db.ExecContext(ctx, s.rebind("UPDATE jobs SET status = ?, scan_id = ?, error = ?, finished = ?, progress = "+progress+" WHERE id = ?"),
		status, clean(scanID), clean(reason), formatTime(t), id)
	if err != nil {
		return fmt.Errorf("cannot finish job %s in %s: %w", id, s.where, err)
	}
	return nil
}

// AbandonJobs marks every job still queued or running as incomplete at t,
// with reason: what a server does at start with the work of a process
// that ended. It returns how many it marked.
func (s *Store) AbandonJobs(ctx context.Context, reason string, t time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, s.rebind("UPDATE jobs SET status = ?, error = ?, finished = ? WHERE status IN (?, ?)"),
		JobIncomplete, clean(reason), formatTime(t), JobQueued, JobRunning)
	if err != nil {
		return 0, fmt.Errorf("cannot mark unfinished jobs in %s: %w", s.where, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
