package erase

import (
	"context"
	"fmt"
	"os"
	"path"
	"time"

	"github.com/vigilsec/vigil/internal/datamap"
	"github.com/vigilsec/vigil/internal/datascan"
)

// DefaultBatch is how many rows one retention batch deletes, in its own
// transaction.
const DefaultBatch = 5000

// RetentionStep is one retention rule applied: what is older than the
// rule at the plan's moment, and what was deleted.
type RetentionStep struct {
	Rule   datamap.Retention
	Cutoff time.Time
	// Older is how many rows or files were older than Cutoff at the
	// plan; Total how many there were.
	Older, Total int64
	// Deleted is how many were deleted, in Batches transactions.
	Deleted int64
	Batches int
	Err     error
	files   []string
}

// PlanRetention counts, for every retention rule, the rows or files older
// than the rule at now, changing nothing.
func PlanRetention(ctx context.Context, m *datamap.Map, open func(context.Context, *datamap.Source) (*datamap.DB, error), now time.Time) []*RetentionStep {
	var out []*RetentionStep
	for _, r := range m.Retention {
		st := &RetentionStep{Rule: r, Cutoff: r.MaxAge.Before(now)}
		out = append(out, st)
		s, ok := m.Source(r.Source)
		if !ok {
			st.Err = fmt.Errorf("source %q is not declared", r.Source)
			continue
		}
		if s.Type == datamap.Files {
			st.Err = olderFiles(ctx, s, st)
			continue
		}
		db, err := open(ctx, s)
		if err != nil {
			st.Err = err
			continue
		}
		st.Older, st.Total, st.Err = datascan.CountOlder(ctx, db, r.Table, r.Column, st.Cutoff)
		db.Close()
	}
	return out
}

func olderFiles(ctx context.Context, s *datamap.Source, st *RetentionStep) error {
	w, err := datamap.OpenFiles(s)
	if err != nil {
		return err
	}
	defer w.Close()
	return w.Walk(ctx, func(f datamap.File) error {
		if st.Rule.Path != "" {
			if ok, _ := path.Match(st.Rule.Path, f.Rel); !ok {
				return nil
			}
		}
		st.Total++
		if f.ModTime.Before(st.Cutoff) {
			st.Older++
			st.files = append(st.files, f.Rel)
		}
		return nil
	}, func(string, string) {})
}

// ApplyRetention deletes what each planned step counted: rows whose date
// column is before the step's cutoff, batch rows per transaction until
// none is left (rows that grow older than the cutoff meanwhile are not
// touched: the cutoff is the plan's), and the files counted. A step that
// fails keeps its error; the batches committed before it stay done and
// are counted in Deleted.
func ApplyRetention(ctx context.Context, m *datamap.Map, steps []*RetentionStep, open func(context.Context, *datamap.Source) (*datamap.DB, error), batch int) {
	if batch <= 0 {
		batch = DefaultBatch
	}
	for _, st := range steps {
		if st.Err != nil || st.Older == 0 {
			continue
		}
		s, _ := m.Source(st.Rule.Source)
		if s.Type == datamap.Files {
			st.Err = removeFiles(s, st)
			continue
		}
		db, err := open(ctx, s)
		if err != nil {
			st.Err = err
			continue
		}
		st.Err = deleteOlder(ctx, db, st, batch)
		db.Close()
	}
}

func removeFiles(s *datamap.Source, st *RetentionStep) error {
	r, err := os.OpenRoot(s.Path)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, f := range st.files {
		fi, err := r.Lstat(f)
		if err != nil || !fi.Mode().IsRegular() || !fi.ModTime().Before(st.Cutoff) {
			continue // gone, replaced or touched since the plan
		}
		if err := r.Remove(f); err != nil {
			return fmt.Errorf("cannot delete %s: %w", f, err)
		}
		st.Deleted++
	}
	st.Batches = 1
	return nil
}

// deleteOlder deletes the rows older than the cutoff in batches.
func deleteOlder(ctx context.Context, db *datamap.DB, st *RetentionStep, batch int) error {
	d := dialectOf{db}
	t, col := d.table(st.Rule.Table), db.Quote(st.Rule.Column)
	var arg any = st.Cutoff
	var q string
	switch db.Dialect {
	case datamap.DialectSQLite:
		// As datascan.CountOlder compares: ISO 8601 text.
		arg = st.Cutoff.UTC().Format("2006-01-02 15:04:05")
		q = fmt.Sprintf("DELETE FROM %s WHERE rowid IN (SELECT rowid FROM %s WHERE %s < ? LIMIT %d)", t, t, col, batch)
	case datamap.DialectPostgres:
		q = fmt.Sprintf("DELETE FROM %s WHERE ctid IN (SELECT ctid FROM %s WHERE %s < $1 LIMIT %d)", t, t, col, batch)
	default:
		q = fmt.Sprintf("DELETE FROM %s WHERE %s < ? LIMIT %d", t, col, batch)
	}
	for {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, q, arg)
		if err != nil {
			tx.Rollback()
			return fmt.Errorf("cannot delete the rows of %s older than the rule: %w", st.Rule.Table, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("cannot delete the rows of %s older than the rule: %w", st.Rule.Table, err)
		}
		if n == 0 {
			return nil
		}
		st.Deleted += n
		st.Batches++
	}
}
