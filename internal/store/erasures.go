package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ErasureHead is the newest entry of the erasure-certificate log as the
// store last recorded it: its number and the hex SHA-256 of its line.
// The zero value is an empty log.
type ErasureHead struct {
	Seq  int64
	Hash string
}

// ErrHeadMoved means the erasure log's head in the store is no longer the
// one an append started from: another vigil appended meanwhile.
var ErrHeadMoved = errors.New("the erasure log's head moved meanwhile")

// pgErasureLock serialises head updates on PostgreSQL ("vger" in ASCII).
const pgErasureLock = 0x76676572

// ErasureHead returns the head of the erasure-certificate log; the zero
// ErasureHead when no certificate was ever issued.
func (s *Store) ErasureHead(ctx context.Context) (ErasureHead, error) {
	var h ErasureHead
	err := s.db.QueryRowContext(ctx, "SELECT seq, hash FROM erasure_log_head WHERE id = 1").Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return ErasureHead{}, nil
	}
	if err != nil {
		return ErasureHead{}, fmt.Errorf("cannot read the erasure log's head in %s: %w", s.where, err)
	}
	return h, nil
}

// AdvanceErasureHead moves the head of the erasure-certificate log from
// from to to, in one transaction. It fails with ErrHeadMoved, changing
// nothing, unless the head is still from and to.Seq is from.Seq+1: the
// head only ever moves forward by one entry.
func (s *Store) AdvanceErasureHead(ctx context.Context, from, to ErasureHead) error {
	if to.Seq != from.Seq+1 || to.Hash == "" {
		return fmt.Errorf("erasure log: the head moves from entry %d to entry %d only, not to %d", from.Seq, from.Seq+1, to.Seq)
	}
	fail := func(err error) error {
		return fmt.Errorf("cannot record the erasure log's head in %s: %w", s.where, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	if s.dialect == postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock("+strconv.Itoa(pgErasureLock)+")"); err != nil {
			return fail(err)
		}
	}
	var res sql.Result
	now := formatTime(time.Now())
	if from.Seq == 0 {
		res, err = tx.ExecContext(ctx, s.rebind(`INSERT INTO erasure_log_head (id, seq, hash, updated)
			SELECT 1, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM erasure_log_head)`), to.Seq, to.Hash, now)
	} else {
		res, err = tx.ExecContext(ctx, s.rebind(`UPDATE erasure_log_head SET seq = ?, hash = ?, updated = ?
			WHERE id = 1 AND seq = ? AND hash = ?`), to.Seq, to.Hash, now, from.Seq, from.Hash)
	}
	if err != nil {
		return fail(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fail(err)
	} else if n != 1 {
		return fmt.Errorf("%w (it is no longer entry %d)", ErrHeadMoved, from.Seq)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return nil
}

// DataRun is one run of vigil data erase or vigil data retention --apply:
// what was done and how it ended, in counts; never personal data.
type DataRun struct {
	ID       string
	Kind     string // erase or retention
	Started  time.Time
	Finished time.Time
	Operator string
	// Outcome is a word: complete, partial, failed, cancelled.
	Outcome string
	// Detail is a summary in counts (tables, rows, files), or a JSON
	// document of them.
	Detail string
}

// RecordDataRun records a run of vigil data erase or retention --apply.
func (s *Store) RecordDataRun(ctx context.Context, r DataRun) error {
	if r.Kind != "erase" && r.Kind != "retention" {
		return fmt.Errorf("data run: kind %q is neither erase nor retention", clip(clean(r.Kind), 40))
	}
	if _, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO data_runs (id, kind, started, finished, operator, outcome, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), clip(clean(r.ID), 100), r.Kind, formatTime(r.Started), formatTime(r.Finished),
		clip(clean(r.Operator), 200), clip(clean(r.Outcome), 40), clip(clean(r.Detail), 20000)); err != nil {
		return fmt.Errorf("cannot record the data run in %s: %w", s.where, err)
	}
	return nil
}

// DataRuns returns the recorded data runs of a kind ("" for all), oldest
// first.
func (s *Store) DataRuns(ctx context.Context, kind string) ([]DataRun, error) {
	q := "SELECT id, kind, started, finished, operator, outcome, detail FROM data_runs"
	var args []any
	if kind != "" {
		q += " WHERE kind = ?"
		args = append(args, kind)
	}
	rows, err := s.db.QueryContext(ctx, s.rebind(q+" ORDER BY started, id"), args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the data runs in %s: %w", s.where, err)
	}
	defer rows.Close()
	var out []DataRun
	for rows.Next() {
		var r DataRun
		var started, finished string
		if err := rows.Scan(&r.ID, &r.Kind, &started, &finished, &r.Operator, &r.Outcome, &r.Detail); err != nil {
			return nil, fmt.Errorf("cannot read the data runs in %s: %w", s.where, err)
		}
		r.Started, _ = parseTime(started)
		r.Finished, _ = parseTime(finished)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the data runs in %s: %w", s.where, err)
	}
	return out, nil
}
