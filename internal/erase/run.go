package erase

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/vigilsec/vigil/internal/certify"
	"github.com/vigilsec/vigil/internal/datamap"
)

// Pair is one KEY=VALUE of --subject.
type Pair struct{ Key, Value string }

// DBJob is the erasure of the subject in one database source.
type DBJob struct {
	DB    *datamap.DB
	Roots []Root
	// Keep maps a table to the columns anonymised instead of deleting
	// its rows.
	Keep map[string][]string
	FKs  []FK
	// Composite lists foreign keys that were not followed.
	Composite []string
	// Planned is the selection and counts of the plan.
	Planned *Selection
	Counts  map[string]int64
	// BeforeCommit, if set, runs inside the transaction after the
	// changes and before the commit (tests cut the connection there).
	BeforeCommit func(ctx context.Context) error
}

// NewDBJob prepares the erasure of a subject in db: the roots from the
// map's subjects of this source whose key the subject gives, the keep
// rules, the foreign keys; it returns a job with no roots when the subject
// gives none of this source's keys.
func NewDBJob(ctx context.Context, m *datamap.Map, db *datamap.DB, subject []Pair) (*DBJob, error) {
	j := &DBJob{DB: db, Keep: map[string][]string{}}
	for _, s := range m.Subjects {
		if s.Source != db.Source.Name {
			continue
		}
		for _, p := range subject {
			if p.Key == s.Key {
				j.Roots = append(j.Roots, Root{Table: s.Table, Column: s.Column, Value: p.Value})
			}
		}
	}
	for _, k := range m.Keep {
		if k.Source == db.Source.Name {
			j.Keep[k.Table] = append(j.Keep[k.Table], k.Anonymise...)
		}
	}
	var err error
	if j.FKs, j.Composite, err = ForeignKeys(ctx, db); err != nil {
		return nil, err
	}
	return j, nil
}

func (j *DBJob) stops() map[string]bool {
	stop := map[string]bool{}
	for t := range j.Keep {
		stop[t] = true
	}
	return stop
}

// Plan finds the subject's rows and counts them, changing nothing.
func (j *DBJob) Plan(ctx context.Context) error {
	sel, err := Locate(ctx, j.DB, j.DB, j.FKs, j.Roots, j.stops())
	if err != nil {
		return fmt.Errorf("source %s: %w", j.DB.Source.Name, err)
	}
	counts, err := Count(ctx, j.DB, j.DB, sel)
	if err != nil {
		return fmt.Errorf("source %s: %w", j.DB.Source.Name, err)
	}
	j.Planned, j.Counts = sel, counts
	return nil
}

// Tables returns the plan as the certificate's table actions.
func (j *DBJob) Tables() []certify.TableAction {
	var out []certify.TableAction
	if j.Planned == nil {
		return nil
	}
	for _, t := range j.Planned.Order {
		a := certify.TableAction{Table: t, Action: certify.Deleted, Rows: j.Counts[t]}
		if cols, ok := j.Keep[t]; ok {
			a.Action, a.Columns = certify.Anonymised, j.anonymised(t, cols)
		}
		if a.Rows > 0 {
			out = append(out, a)
		}
	}
	return out
}

// anonymised returns the columns of a kept table set to NULL: the map's,
// and the foreign keys that reference a table whose rows are deleted.
func (j *DBJob) anonymised(table string, cols []string) []string {
	out := slices.Clone(cols)
	for _, fk := range j.FKs {
		if fk.Child != table || j.Planned == nil {
			continue
		}
		if _, deleted := j.Planned.Preds[fk.Parent]; deleted {
			if _, kept := j.Keep[fk.Parent]; !kept && !slices.Contains(out, fk.ChildCol) {
				out = append(out, fk.ChildCol)
			}
		}
	}
	return out
}

// Run erases in one transaction: it locates the rows again inside it,
// anonymises the kept tables' rows, deletes the others children first,
// and commits; then it searches again on a fresh query. The returned
// source says what happened; on any failure the transaction is rolled
// back and the source says so, with nothing reported as erased.
func (j *DBJob) Run(ctx context.Context) certify.Source {
	src := certify.Source{Name: j.DB.Source.Name, Type: j.DB.Source.Type}
	fail := func(outcome string, err error) certify.Source {
		src.Outcome, src.Error = outcome, err.Error()
		src.Tables = nil
		return src
	}
	if len(j.Roots) == 0 {
		src.Outcome, src.Verified = certify.NothingFound, true
		return src
	}
	tx, err := j.DB.BeginTx(ctx, nil)
	if err != nil {
		return fail(certify.Failed, fmt.Errorf("cannot begin a transaction: %w", err))
	}
	defer tx.Rollback()
	sel, err := Locate(ctx, tx, j.DB, j.FKs, j.Roots, j.stops())
	if err == nil {
		var counts map[string]int64
		counts, err = Count(ctx, tx, j.DB, sel)
		j.Planned, j.Counts = sel, counts
	}
	if err == nil {
		err = j.change(ctx, tx, sel)
	}
	if err == nil && j.BeforeCommit != nil {
		err = j.BeforeCommit(ctx)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		_ = tx.Rollback()
		return fail(certify.RolledBack, fmt.Errorf("the erasure failed and its transaction was rolled back, so nothing was changed in this source: %w", err))
	}
	src.Tables = j.Tables()
	total := int64(0)
	for _, n := range j.Counts {
		total += n
	}
	if total == 0 {
		src.Outcome = certify.NothingFound
	} else {
		src.Outcome = certify.Erased
	}
	// Verify: search again, outside the transaction.
	left, err := j.Remaining(ctx, sel)
	if err != nil {
		src.Outcome, src.Error = certify.Incomplete, "the erasure was committed but the search after it failed: "+err.Error()
		return src
	}
	src.Remaining = left
	src.Verified = left == 0
	if left > 0 {
		src.Outcome, src.Error = certify.Incomplete, fmt.Sprintf("the search after the erasure still finds %d row(s) of the subject", left)
	}
	return src
}

// change anonymises and deletes the selected rows inside tx.
func (j *DBJob) change(ctx context.Context, tx querier, sel *Selection) error {
	d := dialectOf{j.DB}
	for _, t := range sel.Order {
		cols, kept := j.Keep[t]
		if !kept {
			continue
		}
		set := ""
		for i, c := range j.anonymised(t, cols) {
			if i > 0 {
				set += ", "
			}
			set += j.DB.Quote(c) + " = NULL"
		}
		cond, args := d.where(sel.Preds[t], 0)
		if _, err := tx.ExecContext(ctx, "UPDATE "+d.table(t)+" SET "+set+" WHERE "+cond, args...); err != nil {
			return fmt.Errorf("cannot anonymise the subject's rows in %s: %w", t, err)
		}
	}
	for _, t := range deleteOrder(sel, j.FKs) {
		if _, kept := j.Keep[t]; kept {
			continue
		}
		cond, args := d.where(sel.Preds[t], 0)
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+d.table(t)+" WHERE "+cond, args...); err != nil {
			return fmt.Errorf("cannot delete the subject's rows in %s: %w", t, err)
		}
	}
	return nil
}

// Remaining searches again: the subject's roots located anew, plus every
// row the erasure's selection named, that still holds the subject (a
// deleted table's rows, or a kept table's rows whose anonymised columns
// are not all NULL).
func (j *DBJob) Remaining(ctx context.Context, done *Selection) (int64, error) {
	d := dialectOf{j.DB}
	again, err := Locate(ctx, j.DB, j.DB, j.FKs, j.Roots, j.stops())
	if err != nil {
		return 0, err
	}
	var left int64
	for _, sel := range []*Selection{again, done} {
		if sel == nil {
			continue
		}
		for _, t := range sel.Order {
			cond, args := d.where(sel.Preds[t], 0)
			q := "SELECT COUNT(*) FROM " + d.table(t) + " WHERE " + cond
			if cols, kept := j.Keep[t]; kept {
				var nn []string
				for _, c := range j.anonymised(t, cols) {
					nn = append(nn, j.DB.Quote(c)+" IS NOT NULL")
				}
				q += " AND (" + join(nn, " OR ") + ")"
			}
			n, err := count(ctx, j.DB, q, args)
			if err != nil {
				return 0, fmt.Errorf("cannot search %s again: %w", t, err)
			}
			left += n
		}
		if left > 0 {
			return left, nil
		}
	}
	return left, nil
}

func join(s []string, sep string) string {
	if len(s) == 0 {
		return "1 = 0"
	}
	out := s[0]
	for _, x := range s[1:] {
		out += sep + x
	}
	return out
}

// ErrDeclined means the operator did not confirm the plan.
var ErrDeclined = errors.New("the erasure was not confirmed: nothing was changed")
